#!/usr/bin/env bash
# The openai SDK test (ctest sdk_openai): install the pinned SDK into tests/node/node_modules
# (git-ignored) when it is missing, start the real wxai-mock on port 0 with the scenario,
# run node --test against it, stop the mock.
#   tests/node/run.sh WXAI_MOCK_BIN SCENARIO
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
mock_bin="$1"
scenario="$2"

if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
    echo "sdk test: node and npm are needed (make deps installs them)" >&2
    exit 77 # ctest SKIP_RETURN_CODE
fi
if [ ! -f "$here/node_modules/openai/package.json" ]; then
    # one installer at a time: the plain and the sanitizer build may run this at once
    (
        flock 9
        if [ ! -f "$here/node_modules/openai/package.json" ]; then
            cd "$here" && npm ci --no-audit --no-fund --loglevel=error >&2
        fi
    ) 9>"${TMPDIR:-/tmp}/wxai-mock-sdk-npm.lock"
fi

work="$(mktemp -d)"
mock_pid=""
cleanup() {
    if [ -n "$mock_pid" ]; then
        kill "$mock_pid" 2>/dev/null || true
        wait "$mock_pid" 2>/dev/null || true
    fi
    rm -rf "$work"
}
trap cleanup EXIT

"$mock_bin" --scenario "$scenario" --listen 127.0.0.1:0 >"$work/out" 2>"$work/err" &
mock_pid=$!
url=""
for _ in $(seq 1 100); do
    url="$(sed -n 's/^{"event":"listening","url":"\([^"]*\)".*/\1/p' "$work/out" | head -n 1)"
    [ -n "$url" ] && break
    if ! kill -0 "$mock_pid" 2>/dev/null; then
        echo "sdk test: wxai-mock exited before listening:" >&2
        cat "$work/err" >&2
        exit 1
    fi
    sleep 0.1
done
if [ -z "$url" ]; then
    echo "sdk test: wxai-mock did not report a URL in 10 s" >&2
    exit 1
fi

cd "$here"
WXAI_MOCK_URL="$url" node --test sdk.test.mjs
