#!/usr/bin/env bash
# Makes a fresh machine ready: the Debian packages the agent, its tests and the
# VM demo use, and the npm dependencies (which also builds the native addon).
# Quick and silent when everything is already there.
set -euo pipefail
cd "$(dirname "$0")/.."
PACKAGES=(crun runc busybox-static qemu-system-x86 golang-go golang-github-hashicorp-yamux-dev golang-google-grpc-dev
  socat iproute2 e2fsprogs procps kmod util-linux xz-utils cpio nghttp2-client)
missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${missing[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
# node-gyp must build against the installed Node's headers: nothing can be downloaded here.
if [ -z "$(npm config get nodedir 2>/dev/null | grep -v '^undefined$')" ] && [ -f /usr/include/node/node_api.h ]; then
  export npm_config_nodedir=/usr
fi
# npm ci when node_modules is missing or older than the lock file.
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ] \
  || { [ -f binding.gyp ] && [ ! -f build/Release/agent_native.node ]; }; then
  echo "setup: npm ci" >&2
  npm ci --no-audit --no-fund --loglevel=error
fi
# npm ci builds the addon; after a change to its C sources, rebuild it here
# with npm's own node-gyp (a build older than its sources would load stale code).
addon=build/Release/agent_native.node
if [ -f "$addon" ] && [ -n "$(find native binding.gyp -newer "$addon" -print -quit)" ]; then
  echo "setup: rebuilding the native addon" >&2
  gyp="$(npm prefix -g)/lib/node_modules/npm/node_modules/node-gyp/bin/node-gyp.js"
  if [ -f "$gyp" ]; then
    nodedir="${npm_config_nodedir:-$(npm config get nodedir 2>/dev/null | grep -v '^undefined$' || true)}"
    node "$gyp" rebuild --loglevel=error ${nodedir:+--nodedir="$nodedir"} >/dev/null
  else
    npm ci --no-audit --no-fund --loglevel=error
  fi
fi
