# Lead-scoring model files (src/scoring/model.h).
telemark_fuzz_target(score_model telemark_scoring)
