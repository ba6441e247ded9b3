# The abandonment ledger's saved state (src/dialer/abandonment.h), which
# comes back from the database: restore() from arbitrary bytes.
telemark_fuzz_target(abandonment telemark_dialer)
