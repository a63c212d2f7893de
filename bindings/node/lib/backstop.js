'use strict';
// The garbage-collection backstop: an object nobody closed is closed and its
// handle freed when it is collected. A backstop only: collection may come
// late or (at exit) never, and until then the memory stays locked; close
// what you create (close(), destroy(), `using`). purge() and the exit hook
// wipe everything regardless.
//
// Each registration holds a small state object ({ handle, free, view })
// rather than the handle alone, so the cleanup also detaches a view that
// outlived its owner (a GuardedBuffer's `bytes` kept after the buffer
// itself became unreachable) before the memory goes.
const { dropBufferView } = require('./views');

const registry = new FinalizationRegistry((state) => {
  dropBufferView(state);
  const h = state.handle;
  state.handle = null;
  if (h !== null) state.free(h);
});

/**
 * Registers owner; returns its state object. free(handle) runs once owner is
 * collected, unless release(state, owner) ran first.
 */
function track(owner, handle, free) {
  const state = { handle, free, view: null };
  registry.register(owner, state, state);
  return state;
}

/** Frees the handle now (explicit close of an enclave or a stream). */
function freeNow(state) {
  registry.unregister(state);
  const h = state.handle;
  state.handle = null;
  if (h !== null) state.free(h);
}

module.exports = { track, freeNow };
