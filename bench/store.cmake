# bench_store: Store import (LeadWriter, batches of 10,000) against the
# sqlite3 shell's .import and psql's \copy of the same rows as CSV.
add_executable(bench_store ${CMAKE_CURRENT_SOURCE_DIR}/store_bench.cpp)
target_link_libraries(bench_store PRIVATE telemark_store telemark_base)
# bench_hopper: one lease of 100 from a 1,000,000-lead campaign through a
# dialing day, against the plan before the hopper order index.
add_executable(bench_hopper ${CMAKE_CURRENT_SOURCE_DIR}/hopper_bench.cpp)
target_link_libraries(bench_hopper PRIVATE telemark_store telemark_base SQLite::SQLite3)
# bench_scan: Store::scan_leads over a 1,000,000-lead list against a bare
# sqlite3_step loop and libpq's COPY TO STDOUT of the same columns.
add_executable(bench_scan ${CMAKE_CURRENT_SOURCE_DIR}/scan_bench.cpp)
target_link_libraries(bench_scan PRIVATE telemark_store telemark_base SQLite::SQLite3
                      PostgreSQL::PostgreSQL)
