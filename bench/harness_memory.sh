#!/bin/sh
# Max RSS of wxai-harness replaying a large traffic file: the harness streams
# the file, so memory must not grow with the number of lines.
#
#   bench/harness_memory.sh [BUILD_DIR] [LINES]
#
# Generates LINES records (default 1,000,000) by repeating the retail-day
# recording and replays them as fast as possible (closed model, 32 slots),
# printing max RSS for a 10,000-line file and the full one: once with the
# mock in-process (the embedded default: both programs in one process) and
# once against a separately started wxai-mock (the harness alone).
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

MOCK=$BUILD/wxai-mock
# Exit status 1 (a check failed) is not a failure of the benchmark.
rss() {
    /usr/bin/time -f "%M" -o "$TMP/rss" "$HARNESS" run --traffic "$@" --policy direct \
        --concurrency 32 --quiet --report "$TMP/rep" >/dev/null 2>&1 || true
    tail -n 1 "$TMP/rss"
}
"$MOCK" --threads 48 > "$TMP/mock.out" &
MOCK_PID=$!
trap 'kill $MOCK_PID 2>/dev/null; rm -rf "$TMP"' EXIT
sleep 1
URL=$(head -n 1 "$TMP/mock.out" | sed 's/.*"url":"\([^"]*\)".*/\1/')

echo "lines      embedded_max_rss_kib  harness_alone_max_rss_kib"
echo "10000      $(rss "$TMP/small.jsonl")  $(rss "$TMP/small.jsonl" --target "$URL")"
echo "$LINES    $(rss "$TMP/big.jsonl")  $(rss "$TMP/big.jsonl" --target "$URL")"
