# bench_registry: registry snapshot vs SQLite, sort|join, CRoaring and sdsl.
if(TARGET telemark_registry)
  find_library(SDSL_LIB sdsl)
  if(SDSL_LIB)
    add_executable(bench_registry registry_bench.cpp)
    target_link_libraries(bench_registry PRIVATE telemark_registry telemark_base SQLite::SQLite3
                          roaring::roaring ${SDSL_LIB})
  else()
    message(STATUS "bench_registry skipped: libsdsl-dev not found")
  endif()
endif()
