# Pacing benchmark (issue 4): progressive vs best fixed ratio vs predictive
# on the scenarios in bench/scenarios/, and the simulator's speed.
if(TARGET telemark_sim)
  add_executable(bench_pacing ${CMAKE_CURRENT_LIST_DIR}/pacing_bench.cpp)
  target_link_libraries(bench_pacing PRIVATE telemark_sim telemark_dialer telemark_base)
endif()
