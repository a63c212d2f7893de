"""hello.py — the smallest tour of securememory for Python: secrets.

    python examples/python/hello.py
"""

import hashlib
import hmac

import securememory as sm
from securememory import Kind, Secret, SecretFactory

# A secret made from a bytearray: copied into guarded memory, source zeroed.
password = bytearray(b"correct horse battery staple")
with Secret.from_bytes(password) as secret:
    print(f"source wiped: {'yes' if not any(password) else 'NO'}")
    print(f"{secret!r}")

    # Zero-copy, read-only access: the memoryview is the protected memory.
    fingerprint = secret.with_bytes(lambda mv: hashlib.sha256(mv).hexdigest()[:16])
    print(f"fingerprint: {fingerprint}")

    # The same as a context manager; consume the bytes in place.
    with secret.view() as mv:
        tag = hmac.digest(mv, b"message", "sha256")
    print(f"hmac over a message: {tag.hex()[:16]}...")

    # A kept view is released when the access ends: it raises, never crashes.
    kept = secret.with_bytes(lambda mv: mv)
    try:
        kept[0]
    except ValueError as e:
        print(f"kept view after the access: ValueError ({e})")

    # Copies are yours to wipe: read into a bytearray, then wipe it.
    buf = bytearray(8)
    n = secret.read_into(buf, offset=8)
    print(f"read {n} bytes at offset 8 into a bytearray")
    sm.wipe(buf)

# Closed: the bytes are wiped and the pages released.
try:
    secret.with_bytes(bytes)
except sm.SecretClosedError as e:
    print(f"after close: {e.code}")

# Encrypted at rest, decrypted only while accessed; made by a factory.
factory = SecretFactory(Kind.ENCLAVE)
with factory.create_random(32) as key:
    print(f"random {key.kind.name} key of {len(key)} bytes, "
          f"nonzero: {key.with_bytes(any)}")

# bytes cannot be wiped, so it is refused.
try:
    Secret.from_bytes(b"immutable")
except TypeError as e:
    print(f"bytes refused: {e}")

# purge() wipes everything at once.
a, b = Secret.random(16), Secret.random(16, Kind.ENCLAVE)
sm.purge()
print(f"after purge: closed {a.closed} and {b.closed}; "
      f"live secrets {sm.stats().live_secrets_protected + sm.stats().live_secrets_enclave}")
