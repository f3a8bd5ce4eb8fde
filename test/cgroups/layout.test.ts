// The guest's cgroup layout and the runtime that can work on it: unit cases on
// made-up trees, then this machine's own hybrid layout (cgroup2 at
// /sys/fs/cgroup/unified holding a controller), which the rest of the suite
// hides because crun refuses it. Here it is mounted back, in the test's
// private mount namespace and only for this test.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { detectCgroupLayout } from '../../src/cgroups/layout';
import { chooseOciRuntime } from '../../src/runtime/choose';
import { run, startHarness } from '../../tools/testkit/containers';

test('layouts: v1, unified, hybrid with and without cgroup2 controllers', () => {
  const root = mkdtempSync(path.join(os.tmpdir(), 'kata-layout-'));
  try {
    const cg = path.join(root, 'sys/fs/cgroup');
    mkdirSync(path.join(cg, 'memory'), { recursive: true });
    assert.deepEqual(detectCgroupLayout(root), { kind: 'v1' });
    mkdirSync(path.join(cg, 'unified'));
    writeFileSync(path.join(cg, 'unified/cgroup.controllers'), '\n');
    assert.deepEqual(detectCgroupLayout(root), { kind: 'hybrid', v2Controllers: [] });
    writeFileSync(path.join(cg, 'unified/cgroup.controllers'), 'hugetlb pids\n');
    assert.deepEqual(detectCgroupLayout(root), { kind: 'hybrid', v2Controllers: ['hugetlb', 'pids'] });
    writeFileSync(path.join(cg, 'cgroup.controllers'), 'cpu memory\n');
    assert.deepEqual(detectCgroupLayout(root), { kind: 'unified' });
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('crun gives way to runc only on a hybrid layout whose cgroup2 holds controllers', () => {
  const hybrid = { kind: 'hybrid' as const, v2Controllers: ['hugetlb'] };
  const all = () => true;
  assert.deepEqual(chooseOciRuntime('crun', { kind: 'v1' }, all), { name: 'crun' });
  assert.deepEqual(chooseOciRuntime('crun', { kind: 'unified' }, all), { name: 'crun' });
  assert.deepEqual(chooseOciRuntime('crun', { kind: 'hybrid', v2Controllers: [] }, all), { name: 'crun' });
  assert.deepEqual(chooseOciRuntime('runc', hybrid, all), { name: 'runc' });
  const fallback = chooseOciRuntime('crun', hybrid, all);
  assert.equal(fallback.name, 'runc');
  assert.match(fallback.warning!, /holds controllers \(hugetlb\); running containers with runc/);
  const stuck = chooseOciRuntime('crun', hybrid, (n) => n !== 'runc');
  assert.equal(stuck.name, 'crun');
  assert.match(stuck.warning!, /runc is not installed/);
});

const UNIFIED = '/sys/fs/cgroup/unified';

function machineHasHybridControllers(): boolean {
  return existsSync(UNIFIED) && !existsSync('/sys/fs/cgroup/cgroup.controllers');
}

test(
  "this machine's hybrid layout, unhidden: the default crun gives way to runc and containers run",
  { timeout: 120_000 },
  async (t) => {
    if (!machineHasHybridControllers()) return t.skip('no hybrid cgroup layout here');
    execFileSync('mount', ['-t', 'cgroup2', 'cgroup2', UNIFIED]);
    try {
      const layout = detectCgroupLayout();
      if (layout.kind !== 'hybrid' || layout.v2Controllers.length === 0) {
        return t.skip(`cgroup2 holds no controller here (${JSON.stringify(layout)}): crun works`);
      }
      // What the suite avoids by hiding cgroup2: crun itself refuses this layout.
      const h = await startHarness({ runtime: 'crun' });
      try {
        const out = await run(h, 'hybrid', [
          'sh',
          '-c',
          'echo on the hybrid layout; cat /proc/self/cgroup | grep -c memory',
        ]);
        assert.equal(out.status, 0, out.stderr);
        assert.match(out.stdout, /^on the hybrid layout\n1\n$/);
        assert.ok(existsSync(h.guest('run/kata-agent/runtime/runc')), 'runc ran it');
      } finally {
        await h.stop();
      }
    } finally {
      execFileSync('umount', [UNIFIED]);
    }
  },
);
