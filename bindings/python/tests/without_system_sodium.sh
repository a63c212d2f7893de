#!/usr/bin/env bash
# Runs a command where the system's libsodium cannot be loaded, as on a
# machine without it:
#
#   bash without_system_sodium.sh COMMAND [ARG...]
#
# In a new mount namespace (unshare --mount, private propagation: nothing
# leaks to the rest of the machine), /dev/null is bind-mounted over every
# libsodium shared library the dynamic loader knows (its cache, and the
# usual library directories), so loading one fails ("file too short"). The
# command runs with SECUREMEMORY_SYSTEM_SODIUM=hidden in its environment and
# its exit status is returned. Needs root (CAP_SYS_ADMIN), as CI has.
set -euo pipefail
if [ "${_SM_SODIUM_NAMESPACE:-}" != 1 ]; then
  exec env _SM_SODIUM_NAMESPACE=1 unshare --mount --propagation private -- bash "$0" "$@"
fi
unset _SM_SODIUM_NAMESPACE

mapfile -t candidates < <(
  { ldconfig -p | awk '/libsodium\.so/ {print $NF}'
    ls /lib*/libsodium.so* /usr/lib*/libsodium.so* /usr/lib/*-linux-gnu*/libsodium.so* \
      /usr/local/lib*/libsodium.so* 2>/dev/null || true
  } | xargs -r realpath -e 2>/dev/null | sort -u
)
for lib in "${candidates[@]}"; do
  mount --bind /dev/null "$lib"
  [ ! -s "$lib" ] || { echo "without_system_sodium: $lib is still readable" >&2; exit 1; }
  echo "without_system_sodium: hid $lib" >&2
done
export SECUREMEMORY_SYSTEM_SODIUM=hidden
exec "$@"
