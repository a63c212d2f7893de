'use strict';
// The npm tarball as a user gets it: a fresh project installs it offline
// with no compiler on PATH (the prebuild is used, nothing is compiled) and
// runs the example; then again with the system's libsodium hidden (a
// private mount namespace with /dev/null bound over it), so the addon must
// load the libsodium shipped beside it.
//
// SECUREMEMORY_TARBALL names the tarball (tests/run.sh builds it with
// scripts/pack.sh); without it this test builds one.
const test = require('node:test');
const assert = require('node:assert');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { execFileSync, spawnSync } = require('node:child_process');

const pkg = path.join(__dirname, '..');
const root = path.join(pkg, '..', '..');
const version = require('../package.json').version;

function tarball() {
  if (process.env.SECUREMEMORY_TARBALL) return process.env.SECUREMEMORY_TARBALL;
  const dest = fs.mkdtempSync(path.join(os.tmpdir(), 'sm-pack-'));
  const out = execFileSync('bash', [path.join(pkg, 'scripts', 'pack.sh'), dest], { encoding: 'utf8' });
  return out.trim().split('\n').pop();
}

/** A PATH with node, npm and a shell, and no compiler. */
function bareBin(dir) {
  fs.mkdirSync(dir);
  const npm = path.join(execFileSync('npm', ['prefix', '-g'], { encoding: 'utf8' }).trim(), 'lib', 'node_modules', 'npm', 'bin', 'npm-cli.js');
  fs.symlinkSync(process.execPath, path.join(dir, 'node'));
  fs.writeFileSync(path.join(dir, 'npm'), `#!/bin/sh\nexec "${process.execPath}" "${npm}" "$@"\n`, { mode: 0o755 });
  for (const tool of ['sh', 'env']) fs.symlinkSync(`/bin/${tool}`, path.join(dir, tool));
  return dir;
}

test('the tarball installs with no compiler and no network, and the example runs', () => {
  const tgz = tarball();
  assert.strictEqual(path.basename(tgz), `securememory-${version}.tgz`);
  const listing = execFileSync('tar', ['tzf', tgz], { encoding: 'utf8' }).split('\n');
  for (const f of ['package/prebuilds/linux-x64/libsodium.so.23', 'package/index.d.ts', 'package/binding.gyp',
    'package/core/include/securememory.h', 'package/src/securememory_wrap.cxx',
    'package/node_modules/node-gyp-build/index.js', 'package/node_modules/node-addon-api/napi.h']) {
    assert.ok(listing.includes(f), `${f} is not in the tarball`);
  }
  assert.ok(listing.some((f) => /^package\/prebuilds\/linux-x64\/.*\.node$/.test(f)), 'no prebuilt addon');

  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'sm-install-'));
  const bin = bareBin(path.join(work, 'bin'));
  const env = { PATH: bin, HOME: work, npm_config_cache: path.join(work, 'npm-cache'), npm_config_update_notifier: 'false' };
  for (const cc of ['cc', 'gcc', 'g++', 'c++', 'clang', 'make']) {
    assert.notStrictEqual(spawnSync('sh', ['-c', `command -v ${cc}`], { env }).status, 0, `${cc} is on PATH`);
  }
  const project = path.join(work, 'app');
  fs.mkdirSync(project);
  fs.writeFileSync(path.join(project, 'package.json'), JSON.stringify({ name: 'app', version: '1.0.0', private: true }));
  const install = spawnSync(path.join(bin, 'npm'), ['install', '--offline', '--no-audit', '--no-fund', tgz],
    { cwd: project, env, encoding: 'utf8' });
  assert.strictEqual(install.status, 0, `npm install failed:\n${install.stdout}\n${install.stderr}`);
  const installed = path.join(project, 'node_modules', 'securememory');
  assert.ok(!fs.existsSync(path.join(installed, 'build')), 'the addon was compiled at install time');

  fs.copyFileSync(path.join(root, 'examples', 'node', 'basic.js'), path.join(project, 'basic.js'));
  const run = spawnSync(path.join(bin, 'node'), ['basic.js'], { cwd: project, env, encoding: 'utf8' });
  assert.strictEqual(run.status, 0, run.stderr);
  assert.match(run.stdout, /\nok\n$/);

  // Without the system's libsodium. The control (the checkout's own build,
  // which has no libsodium beside it) must fail to load, proving it is hidden.
  const sodium = fs.realpathSync('/usr/lib/x86_64-linux-gnu/libsodium.so.23');
  const hide = (cmd) => spawnSync('/usr/bin/unshare', ['-m', '/bin/sh', '-c', `/bin/mount --bind /dev/null ${sodium} && ${cmd}`],
    { cwd: project, env, encoding: 'utf8' });
  const control = hide(`node -e "require('${path.join(pkg, 'build', 'Release', 'securememory.node')}')"`);
  assert.notStrictEqual(control.status, 0, 'the system libsodium was not hidden');
  assert.match(control.stderr, /libsodium/);
  const hidden = hide('node basic.js');
  assert.strictEqual(hidden.status, 0, hidden.stderr);
  assert.match(hidden.stdout, /\nok\n$/);
  fs.rmSync(work, { recursive: true, force: true });
});
