#!/bin/sh
# Build the libFuzzer harnesses into $OUT (default: build-fuzz/) and run each for
# ${SECS:-120} seconds. Not part of ctest; crashes found here become Check tests.
set -e
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
OUT=${OUT:-$ROOT/build-fuzz}
SECS=${SECS:-120}
mkdir -p "$OUT"
CC=${CC:-clang}
FLAGS="-g -O1 -std=c11 -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined -I$ROOT/lib -I$ROOT/server -I$ROOT/harness $(pkg-config --cflags libcjson yaml-0.1)"
LIBS="$(pkg-config --libs libcjson yaml-0.1 libcrypto) -lm -lpthread"
LIBSRC=$(ls "$ROOT"/lib/*.c)
SRVSRC=$(ls "$ROOT"/server/*.c | grep -v '/main.c$')
build() { name=$1; shift; $CC $FLAGS -o "$OUT/$name" "$ROOT/tests/fuzz/$name.c" "$@" $LIBS; }
build fuzz_json $LIBSRC
build fuzz_small $LIBSRC
build fuzz_scenario $LIBSRC $SRVSRC -lcivetweb
build fuzz_traffic $LIBSRC "$ROOT/harness/traffic.c" "$ROOT/harness/gate.c"
DIRFIX="-DFUZZ_DIRECTORY=\"$ROOT/fixtures/directory.yaml\""
build fuzz_model $DIRFIX $LIBSRC $SRVSRC -lcivetweb
build fuzz_fraud $DIRFIX $LIBSRC $SRVSRC -lcivetweb
[ "$1" = build ] && exit 0
for f in fuzz_json fuzz_small fuzz_scenario fuzz_traffic fuzz_model fuzz_fraud; do
    mkdir -p "$OUT/corpus-$f"
    # tests/fuzz/seeds/<name>/ is read-only seed input; new units go to the first dir
    SEEDS=; [ -d "$ROOT/tests/fuzz/seeds/$f" ] && SEEDS="$ROOT/tests/fuzz/seeds/$f"
    (cd "$OUT" && ./$f -max_total_time="$SECS" -timeout=10 -rss_limit_mb=2048 "corpus-$f" $SEEDS) || echo "$f: crash, see $OUT"
done
