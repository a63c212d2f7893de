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

/**
 * Secret accesses open on this thread: a doubly linked list of nodes
 * { access, prev, next } (O(1) insert and removal with no hashing: a Set
 * costs more than all the rest of the JS side of an access). add()
 * returns the node that delete() takes.
 */
const openAccesses = {
  head: null,
  add(access) {
    const node = { access, prev: null, next: this.head };
    if (this.head !== null) this.head.prev = node;
    this.head = node;
    return node;
  },
  delete(node) { // once per node: SecretAccess#_end runs once
    if (node.prev !== null) node.prev.next = node.next;
    else this.head = node.next;
    if (node.next !== null) node.next.prev = node.prev;
  },
};
/** Backstop states (see backstop.js) of buffers whose `bytes` view exists:
 *  the states, not the buffers, so a buffer stays collectable. */
const viewedBuffers = new Set();

/**
 * A view over a fresh external ArrayBuffer from the addon: marks the
 * buffer untransferable, returns a Uint8Array over all of it.
 */
function untransferable(arrayBuffer) {
  markAsUntransferable(arrayBuffer);
  return new Uint8Array(arrayBuffer);
}

/** Records a buffer's new view (its ArrayBuffer) in its state. */
function setBufferView(state, arrayBuffer) {
  state.view = arrayBuffer;
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
  for (let node = openAccesses.head; node !== null; ) {
    const next = node.next; // _end() unlinks node (and only node)
    node.access._end();
    node = next;
  }
  for (const state of viewedBuffers) dropBufferView(state);
}

module.exports = { openAccesses, untransferable, setBufferView, dropBufferView, endAll };
