#!/usr/bin/env bash
# Seed the `city` demo (2,000,000 residents) into the PostgreSQL database used by the benchmarks (bench/BENCHMARKS.md).
#
#   bash bench/seed_city.sh                 # drop and recreate xinli_bench, then seed it (15-30 minutes)
#   KEEP=1 bash bench/seed_city.sh          # keep the database (seed_demo reuses an already seeded city)
#   BENCH_SIZE=small BENCH_DB=xinli_bench_small BENCH_ACCOUNTS=var/bench-small-accounts.json bash bench/seed_city.sh
#
# PostgreSQL on 127.0.0.1:5432, user postgres, trust authentication. Only ever talks to 127.0.0.1.
set -euo pipefail
cd "$(dirname "$0")/.."

PY=${PY:-.venv/bin/python}
DB=${BENCH_DB:-xinli_bench}
SIZE=${BENCH_SIZE:-city}
SEED=${BENCH_SEED:-1}
ACCOUNTS=${BENCH_ACCOUNTS:-var/bench-accounts.json}
PG=(psql -h 127.0.0.1 -p 5432 -U postgres -v ON_ERROR_STOP=1 -X -q)

case "$DB" in
  *[!a-z0-9_]*|"") echo "BENCH_DB must be a plain lower-case identifier" >&2; exit 2 ;;
esac

export DATABASE_URL="postgres://postgres@127.0.0.1:5432/$DB"
export XINLI_KEY_FILE=${XINLI_KEY_FILE:-var/bench-keys.json}
export XINLI_DEMO=1

echo "== $(date -Is) seed_city: database $DB, size $SIZE, seed $SEED"
if [[ "${KEEP:-0}" == "1" ]]; then
  if ! "${PG[@]}" -d postgres -tAc "SELECT 1 FROM pg_database WHERE datname = '$DB'" | grep -q 1; then
    "${PG[@]}" -d postgres -c "CREATE DATABASE $DB"
  fi
else
  "${PG[@]}" -d postgres -c "DROP DATABASE IF EXISTS $DB WITH (FORCE)"
  "${PG[@]}" -d postgres -c "CREATE DATABASE $DB"
  rm -f "$ACCOUNTS"  # the accounts belong to the database just dropped
fi

# The key file is kept if it exists (generate_keys never overwrites one), so KEEP=1 runs can still decrypt.
"$PY" manage.py generate_keys --file "$XINLI_KEY_FILE"
"$PY" manage.py migrate --noinput -v 0

start=$(date +%s)
"$PY" manage.py seed_demo --size "$SIZE" --seed "$SEED" --accounts-file "$ACCOUNTS" | tee "var/bench-seed-$DB.out"
end=$(date +%s)
echo "== seed_demo wall time: $((end - start)) s (including the tree and the 20 demo accounts)"
grep -E "residents/s" "var/bench-seed-$DB.out" | sed 's/^/RESULT /' || echo "RESULT (no residents/s line: the city was already seeded)"

echo "== $(date -Is) VACUUM ANALYZE"
vstart=$(date +%s)
"${PG[@]}" -d "$DB" -c "VACUUM ANALYZE"
echo "== VACUUM ANALYZE: $(( $(date +%s) - vstart )) s"

"${PG[@]}" -d "$DB" -c "
SELECT relname AS table, n_live_tup AS rows, pg_size_pretty(pg_total_relation_size(relid)) AS total_size
FROM pg_stat_user_tables
WHERE relname IN ('archives_person', 'archives_populationtag', 'archives_consent', 'core_auditentry', 'regions_orgunit')
ORDER BY relname"
echo "== $(date -Is) done"
