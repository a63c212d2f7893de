'use strict';
// Streams: a FIFO of enclave-sealed chunks for data too large to hold
// decrypted at once (sm_stream).
const native = require('./native');
const { check, errorFor, SecretClosedError } = require('./errors');
const { bytesArg, sizeArg } = require('./args');
const { track, freeNow } = require('./backstop');
const { GuardedBuffer } = require('./buffer');

const freeStream = (h) => native.sm_stream_free(h);
const SM_ERR_EOF = 8;

/**
 * A thread-safe FIFO of sealed chunks. write() appends a copy (the source
 * is not wiped); read(target) moves bytes out of the front across chunks
 * and returns the count, 0 once the stream is empty; next() and flush()
 * move the next chunk / everything into a new read-only GuardedBuffer
 * (EndOfStreamError when empty). `for await (const chunk of stream)` takes
 * the chunks as GuardedBuffers (destroy each one). close() frees it all.
 */
class Stream {
  #state;
  #chunkSize;

  /** An empty stream; options.chunkSize in bytes (0 or absent: 4 pages). */
  constructor(options) {
    let chunkSize = 0;
    if (options !== undefined && options !== null) {
      if (typeof options !== 'object') throw new TypeError(`options must be an object, not ${typeof options}`);
      if (options.chunkSize !== undefined) chunkSize = sizeArg(options.chunkSize, 'chunkSize');
    }
    const h = native.sm_stream_new(chunkSize);
    if (typeof h === 'number') throw errorFor(h, 'cannot create the stream');
    this.#chunkSize = native.sm_stream_chunk_size(h);
    this.#state = track(this, h, freeStream);
  }

  #handle() {
    const h = this.#state.handle;
    if (h === null) throw new SecretClosedError('the stream is closed');
    return h;
  }

  /** The chunk size in bytes. */
  get chunkSize() {
    return this.#chunkSize;
  }

  /** Bytes currently queued (0 once closed). */
  get size() {
    const h = this.#state.handle;
    return h === null ? 0 : native.sm_stream_size(h);
  }

  /** True once close() ran. */
  get closed() {
    return this.#state.handle === null;
  }

  /** Appends a copy of data (a Buffer or Uint8Array; not wiped). Returns its length. */
  write(data) {
    bytesArg(data, 'data');
    check(native.sm_stream_write(this.#handle(), data), 'cannot write to the stream');
    return data.byteLength;
  }

  /**
   * Moves up to target.byteLength bytes into target; returns the count, 0
   * when the stream is empty. An empty target is an InvalidArgumentError.
   */
  read(target) {
    bytesArg(target, 'target');
    const n = native.sm_stream_read(this.#handle(), target);
    if (n >= 0) return n;
    if (-n === SM_ERR_EOF) return 0;
    throw errorFor(-n, 'cannot read the stream');
  }

  /** Moves the next chunk into a new read-only GuardedBuffer; EndOfStreamError when empty. */
  next() {
    const b = native.sm_stream_next(this.#handle());
    if (typeof b === 'number') throw errorFor(b, 'cannot take the next chunk');
    return GuardedBuffer._wrap(b);
  }

  /** Moves everything queued into one new read-only GuardedBuffer; EndOfStreamError when empty. */
  flush() {
    const b = native.sm_stream_flush(this.#handle());
    if (typeof b === 'number') throw errorFor(b, 'cannot take the stream contents');
    return GuardedBuffer._wrap(b);
  }

  /** The chunks, each a read-only GuardedBuffer (yours to destroy), until the stream is empty. */
  async *[Symbol.asyncIterator]() {
    while (this.size > 0) yield this.next();
  }

  /** Wipes and frees everything queued. Idempotent. */
  close() {
    freeNow(this.#state);
  }

  /** close(), for `using`. */
  [Symbol.dispose ?? Symbol.for('nodejs.dispose')]() {
    this.close();
  }

  get [Symbol.toStringTag]() {
    return 'Stream';
  }
}

module.exports = { Stream };
