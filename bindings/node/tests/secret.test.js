'use strict';
// Secrets: creation and wiping, zero-copy access and its end (detach),
// close, read, purge during accesses, bad input.
const test = require('node:test');
const assert = require('node:assert');
const sm = require('..');
const { Secret } = sm;

const pattern = (n, seed = 1) => Buffer.from(Array.from({ length: n }, (_, i) => (i * 7 + seed) & 0xff || 1));

for (const kind of ['protected', 'enclave']) {
  test(`${kind}: fromBytes copies, then zeroes the source`, () => {
    const data = pattern(40);
    const s = Secret.fromBytes(data, { kind });
    assert.ok(data.every((x) => x === 0));
    assert.strictEqual(s.size, 40);
    assert.strictEqual(s.kind, kind);
    assert.deepStrictEqual(s.withBytes((b) => Buffer.from(b)), pattern(40));
    s.close();
  });

  test(`${kind}: a Uint8Array over part of a larger ArrayBuffer: only that part is read and zeroed`, () => {
    const whole = new Uint8Array(16).fill(9);
    const s = Secret.fromBytes(whole.subarray(4, 8), { kind });
    assert.deepStrictEqual([...whole], [9, 9, 9, 9, 0, 0, 0, 0, 9, 9, 9, 9, 9, 9, 9, 9]);
    assert.deepStrictEqual(s.withBytes((b) => [...b]), [9, 9, 9, 9]);
    s.close();
  });

  test(`${kind}: withBytes gives a zero-copy view that is detached when fn returns`, () => {
    const s = Secret.random(32, { kind });
    let kept;
    const r = s.withBytes((b) => {
      kept = b;
      assert.strictEqual(b.byteLength, 32);
      assert.ok(b instanceof Uint8Array);
      return 'result';
    });
    assert.strictEqual(r, 'result');
    assert.strictEqual(kept.byteLength, 0);
    assert.strictEqual(kept.buffer.byteLength, 0);
    assert.strictEqual(kept[0], undefined); // reads nothing, never faults
    s.close();
  });

  test(`${kind}: an async fn: the view stays attached until its promise settles`, async () => {
    const s = Secret.random(32, { kind });
    let kept;
    const p = s.withBytes(async (b) => {
      kept = b;
      await new Promise((resolve) => setTimeout(resolve, 5));
      assert.strictEqual(b.byteLength, 32);
      return b.byteLength;
    });
    assert.ok(p instanceof Promise);
    assert.strictEqual(kept.byteLength, 32);
    assert.strictEqual(await p, 32);
    assert.strictEqual(kept.byteLength, 0);
    // a rejected promise ends the access too, and the rejection comes through
    let kept2;
    await assert.rejects(s.withBytes(async (b) => {
      kept2 = b;
      throw new RangeError('boom');
    }), RangeError);
    assert.strictEqual(kept2.byteLength, 0);
    s.close();
    assert.strictEqual(sm.stats().liveSecretsProtected + sm.stats().liveSecretsEnclave, 0);
  });

  test(`${kind}: an exception from fn propagates unchanged and ends the access`, () => {
    const s = Secret.random(16, { kind });
    const err = new Error('mine');
    let kept;
    assert.throws(() => s.withBytes((b) => {
      kept = b;
      throw err;
    }), (e) => e === err);
    assert.strictEqual(kept.byteLength, 0);
    s.close(); // would wait forever if the access were still open
    assert.ok(s.closed);
  });

  test(`${kind}: acquire/release nest; a second release is SM_ERR_INVALID`, () => {
    const s = Secret.fromBytes(pattern(8), { kind });
    const a = s.acquire();
    const b = s.acquire();
    assert.deepStrictEqual(Buffer.from(b.bytes), pattern(8));
    b.release();
    assert.strictEqual(b.bytes.byteLength, 0);
    assert.strictEqual(a.bytes.byteLength, 8);
    a.release();
    assert.throws(() => a.release(), { code: 'SM_ERR_INVALID', name: 'InvalidArgumentError' });
    a[Symbol.dispose](); // no error: already released
    s.close();
  });

  test(`${kind}: accesses released out of order; purge ends exactly the open ones`, () => {
    const s = Secret.fromBytes(pattern(8), { kind });
    const t = Secret.fromBytes(pattern(8), { kind });
    const [a, b, c, d] = [s.acquire(), t.acquire(), s.acquire(), t.acquire()];
    c.release(); // from the middle of this thread's open accesses
    a.release(); // the oldest
    assert.ok(!b.released && !d.released);
    sm.purge(); // ends b and d; a and c are not released twice
    for (const x of [a, b, c, d]) {
      assert.ok(x.released);
      assert.strictEqual(x.bytes.byteLength, 0);
      assert.throws(() => x.release(), { code: 'SM_ERR_INVALID' });
    }
    assert.ok(s.closed && t.closed);
    assert.strictEqual(sm.stats().liveSecretsProtected + sm.stats().liveSecretsEnclave, 0);
  });

  test(`${kind}: read copies from an offset; 0 at the end`, () => {
    const s = Secret.fromBytes(pattern(10), { kind });
    const t = Buffer.alloc(4);
    assert.strictEqual(s.read(8, t), 2);
    assert.deepStrictEqual(t.subarray(0, 2), pattern(10).subarray(8));
    assert.strictEqual(s.read(10, t), 0);
    assert.strictEqual(s.read(1000, t), 0);
    assert.throws(() => s.read(0, Buffer.alloc(0)), { code: 'SM_ERR_INVALID' });
    s.close();
    assert.throws(() => s.read(0, t), { code: 'SM_ERR_CLOSED', name: 'SecretClosedError' });
  });

  test(`${kind}: close is idempotent; access after close is SM_ERR_CLOSED; size stays`, () => {
    const s = Secret.random(24, { kind });
    s.close();
    s.close();
    assert.ok(s.closed);
    assert.strictEqual(s.size, 24);
    assert.throws(() => s.withBytes(() => 0), sm.SecretClosedError);
    assert.throws(() => s.acquire(), { code: 'SM_ERR_CLOSED' });
  });
}

test('close() during this thread\'s async access: refused at once, wiped when the access ends', async () => {
  const s = Secret.random(32);
  const before = sm.stats().liveSecretsProtected;
  let kept;
  const p = s.withBytes(async (b) => {
    kept = b;
    await new Promise((resolve) => setTimeout(resolve, 10));
    return b.byteLength;
  });
  s.close();
  assert.ok(s.closed);
  assert.throws(() => s.withBytes(() => 0), { code: 'SM_ERR_CLOSED' });
  assert.strictEqual(kept.byteLength, 32); // still readable inside the access
  assert.strictEqual(sm.stats().liveSecretsProtected, before);
  assert.strictEqual(await p, 32);
  assert.strictEqual(sm.stats().liveSecretsProtected, before - 1);
});

test('close() from inside a sync withBytes does not deadlock', () => {
  const s = Secret.random(8);
  const r = s.withBytes((b) => {
    s.close();
    return b.byteLength;
  });
  assert.strictEqual(r, 8);
  assert.ok(s.closed);
});

test('purge during an async access: the view is detached, the access ended, the secret closed', async () => {
  const s = Secret.random(32);
  const e = Secret.random(32, { kind: 'enclave' });
  let kept;
  let keptE;
  const p = s.withBytes(async (b) => {
    kept = b;
    await new Promise((resolve) => setTimeout(resolve, 20));
    return b.byteLength; // after the purge: 0
  });
  const q = e.withBytes(async (b) => {
    keptE = b;
    await null;
    return 1;
  });
  const a = s.acquire();
  sm.purge(); // would deadlock if this thread's accesses were left open
  assert.strictEqual(kept.byteLength, 0);
  assert.strictEqual(keptE.byteLength, 0);
  assert.strictEqual(a.bytes.byteLength, 0);
  assert.ok(a.released);
  assert.ok(s.closed && e.closed);
  assert.strictEqual(await p, 0);
  assert.strictEqual(await q, 1);
  assert.throws(() => a.release(), { code: 'SM_ERR_INVALID' });
  assert.strictEqual(sm.stats().liveSecretsProtected, 0);
});

test('purge from inside withBytes does not deadlock', () => {
  const s = Secret.random(8);
  const n = s.withBytes((b) => {
    sm.purge();
    return b.byteLength;
  });
  assert.strictEqual(n, 0);
  assert.ok(s.closed);
});

test('bad input: TypeError, RangeError or the core\'s status; nothing lost', () => {
  for (const bad of ['text', 42, null, undefined, {}, [1, 2], new Uint16Array(2), new ArrayBuffer(4), new DataView(new ArrayBuffer(2))]) {
    assert.throws(() => Secret.fromBytes(bad), TypeError, String(bad));
  }
  assert.throws(() => Secret.fromBytes(Buffer.alloc(0)), { code: 'SM_ERR_INVALID', name: 'InvalidArgumentError' });
  assert.throws(() => Secret.fromBytes(new Uint8Array(0)), sm.InvalidArgumentError);
  const data = pattern(4);
  assert.throws(() => Secret.fromBytes(data, { kind: 'PROTECTED' }), { code: 'SM_ERR_INVALID' });
  assert.ok(data.every((x) => x === 0), 'the source is wiped on every path');
  assert.throws(() => Secret.fromBytes(pattern(4), { kind: 'toString' }), { code: 'SM_ERR_INVALID' });
  assert.throws(() => Secret.fromBytes(pattern(4), { kind: 1 }), TypeError);
  assert.throws(() => Secret.fromBytes(pattern(4), 'enclave'), TypeError);
  assert.throws(() => Secret.random(0), { code: 'SM_ERR_INVALID' });
  assert.throws(() => Secret.random(-1), RangeError);
  assert.throws(() => Secret.random(1.5), RangeError);
  assert.throws(() => Secret.random(NaN), RangeError);
  assert.throws(() => Secret.random(2 ** 53), RangeError);
  assert.throws(() => Secret.random('8'), TypeError);
  assert.throws(() => Secret.random(2 ** 52), sm.SecureMemoryError);
  assert.throws(() => new Secret(), TypeError);
  const s = Secret.random(8);
  for (const bad of [null, undefined, 1, 'fn', {}]) assert.throws(() => s.withBytes(bad), TypeError);
  assert.throws(() => s.read(-1, Buffer.alloc(1)), RangeError);
  assert.throws(() => s.read(0, 'x'), TypeError);
  assert.throws(() => s.read('0', Buffer.alloc(1)), TypeError);
  s.close();
});

test('Symbol.dispose closes', () => {
  const s = Secret.random(8);
  s[Symbol.dispose]();
  assert.ok(s.closed);
});
