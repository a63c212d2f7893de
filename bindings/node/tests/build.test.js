'use strict';
// The build: the committed SWIG wrapper is what the interface generates
// now; the addon is hardened (issue 11); the declarations type-check.
const test = require('node:test');
const assert = require('node:assert');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { execFileSync } = require('node:child_process');

const pkg = path.join(__dirname, '..');
const root = path.join(pkg, '..', '..');

test('the committed SWIG wrapper is up to date (scripts/swig.sh)', () => {
  const tmp = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'sm-swig-')), 'wrap.cxx');
  execFileSync('bash', [path.join(pkg, 'scripts', 'swig.sh'), tmp]);
  const fresh = fs.readFileSync(tmp);
  const committed = fs.readFileSync(path.join(pkg, 'src', 'securememory_wrap.cxx'));
  fs.rmSync(path.dirname(tmp), { recursive: true });
  assert.ok(fresh.equals(committed),
    'src/securememory_wrap.cxx is stale: run `bash bindings/node/scripts/swig.sh`, rebuild and commit');
});

/** Every addon the tests may load: the local build and the prebuild. */
function addons() {
  const list = [path.join(pkg, 'build', 'Release', 'securememory.node')];
  const pre = process.env.SM_TEST_PREBUILT_ADDON;
  if (pre) list.push(pre);
  return list;
}

for (const addon of addons()) {
  const name = path.relative(root, addon);
  test(`hardening of ${name}: full RELRO, BIND_NOW, non-executable stack, fortified, stack protector`, () => {
    assert.ok(fs.existsSync(addon), `${addon} is missing`);
    const dyn = execFileSync('readelf', ['-dW', addon], { encoding: 'utf8' });
    assert.match(dyn, /\(FLAGS\)\s+.*BIND_NOW/);
    assert.match(dyn, /\(FLAGS_1\)\s+.*NOW/);
    const seg = execFileSync('readelf', ['-lW', addon], { encoding: 'utf8' });
    assert.match(seg, /GNU_RELRO/);
    const stack = seg.split('\n').find((l) => l.includes('GNU_STACK'));
    assert.ok(stack, 'no GNU_STACK header');
    assert.match(stack, /\sRW\s/, `stack must not be executable: ${stack}`);
    const syms = execFileSync('readelf', ['--dyn-syms', '-W', addon], { encoding: 'utf8' });
    assert.match(syms, /__stack_chk_fail/, 'no stack protector');
    assert.match(syms, /__\w+_chk@/, 'no _FORTIFY_SOURCE checks');
    // Only what Node looks up is exported: the core's symbols stay private.
    const exported = syms.split('\n').filter((l) => /\sGLOBAL\s+DEFAULT\s+\d+\s/.test(l)).map((l) => l.trim().split(/\s+/).pop());
    assert.deepStrictEqual(exported.filter((s) => s.startsWith('sm_')), []);
    assert.ok(exported.includes('napi_register_module_v1'), exported.join(' '));
    assert.match(dyn, /\(RUNPATH\)\s+Library runpath: \[\$ORIGIN\]/);
  });
}

test('index.d.ts type-checks against a usage file (tsc --strict)', () => {
  const tsc = path.join(pkg, 'node_modules', 'typescript', 'bin', 'tsc');
  try {
    execFileSync(process.execPath, [tsc, '-p', path.join(__dirname, 'types', 'tsconfig.json')], { encoding: 'utf8' });
  } catch (e) {
    assert.fail(`tsc failed:\n${e.stdout}${e.stderr}`);
  }
});

test('index.d.ts declares every export of index.js', () => {
  const dts = fs.readFileSync(path.join(pkg, 'index.d.ts'), 'utf8');
  for (const name of Object.keys(require('..'))) {
    assert.match(dts, new RegExp(`export (const|function|class) ${name}\\b`), name);
  }
});

test('views are made through V8 directly on the Node major the addon was built for', () => {
  const native = require('../lib/native');
  const builtFor = Number(fs.readFileSync('/usr/include/node/node_version.h', 'utf8').match(/#define NODE_MAJOR_VERSION (\d+)/)[1]);
  const running = Number(process.versions.node.split('.')[0]);
  assert.strictEqual(native.sm_node_fast_views(), running === builtFor && !process.env.SECUREMEMORY_NODE_API_VIEWS ? 1 : 0);
  // Nothing of V8 is linked: the addon loads under any Node major.
  const undef = execFileSync('nm', ['-D', '--undefined-only', path.join(pkg, 'build', 'Release', 'securememory.node')], { encoding: 'utf8' });
  assert.deepStrictEqual(undef.split('\n').filter((l) => l.includes('_ZN2v8')), []);
});

test('the Node-API view path passes the secret and object tests too', () => {
  const env = { ...process.env, SECUREMEMORY_NODE_API_VIEWS: '1' };
  delete env.NODE_TEST_CONTEXT;
  const r = require('node:child_process').spawnSync(process.execPath,
    ['--test', path.join(__dirname, 'secret.test.js'), path.join(__dirname, 'objects.test.js')],
    { env, encoding: 'utf8' });
  assert.strictEqual(r.status, 0, r.stdout.split('\n').filter((l) => /not ok|error/.test(l)).join('\n'));
  assert.match(r.stdout, /# fail 0/);
});
