# bench_phone: normalize() (fast path) against normalize_slow()
# (libphonenumber only) per number, and their agreement on millions.
add_executable(bench_phone ${CMAKE_CURRENT_LIST_DIR}/phone_bench.cpp)
target_link_libraries(bench_phone PRIVATE telemark_phone)
