'use strict';
// Guarded buffers: mutable bytes between guard pages (sm_buffer).
const native = require('./native');
const { check, errorFor } = require('./errors');
const { bytesArg, sizeArg } = require('./args');
const { untransferable, setBufferView, dropBufferView } = require('./views');
const { track } = require('./backstop');

const freeBuffer = (h) => native.sm_buffer_free(h);
const PROT_NAMES = ['NONE', 'READ', 'READWRITE'];
const TOKEN = Symbol('GuardedBuffer');

/**
 * A guarded buffer: [guard page][canary | data][guard page]. `bytes` is a
 * zero-copy Uint8Array over the data: writable while the buffer is
 * READWRITE (the state after alloc, random and fromBytes), read-only memory
 * after freeze() (a write then faults), and detached (byteLength 0) when
 * noAccess(), destroy(), seal() or purge() takes the memory away, so a kept
 * reference never touches an inaccessible page. destroy() wipes and
 * releases it; a buffer garbage collected while alive is destroyed then (a
 * backstop). State calls are thread-safe in the core; the bytes are yours
 * to synchronise.
 */
class GuardedBuffer {
  #h;
  #state;
  #bytes = null;

  /** @internal Use GuardedBuffer.alloc(), random() or fromBytes(). */
  constructor(handle, token) {
    if (token !== TOKEN) {
      throw new TypeError('use GuardedBuffer.alloc(), GuardedBuffer.random() or GuardedBuffer.fromBytes()');
    }
    this.#h = handle;
    this.#state = track(this, handle, freeBuffer);
  }

  /** @internal Wraps a handle the core just created. */
  static _wrap(handle) {
    return new GuardedBuffer(handle, TOKEN);
  }

  /** @internal The handle, for Enclave#openInto and seal. */
  static _handle(buffer) {
    if (!(buffer instanceof GuardedBuffer)) {
      throw new TypeError(`buffer must be a GuardedBuffer, not ${buffer === null ? 'null' : typeof buffer}`);
    }
    return buffer.#h;
  }

  /** @internal Ends the view before the core changes the memory. */
  static _invalidate(buffer) {
    buffer.#dropView();
  }

  /** A zeroed, read-write buffer of size bytes. */
  static alloc(size) {
    sizeArg(size, 'size');
    return GuardedBuffer.#made(native.sm_buffer_new(size));
  }

  /** A read-write buffer of size random bytes. */
  static random(size) {
    sizeArg(size, 'size');
    return GuardedBuffer.#made(native.sm_buffer_new_random(size));
  }

  /** A read-write buffer holding a copy of data, which is then zeroed. */
  static fromBytes(data) {
    bytesArg(data, 'data');
    return GuardedBuffer.#made(native.sm_buffer_new_from_bytes(data));
  }

  static #made(h) {
    if (typeof h === 'number') throw errorFor(h, 'cannot create the buffer');
    return new GuardedBuffer(h, TOKEN);
  }

  /**
   * The data as a zero-copy Uint8Array (the same object until the
   * protection changes). SecretClosedError once destroyed;
   * InvalidArgumentError while no-access.
   */
  get bytes() {
    // state.view is null when purge() or exit ended the view behind our back.
    if (this.#bytes !== null && this.#state.view !== null) return this.#bytes;
    const arrayBuffer = native.sm_node_buffer_view(this.#h);
    if (typeof arrayBuffer === 'number') throw errorFor(arrayBuffer, 'cannot view the buffer');
    this.#bytes = untransferable(arrayBuffer);
    setBufferView(this.#state, arrayBuffer);
    return this.#bytes;
  }

  /** The data length in bytes; 0 once destroyed. */
  get size() {
    return native.sm_buffer_size(this.#h);
  }

  /** True while the buffer holds memory (not destroyed, sealed or purged). */
  get alive() {
    return native.sm_buffer_is_alive(this.#h) === 1;
  }

  /** 'NONE', 'READ' or 'READWRITE' ('NONE' once destroyed). */
  get protection() {
    return PROT_NAMES[native.sm_buffer_protection(this.#h)];
  }

  #dropView() {
    if (this.#bytes === null) return;
    this.#bytes = null;
    dropBufferView(this.#state);
  }

  #change(fn, what) {
    this.#dropView();
    check(fn(this.#h), `cannot ${what} the buffer`);
  }

  /** Makes the data read-only (the next `bytes` is a new view). */
  freeze() {
    this.#change(native.sm_buffer_freeze, 'freeze');
  }

  /** Makes the data read-write (the next `bytes` is a new view). */
  melt() {
    this.#change(native.sm_buffer_melt, 'melt');
  }

  /** Makes the data inaccessible: `bytes` is detached until melt() or freeze(). */
  noAccess() {
    this.#change(native.sm_buffer_noaccess, 'protect');
  }

  /** Verifies the canary now: CanaryError if something wrote before the data. */
  check() {
    check(native.sm_buffer_check(this.#h), 'buffer check failed');
  }

  /**
   * Seals the data into a new Enclave, then destroys this buffer. On
   * failure the buffer is left alive and unchanged (except SM_ERR_CANARY,
   * which destroys it).
   */
  seal() {
    const { Enclave } = require('./enclave');
    this.#dropView();
    const e = native.sm_buffer_seal(this.#h);
    if (typeof e === 'number') throw errorFor(e, 'cannot seal the buffer');
    return Enclave._wrap(e);
  }

  /**
   * Wipes the data, verifies the canary and releases the memory; `bytes` is
   * detached. Idempotent. CanaryError if the canary was corrupted (the
   * memory is still wiped and released).
   */
  destroy() {
    this.#change(native.sm_buffer_destroy, 'destroy');
  }

  /** destroy(), for `using`. */
  [Symbol.dispose ?? Symbol.for('nodejs.dispose')]() {
    this.destroy();
  }

  get [Symbol.toStringTag]() {
    return 'GuardedBuffer';
  }
}

module.exports = { GuardedBuffer };
