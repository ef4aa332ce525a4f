#!/bin/sh
# Scale figures (issue 13): creates a demo store of N events OUTSIDE the repository (default /tmp; set
# SCALE_DIR, e.g. /work/bigdata), then runs bench_views_timeline on it: first open (index built from the
# store), timeline paints, cursor -> state, scrub, stream browser, peak memory, and the later open from the
# cached index. The store is kept for the next run (10M events: about 3.4 GB).
#
#   tests/benchmarks/run_scale_bench.sh [N=10000000] [SCRUB_STEPS=100]
# Environment: BUILD (default build/release), SCALE_DIR (default /tmp).
set -eu
N=${1:-10000000}
STEPS=${2:-100}
BUILD=${BUILD:-build/release}
DIR=${SCALE_DIR:-/tmp}
REPO=$(cd "$(dirname "$0")/../.." && pwd)
case "$(cd "$DIR" && pwd)/" in
"$REPO"/*) echo "refusing to write a big store inside the repository ($DIR)" >&2; exit 2 ;;
esac
STORE="$DIR/chronoscope-scale-$N.chronoscope"
if [ ! -f "$STORE" ]; then
    echo "== writing $STORE"
    /usr/bin/time -f "write: %e s wall, peak RSS %M KB" "$BUILD/app/chronoscope-cli" demo --events "$N" -o "$STORE"
fi
ls -l "$STORE"
echo "== bench_views_timeline"
/usr/bin/time -f "bench: %e s wall, peak RSS %M KB" \
    "$BUILD/tests/benchmarks/bench_views_timeline" --events "$N" --store "$STORE" --scrub-steps "$STEPS"
