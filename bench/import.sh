#!/usr/bin/env bash
# Import benchmark (issue: foundation). Generates a messy 1,000,000-row CSV
# and, in the same run, times:
#   - `telemark import` into a fresh SQLite database (parse, normalize,
#     validate, dedupe, write) vs the sqlite3 shell's own `.import` of the
#     raw file into a plain table (no normalization, no dedupe);
#   - `telemark import` on PostgreSQL vs `COPY ... FROM STDIN` of the raw
#     file (psql \copy) into a plain table, on a throwaway local server;
#   - peak memory (max RSS) of a 10,000,000-row import (streaming).
# Medians of RUNS runs (default 3). ROWS and BIG_ROWS override the sizes.
set -euo pipefail
cd "$(dirname "$0")/.."
bin=${TELEMARK_BIN:-build/release/src/cli/telemark}
rows=${ROWS:-1000000}
big_rows=${BIG_ROWS:-10000000}
runs=${RUNS:-3}
work=$(mktemp -d /tmp/telemark-bench-import.XXXXXX)
chmod 755 "$work"  # the PostgreSQL server runs as the postgres user
pgdir=""
cleanup() {
  if [ -n "$pgdir" ]; then scripts/pg-test-server stop "$pgdir" >/dev/null 2>&1 || true; fi
  rm -rf "$work"
}
trap cleanup EXIT
export TELEMARK_HOME="$PWD"

now() { date +%s.%N; }
median() { printf '%s\n' "$@" | sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
elapsed() { local t0=$1; local t1; t1=$(now); echo "$t1 - $t0" | bc -l; }

csv="$work/leads.csv"
echo "generating $rows rows..."
# --uniform: every row has the header's column count, which COPY requires.
$bin generate leads "$csv" --rows "$rows" --seed 42 --delimiter ';' --uniform 2>/dev/null
size=$(stat -c %s "$csv")
echo "file: $csv, $rows rows, $((size / 1048576)) MiB"

header=$(head -1 "$csv" | tr -d '\r')
cols=$(echo "$header" | tr ';' '\n' | awk '{printf "%sc%d text", (NR>1?", ":""), NR}')
phone_col=$(echo "$header" | tr ';' '\n' | awk '/^Telefono$/ {print "c" NR}')
tm=(); sq=(); sx=()
for i in $(seq "$runs"); do
  rm -f "$work/t.db"*
  t0=$(now); $bin --db "$work/t.db" import "$csv" --list bench --region US >/dev/null 2>&1; tm+=("$(elapsed "$t0")")
  rm -f "$work/s.db"*
  t0=$(now); sqlite3 "$work/s.db" ".mode csv" ".separator ;" ".import $csv raw" 2>/dev/null; sq+=("$(elapsed "$t0")")
  # Second baseline: the same raw load, with one index on the phone column
  # (Telemark keeps a unique (list, phone) index, which every lookup needs).
  rm -f "$work/x.db"*
  sqlite3 "$work/x.db" "CREATE TABLE raw ($cols); CREATE INDEX raw_phone ON raw ($phone_col);"
  t0=$(now); sqlite3 "$work/x.db" ".mode csv" ".separator ;" ".import --skip 1 $csv raw" 2>/dev/null; sx+=("$(elapsed "$t0")")
done
imported=$($bin --db "$work/t.db" leads --count)
m_tm=$(median "${tm[@]}"); m_sq=$(median "${sq[@]}"); m_sx=$(median "${sx[@]}")
printf '\nSQLite (%s rows, median of %s)\n' "$rows" "$runs"
printf '  telemark import           %8.3f s  (%s leads kept)  runs: %s\n' "$m_tm" "$imported" "${tm[*]}"
printf '  sqlite3 .import (raw)     %8.3f s  runs: %s\n' "$m_sq" "${sq[*]}"
printf '  ratio telemark/sqlite3    %8.2f x  (target <= 1.5)\n' "$(echo "$m_tm / $m_sq" | bc -l)"
printf '  sqlite3 .import, indexed  %8.3f s  runs: %s\n' "$m_sx" "${sx[*]}"
printf '  ratio telemark/indexed    %8.2f x\n' "$(echo "$m_tm / $m_sx" | bc -l)"

pgdir="$work/pg"
# A production-sized buffer cache; fsync stays off (scripts/pg-test-server).
url=$(PG_TEST_SERVER_OPTIONS="-c shared_buffers=1GB -c max_wal_size=4GB" scripts/pg-test-server start "$pgdir")
tp=(); cp=(); cx=()
for i in $(seq "$runs"); do
  psql -q "$url" -c "DROP SCHEMA IF EXISTS public CASCADE; CREATE SCHEMA public;" >/dev/null
  t0=$(now); $bin --db "$url" import "$csv" --list bench --region US >/dev/null; tp+=("$(elapsed "$t0")")
  psql -q "$url" -c "DROP TABLE IF EXISTS raw; CREATE TABLE raw ($cols);" >/dev/null
  t0=$(now); psql -q "$url" -c "\\copy raw FROM '$csv' WITH (FORMAT csv, HEADER true, DELIMITER ';')" >/dev/null; cp+=("$(elapsed "$t0")")
  psql -q "$url" -c "DROP TABLE raw; CREATE TABLE raw ($cols); CREATE INDEX ON raw ($phone_col);" >/dev/null
  t0=$(now); psql -q "$url" -c "\\copy raw FROM '$csv' WITH (FORMAT csv, HEADER true, DELIMITER ';')" >/dev/null; cx+=("$(elapsed "$t0")")
done
m_tp=$(median "${tp[@]}"); m_cp=$(median "${cp[@]}"); m_cx=$(median "${cx[@]}")
printf '\nPostgreSQL (%s rows, median of %s)\n' "$rows" "$runs"
printf '  telemark import           %8.3f s  runs: %s\n' "$m_tp" "${tp[*]}"
printf '  COPY FROM STDIN (raw)     %8.3f s  runs: %s\n' "$m_cp" "${cp[*]}"
printf '  ratio telemark/COPY       %8.2f x  (target <= 2)\n' "$(echo "$m_tp / $m_cp" | bc -l)"
printf '  COPY, indexed phone       %8.3f s  runs: %s\n' "$m_cx" "${cx[*]}"
printf '  ratio telemark/indexed    %8.2f x\n' "$(echo "$m_tp / $m_cx" | bc -l)"
scripts/pg-test-server stop "$pgdir" >/dev/null; pgdir=""

if [ "$big_rows" -gt 0 ]; then
  big="$work/big.csv"
  rm -f "$csv" "$work"/*.db*
  echo
  echo "generating $big_rows rows for the memory check..."
  $bin generate leads "$big" --rows "$big_rows" --seed 43 --delimiter ';' 2>/dev/null
  /usr/bin/time -v $bin --db "$work/big.db" import "$big" --list big --region US >/dev/null 2>"$work/time.txt"
  rss_kb=$(awk -F': ' '/Maximum resident set size/ {print $2}' "$work/time.txt")
  wall=$(awk -F': ' '/Elapsed \(wall clock\)/ {print $2}' "$work/time.txt")
  printf '\nPeak memory, %s-row import: %d MB max RSS (target < 300 MB), wall %s\n' "$big_rows" $((rss_kb / 1024)) "$wall"
fi
