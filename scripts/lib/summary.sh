# suite_summary NAME START PASSED FAILED SKIPPED: a suite script's closing
# lines, "-- NAME: N s" and "N passed, N failed[, N skipped]" (the line
# scripts/test.sh reads), and its status: 0 when nothing failed and
# something passed. Sourced by bindings/*/tests/run.sh.
suite_summary() {
  local name=$1 start=$2 passed=$3 failed=$4 skipped=${5:-0}
  echo "-- $name: $(($(date +%s) - start)) s"
  if [ "$skipped" -gt 0 ]; then
    echo "$passed passed, $failed failed, $skipped skipped"
  else
    echo "$passed passed, $failed failed"
  fi
  [ "$failed" -eq 0 ] && [ "$passed" -gt 0 ]
}
