'use strict';
// worker_threads: views never move to another thread; secrets used from
// several workers at once; the GC backstop.
const test = require('node:test');
const assert = require('node:assert');
const path = require('node:path');
const { Worker, MessageChannel, receiveMessageOnPort } = require('node:worker_threads');
const { spawnSync } = require('node:child_process');
const sm = require('..');

const major = Number(process.versions.node.split('.')[0]);

test('a view listed for transfer is copied (Node 20) or refused (Node >= 21), never moved', () => {
  const s = sm.Secret.fromBytes(Buffer.from('0123456789abcdef'));
  const { port1, port2 } = new MessageChannel();
  let received;
  s.withBytes((view) => {
    if (major >= 21) {
      assert.throws(() => port1.postMessage(view, [view.buffer]), /DataCloneError|untransferable|could not be cloned/i);
      port1.postMessage(view);
    } else {
      port1.postMessage(view, [view.buffer]);
    }
    // the sender's view stays attached to the page until the access ends
    assert.strictEqual(view.byteLength, 16);
    assert.strictEqual(Buffer.from(view).toString(), '0123456789abcdef');
    received = receiveMessageOnPort(port2).message;
  });
  // the receiver's copy stays readable after the access ended
  assert.strictEqual(Buffer.from(received).toString(), '0123456789abcdef');
  received.fill(0);
  port1.close();
  s.close();
});

test('a view posted to a worker arrives as a copy; the worker reads it after the access ended', async () => {
  const s = sm.Secret.fromBytes(Buffer.from('worker-copy'));
  const w = new Worker(`
    const { parentPort } = require('node:worker_threads');
    parentPort.once('message', (view) => {
      setTimeout(() => parentPort.postMessage(Buffer.from(view).toString()), 20);
    });`, { eval: true });
  s.withBytes((view) => w.postMessage(view, major >= 21 ? [] : [view.buffer]));
  const got = await new Promise((resolve, reject) => {
    w.once('message', resolve);
    w.once('error', reject);
  });
  assert.strictEqual(got, 'worker-copy');
  await w.terminate();
  s.close();
});

test('secrets used from several workers at once', async () => {
  const script = path.join(__dirname, 'fixtures', 'worker_use.js');
  const workers = Array.from({ length: 3 }, (_, i) => new Worker(script, { workerData: { id: i, rounds: 300 } }));
  const results = await Promise.all(workers.map((w) => new Promise((resolve, reject) => {
    w.once('message', resolve);
    w.once('error', reject);
  })));
  for (const r of results) assert.deepStrictEqual(r, { ok: true, errors: [] });
  await Promise.all(workers.map((w) => w.terminate()));
});

test('a worker that exits ends its own views without purging the process', async () => {
  const s = sm.Secret.random(16);
  const w = new Worker(`
    const sm = require(${JSON.stringify(path.join(__dirname, '..'))});
    const s = sm.Secret.random(16);
    s.withBytes(() => new Promise(() => {})); // never settles
    process.exit(0);`, { eval: true });
  await new Promise((resolve) => w.once('exit', resolve));
  assert.ok(!s.closed);
  s.close();
});

test('signals cannot be caught from a worker', async () => {
  const w = new Worker(`
    const { parentPort } = require('node:worker_threads');
    const sm = require(${JSON.stringify(path.join(__dirname, '..'))});
    try { sm.catchInterrupt(); parentPort.postMessage('caught') } catch (e) { parentPort.postMessage(e.code) }`, { eval: true });
  const got = await new Promise((resolve) => w.once('message', resolve));
  assert.strictEqual(got, 'SM_ERR_UNSUPPORTED');
  await w.terminate();
});

test('GC backstop: unclosed secrets and buffers are freed when collected; a kept view is detached', () => {
  const code = `
    const sm = require('.');
    const base = sm.stats();
    let kept;
    (() => {
      for (let i = 0; i < 50; i++) sm.Secret.random(32);
      for (let i = 0; i < 5; i++) sm.Secret.random(32, { kind: 'enclave' });
      const b = sm.GuardedBuffer.random(64);
      kept = b.bytes;
    })();
    const during = sm.stats();
    const tick = () => new Promise((r) => setImmediate(r));
    (async () => {
      for (let i = 0; i < 20; i++) { globalThis.gc(); await tick(); }
      const after = sm.stats();
      console.log(JSON.stringify({
        during: during.liveSecretsProtected - base.liveSecretsProtected,
        after: after.liveSecretsProtected - base.liveSecretsProtected,
        enclaveAfter: after.liveSecretsEnclave - base.liveSecretsEnclave,
        buffersDuring: during.liveBuffers, buffersAfter: after.liveBuffers,
        keptLength: kept.byteLength }));
    })();`;
  const r = spawnSync(process.execPath, ['--expose-gc', '-e', code], { cwd: path.join(__dirname, '..'), encoding: 'utf8' });
  assert.strictEqual(r.status, 0, r.stderr);
  const o = JSON.parse(r.stdout);
  assert.strictEqual(o.during, 50);
  assert.strictEqual(o.after, 0);
  assert.strictEqual(o.enclaveAfter, 0);
  assert.ok(o.buffersAfter < o.buffersDuring, r.stdout);
  assert.strictEqual(o.keptLength, 0);
});
