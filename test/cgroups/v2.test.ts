import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { CgroupFs } from '../../src/cgroups/cgroup-fs';
import { watchOom } from '../../src/cgroups/oom';
import { statsV2 } from '../../src/cgroups/stats-v2';
import { createLogger } from '../../src/logging/logger';

const log = createLogger({ level: 'silent' }).logger;

/** A unified hierarchy laid out as files: what the kernel shows for one container. */
function fakeV2(files: Record<string, string>): { fs: CgroupFs; dir: string; cleanup(): void } {
  const root = mkdtempSync(path.join(os.tmpdir(), 'cgroup2-'));
  writeFileSync(path.join(root, 'cgroup.controllers'), 'cpu memory pids io hugetlb\n');
  const dir = path.join(root, 'kata/sb/c1');
  mkdirSync(dir, { recursive: true });
  for (const [name, text] of Object.entries(files)) writeFileSync(path.join(dir, name), text);
  return { fs: new CgroupFs(root), dir, cleanup: () => rmSync(root, { recursive: true, force: true }) };
}

test('cgroup v2 stats map onto the 1.x fields', async () => {
  const { fs, cleanup } = fakeV2({
    'cpu.stat':
      'usage_usec 1500\nuser_usec 1000\nsystem_usec 500\nnr_periods 4\nnr_throttled 1\nthrottled_usec 20\n',
    'memory.current': '4096\n',
    'memory.max': 'max\n',
    'memory.stat': 'anon 1024\nfile 2048\nkernel_stack 16\n',
    'memory.events': 'low 0\nhigh 0\nmax 3\noom 1\noom_kill 1\n',
    'memory.swap.current': '0\n',
    'memory.swap.max': '1048576\n',
    'pids.current': '2\n',
    'pids.max': '100\n',
    'io.stat': '8:0 rbytes=10 wbytes=20 rios=1 wios=2 dbytes=0 dios=0\n',
    'hugetlb.2MB.current': '0\n',
    'hugetlb.2MB.events': 'max 0\n',
  });
  try {
    assert.equal(fs.version, 2);
    const s = await statsV2(fs, '/kata/sb/c1', ['2MB', '1GB']);
    assert.deepEqual(s.cpu_stats, {
      cpu_usage: {
        total_usage: 1_500_000n,
        percpu_usage: [],
        usage_in_kernelmode: 500_000n,
        usage_in_usermode: 1_000_000n,
      },
      throttling_data: { periods: 4n, throttled_periods: 1n, throttled_time: 20_000n },
    });
    assert.equal(s.memory_stats?.cache, 2048n);
    assert.deepEqual(s.memory_stats?.usage, { usage: 4096n, max_usage: 0n, failcnt: 3n, limit: 0n });
    assert.equal(s.memory_stats?.swap_usage?.limit, 1048576n);
    assert.deepEqual(s.pids_stats, { current: 2n, limit: 100n });
    assert.equal(s.blkio_stats?.io_service_bytes_recursive.length, 2);
    assert.deepEqual(Object.keys(s.hugetlb_stats), ['2MB']);
  } finally {
    cleanup();
  }
});

test('cgroup v2 freezer state and pids', async () => {
  const { fs, dir, cleanup } = fakeV2({
    'cgroup.freeze': '1\n',
    'cgroup.events': 'populated 1\nfrozen 0\n',
    'cgroup.procs': '10\n11\n',
  });
  try {
    assert.equal(await fs.freezerState('/kata/sb/c1'), 'FREEZING');
    writeFileSync(path.join(dir, 'cgroup.events'), 'populated 1\nfrozen 1\n');
    assert.equal(await fs.freezerState('/kata/sb/c1'), 'FROZEN');
    mkdirSync(path.join(dir, 'child'));
    writeFileSync(path.join(dir, 'child/cgroup.procs'), '12\n');
    assert.deepEqual((await fs.pids('/kata/sb/c1')).sort(), [10, 11, 12]);
  } finally {
    cleanup();
  }
});

test('cgroup v2 OOM kills are seen through inotify on memory.events', async () => {
  const { fs, dir, cleanup } = fakeV2({ 'memory.events': 'oom 2\noom_kill 2\n' });
  let wake: () => void = () => undefined;
  const seen = new Promise<void>((r) => (wake = r));
  const keepAlive = setInterval(() => undefined, 1000);
  const watch = watchOom(fs, '/kata/sb/c1', () => wake(), log);
  try {
    writeFileSync(path.join(dir, 'memory.events'), 'oom 3\noom_kill 3\n');
    await seen;
  } finally {
    watch.stop();
    clearInterval(keepAlive);
    cleanup();
  }
});
