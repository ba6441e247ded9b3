# Phone normalization: normalize() against libphonenumber (normalize_slow())
# on arbitrary bytes; any disagreement aborts.
telemark_fuzz_target(phone telemark_phone)
