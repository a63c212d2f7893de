'use strict';
// Wipe every secret before the process ends on a signal, the Node way.
//
// libuv owns the process's signal handlers, so the library installs no C
// handler in Node: catchInterrupt() and catchSignals() add process.on()
// listeners. When a caught signal arrives, the handler (if any) runs on the
// main thread (awaited if it returns a promise), then purge() wipes every
// secret, buffer and the coffer key, then process.exit(code) ends the
// process ('exit' listeners run). A second caught signal while the handler
// runs ends the process at once, after the purge.
const { isMainThread } = require('node:worker_threads');
const { constants } = require('node:os');
const { InvalidArgumentError, UnsupportedError } = require('./errors');
const { purge } = require('./library');

/** Exit code meaning "end by the same signal" (its default action). */
const RERAISE = -1;
/** The signals that can be caught (termination requests). */
const SUPPORTED = Object.freeze(['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGQUIT']);

const exitCodes = { SIGINT: 1, SIGTERM: 1, SIGHUP: 1, SIGQUIT: 1 };
const listeners = new Map(); // signal name -> the listener process.on() has
let handler = null;
let handling = false;

function signalName(signal) {
  let name = signal;
  if (typeof signal === 'number') {
    name = Object.keys(constants.signals).find((k) => constants.signals[k] === signal);
    if (name === undefined) throw new InvalidArgumentError(`unknown signal number ${signal}`);
  } else if (typeof signal !== 'string') {
    throw new TypeError(`a signal must be a name such as 'SIGTERM' or a number, not ${signal === null ? 'null' : typeof signal}`);
  }
  if (!SUPPORTED.includes(name)) {
    throw new InvalidArgumentError(`cannot catch ${name} (supported: ${SUPPORTED.join(', ')})`);
  }
  return name;
}

function finish(name) {
  try {
    purge();
  } finally {
    const code = exitCodes[name];
    if (code === RERAISE) {
      release();
      process.kill(process.pid, name);
    } else {
      process.exit(code);
    }
  }
}

function report(error) {
  try {
    process.stderr.write(`securememory: the signal handler failed: ${error?.stack ?? error}\n`);
  } catch {
    // a broken stderr must not stop the wipe
  }
}

function onSignal(name) {
  if (handling) {
    finish(name); // a second signal: no more waiting for the handler
    return;
  }
  handling = true;
  let result;
  try {
    result = handler === null ? undefined : handler(name);
  } catch (e) {
    report(e);
  }
  if (result !== null && typeof result === 'object' && typeof result.then === 'function') {
    Promise.resolve(result).then(() => finish(name), (e) => {
      report(e);
      finish(name);
    });
  } else {
    finish(name);
  }
}

function install(fn, signals) {
  if (fn !== null && fn !== undefined && typeof fn !== 'function') {
    throw new TypeError(`the handler must be a function or null, not ${typeof fn}`);
  }
  if (!Array.isArray(signals)) throw new TypeError('signals must be an array');
  if (signals.length === 0) throw new InvalidArgumentError('no signals given');
  const names = [...new Set(signals.map(signalName))];
  if (!isMainThread) throw new UnsupportedError('signals can only be caught on the main thread');
  release();
  handler = fn ?? null;
  for (const name of names) {
    const listener = () => onSignal(name);
    listeners.set(name, listener);
    process.on(name, listener);
  }
}

/** Catches SIGINT (Ctrl+C): purge, then exit with SIGINT's code (default 1). */
function catchInterrupt() {
  install(null, ['SIGINT']);
}

/**
 * Catches signals (default: every supported one): handler(signalName) runs
 * first (a returned promise is awaited), then purge, then process.exit with
 * the signal's exit code. handler may be null. Replaces the handler and the
 * list of an earlier catch call. InvalidArgumentError for a signal that is
 * not in SUPPORTED (SIGKILL, SIGSEGV...).
 */
function catchSignals(handlerFn, signals = SUPPORTED) {
  install(handlerFn, signals);
}

/**
 * The exit code after signal is handled: an integer 0..255, or RERAISE to
 * end by the signal itself. Defaults: 1.
 */
function setExitCode(signal, code) {
  const name = signalName(signal);
  if (typeof code !== 'number') throw new TypeError(`code must be a number, not ${typeof code}`);
  if (!Number.isInteger(code) || ((code < 0 || code > 255) && code !== RERAISE)) {
    throw new InvalidArgumentError(`exit code must be an integer 0..255 or RERAISE (got ${code})`);
  }
  exitCodes[name] = code;
}

/** Removes the listeners of the catch calls. Idempotent. */
function release() {
  for (const [name, listener] of listeners) process.removeListener(name, listener);
  listeners.clear();
  handler = null;
  handling = false;
}

module.exports = { RERAISE, SUPPORTED, catchInterrupt, catchSignals, setExitCode, release };
