# bench_csv: CSV reader throughput against `wc -l` on the same generated file.
add_executable(bench_csv ${CMAKE_CURRENT_SOURCE_DIR}/csv_bench.cpp)
target_link_libraries(bench_csv PRIVATE telemark_leads)
