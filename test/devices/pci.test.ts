import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, rmSync } from 'node:fs';
import { parsePciPath, pciRootBus, rescanPciBus, resolvePciPath } from '../../src/devices/pci';
import { FakeSysfs } from '../helpers/fake-sysfs';

test('PCI paths are slots of two hex digits', () => {
  assert.deepEqual(parsePciPath('02'), [2]);
  assert.deepEqual(parsePciPath('02/1f/0a'), [2, 31, 10]);
  for (const bad of ['', '2', '002', '02/', '/02', '20', 'zz', '02//03', '0000:00:02.0']) {
    assert.throws(() => parsePciPath(bad), /invalid PCI path/, bad);
  }
});

test('resolves 1, 2 and 3 level PCI paths through the bridges', async (t) => {
  const fake = new FakeSysfs();
  t.after(() => fake.remove());
  fake.pciDevice('/devices/pci0000:00/0000:00:02.0', '0000:01');
  fake.pciDevice('/devices/pci0000:00/0000:00:02.0/0000:01:03.0', '0000:02');
  fake.pciDevice('/devices/pci0000:00/0000:00:02.0/0000:01:03.0/0000:02:04.0');
  // A single slot needs nothing but the root bus.
  assert.equal(await resolvePciPath(fake.paths, '02'), '/devices/pci0000:00/0000:00:02.0');
  assert.equal(await resolvePciPath(fake.paths, '02/03'), '/devices/pci0000:00/0000:00:02.0/0000:01:03.0');
  assert.equal(
    await resolvePciPath(fake.paths, '02/03/04'),
    '/devices/pci0000:00/0000:00:02.0/0000:01:03.0/0000:02:04.0',
  );
});

test('a bridge must list exactly one secondary bus', async (t) => {
  const fake = new FakeSysfs();
  t.after(() => fake.remove());
  fake.pciDevice('/devices/pci0000:00/0000:00:05.0');
  await assert.rejects(
    resolvePciPath(fake.paths, '05/01'),
    /no PCI bridge at .*0000:00:05.0, where the path expects one/,
  );
  fake.dir('sys/devices/pci0000:00/0000:00:05.0/pci_bus/0000:03');
  fake.dir('sys/devices/pci0000:00/0000:00:05.0/pci_bus/0000:04');
  await assert.rejects(resolvePciPath(fake.paths, '05/01'), /expected exactly one PCI bus .* got 2/);
});

test('the root bus is found under a platform .pcie device when not at the top (arm64)', async (t) => {
  const fake = new FakeSysfs();
  t.after(() => fake.remove());
  await assert.rejects(pciRootBus(fake.paths), /no PCI root bus/);
  fake.dir('sys/devices/platform/4010000000.pcie/pci0000:00');
  assert.equal(await pciRootBus(fake.paths), '/devices/platform/4010000000.pcie/pci0000:00');
  assert.equal(
    await resolvePciPath(fake.paths, '01'),
    '/devices/platform/4010000000.pcie/pci0000:00/0000:00:01.0',
  );
});

test('rescan writes 1 to the rescan file and fails clearly without it', async (t) => {
  const fake = new FakeSysfs();
  t.after(() => fake.remove());
  await rescanPciBus(fake.paths);
  assert.equal(readFileSync(fake.paths.pciRescan, 'utf8'), '1');
  rmSync(fake.paths.pciRescan);
  await assert.rejects(rescanPciBus(fake.paths), /could not rescan the PCI bus/);
});
