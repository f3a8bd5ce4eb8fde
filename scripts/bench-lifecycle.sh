#!/usr/bin/env bash
# Container lifecycle benchmark (a command, not a test): the agent against bare
# crun (or runc) in the same run. Runs in a private mount/UTS/IPC namespace with
# the cgroup2 mount hidden, as the tests do. NODE_FLAGS=--cpu-prof profiles it.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
npm run build --silent
exec unshare --mount --uts --ipc --propagation private -- bash -c '
  source scripts/hide-cgroup2.sh
  exec node ${NODE_FLAGS:-} dist/bench/lifecycle.js "$@"' bench "$@"
