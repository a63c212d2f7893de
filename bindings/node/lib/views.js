'use strict';
// Zero-copy views and what ends them. A view is a Uint8Array over an
// external ArrayBuffer whose memory is the guarded page itself; it is
// marked untransferable (worker_threads.markAsUntransferable), so a
// postMessage that lists it for transfer copies it (Node 20) or throws
// (Node >= 21) and never moves the page to another thread. Ending a view
// detaches its ArrayBuffer: byteLength 0, so a reference kept afterwards
// reads nothing instead of touching memory that is no longer accessible.
//
// This module also knows every view open on this thread, so purge() and
// exit can end them first (a purge waits for open secret accesses: one held
// by this very thread would wait forever).
const { markAsUntransferable } = require('node:worker_threads');
const native = require('./native');

/** Secret accesses open on this thread (SecretAccess objects). */
const openAccesses = new Set();
/** Backstop states (see backstop.js) of buffers whose `bytes` view exists:
 *  the states, not the buffers, so a buffer stays collectable. */
const viewedBuffers = new Set();

/** Marks a fresh view's ArrayBuffer untransferable; returns the view. */
function untransferable(view) {
  markAsUntransferable(view.buffer);
  return view;
}

/** Records a buffer's new view in its state. */
function setBufferView(state, view) {
  state.view = view.buffer;
  viewedBuffers.add(state);
}

/** Detaches a buffer's view, if it has one. */
function dropBufferView(state) {
  if (state.view === null) return;
  native.sm_node_detach(state.view);
  state.view = null;
  viewedBuffers.delete(state);
}

/** Ends every view of this thread (before a purge or at exit). */
function endAll() {
  for (const access of openAccesses) access._end();
  for (const state of viewedBuffers) dropBufferView(state);
}

module.exports = { openAccesses, untransferable, setBufferView, dropBufferView, endAll };
