'use strict';
// Argument checks shared by the classes: wrong JS types are TypeErrors,
// numbers out of range RangeErrors (as Node's own APIs do); what the core
// would refuse (a length of 0) goes to the core, so it gives its own status.
const { InvalidArgumentError } = require('./errors');

/** A Uint8Array (a Buffer is one); anything else is a TypeError. */
function bytesArg(value, what) {
  if (!(value instanceof Uint8Array)) {
    const got = value === null ? 'null' : typeof value === 'object' ? value.constructor?.name ?? 'object' : typeof value;
    throw new TypeError(`${what} must be a Buffer or Uint8Array, not ${got}`);
  }
  return value;
}

/** A non-negative safe integer (a size, offset or count). */
function sizeArg(value, what) {
  if (typeof value !== 'number') {
    throw new TypeError(`${what} must be a number, not ${value === null ? 'null' : typeof value}`);
  }
  if (!Number.isSafeInteger(value) || value < 0) {
    throw new RangeError(`${what} must be a non-negative integer (got ${value})`);
  }
  return value;
}

const KINDS = { protected: 0, enclave: 1 };
const KIND_NAMES = ['protected', 'enclave'];

/** The sm_kind of options.kind: 'protected' (the default) or 'enclave'. */
function kindArg(options) {
  if (options === undefined || options === null) return 0;
  if (typeof options !== 'object') throw new TypeError(`options must be an object, not ${typeof options}`);
  const kind = options.kind;
  if (kind === undefined) return 0;
  if (typeof kind !== 'string') throw new TypeError(`kind must be 'protected' or 'enclave', not ${typeof kind}`);
  const k = KINDS[kind];
  if (k === undefined || !Object.hasOwn(KINDS, kind)) {
    throw new InvalidArgumentError(`unknown secret kind '${kind}' (expected 'protected' or 'enclave')`);
  }
  return k;
}

module.exports = { bytesArg, sizeArg, kindArg, KIND_NAMES };
