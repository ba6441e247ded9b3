# bench_scoring: lead-scoring training time and scoring throughput on a
# synthetic 1,000,000-row, 20-feature table, against XGBoost's own predictor
# and against only parsing the CSV.
add_executable(bench_scoring ${CMAKE_CURRENT_SOURCE_DIR}/scoring_bench.cpp)
target_link_libraries(bench_scoring PRIVATE telemark_scoring fmt::fmt)
