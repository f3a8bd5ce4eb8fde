import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LinuxResources, Spec } from '../../src/generated/oci';
import { toOciSpec } from '../../src/runtime/oci-spec';
import { toDeviceRule, toOciResources } from '../../src/runtime/oci-spec-linux';

test('every Spec field is converted to runtime-spec JSON', () => {
  const spec = Spec.fromPartial({
    Version: '1.0.1',
    Process: {
      Terminal: true,
      ConsoleSize: { Height: 24, Width: 80 },
      User: { UID: 1, GID: 2, AdditionalGids: [3, 4], Username: '' },
      Args: ['sh'],
      Env: ['A=1'],
      Cwd: '/w',
      Capabilities: {
        Bounding: ['CAP_KILL'],
        Effective: ['CAP_KILL'],
        Inheritable: [],
        Permitted: [],
        Ambient: [],
      },
      Rlimits: [
        { Type: 'RLIMIT_NOFILE', Hard: 100, Soft: 50 },
        { Type: 'RLIMIT_BOGUS', Hard: 1, Soft: 1 },
      ],
      NoNewPrivileges: true,
      ApparmorProfile: 'prof',
      OOMScoreAdj: 5,
      SelinuxLabel: 'lbl',
    },
    Root: { Path: 'rootfs', Readonly: true },
    Hostname: 'h',
    Mounts: [{ destination: '/d', source: '/s', type: 'bind', options: ['ro'] }],
    Hooks: {
      Prestart: [{ Path: '/p', Args: ['p', 'x'], Env: ['E=1'], Timeout: 3 }],
      Poststart: [],
      Poststop: [{ Path: '/q', Args: [], Env: [], Timeout: 0 }],
    },
    Annotations: { a: 'b' },
    Linux: {
      UIDMappings: [{ HostID: 1000, ContainerID: 0, Size: 10 }],
      GIDMappings: [{ HostID: 2000, ContainerID: 0, Size: 5 }],
      Sysctl: { 'kernel.shmmax': '1' },
      CgroupsPath: '/kata/x',
      Namespaces: [
        { Type: 'mount', Path: '' },
        { Type: 'network', Path: '/proc/1/ns/net' },
      ],
      Devices: [{ Path: '/dev/x', Type: 'c', Major: 1, Minor: 2, FileMode: 0o666, UID: 0, GID: 0 }],
      Seccomp: {
        DefaultAction: 'SCMP_ACT_ALLOW',
        Architectures: ['SCMP_ARCH_X86_64'],
        Syscalls: [
          {
            Names: ['kill'],
            Action: 'SCMP_ACT_ERRNO',
            Args: [{ Index: 1, Value: 9, ValueTwo: 0, Op: 'SCMP_CMP_EQ' }],
          },
        ],
      },
      RootfsPropagation: 'rslave',
      MaskedPaths: ['/proc/kcore'],
      ReadonlyPaths: ['/proc/sys'],
      MountLabel: 'ml',
      IntelRdt: { L3CacheSchema: 'L3:0=f' },
    },
  });
  const { value, warnings } = toOciSpec(spec);
  assert.deepEqual(warnings, ['unsupported rlimit "RLIMIT_BOGUS" dropped']);
  assert.deepEqual(value, {
    ociVersion: '1.0.1',
    process: {
      terminal: true,
      consoleSize: { height: 24, width: 80 },
      user: { uid: 1, gid: 2, additionalGids: [3, 4] },
      args: ['sh'],
      env: ['A=1'],
      cwd: '/w',
      capabilities: {
        bounding: ['CAP_KILL'],
        effective: ['CAP_KILL'],
        inheritable: [],
        permitted: [],
        ambient: [],
      },
      rlimits: [{ type: 'RLIMIT_NOFILE', hard: 100, soft: 50 }],
      noNewPrivileges: true,
      apparmorProfile: 'prof',
      oomScoreAdj: 5,
      selinuxLabel: 'lbl',
    },
    root: { path: 'rootfs', readonly: true },
    hostname: 'h',
    mounts: [{ destination: '/d', type: 'bind', source: '/s', options: ['ro'] }],
    hooks: {
      prestart: [{ path: '/p', args: ['p', 'x'], env: ['E=1'], timeout: 3 }],
      poststop: [{ path: '/q' }],
    },
    annotations: { a: 'b' },
    linux: {
      uidMappings: [{ containerID: 0, hostID: 1000, size: 10 }],
      gidMappings: [{ containerID: 0, hostID: 2000, size: 5 }],
      sysctl: { 'kernel.shmmax': '1' },
      cgroupsPath: '/kata/x',
      namespaces: [{ type: 'mount' }, { type: 'network', path: '/proc/1/ns/net' }],
      devices: [{ path: '/dev/x', type: 'c', major: 1, minor: 2, fileMode: 0o666, uid: 0, gid: 0 }],
      seccomp: {
        defaultAction: 'SCMP_ACT_ALLOW',
        architectures: ['SCMP_ARCH_X86_64'],
        syscalls: [
          { names: ['kill'], action: 'SCMP_ACT_ERRNO', args: [{ index: 1, value: 9, op: 'SCMP_CMP_EQ' }] },
        ],
      },
      rootfsPropagation: 'rslave',
      maskedPaths: ['/proc/kcore'],
      readonlyPaths: ['/proc/sys'],
      mountLabel: 'ml',
      intelRdt: { l3CacheSchema: 'L3:0=f' },
    },
  });
});

test('absent sections stay absent; an empty version gets a default', () => {
  const { value } = toOciSpec(Spec.fromPartial({ Process: { Args: ['true'] } }));
  assert.deepEqual(value, {
    ociVersion: '1.0.2',
    process: { terminal: false, user: { uid: 0, gid: 0 }, args: ['true'], cwd: '/' },
  });
});

// Partial messages, completed with defaults by fromPartial.
const resourceCases: [string, object, unknown][] = [
  ['nothing', {}, {}],
  [
    // 1.x quirk: a present LinuxMemory carries swappiness and the OOM flag even when unset.
    'present memory without values',
    {
      Memory: {
        Limit: 0,
        Reservation: 0,
        Swap: 0,
        Kernel: 0,
        KernelTCP: 0,
        Swappiness: 0,
        DisableOOMKiller: false,
      },
    },
    { memory: { swappiness: 0, disableOOMKiller: false } },
  ],
  [
    'memory limits',
    {
      Memory: {
        Limit: 100,
        Reservation: 50,
        Swap: 200,
        Kernel: 10,
        KernelTCP: 5,
        Swappiness: 60,
        DisableOOMKiller: true,
      },
    },
    {
      memory: {
        limit: 100,
        reservation: 50,
        swap: 200,
        kernel: 10,
        kernelTCP: 5,
        swappiness: 60,
        disableOOMKiller: true,
      },
    },
  ],
  [
    'unlimited memory',
    { Memory: { Limit: -1 } },
    { memory: { limit: -1, swappiness: 0, disableOOMKiller: false } },
  ],
  [
    'cpu',
    {
      CPU: {
        Shares: 1024,
        Quota: 50000,
        Period: 100000,
        RealtimeRuntime: 0,
        RealtimePeriod: 0,
        Cpus: '0-1',
        Mems: '0',
      },
    },
    { cpu: { shares: 1024, quota: 50000, period: 100000, cpus: '0-1', mems: '0' } },
  ],
  [
    'empty cpu',
    { CPU: { Shares: 0, Quota: 0, Period: 0, RealtimeRuntime: 0, RealtimePeriod: 0, Cpus: '', Mems: '' } },
    {},
  ],
  ['pids', { Pids: { Limit: 10 } }, { pids: { limit: 10 } }],
  ['pids zero', { Pids: { Limit: 0 } }, {}],
  [
    'hugepages',
    { HugepageLimits: [{ Pagesize: '2MB', Limit: 4096 }] },
    { hugepageLimits: [{ pageSize: '2MB', limit: 4096 }] },
  ],
  [
    'block io',
    {
      BlockIO: {
        Weight: 500,
        LeafWeight: 0,
        WeightDevice: [{ Major: 8, Minor: 0, Weight: 100, LeafWeight: 0 }],
        ThrottleReadBpsDevice: [{ Major: 8, Minor: 0, Rate: 1000 }],
        ThrottleWriteBpsDevice: [],
        ThrottleReadIOPSDevice: [],
        ThrottleWriteIOPSDevice: [{ Major: 8, Minor: 16, Rate: 10 }],
      },
    },
    {
      blockIO: {
        weight: 500,
        weightDevice: [{ major: 8, minor: 0, weight: 100 }],
        throttleReadBpsDevice: [{ major: 8, minor: 0, rate: 1000 }],
        throttleWriteIOPSDevice: [{ major: 8, minor: 16, rate: 10 }],
      },
    },
  ],
  [
    'network',
    { Network: { ClassID: 7, Priorities: [{ Name: 'eth0', Priority: 3 }] } },
    { network: { classID: 7, priorities: [{ name: 'eth0', priority: 3 }] } },
  ],
];

for (const [name, input, expected] of resourceCases) {
  test(`resources: ${name}`, () => {
    assert.deepEqual(toOciResources(LinuxResources.fromPartial(input as LinuxResources)), expected);
  });
}

test('device cgroup rules: wildcards survive the pointer-less proto', () => {
  const rule = (Allow: boolean, Type: string, Major: number, Minor: number, Access: string) =>
    toDeviceRule({ Allow, Type, Major, Minor, Access });
  assert.deepEqual(rule(false, '', 0, 0, 'rwm'), { allow: false, type: 'a', access: 'rwm' });
  assert.deepEqual(rule(true, 'c', 1, 3, 'rw'), { allow: true, type: 'c', major: 1, minor: 3, access: 'rw' });
  assert.deepEqual(rule(true, 'c', 136, -1, 'rwm'), {
    allow: true,
    type: 'c',
    major: 136,
    minor: null,
    access: 'rwm',
  });
  assert.deepEqual(rule(true, 'b', 0, 0, 'm'), {
    allow: true,
    type: 'b',
    major: null,
    minor: null,
    access: 'm',
  });
  assert.deepEqual(rule(true, 'c', 5, 0, ''), { allow: true, type: 'c', major: 5, minor: 0, access: 'rwm' });
});
