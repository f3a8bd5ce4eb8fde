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
# bench/ keeps the tests of its own report code beside it.
[ ${#targets[@]} -gt 0 ] || targets=(dist/test/ dist/bench/)
# A hung test fails after 2 minutes; tests that need more ask in their own options.
DEFAULT_TIMEOUT_MS=120000
# Node 20 bounds each test file as a whole by --test-timeout, not only each
# test in it. A file whose tests may together run longer (the VM tests, the
# fuzzers) carries a "// test-file-timeout-ms: N" line, names a timeout on
# every test and hook, and runs in a node --test of its own bounded by N.
mapfile -t files < <(find "${targets[@]}" -name '*.test.js' | sort)
if [ ${#files[@]} -eq 0 ]; then
  echo "no test files in ${targets[*]}" >&2
  exit 2
fi
short=()
long=()
for f in "${files[@]}"; do
  if grep -q '^// test-file-timeout-ms: [0-9]' "$f"; then long+=("$f"); else short+=("$f"); fi
done
rc=0
if [ ${#short[@]} -gt 0 ]; then
  node --test --test-concurrency=1 --test-timeout="$DEFAULT_TIMEOUT_MS" "${short[@]}" || rc=1
fi
for f in "${long[@]}"; do
  bound=$(sed -n 's|^// test-file-timeout-ms: \([0-9]*\).*|\1|p' "$f" | head -n 1)
  node --test --test-timeout="$bound" "$f" || rc=1
done
exit "$rc"
