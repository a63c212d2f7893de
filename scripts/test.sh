#!/usr/bin/env bash
# Set up everything, then run the whole test suite:
#   - the C tests in a normal build, under ASan+UBSan, the thread-heavy suites
#     under TSan, and the foundation suite under valgrind memcheck;
#   - an install check: `meson install` into a prefix, then a C program built
#     against it through pkg-config;
#   - the suites with a runner script of their own: every binding
#     (bindings/*/tests/run.sh) and other areas (tests/*/run.sh: fuzzing, the
#     aarch64 build and register clear).
# Ends with one line "N passed, N failed" summing every suite.
set -uo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
bash scripts/setup.sh || { echo "0 passed, 1 failed"; exit 1; }
export PATH="$root/.venv/bin:$PATH"
# shellcheck source=scripts/lib/suites.sh
source scripts/lib/suites.sh

jobs=$(nproc 2>/dev/null || echo 2)

c_build build "-Dbench=true"
c_suite "C tests (normal build)" build ""
c_build build-asan "-Db_sanitize=address,undefined -Db_lundef=false"
c_suite "C tests (ASan+UBSan)" build-asan ""
c_build build-tsan "-Db_sanitize=thread -Db_lundef=false"
c_suite "C tests (TSan: thread-heavy suites)" build-tsan "--suite secrets --suite enclave --suite secretmem"
c_suite "C tests (valgrind memcheck: foundation)" build \
  "--suite foundation --wrapper 'valgrind -q --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite --child-silent-after-fork=yes' --timeout-multiplier 4"
install_check
script_suites bindings/*/tests/run.sh tests/*/run.sh

summary
