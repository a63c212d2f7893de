'use strict';
// One test per scenario of tests/vectors (the shared conformance vectors),
// named "<file stem>/<scenario>"; "requires core" scenarios are reported as
// skipped ("not applicable"), never as passes. Then the runner's self-check:
// every deliberately wrong vector of tests/c/vectors/selfcheck must fail,
// for the reason listed in its expected_failures.txt.
const test = require('node:test');
const assert = require('node:assert');
const fs = require('node:fs');
const path = require('node:path');
const { loadCases, runCase } = require('./vectors_runner');

const root = path.join(__dirname, '..', '..', '..');
const vectors = path.join(root, 'tests', 'vectors');
const selfcheck = path.join(root, 'tests', 'c', 'vectors', 'selfcheck');

test('the vector files hold scenarios', () => {
  assert.ok(loadCases(vectors).length > 50);
});

for (const c of loadCases(vectors)) {
  test(`vectors: ${c.id}`, (t) => {
    const r = runCase(c);
    if (r.outcome === 'skip') {
      t.skip(r.message);
      return;
    }
    assert.strictEqual(r.outcome, 'pass', r.message);
  });
}

test('self-check: every deliberately wrong vector fails, for its listed reason', () => {
  const expected = new Map();
  for (const line of fs.readFileSync(path.join(selfcheck, 'expected_failures.txt'), 'utf8').split('\n')) {
    if (line.trim() === '' || line.startsWith('#')) continue;
    const bar = line.indexOf(' | ');
    expected.set(line.slice(0, bar).trim(), line.slice(bar + 3).trim());
  }
  const problems = [];
  const seen = new Set();
  for (const c of loadCases(selfcheck)) {
    seen.add(c.id);
    const r = runCase(c);
    const want = expected.get(c.id);
    if (want === undefined) problems.push(`${c.id}: not listed (${r.outcome}: ${r.message})`);
    else if (r.outcome === 'skip' && r.message === 'not applicable: requires core') continue;
    else if (r.outcome !== 'fail') problems.push(`${c.id}: ${r.outcome}, expected a failure`);
    else if (!r.message.includes(want)) problems.push(`${c.id}: failed with "${r.message}", expected "${want}"`);
  }
  for (const id of expected.keys()) if (!seen.has(id)) problems.push(`${id}: never ran`);
  assert.deepStrictEqual(problems, []);
});
