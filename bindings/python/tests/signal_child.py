"""Child process for test_signals.py: catch a signal, hold a secret, wait.

Usage: signal_child.py MODE REPORT_FD

It reports on REPORT_FD (unbuffered os.write, one line per event):

  ready <pid>                 set up; the parent may send the signal now
  control <state>             the secret's bytes as seen at rest through
                              /proc/self/mem before any signal: must be
                              "secret" (proves the observation can see them)
  handler <signo> <other>     the Python handler ran; <other> is 1 when it
                              ran on a thread other than the main thread
  handler-saw <state>         the secret's bytes as seen from the handler:
                              "secret" for INT, TERM, HUP, QUIT (the purge
                              comes after the handler); "zero" for a fault
                              (the faulting thread wiped everything first)
  atexit <state> <closed> <live>
                              from a C atexit hook, which exit(3) runs on
                              the library's handler thread after sm_purge():
                              the bytes at the secret's address, whether the
                              Secret reports closed, live protected secrets
  main-interrupted            the main thread saw KeyboardInterrupt
  view-leaving                (mode "view") the main thread, still inside a
                              view when the signal came, is about to leave it

<state> is "unmapped" (the pages are gone), "zero" (mapped, all zero),
"secret" (the secret's bytes: they were NOT wiped) or "other".

The observation reads raw memory from outside the library: /proc/self/mem
can read pages the library keeps PROT_NONE, and the check compares digests,
so the child never holds the secret's bytes itself.
"""

from __future__ import annotations

import ctypes
import hashlib
import os
import signal
import sys
import threading
import time

import securememory as sm
import securememory.signal as sms
from securememory._native import ffi

MODE = sys.argv[1]
FD = int(sys.argv[2])
SIZE = 64
MAIN = threading.get_ident()


def report(line: str) -> None:
    os.write(FD, (line + "\n").encode())


def mapped(addr: int, size: int) -> bool:
    with open("/proc/self/maps") as maps:
        for line in maps:
            lo, hi = (int(x, 16) for x in line.split()[0].split("-"))
            if lo <= addr and addr + size <= hi:
                return True
    return False


def observe(addr: int, digest: bytes) -> str:
    if not mapped(addr, SIZE):
        return "unmapped"
    with open("/proc/self/mem", "rb", buffering=0) as mem:
        mem.seek(addr)
        raw = mem.read(SIZE)
    if hashlib.sha256(raw).digest() == digest:
        return "secret"
    return "zero" if not any(raw) else "other"


def locate(mv: memoryview) -> tuple[int, bytes]:
    with ffi.from_buffer(mv) as p:
        return int(ffi.cast("uintptr_t", p)), hashlib.sha256(mv).digest()


secret = sm.Secret.random(SIZE)
ADDR, DIGEST = secret.with_bytes(locate)
report("control " + observe(ADDR, DIGEST))


def on_signal(signo: int) -> None:
    report(f"handler {int(signo)} {int(threading.get_ident() != MAIN)}")
    report("handler-saw " + observe(ADDR, DIGEST))
    print("printed by the handler")  # flushed by the binding before exit


@ctypes.CFUNCTYPE(None, ctypes.c_void_p)
def at_c_exit(_arg: int) -> None:
    closed = int(secret.closed)
    live = sm.stats().live_secrets_protected
    report(f"atexit {observe(ADDR, DIGEST)} {closed} {live}")


# atexit(3) itself is not exported by glibc's shared libc; __cxa_atexit is
# what it calls (a NULL DSO handle: run at exit(3), never on dlclose).
ctypes.CDLL(None).__cxa_atexit(at_c_exit, None, None)

if MODE == "interrupt":  # SIGINT, no Python handler, default exit code 1
    sms.catch_interrupt()
elif MODE == "handler":  # SIGINT with a handler and exit code 7
    sms.catch_signals(on_signal, [signal.SIGINT])
    sms.set_exit_code(signal.SIGINT, 7)
elif MODE == "all":  # every signal; SIGTERM ends by the signal itself
    sms.catch_signal(on_signal)
    sms.set_exit_code(signal.SIGTERM, sms.RERAISE)
elif MODE == "raising":  # a handler that raises: reported, wipe still happens
    sms.catch_signals(lambda signo: 1 / 0, [signal.SIGHUP])
    sms.set_exit_code(signal.SIGHUP, 5)
elif MODE == "released":  # release(): Python's KeyboardInterrupt again
    sms.catch_interrupt()
    sms.release()
elif MODE == "fault":  # a SIGSEGV in C code (GIL released, as in any cffi call)
    sms.catch_signal(on_signal)
elif MODE == "view":  # the signal arrives while the main thread is in a view
    sms.catch_signals(on_signal, [signal.SIGINT])
    sms.set_exit_code(signal.SIGINT, 9)
else:
    raise SystemExit(f"unknown mode {MODE}")

try:
    report(f"ready {os.getpid()}")
    if MODE == "fault":
        ctypes.memset(0, 1, 1)  # NULL write: SIGSEGV on this thread
    if MODE == "view":
        with secret.view() as mv:
            deadline = time.monotonic() + 0.5
            while time.monotonic() < deadline:  # keep reading the memory
                mv.tobytes()
            report("view-leaving")  # the purge cannot have started yet
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        time.sleep(0.01)
except KeyboardInterrupt:
    report("main-interrupted")
    secret.close()
    # os._exit: the C atexit hook must not run after the interpreter is
    # finalized (a ctypes callback into a finalized interpreter crashes).
    os._exit(0)
report("timeout")
os._exit(99)
