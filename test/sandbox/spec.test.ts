import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createLogger } from '../../src/logging/logger';
import type { OciSpec } from '../../src/runtime/oci-types';
import { resolveUser } from '../../src/runtime/user';
import { isNetworkSysctl, prepareSpec, writeSysctls } from '../../src/sandbox/container-spec';
import { addGuestHooks, scanGuestHooks } from '../../src/sandbox/guest-hooks';
import { GuestPaths } from '../../src/sandbox/paths';

const log = createLogger({ level: 'silent' }).logger;

function tempDir(): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'spec-test-'));
  process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

test('guest hooks: executables only, no directories or symlinks, appended after the spec hooks', () => {
  const dir = tempDir();
  mkdirSync(path.join(dir, 'prestart/subdir'), { recursive: true });
  mkdirSync(path.join(dir, 'poststop'));
  writeFileSync(path.join(dir, 'prestart/b-hook'), '#!/bin/sh\n');
  chmodSync(path.join(dir, 'prestart/b-hook'), 0o755);
  writeFileSync(path.join(dir, 'prestart/plain'), '');
  symlinkSync('/bin/true', path.join(dir, 'prestart/a-link'));
  writeFileSync(path.join(dir, 'poststop/done'), '');
  chmodSync(path.join(dir, 'poststop/done'), 0o700);
  const hooks = scanGuestHooks(dir, log);
  assert.deepEqual(hooks, {
    prestart: [{ path: path.join(dir, 'prestart/b-hook'), args: ['b-hook', 'prestart'] }],
    poststop: [{ path: path.join(dir, 'poststop/done'), args: ['done', 'poststop'] }],
  });
  const spec: { hooks?: OciSpec['hooks'] } = { hooks: { prestart: [{ path: '/own' }] } };
  addGuestHooks(spec, hooks);
  assert.deepEqual(
    spec.hooks?.prestart?.map((h) => h.path),
    ['/own', path.join(dir, 'prestart/b-hook')],
  );
  assert.equal(scanGuestHooks(path.join(dir, 'missing'), log), undefined);
});

test('net.* sysctls are written under the proc root; dots become directories', () => {
  const root = tempDir();
  mkdirSync(path.join(root, 'proc/sys/net/ipv4'), { recursive: true });
  writeSysctls({ 'net.ipv4.ip_forward': '1' }, root);
  assert.equal(readFileSync(path.join(root, 'proc/sys/net/ipv4/ip_forward'), 'utf8'), '1');
  assert.throws(() => writeSysctls({ 'net..x': '1' }, root), /invalid sysctl/);
  assert.equal(isNetworkSysctl('net.core.somaxconn'), true);
  assert.equal(isNetworkSysctl('kernel.shmmax'), false);
});

test('users resolve from the container database', () => {
  const rootfs = tempDir();
  mkdirSync(path.join(rootfs, 'etc'));
  writeFileSync(
    path.join(rootfs, 'etc/passwd'),
    'root:x:0:0::/root:/bin/sh\nann:x:1000:1000::/home/ann:/bin/sh\n',
  );
  writeFileSync(path.join(rootfs, 'etc/group'), 'root:x:0:\nann:x:1000:\nwheel:x:10:ann,bob\nstaff:x:50:\n');
  assert.deepEqual(resolveUser(rootfs, 'ann', [7]), { uid: 1000, gid: 1000, additionalGids: [7, 10] });
  assert.deepEqual(resolveUser(rootfs, 'ann:staff', []), { uid: 1000, gid: 50, additionalGids: [10] });
  assert.deepEqual(resolveUser(rootfs, '4000:4001', []), { uid: 4000, gid: 4001, additionalGids: [] });
  assert.throws(() => resolveUser(rootfs, 'nobody', []), /unable to find user nobody/);
  assert.throws(() => resolveUser(rootfs, 'ann:nogroup', []), /unable to find group/);
});

test('the guest spec: rootfs, namespaces, cgroup path, root-device rule, net sysctls, user', () => {
  const guestRoot = tempDir();
  const sysRoot = tempDir();
  mkdirSync(path.join(sysRoot, 'proc/sys/net/core'), { recursive: true });
  mkdirSync(path.join(sysRoot, 'sys/devices/system/cpu'), { recursive: true });
  writeFileSync(path.join(sysRoot, 'sys/devices/system/cpu/online'), '0-1\n');
  const rootfs = path.join(guestRoot, 'run/kata-containers/shared/containers/c1/rootfs');
  mkdirSync(path.join(rootfs, 'etc'), { recursive: true });
  writeFileSync(path.join(rootfs, 'etc/passwd'), 'ann:x:1000:100::/:/bin/sh\n');
  const spec: OciSpec = {
    ociVersion: '1.0.2',
    process: { user: { uid: 0, gid: 0 }, args: ['sh'], cwd: '/' },
    root: { path: 'rootfs' },
    mounts: [
      { destination: '/v', source: '/run/kata-containers/shared/containers/c1-vol', type: 'bind' },
      { destination: '/proc', source: 'proc', type: 'proc' },
    ],
    linux: {
      namespaces: [{ type: 'pid', path: '/host/pid' }, { type: 'ipc', path: '/host/ipc' }, { type: 'mount' }],
      sysctl: { 'net.core.somaxconn': '512', 'kernel.msgmax': '10' },
      resources: { cpu: { cpus: '0-7' } },
    },
  };
  const {
    spec: out,
    rootfs: resolved,
    cgroupsPath,
  } = prepareSpec(spec, {
    containerId: 'c1',
    paths: new GuestPaths(guestRoot),
    sysRoot,
    ipcNs: '/ns/ipc',
    utsNs: '/ns/uts',
    pidNs: '',
    defaultCgroupsPath: '/kata/sb/c1',
    guestHooks: undefined,
    username: 'ann',
    rootDenyRule: { allow: false, type: 'b', major: 8n, minor: 1n, access: 'rw' },
  });
  assert.equal(resolved, rootfs);
  assert.equal(out.root?.path, rootfs);
  assert.equal(out.mounts?.[0].source, path.join(guestRoot, '/run/kata-containers/shared/containers/c1-vol'));
  assert.equal(out.mounts?.[1].source, 'proc');
  assert.deepEqual(out.linux?.namespaces, [
    { type: 'mount' },
    { type: 'ipc', path: '/ns/ipc' },
    { type: 'uts', path: '/ns/uts' },
    { type: 'pid' },
  ]);
  assert.equal(cgroupsPath, '/kata/sb/c1');
  assert.equal(out.linux?.resources?.cpu?.cpus, '0-1', 'cpuset fitted to the online CPUs');
  assert.deepEqual(out.linux?.sysctl, { 'kernel.msgmax': '10' });
  assert.equal(readFileSync(path.join(sysRoot, 'proc/sys/net/core/somaxconn'), 'utf8'), '512');
  assert.deepEqual(out.process?.user, { uid: 1000, gid: 100 });
  assert.deepEqual(out.linux?.resources?.devices?.at(-1), {
    allow: false,
    type: 'b',
    major: 8n,
    minor: 1n,
    access: 'rw',
  });
});
