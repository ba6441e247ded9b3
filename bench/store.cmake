# bench_store: Store import (LeadWriter, batches of 10,000) against the
# sqlite3 shell's .import and psql's \copy of the same rows as CSV.
add_executable(bench_store ${CMAKE_CURRENT_SOURCE_DIR}/store_bench.cpp)
target_link_libraries(bench_store PRIVATE telemark_store telemark_base)
