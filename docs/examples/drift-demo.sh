#!/usr/bin/env bash
# make demo: rehearse next quarter's model update on the embedded mock.
# Replays the labelled retail day (6,000 requests) twice under quarterly-drift,
# once pinned to model 2026.09 and once to 2026.12, and prints each run's
# latency/cost/conformance summary, then the drift (PSI, KS), the fallback
# rate before and after, the threshold that restores it, the threshold for
# 98 % precision against the labels, and where the HTML report is.
# The drift gates are meant to fail here (that is the story): exit 3 is success.
set -uo pipefail
build=${1:-build}
top=$(cd "$(dirname "$0")/../.." && pwd)
out="$top/reports/demo"
rm -rf "$out"
"$top/$build/harness/wxai-harness" run --compare-versions 2026.09,2026.12 \
    --scenario "$top/scenarios/quarterly-drift.yaml" \
    --traffic "$top/fixtures/traffic/retail-day.jsonl" \
    --rate 2000 --target-precision 0.98 --report "$out" \
    --gate 'psi(confidence)<0.1' --gate 'delta(rate(fallback))<2pp'
rc=$?
echo
case $rc in
0 | 1 | 3)
    echo "== the whole comparison: $out/compare.html (and compare.md, compare.json);"
    echo "   each run's report.json: $out/old/ and $out/new/"
    [ $rc = 3 ] && echo "   exit 3: the drift gates failed, as a CI job gating this update would see"
    exit 0 ;;
*) echo "demo: wxai-harness exited $rc" >&2; exit $rc ;;
esac
