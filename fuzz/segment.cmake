# Segment expressions (src/leads/segment.h): parser and evaluator.
telemark_fuzz_target(segment telemark_segment)
