#!/usr/bin/env bash
# Scrub benchmark (issue 3, performance). Generates a synthetic national
# registry (100,000,000 numbers over 300 real US area codes, FTC notation)
# and a 10,000,000-lead CSV of which 30% are registered, loads the registry
# as a snapshot, then times in the same run:
#   - `telemark scrub --input leads.csv` end to end: reading the file,
#     normalizing and deciding every row (registry, internal list, hours,
#     rules), writing both output files;
#   - SQLite, what a SQL-based dialer does: the registry in an indexed table
#     (INTEGER PRIMARY KEY) and the leads in a table; the NOT EXISTS
#     anti-join is timed (count(*) only: no output, which favors it);
#   - `LC_ALL=C sort | join -v` over the two files (both sorts included).
# Medians of RUNS runs (default 3). SCALE shrinks both sizes (SCALE=0.1:
# 10 M numbers, 1 M leads). The registry build and load figures are
# bench/registry_bench.cpp's subject; they are printed here for context.
set -euo pipefail
cd "$(dirname "$0")/.."
bin=${TELEMARK_BIN:-build/release/src/cli/telemark}
scale=${SCALE:-1}
runs=${RUNS:-3}
registry_count=$(awk -v s="$scale" 'BEGIN { printf "%d", 100000000 * s }')
lead_count=$(awk -v s="$scale" 'BEGIN { printf "%d", 10000000 * s }')
work=$(mktemp -d /tmp/telemark-bench-scrub.XXXXXX)
trap 'rm -rf "$work"' EXIT
export TELEMARK_HOME="$PWD"
export TELEMARK_DB="$work/t.db"
export TELEMARK_REGISTRIES="$work/registries"

now() { date +%s.%N; }
median() { printf '%s\n' "$@" | sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
elapsed() { local t0=$1; local t1; t1=$(now); echo "$t1 - $t0" | bc -l; }

# A Tuesday, 14:00 in New York, 08:00 in Honolulu: every US zone is within
# its calling hours, so rows differ by registry membership alone.
at=2026-03-10T18:00:00Z
as_of=2026-03-05

echo "generating $registry_count registry numbers over 300 US area codes and $lead_count leads (30% registered)..."
t0=$(now)
$bin generate registry "$work/registry.txt" --country US --count "$registry_count" --area-codes 300 \
  --format ftc --seed 42 --leads "$work/leads.csv" --leads-count "$lead_count" --registered-share 0.3
printf 'generated in %.1f s: registry %d MiB, leads %d MiB\n' "$(elapsed "$t0")" \
  $(($(stat -c %s "$work/registry.txt") / 1048576)) $(($(stat -c %s "$work/leads.csv") / 1048576))

t0=$(now)
$bin registry load us-dnc "$work/registry.txt" --as-of "$as_of" --format ftc >"$work/load.txt"
load_s=$(elapsed "$t0")
snapshot_bytes=$(stat -c %s "$work"/registries/us-dnc/v*.tmreg)
cat >"$work/campaign.toml" <<EOF
name = "bench"
purpose = "sales"
countries = ["US"]
EOF
$bin campaign apply "$work/campaign.toml" >/dev/null

sc=()
for i in $(seq "$runs"); do
  rm -f "$work/callable.csv" "$work/rejected.csv"
  t0=$(now)
  $bin scrub --campaign bench --input "$work/leads.csv" --at "$at" \
    --callable "$work/callable.csv" --rejected "$work/rejected.csv" --json >"$work/scrub.json"
  sc+=("$(elapsed "$t0")")
done
json_count() { grep -o "\"$1\":[0-9]*" "$work/scrub.json" | head -1 | sed 's/.*://'; }
scrub_rows=$(json_count rows)
scrub_registered=$(json_count registry:us-dnc)
scrub_callable=$(json_count callable)
rm -f "$work/callable.csv" "$work/rejected.csv"

echo "loading the SQLite baseline (untimed)..."
t0=$(now)
sqlite3 "$work/base.db" >/dev/null <<EOF
PRAGMA journal_mode = OFF;
PRAGMA synchronous = OFF;
CREATE TABLE registry (phone INTEGER PRIMARY KEY);
CREATE TABLE leads (lead_id INTEGER PRIMARY KEY, phone INTEGER NOT NULL, first_name TEXT, state TEXT);
.import --csv $work/registry.txt registry
.import --csv --skip 1 $work/leads.csv leads
EOF
sqlite_load_s=$(elapsed "$t0")
sq=()
for i in $(seq "$runs"); do
  t0=$(now)
  sqlite_unregistered=$(sqlite3 "$work/base.db" \
    "SELECT count(*) FROM leads l WHERE NOT EXISTS (SELECT 1 FROM registry r WHERE r.phone = l.phone)")
  sq+=("$(elapsed "$t0")")
done
rm -f "$work/base.db"

sj=()
for i in $(seq "$runs"); do
  t0=$(now)
  LC_ALL=C join -t, -1 2 -2 1 -v 1 \
    <(tail -n +2 "$work/leads.csv" | LC_ALL=C sort -t, -k2,2 -T "$work") \
    <(LC_ALL=C sort -T "$work" "$work/registry.txt") >"$work/join.csv"
  sj+=("$(elapsed "$t0")")
done
join_unregistered=$(wc -l <"$work/join.csv")

m_sc=$(median "${sc[@]}"); m_sq=$(median "${sq[@]}"); m_sj=$(median "${sj[@]}")
printf '\nRegistry: %s numbers; snapshot %s bytes (%.2f bytes a number), loaded from the file in %.1f s\n' \
  "$registry_count" "$snapshot_bytes" "$(echo "$snapshot_bytes / $registry_count" | bc -l)" "$load_s"
printf 'Leads: %s rows; scrub decided %s rows, %s callable, %s on us-dnc; not registered per SQLite %s, per join %s\n' \
  "$lead_count" "$scrub_rows" "$scrub_callable" "$scrub_registered" "$sqlite_unregistered" "$join_unregistered"
if [ $((scrub_rows - scrub_registered)) -ne "$sqlite_unregistered" ] || [ "$sqlite_unregistered" -ne "$join_unregistered" ]; then
  echo "MISMATCH: the three methods disagree on how many leads are not registered" >&2
  exit 1
fi
printf '\nEnd-to-end scrub of %s leads against %s registered numbers (median of %s)\n' "$lead_count" "$registry_count" "$runs"
printf '  telemark scrub --input       %8.3f s  %12.0f rows/s   runs: %s\n' "$m_sc" "$(echo "$lead_count / $m_sc" | bc -l)" "${sc[*]}"
printf '  SQLite NOT EXISTS anti-join  %8.3f s  %12.0f rows/s   runs: %s  (tables loaded in %.0f s, untimed)\n' \
  "$m_sq" "$(echo "$lead_count / $m_sq" | bc -l)" "${sq[*]}" "$sqlite_load_s"
printf '  LC_ALL=C sort | join -v      %8.3f s  %12.0f rows/s   runs: %s\n' "$m_sj" "$(echo "$lead_count / $m_sj" | bc -l)" "${sj[*]}"
printf '  ratio SQLite / scrub         %8.2f x  (target >= 10)\n' "$(echo "$m_sq / $m_sc" | bc -l)"
printf '  ratio sort|join / scrub      %8.2f x  (target > 1)\n' "$(echo "$m_sj / $m_sc" | bc -l)"
