import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Code as status } from '../../src/common/status';
import { parseUevent } from '../../src/devices/uevent';
import { DeviceRegistry } from '../../src/devices/registry';
import { AgentError } from '../../src/common/errors';
import { createLogger } from '../../src/logging/logger';
import { FakeSysfs, ueventDatagram } from '../helpers/fake-sysfs';

const log = createLogger({ level: 'silent' }).logger;
const VDB = '/devices/pci0000:00/0000:00:02.0/0000:01:03.0/virtio3/block/vdb';

test('parses a kernel uevent datagram', () => {
  const event = parseUevent(
    ueventDatagram('add', VDB, {
      SUBSYSTEM: 'block',
      MAJOR: 252,
      MINOR: 16,
      DEVNAME: 'vdb',
      DEVTYPE: 'disk',
      DISKSEQ: 3,
      SEQNUM: 1234,
    }),
  );
  assert.deepEqual(
    { ...event, env: undefined },
    {
      action: 'add',
      devpath: VDB,
      subsystem: 'block',
      devname: 'vdb',
      devtype: 'disk',
      major: 252,
      minor: 16,
      seqnum: 1234,
      env: undefined,
    },
  );
  assert.equal(event?.env.DISKSEQ, '3');
});

test('skips udev broadcasts and datagrams that are not uevents', () => {
  const udev = Buffer.concat([Buffer.from('libudev\0'), Buffer.alloc(32, 0xfe)]);
  assert.equal(parseUevent(udev), null);
  assert.equal(parseUevent(Buffer.from('no header here\0A=B\0')), null);
  assert.equal(parseUevent(Buffer.from('add@\0')), null);
  assert.equal(parseUevent(Buffer.alloc(0)), null);
});

test('malformed KEY=VALUE pairs are dropped, the event kept', () => {
  const raw = Buffer.from('change@/devices/virtual/block/loop3\0ACTION=change\0garbage\0=x\0DEVNAME=loop3\0');
  const event = parseUevent(raw);
  assert.equal(event?.action, 'change');
  assert.equal(event?.devname, 'loop3');
  assert.deepEqual(Object.keys(event?.env ?? {}).sort(), ['ACTION', 'DEVNAME']);
});

test('the initial scan finds devices present before start', async (t) => {
  const fake = new FakeSysfs();
  t.after(() => fake.remove());
  fake.pciDevice('/devices/pci0000:00/0000:00:02.0', '0000:01');
  fake.pciDevice('/devices/pci0000:00/0000:00:02.0/0000:01:03.0');
  fake.blockDevice({ devpath: VDB, major: 252, minor: 16 });
  fake.blockDevice({ devpath: VDB + '/vdb1', major: 252, minor: 17, devtype: 'partition' });
  fake.charDevice('/devices/virtual/vfio/5', 'vfio/5', 243, 0);
  const registry = new DeviceRegistry(fake.paths, 1000, log);
  await registry.scan();
  const byPath = new Map(registry.list().map((d) => [d.devpath, d]));
  assert.deepEqual(byPath.get(VDB), {
    devpath: VDB,
    subsystem: 'block',
    devname: 'vdb',
    devtype: 'disk',
    major: 252,
    minor: 16,
  });
  assert.equal(byPath.get(VDB + '/vdb1')?.devtype, 'partition');
  assert.equal(byPath.get('/devices/virtual/vfio/5')?.devname, 'vfio/5');
  assert.equal(byPath.get('/devices/pci0000:00/0000:00:02.0/0000:01:03.0')?.subsystem, 'pci');
  assert.equal(byPath.size, 5);
});

test('waitFor resolves on the event that brings the device', async (t) => {
  const fake = new FakeSysfs();
  t.after(() => fake.remove());
  const registry = new DeviceRegistry(fake.paths, 5000, log);
  await registry.scan();
  const waiting = registry.waitFor((d) => d.devname === 'vdb', 'vdb');
  // An unrelated event does not satisfy it.
  registry.event(parseUevent(ueventDatagram('add', '/devices/virtual/net/eth0', { INTERFACE: 'eth0' }))!);
  registry.event(
    parseUevent(ueventDatagram('add', VDB, { SUBSYSTEM: 'block', DEVNAME: 'vdb', MAJOR: 252, MINOR: 16 }))!,
  );
  const device = await waiting;
  assert.equal(device.devpath, VDB);
  assert.equal(device.major, 252);
});

test('waitFor times out with DEADLINE_EXCEEDED naming the device', async (t) => {
  const fake = new FakeSysfs();
  t.after(() => fake.remove());
  const registry = new DeviceRegistry(fake.paths, 50, log);
  const started = Date.now();
  await assert.rejects(
    registry.waitFor(() => false, 'at PCI path 02/03'),
    (err: unknown) => {
      assert.ok(err instanceof AgentError);
      assert.equal(err.code, status.DEADLINE_EXCEEDED);
      assert.match(err.message, /Timeout reached after 50ms waiting for device at PCI path 02\/03/);
      return true;
    },
  );
  assert.ok(Date.now() - started >= 45);
});

test('a miss rescans sysfs, so a device that appeared without an event is found', async (t) => {
  const fake = new FakeSysfs();
  t.after(() => fake.remove());
  const registry = new DeviceRegistry(fake.paths, 2000, log);
  await registry.scan();
  fake.blockDevice({ devpath: VDB, major: 252, minor: 16 });
  const device = await registry.waitFor((d) => d.devname === 'vdb', 'vdb');
  assert.equal(device.devpath, VDB);
});

test('remove events forget devices; an overrun resynchronises from sysfs', async (t) => {
  const fake = new FakeSysfs();
  t.after(() => fake.remove());
  const registry = new DeviceRegistry(fake.paths, 1000, log);
  registry.event(parseUevent(ueventDatagram('add', VDB, { SUBSYSTEM: 'block', DEVNAME: 'vdb' }))!);
  assert.ok(registry.find((d) => d.devname === 'vdb'));
  registry.event(parseUevent(ueventDatagram('remove', VDB, { SUBSYSTEM: 'block', DEVNAME: 'vdb' }))!);
  assert.equal(
    registry.find((d) => d.devname === 'vdb'),
    undefined,
  );

  // Events lost: vdc was plugged, and a stale vdd is still recorded.
  const vdd = '/devices/pci0000:00/0000:00:05.0/virtio5/block/vdd';
  registry.event(parseUevent(ueventDatagram('add', vdd, { SUBSYSTEM: 'block', DEVNAME: 'vdd' }))!);
  fake.blockDevice({ devpath: '/devices/pci0000:00/0000:00:04.0/virtio4/block/vdc', major: 252, minor: 32 });
  await registry.overrun();
  assert.equal(registry.find((d) => d.devname === 'vdc')?.major, 252);
  assert.equal(
    registry.find((d) => d.devname === 'vdd'),
    undefined,
  );
});

test('observers see every event after the registry is updated', (t) => {
  const fake = new FakeSysfs();
  t.after(() => fake.remove());
  const registry = new DeviceRegistry(fake.paths, 1000, log);
  const seen: string[] = [];
  const stop = registry.observe((e) =>
    seen.push(`${e.action} ${registry.find((d) => d.devpath === e.devpath) ? 'known' : 'gone'}`),
  );
  registry.event(
    parseUevent(ueventDatagram('add', '/devices/system/memory/memory9', { SUBSYSTEM: 'memory' }))!,
  );
  registry.event(
    parseUevent(ueventDatagram('remove', '/devices/system/memory/memory9', { SUBSYSTEM: 'memory' }))!,
  );
  stop();
  registry.event(
    parseUevent(ueventDatagram('add', '/devices/system/memory/memory9', { SUBSYSTEM: 'memory' }))!,
  );
  assert.deepEqual(seen, ['add known', 'remove gone']);
});
