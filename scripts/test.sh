#!/usr/bin/env bash
# The README's test command. Builds, then runs every test inside a private
# mount, UTS and IPC namespace, so mounts, hostnames and namespaces the tests
# create vanish with them and nothing on the machine changes.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
npm run build --silent
# The inner script checks this marker: exec keeps the pid, so it matches only when run through the unshare below.
export KATA_AGENT_TEST_NS=$$
exec unshare --mount --uts --ipc --propagation private -- bash scripts/test-inner.sh "$@"
