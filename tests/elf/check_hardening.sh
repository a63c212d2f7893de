#!/usr/bin/env bash
# Checks the hardening of a built ELF object (TAP output):
#   check_hardening.sh FILE OPTIMIZATION [COMPILE_COMMANDS_JSON]
# - immediate binding: BIND_NOW, or NOW in FLAGS / FLAGS_1 (readelf -d);
# - full RELRO: a GNU_RELRO segment plus immediate binding (readelf -l);
# - a non-executable stack: GNU_STACK without E (readelf -l);
# - no text relocations (readelf -d);
# - the stack protector: __stack_chk_fail referenced (readelf --dyn-syms);
# - _FORTIFY_SOURCE=2 in optimised builds (OPTIMIZATION not plain, 0 or g).
#   The object shows it only where a call could be checked (a __*_chk
#   import), and the library has none, so the compile database is read:
#   every command that compiled a core source defined it.
set -uo pipefail
file=$1 opt=${2:-2} db=${3:-}
n=0 failed=0
check() { # check DESCRIPTION COMMAND...
  n=$((n + 1))
  if "${@:2}" >/dev/null 2>&1; then echo "ok $n - $1"; else echo "not ok $n - $1"; failed=1; fi
}
dyn=$(readelf -dW "$file") || { echo "1..0 # readelf failed on $file"; exit 1; }
segs=$(readelf -lW "$file")
syms=$(readelf --dyn-syms -W "$file")
now() { grep -qE '\(BIND_NOW\)|\(FLAGS\).*\bNOW\b|\(FLAGS_1\).*\bNOW\b' <<<"$dyn"; }
relro() { grep -qE '^\s*GNU_RELRO\b' <<<"$segs"; }
stack_nx() { grep -E '^\s*GNU_STACK\b' <<<"$segs" | grep -qvE '\bRWE\b|\bE\b'; }
no_textrel() { ! grep -qE '\(TEXTREL\)|\(FLAGS\).*TEXTREL' <<<"$dyn"; }
protector() { grep -qE '\b__stack_chk_fail\b' <<<"$syms"; }
fortified() { # every compile of core/src/ has -D_FORTIFY_SOURCE=2 (and there is one)
  python3 - "$db" <<'PY'
import json, sys
cmds = [c for c in json.load(open(sys.argv[1])) if "/core/src/" in c["file"]]
sys.exit(0 if cmds and all("-D_FORTIFY_SOURCE=2" in c["command"] for c in cmds) else 1)
PY
}
echo "# $file"
check "immediate binding (BIND_NOW)" now
check "full RELRO (GNU_RELRO with BIND_NOW)" relro
check "non-executable stack (GNU_STACK without E)" stack_nx
check "no text relocations" no_textrel
check "stack protector (__stack_chk_fail)" protector
case "$opt" in
  plain | 0 | g) echo "ok $((n += 1)) - _FORTIFY_SOURCE # SKIP not an optimised build ($opt)" ;;
  *) check "_FORTIFY_SOURCE=2 (every core source compiled with it)" fortified ;;
esac
echo "1..$n"
exit $failed
