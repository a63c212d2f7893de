#!/usr/bin/env bash
# Python binding: wheels of cffi (and pycparser) for the later CPython
# versions this machine may have (3.12, 3.13), with the pins of
# requirements-dev.txt, so that the abi3 test (bindings/python/wheel_tests/
# test_abi3_pythons.py) installs the securememory wheel into their virtual
# environments offline. Downloaded from PyPI once; fast when present.
set -euo pipefail
[ "$(uname -m)" = x86_64 ] || exit 0
pin() { sed -n "s/^$1==//p" requirements-dev.txt; }
for version in 3.12 3.13; do
  dir=".venv/abi3-wheelhouse/$version"
  ls "$dir"/cffi-"$(pin cffi)"-*.whl >/dev/null 2>&1 && continue
  mkdir -p "$dir"
  .venv/bin/python -m pip download --quiet --disable-pip-version-check --only-binary=:all: \
    --python-version "$version" --implementation cp --platform manylinux2014_x86_64 \
    --dest "$dir" "cffi==$(pin cffi)" "pycparser==$(pin pycparser)"
done
