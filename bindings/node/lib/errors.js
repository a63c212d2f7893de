'use strict';
// The error model: one SecureMemoryError subclass per sm_status, with the
// stable status name in `.code` ("SM_ERR_CLOSED"), the number in `.status`
// and the errno of the failing kernel call (0 when none) in `.errno`.
const native = require('./native');

const SM_STATUS_COUNT = 11;

/** The identifier of a status code, e.g. "SM_ERR_CLOSED" ("SM_ERR_UNKNOWN" if unknown). */
function statusName(code) {
  if (!Number.isInteger(code)) throw new TypeError(`status must be an integer, not ${typeof code}`);
  if (code < 0 || code >= SM_STATUS_COUNT) return 'SM_ERR_UNKNOWN';
  return native.sm_status_name(code);
}

/** What a status means and what to do about it (sm_strerror). */
function strerror(code) {
  if (!Number.isInteger(code)) throw new TypeError(`status must be an integer, not ${typeof code}`);
  return native.sm_strerror(code < 0 || code >= SM_STATUS_COUNT ? SM_STATUS_COUNT : code);
}

/** Base class of every error the library reports. */
class SecureMemoryError extends Error {
  /**
   * @param {string} [detail] what was being done
   * @param {{status?: number, errno?: number}} [options]
   */
  constructor(detail, options = {}) {
    const status = options.status ?? new.target.status ?? -1;
    const errno = options.errno ?? 0;
    let message = status >= 0 ? strerror(status) : 'unknown error';
    if (detail) message = `${detail}: ${message}`;
    if (errno) message = `${message} (errno ${errno})`;
    super(message);
    this.name = new.target.name;
    this.status = status;
    this.code = status >= 0 ? statusName(status) : 'SM_ERR_UNKNOWN';
    this.errno = errno;
  }
}

function subclass(name, statusNumber) {
  const cls = {
    [name]: class extends SecureMemoryError {},
  }[name];
  cls.status = statusNumber;
  return cls;
}

const InvalidArgumentError = subclass('InvalidArgumentError', 1);
const OutOfMemoryError = subclass('OutOfMemoryError', 2);
const MemoryLockError = subclass('MemoryLockError', 3);
const ProtectionError = subclass('ProtectionError', 4);
const SecretClosedError = subclass('SecretClosedError', 5);
const AuthenticationError = subclass('AuthenticationError', 6);
const CanaryError = subclass('CanaryError', 7);
const EndOfStreamError = subclass('EndOfStreamError', 8);
const CallbackError = subclass('CallbackError', 9);
const UnsupportedError = subclass('UnsupportedError', 10);

const byStatus = [
  null,
  InvalidArgumentError,
  OutOfMemoryError,
  MemoryLockError,
  ProtectionError,
  SecretClosedError,
  AuthenticationError,
  CanaryError,
  EndOfStreamError,
  CallbackError,
  UnsupportedError,
];

/** The error for a failed status (never 0), with the thread's errno. */
function errorFor(status, detail) {
  const errno = native.sm_last_errno();
  const cls = byStatus[status];
  if (cls === undefined || cls === null) return new SecureMemoryError(detail, { status, errno });
  return new cls(detail, { errno });
}

/** Throws unless status is SM_OK (0). */
function check(status, detail) {
  if (status !== 0) throw errorFor(status, detail);
}

module.exports = {
  SecureMemoryError,
  InvalidArgumentError,
  OutOfMemoryError,
  MemoryLockError,
  ProtectionError,
  SecretClosedError,
  AuthenticationError,
  CanaryError,
  EndOfStreamError,
  CallbackError,
  UnsupportedError,
  statusName,
  strerror,
  errorFor,
  check,
};
