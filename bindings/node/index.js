'use strict';
/**
 * securememory: keep secrets (keys, passwords, tokens) safe in process
 * memory. The Node binding of libsecurememory (a SWIG Node-API addon with
 * the C core compiled in). See docs/node.md and index.d.ts.
 *
 *   const { Secret } = require('securememory');
 *   const secret = Secret.fromBytes(key);          // key is zeroed
 *   secret.withBytes((bytes) => sign(bytes, msg)); // zero-copy, read-only
 *   secret.close();
 */
const errors = require('./lib/errors');
const library = require('./lib/library');
const signals = require('./lib/signals');
const { Secret, SecretAccess } = require('./lib/secret');
const { GuardedBuffer } = require('./lib/buffer');
const { Enclave } = require('./lib/enclave');
const { Stream } = require('./lib/stream');

module.exports = {
  Secret,
  SecretAccess,
  GuardedBuffer,
  Enclave,
  Stream,
  version: library.version,
  init: library.init,
  activeBackend: library.activeBackend,
  purge: library.purge,
  exit: library.exit,
  stats: library.stats,
  pageSize: library.pageSize,
  wipe: library.wipe,
  cofferRekey: library.cofferRekey,
  catchInterrupt: signals.catchInterrupt,
  catchSignals: signals.catchSignals,
  setExitCode: signals.setExitCode,
  release: signals.release,
  RERAISE: signals.RERAISE,
  SIGNALS: signals.SUPPORTED,
  SecureMemoryError: errors.SecureMemoryError,
  InvalidArgumentError: errors.InvalidArgumentError,
  OutOfMemoryError: errors.OutOfMemoryError,
  MemoryLockError: errors.MemoryLockError,
  ProtectionError: errors.ProtectionError,
  SecretClosedError: errors.SecretClosedError,
  AuthenticationError: errors.AuthenticationError,
  CanaryError: errors.CanaryError,
  EndOfStreamError: errors.EndOfStreamError,
  CallbackError: errors.CallbackError,
  UnsupportedError: errors.UnsupportedError,
  statusName: errors.statusName,
  strerror: errors.strerror,
};
