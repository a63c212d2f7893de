"""Smoke test of an installed securememory: imports it from the given
directory (default: this interpreter's site-packages, i.e. a fresh virtual
environment holding only the wheel and cffi) and uses every object.

    python wheel_smoke.py [SITE_DIR]
"""

import pathlib
import sys
import sysconfig

import securememory as sm

here = pathlib.Path(sm.__file__).resolve()
if len(sys.argv) > 1:
    site = pathlib.Path(sys.argv[1]).resolve()
else:
    site = pathlib.Path(sysconfig.get_paths()["purelib"]).resolve()
assert site in here.parents, f"imported from {here}, not from {site}"
assert (here.parent / "py.typed").exists()

data = bytearray(b"smoke-test secret")
with sm.Secret.from_bytes(data, sm.Kind.ENCLAVE) as s:
    assert data == bytearray(len(data))
    assert s.with_bytes(bytes) == b"smoke-test secret"
    kept = []
    s.with_bytes(kept.append)
    try:
        kept[0][0]
    except ValueError:
        pass
    else:
        raise AssertionError("a kept view must raise ValueError")
with sm.Enclave.random(32) as e, e.open() as b:
    assert len(b.with_bytes(bytes)) == 32
with sm.Stream(16) as st:
    st.write(b"x" * 40)
    assert st.read() == b"x" * 40
p = sm.Secret.random(8)
sm.purge()
assert p.closed
version = sys.version.split()[0]
print(f"smoke ok: securememory {sm.__version__} from {here.parent} on Python {version}")
