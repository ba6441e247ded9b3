# Simulation scenario files (src/sim/scenario.h), TOML from arbitrary bytes.
telemark_fuzz_target(scenario telemark_sim)
