'use strict';
// The addon: the SWIG Node-API wrapper of the C core (see bindings/swig/node.i
// for the calling conventions). node-gyp-build loads the prebuilt addon of
// prebuilds/<platform>-<arch>/ (shipped in the npm tarball, with libsodium
// beside it) or, in a checkout or where no prebuild matches, build/Release.
// Internal: nothing outside lib/ may call it.
const path = require('node:path');

module.exports = require('node-gyp-build')(path.join(__dirname, '..'));
