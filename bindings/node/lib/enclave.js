'use strict';
// Enclaves: data sealed with XChaCha20-Poly1305 under the process key.
const native = require('./native');
const { check, errorFor, SecretClosedError } = require('./errors');
const { bytesArg, sizeArg } = require('./args');
const { track, freeNow } = require('./backstop');
const { GuardedBuffer } = require('./buffer');

const freeEnclave = (h) => native.sm_enclave_free(h);
const TOKEN = Symbol('Enclave');

/**
 * Sealed (encrypted) bytes; the ciphertext lives in ordinary memory and
 * the plaintext only ever in guarded buffers. Immutable. open() decrypts
 * into a new read-only GuardedBuffer, openInto() into one you hold.
 * Enclaves sealed before a purge() cannot be opened (AuthenticationError).
 * close() frees the ciphertext; an enclave garbage collected first is freed
 * then.
 */
class Enclave {
  #state;
  #size;

  /** @internal Use Enclave.fromBytes(), Enclave.random() or GuardedBuffer#seal(). */
  constructor(handle, token) {
    if (token !== TOKEN) {
      throw new TypeError('use Enclave.fromBytes(), Enclave.random() or GuardedBuffer#seal()');
    }
    this.#size = native.sm_enclave_size(handle);
    this.#state = track(this, handle, freeEnclave);
  }

  /** @internal */
  static _wrap(handle) {
    return new Enclave(handle, TOKEN);
  }

  /** Seals a copy of data (a Buffer or Uint8Array), then zeroes data. */
  static fromBytes(data) {
    bytesArg(data, 'data');
    const h = native.sm_enclave_new(data);
    if (typeof h === 'number') throw errorFor(h, 'cannot seal the enclave');
    return new Enclave(h, TOKEN);
  }

  /** Seals size random bytes (generated in guarded memory). */
  static random(size) {
    sizeArg(size, 'size');
    const h = native.sm_enclave_new_random(size);
    if (typeof h === 'number') throw errorFor(h, 'cannot seal the enclave');
    return new Enclave(h, TOKEN);
  }

  #handle() {
    const h = this.#state.handle;
    if (h === null) throw new SecretClosedError('the enclave is closed');
    return h;
  }

  /** The plaintext size in bytes. */
  get size() {
    return this.#size;
  }

  /** True once close() freed the ciphertext. */
  get closed() {
    return this.#state.handle === null;
  }

  /** Decrypts into a new guarded, read-only GuardedBuffer (yours to destroy). */
  open() {
    const b = native.sm_enclave_open(this.#handle());
    if (typeof b === 'number') throw errorFor(b, 'cannot open the enclave');
    return GuardedBuffer._wrap(b);
  }

  /**
   * Decrypts into buffer, an alive GuardedBuffer of exactly `size` bytes. A
   * writable buffer stays writable (the fast way to open again and again);
   * a read-only or no-access one is left read-only (its `bytes` view is
   * renewed).
   */
  openInto(buffer) {
    const b = GuardedBuffer._handle(buffer);
    const h = this.#handle();
    if (buffer.protection !== 'READWRITE') GuardedBuffer._invalidate(buffer);
    check(native.sm_enclave_open_into(h, b), 'cannot open the enclave');
  }

  /** Wipes and frees the ciphertext. Idempotent. */
  close() {
    freeNow(this.#state);
  }

  /** close(), for `using`. */
  [Symbol.dispose ?? Symbol.for('nodejs.dispose')]() {
    this.close();
  }

  get [Symbol.toStringTag]() {
    return 'Enclave';
  }
}

module.exports = { Enclave };
