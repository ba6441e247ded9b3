# Registry loaders (lines, ftc, csv, change lists) and snapshot files opened
# from arbitrary bytes.
if(TARGET telemark_registry)
  telemark_fuzz_target(registry_loader telemark_registry)
endif()
