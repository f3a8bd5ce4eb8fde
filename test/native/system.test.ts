import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { closeSync, mkdtempSync, openSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { native } from '../../src/native/index';
import { assertErrno, runInNamespaces } from '../helpers/native';

const n = native();
const c = n.constants;

test('errors carry code, positive errno, syscall and a readable message', () => {
  assert.throws(
    () => n.mount('none', '/nonexistent/kata-agent-test', 'tmpfs', 0, ''),
    (err: NodeJS.ErrnoException) => {
      assert.equal(err.message, 'mount: ENOENT (No such file or directory)');
      assert.equal(err.code, 'ENOENT');
      assert.equal(err.errno, os.constants.errno.ENOENT);
      assert.equal(err.syscall, 'mount');
      return true;
    },
  );
});

// mountAt(target): the fstype and mount options of the mount at `target`, if any.
const MOUNT_AT = `
  const fs = require('node:fs');
  const mountAt = (target) => {
    for (const line of fs.readFileSync('/proc/self/mountinfo', 'utf8').split('\\n')) {
      const [left, right] = line.split(' - ');
      const fields = left.split(' ');
      if (fields[4] === target && right) return { fstype: right.split(' ')[0], options: fields[5] };
    }
    return undefined;
  };`;

test('mount a tmpfs, bind it read-only, and unmount both (in a mount namespace of its own)', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'native-mount-'));
  try {
    const script = `${MOUNT_AT}
      const dir = ${JSON.stringify(dir)};
      const target = path.join(dir, 'tmpfs');
      const bind = path.join(dir, 'bind');
      fs.mkdirSync(target);
      fs.mkdirSync(bind);
      n.mount('kata-test', target, 'tmpfs', c.MS_NOSUID | c.MS_NODEV, 'size=1m,mode=0700');
      assert.equal(mountAt(target).fstype, 'tmpfs');
      assert.match(mountAt(target).options, /nosuid,nodev/);
      fs.writeFileSync(path.join(target, 'file'), 'on tmpfs');

      n.mount(target, bind, null, c.MS_BIND, null);
      n.mount(null, bind, '', c.MS_BIND | c.MS_REMOUNT | c.MS_RDONLY, '');
      assert.equal(fs.readFileSync(path.join(bind, 'file'), 'utf8'), 'on tmpfs');
      assert.throws(() => fs.writeFileSync(path.join(bind, 'other'), 'x'), { code: 'EROFS' });

      assert.throws(() => n.umount2(target, c.MNT_EXPIRE | c.MNT_DETACH), { code: 'EINVAL', syscall: 'umount2' });
      n.umount2(bind, c.MNT_DETACH);
      n.umount2(target, 0);
      assert.equal(mountAt(target), undefined);
      assert.equal(mountAt(bind), undefined);
      assert.throws(() => n.umount2(target, 0), { code: 'EINVAL', syscall: 'umount2' });
      console.log(fs.existsSync(path.join(target, 'file')) ? 'file still visible' : 'unmounted');`;
    assert.equal(runInNamespaces(['--mount', '--propagation', 'private'], script).trim(), 'unmounted');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('mount arguments are checked', () => {
  assert.throws(() => n.mount('a', null as unknown as string, 'tmpfs', 0, ''), TypeError);
  assert.throws(() => n.mount('a', '/x\0y', 'tmpfs', 0, ''), TypeError);
  assert.throws(() => n.mount('a', '/x', 'tmpfs', -1, ''), RangeError);
});

test('sethostname (in a UTS namespace of its own)', () => {
  const script = `
    const os = require('node:os');
    n.sethostname('kata-native-test');
    assert.throws(() => n.sethostname('x'.repeat(65)), { code: 'EINVAL', syscall: 'sethostname' });
    console.log(os.hostname());`;
  const before = os.hostname();
  assert.equal(runInNamespaces(['--uts'], script).trim(), 'kata-native-test');
  assert.equal(os.hostname(), before);
});

test('addEntropy and reseedCrng on /dev/random; ENOTTY elsewhere', () => {
  const fd = openSync('/dev/random', 'w');
  const [r, w] = n.pipe(false, false);
  try {
    n.addEntropy(fd, randomBytes(64));
    n.reseedCrng(fd);
    assertErrno(() => n.addEntropy(r, randomBytes(8)), 'ENOTTY', 'ioctl');
    assertErrno(() => n.reseedCrng(r), 'ENOTTY', 'ioctl');
    assert.throws(() => n.addEntropy(fd, 'text' as unknown as Buffer), TypeError);
  } finally {
    closeSync(fd);
    n.close(r);
    n.close(w);
  }
});

// The real call changes the clock: only the VM tests make it.
test('settimeofday refuses invalid times before reaching the kernel', () => {
  const before = Date.now();
  assert.throws(() => n.settimeofday(-1, 0), RangeError);
  assert.throws(() => n.settimeofday(0, 1_000_000), RangeError);
  assert.throws(() => n.settimeofday(0, -1), RangeError);
  assert.throws(() => n.settimeofday(1.5, 0), RangeError);
  assert.throws(() => n.settimeofday(Number.NaN, 0), RangeError);
  assert.throws(() => n.settimeofday('0' as unknown as number, 0), TypeError);
  assert.ok(Math.abs(Date.now() - before) < 60_000, 'the clock did not move');
});

test('sync returns; reboot exists but is never called here', () => {
  assert.equal(n.sync(), undefined);
  assert.equal(typeof n.reboot, 'function');
});

test('syncAsync answers with a promise at once and resolves, also several at once', async () => {
  const pending = n.syncAsync();
  assert.ok(pending instanceof Promise);
  assert.equal(await pending, undefined);
  assert.deepEqual(await Promise.all([n.syncAsync(), n.syncAsync(), n.syncAsync()]), [
    undefined,
    undefined,
    undefined,
  ]);
});

test('constants hold the Linux ABI values under their C names, frozen', () => {
  for (const name of [
    'MS_RDONLY',
    'MS_NOSUID',
    'MS_NODEV',
    'MS_NOEXEC',
    'MS_SYNCHRONOUS',
    'MS_REMOUNT',
    'MS_MANDLOCK',
    'MS_DIRSYNC',
    'MS_NOATIME',
    'MS_NODIRATIME',
    'MS_BIND',
    'MS_MOVE',
    'MS_REC',
    'MS_SILENT',
    'MS_POSIXACL',
    'MS_UNBINDABLE',
    'MS_PRIVATE',
    'MS_SLAVE',
    'MS_SHARED',
    'MS_RELATIME',
    'MS_STRICTATIME',
    'MS_LAZYTIME',
    'MNT_FORCE',
    'MNT_DETACH',
    'MNT_EXPIRE',
    'UMOUNT_NOFOLLOW',
    'RLIMIT_CPU',
    'RLIMIT_FSIZE',
    'RLIMIT_DATA',
    'RLIMIT_STACK',
    'RLIMIT_CORE',
    'RLIMIT_RSS',
    'RLIMIT_NPROC',
    'RLIMIT_NOFILE',
    'RLIMIT_MEMLOCK',
    'RLIMIT_AS',
    'RLIMIT_LOCKS',
    'RLIMIT_SIGPENDING',
    'RLIMIT_MSGQUEUE',
    'RLIMIT_NICE',
    'RLIMIT_RTPRIO',
    'RLIMIT_RTTIME',
    'NETLINK_ROUTE',
    'NETLINK_KOBJECT_UEVENT',
    'AF_VSOCK',
    'VMADDR_CID_ANY',
    'LINUX_REBOOT_CMD_POWER_OFF',
    'LINUX_REBOOT_CMD_RESTART',
    'LINUX_REBOOT_CMD_HALT',
  ]) {
    assert.equal(typeof c[name], 'number', name);
  }
  // Values fixed by the kernel ABI on every architecture.
  assert.equal(c.MS_BIND, 4096);
  assert.equal(c.MS_REC, 16384);
  assert.equal(c.MS_PRIVATE, 1 << 18);
  assert.equal(c.MNT_DETACH, 2);
  assert.equal(c.NETLINK_KOBJECT_UEVENT, 15);
  assert.equal(c.AF_VSOCK, 40);
  assert.equal(c.VMADDR_CID_ANY, 0xffffffff);
  assert.equal(c.LINUX_REBOOT_CMD_RESTART, 0x01234567);
  assert.equal(c.LINUX_REBOOT_CMD_POWER_OFF, 0x4321fedc);
  assert.equal(c.LINUX_REBOOT_CMD_HALT, 0xcdef0123);
  assert.ok(Object.isFrozen(c));
});
