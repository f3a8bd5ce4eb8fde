#!/usr/bin/env bash
# Demo without a VM: the agent on a unix socket runs a busybox container through
# the client library and prints its output. Runs in private mount/UTS/IPC
# namespaces with the cgroup2 mount hidden (crun refuses hybrid cgroups), so the
# machine is left as it was. Usage: scripts/demo-local.sh [--runtime runc]
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
npm run build --silent
exec unshare --mount --uts --ipc --propagation private -- bash -c '
  source scripts/hide-cgroup2.sh
  exec node dist/src/cli/demo-local.js "$@"' demo "$@"
