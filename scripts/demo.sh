#!/usr/bin/env bash
# The README's first quick-start command: the agent in a qemu VM, driven like a
# Kata runtime drives it. Builds the project and the guest image (cached in
# .vm/) when needed.
set -euo pipefail
cd "$(dirname "$0")/.."
[ -d node_modules ] || npm ci --no-audit --no-fund
npm run build --silent
exec node dist/src/host/demo.js "$@"
