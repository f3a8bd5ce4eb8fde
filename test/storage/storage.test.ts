import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Code as status } from '../../src/common/status';
import { AgentError } from '../../src/common/errors';
import { MOUNT_SKIP, mountsAt } from '../helpers/block';
import { storage, storageSetup } from './setup';

const EPHEMERAL = '/run/kata-containers/sandbox/ephemeral/cache';

test('ephemeral: one tmpfs shared by its users, gone with the last', { skip: MOUNT_SKIP }, async (t) => {
  const s = await storageSetup(t);
  const request = storage({
    driver: 'ephemeral',
    source: 'tmpfs',
    fstype: 'tmpfs',
    options: ['size=1m', 'nodev'],
    mount_point: EPHEMERAL,
  });
  const first = await s.storage.mountAll([request]);
  assert.deepEqual(first, [{ mountPoint: EPHEMERAL, driver: 'ephemeral' }]);
  const target = s.local(EPHEMERAL);
  assert.equal(mountsAt(target).length, 1);
  assert.equal(mountsAt(target)[0].fstype, 'tmpfs');
  assert.ok(mountsAt(target)[0].options.includes('nodev'));
  writeFileSync(path.join(target, 'shared'), 'data');

  const second = await s.storage.mountAll([request]);
  assert.equal(mountsAt(target).length, 1, 'the second user shares the mount');
  assert.equal(s.storage.inUse().get(EPHEMERAL), 2);

  await s.storage.releaseAll(first);
  assert.equal(readFileSync(path.join(target, 'shared'), 'utf8'), 'data', 'still mounted for the other user');
  await s.storage.releaseAll(second);
  assert.equal(mountsAt(target).length, 0);
  assert.equal(existsSync(target), false, 'the mount point it created is removed');
  assert.equal(s.storage.inUse().size, 0);
  await assert.rejects(s.storage.releaseAll(second), (e: AgentError) => e.code === status.NOT_FOUND);
});

test(
  'local: a directory with the exact mode asked for, removed with its last user',
  { skip: MOUNT_SKIP },
  async (t) => {
    const s = await storageSetup(t);
    const old = process.umask(0o022);
    t.after(() => process.umask(old));
    for (const [mode, expected] of [
      ['0400', 0o400],
      ['0750', 0o750],
      ['0777', 0o777],
      [undefined, 0o777],
    ] as const) {
      const mountPoint = `/run/kata-containers/sandbox/local/vol-${mode ?? 'default'}`;
      const taken = await s.storage.mountAll([
        storage({ driver: 'local', mount_point: mountPoint, options: mode ? [`mode=${mode}`] : [] }),
      ]);
      assert.equal(statSync(s.local(mountPoint)).mode & 0o7777, expected, `mode ${mode}`);
      writeFileSync(path.join(s.local(mountPoint), 'scratch'), 'x');
      await s.storage.releaseAll(taken);
      assert.equal(existsSync(s.local(mountPoint)), false);
    }
    await assert.rejects(
      s.storage.mountAll([storage({ driver: 'local', mount_point: '/run/l', options: ['mode=abcde'] })]),
      (e: AgentError) => e.code === status.INVALID_ARGUMENT && /not an octal mode/.test(e.message),
    );
  },
);

test(
  '9p driver: a share mounted by tag, here a bind mount made read-only',
  { skip: MOUNT_SKIP },
  async (t) => {
    const s = await storageSetup(t);
    const shared = s.local('host-share');
    mkdirSync(shared);
    writeFileSync(path.join(shared, 'file'), 'shared content');
    const mountPoint = '/run/kata-containers/shared/containers';
    const taken = await s.storage.mountAll([
      storage({
        driver: '9p',
        source: shared,
        fstype: 'bind',
        options: ['bind', 'ro', 'nosuid'],
        mount_point: mountPoint,
      }),
    ]);
    const target = s.local(mountPoint);
    assert.equal(readFileSync(path.join(target, 'file'), 'utf8'), 'shared content');
    const [entry] = mountsAt(target);
    assert.ok(entry.options.includes('ro') && entry.options.includes('nosuid'), entry.options.join(','));
    assert.throws(() => writeFileSync(path.join(target, 'new'), 'x'), { code: 'EROFS' });
    await s.storage.releaseAll(taken);
    assert.equal(mountsAt(target).length, 0);
  },
);

test('a file bind-mounted onto an empty file the mount creates', { skip: MOUNT_SKIP }, async (t) => {
  const s = await storageSetup(t);
  const source = s.local('resolv.conf.src');
  writeFileSync(source, 'nameserver 10.0.0.1\n');
  const mountPoint = '/run/etc/resolv.conf';
  const taken = await s.storage.mountAll([
    storage({ driver: 'virtio-fs', source, fstype: 'bind', options: ['bind'], mount_point: mountPoint }),
  ]);
  assert.equal(readFileSync(s.local(mountPoint), 'utf8'), 'nameserver 10.0.0.1\n');
  await s.storage.releaseAll(taken);
  assert.equal(existsSync(s.local('/run/etc')), false);
});

test(
  'a real 9p mount without a transport fails clearly and leaves nothing behind',
  { skip: MOUNT_SKIP },
  async (t) => {
    const s = await storageSetup(t);
    const mountPoint = '/run/kata-containers/shared/nine';
    await assert.rejects(
      s.storage.mountAll([
        storage({
          driver: '9p',
          source: 'kataShared',
          fstype: '9p',
          options: ['trans=virtio', 'nodev'],
          mount_point: mountPoint,
        }),
      ]),
      (e: AgentError) =>
        e.code === status.INTERNAL && /Could not mount kataShared to .*nine: mount: E/.test(e.message),
    );
    assert.equal(existsSync(s.local('/run')), false);
  },
);

test(
  'a failing mountAll releases what it mounted; unknown drivers cost nothing',
  { skip: MOUNT_SKIP },
  async (t) => {
    const s = await storageSetup(t);
    const eph = storage({ driver: 'ephemeral', source: 'tmpfs', fstype: 'tmpfs', mount_point: EPHEMERAL });
    const local = storage({ driver: 'local', mount_point: '/run/sandbox/local/a' });
    const failing = storage({ driver: '9p', source: 'nope', fstype: '9p', mount_point: '/run/x' });
    await assert.rejects(s.storage.mountAll([eph, local, failing]), /Could not mount nope/);
    assert.equal(mountsAt(s.local(EPHEMERAL)).length, 0);
    assert.equal(existsSync(s.local('/run/sandbox/local/a')), false);
    assert.equal(s.storage.inUse().size, 0);

    // An ephemeral storage already held by another container survives the rollback.
    const held = await s.storage.mountAll([eph]);
    await assert.rejects(s.storage.mountAll([eph, failing]));
    assert.equal(mountsAt(s.local(EPHEMERAL)).length, 1);
    assert.equal(s.storage.inUse().get(EPHEMERAL), 1);
    await s.storage.releaseAll(held);

    await assert.rejects(
      s.storage.mountAll([eph, storage({ driver: 'overlayfs', mount_point: '/run/o' })]),
      (e: AgentError) =>
        e.code === status.INVALID_ARGUMENT && /Unknown storage driver "overlayfs"/.test(e.message),
    );
    assert.equal(mountsAt(s.local(EPHEMERAL)).length, 0, 'validated before mounting anything');
  },
);

test('requests are validated', async (t) => {
  const s = await storageSetup(t);
  const bad: [Partial<Parameters<typeof storage>[0]>, RegExp][] = [
    [{ driver: 'ephemeral' }, /need mount destination/],
    [{ driver: 'ephemeral', mount_point: 'relative' }, /not an absolute path/],
    [{ driver: 'ephemeral', mount_point: '/run/../etc' }, /contains '..'/],
    [{ driver: '', mount_point: '/run/x' }, /Unknown storage driver ""/],
  ];
  for (const [fields, message] of bad) {
    await assert.rejects(s.storage.mountAll([storage(fields)]), message);
  }
  assert.deepEqual(await s.storage.mountAll([]), []);
  assert.deepEqual(await s.storage.mountAll([undefined as never]), []);
  await assert.rejects(
    s.storage.mountAll([
      storage({ driver: 'blk', source: '/dev/nonexistent', fstype: 'ext4', mount_point: '/run/b' }),
    ]),
    /invalid device \/dev\/nonexistent/,
  );
  await assert.rejects(
    s.storage.mountAll([
      storage({ driver: 'nvdimm', source: '/dev/vda', fstype: 'ext4', mount_point: '/run/b' }),
    ]),
    /invalid pmem device path/,
  );
  assert.deepEqual(s.storage.driverNames().sort(), [
    '9p',
    'blk',
    'blk-ccw',
    'ccw',
    'ephemeral',
    'local',
    'mmioblk',
    'nvdimm',
    'scsi',
    'virtio-fs',
  ]);
});

test(
  'a mount point through a symlink is refused by every driver, nothing is mounted outside',
  { skip: MOUNT_SKIP },
  async (t) => {
    const s = await storageSetup(t);
    const outside = mkdtempSync(path.join(os.tmpdir(), 'outside-'));
    t.after(() => rmSync(outside, { recursive: true, force: true }));
    mkdirSync(s.local('/run/kata-containers'), { recursive: true });
    symlinkSync(outside, s.local('/run/kata-containers/sl'));
    const requests = [
      storage({
        driver: 'ephemeral',
        source: 'tmpfs',
        fstype: 'tmpfs',
        mount_point: '/run/kata-containers/sl/mnt',
      }),
      storage({ driver: 'local', mount_point: '/run/kata-containers/sl/mnt' }),
      storage({ driver: '9p', source: 'kataShared', fstype: '9p', mount_point: '/run/kata-containers/sl' }),
    ];
    for (const request of requests) {
      await assert.rejects(
        s.storage.mountAll([request]),
        (e: AgentError) =>
          e.code === status.FAILED_PRECONDITION &&
          /\/run\/kata-containers\/sl is a symbolic link/.test(e.message),
        request.driver,
      );
    }
    assert.deepEqual(readdirSync(outside), [], 'nothing created outside the tree');
    assert.equal(mountsAt(path.join(outside, 'mnt')).length, 0);
    assert.equal(s.storage.inUse().size, 0);
  },
);

test('the same mount point cannot serve two drivers', { skip: MOUNT_SKIP }, async (t) => {
  const s = await storageSetup(t);
  const held = await s.storage.mountAll([storage({ driver: 'local', mount_point: '/run/shared-point' })]);
  await assert.rejects(
    s.storage.mountAll([
      storage({ driver: 'ephemeral', source: 'tmpfs', fstype: 'tmpfs', mount_point: '/run/shared-point' }),
    ]),
    (e: AgentError) =>
      e.code === status.FAILED_PRECONDITION && /already used by a local storage/.test(e.message),
  );
  await s.storage.releaseAll(held);
});

test('hugetlbfs reserves size/pagesize pages first', { skip: MOUNT_SKIP }, async (t) => {
  const s = await storageSetup(t);
  const pool = s.fake.file('sys/kernel/mm/hugepages/hugepages-2048kB/nr_hugepages', '0\n');
  // The fake pool is only a file: the kernel's real pool is untouched, so the mount itself
  // gets no pages; it still succeeds (hugetlbfs mounts with an empty pool).
  const taken = await s.storage.mountAll([
    storage({
      driver: 'ephemeral',
      source: 'nodev',
      fstype: 'hugetlbfs',
      options: ['pagesize=2097152', 'size=8388608'],
      mount_point: '/dev/hugepages',
    }),
  ]);
  assert.equal(readFileSync(pool, 'utf8'), '4');
  assert.equal(mountsAt(s.local('/dev/hugepages'))[0]?.fstype, 'hugetlbfs');
  await s.storage.releaseAll(taken);
  await assert.rejects(
    s.storage.mountAll([
      storage({
        driver: 'ephemeral',
        fstype: 'hugetlbfs',
        options: ['pagesize=abc'],
        mount_point: '/dev/hp2',
      }),
    ]),
    /Could not mount hugepages/,
  );
});
