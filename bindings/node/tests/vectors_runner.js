'use strict';
// The conformance vector runner for the Node binding: executes every
// scenario of tests/vectors/*.json against the public API, as
// tests/vectors/README.md specifies (strict: unknown keys, operations,
// handles and malformed data fail the scenario; results per scenario).
// vectors.test.js turns each scenario into one node:test test.
const fs = require('node:fs');
const path = require('node:path');
const sm = require('..');

class VectorError extends Error {}
/** A status the runner derives from the binding's idiom (README: statuses). */
class StatusOnly extends Error {
  constructor(code) {
    super(code);
    this.code = code;
  }
}

const CAPABILITIES = new Set(['core']);
const OUR_CAPABILITIES = new Set();
const STATUS_NAMES = [
  'SM_OK', 'SM_ERR_INVALID', 'SM_ERR_NOMEM', 'SM_ERR_MLOCK', 'SM_ERR_PROTECT', 'SM_ERR_CLOSED',
  'SM_ERR_AUTH', 'SM_ERR_CANARY', 'SM_ERR_EOF', 'SM_ERR_CALLBACK', 'SM_ERR_UNSUPPORTED',
];
const MAX_DATA = 64 << 20;
const KIND = { PROTECTED: 'protected', ENCLAVE: 'enclave' };
const PROT_RANK = { NONE: 0, READ: 1, READWRITE: 2 };

// ---- strict JSON ---------------------------------------------------------
// JSON.parse accepts fractions and duplicate keys; vectors allow neither.
function parseJson(buf) {
  const text = buf.toString('utf8');
  if (!Buffer.from(text, 'utf8').equals(buf)) throw new VectorError('JSON error: not UTF-8');
  let i = 0;
  const fail = (msg, at = i) => {
    throw new VectorError(`JSON error at byte ${Buffer.byteLength(text.slice(0, at))}: ${msg}`);
  };
  const ws = () => {
    while (i < text.length && ' \t\n\r'.includes(text[i])) i++;
  };
  const value = () => {
    ws();
    const c = text[i];
    if (c === '{') return object();
    if (c === '[') return array();
    if (c === '"') return string();
    if (c === '-' || (c >= '0' && c <= '9')) return number();
    for (const [word, v] of [['true', true], ['false', false], ['null', null]]) {
      if (text.startsWith(word, i)) {
        i += word.length;
        return v;
      }
    }
    return fail(i >= text.length ? 'unexpected end of input' : `unexpected character '${c}'`);
  };
  const object = () => {
    i++;
    const obj = Object.create(null);
    ws();
    if (text[i] === '}') {
      i++;
      return obj;
    }
    for (;;) {
      ws();
      if (text[i] !== '"') fail(i >= text.length ? 'unexpected end of input' : `unexpected character '${text[i]}'`);
      const k = string();
      if (Object.hasOwn(obj, k)) fail(`duplicate key "${k}"`);
      ws();
      if (text[i] !== ':') fail(`expected ':'`);
      i++;
      obj[k] = value();
      ws();
      if (text[i] === ',') {
        i++;
        continue;
      }
      if (text[i] === '}') {
        i++;
        return obj;
      }
      fail(i >= text.length ? 'unexpected end of input' : `unexpected character '${text[i]}'`);
    }
  };
  const array = () => {
    i++;
    const arr = [];
    ws();
    if (text[i] === ']') {
      i++;
      return arr;
    }
    for (;;) {
      arr.push(value());
      ws();
      if (text[i] === ',') {
        i++;
        continue;
      }
      if (text[i] === ']') {
        i++;
        return arr;
      }
      fail(i >= text.length ? 'unexpected end of input' : `unexpected character '${text[i]}'`);
    }
  };
  const string = () => {
    const start = i;
    i++;
    let out = '';
    while (i < text.length && text[i] !== '"') {
      if (text[i] === '\\') {
        const m = /^\\(["\\/bfnrt]|u[0-9a-fA-F]{4})/.exec(text.slice(i, i + 6));
        if (!m) fail('bad escape');
        out += JSON.parse(`"${m[0]}"`);
        i += m[0].length;
      } else {
        if (text.charCodeAt(i) < 0x20) fail('control character in a string');
        out += text[i++];
      }
    }
    if (i >= text.length) fail('unterminated string', start);
    i++;
    return out;
  };
  const number = () => {
    const m = /^-?(0|[1-9][0-9]*)([.eE][-+0-9.eE]*)?/.exec(text.slice(i));
    if (!m) fail(`unexpected character '${text[i]}'`);
    if (m[2] !== undefined) fail('only integers are allowed');
    const n = BigInt(m[0]);
    if (n < -(2n ** 63n) || n >= 2n ** 63n) fail(`${m[0]} is outside the signed 64-bit range`);
    i += m[0].length;
    return Number(n);
  };
  const doc = value();
  ws();
  if (i < text.length) fail(`unexpected character '${text[i]}'`);
  return doc;
}

// ---- validation ------------------------------------------------------------
const MISSING = Symbol('missing');
const jsonType = (v) =>
  v === null ? 'null' : Array.isArray(v) ? 'array' : typeof v === 'number' ? 'integer' : typeof v === 'object' ? 'object' : typeof v;

function checkType(v, t, what) {
  if (v === MISSING) throw new VectorError(`${what} is missing`);
  if (jsonType(v) !== t) throw new VectorError(`${what} must be a JSON ${t}, not ${jsonType(v)}`);
}

function keys(obj, allowed, what) {
  checkType(obj, 'object', what);
  for (const k of Object.keys(obj)) {
    if (!allowed.includes(k)) throw new VectorError(`unknown key "${k}" in ${what}`);
  }
}

const get = (obj, k) => (obj !== null && typeof obj === 'object' && Object.hasOwn(obj, k) ? obj[k] : MISSING);

function checkSize(v, what) {
  if (typeof v === 'number') {
    if (v < 0) throw new VectorError(`${what} is negative`);
    return;
  }
  if (v === MISSING || jsonType(v) !== 'object') throw new VectorError(`${what} must be an integer or {"pages", "plus"}`);
  keys(v, ['pages', 'plus'], what);
  for (const x of Object.values(v)) checkType(x, 'integer', what);
}

function checkHex(v, nonempty, what) {
  checkType(v, 'string', what);
  if (v.length % 2 || (nonempty && v.length === 0)) throw new VectorError(`${what}: hex must have an even, nonzero length`);
  for (const c of v) {
    if (!'0123456789abcdefABCDEF'.includes(c)) throw new VectorError(`${what}: '${c}' is not a hex digit`);
  }
}

function checkData(v, saved, what) {
  checkType(v, 'object', what);
  if (Object.hasOwn(v, 'hex')) {
    keys(v, ['hex'], what);
    checkHex(v.hex, false, what);
  } else if (Object.hasOwn(v, 'fill')) {
    keys(v, ['fill', 'len'], what);
    checkHex(v.fill, true, what);
    checkSize(get(v, 'len'), what);
  } else if (Object.hasOwn(v, 'counter')) {
    keys(v, ['counter', 'len'], what);
    checkSize(v.counter, what);
    checkSize(get(v, 'len'), what);
  } else if (Object.hasOwn(v, 'ref')) {
    keys(v, ['ref', 'offset', 'len'], what);
    checkType(v.ref, 'string', what);
    if (!saved.has(v.ref)) throw new VectorError(`${what}: nothing was saved as "${v.ref}" before`);
    for (const k of ['offset', 'len']) if (Object.hasOwn(v, k)) checkSize(v[k], what);
  } else {
    throw new VectorError(`${what} needs one of "hex", "fill", "counter", "ref"`);
  }
}

// ---- operations -------------------------------------------------------------
// op name -> { target, creates, result ('bytes'|'int'|'bool'|'name'|null),
//              args: { name: [type, required] }, wipes, coreOnly, run }
const OPS = new Map();
function op(name, spec, run) {
  OPS.set(name, { target: null, creates: null, result: null, args: {}, wipes: false, coreOnly: false, ...spec, run });
}

const copy = (u8) => Buffer.from(u8); // a plain copy for comparison

op('purge', {}, () => sm.purge());
op('status.name', { result: 'name', args: { code: ['int', true] } }, (ctx, t, a) => sm.statusName(a.code));

op('secret.new', { creates: 'secret', args: { kind: ['kind', true], data: ['data', true] }, wipes: true },
  (ctx, t, a) => sm.Secret.fromBytes(a.data, { kind: KIND[a.kind] }));
op('secret.new_random', { creates: 'secret', args: { kind: ['kind', true], len: ['size', true] } },
  (ctx, t, a) => sm.Secret.random(a.len, { kind: KIND[a.kind] }));
op('secret.with_bytes', { target: 'secret', result: 'bytes', args: { fail: ['bool', false] } }, (ctx, t, a) => {
  const failed = new Error('the callback failed');
  try {
    return t.withBytes((bytes) => {
      const seen = copy(bytes);
      if (a.fail) throw failed;
      return seen;
    });
  } catch (e) {
    if (e === failed) throw new StatusOnly('SM_ERR_CALLBACK');
    throw e;
  }
});
op('secret.acquire', { target: 'secret', result: 'bytes' }, (ctx, t) => {
  const access = t.acquire();
  if (!ctx.accesses.has(t)) ctx.accesses.set(t, []);
  ctx.accesses.get(t).push(access);
  return copy(access.bytes);
});
op('secret.release', { target: 'secret' }, (ctx, t) => {
  // The innermost open access; with none, releasing an access that has
  // ended is the binding's equivalent of a release without an acquire.
  const stack = ctx.accesses.get(t) ?? [];
  const access = stack.length > 0 ? stack.pop() : ctx.spent;
  access.release();
  ctx.spent = access;
});
op('secret.read', { target: 'secret', result: 'bytes', args: { offset: ['size', true], cap: ['size', true] } }, (ctx, t, a) => {
  const target = Buffer.alloc(a.cap);
  const n = t.read(a.offset, target);
  if (n === 0 && a.cap > 0) throw new StatusOnly('SM_ERR_EOF'); // read()'s end-of-data idiom
  return target.subarray(0, n);
});
op('secret.size', { target: 'secret', result: 'int' }, (ctx, t) => t.size);
op('secret.kind', { target: 'secret', result: 'name' }, (ctx, t) => t.kind.toUpperCase());
op('secret.is_closed', { target: 'secret', result: 'bool' }, (ctx, t) => t.closed);
op('secret.close', { target: 'secret' }, (ctx, t) => t.close());

op('buffer.new', { creates: 'buffer', args: { len: ['size', true] } }, (ctx, t, a) => sm.GuardedBuffer.alloc(a.len));
op('buffer.new_random', { creates: 'buffer', args: { len: ['size', true] } }, (ctx, t, a) => sm.GuardedBuffer.random(a.len));
op('buffer.from_bytes', { creates: 'buffer', args: { data: ['data', true] }, wipes: true },
  (ctx, t, a) => sm.GuardedBuffer.fromBytes(a.data));

function range(t, offset, length, need) {
  const size = t.size;
  if (length === undefined) length = offset <= size ? size - offset : 0;
  if (t.alive) {
    if (offset > size || length > size - offset) throw new VectorError(`vector touches [${offset}, +${length}) of a buffer of ${size} bytes`);
    if (PROT_RANK[t.protection] < need) throw new VectorError(`vector touches a buffer whose protection is ${t.protection}`);
  }
  return [offset, length];
}
op('buffer.read', { target: 'buffer', result: 'bytes', args: { offset: ['size', false], len: ['size', false] } }, (ctx, t, a) => {
  const [off, n] = range(t, a.offset ?? 0, a.len, PROT_RANK.READ);
  return copy(t.bytes.subarray(off, off + n)); // bytes: SecretClosedError when not alive
});
op('buffer.write', { target: 'buffer', args: { offset: ['size', false], data: ['data', true] } }, (ctx, t, a) => {
  const [off] = range(t, a.offset ?? 0, a.data.length, PROT_RANK.READWRITE);
  t.bytes.set(a.data, off);
});
op('buffer.size', { target: 'buffer', result: 'int' }, (ctx, t) => t.size);
op('buffer.is_alive', { target: 'buffer', result: 'bool' }, (ctx, t) => t.alive);
op('buffer.protection', { target: 'buffer', result: 'name' }, (ctx, t) => t.protection);
op('buffer.freeze', { target: 'buffer' }, (ctx, t) => t.freeze());
op('buffer.melt', { target: 'buffer' }, (ctx, t) => t.melt());
op('buffer.noaccess', { target: 'buffer' }, (ctx, t) => t.noAccess());
op('buffer.check', { target: 'buffer' }, (ctx, t) => t.check());
op('buffer.destroy', { target: 'buffer' }, (ctx, t) => t.destroy());
op('buffer.seal', { target: 'buffer', creates: 'enclave' }, (ctx, t) => t.seal());

op('enclave.new', { creates: 'enclave', args: { data: ['data', true] }, wipes: true }, (ctx, t, a) => sm.Enclave.fromBytes(a.data));
op('enclave.new_random', { creates: 'enclave', args: { len: ['size', true] } }, (ctx, t, a) => sm.Enclave.random(a.len));
op('enclave.open', { target: 'enclave', creates: 'buffer' }, (ctx, t) => t.open());
op('enclave.open_into', { target: 'enclave', args: { into: ['buffer', true] } }, (ctx, t, a) => t.openInto(a.into));
op('enclave.size', { target: 'enclave', result: 'int' }, (ctx, t) => t.size);
op('enclave.tamper', { target: 'enclave', args: { index: ['size', true] }, coreOnly: true }, () => {
  throw new VectorError('enclave.tamper needs the core capability');
});

op('stream.new', { creates: 'stream', args: { chunk_size: ['size', true] } }, (ctx, t, a) => new sm.Stream({ chunkSize: a.chunk_size }));
op('stream.chunk_size', { target: 'stream', result: 'int' }, (ctx, t) => t.chunkSize);
op('stream.write', { target: 'stream', args: { data: ['data', true] } }, (ctx, t, a) => {
  t.write(a.data);
});
op('stream.read', { target: 'stream', result: 'bytes', args: { cap: ['size', true] } }, (ctx, t, a) => {
  const target = Buffer.alloc(a.cap);
  const n = t.read(target);
  if (n === 0 && a.cap > 0) throw new StatusOnly('SM_ERR_EOF'); // read()'s end-of-data idiom
  return target.subarray(0, n);
});
op('stream.next', { target: 'stream', creates: 'buffer' }, (ctx, t) => t.next());
op('stream.flush', { target: 'stream', creates: 'buffer' }, (ctx, t) => t.flush());
op('stream.size', { target: 'stream', result: 'int' }, (ctx, t) => t.size);

for (const name of ['aead.encrypt', 'aead.decrypt']) {
  const args = name === 'aead.encrypt'
    ? { key: ['data', true], nonce: ['data', true], ad: ['data', true], plaintext: ['data', true] }
    : { key: ['data', true], nonce: ['data', true], ad: ['data', true], ciphertext: ['data', true] };
  op(name, { result: 'bytes', args, coreOnly: true }, () => {
    throw new VectorError(`${name} needs the core capability`);
  });
}

// ---- scenario validation ----------------------------------------------------
const expectsOk = (step) => {
  const exp = get(step, 'expect');
  return jsonType(exp) !== 'object' || (exp.status ?? 'SM_OK') === 'SM_OK';
};

function checkHandle(handles, v, want, what) {
  checkType(v, 'string', what);
  if (!handles.has(v)) throw new VectorError(`${what}: no handle "${v}" was bound before`);
  if (handles.get(v) !== want) throw new VectorError(`${what}: "${v}" is a ${handles.get(v)}, not a ${want}`);
}

function checkTrue(v, what) {
  checkType(v, 'boolean', what);
  if (v !== true) throw new VectorError(`${what} may only be true`);
}

function validateStep(step, handles, saved, core) {
  keys(step, ['op', 'on', 'args', 'as', 'expect', 'save'], 'the step');
  const name = get(step, 'op');
  checkType(name, 'string', '"op"');
  const o = OPS.get(name);
  if (o === undefined) throw new VectorError(`unknown operation "${name}"`);
  if (o.coreOnly && !core) throw new VectorError(`${name} is core only: the scenario must require "core"`);
  const args = get(step, 'args');
  if (args !== MISSING) keys(args, Object.keys(o.args), '"args"');
  for (const [arg, [typ, required]] of Object.entries(o.args)) {
    const v = args === MISSING ? MISSING : get(args, arg);
    if (v === MISSING) {
      if (required) throw new VectorError(`argument "${arg}" is missing`);
      continue;
    }
    const what = `argument "${arg}"`;
    if (typ === 'size') checkSize(v, what);
    else if (typ === 'data') checkData(v, saved, what);
    else if (typ === 'kind') {
      checkType(v, 'string', what);
      if (!Object.hasOwn(KIND, v)) throw new VectorError(`unknown kind "${v}"`);
    } else if (typ === 'bool') checkType(v, 'boolean', what);
    else if (typ === 'int') checkType(v, 'integer', what);
    else if (typ === 'buffer') checkHandle(handles, v, 'buffer', what);
  }
  const exp = get(step, 'expect');
  if (exp !== MISSING) {
    keys(exp, ['status', 'bytes', 'len', 'not_bytes', 'not_all_zero', 'value', 'source_wiped'], '"expect"');
    if (Object.hasOwn(exp, 'status')) {
      checkType(exp.status, 'string', '"status"');
      if (!STATUS_NAMES.includes(exp.status)) throw new VectorError(`unknown status name "${exp.status}"`);
    }
    for (const k of ['bytes', 'len', 'not_bytes', 'not_all_zero']) {
      if (Object.hasOwn(exp, k) && o.result !== 'bytes') throw new VectorError(`"${k}" does not apply: the operation gives no bytes`);
    }
    for (const k of ['bytes', 'not_bytes']) if (Object.hasOwn(exp, k)) checkData(exp[k], saved, `"${k}"`);
    if (Object.hasOwn(exp, 'len')) checkSize(exp.len, '"len"');
    if (Object.hasOwn(exp, 'not_all_zero')) checkTrue(exp.not_all_zero, '"not_all_zero"');
    if (Object.hasOwn(exp, 'value')) {
      const v = exp.value;
      if (o.result === 'int') checkSize(v, '"value"');
      else if (o.result === 'bool') checkType(v, 'boolean', '"value"');
      else if (o.result === 'name') checkType(v, 'string', '"value"');
      else throw new VectorError('"value" does not apply: the operation gives no value');
    }
    if (Object.hasOwn(exp, 'source_wiped')) {
      if (!o.wipes) throw new VectorError('"source_wiped" does not apply: the operation wipes nothing');
      checkTrue(exp.source_wiped, '"source_wiped"');
    }
  }
  if (o.target !== null) checkHandle(handles, get(step, 'on'), o.target, '"on"');
  else if (Object.hasOwn(step, 'on')) throw new VectorError('"on" does not apply: the operation has no target');
  const hasAs = Object.hasOwn(step, 'as');
  if (hasAs && (o.creates === null || !expectsOk(step))) throw new VectorError('"as" applies only to a creating operation that expects SM_OK');
  if (!hasAs && o.creates !== null && expectsOk(step)) throw new VectorError(`"as" is missing: the operation creates a ${o.creates}`);
  if (hasAs) {
    checkType(step.as, 'string', '"as"');
    if (handles.has(step.as)) throw new VectorError(`name "${step.as}" is already bound`);
    handles.set(step.as, o.creates);
  }
  if (Object.hasOwn(step, 'save')) {
    if (o.result !== 'bytes') throw new VectorError('"save" does not apply: the operation gives no bytes');
    checkType(step.save, 'string', '"save"');
    if (saved.has(step.save)) throw new VectorError(`name "${step.save}" is already bound`);
    saved.add(step.save);
  }
}

function validateScenario(sc) {
  keys(sc, ['name', 'description', 'requires', 'steps'], 'the scenario');
  const name = get(sc, 'name');
  checkType(name, 'string', '"name"');
  if (!name) throw new VectorError('"name" is empty');
  if (Object.hasOwn(sc, 'description')) checkType(sc.description, 'string', '"description"');
  const requires = Object.hasOwn(sc, 'requires') ? sc.requires : [];
  checkType(requires, 'array', '"requires"');
  for (const cap of requires) {
    checkType(cap, 'string', 'a capability');
    if (!CAPABILITIES.has(cap)) throw new VectorError(`unknown capability "${cap}"`);
  }
  const steps = get(sc, 'steps');
  checkType(steps, 'array', '"steps"');
  if (steps.length === 0) throw new VectorError('"steps" is empty');
  const handles = new Map();
  const saved = new Set();
  steps.forEach((step, i) => {
    try {
      validateStep(step, handles, saved, requires.includes('core'));
    } catch (e) {
      if (!(e instanceof VectorError)) throw e;
      const o = get(step, 'op');
      throw new VectorError(`step ${i} (${typeof o === 'string' ? o : '?'}): ${e.message}`);
    }
  });
}

// ---- evaluation -------------------------------------------------------------
function evalSize(v) {
  if (typeof v === 'number') return v;
  const pages = v.pages ?? 0;
  const plus = v.plus ?? 0;
  const total = pages * sm.pageSize() + plus;
  if (total < 0) throw new VectorError(`size {pages ${pages}, plus ${plus}} is negative with a page size of ${sm.pageSize()}`);
  return total;
}

function evalData(v, saved) {
  if (Object.hasOwn(v, 'hex')) return Buffer.from(v.hex, 'hex');
  if (Object.hasOwn(v, 'fill') || Object.hasOwn(v, 'counter')) {
    const n = evalSize(v.len);
    if (n > MAX_DATA) throw new VectorError(`data of ${n} bytes is larger than the limit`);
    const out = Buffer.alloc(n);
    if (Object.hasOwn(v, 'fill')) {
      if (n > 0) out.fill(Buffer.from(v.fill, 'hex'));
    } else {
      const start = evalSize(v.counter);
      for (let i = 0; i < n; i++) out[i] = (start + i) & 0xff;
    }
    return out;
  }
  const data = saved.get(v.ref);
  const off = Object.hasOwn(v, 'offset') ? evalSize(v.offset) : 0;
  if (off > data.length) throw new VectorError(`ref "${v.ref}": offset ${off} is past its ${data.length} bytes`);
  const n = Object.hasOwn(v, 'len') ? evalSize(v.len) : data.length - off;
  if (n > data.length - off) throw new VectorError(`ref "${v.ref}": slice [${off}, +${n}) is outside its ${data.length} bytes`);
  return data.subarray(off, off + n);
}

const preview = (b) => b.subarray(0, 24).toString('hex') + (b.length > 24 ? '...' : '');

function checkBytes(exp, got, saved) {
  if (Object.hasOwn(exp, 'len') && got.length !== evalSize(exp.len)) {
    throw new VectorError(`${got.length} bytes, expected ${evalSize(exp.len)}`);
  }
  if (Object.hasOwn(exp, 'bytes')) {
    const want = evalData(exp.bytes, saved);
    if (!got.equals(want)) {
      let at = 0;
      while (at < Math.min(got.length, want.length) && got[at] === want[at]) at++;
      throw new VectorError(`bytes differ at offset ${at}: got ${got.length} bytes [${preview(got)}], expected ${want.length} bytes [${preview(want)}]`);
    }
  }
  if (Object.hasOwn(exp, 'not_bytes')) {
    const other = evalData(exp.not_bytes, saved);
    if (got.equals(other)) throw new VectorError(`bytes equal ${other.length} bytes [${preview(other)}], expected them to differ`);
  }
  if (Object.hasOwn(exp, 'not_all_zero') && got.every((x) => x === 0)) {
    throw new VectorError(`all ${got.length} bytes are zero`);
  }
}

function checkValue(o, want, got) {
  if (o.result === 'int') {
    if (!Number.isInteger(got) || got !== evalSize(want)) throw new VectorError(`value ${got}, expected ${evalSize(want)}`);
  } else if (got !== want) {
    throw new VectorError(`value ${JSON.stringify(got)}, expected ${JSON.stringify(want)}`);
  }
}

// ---- execution --------------------------------------------------------------
function runStep(ctx, step) {
  const o = OPS.get(step.op);
  const target = o.target !== null ? ctx.objects.get(step.on) : null;
  const raw = step.args ?? {};
  const args = {};
  let source = null;
  for (const [name, [typ]] of Object.entries(o.args)) {
    if (!Object.hasOwn(raw, name)) continue;
    const v = raw[name];
    if (typ === 'size') args[name] = evalSize(v);
    else if (typ === 'data') {
      const data = evalData(v, ctx.saved);
      // A fresh, writable copy: the call may wipe it (source_wiped checks it).
      source = Buffer.from(data);
      args[name] = source;
    } else if (typ === 'buffer') args[name] = ctx.objects.get(v);
    else args[name] = v;
  }
  let status = 'SM_OK';
  let result;
  try {
    result = o.run(ctx, target, args);
  } catch (e) {
    if (e instanceof sm.SecureMemoryError || e instanceof StatusOnly) status = e.code;
    else if (e instanceof VectorError) throw e;
    else throw new VectorError(`threw ${e?.name ?? typeof e} (not a status): ${e?.message ?? e}`);
  }
  if (o.creates !== null && status === 'SM_OK') {
    ctx.created.push(result);
    if (Object.hasOwn(step, 'as')) ctx.objects.set(step.as, result);
  }
  const exp = step.expect ?? {};
  const want = exp.status ?? 'SM_OK';
  if (status !== want) throw new VectorError(`status ${status}, expected ${want}`);
  if (Object.hasOwn(exp, 'source_wiped') && (source === null || source.some((x) => x !== 0))) {
    throw new VectorError(`the caller's ${source === null ? 0 : source.length} source bytes were not wiped`);
  }
  if (o.result === 'bytes') {
    const got = status === 'SM_OK' ? result : Buffer.alloc(0);
    if (!Buffer.isBuffer(got)) throw new VectorError('the operation gave no bytes');
    checkBytes(exp, got, ctx.saved);
    if (Object.hasOwn(step, 'save')) ctx.saved.set(step.save, Buffer.from(got));
  }
  if (Object.hasOwn(exp, 'value')) checkValue(o, exp.value, result);
}

function cleanup(ctx) {
  for (const stack of ctx.accesses.values()) for (const a of stack.reverse()) a.release();
  ctx.accesses.clear();
  for (const obj of ctx.created.reverse()) {
    if (obj instanceof sm.GuardedBuffer) obj.destroy();
    else obj.close();
  }
}

/** Runs one validated scenario; throws VectorError at the first mismatch. */
function runScenario(sc) {
  const ctx = { objects: new Map(), created: [], saved: new Map(), accesses: new Map(), spent: null };
  // A spent access: releasing it again is the "release with none open" case.
  ctx.spent = null;
  try {
    sc.steps.forEach((step, i) => {
      if (step.op === 'secret.release' && ctx.spent === null) {
        const s = sm.Secret.random(1);
        ctx.spent = s.acquire();
        ctx.spent.release();
        s.close();
      }
      try {
        runStep(ctx, step);
      } catch (e) {
        if (e instanceof VectorError) throw new VectorError(`step ${i} (${step.op}): ${e.message}`);
        throw e;
      }
    });
  } finally {
    cleanup(ctx);
  }
}

function notApplicable(sc) {
  const missing = (sc.requires ?? []).filter((c) => !OUR_CAPABILITIES.has(c));
  return missing.length > 0 ? `not applicable: requires ${missing.join(', ')}` : null;
}

/** The vector files of a directory: *.json except schema.json, in byte order. */
function vectorFiles(dir) {
  return fs.readdirSync(dir)
    .filter((n) => n.endsWith('.json') && !n.startsWith('.') && n !== 'schema.json' && fs.statSync(path.join(dir, n)).isFile())
    .sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)))
    .map((n) => path.join(dir, n));
}

/**
 * One case per scenario ({ id, scenario, error }): a file that cannot be
 * read or parsed, or whose top level is malformed, is one case named
 * "<stem>/(file)" with its error; a malformed scenario carries its error.
 */
function loadCases(dir) {
  const cases = [];
  for (const file of vectorFiles(dir)) {
    const stem = path.basename(file, '.json');
    let scenarios;
    try {
      const doc = parseJson(fs.readFileSync(file));
      keys(doc, ['format', 'description', 'scenarios'], 'the file');
      const fmt = get(doc, 'format');
      checkType(fmt, 'integer', '"format"');
      if (fmt !== 1) throw new VectorError(`format ${fmt} is not supported (only 1)`);
      if (Object.hasOwn(doc, 'description')) checkType(doc.description, 'string', '"description"');
      scenarios = get(doc, 'scenarios');
      checkType(scenarios, 'array', '"scenarios"');
      if (scenarios.length === 0) throw new VectorError('"scenarios" is empty');
      const names = scenarios.map((sc) => get(sc, 'name'));
      names.forEach((n, i) => {
        if (typeof n === 'string' && names.indexOf(n) < i) throw new VectorError(`two scenarios are named "${n}"`);
      });
    } catch (e) {
      if (!(e instanceof VectorError)) throw e;
      cases.push({ id: `${stem}/(file)`, scenario: null, error: e.message });
      continue;
    }
    scenarios.forEach((sc, index) => {
      const name = get(sc, 'name');
      const id = typeof name === 'string' && name ? `${stem}/${name}` : `${stem}/#${index}`;
      const c = { id, scenario: sc, error: null };
      try {
        validateScenario(sc);
      } catch (e) {
        if (!(e instanceof VectorError)) throw e;
        c.error = e.message;
      }
      cases.push(c);
    });
  }
  return cases;
}

/**
 * Runs one case: resolves to { outcome: 'pass' | 'fail' | 'skip', message }.
 */
function runCase(c) {
  if (c.error !== null) return { outcome: 'fail', message: c.error };
  const na = notApplicable(c.scenario);
  if (na !== null) return { outcome: 'skip', message: na };
  try {
    runScenario(c.scenario);
    return { outcome: 'pass', message: '' };
  } catch (e) {
    if (e instanceof VectorError) return { outcome: 'fail', message: e.message };
    return { outcome: 'fail', message: `runner error: ${e?.stack ?? e}` };
  }
}

module.exports = { loadCases, runCase, parseJson, VectorError };
