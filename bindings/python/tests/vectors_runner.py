"""Runs the shared conformance vectors (tests/vectors/README.md) against the
Python binding.

Each scenario is validated as a whole first (unknown keys, operations,
handles, argument types: any error fails the scenario), then executed step
by step. Operations map to the binding's idiomatic calls; an exception of
the binding's error type gives the status through SecureMemoryError.code.
Any other exception is not a status: the step fails.

This runner has no capability ("core" scenarios are not applicable).
"""

from __future__ import annotations

import json
import pathlib
from dataclasses import dataclass, field
from typing import Any, Callable, Optional

import securememory as sm

CAPABILITIES = {"core"}  # defined by the format
OUR_CAPABILITIES: set[str] = set()  # the Python binding can reach no internal function
MAX_DATA = 64 << 20

STATUS_NAMES = [
    "SM_OK",
    "SM_ERR_INVALID",
    "SM_ERR_NOMEM",
    "SM_ERR_MLOCK",
    "SM_ERR_PROTECT",
    "SM_ERR_CLOSED",
    "SM_ERR_AUTH",
    "SM_ERR_CANARY",
    "SM_ERR_EOF",
    "SM_ERR_CALLBACK",
    "SM_ERR_UNSUPPORTED",
]


class VectorError(Exception):
    """The vector is malformed, or the step's outcome does not match."""


# -- the operation table -------------------------------------------------------

# Argument types: size, data, kind, bool, int, buffer (a buffer handle).
# Results: none, bytes, int, bool, name.


@dataclass
class Op:
    name: str
    target: Optional[str]  # the type "on" must name
    creates: Optional[str]
    result: str
    args: dict[str, tuple[str, bool]]  # name -> (type, required)
    wipes: bool = False
    core_only: bool = False
    run: Optional[Callable[..., Any]] = None


OPS: dict[str, Op] = {}


def op(name, target=None, creates=None, result="none", args=None, wipes=False, core_only=False):
    def register(fn):
        OPS[name] = Op(name, target, creates, result, args or {}, wipes, core_only, fn)
        return fn

    return register


for _name, _args, _result in [
    ("aead.encrypt", ("key", "nonce", "ad", "plaintext"), "bytes"),
    ("aead.decrypt", ("key", "nonce", "ad", "ciphertext"), "bytes"),
]:
    OPS[_name] = Op(_name, None, None, _result, {a: ("data", True) for a in _args}, core_only=True)
OPS["enclave.tamper"] = Op(
    "enclave.tamper", "enclave", None, "none", {"index": ("size", True)}, core_only=True
)


class CallbackFailed(Exception):
    """Raised by the with_bytes callback of {"fail": true}."""


# Library
@op("purge")
def _purge(ctx, target, a):
    sm.purge()


@op("status.name", result="name", args={"code": ("int", True)})
def _status_name(ctx, target, a):
    return sm.status_name(a["code"])


# Secrets
@op(
    "secret.new",
    creates="secret",
    args={"kind": ("kind", True), "data": ("data", True)},
    wipes=True,
)
def _secret_new(ctx, target, a):
    return sm.Secret.from_bytes(a["data"], sm.Kind[a["kind"]])


@op("secret.new_random", creates="secret", args={"kind": ("kind", True), "len": ("size", True)})
def _secret_new_random(ctx, target, a):
    return sm.Secret.random(a["len"], sm.Kind[a["kind"]])


@op("secret.with_bytes", target="secret", result="bytes", args={"fail": ("bool", False)})
def _secret_with_bytes(ctx, target, a):
    seen: list[bytes] = []

    def fn(mv: memoryview) -> bytes:
        seen.append(mv.tobytes())
        if a.get("fail", False):
            raise CallbackFailed
        return seen[0]

    try:
        return target.with_bytes(fn)
    except CallbackFailed:
        raise StatusOnly("SM_ERR_CALLBACK") from None


@op("secret.acquire", target="secret", result="bytes")
def _secret_acquire(ctx, target, a):
    view = target.view()
    mv = view.open()
    ctx.open_views.setdefault(id(target), []).append(view)
    return mv.tobytes()


@op("secret.release", target="secret")
def _secret_release(ctx, target, a):
    views = ctx.open_views.get(id(target), [])
    # The innermost open access; with none, releasing a view that is not
    # open is the binding's equivalent of a release without an acquire.
    view = views.pop() if views else target.view()
    view.release()


@op(
    "secret.read",
    target="secret",
    result="bytes",
    args={"offset": ("size", True), "cap": ("size", True)},
)
def _secret_read(ctx, target, a):
    buf = bytearray(a["cap"])
    n = target.read_into(buf, a["offset"])
    return bytes(buf[:n])


@op("secret.size", target="secret", result="int")
def _secret_size(ctx, target, a):
    return len(target)


@op("secret.kind", target="secret", result="name")
def _secret_kind(ctx, target, a):
    return target.kind.name


@op("secret.is_closed", target="secret", result="bool")
def _secret_is_closed(ctx, target, a):
    return target.closed


@op("secret.close", target="secret")
def _secret_close(ctx, target, a):
    target.close()


# Buffers
@op("buffer.new", creates="buffer", args={"len": ("size", True)})
def _buffer_new(ctx, target, a):
    return sm.Buffer.new(a["len"])


@op("buffer.new_random", creates="buffer", args={"len": ("size", True)})
def _buffer_new_random(ctx, target, a):
    return sm.Buffer.random(a["len"])


@op("buffer.from_bytes", creates="buffer", args={"data": ("data", True)}, wipes=True)
def _buffer_from_bytes(ctx, target, a):
    return sm.Buffer.from_bytes(a["data"])


def _range(target, offset: int, length: Optional[int], need: sm.Prot) -> tuple[int, int]:
    size = len(target)
    if length is None:
        length = size - offset if offset <= size else 0
    if target.alive:
        if offset > size or length > size - offset:
            raise VectorError(f"vector touches [{offset}, +{length}) of a buffer of {size} bytes")
        if target.protection < need:
            raise VectorError(
                f"vector touches a buffer whose protection is {target.protection.name}"
            )
    return offset, length


@op(
    "buffer.read",
    target="buffer",
    result="bytes",
    args={"offset": ("size", False), "len": ("size", False)},
)
def _buffer_read(ctx, target, a):
    off, n = _range(target, a.get("offset", 0), a.get("len"), sm.Prot.READ)
    with target.view() as mv:  # SecretClosedError when not alive
        return mv[off : off + n].tobytes()


@op("buffer.write", target="buffer", args={"offset": ("size", False), "data": ("data", True)})
def _buffer_write(ctx, target, a):
    data = a["data"]
    off, n = _range(target, a.get("offset", 0), len(data), sm.Prot.READWRITE)
    with target.view() as mv:
        mv[off : off + n] = data


@op("buffer.size", target="buffer", result="int")
def _buffer_size(ctx, target, a):
    return len(target)


@op("buffer.is_alive", target="buffer", result="bool")
def _buffer_is_alive(ctx, target, a):
    return target.alive


@op("buffer.protection", target="buffer", result="name")
def _buffer_protection(ctx, target, a):
    return target.protection.name


for _verb in ("freeze", "melt", "noaccess", "check", "destroy"):
    op(f"buffer.{_verb}", target="buffer")(
        lambda ctx, target, a, _verb=_verb: getattr(target, _verb)()
    )


@op("buffer.seal", target="buffer", creates="enclave")
def _buffer_seal(ctx, target, a):
    return target.seal()


# Enclaves
@op("enclave.new", creates="enclave", args={"data": ("data", True)}, wipes=True)
def _enclave_new(ctx, target, a):
    return sm.Enclave.from_bytes(a["data"])


@op("enclave.new_random", creates="enclave", args={"len": ("size", True)})
def _enclave_new_random(ctx, target, a):
    return sm.Enclave.random(a["len"])


@op("enclave.open", target="enclave", creates="buffer")
def _enclave_open(ctx, target, a):
    return target.open()


@op("enclave.open_into", target="enclave", args={"into": ("buffer", True)})
def _enclave_open_into(ctx, target, a):
    target.open_into(a["into"])


@op("enclave.size", target="enclave", result="int")
def _enclave_size(ctx, target, a):
    return len(target)


# Streams
@op("stream.new", creates="stream", args={"chunk_size": ("size", True)})
def _stream_new(ctx, target, a):
    return sm.Stream(a["chunk_size"])


@op("stream.chunk_size", target="stream", result="int")
def _stream_chunk_size(ctx, target, a):
    return target.chunk_size


@op("stream.write", target="stream", args={"data": ("data", True)})
def _stream_write(ctx, target, a):
    target.write(a["data"])


@op("stream.read", target="stream", result="bytes", args={"cap": ("size", True)})
def _stream_read(ctx, target, a):
    buf = bytearray(a["cap"])
    n = target.read_into(buf)  # the 1:1 call; readinto() is the file idiom
    return bytes(buf[:n])


@op("stream.next", target="stream", creates="buffer")
def _stream_next(ctx, target, a):
    return target.next()


@op("stream.flush", target="stream", creates="buffer")
def _stream_flush(ctx, target, a):
    return target.flush()


@op("stream.size", target="stream", result="int")
def _stream_size(ctx, target, a):
    return len(target)


class StatusOnly(Exception):
    """A status the runner derives from the binding's idiom (see README)."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


# -- structure -------------------------------------------------------------------
# Messages follow the C runner's wording, so both name a defect the same way.

_JSON_TYPES = {
    type(None): "null",
    bool: "boolean",
    int: "integer",
    str: "string",
    list: "array",
    dict: "object",
}


def _is_int(v: Any) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def _check_type(v: Any, t: type, what: str) -> None:
    if v is _MISSING:
        raise VectorError(f"{what} is missing")
    if type(v) is not t:
        raise VectorError(
            f"{what} must be a JSON {_JSON_TYPES[t]}, not {_JSON_TYPES.get(type(v), '?')}"
        )


def _keys(obj: Any, allowed: tuple[str, ...], what: str) -> None:
    _check_type(obj, dict, what)
    for k in obj:
        if k not in allowed:
            raise VectorError(f'unknown key "{k}" in {what}')


class _Missing:
    pass


_MISSING: Any = _Missing()


def check_size(v: Any, what: str) -> None:
    if _is_int(v):
        if v < 0:
            raise VectorError(f"{what} is negative")
        return
    if v is _MISSING or not isinstance(v, dict):
        raise VectorError(f'{what} must be an integer or {{"pages", "plus"}}')
    _keys(v, ("pages", "plus"), what)
    for x in v.values():
        _check_type(x, int, what)


def _check_hex(v: Any, nonempty: bool, what: str) -> None:
    _check_type(v, str, what)
    if len(v) % 2 or (nonempty and not v):
        raise VectorError(f"{what}: hex must have an even, nonzero length")
    for c in v:
        if c not in "0123456789abcdefABCDEF":
            raise VectorError(f"{what}: '{c}' is not a hex digit")


def check_data(v: Any, saved: set[str], what: str) -> None:
    _check_type(v, dict, what)
    if "hex" in v:
        _keys(v, ("hex",), what)
        _check_hex(v["hex"], False, what)
    elif "fill" in v:
        _keys(v, ("fill", "len"), what)
        _check_hex(v["fill"], True, what)
        check_size(v.get("len", _MISSING), what)
    elif "counter" in v:
        _keys(v, ("counter", "len"), what)
        check_size(v["counter"], what)
        check_size(v.get("len", _MISSING), what)
    elif "ref" in v:
        _keys(v, ("ref", "offset", "len"), what)
        _check_type(v["ref"], str, what)
        if v["ref"] not in saved:
            raise VectorError(f'{what}: nothing was saved as "{v["ref"]}" before')
        for k in ("offset", "len"):
            if k in v:
                check_size(v[k], what)
    else:
        raise VectorError(f'{what} needs one of "hex", "fill", "counter", "ref"')


def validate_scenario(sc: Any) -> None:
    _keys(sc, ("name", "description", "requires", "steps"), "the scenario")
    name = sc.get("name", _MISSING)
    _check_type(name, str, '"name"')
    if not name:
        raise VectorError('"name" is empty')
    if "description" in sc:
        _check_type(sc["description"], str, '"description"')
    requires = sc.get("requires", [])
    _check_type(requires, list, '"requires"')
    for cap in requires:
        _check_type(cap, str, "a capability")
        if cap not in CAPABILITIES:
            raise VectorError(f'unknown capability "{cap}"')
    steps = sc.get("steps", _MISSING)
    _check_type(steps, list, '"steps"')
    if not steps:
        raise VectorError('"steps" is empty')
    handles: dict[str, str] = {}
    saved: set[str] = set()
    for i, step in enumerate(steps):
        try:
            _validate_step(step, handles, saved, "core" in requires)
        except VectorError as e:
            op = step.get("op") if isinstance(step, dict) else None
            raise VectorError(f"step {i} ({op if isinstance(op, str) else '?'}): {e}") from None


def _expects_ok(step: dict) -> bool:
    exp = step.get("expect")
    return not isinstance(exp, dict) or exp.get("status", "SM_OK") == "SM_OK"


def _validate_step(step: Any, handles: dict[str, str], saved: set[str], core: bool) -> None:
    _keys(step, ("op", "on", "args", "as", "expect", "save"), "the step")
    name = step.get("op", _MISSING)
    _check_type(name, str, '"op"')
    if name not in OPS:
        raise VectorError(f'unknown operation "{name}"')
    o = OPS[name]
    if o.core_only and not core:
        raise VectorError(f'{name} is core only: the scenario must require "core"')
    # args
    args = step.get("args")
    if args is not None:
        _keys(args, tuple(o.args), '"args"')
    for arg, (typ, required) in o.args.items():
        v = args.get(arg, _MISSING) if isinstance(args, dict) else _MISSING
        if v is _MISSING:
            if required:
                raise VectorError(f'argument "{arg}" is missing')
            continue
        what = f'argument "{arg}"'
        if typ == "size":
            check_size(v, what)
        elif typ == "data":
            check_data(v, saved, what)
        elif typ == "kind":
            _check_type(v, str, what)
            if v not in ("PROTECTED", "ENCLAVE"):
                raise VectorError(f'unknown kind "{v}"')
        elif typ == "bool":
            _check_type(v, bool, what)
        elif typ == "int":
            _check_type(v, int, what)
        elif typ == "buffer":
            _check_handle(handles, v, "buffer", what)
    # expect
    if "expect" in step:
        exp = step["expect"]
        _keys(
            exp,
            ("status", "bytes", "len", "not_bytes", "not_all_zero", "value", "source_wiped"),
            '"expect"',
        )
        if "status" in exp:
            _check_type(exp["status"], str, '"status"')
            if exp["status"] not in STATUS_NAMES:
                raise VectorError(f'unknown status name "{exp["status"]}"')
        for k in ("bytes", "len", "not_bytes", "not_all_zero"):
            if k in exp and o.result != "bytes":
                raise VectorError(f'"{k}" does not apply: the operation gives no bytes')
        for k in ("bytes", "not_bytes"):
            if k in exp:
                check_data(exp[k], saved, f'"{k}"')
        if "len" in exp:
            check_size(exp["len"], '"len"')
        if "not_all_zero" in exp:
            _check_true(exp["not_all_zero"], '"not_all_zero"')
        if "value" in exp:
            v = exp["value"]
            if o.result == "int":
                check_size(v, '"value"')
            elif o.result == "bool":
                _check_type(v, bool, '"value"')
            elif o.result == "name":
                _check_type(v, str, '"value"')
            else:
                raise VectorError('"value" does not apply: the operation gives no value')
        if "source_wiped" in exp:
            if not o.wipes:
                raise VectorError('"source_wiped" does not apply: the operation wipes nothing')
            _check_true(exp["source_wiped"], '"source_wiped"')
    # on, as, save
    if o.target is not None:
        _check_handle(handles, step.get("on", _MISSING), o.target, '"on"')
    elif "on" in step:
        raise VectorError('"on" does not apply: the operation has no target')
    if "as" in step and (o.creates is None or not _expects_ok(step)):
        raise VectorError('"as" applies only to a creating operation that expects SM_OK')
    if "as" not in step and o.creates is not None and _expects_ok(step):
        raise VectorError(f'"as" is missing: the operation creates a {o.creates}')
    if "as" in step:
        _check_type(step["as"], str, '"as"')
        if step["as"] in handles:
            raise VectorError(f'name "{step["as"]}" is already bound')
        handles[step["as"]] = o.creates
    if "save" in step:
        if o.result != "bytes":
            raise VectorError('"save" does not apply: the operation gives no bytes')
        _check_type(step["save"], str, '"save"')
        if step["save"] in saved:
            raise VectorError(f'name "{step["save"]}" is already bound')
        saved.add(step["save"])


def _check_true(v: Any, what: str) -> None:
    _check_type(v, bool, what)
    if v is not True:
        raise VectorError(f"{what} may only be true")


def _check_handle(handles: dict[str, str], v: Any, want: str, what: str) -> None:
    _check_type(v, str, what)
    if v not in handles:
        raise VectorError(f'{what}: no handle "{v}" was bound before')
    if handles[v] != want:
        raise VectorError(f'{what}: "{v}" is a {handles[v]}, not a {want}')


# -- evaluation ------------------------------------------------------------------


def eval_size(v: Any) -> int:
    if _is_int(v):
        return v
    pages, plus = v.get("pages", 0), v.get("plus", 0)
    total = pages * sm.page_size() + plus
    if total < 0:
        raise VectorError(
            f"size {{pages {pages}, plus {plus}}} is negative with a page size of {sm.page_size()}"
        )
    return total


def eval_data(v: dict, saved: dict[str, bytes]) -> bytes:
    if "hex" in v:
        return bytes.fromhex(v["hex"])
    if "fill" in v:
        n = eval_size(v["len"])
        if n > MAX_DATA:
            raise VectorError(f"data of {n} bytes is larger than the limit")
        unit = bytes.fromhex(v["fill"])
        return (unit * (n // len(unit) + 1))[:n]
    if "counter" in v:
        start, n = eval_size(v["counter"]), eval_size(v["len"])
        if n > MAX_DATA:
            raise VectorError(f"data of {n} bytes is larger than the limit")
        one = bytes((start + i) & 0xFF for i in range(256))
        return (one * (n // 256 + 1))[:n]
    name = v["ref"]
    data = saved[name]
    off = eval_size(v["offset"]) if "offset" in v else 0
    if off > len(data):
        raise VectorError(f'ref "{name}": offset {off} is past its {len(data)} bytes')
    n = eval_size(v["len"]) if "len" in v else len(data) - off
    if n > len(data) - off:
        raise VectorError(f'ref "{name}": slice [{off}, +{n}) is outside its {len(data)} bytes')
    return data[off : off + n]


def _preview(b: bytes) -> str:
    return b[:24].hex() + ("..." if len(b) > 24 else "")


# -- execution -------------------------------------------------------------------


@dataclass
class Context:
    objects: dict[str, Any] = field(default_factory=dict)
    created: list[Any] = field(default_factory=list)
    saved: dict[str, bytes] = field(default_factory=dict)
    open_views: dict[int, list] = field(default_factory=dict)

    def cleanup(self) -> None:
        """End every access left open, then close every object created."""
        for views in self.open_views.values():
            for v in reversed(views):
                v.release()
        self.open_views.clear()
        for obj in reversed(self.created):
            obj.close()
        self.created.clear()
        self.objects.clear()


def not_applicable(sc: dict) -> Optional[str]:
    missing = [c for c in sc.get("requires", []) if c not in OUR_CAPABILITIES]
    return f"not applicable: requires {', '.join(missing)}" if missing else None


def run_scenario(sc: dict) -> None:
    """Runs one validated scenario; raises VectorError at the first mismatch."""
    ctx = Context()
    try:
        for i, step in enumerate(sc["steps"]):
            try:
                _run_step(ctx, step)
            except VectorError as e:
                raise VectorError(f"step {i} ({step['op']}): {e}") from None
    finally:
        ctx.cleanup()


def _run_step(ctx: Context, step: dict) -> None:
    o = OPS[step["op"]]
    assert o.run is not None, f"{o.name} has no implementation"
    target = ctx.objects[step["on"]] if o.target else None
    raw_args = step.get("args", {})
    args: dict[str, Any] = {}
    source: Optional[bytearray] = None
    for name, (typ, _) in o.args.items():
        if name not in raw_args:
            continue
        v = raw_args[name]
        if typ == "size":
            args[name] = eval_size(v)
        elif typ == "data":
            data = eval_data(v, ctx.saved)
            if o.wipes:
                source = bytearray(data)  # a fresh, writable copy the call wipes
                args[name] = source
            else:
                args[name] = data
        elif typ == "buffer":
            args[name] = ctx.objects[v]
        else:
            args[name] = v
    status, result = "SM_OK", None
    try:
        result = o.run(ctx, target, args)
    except (sm.SecureMemoryError, StatusOnly) as e:
        status = e.code
    except VectorError:
        raise
    except Exception as e:  # not a status: the step fails
        raise VectorError(f"raised {type(e).__name__} (not a status): {e}") from e
    if o.creates and status == "SM_OK":
        ctx.created.append(result)  # closed at the end of the scenario
        if "as" in step:
            ctx.objects[step["as"]] = result
    exp = step.get("expect", {})
    want = exp.get("status", "SM_OK")
    if status != want:
        raise VectorError(f"status {status}, expected {want}")
    if "source_wiped" in exp and (source is None or any(source)):
        n = 0 if source is None else len(source)
        raise VectorError(f"the caller's {n} source bytes were not wiped")
    if o.result == "bytes":
        got = result if status == "SM_OK" else b""
        if not isinstance(got, bytes):
            raise VectorError(f"the operation gave {type(got).__name__}, not bytes")
        _check_bytes(exp, got, ctx.saved)
        if "save" in step:
            ctx.saved[step["save"]] = got
    if "value" in exp:
        _check_value(o, exp["value"], result)


def _check_bytes(exp: dict, got: bytes, saved: dict[str, bytes]) -> None:
    if "len" in exp and len(got) != eval_size(exp["len"]):
        raise VectorError(f"{len(got)} bytes, expected {eval_size(exp['len'])}")
    if "bytes" in exp:
        want = eval_data(exp["bytes"], saved)
        if got != want:
            at = next(
                (i for i, (x, y) in enumerate(zip(got, want)) if x != y), min(len(got), len(want))
            )
            raise VectorError(
                f"bytes differ at offset {at}: got {len(got)} bytes [{_preview(got)}], "
                f"expected {len(want)} bytes [{_preview(want)}]"
            )
    if "not_bytes" in exp:
        other = eval_data(exp["not_bytes"], saved)
        if got == other:
            raise VectorError(
                f"bytes equal {len(other)} bytes [{_preview(other)}], expected them to differ"
            )
    if "not_all_zero" in exp and not any(got):
        raise VectorError(f"all {len(got)} bytes are zero")


def _check_value(o: Op, want: Any, got: Any) -> None:
    if o.result == "int":
        if not _is_int(got) or got != eval_size(want):
            raise VectorError(f"value {got}, expected {eval_size(want)}")
    elif o.result == "bool":
        if not isinstance(got, bool) or got != want:
            raise VectorError(f"value {json.dumps(got)}, expected {json.dumps(want)}")
    elif not isinstance(got, str) or got != want:
        raise VectorError(f"value {json.dumps(got)}, expected {json.dumps(want)}")


# -- files -----------------------------------------------------------------------


@dataclass
class Case:
    id: str
    scenario: Optional[dict] = None
    error: Optional[str] = None  # the file or the scenario is malformed


def _strict_object(pairs: list[tuple[str, Any]]) -> dict:
    obj: dict[str, Any] = {}
    for k, v in pairs:
        if k in obj:
            raise VectorError(f'JSON error: duplicate key "{k}"')
        obj[k] = v
    return obj


def _strict_int(text: str) -> int:
    n = int(text)
    if not -(2**63) <= n < 2**63:
        raise VectorError(f"JSON error: {text} is outside the signed 64-bit range")
    return n


def _no_float(text: str) -> Any:
    raise VectorError(f"JSON error: only integers are allowed, not {text}")


def _no_constant(text: str) -> Any:
    raise VectorError(f"JSON error: {text} is not JSON")


def parse(data: bytes) -> Any:
    try:
        return json.loads(
            data.decode("utf-8"),
            object_pairs_hook=_strict_object,
            parse_int=_strict_int,
            parse_float=_no_float,
            parse_constant=_no_constant,
        )
    except UnicodeDecodeError as e:
        raise VectorError(f"JSON error: not UTF-8: {e}") from None
    except json.JSONDecodeError as e:
        raise VectorError(f"JSON error at byte {e.pos}: {e.msg}") from None


def vector_files(directory: pathlib.Path) -> list[pathlib.Path]:
    """The vector files of a directory: *.json except schema.json and dot files."""
    files = [
        p
        for p in directory.iterdir()
        if p.is_file()
        and p.name.endswith(".json")
        and not p.name.startswith(".")
        and p.name != "schema.json"
    ]
    return sorted(files, key=lambda p: p.name.encode())


def load_cases(directory: pathlib.Path) -> list[Case]:
    """One case per scenario of every vector file, in byte order of the names.

    A file that cannot be read, parsed or whose top level is malformed is one
    failing case named after the file; a malformed scenario fails by itself.
    """
    cases: list[Case] = []
    for path in vector_files(directory):
        stem = path.stem
        try:
            doc = parse(path.read_bytes())
            _keys(doc, ("format", "description", "scenarios"), "the file")
            fmt = doc.get("format", _MISSING)
            _check_type(fmt, int, '"format"')
            if fmt != 1:
                raise VectorError(f"format {fmt} is not supported (only 1)")
            if "description" in doc:
                _check_type(doc["description"], str, '"description"')
            scenarios = doc.get("scenarios", _MISSING)
            _check_type(scenarios, list, '"scenarios"')
            if not scenarios:
                raise VectorError('"scenarios" is empty')
            names = [sc.get("name") for sc in scenarios if isinstance(sc, dict)]
            for i, n in enumerate(names):
                if isinstance(n, str) and n in names[:i]:
                    raise VectorError(f'two scenarios are named "{n}"')
        except (OSError, VectorError) as e:
            cases.append(Case(id=f"{stem}/(file)", error=str(e)))
            continue
        for index, sc in enumerate(scenarios):
            name = sc.get("name") if isinstance(sc, dict) else None
            case_id = f"{stem}/{name}" if isinstance(name, str) and name else f"{stem}/#{index}"
            case = Case(id=case_id, scenario=sc)
            try:
                validate_scenario(sc)
            except VectorError as e:
                case.error = str(e)
            cases.append(case)
    return cases
