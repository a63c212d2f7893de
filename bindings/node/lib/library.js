'use strict';
// Library-wide calls: settings, purge, exit, counters.
const { isMainThread } = require('node:worker_threads');
const native = require('./native');
const { check, errorFor, InvalidArgumentError } = require('./errors');
const { endAll } = require('./views');

/** The C library's version string, e.g. "0.1.0". */
const version = native.sm_version();

const LOCK_POLICIES = { strict: 0, 'best-effort': 1, off: 2 };
const FORK_POLICIES = { wipe: 0, keep: 1 };
const BACKENDS = { pages: 0, secretmem: 1, auto: 2 };
const BACKEND_NAMES = ['pages', 'secretmem', 'auto'];
const CONFIG_KEYS = new Set(['lockPolicy', 'forkPolicy', 'disableCoreDumps', 'rekeyIntervalMs', 'backend']);

function choice(table, value, what) {
  if (typeof value !== 'string') throw new TypeError(`${what} must be a string, not ${typeof value}`);
  if (!Object.hasOwn(table, value)) {
    throw new InvalidArgumentError(`unknown ${what} '${value}' (expected ${Object.keys(table).map((k) => `'${k}'`).join(', ')})`);
  }
  return table[value];
}

/**
 * Initialises the library with the defaults changed by config (optional:
 * every call initialises lazily with the defaults). Calling it again
 * applies new settings to allocations made afterwards; the backend can no
 * longer change once memory was taken (InvalidArgumentError).
 *
 * config: { lockPolicy: 'strict' | 'best-effort' | 'off',
 *           forkPolicy: 'wipe' | 'keep', disableCoreDumps: boolean,
 *           rekeyIntervalMs: integer 0..2^32-1 (0 = never),
 *           backend: 'pages' | 'secretmem' | 'auto' }
 * UnsupportedError for 'secretmem' on a kernel (or a build) without it.
 */
function init(config) {
  if (config === undefined || config === null) {
    check(native.sm_init(null), 'cannot initialise the library');
    return;
  }
  if (typeof config !== 'object') throw new TypeError(`config must be an object, not ${typeof config}`);
  for (const key of Object.keys(config)) {
    if (!CONFIG_KEYS.has(key)) throw new TypeError(`unknown config key '${key}'`);
  }
  const cfg = {};
  if (config.lockPolicy !== undefined) cfg.lockPolicy = choice(LOCK_POLICIES, config.lockPolicy, 'lockPolicy');
  if (config.forkPolicy !== undefined) cfg.forkPolicy = choice(FORK_POLICIES, config.forkPolicy, 'forkPolicy');
  if (config.backend !== undefined) cfg.backend = choice(BACKENDS, config.backend, 'backend');
  if (config.disableCoreDumps !== undefined) {
    if (typeof config.disableCoreDumps !== 'boolean') throw new TypeError('disableCoreDumps must be a boolean');
    cfg.disableCoreDumps = config.disableCoreDumps;
  }
  if (config.rekeyIntervalMs !== undefined) {
    const ms = config.rekeyIntervalMs;
    if (typeof ms !== 'number') throw new TypeError('rekeyIntervalMs must be a number');
    if (!Number.isInteger(ms) || ms < 0 || ms > 0xffffffff) {
      throw new RangeError(`rekeyIntervalMs must be an integer 0..4294967295 (got ${ms})`);
    }
    cfg.rekeyIntervalMs = ms;
  }
  check(native.sm_init(cfg), 'cannot initialise the library');
}

/** The backend in force: 'pages' or 'secretmem' (never 'auto'). */
function activeBackend() {
  return BACKEND_NAMES[native.sm_backend_active()];
}

/**
 * Wipes and releases every secret and buffer of the process (all threads)
 * and destroys the coffer key: secrets report closed, buffers not alive,
 * enclaves sealed before fail to open (AuthenticationError), a stream that
 * held data loses it. Views this thread holds (withBytes in flight,
 * acquire(), GuardedBuffer#bytes) are detached first; the purge waits for
 * accesses other threads hold.
 */
function purge() {
  endAll();
  native.sm_purge();
}

/**
 * Purges, then ends the process with code (an integer 0..255) through
 * process.exit(), so 'exit' listeners run.
 */
function exit(code = 0) {
  if (typeof code !== 'number') throw new TypeError(`code must be a number, not ${typeof code}`);
  if (!Number.isInteger(code) || code < 0 || code > 255) {
    throw new InvalidArgumentError(`exit code must be an integer 0..255 (got ${code})`);
  }
  purge();
  process.exit(code);
}

/**
 * The library's counters: liveBuffers, bytesInUse, bytesLocked,
 * peakBytesLocked, lockFailures, liveSecretsProtected, liveSecretsEnclave,
 * liveEnclaves, mappedBytes, bytesLockedCached.
 */
function stats() {
  const s = native.sm_stats_get();
  if (typeof s === 'number') throw errorFor(s, 'cannot read the counters');
  return s;
}

/** The system page size in bytes. */
function pageSize() {
  return native.sm_page_size();
}

/** Overwrites a Buffer or Uint8Array with zeros (a copy you made of a secret). */
function wipe(data) {
  if (!(data instanceof Uint8Array)) throw new TypeError('data must be a Buffer or Uint8Array');
  native.sm_wipe(data);
}

/** Re-keys the coffer now (existing enclaves still open). */
function cofferRekey() {
  check(native.sm_coffer_rekey(), 'cannot re-key the coffer');
}

// Purge on the way out of the main thread (process.exit(), the end of the
// event loop): nothing is left for a core dump or the next owner of the
// pages. A worker's exit only ends its own views.
process.on('exit', isMainThread ? purge : endAll);

module.exports = { version, init, activeBackend, purge, exit, stats, pageSize, wipe, cofferRekey };
