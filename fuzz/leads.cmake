# Fuzz targets of the leads subsystem (seed corpora in corpus/<name>/).
telemark_fuzz_target(csv telemark_leads)
