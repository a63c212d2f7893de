# Helpers for scripts/test.sh: run suites and keep a running tally.
# Sourced, not executed. Each suite adds to PASSED / FAILED / SKIPPED.

PASSED=0
FAILED=0
SKIPPED=0
LOGDIR=${LOGDIR:-"$root/build-logs"}
mkdir -p "$LOGDIR"

tally() { # tally NAME PASSED FAILED [SKIPPED]
  PASSED=$((PASSED + $2)); FAILED=$((FAILED + $3)); SKIPPED=$((SKIPPED + ${4:-0}))
  printf '== %s: %d passed, %d failed%s\n' "$1" "$2" "$3" "$([ "${4:-0}" -gt 0 ] && echo ", $4 skipped")"
}

# c_build DIR "MESON OPTIONS": configure (once) and compile; a failure counts.
c_build() {
  local dir=$1 opts=$2 log="$LOGDIR/$1-build.log"
  # shellcheck disable=SC2086
  if [ ! -f "$dir/build.ninja" ]; then
    meson setup "$dir" $opts >"$log" 2>&1 || { cat "$log"; tally "configure $dir" 0 1; return 1; }
  elif [ -n "$opts" ]; then # set up earlier (say by demo.sh) with other options
    meson configure "$dir" $opts >"$log" 2>&1 || { cat "$log"; tally "configure $dir" 0 1; return 1; }
  fi
  meson compile -C "$dir" >>"$log" 2>&1 || { tail -50 "$log"; tally "compile $dir" 0 1; return 1; }
}

# c_suite TITLE DIR "MESON TEST ARGS": one meson test run; every TAP subtest counts.
c_suite() {
  local title=$1 dir=$2 args=$3 log
  local slug
  slug=$(echo "$title" | tr -c 'A-Za-z0-9' '_')
  log="$LOGDIR/$slug.log"
  [ -f "$dir/build.ninja" ] || { tally "$title" 0 1; return; }
  echo "-- $title"
  # This run's own TAP log, removed first: a run that stops before writing
  # it must not count an earlier run's results (build/ serves two suites).
  # Meson names it after the log base, plus "-<wrapper>" under --wrapper.
  rm -f "$dir/meson-logs/$slug".txt "$dir/meson-logs/$slug"-*.txt
  eval "meson test -C '$dir' --logbase '$slug' --print-errorlogs --num-processes $jobs $args" >"$log" 2>&1
  local rc=$?
  local tlog
  tlog=$(ls "$dir/meson-logs/$slug".txt "$dir/meson-logs/$slug"-*.txt 2>/dev/null | head -1)
  # Count TAP subtests from meson's log: lines "ok N" / "not ok N" / "# SKIP".
  local ok fail skip
  ok=$(grep -cE '^ok [0-9]+' "$tlog" 2>/dev/null || true)
  fail=$(grep -cE '^not ok [0-9]+' "$tlog" 2>/dev/null || true)
  skip=$(grep -cE '^ok [0-9]+ .*# *SKIP' "$tlog" 2>/dev/null || true)
  ok=$((${ok:-0} - ${skip:-0})); fail=${fail:-0}; skip=${skip:-0} # no log: nothing counted
  # A program that crashed or timed out before printing its plan still fails.
  local progfail
  progfail=$(awk '/^(Fail|Timeout):/ {n += $2} END {print n + 0}' "$log")
  if [ "$rc" -ne 0 ] && [ "$fail" -eq 0 ]; then fail=$((progfail > 0 ? progfail : 1)); fi
  # A suite that counted nothing did not run: that is a failure, not a pass.
  if [ $((ok + fail + skip)) -eq 0 ]; then echo "no TAP results found for $title"; fail=1; fi
  [ "$rc" -ne 0 ] && grep -E '^(not ok|#)|FAIL|TIMEOUT|ERROR' "$log" | head -40
  tally "$title" "$ok" "$fail" "$skip"
}

# install_check: meson install into a prefix, build a C program through pkg-config.
install_check() {
  local prefix="$root/build/install-check" log="$LOGDIR/install-check.log"
  echo "-- install check (meson install + pkg-config)"
  rm -rf "$prefix"
  if meson configure build --prefix "$prefix" --libdir lib >"$log" 2>&1 &&
     meson install -C build --quiet >>"$log" 2>&1 &&
     PKG_CONFIG_PATH="$prefix/lib/pkgconfig" bash -c '
       set -e
       cc -std=c11 -Wall -Wextra -Werror examples/c/hello.c \
          $(pkg-config --cflags securememory) $(pkg-config --libs securememory) -o "$1/hello"
       LD_LIBRARY_PATH="$1/lib" "$1/hello" >/dev/null
       cc -static-libgcc examples/c/hello.c $(pkg-config --cflags securememory) \
          "$1/lib/libsecurememory.a" $(pkg-config --libs libsodium) -pthread -o "$1/hello-static"
       "$1/hello-static" >/dev/null
       objdump -T "$1/lib/libsecurememory.so" | grep -q " sm_secret_new$"
       ! objdump -T "$1/lib/libsecurememory.so" | grep -q " sm__"
     ' _ "$prefix" >>"$log" 2>&1; then
    tally "install check" 1 0
  else
    tail -30 "$log"; tally "install check" 0 1
  fi
}

# script_suites SCRIPT...: each script (bindings/<lang>/tests/run.sh,
# tests/<area>/run.sh) prints "N passed, N failed[, N skipped]" last.
script_suites() {
  local run out line
  for run in "$@"; do
    [ -f "$run" ] || continue
    echo "-- $run"
    out=$(bash "$run" 2>&1 | tee "$LOGDIR/$(echo "$run" | tr '/' '_').log")
    line=$(echo "$out" | grep -E '^[0-9]+ passed, [0-9]+ failed' | tail -1)
    if [ -z "$line" ]; then echo "$out" | tail -30; tally "$run" 0 1; continue; fi
    [ "$(echo "$line" | awk '{print $3}')" = "0" ] || echo "$out" | tail -40
    tally "$run" "$(echo "$line" | awk '{print $1}')" "$(echo "$line" | awk '{print $3}')" \
      "$(echo "$line" | sed -n 's/.*, \([0-9]*\) skipped.*/\1/p' | grep . || echo 0)"
  done
}

summary() {
  echo
  if [ "$SKIPPED" -gt 0 ]; then
    echo "$PASSED passed, $FAILED failed, $SKIPPED skipped"
  else
    echo "$PASSED passed, $FAILED failed"
  fi
  [ "$FAILED" -eq 0 ] && [ "$PASSED" -gt 0 ]
}
