'use strict';
// Secrets: immutable bytes in guarded memory behind a counted access
// protocol (sm_secret). See docs/node.md.
const native = require('./native');
const { check, errorFor, SecretClosedError, InvalidArgumentError } = require('./errors');
const { bytesArg, sizeArg, kindArg, KIND_NAMES } = require('./args');
const { openAccesses, untransferable } = require('./views');
const { track } = require('./backstop');

const SM_OK = 0;
const SM_ERR_EOF = 8;
const freeSecret = (h) => native.sm_secret_free(h);

function isThenable(value) {
  if (value === null || (typeof value !== 'object' && typeof value !== 'function')) return false;
  return typeof value.then === 'function';
}

/**
 * One access to a secret's bytes: `bytes` is a zero-copy, read-only
 * Uint8Array over the protected page (writing to it faults), valid until
 * release(). From Secret#acquire(); Secret#withBytes() is built on it.
 */
class SecretAccess {
  #secret;
  #handle;
  #arrayBuffer;
  #bytes;
  #node;
  #ended = false;

  /** @internal */
  constructor(secret, handle, arrayBuffer, bytes) {
    this.#secret = secret;
    this.#handle = handle;
    this.#arrayBuffer = arrayBuffer;
    this.#bytes = bytes;
    this.#node = openAccesses.add(this);
  }

  /** The view: a Uint8Array over the secret's bytes; byteLength 0 once released. */
  get bytes() {
    return this.#bytes;
  }

  /** True once released (or ended by purge()). */
  get released() {
    return this.#ended;
  }

  /**
   * Ends the access: the view is detached (byteLength 0), then the page is
   * protected again (or, for an 'enclave' secret, the plaintext wiped).
   * Releasing an access twice is an InvalidArgumentError (SM_ERR_INVALID,
   * as sm_secret_release with no access outstanding).
   */
  release() {
    if (!this._end()) {
      throw new InvalidArgumentError('this access was already released');
    }
  }

  /** release(), but a no-op when already released (for `using`). */
  [Symbol.dispose ?? Symbol.for('nodejs.dispose')]() {
    this._end();
  }

  /** @internal Ends the access once; false when it had ended already. */
  _end() {
    if (this.#ended) return false;
    this.#ended = true;
    openAccesses.delete(this.#node);
    native.sm_node_secret_release(this.#handle, this.#arrayBuffer);
    this.#secret._accessEnded();
    return true;
  }
}

/**
 * Immutable secret bytes in guarded memory. Create with Secret.fromBytes()
 * or Secret.random(); read with withBytes(), acquire() or read(); close()
 * wipes it. Usable from any thread (each worker creates its own secrets: a
 * Secret object cannot be posted to another thread). A secret that is
 * garbage collected without close() is closed then (a backstop, see
 * docs/node.md).
 */
class Secret {
  #h;
  #size;
  #kind;
  #accesses = 0; // accesses open on this thread
  #closing = false;

  /** @internal Use Secret.fromBytes() or Secret.random(). */
  constructor(handle, token) {
    if (token !== SECRET_TOKEN) throw new TypeError('use Secret.fromBytes() or Secret.random()');
    this.#h = handle;
    this.#size = native.sm_secret_size(handle);
    this.#kind = KIND_NAMES[native.sm_secret_kind(handle)];
    track(this, handle, freeSecret);
  }

  /**
   * A secret holding a copy of data, which is then zeroed (on every path,
   * failures included). data: a Buffer or Uint8Array you may overwrite.
   * options.kind: 'protected' (default: guarded pages, no access at rest)
   * or 'enclave' (encrypted at rest).
   */
  static fromBytes(data, options) {
    bytesArg(data, 'data');
    let kind;
    try {
      kind = kindArg(options);
    } catch (e) {
      data.fill(0); // as the core does: the source is wiped on every path
      throw e;
    }
    const h = native.sm_secret_new(kind, data);
    if (typeof h === 'number') throw errorFor(h, 'cannot create the secret');
    return new Secret(h, SECRET_TOKEN);
  }

  /** A secret of size random bytes generated straight into guarded memory. */
  static random(size, options) {
    sizeArg(size, 'size');
    const h = native.sm_secret_new_random(kindArg(options), size);
    if (typeof h === 'number') throw errorFor(h, 'cannot create the secret');
    return new Secret(h, SECRET_TOKEN);
  }

  /** The length in bytes (also after close). */
  get size() {
    return this.#size;
  }

  /** 'protected' or 'enclave'. */
  get kind() {
    return this.#kind;
  }

  /** True once close() was called or purge() ran. */
  get closed() {
    return this.#closing || native.sm_secret_is_closed(this.#h) === 1;
  }

  /**
   * Starts an access: returns a SecretAccess whose `bytes` is a zero-copy,
   * read-only view of the secret, valid until its release(). Accesses nest
   * and may overlap across threads. Prefer withBytes(), which releases for
   * you.
   */
  acquire() {
    if (this.#closing) throw new SecretClosedError('the secret is closed');
    const arrayBuffer = native.sm_node_secret_acquire(this.#h);
    if (typeof arrayBuffer === 'number') throw errorFor(arrayBuffer, 'cannot access the secret');
    let bytes;
    try {
      bytes = untransferable(arrayBuffer);
    } catch (e) {
      native.sm_node_secret_release(this.#h, arrayBuffer); // out of memory: end the access at once
      throw e;
    }
    this.#accesses++;
    return new SecretAccess(this, this.#h, arrayBuffer, bytes);
  }

  /**
   * Calls fn(bytes) with a zero-copy, read-only Uint8Array over the secret
   * and returns fn's result. When fn returns (or throws), or when the
   * promise it returns settles, the view is detached (byteLength 0) and the
   * access released: keep no reference to it, copy what you must keep into
   * memory you wipe. Writing to the view faults (the page is read-only).
   * An exception from fn propagates unchanged.
   */
  withBytes(fn) {
    if (typeof fn !== 'function') {
      throw new TypeError(`fn must be a function, not ${fn === null ? 'null' : typeof fn}`);
    }
    const access = this.acquire();
    let result;
    try {
      result = fn(access.bytes);
      if (isThenable(result)) {
        return Promise.resolve(result).finally(() => access._end());
      }
    } catch (e) {
      access._end();
      throw e;
    }
    access._end();
    return result;
  }

  /**
   * Copies bytes starting at offset into target (a Uint8Array: the copy is
   * yours to wipe); returns the count copied, 0 when offset is at or past
   * the end. An empty target is an InvalidArgumentError.
   */
  read(offset, target) {
    sizeArg(offset, 'offset');
    bytesArg(target, 'target');
    const n = native.sm_secret_read(this.#h, offset, target);
    if (n >= 0) return n;
    if (-n === SM_ERR_EOF) return 0;
    throw errorFor(-n, 'cannot read the secret');
  }

  /**
   * Wipes and releases the secret; later access throws SecretClosedError.
   * Idempotent. Waits for accesses other threads hold. Accesses this thread
   * holds (an async withBytes in flight, or close() called from inside
   * withBytes) cannot be waited for without a deadlock: the secret then
   * refuses new accesses at once and is wiped when the last of them ends.
   */
  close() {
    if (this.#closing) return;
    this.#closing = true;
    if (this.#accesses === 0) check(native.sm_secret_close(this.#h), 'cannot close the secret');
  }

  /** close(), for `using`. */
  [Symbol.dispose ?? Symbol.for('nodejs.dispose')]() {
    this.close();
  }

  /** @internal An access of this thread ended. */
  _accessEnded() {
    this.#accesses--;
    if (this.#accesses === 0 && this.#closing) native.sm_secret_close(this.#h);
  }

  get [Symbol.toStringTag]() {
    return 'Secret';
  }
}

const SECRET_TOKEN = Symbol('Secret');

module.exports = { Secret, SecretAccess, SM_OK };
