# Rule packs and campaign definitions (src/compliance, src/campaign).
telemark_fuzz_target(rules telemark_compliance telemark_campaign)
