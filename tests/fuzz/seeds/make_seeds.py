#!/usr/bin/env python3
"""Writes the seed corpora of tests/fuzz/corpus/ from readable descriptions.

Each seed of the interpreter (fuzz_api) and of the corruption target
(fuzz_tamper) is a sequence of operations written with the helpers below,
which lay out the bytes exactly as the targets read them (see the layout
comment above each operation in tests/fuzz/api/ops_*.c and the reads in
tests/fuzz/tamper/). The vector-parser seeds (fuzz_vectors) are single
scenarios taken from tests/vectors/*.json, the self-check files of
tests/c/vectors/selfcheck/, and a few edge cases of the JSON grammar.

Run it after changing a layout: python3 tests/fuzz/seeds/make_seeds.py
(then check with SM_FUZZ_TRACE=1 that each seed still does what it says).
"""
import json
import os
import struct
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
FUZZ = os.path.dirname(HERE)
ROOT = os.path.dirname(os.path.dirname(FUZZ))


def u8(v):
    return bytes([v & 0xFF])


def u16(v):
    return struct.pack("<H", v & 0xFFFF)


def u32(v):
    return struct.pack("<I", v & 0xFFFFFFFF)


# ---------------------------------------------------------------- lengths (fz_len)
PAGE_DELTAS = [0, 1, -1, 15, -15, 16, -16, 17, -17]
POOL_DELTAS = [-17, -16, -15, 0, 1]


def small(n):  # 1..64
    assert 1 <= n <= 64
    return u8(0) + u8(n - 1)


def byte_len(n):  # 1..256
    assert 1 <= n <= 256
    return u8(13) + u8(n - 1)


def pages(k, delta=0):  # k pages + delta, k in 0..3
    return u8(6) + u8(k) + u8(PAGE_DELTAS.index(delta))


def any_len(n):  # 1 .. 4 pages
    return u8(9) + u32(n - 1)


def pool_edge(delta):  # 512 pages + delta (canary included: -16 fills the slot)
    return u8(10) + u8(POOL_DELTAS.index(delta))


def zero_len():
    return u8(11)


def impossible(i=0):  # SIZE_MAX, SIZE_MAX-1, SIZE_MAX-15, SIZE_MAX-16, SIZE_MAX/2+1, 2^63
    return u8(12) + u8(i)


# ---------------------------------------------------------------- memory (mem_choice)
def heap(seed=1):
    return u8(0) + u8(0) + u16(seed) + u32(0)


def from_buffer(slot, off=0):
    return u8(1) + u8(slot) + u16(0) + u32(off)


def from_view(slot, off=0):
    return u8(2) + u8(slot) + u16(0) + u32(off)


# ---------------------------------------------------------------- fuzz_api operations
OPS = [
    "buffer_new", "buffer_read", "buffer_write", "buffer_protect", "buffer_check",
    "buffer_destroy", "buffer_free", "buffer_seal", "buffer_break_canary",
    "secret_new", "secret_acquire", "secret_release", "secret_with_bytes", "secret_read",
    "secret_close", "secret_free", "secret_state",
    "enclave_new", "enclave_open", "enclave_open_into", "enclave_free",
    "stream_new", "stream_write", "stream_read", "stream_take", "stream_free",
    "purge", "rekey", "stats", "null_handles", "status_names", "fault",
]


def op(name, *fields):
    return u8(OPS.index(name)) + b"".join(fields)


NEW, RANDOM, FROM_BYTES = 0, 1, 2
NONE, READ, READWRITE = 0, 1, 2
PROTECTED, ENCLAVE, BAD_KIND = 0, 1, 7
OK = 1  # a variant byte that is not the "NULL argument" variant (% 16 != 0)


def buffer_new(slot, how, length, mem=None):
    return op("buffer_new", u8(slot), u8(how), length, mem or heap())


def buffer_read(slot):
    return op("buffer_read", u8(slot))


def buffer_write(slot, off, n, seed=7):
    return op("buffer_write", u8(slot), u32(off), u32(n - 1), u16(seed))


def protect(slot, prot):
    return op("buffer_protect", u8(slot), u8(prot))


def check(slot):
    return op("buffer_check", u8(slot))


def destroy(slot):
    return op("buffer_destroy", u8(slot))


def buffer_free(slot):
    return op("buffer_free", u8(slot))


def seal(bslot, eslot, no_out=False):
    return op("buffer_seal", u8(bslot), u8(eslot), u8(0 if no_out else OK))


def break_canary(slot, back, mask):
    return op("buffer_break_canary", u8(slot), u8(back - 1), u8(mask - 1))


def secret_new(slot, kind, length, mem=None, random=False, null_src=False):
    return op("secret_new", u8(slot), u8(1 if random else 0), u8(kind), length,
              u8(0 if null_src else OK), mem or heap())


def acquire(slot, bad=False):
    return op("secret_acquire", u8(slot), u8(0 if bad else OK))


def release(slot):
    return op("secret_release", u8(slot))


CODES = [0, 0, 1, -1, 7, 255]


def with_bytes(slot, rc=0, null_fn=False):
    return op("secret_with_bytes", u8(slot), u8(CODES.index(rc)), u8(0 if null_fn else OK))


def secret_read(slot, off, cap, mem=None, at_end=False, absurd=False):
    how = 6 if at_end else 7 if absurd else 0
    return op("secret_read", u8(slot), u8(how), u32(off), u8(0), u32(cap), mem or heap())


def secret_close(slot):
    return op("secret_close", u8(slot))


def secret_free(slot):
    return op("secret_free", u8(slot))


def secret_state(slot):
    return op("secret_state", u8(slot))


E_BYTES, E_RANDOM, E_NULL_SRC, E_NULL_OUT = 0, 4, 6, 7


def enclave_new(slot, how, length, mem=None):
    return op("enclave_new", u8(slot), u8(how), length, mem or heap())


def enclave_open(eslot, bslot, no_out=False):
    return op("enclave_open", u8(eslot), u8(bslot), u8(0 if no_out else OK))


def open_into(eslot, bslot, fresh=True, prot=READWRITE):
    return op("enclave_open_into", u8(eslot), u8(bslot), u8(1 if fresh else 0), u8(prot))


def enclave_free(slot):
    return op("enclave_free", u8(slot))


def stream_new(slot, chunk=None, default=False, absurd=False, no_out=False):
    if default:
        how, v = 0, 0
    elif absurd:
        how, v = 6, 0
    else:
        assert 1 <= chunk <= 1024
        how, v = 7, chunk - 1
    return op("stream_new", u8(slot), u8(0 if no_out else OK), u8(how), u32(v), u8(0))


def stream_write(slot, n, mem=None, null_data=False):
    return op("stream_write", u8(slot), u32(n), u8(0 if null_data else OK), mem or heap(n + 3))


def stream_read(slot, cap, mem=None):
    return op("stream_read", u8(slot), u32(cap), mem or heap())


def stream_next(tslot, bslot):
    return op("stream_take", u8(tslot), u8(bslot), u8(0), u8(OK))


def stream_flush(tslot, bslot):
    return op("stream_take", u8(tslot), u8(bslot), u8(1), u8(OK))


def stream_free(slot):
    return op("stream_free", u8(slot))


def purge():
    return op("purge")


def rekey():
    return op("rekey")


def stats():
    return op("stats")


def null_handles():
    return op("null_handles")


def status_name(code):
    return op("status_names", u8(code))


F_PAGES, F_LOCK, F_PROTECT = 0, 1, 2


def fault(site, skip=0, mlock=False):
    """The next operation's (skip+1)-th call to site fails (pages: NOMEM, or MLOCK)."""
    return op("fault", u8(site), u8(skip), u8(1 if mlock else 0))


API_SEEDS = {
    "buffer-lifecycle": [
        buffer_new(0, FROM_BYTES, byte_len(100)), buffer_read(0), buffer_write(0, 10, 20),
        protect(0, READ), buffer_read(0), protect(0, NONE), check(0), protect(0, READWRITE),
        buffer_read(0), destroy(0), check(0), destroy(0), protect(0, READ), buffer_free(0),
    ],
    "buffer-sizes": [
        buffer_new(0, NEW, pages(1, -16)), buffer_new(1, RANDOM, pages(1, -15)),
        buffer_new(2, NEW, pages(1)), buffer_new(3, FROM_BYTES, pages(2, 17)),
        buffer_new(4, NEW, pool_edge(-16)), buffer_new(5, RANDOM, pool_edge(1)),
        buffer_write(4, 0, 64), buffer_write(5, 2 * 4096 * 512 - 8, 8),
        stats(), destroy(4), destroy(5), stats(),
    ],
    "buffer-canary": [
        buffer_new(0, NEW, small(64)), break_canary(0, 1, 0x80), check(0), seal(0, 0),
        check(0), destroy(0),
        buffer_new(1, NEW, small(16)), break_canary(1, 16, 1), break_canary(1, 16, 1),
        check(1), break_canary(1, 9, 0x41), destroy(1), destroy(1),
    ],
    "buffer-seal-open": [
        buffer_new(0, FROM_BYTES, byte_len(200)), protect(0, NONE), seal(0, 0), buffer_read(0),
        enclave_open(0, 1), buffer_read(1), open_into(0, 2, True, READWRITE),
        open_into(0, 3, True, READ), open_into(0, 4, True, NONE), buffer_read(4),
        open_into(0, 1, False), seal(1, 1, no_out=True), enclave_free(0),
    ],
    "secret-protected": [
        secret_new(0, PROTECTED, small(32)), acquire(0), acquire(0), secret_read(0, 5, 10),
        with_bytes(0, 0), with_bytes(0, 7), release(0), release(0), release(0),
        secret_close(0), acquire(0), secret_read(0, 0, 4), with_bytes(0), secret_state(0),
        secret_free(0),
    ],
    "secret-enclave": [
        secret_new(0, ENCLAVE, small(48)), acquire(0), with_bytes(0, -1), secret_read(0, 40, 30),
        release(0), secret_new(1, ENCLAVE, any_len(5000)), acquire(1), acquire(0),
        secret_read(1, 4090, 100), release(1), release(0), secret_close(1), secret_state(1),
        secret_free(0), secret_free(1),
    ],
    "secret-random-edges": [
        secret_new(0, PROTECTED, pages(1), random=True), secret_new(1, ENCLAVE, small(1), random=True),
        acquire(0), secret_read(0, 0, 4096, at_end=True), secret_read(0, 0, 0),
        secret_read(0, 0, 5, absurd=True), secret_read(1, 0, 1), release(0), acquire(0, bad=True),
        with_bytes(1, null_fn=True), secret_state(0), secret_state(1),
    ],
    "secret-from-guarded-source": [
        buffer_new(0, FROM_BYTES, small(64)), secret_new(0, ENCLAVE, small(32), from_buffer(0, 8)),
        buffer_read(0), enclave_new(0, E_BYTES, small(8), from_buffer(0, 50)), buffer_read(0),
        buffer_new(1, FROM_BYTES, small(16), from_buffer(0, 0)), buffer_read(0), acquire(0),
        release(0),
    ],
    "stream-small-chunks": [
        stream_new(0, 16), stream_write(0, 100), stream_read(0, 7), stream_read(0, 30),
        stream_next(0, 0), stream_next(0, 1), stream_flush(0, 2), stream_read(0, 5),
        stream_write(0, 0), stream_next(0, 3), stream_write(0, 1), stream_write(0, 15),
        stream_write(0, 33), stream_flush(0, 3), stream_free(0),
    ],
    "stream-default-chunk": [
        stream_new(0, default=True), stream_write(0, 20000), stream_next(0, 0),
        stream_read(0, 1000), stream_next(0, 1), stream_flush(0, 2), stream_new(1, 1),
        stream_write(1, 40), stream_read(1, 39), stream_next(1, 3),
    ],
    "stream-from-guarded-memory": [
        secret_new(0, PROTECTED, small(60)), acquire(0), stream_new(0, 8),
        stream_write(0, 20, from_view(0, 10)), release(0), buffer_new(0, FROM_BYTES, small(40)),
        protect(0, READ), stream_write(0, 40, from_buffer(0, 0)), buffer_new(1, NEW, small(64)),
        stream_read(0, 50, from_buffer(1, 3)), buffer_read(1), secret_read(0, 0, 60, from_buffer(1, 0)),
        buffer_read(1), stream_flush(0, 2),
    ],
    "purge-everything": [
        buffer_new(0, FROM_BYTES, small(32)), secret_new(0, PROTECTED, small(16)),
        secret_new(1, ENCLAVE, small(16)), acquire(1), enclave_new(0, E_BYTES, small(20)),
        stream_new(0, 8), stream_write(0, 30), stream_new(1, 8), purge(),
        check(0), acquire(0), secret_read(1, 0, 4), enclave_open(0, 2), open_into(0, 3),
        stream_read(0, 4), stream_next(0, 4), stream_flush(0, 4), stream_write(0, 3),
        stream_write(1, 12), stream_read(1, 12), enclave_new(1, E_BYTES, small(9)),
        enclave_open(1, 5), seal(0, 2), stats(),
    ],
    "rekey": [
        enclave_new(0, E_RANDOM, small(32)), rekey(), enclave_open(0, 0),
        secret_new(0, ENCLAVE, small(24)), rekey(), with_bytes(0), rekey(), purge(), rekey(),
        enclave_open(0, 1), enclave_new(1, E_BYTES, small(5)), open_into(1, 2),
    ],
    "null-handles-and-names": [
        null_handles(), stats(),
    ] + [status_name(c) for c in list(range(12)) + [255, 128]],
    "invalid-arguments": [
        buffer_new(0, NEW, impossible(0)), buffer_new(0, RANDOM, zero_len()),
        buffer_new(0, FROM_BYTES, impossible(4)), buffer_new(0, FROM_BYTES, zero_len()),
        secret_new(0, BAD_KIND, small(8)), secret_new(0, PROTECTED, small(8), null_src=True),
        secret_new(0, ENCLAVE, impossible(5)), secret_new(0, ENCLAVE, impossible(1), random=True),
        enclave_new(0, E_NULL_SRC, small(8)), enclave_new(0, E_NULL_OUT, small(8)),
        enclave_new(0, E_BYTES, impossible(2)), enclave_new(0, E_RANDOM, zero_len()),
        stream_new(0, absurd=True), stream_new(0, 8, no_out=True), stream_new(1, 8),
        stream_write(1, 5, null_data=True), stream_write(1, 0, null_data=True),
    ],
    "faults": [
        fault(F_PAGES), buffer_new(0, FROM_BYTES, small(32)), fault(F_PAGES, mlock=True),
        secret_new(0, PROTECTED, small(16)), secret_new(0, PROTECTED, small(16)),
        fault(F_PROTECT), acquire(0), fault(F_LOCK), acquire(0), acquire(0), release(0),
        buffer_new(1, FROM_BYTES, small(40)), fault(F_PROTECT), protect(1, READ),
        fault(F_PAGES, 1), seal(1, 0), enclave_new(0, E_BYTES, small(24)),
        fault(F_PAGES), enclave_open(0, 2), fault(F_PROTECT), open_into(0, 3, True, READ),
        open_into(0, 4, True, NONE), secret_new(1, ENCLAVE, any_len(5000)),
        fault(F_PAGES), acquire(1), stream_new(0, 8), fault(F_PAGES), stream_write(0, 20),
        stream_write(0, 20), fault(F_PAGES), stream_read(0, 12), fault(F_PAGES), stream_next(0, 5),
        fault(F_PAGES), stream_flush(0, 5), purge(), fault(F_PAGES), rekey(),
        fault(F_PAGES), enclave_new(1, E_RANDOM, small(8)),
    ],
    "open-into-mismatch": [
        enclave_new(0, E_BYTES, small(16)), buffer_new(0, NEW, small(17)), open_into(0, 0, False),
        buffer_new(1, NEW, small(16)), destroy(1), open_into(0, 1, False),
        buffer_new(2, NEW, small(16)), protect(2, NONE), open_into(0, 2, False), buffer_read(2),
        enclave_open(0, 3, no_out=True),
    ],
}

# Reproducers of core findings (docs/fuzzing.md), replayed by run.sh from
# tests/fuzz/regressions/api/: each fails until its bug is fixed.
API_REGRESSIONS = {
    # sm_stream_read/next/flush return SM_ERR_PROTECT, which their comments do not list.
    "stream-read-protect-undocumented": [
        stream_new(0, 8), stream_write(0, 20), fault(F_PROTECT), stream_read(0, 12)],
    "stream-next-protect-undocumented": [
        stream_new(0, 8), stream_write(0, 20), fault(F_PROTECT), stream_next(0, 1)],
    "stream-flush-protect-undocumented": [
        stream_new(0, 8), stream_write(0, 20), fault(F_PROTECT), stream_flush(0, 1)],
    # sm_buffer_check of a no-access buffer returns SM_ERR_PROTECT, not in its comment.
    "check-protect-undocumented": [
        buffer_new(0, NEW, small(8)), protect(0, NONE), fault(F_PROTECT), check(0)],
    # sm_buffer_check of a no-access buffer: SM_OK, reported NONE, but left readable.
    "check-leaves-readable": [
        buffer_new(0, NEW, small(8)), protect(0, NONE), fault(F_PROTECT, 1), check(0),
        buffer_read(0)],
    # sm_enclave_open_into a read-only or no-access buffer: SM_OK, but left writable.
    "open-into-leaves-writable": [
        enclave_new(0, E_BYTES, small(24)), fault(F_PROTECT, 1), open_into(0, 4, True, NONE)],
    # sm_buffer_destroy of a read-only buffer with a broken canary: SM_OK, not SM_ERR_CANARY.
    "destroy-misses-canary": [
        buffer_new(0, NEW, small(8)), break_canary(0, 1, 1), protect(0, READ), fault(F_PROTECT),
        destroy(0)],
    # sm_secret_release of a PROTECTED secret: SM_OK, but its pages stay readable at rest.
    "release-leaves-readable": [
        secret_new(0, PROTECTED, small(8)), acquire(0), fault(F_PROTECT), release(0),
        secret_state(0)],
}

# ---------------------------------------------------------------- fuzz_tamper cases
CASE_ENCLAVE, CASE_SECRET, CASE_STREAM = 0, 1, 2


def flips(*pairs):  # (position, mask) pairs, 1..8 of them
    assert 1 <= len(pairs) <= 8
    return u8(len(pairs) - 1) + b"".join(u32(at) + u8(mask) for at, mask in pairs)


def t_enclave(length, how, seed, flip, rounds):
    """rounds: list of ("open",) or ("into", prot, seed)."""
    body = u8(CASE_ENCLAVE) + length + u8(how) + u16(seed) + flip + u8(len(rounds) - 1)
    for r in rounds:
        body += u8(1) if r[0] == "open" else u8(0) + u8(r[1]) + u16(r[2])
    return body + u8(1)  # the final open after the restore reads nothing more


ACQUIRE, WITH_BYTES, READ_AT = 0, 1, 2


def t_secret(length, seed, held, flip, accesses, after=(ACQUIRE, ACQUIRE)):
    """accesses: list of ACQUIRE, WITH_BYTES or (READ_AT, offset); after: the last two."""
    def access(a):
        return u8(READ_AT) + u32(a[1]) if isinstance(a, tuple) else u8(a)
    body = u8(CASE_SECRET) + length + u16(seed) + u8(held) + flip + u8(len(accesses) - 1)
    return body + b"".join(access(a) for a in accesses) + b"".join(access(a) for a in after)


def t_stream(chunk, writes, victim, flip, takes=(), early=()):
    """chunk: ("small", n) | ("default",) | ("any", n); writes: (len, seed) list;
    early: reads before the corruption, as (cap,) tuples; takes: ("read", cap) | ("next",) |
    ("flush",). Once the takes run out, the target drains with whole reads."""
    if chunk[0] == "small":
        c = u8(0) + u8(chunk[1] - 1)
    elif chunk[0] == "default":
        c = u8(2)
    else:
        c = u8(3) + u16(chunk[1] - 1)
    body = u8(CASE_STREAM) + c + u8(len(writes) - 1)
    body += b"".join(u32(n) + u16(seed) for n, seed in writes)
    body += u8(0 if early else 1) + u8(max(len(early), 1) - 1)
    body += b"".join(u8(0) + u32(cap - 1) for (cap,) in early)
    body += u32(victim) + flip
    for t in takes:
        body += u8(0) + u32(t[1] - 1) if t[0] == "read" else u8(2 if t[0] == "next" else 3)
    return body


TAMPER_SEEDS = {
    "enclave-flip-ciphertext": t_enclave(small(32), 0, 3, flips((30, 0x01)),
                                         [("open",), ("into", READWRITE, 5)]),
    "enclave-flip-nonce-and-tag": t_enclave(byte_len(200), 1, 4, flips((0, 0x80), (239, 0xFF)),
                                            [("into", READ, 1), ("into", NONE, 2), ("open",)]),
    "enclave-flips-cancel": t_enclave(small(16), 2, 5, flips((24, 0x10), (24, 0x10)),
                                      [("open",), ("into", READ, 9)]),
    "enclave-two-pages": t_enclave(any_len(8192), 0, 6, flips((8200, 0x04)),
                                   [("into", NONE, 3)]),
    "secret-tampered-at-rest": t_secret(small(40), 7, 0, flips((50, 0x02)),
                                        [ACQUIRE, WITH_BYTES, (READ_AT, 10)]),
    "secret-held-while-tampered": t_secret(any_len(5000), 8, 2, flips((4000, 0x20)),
                                           [ACQUIRE, (READ_AT, 4999), WITH_BYTES],
                                           after=(WITH_BYTES, (READ_AT, 0))),
    "stream-first-chunk": t_stream(("small", 16), [(100, 1)], 0, flips((20, 0x01)),
                                   takes=[("read", 10), ("next",)]),
    "stream-middle-chunk-by-reads": t_stream(("small", 10), [(35, 2), (40, 3)], 3,
                                             flips((30, 0x08)), takes=[("read", 7)] * 6),
    "stream-flush-sees-it": t_stream(("any", 300), [(1000, 4), (77, 5)], 2,
                                     flips((310, 0x40)), takes=[("flush",)]),
    "stream-after-partial-read": t_stream(("small", 8), [(64, 6)], 1, flips((3, 0x11)),
                                          early=[(3,), (5,)], takes=[("next",), ("read", 20)]),
    "stream-default-chunk": t_stream(("default",), [(40000, 9)], 1, flips((16400, 0x01)),
                                     takes=[("next",), ("next",), ("read", 30000)]),
}

# ---------------------------------------------------------------- fuzz_vectors
JSON_EDGES = {
    "unicode-escapes": '{"format": 1, "description": "\\u00e9\\u20ac\\ud83d\\ude00 caf\u00e9 \\"\\\\\\/\\b\\f\\n\\r\\t", '
                       '"scenarios": [{"name": "n", "steps": [{"op": "status.name", '
                       '"args": {"code": -9223372036854775808}, "expect": {"value": "SM_ERR_UNKNOWN"}}]}]}',
    "sizes-and-refs": '{"format": 1, "scenarios": [{"name": "r", "requires": ["core"], "steps": ['
                      '{"op": "buffer.from_bytes", "args": {"data": {"counter": {"pages": 1, "plus": -3}, "len": 9}}, "as": "b"},'
                      '{"op": "buffer.read", "on": "b", "args": {"offset": {"plus": 2}}, "save": "r1"},'
                      '{"op": "buffer.read", "on": "b", "expect": {"bytes": {"ref": "r1", "offset": 1, "len": 3}, '
                      '"not_bytes": {"fill": "00ff", "len": {"pages": 0}}, "len": 9}},'
                      '{"op": "buffer.seal", "on": "b", "as": "e"},'
                      '{"op": "enclave.tamper", "on": "e", "args": {"index": 0}}]}]}',
    "deep-nesting": '{"format": 1, "description": ' + '[' * 62 + ']' * 62 + ', "scenarios": []}',
    "too-deep": '[' * 70 + ']' * 70,
    "int-limits": '[9223372036854775807, -9223372036854775808, 0, -0, 1e5, 0.5]',
    "white-space": ' \t\r\n{"format" : 1 , "scenarios" : [ ] } \n',
}


def write(dirname, name, data, top="corpus"):
    path = os.path.join(FUZZ, top, dirname, name)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as f:
        f.write(data)


def vector_seeds():
    """One file per scenario whose set of operations and keys is new (keeps the corpus small)."""
    seen = set()
    vecdir = os.path.join(ROOT, "tests", "vectors")
    for name in sorted(os.listdir(vecdir)):
        if not name.endswith(".json") or name == "schema.json":
            continue
        with open(os.path.join(vecdir, name)) as f:
            doc = json.load(f)
        for sc in doc["scenarios"]:
            text = json.dumps({"format": 1, "scenarios": [sc]}, separators=(",", ":"))
            shape = frozenset(
                [s["op"] for s in sc["steps"]] +
                [k for s in sc["steps"] for k in list(s) + list(s.get("expect", {}))])
            if shape in seen or len(text) > 4096:
                continue
            seen.add(shape)
            stem = name[:-5] + "-" + "".join(c if c.isalnum() else "_" for c in sc["name"])
            write("vectors", stem + ".json", text.encode())
    selfdir = os.path.join(ROOT, "tests", "c", "vectors", "selfcheck")
    for name in sorted(os.listdir(selfdir)):
        if name.endswith(".json"):
            with open(os.path.join(selfdir, name), "rb") as f:
                write("vectors", "selfcheck-" + name, f.read())
    for name, text in JSON_EDGES.items():
        write("vectors", "edge-" + name + ".json", text.encode())


def main():
    for name, ops in API_SEEDS.items():
        write("api", name + ".bin", b"".join(ops))
    for name, ops in API_REGRESSIONS.items():
        write("api", name + ".bin", b"".join(ops), top="regressions")
    for name, data in TAMPER_SEEDS.items():
        write("tamper", name + ".bin", data)
    vector_seeds()
    return 0


if __name__ == "__main__":
    sys.exit(main())
