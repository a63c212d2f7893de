/**
 * securememory: keep secrets (keys, passwords, tokens) safe in process
 * memory. The Node binding of libsecurememory; see docs/node.md.
 *
 * Ownership: every object owns guarded memory until you close it (close(),
 * destroy(), or `using`); a FinalizationRegistry closes what nobody closed,
 * as a late backstop only. Threads: objects belong to the thread (main or
 * worker) that made them; the memory calls are thread-safe in the core.
 * Errors: SecureMemoryError subclasses with the C status name in `.code`;
 * TypeError / RangeError for wrong JS types and ranges.
 */

/** 'protected': guarded pages, no access at rest. 'enclave': encrypted at rest. */
export type Kind = 'protected' | 'enclave';
/** A guarded buffer's page protection. */
export type Protection = 'NONE' | 'READ' | 'READWRITE';
/** A signal the library can catch. */
export type CatchableSignal = 'SIGINT' | 'SIGTERM' | 'SIGHUP' | 'SIGQUIT';
/** The C status names. */
export type StatusCode =
  | 'SM_OK'
  | 'SM_ERR_INVALID'
  | 'SM_ERR_NOMEM'
  | 'SM_ERR_MLOCK'
  | 'SM_ERR_PROTECT'
  | 'SM_ERR_CLOSED'
  | 'SM_ERR_AUTH'
  | 'SM_ERR_CANARY'
  | 'SM_ERR_EOF'
  | 'SM_ERR_CALLBACK'
  | 'SM_ERR_UNSUPPORTED'
  | 'SM_ERR_UNKNOWN';

export interface SecretOptions {
  /** Default 'protected'; anything else is an InvalidArgumentError. */
  kind?: Kind;
}

/**
 * One access to a secret's bytes (Secret#acquire). `bytes` is a zero-copy,
 * read-only view of the protected page (a write faults), detached
 * (byteLength 0) once released.
 */
export class SecretAccess {
  private constructor();
  /** The view; byteLength 0 once released. */
  readonly bytes: Uint8Array;
  /** True once released (or ended by purge()). */
  readonly released: boolean;
  /** Ends the access; InvalidArgumentError when it was already released. */
  release(): void;
  /** release(), without the error when already released. */
  [Symbol.dispose](): void;
}

/** Immutable secret bytes in guarded memory. */
export class Secret {
  private constructor();
  /**
   * A secret holding a copy of data; data (a Buffer or Uint8Array) is then
   * zeroed on every path. Empty data: InvalidArgumentError.
   */
  static fromBytes(data: Uint8Array, options?: SecretOptions): Secret;
  /** A secret of size random bytes generated in guarded memory. */
  static random(size: number, options?: SecretOptions): Secret;
  /** The length in bytes (also after close). */
  readonly size: number;
  readonly kind: Kind;
  /** True once closed or purged. */
  readonly closed: boolean;
  /**
   * fn gets a zero-copy, read-only Uint8Array over the secret (external
   * ArrayBuffer, marked untransferable). When fn returns, or the promise it
   * returns settles, the view is detached and the access released. Returns
   * fn's result (a promise for an async fn).
   */
  withBytes<T>(fn: (bytes: Uint8Array) => T): T;
  /** Starts an access you end with release() (withBytes does both). */
  acquire(): SecretAccess;
  /** Copies from offset into target; the count copied, 0 at or past the end. */
  read(offset: number, target: Uint8Array): number;
  /**
   * Wipes and releases the secret (idempotent). Waits for other threads'
   * accesses; with accesses of this thread in flight, refuses new ones at
   * once and wipes when the last ends.
   */
  close(): void;
  [Symbol.dispose](): void;
}

/** A guarded buffer: [guard page][canary | data][guard page]. */
export class GuardedBuffer {
  private constructor();
  /** A zeroed, read-write buffer. */
  static alloc(size: number): GuardedBuffer;
  /** A read-write buffer of random bytes. */
  static random(size: number): GuardedBuffer;
  /** A read-write buffer holding a copy of data, which is then zeroed. */
  static fromBytes(data: Uint8Array): GuardedBuffer;
  /**
   * The data, zero-copy: writable while READWRITE, read-only memory while
   * READ (a write faults); detached when noAccess(), destroy(), seal() or
   * purge() takes the memory away. SecretClosedError once destroyed,
   * InvalidArgumentError while no-access.
   */
  readonly bytes: Uint8Array;
  /** The data length; 0 once destroyed. */
  readonly size: number;
  /** True until destroyed, sealed or purged. */
  readonly alive: boolean;
  readonly protection: Protection;
  freeze(): void;
  melt(): void;
  noAccess(): void;
  /** CanaryError if something wrote before the data. */
  check(): void;
  /** Seals the data into a new Enclave and destroys this buffer. */
  seal(): Enclave;
  /** Wipes and releases the memory (idempotent). */
  destroy(): void;
  [Symbol.dispose](): void;
}

/** Sealed (XChaCha20-Poly1305) bytes under the process key. */
export class Enclave {
  private constructor();
  /** Seals a copy of data, then zeroes data. */
  static fromBytes(data: Uint8Array): Enclave;
  static random(size: number): Enclave;
  /** The plaintext size. */
  readonly size: number;
  readonly closed: boolean;
  /** Decrypts into a new read-only GuardedBuffer (yours to destroy). */
  open(): GuardedBuffer;
  /** Decrypts into an alive GuardedBuffer of exactly `size` bytes. */
  openInto(buffer: GuardedBuffer): void;
  /** Frees the ciphertext (idempotent). */
  close(): void;
  [Symbol.dispose](): void;
}

export interface StreamOptions {
  /** Chunk size in bytes; 0 or absent: 4 pages. */
  chunkSize?: number;
}

/** A thread-safe FIFO of enclave-sealed chunks. */
export class Stream implements AsyncIterable<GuardedBuffer> {
  constructor(options?: StreamOptions);
  readonly chunkSize: number;
  /** Bytes queued. */
  readonly size: number;
  readonly closed: boolean;
  /** Appends a copy of data (not wiped); returns its length. */
  write(data: Uint8Array): number;
  /** Moves bytes into target; the count, 0 when the stream is empty. */
  read(target: Uint8Array): number;
  /** The next chunk as a read-only GuardedBuffer; EndOfStreamError when empty. */
  next(): GuardedBuffer;
  /** Everything queued as one read-only GuardedBuffer; EndOfStreamError when empty. */
  flush(): GuardedBuffer;
  [Symbol.asyncIterator](): AsyncIterator<GuardedBuffer>;
  close(): void;
  [Symbol.dispose](): void;
}

export interface Config {
  lockPolicy?: 'strict' | 'best-effort' | 'off';
  forkPolicy?: 'wipe' | 'keep';
  disableCoreDumps?: boolean;
  /** 0..2^32-1; 0 = never. */
  rekeyIntervalMs?: number;
  /** Default 'pages'; cannot change once memory was taken. */
  backend?: 'pages' | 'secretmem' | 'auto';
}

export interface Stats {
  liveBuffers: number;
  bytesInUse: number;
  bytesLocked: number;
  peakBytesLocked: number;
  lockFailures: number;
  liveSecretsProtected: number;
  liveSecretsEnclave: number;
  liveEnclaves: number;
  mappedBytes: number;
  bytesLockedCached: number;
}

/** The C library's version, e.g. "0.1.0". */
export const version: string;
/** Initialises the library (optional); see Config. */
export function init(config?: Config | null): void;
/** The backend in force. */
export function activeBackend(): 'pages' | 'secretmem';
/** Wipes every secret and buffer of the process and destroys the coffer key. */
export function purge(): void;
/** Purges, then process.exit(code) (0..255). */
export function exit(code?: number): never;
export function stats(): Stats;
export function pageSize(): number;
/** Zeroes data. */
export function wipe(data: Uint8Array): void;
/** Re-keys the coffer now. */
export function cofferRekey(): void;

/** Exit code meaning "end by the signal itself". */
export const RERAISE: -1;
/** The signals that can be caught. */
export const SIGNALS: readonly CatchableSignal[];
/** Catches SIGINT: purge, then exit(1). */
export function catchInterrupt(): void;
/**
 * Catches signals (default SIGNALS): handler runs (awaited if it returns a
 * promise), then purge, then process.exit with the signal's code.
 */
export function catchSignals(
  handler?: ((signal: CatchableSignal) => void | Promise<void>) | null,
  signals?: ReadonlyArray<CatchableSignal | number>,
): void;
/** 0..255, or RERAISE. Default 1. */
export function setExitCode(signal: CatchableSignal | number, code: number): void;
/** Removes the listeners of the catch calls (idempotent). */
export function release(): void;

/** Base class of the library's errors. */
export class SecureMemoryError extends Error {
  constructor(detail?: string, options?: { status?: number; errno?: number });
  /** The C status name, e.g. "SM_ERR_CLOSED". */
  readonly code: StatusCode;
  /** The status number. */
  readonly status: number;
  /** errno of the kernel call behind it (0 if none). */
  readonly errno: number;
}
/** SM_ERR_INVALID */
export class InvalidArgumentError extends SecureMemoryError {}
/** SM_ERR_NOMEM */
export class OutOfMemoryError extends SecureMemoryError {}
/** SM_ERR_MLOCK */
export class MemoryLockError extends SecureMemoryError {}
/** SM_ERR_PROTECT */
export class ProtectionError extends SecureMemoryError {}
/** SM_ERR_CLOSED */
export class SecretClosedError extends SecureMemoryError {}
/** SM_ERR_AUTH */
export class AuthenticationError extends SecureMemoryError {}
/** SM_ERR_CANARY */
export class CanaryError extends SecureMemoryError {}
/** SM_ERR_EOF */
export class EndOfStreamError extends SecureMemoryError {}
/** SM_ERR_CALLBACK */
export class CallbackError extends SecureMemoryError {}
/** SM_ERR_UNSUPPORTED */
export class UnsupportedError extends SecureMemoryError {}

/** The status name of a code ("SM_ERR_UNKNOWN" for unknown codes). */
export function statusName(code: number): StatusCode;
/** What a status means and what to do. */
export function strerror(code: number): string;
