'use strict';
// Signals the Node way, in a child process: the handler runs, then the
// purge, then process.exit(code); a whole-process scan of the child (every
// mapping of /proc/<pid>/mem, done by this parent while the child waits in
// its 'exit' listener) finds the secrets' bytes before the signal and
// nowhere after it. The parent alone knows the bytes.
const test = require('node:test');
const assert = require('node:assert');
const fs = require('node:fs');
const path = require('node:path');
const crypto = require('node:crypto');
const { spawn } = require('node:child_process');
const sm = require('..');

const CHILD = path.join(__dirname, 'fixtures', 'signal_child.js');

/** Where pattern occurs in the memory of process pid: a list of addresses. */
function scanProcess(pid, pattern) {
  const hits = [];
  const maps = fs.readFileSync(`/proc/${pid}/maps`, 'utf8').trim().split('\n');
  const fd = fs.openSync(`/proc/${pid}/mem`, 'r');
  const chunk = Buffer.alloc(1 << 20);
  const overlap = pattern.length - 1;
  try {
    for (const line of maps) {
      const [range, , , , , name = ''] = line.split(/\s+/);
      if (name === '[vvar]' || name === '[vsyscall]' || name === '[vvar_vclock]') continue;
      const [lo, hi] = range.split('-').map((x) => parseInt(x, 16));
      for (let at = lo; at < hi; at += chunk.length - overlap) {
        const want = Math.min(chunk.length, hi - at);
        let n;
        try {
          n = fs.readSync(fd, chunk, 0, want, at);
        } catch (e) {
          if (e.code === 'EIO' || e.code === 'EFAULT') break; // unreadable (e.g. a guard)
          throw e;
        }
        let i = chunk.subarray(0, n).indexOf(pattern);
        while (i !== -1) {
          hits.push(at + i);
          i = chunk.subarray(0, n).indexOf(pattern, i + 1);
        }
        if (n < want) break;
        if (at + want >= hi) break;
      }
    }
  } finally {
    fs.closeSync(fd);
  }
  return [...new Set(hits)];
}

function runChild(mode, signal) {
  return new Promise((resolve, reject) => {
    const material = crypto.randomBytes(64);
    const child = spawn(process.execPath, [CHILD, mode], { stdio: ['pipe', 'pipe', 'inherit'] });
    const lines = [];
    const scans = {};
    let pending = '';
    child.stdout.on('data', (data) => {
      pending += data.toString();
      let nl;
      while ((nl = pending.indexOf('\n')) !== -1) {
        const line = pending.slice(0, nl);
        pending = pending.slice(nl + 1);
        lines.push(line);
        if (line.startsWith('scan ')) {
          const what = line.slice(5);
          scans[what] = {
            protected: scanProcess(child.pid, material.subarray(0, 32)).length,
            enclave: scanProcess(child.pid, material.subarray(32)).length,
          };
          child.stdin.write(Buffer.from([1]));
        } else if (line === 'ready') {
          child.kill(signal);
        }
      }
    });
    child.on('error', reject);
    child.on('exit', (code, sig) => resolve({ code, signal: sig, lines, scans }));
    child.stdin.write(material);
  });
}

function assertScans(r) {
  // The control scan proves the scan sees the plaintext where it lives
  // (the protected secret's page, at rest behind PROT_NONE).
  assert.ok(r.scans.control, `no control scan: ${r.lines}`);
  assert.ok(r.scans.control.protected >= 1, `control: the protected secret not found ${JSON.stringify(r.scans)}`);
  assert.ok(r.scans.exit, `no exit scan: ${r.lines}`);
  assert.deepStrictEqual(r.scans.exit, { protected: 0, enclave: 0 }, 'plaintext left in the process at exit');
}

test('SIGINT with catchInterrupt(): purge, exit code 1, no plaintext left', async () => {
  const r = await runChild('interrupt', 'SIGINT');
  assert.strictEqual(r.code, 1, r.lines.join('\n'));
  assert.ok(r.lines.includes('exit 1 true true'), r.lines.join('\n'));
  assertScans(r);
});

test('SIGTERM with a handler: the handler runs before the purge, then exit code 7', async () => {
  const r = await runChild('handler', 'SIGTERM');
  assert.strictEqual(r.code, 7, r.lines.join('\n'));
  assert.ok(r.lines.includes('handler SIGTERM false'), r.lines.join('\n'));
  assert.ok(r.lines.includes('exit 7 true true'), r.lines.join('\n'));
  assertScans(r);
});

test('SIGINT with the same handler: default exit code 1', async () => {
  const r = await runChild('handler', 'SIGINT');
  assert.strictEqual(r.code, 1, r.lines.join('\n'));
  assert.ok(r.lines.includes('handler SIGINT false'), r.lines.join('\n'));
  assertScans(r);
});

test('an async handler is awaited before the purge', async () => {
  const r = await runChild('async-handler', 'SIGTERM');
  assert.strictEqual(r.code, 0, r.lines.join('\n'));
  assert.ok(r.lines.includes('handler SIGTERM false'), r.lines.join('\n'));
  assertScans(r);
});

test('a signal during an async withBytes: the access ends, the purge does not hang', async () => {
  const r = await runChild('in-access', 'SIGINT');
  assert.strictEqual(r.code, 1, r.lines.join('\n'));
  assertScans(r);
});

test('bad arguments', () => {
  assert.throws(() => sm.catchSignals(() => {}, ['SIGKILL']), { code: 'SM_ERR_INVALID' });
  assert.throws(() => sm.catchSignals(() => {}, ['SIGSEGV']), { code: 'SM_ERR_INVALID' });
  assert.throws(() => sm.catchSignals(() => {}, ['NOPE']), { code: 'SM_ERR_INVALID' });
  assert.throws(() => sm.catchSignals(() => {}, []), { code: 'SM_ERR_INVALID' });
  assert.throws(() => sm.catchSignals(() => {}, [{}]), TypeError);
  assert.throws(() => sm.catchSignals(() => {}, 'SIGINT'), TypeError);
  assert.throws(() => sm.catchSignals(42, ['SIGINT']), TypeError);
  assert.throws(() => sm.setExitCode('SIGINT', 256), { code: 'SM_ERR_INVALID' });
  assert.throws(() => sm.setExitCode('SIGINT', -2), { code: 'SM_ERR_INVALID' });
  assert.throws(() => sm.setExitCode('SIGINT', 1.5), { code: 'SM_ERR_INVALID' });
  assert.throws(() => sm.setExitCode('SIGINT', '1'), TypeError);
  assert.throws(() => sm.setExitCode(9, 1), { code: 'SM_ERR_INVALID' });
});

test('catch and release add and remove exactly the listeners', () => {
  const before = process.listenerCount('SIGTERM');
  sm.catchSignals(null, ['SIGTERM', 15]);
  assert.strictEqual(process.listenerCount('SIGTERM'), before + 1);
  sm.catchInterrupt(); // replaces the earlier list
  assert.strictEqual(process.listenerCount('SIGTERM'), before);
  assert.strictEqual(process.listenerCount('SIGINT'), 1);
  sm.release();
  sm.release();
  assert.strictEqual(process.listenerCount('SIGINT'), 0);
});
