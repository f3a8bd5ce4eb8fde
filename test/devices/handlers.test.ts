import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { Code as status } from '../../src/common/status';
import { createDeviceSubsystem, type DeviceSubsystem } from '../../src/devices';
import type { SpecDevices } from '../../src/devices/types';
import { parseUevent } from '../../src/devices/uevent';
import { splitDevT } from '../../src/guest/kernel';
import type { Device } from '../../src/generated/agent';
import { defaultConfig } from '../../src/config/options';
import { createLogger } from '../../src/logging/logger';
import { AgentError } from '../../src/common/errors';
import { FakeSysfs, ueventDatagram } from '../helpers/fake-sysfs';

const log = createLogger({ level: 'silent' }).logger;

// Real nodes of this machine the fake /dev points at (only stat()ed here).
const [BLOCK_NODE, OTHER_BLOCK_NODE] = blockNodes();
const CHAR_NODE = '/dev/null';

/** Two block device nodes this machine has, whatever they are. */
function blockNodes(): [string, string] {
  const nodes = readdirSync('/dev')
    .map((name) => `/dev/${name}`)
    .filter((node) => {
      try {
        return statSync(node).isBlockDevice();
      } catch {
        return false;
      }
    })
    .sort();
  assert.ok(nodes.length >= 2, 'the tests need two block devices in /dev');
  return [nodes[0], nodes[1]];
}
const numbers = (node: string) => splitDevT(statSync(node, { bigint: true }).rdev);

async function setup(t: { after(fn: () => void): void }, timeoutMs = 3000) {
  const fake = new FakeSysfs();
  const config = { ...defaultConfig(), sysRoot: fake.root, hotplugTimeoutMs: timeoutMs };
  const devices: DeviceSubsystem = await createDeviceSubsystem(config, log, { listen: false });
  t.after(() => {
    devices.close();
    fake.remove();
  });
  return { fake, devices };
}

const device = (fields: Partial<Device>): Device => ({
  id: '',
  type: '',
  vm_path: '',
  container_path: '',
  options: [],
  ...fields,
});

function specWith(path: string, type: string, major: bigint, minor: bigint): SpecDevices {
  return {
    linux: {
      devices: [{ path, type, major, minor }],
      resources: { devices: [{ allow: true, type, major, minor, access: 'rwm' }] },
    },
  };
}

function expectNumbers(spec: SpecDevices, node: string): void {
  const { major, minor } = numbers(node);
  const expected = [BigInt(major), BigInt(minor)];
  assert.deepEqual([spec.linux?.devices?.[0].major, spec.linux?.devices?.[0].minor], expected);
  assert.deepEqual(
    [spec.linux?.resources?.devices?.[0].major, spec.linux?.resources?.devices?.[0].minor],
    expected,
  );
}

test('blk: waits for the disk at a PCI path hot-plugged after the request', async (t) => {
  const { fake, devices } = await setup(t);
  fake.pciDevice('/devices/pci0000:00/0000:00:02.0', '0000:01');
  const diskPath = '/devices/pci0000:00/0000:00:02.0/0000:01:03.0/virtio3/block/vdb';
  const spec = specWith('/dev/xvdb', 'b', 8n, 16n);
  const applying = devices.manager.applyDevices(
    [device({ id: '02/03', type: 'blk', container_path: '/dev/xvdb' })],
    spec,
  );
  // The rescan the handler requests makes the kernel enumerate the device, then the disk appears.
  await new Promise((resolve) => setImmediate(resolve));
  fake.pciDevice('/devices/pci0000:00/0000:00:02.0/0000:01:03.0');
  const { major, minor } = numbers(BLOCK_NODE);
  fake.blockDevice({ devpath: diskPath, major, minor, node: BLOCK_NODE });
  devices.registry.event(
    parseUevent(
      ueventDatagram('add', diskPath, {
        SUBSYSTEM: 'block',
        DEVNAME: 'vdb',
        DEVTYPE: 'disk',
        MAJOR: major,
        MINOR: minor,
      }),
    )!,
  );
  await applying;
  expectNumbers(spec, BLOCK_NODE);
  assert.equal(readFileSync(fake.paths.pciRescan, 'utf8'), '1');
});

test('blk: a partition behind the same PCI device is not taken for the disk', async (t) => {
  const { fake, devices } = await setup(t, 200);
  fake.pciDevice('/devices/pci0000:00/0000:00:02.0', '0000:01');
  const disk = '/devices/pci0000:00/0000:00:02.0/0000:01:03.0/virtio3/block/vdb';
  fake.blockDevice({
    devpath: disk + '/vdb1',
    ...numbers(OTHER_BLOCK_NODE),
    devtype: 'partition',
    node: OTHER_BLOCK_NODE,
  });
  await devices.registry.scan();
  await assert.rejects(
    devices.manager.applyDevices(
      [device({ id: '02/03', type: 'blk', container_path: '/dev/xvdb' })],
      specWith('/dev/xvdb', 'b', 8n, 0n),
    ),
    (err: AgentError) => err.code === status.DEADLINE_EXCEEDED && /PCI path 02\/03/.test(err.message),
  );
});

test("blk: a disk behind a bridge is not the bridge's disk", async (t) => {
  const { fake, devices } = await setup(t, 200);
  fake.pciDevice('/devices/pci0000:00/0000:00:02.0', '0000:01');
  fake.pciDevice('/devices/pci0000:00/0000:00:02.0/0000:01:03.0');
  fake.blockDevice({
    devpath: '/devices/pci0000:00/0000:00:02.0/0000:01:03.0/virtio3/block/vdb',
    ...numbers(BLOCK_NODE),
    node: BLOCK_NODE,
  });
  await assert.rejects(
    devices.manager.applyDevices(
      [device({ id: '02', type: 'blk', container_path: '/dev/xvdb' })],
      specWith('/dev/xvdb', 'b', 8n, 0n),
    ),
    (err: AgentError) => err.code === status.DEADLINE_EXCEEDED,
  );
});

test('scsi: scans the hosts and finds /dev/sdX by address', async (t) => {
  const { fake, devices } = await setup(t);
  fake.file('sys/class/scsi_host/host0/scan', '');
  fake.blockDevice({
    devpath: '/devices/pci0000:00/0000:00:06.0/virtio6/host0/target0:0:1/0:0:1:2/block/sdb',
    ...numbers(BLOCK_NODE),
    node: BLOCK_NODE,
  });
  // Another LUN on the same target must not match.
  fake.blockDevice({
    devpath: '/devices/pci0000:00/0000:00:06.0/virtio6/host0/target0:0:1/0:0:1:20/block/sdc',
    ...numbers(OTHER_BLOCK_NODE),
    node: OTHER_BLOCK_NODE,
  });
  const spec = specWith('/dev/sda', 'b', 8n, 0n);
  await devices.manager.applyDevices([device({ id: '1:2', type: 'scsi', container_path: '/dev/sda' })], spec);
  expectNumbers(spec, BLOCK_NODE);
  assert.equal(readFileSync(fake.paths.sys('class/scsi_host/host0/scan'), 'utf8'), '0 1 2');
  await assert.rejects(
    devices.manager.applyDevices([device({ id: '0:1:2', type: 'scsi', container_path: '/dev/sda' })], spec),
    /expect SCSIID:LUN|expected SCSIID:LUN/,
  );
});

test('nvdimm: finds pmem under its ACPI devpath', async (t) => {
  const { fake, devices } = await setup(t);
  fake.blockDevice({
    devpath: '/devices/LNXSYSTM:00/LNXSYBUS:00/ACPI0012:00/ndbus0/region0/namespace0.0/block/pmem0',
    ...numbers(BLOCK_NODE),
    node: BLOCK_NODE,
  });
  const spec = specWith('/dev/pmem9', 'b', 259n, 0n);
  await devices.manager.applyDevices(
    [device({ type: 'nvdimm', vm_path: '/dev/pmem0', container_path: '/dev/pmem9' })],
    spec,
  );
  expectNumbers(spec, BLOCK_NODE);
  await assert.rejects(
    devices.manager.applyDevices(
      [device({ type: 'nvdimm', vm_path: '/dev/vda', container_path: '/dev/pmem9' })],
      spec,
    ),
    /invalid pmem device path/,
  );
});

test('vfio: waits for the IOMMU group node of the PCI device', async (t) => {
  const { fake, devices } = await setup(t);
  fake.pciDevice('/devices/pci0000:00/0000:00:02.0', '0000:01');
  fake.pciDevice('/devices/pci0000:00/0000:00:02.0/0000:01:01.0');
  fake.dir('sys/kernel/iommu_groups/5');
  fake.link('sys/devices/pci0000:00/0000:00:02.0/0000:01:01.0/iommu_group', 'sys/kernel/iommu_groups/5');
  const spec = specWith('/dev/vfio/17', 'c', 240n, 17n);
  const applying = devices.manager.applyDevices(
    [device({ id: '02/01', type: 'vfio', container_path: '/dev/vfio/17' })],
    spec,
  );
  await new Promise((resolve) => setImmediate(resolve));
  const { major, minor } = numbers(CHAR_NODE);
  fake.charDevice('/devices/virtual/vfio/5', 'vfio/5', major, minor, CHAR_NODE);
  devices.registry.event(
    parseUevent(
      ueventDatagram('add', '/devices/virtual/vfio/5', {
        SUBSYSTEM: 'vfio',
        DEVNAME: 'vfio/5',
        MAJOR: major,
        MINOR: minor,
      }),
    )!,
  );
  await applying;
  expectNumbers(spec, CHAR_NODE);
});

test('ccw: finds the virtio disk of a CCW bus id; bad ids are refused', async (t) => {
  const { fake, devices } = await setup(t);
  fake.blockDevice({
    devpath: '/devices/css0/0.0.0004/0.0.0005/virtio2/block/vdc',
    ...numbers(BLOCK_NODE),
    node: BLOCK_NODE,
  });
  const spec = specWith('/dev/vdz', 'b', 94n, 0n);
  await devices.manager.applyDevices(
    [device({ id: '0.0.0005', type: 'blk-ccw', container_path: '/dev/vdz' })],
    spec,
  );
  expectNumbers(spec, BLOCK_NODE);
  for (const bad of ['fe.0.0000', '0.5.0000', '0.1.fffff', '0.0.0']) {
    await assert.rejects(
      devices.manager.applyDevices([device({ id: bad, type: 'ccw', container_path: '/dev/vdz' })], spec),
      /invalid CCW bus id/,
    );
  }
});

test('mmioblk: the predicted node name is waited for', async (t) => {
  const { fake, devices } = await setup(t);
  const spec = specWith('/dev/vdq', 'b', 254n, 1n);
  const applying = devices.manager.applyDevices(
    [device({ type: 'mmioblk', vm_path: '/dev/vdc', container_path: '/dev/vdq' })],
    spec,
  );
  fake.blockDevice({
    devpath: '/devices/platform/a003e00.virtio_mmio/virtio7/block/vdc',
    ...numbers(BLOCK_NODE),
    node: BLOCK_NODE,
  });
  devices.registry.event(
    parseUevent(
      ueventDatagram('add', '/devices/platform/a003e00.virtio_mmio/virtio7/block/vdc', {
        SUBSYSTEM: 'block',
        DEVNAME: 'vdc',
      }),
    )!,
  );
  await applying;
  expectNumbers(spec, BLOCK_NODE);
});

test('every entry is validated before anything waits', async (t) => {
  const { devices } = await setup(t);
  const spec = specWith('/dev/x', 'b', 1n, 1n);
  const cases: [Partial<Device>, RegExp][] = [
    [{ id: '02', container_path: '/dev/x' }, /invalid type for device/],
    [{ type: 'blk', container_path: '/dev/x' }, /invalid ID and VM path for device/],
    [{ type: 'blk', id: '02' }, /invalid container path for device/],
    [{ type: 'floppy', id: '02', container_path: '/dev/x' }, /Unknown device type "floppy"/],
  ];
  for (const [fields, message] of cases) {
    // A valid first entry that would wait forever proves validation happens first.
    const first = device({ type: 'blk', id: '1f', container_path: '/dev/x' });
    await assert.rejects(devices.manager.applyDevices([first, device(fields)], spec), (err: AgentError) => {
      assert.equal(err.code, status.INVALID_ARGUMENT);
      assert.match(err.message, message);
      return true;
    });
  }
  await devices.manager.applyDevices([], spec);
  await devices.manager.applyDevices([undefined as unknown as Device], spec);
  assert.deepEqual(devices.manager.handlerNames().sort(), [
    'blk',
    'blk-ccw',
    'ccw',
    'mmioblk',
    'nvdimm',
    'scsi',
    'vfio',
  ]);
});
