#!/usr/bin/env bash
# The fuzzing suite (issue 12, section 2; docs/fuzzing.md):
#   1. builds the libFuzzer targets with clang in build-fuzz/ (meson -Dfuzz=true);
#   2. replays each target's committed corpus (tests/fuzz/corpus/<target>/)
#      and every regression input (tests/fuzz/regressions/<target>/*), one
#      result per input: a regression input fails until its bug is fixed;
#   3. fuzzes each target for FUZZ_SECONDS (default 60) from that corpus,
#      failing on any finding (crash, broken invariant, leak, timeout,
#      out-of-memory); artifacts go to build-fuzz/fuzz-artifacts/<target>/.
# The last line is "N passed, N failed"; the exit status is nonzero on any failure.
# FUZZ_TARGETS="api tamper" limits the targets; FUZZ_SECONDS=0 only replays.
set -uo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"
export PATH="$root/.venv/bin:$PATH"
build=build-fuzz
seconds=${FUZZ_SECONDS:-60}
targets=${FUZZ_TARGETS:-"api tamper vectors"}
passed=0
failed=0

pass() { passed=$((passed + 1)); echo "ok - $1"; }
fail() { failed=$((failed + 1)); echo "not ok - $1"; }
finish() { echo "$passed passed, $failed failed"; [ "$failed" -eq 0 ] && [ "$passed" -gt 0 ]; exit $?; }

export ASAN_OPTIONS="detect_leaks=1:abort_on_error=1:symbolize=1:${ASAN_OPTIONS:-}"
export UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1:${UBSAN_OPTIONS:-}"

# -- build ----------------------------------------------------------------
log="$build/fuzz-build.log"
mkdir -p "$build"
if [ ! -f "$build/build.ninja" ]; then
  CC=clang meson setup "$build" -Dfuzz=true -Dtests=false -Dexamples=false \
    -Db_sanitize=address,undefined -Db_lundef=false \
    -Dc_args='-fsanitize=fuzzer-no-link -fno-sanitize-recover=undefined' >"$log" 2>&1 ||
    { tail -30 "$log"; fail "configure $build (CC=clang)"; finish; }
fi
if ! nice -n 10 ninja -C "$build" >>"$log" 2>&1; then
  grep -E "error|FAILED" -A5 "$log" | head -40
  fail "build the fuzz targets"
  finish
fi

# Per-target libFuzzer options: input size bound, dictionary.
options() {
  case $1 in
    api) echo "-max_len=4096" ;;
    tamper) echo "-max_len=1024" ;;
    vectors) echo "-max_len=8192 -dict=tests/fuzz/vectors/json.dict" ;;
  esac
}

# replay TARGET NAME INPUT...: the inputs run once each; any finding fails.
replay() {
  local t=$1 name=$2 out
  shift 2
  out=$("$build/tests/fuzz/fuzz_$t" -runs=1 "$@" 2>&1)
  if [ $? -eq 0 ]; then
    pass "$name"
  else
    echo "$out" | grep -E "FUZZ FINDING|ERROR|SUMMARY|Running:" | head -20
    fail "$name"
  fi
}

for t in $targets; do
  corpus="tests/fuzz/corpus/$t"
  # -- replay the corpus and each regression input ------------------------
  replay "$t" "fuzz_$t: replay corpus ($(ls "$corpus" | wc -l) inputs)" "$corpus"/*
  for input in tests/fuzz/regressions/"$t"/*; do
    [ -f "$input" ] || continue
    replay "$t" "fuzz_$t: regression $(basename "$input")" "$input"
  done
  [ "$seconds" -gt 0 ] || continue
  # -- fuzz: new units go to a scratch corpus, never to the committed one ---
  work="$build/fuzz-work/$t"
  artifacts="$build/fuzz-artifacts/$t"
  mkdir -p "$work" "$artifacts"
  flog="$build/fuzz-$t.log"
  # shellcheck disable=SC2046
  nice -n 10 "$build/tests/fuzz/fuzz_$t" $(options "$t") -max_total_time="$seconds" \
    -timeout=25 -rss_limit_mb=2048 -print_final_stats=1 -artifact_prefix="$artifacts/" \
    "$work" "$corpus" >"$flog" 2>&1
  rc=$?
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$flog")
  rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$flog")
  cov=$(grep -oE 'cov: [0-9]+' "$flog" | tail -1)
  summary="fuzz_$t: ${seconds} s, ${execs:-?} runs, ${rate:-?} exec/s, ${cov:-cov: ?}"
  if [ "$rc" -eq 0 ] && ! grep -qE "ERROR: libFuzzer|FUZZ FINDING|SUMMARY: " "$flog"; then
    pass "$summary"
  else
    grep -E "FUZZ FINDING|ERROR|SUMMARY|Test unit written" "$flog" | head -20
    echo "  (log: $flog; replay: $build/tests/fuzz/fuzz_$t <artifact>, SM_FUZZ_TRACE=1 to trace)"
    fail "$summary"
  fi
done
finish
