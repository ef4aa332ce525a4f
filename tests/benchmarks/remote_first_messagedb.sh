#!/usr/bin/env bash
# Remote-first benchmark (issue 13 item 5): a Message DB of N messages (default 20,000,000) loaded by a
# bulk COPY into message_store.messages, then bench_remote_first opens it remote-first and reports
# open -> first density / stream list times and the local cache size.
#   tests/benchmarks/remote_first_messagedb.sh load   [N]   # a throwaway PostgreSQL under $WORK, N messages
#   tests/benchmarks/remote_first_messagedb.sh run          # measure (builds bench_remote_first)
#   tests/benchmarks/remote_first_messagedb.sh index        # plays the administrator: adds the BRIN index on
#                                                           # time that the advice names (Chronoscope never does)
#   ARGS="--no-exact --scrub 0" ... run                     # arguments for bench_remote_first
#   tests/benchmarks/remote_first_messagedb.sh stop         # stops the server, deletes $WORK
# Environment: WORK (default /tmp/chronoscope-remote-first), BUILD (default build/release).
# The loader drops Message DB's indexes, COPYs, then recreates them with Message DB's own index scripts
# (as a bulk restore would) and VACUUM ANALYZEs; the database is never part of the test suite.
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=$PWD
BUILD=${BUILD:-$ROOT/build/release}
WORK=${WORK:-/tmp/chronoscope-remote-first}
FIXTURE=$ROOT/tests/fixtures/remote_postgres.sh
cmd=${1:?load|run|stop}

if [ "$cmd" = stop ]; then
  bash "$FIXTURE" stop "$WORK/postgres"
  rm -rf "$WORK"
  exit 0
fi

port() { cat "$WORK/postgres/port"; }

if [ "$cmd" = load ]; then
  N=${2:-20000000}
  mkdir -p "$WORK"
  # The fixture script keeps its npm tarball next to the fixture directory.
  [ -s "$WORK/eventide-message-db-1.3.1.tgz" ] || cp "$BUILD/tests/remote-fixtures/eventide-message-db-1.3.1.tgz" "$WORK/" 2>/dev/null || true
  bash "$FIXTURE" start "$WORK/postgres"
  export PGHOST=127.0.0.1 PGPORT=$(port) PGUSER=postgres PGDATABASE=message_store
  MDB=$WORK/postgres/message-db/package/database
  t0=$(date +%s)
  psql -q -v ON_ERROR_STOP=1 <<'SQL'
DROP INDEX IF EXISTS message_store.messages_category;
DROP INDEX IF EXISTS message_store.messages_id;
DROP INDEX IF EXISTS message_store.messages_stream;
ALTER TABLE message_store.messages DROP CONSTRAINT IF EXISTS messages_pkey;
TRUNCATE message_store.messages;
SQL
  # 20 categories x 10,000 streams; time rises with global_position over one year in monthly waves.
  psql -q -v ON_ERROR_STOP=1 -c "COPY (
      SELECT i, i / 200000, (timestamp '2026-01-01' + (365 * 86400) * ((i::float8 / $N) +
               0.8 * sin(2 * pi() * 12 * i::float8 / $N) / (2 * pi() * 12)) * interval '1 second'),
             'cat' || (i % 20) || '-' || ((i / 20) % 10000), 'Type' || (i % 7),
             ('{\"amount\":' || (i % 1000) || ',\"note\":\"benchmark message\"}')::jsonb,
             ('{\"traceId\":\"t' || i || '\"}')::jsonb, md5(i::text)::uuid
        FROM generate_series(1, $N) i) TO STDOUT" |
    psql -q -v ON_ERROR_STOP=1 -c "COPY message_store.messages (global_position, position, time, stream_name, type, data, metadata, id) FROM STDIN"
  t1=$(date +%s)
  psql -q -v ON_ERROR_STOP=1 -c "SET maintenance_work_mem = '1GB'" \
    -c "ALTER TABLE message_store.messages ADD PRIMARY KEY (global_position)"
  for f in messages-id messages-stream messages-category; do
    psql -q -v ON_ERROR_STOP=1 -c "SET maintenance_work_mem = '1GB'" -f "$MDB/indexes/$f.sql"
  done
  psql -q -v ON_ERROR_STOP=1 -c "SELECT setval('message_store.messages_global_position_seq', $N)" >/dev/null
  psql -q -v ON_ERROR_STOP=1 -c "VACUUM ANALYZE message_store.messages"
  t2=$(date +%s)
  echo "loaded $N messages: COPY $((t1 - t0)) s, indexes + VACUUM ANALYZE $((t2 - t1)) s"
  psql -Atc "SELECT pg_size_pretty(pg_total_relation_size('message_store.messages'))"
  exit 0
fi

if [ "$cmd" = index ]; then
  t0=$(date +%s%N)
  psql -h 127.0.0.1 -p "$(port)" -U postgres -d message_store -v ON_ERROR_STOP=1 \
    -c 'CREATE INDEX CONCURRENTLY IF NOT EXISTS messages_time_brin ON "message_store"."messages" USING brin ("time")'
  echo "BRIN index on time: $(( ($(date +%s%N) - t0) / 1000000 )) ms, $(psql -h 127.0.0.1 -p "$(port)" -U postgres \
    -d message_store -Atc "SELECT pg_size_pretty(pg_relation_size('message_store.messages_time_brin'))")"
  exit 0
fi

if [ "$cmd" = run ]; then
  cmake --build "$BUILD" --target bench_remote_first >/dev/null
  # The exact whole-store density reads every row: a long statement timeout (ms).
  # shellcheck disable=SC2086
  "$BUILD/tests/benchmarks/bench_remote_first" "postgresql://postgres@127.0.0.1:$(port)/message_store?timeout=600000${QUERY:-}" ${ARGS:-}
  exit 0
fi
echo "unknown command $cmd" >&2
exit 2
