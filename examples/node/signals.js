'use strict';
// Ctrl+C (or kill) wipes every secret before the process ends.
//   node examples/node/signals.js           sends itself SIGINT after 100 ms
//   node examples/node/signals.js --wait    waits for your Ctrl+C
let sm;
try {
  sm = require('securememory');
} catch {
  sm = require('../../bindings/node');
}

const token = sm.Secret.random(32);
sm.catchSignals((signal) => {
  // Runs first; the purge and process.exit(1) follow.
  console.log(`caught ${signal}; the secret is still open: ${!token.closed}`);
}, ['SIGINT', 'SIGTERM']);
process.on('exit', (code) => console.log(`exit ${code}; the secret was wiped: ${token.closed}`));

console.log(`holding a ${token.size}-byte secret; press Ctrl+C`);
if (!process.argv.includes('--wait')) setTimeout(() => process.kill(process.pid, 'SIGINT'), 100);
setInterval(() => {}, 1000);
