#!/usr/bin/env bash
# The README's first quick-start command: the agent in a qemu VM, driven as a
# Kata runtime drives it. Installs what is missing (scripts/setup.sh), builds
# the project, and builds the guest image into .vm/ when its inputs changed.
#   npm run demo -- --containers 20 --console
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
npm run build --silent
exec node dist/src/host/demo.js "$@"
