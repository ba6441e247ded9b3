# bench_decide: Engine::decide() per call over a realistic mix of leads,
# against one date::zoned_time conversion and one hash lookup.
add_executable(bench_decide ${CMAKE_CURRENT_LIST_DIR}/decide_bench.cpp)
target_link_libraries(bench_decide PRIVATE telemark_compliance)
