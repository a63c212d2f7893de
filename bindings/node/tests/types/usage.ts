// Type-checked by tsc (tests/types.test.js): the declarations cover the API
// as a user writes it. Not run.
import * as sm from 'securememory';
import { Secret, GuardedBuffer, Enclave, Stream, SecureMemoryError } from 'securememory';

export async function usage(key: Uint8Array): Promise<number> {
  sm.init({ lockPolicy: 'best-effort', backend: 'auto', rekeyIntervalMs: 500 });
  const backend: 'pages' | 'secretmem' = sm.activeBackend();
  const secret: Secret = Secret.fromBytes(key, { kind: 'enclave' });
  const first: number = secret.withBytes((b: Uint8Array) => b[0]);
  const len: number = await secret.withBytes(async (b) => b.byteLength);
  const access = secret.acquire();
  access.bytes.byteLength;
  access.release();
  const n: number = secret.read(0, new Uint8Array(4));
  secret.close();
  const buf = GuardedBuffer.alloc(32);
  buf.bytes.fill(1);
  buf.freeze();
  const p: sm.Protection = buf.protection;
  const enclave: Enclave = buf.seal();
  enclave.openInto(GuardedBuffer.alloc(enclave.size));
  const stream = new Stream({ chunkSize: 4096 });
  stream.write(new Uint8Array(10));
  for await (const chunk of stream) chunk.destroy();
  const s: sm.Stats = sm.stats();
  sm.catchSignals(async (signal: sm.CatchableSignal) => {
    console.log(signal);
  }, ['SIGINT', 'SIGTERM']);
  sm.setExitCode('SIGTERM', sm.RERAISE);
  sm.release();
  try {
    Secret.random(0);
  } catch (e) {
    if (e instanceof SecureMemoryError) console.log(e.code, e.errno);
  }
  return first + len + n + s.liveBuffers + p.length + backend.length + sm.version.length;
}
