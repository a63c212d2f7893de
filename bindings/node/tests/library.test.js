'use strict';
// Library-wide calls: version, init and the backend setting, stats, errors.
const test = require('node:test');
const assert = require('node:assert');
const { spawnSync } = require('node:child_process');
const path = require('node:path');
const sm = require('..');

const pkg = require('../package.json');

test('version is the C library\'s, and the package\'s', () => {
  assert.match(sm.version, /^\d+\.\d+\.\d+$/);
  assert.strictEqual(pkg.version, sm.version);
});

test('stats: camelCase counters that follow what is alive', () => {
  const before = sm.stats();
  for (const k of ['liveBuffers', 'bytesInUse', 'bytesLocked', 'peakBytesLocked', 'lockFailures',
    'liveSecretsProtected', 'liveSecretsEnclave', 'liveEnclaves', 'mappedBytes', 'bytesLockedCached']) {
    assert.strictEqual(typeof before[k], 'number', k);
  }
  const p = sm.Secret.random(32);
  const e = sm.Secret.random(32, { kind: 'enclave' });
  const s = sm.stats();
  assert.strictEqual(s.liveSecretsProtected, before.liveSecretsProtected + 1);
  assert.strictEqual(s.liveSecretsEnclave, before.liveSecretsEnclave + 1);
  p.close();
  e.close();
  assert.strictEqual(sm.stats().liveSecretsProtected, before.liveSecretsProtected);
});

test('statusName and strerror mirror the core', () => {
  assert.strictEqual(sm.statusName(0), 'SM_OK');
  assert.strictEqual(sm.statusName(5), 'SM_ERR_CLOSED');
  assert.strictEqual(sm.statusName(11), 'SM_ERR_UNKNOWN');
  assert.strictEqual(sm.statusName(-1), 'SM_ERR_UNKNOWN');
  assert.throws(() => sm.statusName('1'), TypeError);
  assert.match(sm.strerror(3), /lock/i);
});

test('one error class per status, with code, status and errno', () => {
  const classes = [sm.InvalidArgumentError, sm.OutOfMemoryError, sm.MemoryLockError, sm.ProtectionError,
    sm.SecretClosedError, sm.AuthenticationError, sm.CanaryError, sm.EndOfStreamError, sm.CallbackError,
    sm.UnsupportedError];
  classes.forEach((cls, i) => {
    const e = new cls('detail');
    assert.ok(e instanceof sm.SecureMemoryError && e instanceof Error);
    assert.strictEqual(e.status, i + 1);
    assert.strictEqual(e.code, sm.statusName(i + 1));
    assert.strictEqual(e.name, cls.name);
    assert.strictEqual(e.errno, 0);
    assert.match(e.message, /^detail: /);
  });
});

test('init: settings map through; bad settings are refused', () => {
  sm.init();
  sm.init(null);
  sm.init({ lockPolicy: 'strict', forkPolicy: 'wipe', rekeyIntervalMs: 500, disableCoreDumps: false });
  assert.ok(['pages', 'secretmem'].includes(sm.activeBackend()));
  assert.throws(() => sm.init({ lockPolicy: 'sometimes' }), { code: 'SM_ERR_INVALID' });
  assert.throws(() => sm.init({ backend: 'ram' }), { code: 'SM_ERR_INVALID' });
  assert.throws(() => sm.init({ backend: 2 }), TypeError);
  assert.throws(() => sm.init({ lockpolicy: 'off' }), TypeError);
  assert.throws(() => sm.init({ rekeyIntervalMs: -1 }), RangeError);
  assert.throws(() => sm.init({ rekeyIntervalMs: 2 ** 32 }), RangeError);
  assert.throws(() => sm.init({ disableCoreDumps: 1 }), TypeError);
  assert.throws(() => sm.init('defaults'), TypeError);
});

// The backend can change only before memory is taken: fresh processes.
function fresh(code) {
  const r = spawnSync(process.execPath, ['-e', code], { cwd: path.join(__dirname, '..'), encoding: 'utf8' });
  return { out: r.stdout.trim(), err: r.stderr.trim(), status: r.status };
}

test('backend: auto resolves to an active backend; pages is the default', () => {
  const auto = fresh("const sm=require('.'); sm.init({backend:'auto'}); sm.Secret.random(8).close(); console.log(sm.activeBackend())");
  assert.strictEqual(auto.status, 0, auto.err);
  assert.ok(['pages', 'secretmem'].includes(auto.out), auto.out);
  const def = fresh("const sm=require('.'); sm.Secret.random(8).close(); console.log(sm.activeBackend())");
  assert.strictEqual(def.out, 'pages');
});

test('backend: secretmem maps through to the core (supported, or UnsupportedError until it lands)', () => {
  const r = fresh("const sm=require('.'); try { sm.init({backend:'secretmem'}); console.log('ok', sm.activeBackend()) } catch (e) { console.log(e.code) }");
  assert.ok(['ok secretmem', 'SM_ERR_UNSUPPORTED'].includes(r.out), r.out + r.err);
});

test('backend: switching once memory was taken is SM_ERR_INVALID', () => {
  const r = fresh("const sm=require('.'); sm.Secret.random(8).close(); const other = sm.activeBackend() === 'pages' ? 'secretmem' : 'pages'; try { sm.init({backend: other}); console.log('switched') } catch (e) { console.log(e.code) }");
  assert.ok(['SM_ERR_INVALID', 'SM_ERR_UNSUPPORTED'].includes(r.out), r.out + r.err);
});

test('exit(code): purge, then exit with the code; bad codes refused', () => {
  const r = fresh("const sm=require('.'); const s=sm.Secret.random(8); process.on('exit', () => console.log('closed', s.closed)); sm.exit(3)");
  assert.strictEqual(r.status, 3);
  assert.strictEqual(r.out, 'closed true');
  assert.throws(() => sm.exit(256), { code: 'SM_ERR_INVALID' });
  assert.throws(() => sm.exit(-1), { code: 'SM_ERR_INVALID' });
  assert.throws(() => sm.exit('0'), TypeError);
});

test('the end of the main thread purges', () => {
  const r = fresh("const sm=require('.'); const s=sm.Secret.random(8); process.on('exit', () => console.log('closed', s.closed))");
  assert.strictEqual(r.status, 0, r.err);
  assert.strictEqual(r.out, 'closed true');
});

test('wipe zeroes; pageSize is a power of two', () => {
  const b = Buffer.from('abc');
  sm.wipe(b);
  assert.ok(b.every((x) => x === 0));
  assert.throws(() => sm.wipe('abc'), TypeError);
  const ps = sm.pageSize();
  assert.ok(ps >= 4096 && (ps & (ps - 1)) === 0);
  sm.cofferRekey();
});
