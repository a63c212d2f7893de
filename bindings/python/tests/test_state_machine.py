"""A hypothesis state machine over random sequences of secret operations.

The model is a dict: each Secret maps to the bytes it must hold, or None
once closed (by close() or purge()). Every rule checks the binding against
the model, including accesses from several threads at once and accesses
racing with a close.
"""

from __future__ import annotations

import threading

import hypothesis.strategies as st
from hypothesis import HealthCheck, settings
from hypothesis.stateful import Bundle, RuleBasedStateMachine, invariant, rule

import securememory as sm
from securememory import Kind, Secret

kinds = st.sampled_from([Kind.PROTECTED, Kind.ENCLAVE])


class SecretLifecycle(RuleBasedStateMachine):
    secrets = Bundle("secrets")

    def __init__(self) -> None:
        super().__init__()
        self.model: dict[Secret, bytes | None] = {}
        base = sm.stats()
        self.base = (base.live_secrets_protected, base.live_secrets_enclave)

    def expect(self, s: Secret) -> bytes | None:
        return self.model[s]

    # -- create --------------------------------------------------------------
    @rule(target=secrets, kind=kinds, data=st.binary(min_size=1, max_size=5000))
    def create(self, kind, data):
        src = bytearray(data)
        s = Secret.from_bytes(src, kind)
        assert src == bytearray(len(data))  # wiped
        self.model[s] = data
        return s

    @rule(target=secrets, kind=kinds, size=st.integers(1, 3000))
    def create_random(self, kind, size):
        s = Secret.random(size, kind)
        data = s.with_bytes(bytes)
        assert len(data) == size
        self.model[s] = data
        return s

    # -- access --------------------------------------------------------------
    @rule(s=secrets)
    def access(self, s):
        want = self.expect(s)
        try:
            got = s.with_bytes(bytes)
        except sm.SecretClosedError:
            assert want is None
        else:
            assert got == want

    @rule(s=secrets, depth=st.integers(1, 3))
    def nested_views(self, s, depth):
        want = self.expect(s)
        views = []
        try:
            for _ in range(depth):
                v = s.view()
                mv = v.open()
                views.append(v)
                assert mv.tobytes() == want
        except sm.SecretClosedError:
            assert want is None
        finally:
            for v in reversed(views):
                v.release()

    @rule(s=secrets, offset=st.integers(0, 6000), cap=st.integers(0, 6000))
    def read(self, s, offset, cap):
        want = self.expect(s)
        buf = bytearray(cap)
        try:
            n = s.read_into(buf, offset)
        except sm.InvalidArgumentError:
            assert cap == 0
        except sm.SecretClosedError:
            assert want is None and cap > 0
        except sm.EndOfStreamError:
            assert want is not None and cap > 0 and offset >= len(want)
        else:
            assert want is not None and cap > 0
            assert bytes(buf[:n]) == want[offset : offset + cap]

    @rule(s=secrets)
    def reader(self, s):
        want = self.expect(s)
        try:
            got = s.reader().read()
        except sm.SecretClosedError:
            assert want is None
        else:
            assert got == want

    @rule(s=secrets, nthreads=st.integers(2, 6), close_meanwhile=st.booleans())
    def threads(self, s, nthreads, close_meanwhile):
        want = self.expect(s)
        failures: list[str] = []
        barrier = threading.Barrier(nthreads + 1)

        def worker():
            barrier.wait()
            for _ in range(20):
                try:
                    got = s.with_bytes(bytes)
                except sm.SecretClosedError:
                    if want is not None and not close_meanwhile:
                        failures.append("closed unexpectedly")
                    continue
                except BaseException as e:
                    failures.append(repr(e))
                    return
                if got != want:
                    failures.append("wrong bytes")

        workers = [threading.Thread(target=worker) for _ in range(nthreads)]
        for t in workers:
            t.start()
        barrier.wait()
        if close_meanwhile:
            s.close()
            self.model[s] = None
        for t in workers:
            t.join(30)
        assert not any(t.is_alive() for t in workers)
        assert failures == []

    # -- close and purge -----------------------------------------------------
    @rule(s=secrets)
    def close(self, s):
        s.close()
        self.model[s] = None
        assert s.closed

    @rule()
    def purge(self):
        sm.purge()
        for s in self.model:
            self.model[s] = None

    # -- invariants ----------------------------------------------------------
    @invariant()
    def state_and_counters_agree(self):
        open_by_kind = {Kind.PROTECTED: 0, Kind.ENCLAVE: 0}
        for s, want in self.model.items():
            assert s.closed == (want is None)
            assert len(s) == (len(want) if want is not None else len(s))
            if want is not None:
                open_by_kind[s.kind] += 1
        now = sm.stats()
        assert now.live_secrets_protected == self.base[0] + open_by_kind[Kind.PROTECTED]
        assert now.live_secrets_enclave == self.base[1] + open_by_kind[Kind.ENCLAVE]

    def teardown(self):
        for s in self.model:
            s.close()


SecretLifecycle.TestCase.settings = settings(
    max_examples=100,
    stateful_step_count=25,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
)
TestSecretLifecycle = SecretLifecycle.TestCase
