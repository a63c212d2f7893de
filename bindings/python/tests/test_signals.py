"""Signals, in child processes that receive real signals (see signal_child.py).

What is observed and why it can fail:
- the exit status is the configured code (or death by the signal);
- the Python handler ran once, on a thread other than the main thread;
- "control secret": before any signal the child sees its secret's bytes at
  their address through /proc/self/mem, so the same observation made later
  would see them too if they were still there;
- "atexit unmapped|zero 1 0": a C atexit hook, run by exit(3) after the
  library's purge, finds no trace of the secret at its address, the Secret
  reports closed and no protected secret is alive. Without the purge the
  hook would report "secret 0 1"; without exit(3) (say _exit) it would not
  report at all.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import pytest
from conftest import TESTS

CHILD = TESTS / "signal_child.py"
WIPED = ("unmapped", "zero")


def run_child(mode: str, signo: int | None, env) -> tuple[int, list[str], str, str]:
    rd, wr = os.pipe()
    proc = subprocess.Popen(
        [sys.executable, str(CHILD), mode, str(wr)],
        pass_fds=(wr,),
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    os.close(wr)
    lines: list[str] = []
    buf = b""
    deadline = time.monotonic() + 30
    sent = False
    with os.fdopen(rd, "rb", buffering=0) as report:
        while time.monotonic() < deadline:
            chunk = report.read(4096)
            if not chunk:
                break  # every writer closed: the child ended
            buf += chunk
            while b"\n" in buf:
                line, buf = buf.split(b"\n", 1)
                lines.append(line.decode())
                if line.startswith(b"ready") and signo is not None and not sent:
                    os.kill(proc.pid, signo)
                    sent = True
    try:
        out, err = proc.communicate(timeout=30)
    except subprocess.TimeoutExpired:
        proc.kill()
        out, err = proc.communicate()
    return proc.returncode, lines, out, err


def field(lines: list[str], key: str) -> list[str]:
    found = [line.split()[1:] for line in lines if line.split()[0] == key]
    assert len(found) == 1, f"expected one {key!r} line in {lines}"
    return found[0]


def test_interrupt_without_handler_purges_and_exits_1(child_env):
    code, lines, out, err = run_child("interrupt", signal.SIGINT, child_env)
    assert code == 1, (lines, err)
    assert field(lines, "control") == ["secret"]
    state, closed, live = field(lines, "atexit")
    assert state in WIPED and closed == "1" and live == "0", lines
    assert "main-interrupted" not in lines and "timeout" not in lines


def test_handler_runs_on_another_thread_then_exit_code(child_env):
    code, lines, out, err = run_child("handler", signal.SIGINT, child_env)
    assert code == 7, (lines, err)
    assert field(lines, "control") == ["secret"]
    assert field(lines, "handler") == [str(int(signal.SIGINT)), "1"]
    assert field(lines, "handler-saw") == ["secret"]  # the purge comes after
    state, closed, live = field(lines, "atexit")
    assert state in WIPED and closed == "1" and live == "0", lines
    assert "printed by the handler" in out  # sys.stdout was flushed
    assert "main-interrupted" not in lines  # no KeyboardInterrupt in main


def test_reraise_ends_by_the_signal(child_env):
    code, lines, out, err = run_child("all", signal.SIGTERM, child_env)
    assert code == -signal.SIGTERM, (lines, err)
    assert field(lines, "handler") == [str(int(signal.SIGTERM)), "1"]
    # Death by the signal skips exit(3), so no atexit line: nothing to see.
    assert not [line for line in lines if line.startswith("atexit")]


def test_a_raising_handler_is_reported_and_the_wipe_still_happens(child_env):
    code, lines, out, err = run_child("raising", signal.SIGHUP, child_env)
    assert code == 5, (lines, err)
    assert "ZeroDivisionError" in err
    state, closed, live = field(lines, "atexit")
    assert state in WIPED and closed == "1" and live == "0"


def test_signal_during_a_view_waits_for_it(child_env):
    code, lines, out, err = run_child("view", signal.SIGINT, child_env)
    assert code == 9, (lines, err)
    # The purge waited for the main thread's view: "view-leaving" is written
    # inside the view, the atexit hook after the purge.
    assert "view-leaving" in lines
    after = [line for line in lines[lines.index("view-leaving") :] if line.startswith("atexit")]
    assert after, lines
    state, closed, live = field(lines, "atexit")
    assert state in WIPED and closed == "1" and live == "0"


def test_release_restores_keyboard_interrupt(child_env):
    code, lines, out, err = run_child("released", signal.SIGINT, child_env)
    assert code == 0, (lines, err)
    assert "main-interrupted" in lines
    assert not [line for line in lines if line.startswith(("handler", "atexit"))]


@pytest.mark.parametrize("signo", [signal.SIGQUIT, signal.SIGHUP], ids=["QUIT", "HUP"])
def test_other_async_signals_with_default_code(signo, child_env):
    code, lines, out, err = run_child("all", signo, child_env)
    assert code == 1, (lines, err)
    assert field(lines, "handler") == [str(int(signo)), "1"]
    state, closed, live = field(lines, "atexit")
    assert state in WIPED and closed == "1" and live == "0"


def test_a_fault_wipes_first_then_the_handler_runs_and_the_process_dies(child_env):
    code, lines, out, err = run_child("fault", None, child_env)
    assert code == -signal.SIGSEGV, (lines, err)
    assert field(lines, "control") == ["secret"]
    assert field(lines, "handler") == [str(int(signal.SIGSEGV)), "1"]
    # Wiped in place by the faulting thread before the handler was called.
    assert field(lines, "handler-saw") == ["zero"], lines
