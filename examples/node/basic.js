'use strict';
// securememory from Node: a key held as a Secret, used zero-copy, closed.
//   node examples/node/basic.js          (from a checkout, after a build)
// or, in a project that installed the package: node basic.js
const crypto = require('node:crypto');
let sm;
try {
  sm = require('securememory');
} catch {
  sm = require('../../bindings/node'); // a checkout
}

async function main() {
  // The key arrives in a Buffer (from a KMS, a file, a prompt...).
  // fromBytes copies it into guarded memory and zeroes the Buffer.
  const material = crypto.randomBytes(32);
  const key = sm.Secret.fromBytes(material, { kind: 'enclave' });
  console.log(`key: ${key.size} bytes, kind ${key.kind}; source zeroed: ${material.every((x) => x === 0)}`);

  // Use it without copying it: the view is read-only and detached after.
  const mac = key.withBytes((bytes) => crypto.createHmac('sha256', bytes).update('message').digest('hex'));
  console.log(`hmac: ${mac.slice(0, 16)}...`);

  // Async use: the access lasts until the promise settles.
  const length = await key.withBytes(async (bytes) => {
    await new Promise((resolve) => setImmediate(resolve));
    return bytes.byteLength;
  });
  console.log(`async access saw ${length} bytes`);

  // A guarded buffer to build a secret in, sealed into an enclave.
  const buf = sm.GuardedBuffer.alloc(16);
  buf.bytes.set(crypto.randomBytes(16));
  const sealed = buf.seal(); // buf is destroyed
  const opened = sealed.open();
  console.log(`enclave of ${sealed.size} bytes opened read-only: ${opened.protection}`);
  opened.destroy();
  sealed.close();

  key.close();
  console.log(`live secrets: ${sm.stats().liveSecretsEnclave + sm.stats().liveSecretsProtected}`);
  console.log('ok');
}

main();
