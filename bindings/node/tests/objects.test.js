'use strict';
// GuardedBuffer, Enclave and Stream.
const test = require('node:test');
const assert = require('node:assert');
const sm = require('..');
const { GuardedBuffer, Enclave, Stream } = sm;

test('GuardedBuffer: alloc is zeroed and writable; bytes is the memory itself', () => {
  const b = GuardedBuffer.alloc(64);
  assert.strictEqual(b.size, 64);
  assert.strictEqual(b.protection, 'READWRITE');
  assert.ok(b.bytes.every((x) => x === 0));
  b.bytes.fill(0xab);
  assert.strictEqual(b.bytes, b.bytes); // the same view until the protection changes
  assert.ok(b.bytes.every((x) => x === 0xab));
  b.destroy();
});

test('GuardedBuffer: freeze/melt/noAccess renew or detach the view; destroy detaches', () => {
  const b = GuardedBuffer.fromBytes(Buffer.from('abcdef'));
  const v1 = b.bytes;
  b.freeze();
  assert.strictEqual(v1.byteLength, 0);
  assert.strictEqual(b.protection, 'READ');
  assert.strictEqual(Buffer.from(b.bytes).toString(), 'abcdef');
  b.noAccess();
  assert.strictEqual(b.protection, 'NONE');
  assert.throws(() => b.bytes, { code: 'SM_ERR_INVALID' });
  b.melt();
  const v2 = b.bytes;
  v2[0] = 0x41;
  b.check();
  b.destroy();
  b.destroy();
  assert.strictEqual(v2.byteLength, 0);
  assert.ok(!b.alive);
  assert.strictEqual(b.size, 0);
  assert.strictEqual(b.protection, 'NONE');
  assert.throws(() => b.bytes, { code: 'SM_ERR_CLOSED' });
  assert.throws(() => b.freeze(), { code: 'SM_ERR_CLOSED' });
});

test('GuardedBuffer: random differs; fromBytes zeroes its source; purge detaches views', () => {
  const a = GuardedBuffer.random(32);
  const c = GuardedBuffer.random(32);
  assert.ok(!Buffer.from(a.bytes).equals(Buffer.from(c.bytes)));
  const src = Buffer.from('secret!');
  const d = GuardedBuffer.fromBytes(src);
  assert.ok(src.every((x) => x === 0));
  const view = d.bytes;
  sm.purge();
  assert.strictEqual(view.byteLength, 0);
  assert.ok(!a.alive && !c.alive && !d.alive);
  assert.throws(() => d.bytes, { code: 'SM_ERR_CLOSED' });
});

test('GuardedBuffer: bad input', () => {
  assert.throws(() => GuardedBuffer.alloc(0), { code: 'SM_ERR_INVALID' });
  assert.throws(() => GuardedBuffer.alloc(-3), RangeError);
  assert.throws(() => GuardedBuffer.alloc('3'), TypeError);
  assert.throws(() => GuardedBuffer.fromBytes('abc'), TypeError);
  assert.throws(() => GuardedBuffer.fromBytes(new Uint8Array(0)), { code: 'SM_ERR_INVALID' });
  assert.throws(() => new GuardedBuffer(), TypeError);
});

test('Enclave: seal, open, openInto; sizes; close', () => {
  const src = Buffer.from('the key material');
  const e = Enclave.fromBytes(src);
  assert.ok(src.every((x) => x === 0));
  assert.strictEqual(e.size, 16);
  const b = e.open();
  assert.strictEqual(b.protection, 'READ');
  assert.strictEqual(Buffer.from(b.bytes).toString(), 'the key material');
  b.destroy();
  const into = GuardedBuffer.alloc(16);
  const view = into.bytes;
  e.openInto(into);
  assert.strictEqual(Buffer.from(view).toString(), 'the key material'); // writable stays writable
  into.freeze();
  e.openInto(into);
  assert.strictEqual(into.protection, 'READ');
  assert.strictEqual(Buffer.from(into.bytes).toString(), 'the key material');
  assert.throws(() => e.openInto(GuardedBuffer.alloc(3)), { code: 'SM_ERR_INVALID' });
  assert.throws(() => e.openInto({}), TypeError);
  into.destroy();
  assert.throws(() => e.openInto(into), { code: 'SM_ERR_CLOSED' });
  e.close();
  e.close();
  assert.ok(e.closed);
  assert.throws(() => e.open(), { code: 'SM_ERR_CLOSED' });
});

test('Enclave: sealing a buffer destroys it; enclaves sealed before a purge fail to open', () => {
  const b = GuardedBuffer.random(48);
  const copy = Buffer.from(b.bytes);
  const e = b.seal();
  assert.ok(!b.alive);
  const o = e.open();
  assert.ok(Buffer.from(o.bytes).equals(copy));
  copy.fill(0);
  o.destroy();
  const r = Enclave.random(8);
  sm.purge();
  assert.throws(() => e.open(), { code: 'SM_ERR_AUTH', name: 'AuthenticationError' });
  assert.throws(() => r.open(), sm.AuthenticationError);
  assert.throws(() => Enclave.random(0), { code: 'SM_ERR_INVALID' });
  assert.throws(() => Enclave.fromBytes(null), TypeError);
});

test('Stream: write, read across chunks, next, flush, async iteration', async () => {
  const s = new Stream({ chunkSize: 4 });
  assert.strictEqual(s.chunkSize, 4);
  assert.strictEqual(s.write(Buffer.from('0123456789')), 10);
  assert.strictEqual(s.size, 10);
  const t = Buffer.alloc(3);
  assert.strictEqual(s.read(t), 3);
  assert.strictEqual(t.toString(), '012');
  const n = s.next();
  assert.strictEqual(Buffer.from(n.bytes).toString(), '3');
  n.destroy();
  const chunks = [];
  for await (const c of s) {
    chunks.push(Buffer.from(c.bytes).toString());
    c.destroy();
  }
  assert.deepStrictEqual(chunks, ['4567', '89']);
  assert.strictEqual(s.read(t), 0);
  assert.throws(() => s.next(), { code: 'SM_ERR_EOF', name: 'EndOfStreamError' });
  assert.throws(() => s.flush(), { code: 'SM_ERR_EOF' });
  s.write(Buffer.from('abcdefghij'));
  const all = s.flush();
  assert.strictEqual(Buffer.from(all.bytes).toString(), 'abcdefghij');
  all.destroy();
  assert.strictEqual(new Stream().chunkSize, 4 * sm.pageSize());
  s.close();
  s.close();
  assert.throws(() => s.write(Buffer.from('x')), { code: 'SM_ERR_CLOSED' });
});

test('Stream: bad input; a purge loses queued data for good', () => {
  assert.throws(() => new Stream({ chunkSize: -1 }), RangeError);
  assert.throws(() => new Stream('big'), TypeError);
  assert.throws(() => new Stream({ chunkSize: 2 ** 50 }), { code: 'SM_ERR_INVALID' });
  const s = new Stream();
  assert.throws(() => s.write('text'), TypeError);
  assert.throws(() => s.read(Buffer.alloc(0)), { code: 'SM_ERR_INVALID' });
  s.write(Buffer.from('data'));
  sm.purge();
  assert.strictEqual(s.size, 0);
  assert.throws(() => s.read(Buffer.alloc(4)), { code: 'SM_ERR_AUTH' });
  assert.throws(() => s.write(Buffer.from('x')), { code: 'SM_ERR_CLOSED' });
  s.close();
});
