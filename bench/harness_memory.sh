#!/bin/sh
# Max RSS of wxai-harness replaying a large traffic file: the harness streams
# the file, so memory must not grow with the number of lines.
#
#   bench/harness_memory.sh [BUILD_DIR] [LINES]
#
# Generates LINES records (default 1,000,000) by repeating the retail-day
# recording, replays them against the embedded mock as fast as possible
# (closed model), and prints max RSS for a 10,000-line and the full file.
set -eu
BUILD=${1:-build}
LINES=${2:-1000000}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
HARNESS=$BUILD/harness/wxai-harness
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

[ -x "$HARNESS" ] || { echo "build wxai-harness first: $HARNESS" >&2; exit 2; }
SRC=$ROOT/fixtures/traffic/retail-day.jsonl
# Every record gets a unique id and at_ms 0: timing plays no part here.
python3 - "$SRC" "$LINES" "$TMP/big.jsonl" <<'PY'
import json, sys
src, n, out = sys.argv[1], int(sys.argv[2]), sys.argv[3]
recs = [json.loads(l) for l in open(src, encoding="utf-8")]
with open(out, "w", encoding="utf-8") as f:
    for i in range(n):
        r = recs[i % len(recs)]
        r["id"] = "big-%07d" % i
        r["at_ms"] = 0
        f.write(json.dumps(r, ensure_ascii=False, separators=(",", ":")) + "\n")
PY
head -n 10000 "$TMP/big.jsonl" > "$TMP/small.jsonl"

rss() {
    /usr/bin/time -f "%M" -o "$TMP/rss" "$HARNESS" run --traffic "$1" --policy direct \
        --concurrency 32 --quiet --report "$TMP/rep" >/dev/null 2>&1 || true
    cat "$TMP/rss"
}
SMALL=$(rss "$TMP/small.jsonl")
BIG=$(rss "$TMP/big.jsonl")
echo "lines      max_rss_kib"
echo "10000      $SMALL"
echo "$LINES    $BIG"
