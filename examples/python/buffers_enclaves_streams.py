"""buffers_enclaves_streams.py — guarded buffers, enclaves and streams.

    python examples/python/buffers_enclaves_streams.py
"""

import hashlib

import securememory as sm
from securememory import Buffer, Enclave, Stream

# A guarded buffer: writable through a zero-copy view, then frozen.
with Buffer.new(32) as buf:
    with buf.view() as mv:
        mv[:12] = b"session-key!"
    buf.freeze()
    buf.check()  # CanaryError if something wrote before the data
    print(f"{buf!r}, canary intact")
    try:
        with buf.view() as mv:
            mv[0] = 0
    except TypeError:
        print("a frozen buffer's view is read-only")

    # Sealing encrypts the data into an enclave and destroys the buffer.
    enclave = buf.seal()
    print(f"sealed into {enclave!r}; buffer alive: {buf.alive}")

with enclave:
    with enclave.open() as plain:  # decrypted into a new read-only buffer
        print(f"opened: {plain.with_bytes(bytes)[:12]!r}")

# A stream keeps large data as sealed chunks; only one chunk is ever
# decrypted at a time.
payload = bytes(range(256)) * 400  # 100 KiB
with Stream(chunk_size=16 * 1024) as stream:
    stream.write(payload)
    print(f"stream holds {len(stream)} bytes in chunks of {stream.chunk_size}")
    h = hashlib.sha256()
    with stream.next() as first:  # the first chunk, as a read-only guarded buffer
        print(f"first chunk: {len(first)} bytes")
        first.with_bytes(h.update)  # hashed in place, no copy
    sink = bytearray(10_000)
    while (n := stream.readinto(sink)) > 0:
        h.update(memoryview(sink)[:n])
    sm.wipe(sink)
    print(f"stream drained, digest matches: {h.digest() == hashlib.sha256(payload).digest()}")

# Enclaves sealed before a purge cannot be opened afterwards.
old = Enclave.from_bytes(bytearray(b"before the purge"))
sm.purge()
try:
    old.open()
except sm.AuthenticationError as e:
    print(f"after purge: {e.code}")
old.close()
print(f"stats: {sm.stats()}")
