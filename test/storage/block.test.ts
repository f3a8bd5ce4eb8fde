// Block storage end to end with real loop devices holding ext4 images. What is
// real: the loop devices, their kernel uevents (received over netlink), the ext4
// mounts. What is fake: the PCI/SCSI sysfs layout that places a disk at a bus
// address (this machine has no PCI hotplug); there the uevent is built in the
// kernel's format and handed to the registry.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseUevent } from '../../src/devices/uevent';
import type { MountedStorage } from '../../src/storage/types';
import {
  MOUNT_SKIP,
  attachAnyLoop,
  attachLoop,
  detachLoop,
  freeLoopName,
  makeExt4Image,
  mountsAt,
} from '../helpers/block';
import { ueventDatagram } from '../helpers/fake-sysfs';
import { storage, storageSetup } from './setup';

function imageDir(t: { after(fn: () => void): void }): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'ext4-image-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

function loopNumbers(name: string): { major: number; minor: number } {
  const [major, minor] = readFileSync(`/sys/block/${name}/dev`, 'utf8').trim().split(':').map(Number);
  return { major, minor };
}

test(
  'mmioblk: waits for the real uevent of a loop device, then mounts its ext4',
  { skip: MOUNT_SKIP },
  async (t) => {
    const s = await storageSetup(t, { listen: true, hotplugTimeoutMs: 5000 });
    const image = makeExt4Image(imageDir(t), { 'hello.txt': 'from the image\n' });
    const mountPoint = '/run/kata-containers/disk';
    let mounted: MountedStorage[] | undefined;
    let name = '';
    // Another process may grab the free loop device between looking and attaching: try again then.
    for (let attempt = 0; attempt < 3 && !mounted; attempt++) {
      name = freeLoopName();
      try {
        symlinkSync(`/dev/${name}`, path.join(s.fake.root, 'dev', name));
      } catch {
        // left from an earlier attempt
      }
      // The fake sysfs has no such disk: only a uevent from the kernel can satisfy the wait.
      const mounting = s.storage.mountAll([
        storage({
          driver: 'mmioblk',
          source: `/dev/${name}`,
          fstype: 'ext4',
          options: ['nodev', 'noatime'],
          mount_point: mountPoint,
        }),
      ]);
      if (!attachLoop(name, image)) {
        await mounting.catch(() => undefined);
        continue;
      }
      t.after(() => detachLoop(name));
      mounted = await mounting;
    }
    assert.ok(mounted, 'could not attach a loop device');
    const target = s.local(mountPoint);
    assert.equal(readFileSync(path.join(target, 'hello.txt'), 'utf8'), 'from the image\n');
    const [entry] = mountsAt(target);
    assert.equal(entry.fstype, 'ext4');
    assert.ok(entry.options.includes('nodev') && entry.options.includes('noatime'));
    const known = s.devices.registry.find((d) => d.devname === name);
    assert.equal(known?.devpath, `/devices/virtual/block/${name}`, 'recorded from the kernel event');
    writeFileSync(path.join(target, 'written.txt'), 'by the guest');
    await s.storage.releaseAll(mounted);
    assert.equal(mountsAt(target).length, 0);
  },
);

test(
  'blk by PCI path: a fake PCI tree places the loop disk at 02/03; real ext4 mount',
  { skip: MOUNT_SKIP },
  async (t) => {
    const s = await storageSetup(t);
    const image = makeExt4Image(imageDir(t), { 'data.txt': 'pci disk\n' });
    const name = attachAnyLoop(image);
    t.after(() => detachLoop(name));
    const { major, minor } = loopNumbers(name);
    s.fake.pciDevice('/devices/pci0000:00/0000:00:02.0', '0000:01');
    const mountPoint = '/run/kata-containers/shared/containers/c1/rootfs';
    const mounting = s.storage.mountAll([
      storage({ driver: 'blk', source: '02/03', fstype: 'ext4', options: ['ro'], mount_point: mountPoint }),
    ]);
    // Hotplug: the device and its disk appear in sysfs, then the kernel announces the disk.
    const disk = `/devices/pci0000:00/0000:00:02.0/0000:01:03.0/virtio3/block/${name}`;
    s.fake.pciDevice('/devices/pci0000:00/0000:00:02.0/0000:01:03.0');
    s.fake.blockDevice({ devpath: disk, major, minor, node: `/dev/${name}` });
    s.devices.registry.event(
      parseUevent(
        ueventDatagram('add', disk, {
          SUBSYSTEM: 'block',
          MAJOR: major,
          MINOR: minor,
          DEVNAME: name,
          DEVTYPE: 'disk',
          SEQNUM: 99,
        }),
      )!,
    );
    const mounted = await mounting;
    const target = s.local(mountPoint);
    assert.equal(readFileSync(path.join(target, 'data.txt'), 'utf8'), 'pci disk\n');
    assert.throws(() => writeFileSync(path.join(target, 'x'), 'x'), { code: 'EROFS' });
    assert.equal(readFileSync(s.fake.paths.pciRescan, 'utf8'), '1');
    await s.storage.releaseAll(mounted);
    assert.equal(mountsAt(target).length, 0);
  },
);

test('blk with a /dev path and scsi by address mount the same real disk', { skip: MOUNT_SKIP }, async (t) => {
  const s = await storageSetup(t);
  const image = makeExt4Image(imageDir(t), { f: 'scsi or not\n' });
  const name = attachAnyLoop(image);
  t.after(() => detachLoop(name));
  const { major, minor } = loopNumbers(name);
  symlinkSync(`/dev/${name}`, path.join(s.fake.root, 'dev', 'vdz'));
  const byPath = await s.storage.mountAll([
    storage({ driver: 'blk', source: '/dev/vdz', fstype: 'ext4', options: ['ro'], mount_point: '/run/a' }),
  ]);
  assert.equal(readFileSync(s.local('/run/a/f'), 'utf8'), 'scsi or not\n');

  s.fake.file('sys/class/scsi_host/host0/scan', '');
  s.fake.blockDevice({
    devpath: `/devices/pci0000:00/0000:00:06.0/virtio6/host0/target0:0:3/0:0:3:1/block/${name}`,
    major,
    minor,
    node: `/dev/${name}`,
  });
  const byScsi = await s.storage.mountAll([
    storage({ driver: 'scsi', source: '3:1', fstype: 'ext4', options: ['ro'], mount_point: '/run/b' }),
  ]);
  assert.equal(readFileSync(s.local('/run/b/f'), 'utf8'), 'scsi or not\n');
  assert.equal(readFileSync(s.fake.paths.sys('class/scsi_host/host0/scan'), 'utf8'), '0 3 1');
  await s.storage.releaseAll([...byPath, ...byScsi]);
  assert.equal(mountsAt(s.local('/run/a')).length + mountsAt(s.local('/run/b')).length, 0);
});

test('a disk that never comes times out naming it, and nothing stays mounted', async (t) => {
  const s = await storageSetup(t, { hotplugTimeoutMs: 100 });
  s.fake.pciDevice('/devices/pci0000:00/0000:00:02.0', '0000:01');
  await assert.rejects(
    s.storage.mountAll([
      storage({ driver: 'local', mount_point: '/run/l' }),
      storage({ driver: 'blk', source: '02/07', fstype: 'ext4', mount_point: '/run/never' }),
    ]),
    /Timeout reached after 100ms waiting for device at PCI path 02\/07/,
  );
  assert.equal(s.storage.inUse().size, 0);
});
