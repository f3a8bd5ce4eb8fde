import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { autoOnlineMemory, CpuMemOnliner } from '../../src/guest/cpu-mem';
import type { CpusetTarget } from '../../src/guest/cpuset';
import { DeviceRegistry } from '../../src/devices/registry';
import { parseUevent } from '../../src/devices/uevent';
import { createLogger } from '../../src/logging/logger';
import { FakeSysfs, ueventDatagram } from '../helpers/fake-sysfs';

const log = createLogger({ level: 'silent' }).logger;
const FAST = { rounds: 3, intervalMs: 5 };

/** A guest with cpu0 (cold-plugged), cpu1 online, cpu2 and cpu3 hot-plugged but offline. */
function cpuTree(fake: FakeSysfs): void {
  fake.dir('sys/devices/system/cpu/cpu0');
  fake.file('sys/devices/system/cpu/cpu1/online', '1\n');
  fake.file('sys/devices/system/cpu/cpu2/online', '0\n');
  fake.file('sys/devices/system/cpu/cpu3/online', '0\n');
  fake.dir('sys/devices/system/cpu/cpufreq');
  fake.dir('sys/devices/system/cpu/cpuidle');
  // What the kernel reports once cpu2 and cpu3 are up.
  fake.file('sys/devices/system/cpu/online', '0-3\n');
  fake.file('sys/devices/system/memory/memory0/online', '1\n');
  fake.file('sys/devices/system/memory/memory1/online', '0\n');
  fake.file('sys/devices/system/memory/memory2/online', '0\n');
}

const read = (fake: FakeSysfs, rel: string) => readFileSync(fake.paths.sys(rel), 'utf8').trim();

test('onlines hot-plugged CPUs and memory, then widens container cpusets (cgroup v1)', async (t) => {
  const fake = new FakeSysfs();
  t.after(() => fake.remove());
  cpuTree(fake);
  for (const dir of ['', 'kata', 'kata/c1', 'kata/c2', 'kata/c3']) {
    fake.file(`sys/fs/cgroup/cpuset/${dir}/cpuset.cpus`, dir === 'kata/c2' ? '1\n' : '0-1\n');
  }
  const targets: CpusetTarget[] = ['/kata/c1', { path: 'kata/c2', keepOwnCpuset: true }, 'kata/c3'];
  const onliner = new CpuMemOnliner(fake.paths, () => targets, log, FAST);
  await onliner.online(2, false);
  assert.deepEqual(
    ['cpu1', 'cpu2', 'cpu3'].map((c) => read(fake, `devices/system/cpu/${c}/online`)),
    ['1', '1', '1'],
  );
  assert.deepEqual(
    ['memory0', 'memory1', 'memory2'].map((m) => read(fake, `devices/system/memory/${m}/online`)),
    ['1', '1', '1'],
  );
  assert.equal(read(fake, 'fs/cgroup/cpuset/kata/cpuset.cpus'), '0-3');
  assert.equal(read(fake, 'fs/cgroup/cpuset/kata/c1/cpuset.cpus'), '0-3');
  assert.equal(
    read(fake, 'fs/cgroup/cpuset/kata/c2/cpuset.cpus'),
    '1',
    'a container with its own cpuset keeps it',
  );
  assert.equal(read(fake, 'fs/cgroup/cpuset/kata/c3/cpuset.cpus'), '0-3');
  assert.equal(read(fake, 'fs/cgroup/cpuset/cpuset.cpus'), '0-1', 'the hierarchy root is never written');
});

test('honours nb_cpus and cpu_only', async (t) => {
  const fake = new FakeSysfs();
  t.after(() => fake.remove());
  cpuTree(fake);
  const onliner = new CpuMemOnliner(fake.paths, () => [], log, FAST);
  await onliner.online(1, true);
  assert.equal(read(fake, 'devices/system/cpu/cpu2/online'), '1');
  assert.equal(read(fake, 'devices/system/cpu/cpu3/online'), '0', 'only nb_cpus are onlined');
  assert.equal(read(fake, 'devices/system/memory/memory1/online'), '0', 'cpu_only leaves memory alone');
  await assert.rejects(onliner.online(0, true), /requested number of CPUs '0' must be greater than 0/);
  // Memory only.
  await onliner.online(0, false);
  assert.equal(read(fake, 'devices/system/memory/memory1/online'), '1');
});

test('fails after the retries when fewer CPUs than requested appear', async (t) => {
  const fake = new FakeSysfs();
  t.after(() => fake.remove());
  cpuTree(fake);
  const onliner = new CpuMemOnliner(fake.paths, () => [], log, FAST);
  await assert.rejects(onliner.online(3, true), /only 2 of 3 were connected/);
});

test('a CPU that shows up during the retries is onlined', async (t) => {
  const fake = new FakeSysfs();
  t.after(() => fake.remove());
  cpuTree(fake);
  const onliner = new CpuMemOnliner(fake.paths, () => [], log, { rounds: 200, intervalMs: 5 });
  const work = onliner.online(3, true);
  await new Promise((resolve) => setImmediate(resolve));
  fake.file('sys/devices/system/cpu/cpu4/online', '0\n');
  await work;
  assert.equal(read(fake, 'devices/system/cpu/cpu4/online'), '1');
});

test('missing sysfs directories are errors', async (t) => {
  const fake = new FakeSysfs();
  t.after(() => fake.remove());
  const onliner = new CpuMemOnliner(fake.paths, () => [], log, FAST);
  await assert.rejects(onliner.online(1, true), /cannot list .*devices\/system\/cpu/);
  fake.dir('sys/devices/system/cpu');
  await assert.rejects(onliner.online(0, false), /cannot list .*devices\/system\/memory/);
});

test('cgroup v2: parents widened, cgroups without the cpuset controller skipped', async (t) => {
  const fake = new FakeSysfs();
  t.after(() => fake.remove());
  cpuTree(fake);
  fake.file('sys/fs/cgroup/cgroup.controllers', 'cpuset cpu io memory pids\n');
  fake.file('sys/fs/cgroup/kata/cpuset.cpus', '\n');
  fake.dir('sys/fs/cgroup/kata/plain');
  fake.file('sys/fs/cgroup/kata/c1/cpuset.cpus', '0\n');
  const onliner = new CpuMemOnliner(fake.paths, () => ['kata/c1', 'kata/plain'], log, FAST);
  await onliner.online(2, true);
  assert.equal(read(fake, 'fs/cgroup/kata/cpuset.cpus'), '0-3');
  assert.equal(read(fake, 'fs/cgroup/kata/c1/cpuset.cpus'), '0-3');
});

test('cgroup v1: a missing parent cpuset is an error naming it', async (t) => {
  const fake = new FakeSysfs();
  t.after(() => fake.remove());
  cpuTree(fake);
  fake.file('sys/fs/cgroup/cpuset/cpuset.cpus', '0-1\n');
  const onliner = new CpuMemOnliner(fake.paths, () => ['/gone/c1'], log, FAST);
  await assert.rejects(onliner.online(2, true), /Could not update parent cpuset cgroup \(.*cpuset\/gone\)/);
});

test('hot-added memory blocks are onlined when their uevent arrives', async (t) => {
  const fake = new FakeSysfs();
  t.after(() => fake.remove());
  fake.file('sys/devices/system/memory/memory40/online', '0\n');
  fake.file('sys/devices/system/memory/memory41/online', '1\n');
  const registry = new DeviceRegistry(fake.paths, 1000, log);
  const auto = autoOnlineMemory(registry, fake.paths, log);
  t.after(() => auto.stop());
  for (const block of ['memory40', 'memory41']) {
    registry.event(
      parseUevent(ueventDatagram('add', `/devices/system/memory/${block}`, { SUBSYSTEM: 'memory' }))!,
    );
  }
  // A CPU event is not a memory block.
  registry.event(parseUevent(ueventDatagram('add', '/devices/system/cpu/cpu9', { SUBSYSTEM: 'cpu' }))!);
  await auto.idle();
  assert.equal(read(fake, 'devices/system/memory/memory40/online'), '1');
  assert.equal(read(fake, 'devices/system/memory/memory41/online'), '1');
});
