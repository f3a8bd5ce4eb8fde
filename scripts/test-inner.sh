#!/usr/bin/env bash
# Runs inside the private namespaces made by scripts/test.sh.
set -euo pipefail
# Refuse to run outside the namespace scripts/test.sh makes: the unmount below
# must never reach the machine's own mount table.
if [ "${KATA_AGENT_TEST_NS:-}" != "$$" ]; then
  echo "run the tests with scripts/test.sh (npm test), not this script" >&2
  exit 2
fi
# crun refuses a hybrid cgroup layout (v1 controllers plus cgroup2 beside them):
# hide the cgroup2 mount from the tests, in this namespace only.
source scripts/hide-cgroup2.sh
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(dist/test/)
# A hung test fails after 2 minutes; the VM tests ask for more in their own options.
exec node --test --test-concurrency=1 --test-timeout=120000 "${targets[@]}"
