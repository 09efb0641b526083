#!/usr/bin/env bash
# The dinner example, end to end against a freshly started wxai-mock:
# token, a sentence that needs a clarifying question (202), the answer (200),
# and the same request with a stricter threshold (form fallback).
set -euo pipefail
build=${1:-build}
top=$(cd "$(dirname "$0")/../.." && pwd)
mock="$top/$build/wxai-mock"
curl_signed="$top/docs/examples/wxai-curl"

out=$(mktemp)
"$mock" --scenario "$top/scenarios/default.yaml" --listen 127.0.0.1:0 >"$out" &
pid=$!
trap 'kill $pid 2>/dev/null; wait $pid 2>/dev/null; rm -f "$out"' EXIT
for _ in $(seq 50); do [ -s "$out" ] && break; sleep 0.1; done
url=$(sed -n '1s/.*"url":"\([^"]*\)".*/\1/p' "$out")
[ -n "$url" ] || { echo "demo: wxai-mock did not start" >&2; exit 1; }
echo "== wxai-mock listening on $url (scenarios/default.yaml)"

say() { printf '\n== %s\n$ %s\n' "$1" "$2"; }
pretty() { python3 -m json.tool 2>/dev/null || cat; }
body_of() { sed '1,/^\r\{0,1\}$/d'; }

text='split the dinner bill from last night between Alice and Bob, with Alice paying the tip'
req="{\"text\":\"$text\",\"payer\":{\"openid\":\"o_carol\"},\"context\":{\"reference_time\":\"2026-12-04T20:00:00+08:00\"}}"

say "1. Ask for a payment intent; the tip rate is ambiguous, so the mock asks" \
    "wxai-curl $url POST /v3/ai/order-routing '$req'"
resp=$("$curl_signed" "$url" POST /v3/ai/order-routing "$req")
printf '%s\n' "$resp" | sed -n '1p;/^Location/p;/^Wechatpay-Signature/p'
printf '%s\n' "$resp" | body_of | pretty
id=$(printf '%s' "$resp" | sed -n 's/.*"clarification_id":"\([^"]*\)".*/\1/p')

ans='{"answers":[{"question_id":"tip_rate","option_id":"15"}]}'
say "2. Answer: 15% tip. The intent is ready: 360 yuan + 54 tip, Alice pays the tip" \
    "wxai-curl $url POST /v3/ai/order-routing/clarifications/$id '$ans'"
"$curl_signed" "$url" POST "/v3/ai/order-routing/clarifications/$id" "$ans" | body_of | pretty

strict='{"text":"pay Bob 128 yuan for lunch","confidence_threshold":0.99}'
say "3. The same kind of request with a 0.99 threshold falls back to a form" \
    "wxai-curl $url POST /v3/ai/order-routing '$strict'"
"$curl_signed" "$url" POST /v3/ai/order-routing "$strict" | body_of | pretty
echo
echo "== done; the signing helper is docs/examples/wxai-curl"
