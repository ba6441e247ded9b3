# bench_score_store: score apply --list on a stored list (scan, encode and
# predict, Store::set_lead_scores with the campaign enrollments refreshed)
# against a plain SQL UPDATE of the same rows' scores, in the same run.
add_executable(bench_score_store ${CMAKE_CURRENT_SOURCE_DIR}/score_store_bench.cpp)
target_link_libraries(bench_score_store PRIVATE telemark_scoring telemark_store telemark_base)
