# The securememory addon: the SWIG Node-API wrapper (src/securememory_wrap.cxx,
# generated from bindings/swig/securememory.i + node.i and committed) and the
# C core compiled in, linked against the shared libsodium.
#
# Build offline with the node-gyp that npm bundles and the installed headers:
#   node "$(npm prefix -g)/lib/node_modules/npm/node_modules/node-gyp/bin/node-gyp.js" \
#     rebuild --nodedir=/usr
# Hardening (issue 11): -fstack-protector-strong -D_FORTIFY_SOURCE=2 -O2,
# full RELRO (-z relro -z now), non-executable stack; tests/hardening.test.js
# reads the result's dynamic section and program headers.
{
  "targets": [
    {
      "target_name": "securememory",
      "sources": [
        "src/securememory_wrap.cxx",
        "<!@(node scripts/core.js sources)"
      ],
      "include_dirs": [
        "src",
        "<!@(node scripts/core.js includes)",
        "<!(node -p \"require('node-addon-api').include_dir\")"
      ],
      "defines": [
        "NAPI_VERSION=8",
        "SM_BUILDING_LIBRARY",
        "_GNU_SOURCE",
        "_FORTIFY_SOURCE=2"
      ],
      "cflags!": ["-fno-exceptions", "-O3"],
      "cflags_cc!": ["-fno-exceptions", "-fno-rtti"],
      "cflags": [
        "-O2",
        "-fstack-protector-strong",
        "-fvisibility=hidden",
        "-Wall",
        "-Wextra"
      ],
      "cflags_c": ["-std=c11"],
      "cflags_cc": ["-fexceptions", "-Wno-unused-parameter"],
      "ldflags": [
        "-Wl,-z,now",
        "-Wl,-z,relro",
        "-Wl,-z,noexecstack",
        "-Wl,--enable-new-dtags",
        "-Wl,-rpath,'$$ORIGIN'",
        "-Wl,--version-script=<(module_root_dir)/src/exports.map"
      ],
      "libraries": ["-lsodium", "-pthread"]
    }
  ]
}
