"""signals.py — wipe every secret before the process ends on a signal.

    python examples/python/signals.py      # ends with exit code 3

The program catches SIGINT and SIGTERM, then sends itself SIGINT (as Ctrl+C
would). The handler runs on the library's handler thread while the main
thread keeps going; then the library purges and exits with code 3. No
KeyboardInterrupt is raised and the `finally` below never runs.
"""

import os
import signal
import threading
import time

import securememory as sm
import securememory.signal as sms

main_thread = threading.get_ident()
api_key = sm.Secret.from_bytes(bytearray(b"sk-live-0123456789"))


def on_signal(signo):
    where = "main thread" if threading.get_ident() == main_thread else "handler thread"
    print(f"handler: {signo.name} on the {where}; secret still open: {not api_key.closed}")
    print("handler: returning; the library purges and exits with code 3")


sms.catch_signals(on_signal, [signal.SIGINT, signal.SIGTERM])
sms.set_exit_code(signal.SIGINT, 3)

print("main: sending SIGINT to myself")
try:
    os.kill(os.getpid(), signal.SIGINT)
    for _ in range(500):  # the main thread is not interrupted
        time.sleep(0.01)
    print("main: the signal was not handled in time")
    raise SystemExit(1)
except KeyboardInterrupt:
    print("main: KeyboardInterrupt (should not happen)")
    raise SystemExit(1)
finally:
    print("main: finally (never printed: the process ends without unwinding)")
