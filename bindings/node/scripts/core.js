'use strict';
// Where binding.gyp finds the C core: `core/` inside the package (copied
// there by scripts/pack.sh, so the tarball is self-contained) or the
// repository's own core/ (../../core) in a checkout.
//
//   node scripts/core.js dir        the core directory, relative to the package
//   node scripts/core.js sources    every core/src/**/*.c, relative to the package
//   node scripts/core.js includes   core/include and each core/src/<layer>
const fs = require('node:fs');
const path = require('node:path');

const pkg = path.join(__dirname, '..');
const dir = fs.existsSync(path.join(pkg, 'core', 'include', 'securememory.h'))
  ? 'core'
  : path.join('..', '..', 'core');

function walk(rel) {
  const out = [];
  for (const e of fs.readdirSync(path.join(pkg, rel), { withFileTypes: true })) {
    const r = path.join(rel, e.name);
    if (e.isDirectory()) out.push(...walk(r));
    else if (e.name.endsWith('.c')) out.push(r);
  }
  return out.sort();
}

const what = process.argv[2];
if (what === 'dir') {
  console.log(dir);
} else if (what === 'sources') {
  console.log(walk(path.join(dir, 'src')).join('\n'));
} else if (what === 'includes') {
  const src = path.join(dir, 'src');
  const layers = fs.readdirSync(path.join(pkg, src), { withFileTypes: true })
    .filter((e) => e.isDirectory()).map((e) => path.join(src, e.name)).sort();
  console.log([path.join(dir, 'include'), ...layers].join('\n'));
} else {
  console.error('usage: node scripts/core.js dir|sources|includes');
  process.exit(2);
}
