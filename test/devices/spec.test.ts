import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, statSync } from 'node:fs';
import { guestRootDenyRule } from '../../src/devices/rootfs';
import { DeviceSpecEditor } from '../../src/devices/spec';
import { splitDevT } from '../../src/guest/kernel';
import type { SpecDevices } from '../../src/devices/types';

test('updates the device and its cgroup rules, with or without resources', () => {
  const spec: SpecDevices = {
    linux: {
      devices: [{ path: '/dev/xvda', type: 'b', major: 8n, minor: 0n, fileMode: 0o660 }],
      resources: {
        devices: [
          { allow: false, access: 'rwm' },
          { allow: true, type: 'b', major: 8n, minor: 0n, access: 'rw' },
        ],
      },
    },
  };
  new DeviceSpecEditor(spec).update('/dev/xvda', { major: 252, minor: 16 });
  assert.deepEqual(spec.linux?.devices?.[0], {
    path: '/dev/xvda',
    type: 'b',
    major: 252n,
    minor: 16n,
    fileMode: 0o660,
  });
  assert.deepEqual(spec.linux?.resources?.devices, [
    { allow: false, access: 'rwm' },
    { allow: true, type: 'b', major: 252n, minor: 16n, access: 'rw' },
  ]);

  const bare: SpecDevices = { linux: { devices: [{ path: '/dev/xvda', type: 'b', major: 8n, minor: 0n }] } };
  new DeviceSpecEditor(bare).update('/dev/xvda', { major: 1, minor: 2 });
  assert.equal(bare.linux?.devices?.[0].major, 1n);
});

test('errors: empty container path, no devices, no matching path', () => {
  const spec: SpecDevices = { linux: { devices: [{ path: '/dev/a', type: 'b', major: 1n, minor: 1n }] } };
  assert.throws(
    () => new DeviceSpecEditor(spec).update('', { major: 1, minor: 1 }),
    /ContainerPath cannot be empty/,
  );
  assert.throws(() => new DeviceSpecEditor({}).update('/dev/a', { major: 1, minor: 1 }), /No devices found/);
  assert.throws(
    () => new DeviceSpecEditor({ linux: {} }).update('/dev/a', { major: 1, minor: 1 }),
    /No devices found/,
  );
  assert.throws(
    () => new DeviceSpecEditor(spec).update('/dev/b', { major: 1, minor: 1 }),
    /Should have found a matching device \/dev\/b in the spec/,
  );
});

test('guest and host numbers that overlap are each updated once', () => {
  // Host: a = 8:0, b = 8:16. Guest: a becomes 8:16 (b's host number), b becomes 8:0.
  const spec: SpecDevices = {
    linux: {
      devices: [
        { path: '/dev/a', type: 'b', major: 8n, minor: 0n },
        { path: '/dev/b', type: 'b', major: 8n, minor: 16n },
      ],
      resources: {
        devices: [
          { allow: true, type: 'b', major: 8n, minor: 0n, access: 'rw' },
          { allow: true, type: 'b', major: 8n, minor: 16n, access: 'r' },
        ],
      },
    },
  };
  const editor = new DeviceSpecEditor(spec);
  editor.update('/dev/a', { major: 8, minor: 16 });
  editor.update('/dev/b', { major: 8, minor: 0 });
  assert.deepEqual(
    spec.linux?.devices?.map((d) => [d.path, d.major, d.minor]),
    [
      ['/dev/a', 8n, 16n],
      ['/dev/b', 8n, 0n],
    ],
  );
  assert.deepEqual(
    spec.linux?.resources?.devices?.map((r) => [r.access, r.major, r.minor]),
    [
      ['rw', 8n, 16n],
      ['r', 8n, 0n],
    ],
  );
});

test('a block rule with the numbers of a char device is left alone', () => {
  const spec: SpecDevices = {
    linux: {
      devices: [{ path: '/dev/tty9', type: 'c', major: 4n, minor: 9n }],
      resources: {
        devices: [
          { allow: true, type: 'c', major: 4n, minor: 9n, access: 'rw' },
          { allow: true, type: 'b', major: 4n, minor: 9n, access: 'rw' },
        ],
      },
    },
  };
  new DeviceSpecEditor(spec).update('/dev/tty9', { major: 136, minor: 2 });
  assert.deepEqual(
    spec.linux?.resources?.devices?.map((r) => [r.type, r.major, r.minor]),
    [
      ['c', 136n, 2n],
      ['b', 4n, 9n],
    ],
  );
});

test('the guest root deny rule names the device behind /', async () => {
  const rule = await guestRootDenyRule('/');
  const { major, minor } = splitDevT(statSync('/', { bigint: true }).dev);
  assert.deepEqual(rule, {
    allow: false,
    type: 'b',
    major: BigInt(major),
    minor: BigInt(minor),
    access: 'rw',
  });
  // The split agrees with what the kernel reports for the root mount.
  const rootLine = readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .find((l) => l.split(' ')[4] === '/');
  assert.equal(rootLine?.split(' ')[2], `${rule.major}:${rule.minor}`);
});
