'use strict';
// The Node binding beside sodium-native, in one process, doing the same
// jobs (issue 14, section 4), plus rows of our own (enclaves, streams).
// Each row runs ours and the anchor in alternating rounds (both see the
// same machine noise) and reports the median ns per operation.
//
//   node --expose-gc bench/node/bench.js OUT.jsonl   (SM_BENCH_QUICK=1: short rounds)
//   node bench/node/bench.js --scale N OUT.json (N live PROTECTED secrets)
const fs = require('node:fs');
const { markAsUntransferable } = require('node:worker_threads');
const path = require('node:path');
const sm = require('../../bindings/node');
const sodium = require('../../bindings/node/node_modules/sodium-native');

const quick = process.env.SM_BENCH_QUICK === '1';
const ROUNDS = quick ? 5 : 15;
const ROUND_NS = (quick ? 10 : 40) * 1e6;

/** Iterations of fn that take about one round. */
async function calibrate(fn, collect) {
  let n = 1;
  for (;;) {
    await settle(collect);
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < n; i++) fn();
    const took = Number(process.hrtime.bigint() - t0);
    if (took >= ROUND_NS / 8) return Math.max(1, Math.round((n * ROUND_NS) / Math.max(took, 1)));
    n *= 2;
  }
}

// sodium-native's sodium_free only detaches: libsodium's sodium_free runs
// when the ArrayBuffer is collected and its finalizer has run (after the
// current tick). A collection and a turn of the event loop between rounds
// (untimed, for both sides) keep its mappings under vm.max_map_count;
// inside a round each side pays for its own garbage as in a program.
// Only the rows that free sodium memory collect (collect = true): a forced
// full collection before every round also shrinks V8's young generation,
// so the next round pays for regrowing it (measured: +2-3 us per withBytes,
// whose views are young garbage), a cost no steady-state program has.
async function settle(collect) {
  for (let i = 0; i < 3; i++) {
    if (collect && typeof globalThis.gc === 'function') globalThis.gc();
    await new Promise((resolve) => setImmediate(resolve));
  }
}

function round(fn, n) {
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < n; i++) fn();
  return Number(process.hrtime.bigint() - t0) / n;
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** Median ns/op of ours and of the anchor, in alternating rounds. */
async function pair(ours, anchor, collect) {
  await settle(true); // the garbage of earlier rows (sodium's mappings) goes first
  const n1 = await calibrate(ours, collect);
  const n2 = anchor ? await calibrate(anchor, collect) : 0;
  const a = [];
  const b = [];
  for (let r = 0; r < ROUNDS; r++) {
    await settle(collect);
    a.push(round(ours, n1));
    if (anchor) {
      await settle(collect);
      b.push(round(anchor, n2));
    }
  }
  return [median(a), anchor ? median(b) : null];
}

const rows = [];
async function row(group, name, ours, anchorName, anchor) {
  const [ns, anchorNs] = await pair(ours, anchor, group === 'create_close'); // sodium_free needs a collection
  rows.push({ kind: 'node', group, name, ns, anchor: anchorName, anchor_ns: anchorNs });
  const ratio = anchorNs ? `x${(ns / anchorNs).toFixed(2)}` : '';
  process.stderr.write(`node  ${name.padEnd(44)} ${ns.toFixed(0).padStart(10)} ns  ${(anchorName ?? '').padEnd(44)} ${anchorNs ? anchorNs.toFixed(0).padStart(10) + ' ns' : ''}  ${ratio}\n`);
}

function sodiumCycle(size) {
  return () => {
    const b = sodium.sodium_malloc(size);
    sodium.sodium_mprotect_noaccess(b);
    sodium.sodium_free(b);
  };
}

async function main(out) {
  for (const size of [32, 1024]) {
    const label = size === 32 ? '32 B' : '1 KiB';
    await row('create_close', `Secret.random+close PROTECTED ${label}`, () => sm.Secret.random(size).close(),
      `sodium_malloc+noaccess+free ${label}`, sodiumCycle(size));
    await row('create_close', `Secret.random+close ENCLAVE ${label}`, () => sm.Secret.random(size, { kind: 'enclave' }).close(),
      `sodium_malloc+noaccess+free ${label}`, sodiumCycle(size));
  }
  const mem = sodium.sodium_malloc(32);
  sodium.sodium_mprotect_noaccess(mem);
  const readOne = (b) => b[31];
  for (const kind of ['protected', 'enclave']) {
    const s = sm.Secret.random(32, { kind });
    await row('access', `withBytes ${kind.toUpperCase()} 32 B`, () => s.withBytes(readOne),
      'mprotect_readonly+read+mprotect_noaccess 32 B', () => {
        sodium.sodium_mprotect_readonly(mem);
        readOne(mem);
        sodium.sodium_mprotect_noaccess(mem);
      });
    const t = Buffer.alloc(32);
    await row('access', `read() ${kind.toUpperCase()} 32 B (a copy)`, () => s.read(0, t), null, null);
    s.close();
  }
  sodium.sodium_free(mem);
  // What V8 alone charges for the objects every withBytes view needs (an
  // ArrayBuffer, its untransferable mark, a Uint8Array), with no native
  // call and no protection change: a floor under the withBytes overhead.
  await row('access', 'V8 floor: new ArrayBuffer(32)+markAsUntransferable+Uint8Array', () => {
    const ab = new ArrayBuffer(32);
    markAsUntransferable(ab);
    return readOne(new Uint8Array(ab));
  }, null, null);
  for (const size of [1024, 65536]) {
    const label = size === 1024 ? '1 KiB' : '64 KiB';
    const src = Buffer.alloc(size);
    await row('enclave', `Enclave seal ${label} (fromBytes+close)`, () => sm.Enclave.fromBytes(src).close(), null, null);
    const e = sm.Enclave.random(size);
    await row('enclave', `Enclave open ${label} (open+destroy)`, () => e.open().destroy(), null, null);
    const into = sm.GuardedBuffer.alloc(size);
    await row('enclave', `Enclave openInto ${label} (writable buffer)`, () => e.openInto(into), null, null);
    into.destroy();
    e.close();
  }
  const chunk = Buffer.alloc(1 << 20, 7);
  const sink = Buffer.alloc(1 << 16);
  await row('stream', 'Stream write+read 1 MiB (16 KiB chunks)', () => {
    const st = new sm.Stream({ chunkSize: 16384 });
    st.write(chunk);
    while (st.read(sink) > 0);
    st.close();
  }, null, null);
  fs.writeFileSync(out, rows.map((r) => JSON.stringify(r)).join('\n') + '\n');
}

/** Holds n live PROTECTED 32-byte secrets; reports what the process holds. */
function scale(n, out) {
  const held = [];
  const t0 = process.hrtime.bigint();
  let stopped = 'ok';
  try {
    for (let i = 0; i < n; i++) held.push(sm.Secret.random(32));
  } catch (e) {
    stopped = `${e.code}: ${e.message}`;
  }
  const perCreate = Number(process.hrtime.bigint() - t0) / Math.max(held.length, 1);
  const status = fs.readFileSync('/proc/self/status', 'utf8');
  const kb = (k) => Number((status.match(new RegExp(`^${k}:\\s+(\\d+)`, 'm')) ?? [0, 0])[1]);
  const maps = fs.readFileSync('/proc/self/maps', 'utf8').trim().split('\n').length;
  const r = { asked: n, held: held.length, live: sm.stats().liveSecretsProtected, rss_kb: kb('VmRSS'), vmlck_kb: kb('VmLck'), maps, per_create_ns: perCreate, stopped };
  fs.writeFileSync(out, JSON.stringify(r) + '\n');
  process.stderr.write(`node scale ${JSON.stringify(r)}\n`);
}

if (process.argv[2] === '--scale') scale(Number(process.argv[3]), process.argv[4]);
else main(process.argv[2] ?? path.join(process.cwd(), 'node-bench.jsonl'));
