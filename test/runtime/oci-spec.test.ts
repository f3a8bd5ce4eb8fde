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
        { Type: 'RLIMIT_NOFILE', Hard: 100n, Soft: 50n },
        { Type: 'RLIMIT_BOGUS', Hard: 1n, Soft: 1n },
      ],
      NoNewPrivileges: true,
      ApparmorProfile: 'prof',
      OOMScoreAdj: 5n,
      SelinuxLabel: 'lbl',
    },
    Root: { Path: 'rootfs', Readonly: true },
    Hostname: 'h',
    Mounts: [{ destination: '/d', source: '/s', type: 'bind', options: ['ro'] }],
    Hooks: {
      Prestart: [{ Path: '/p', Args: ['p', 'x'], Env: ['E=1'], Timeout: 3n }],
      Poststart: [],
      Poststop: [{ Path: '/q', Args: [], Env: [], Timeout: 0n }],
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
      Devices: [{ Path: '/dev/x', Type: 'c', Major: 1n, Minor: 2n, FileMode: 0o666, UID: 0, GID: 0 }],
      Seccomp: {
        DefaultAction: 'SCMP_ACT_ALLOW',
        Architectures: ['SCMP_ARCH_X86_64'],
        Syscalls: [
          {
            Names: ['kill'],
            Action: 'SCMP_ACT_ERRNO',
            Args: [{ Index: 1n, Value: 9n, ValueTwo: 0n, Op: 'SCMP_CMP_EQ' }],
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
      rlimits: [{ type: 'RLIMIT_NOFILE', hard: 100n, soft: 50n }],
      noNewPrivileges: true,
      apparmorProfile: 'prof',
      oomScoreAdj: 5n,
      selinuxLabel: 'lbl',
    },
    root: { path: 'rootfs', readonly: true },
    hostname: 'h',
    mounts: [{ destination: '/d', type: 'bind', source: '/s', options: ['ro'] }],
    hooks: {
      prestart: [{ path: '/p', args: ['p', 'x'], env: ['E=1'], timeout: 3n }],
      poststop: [{ path: '/q' }],
    },
    annotations: { a: 'b' },
    linux: {
      uidMappings: [{ containerID: 0, hostID: 1000, size: 10 }],
      gidMappings: [{ containerID: 0, hostID: 2000, size: 5 }],
      sysctl: { 'kernel.shmmax': '1' },
      cgroupsPath: '/kata/x',
      namespaces: [{ type: 'mount' }, { type: 'network', path: '/proc/1/ns/net' }],
      devices: [{ path: '/dev/x', type: 'c', major: 1n, minor: 2n, fileMode: 0o666, uid: 0, gid: 0 }],
      seccomp: {
        defaultAction: 'SCMP_ACT_ALLOW',
        architectures: ['SCMP_ARCH_X86_64'],
        syscalls: [
          { names: ['kill'], action: 'SCMP_ACT_ERRNO', args: [{ index: 1n, value: 9n, op: 'SCMP_CMP_EQ' }] },
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
        Limit: 0n,
        Reservation: 0n,
        Swap: 0n,
        Kernel: 0n,
        KernelTCP: 0n,
        Swappiness: 0n,
        DisableOOMKiller: false,
      },
    },
    { memory: { swappiness: 0n, disableOOMKiller: false } },
  ],
  [
    'memory limits',
    {
      Memory: {
        Limit: 100n,
        Reservation: 50n,
        Swap: 200n,
        Kernel: 10n,
        KernelTCP: 5n,
        Swappiness: 60n,
        DisableOOMKiller: true,
      },
    },
    {
      memory: {
        limit: 100n,
        reservation: 50n,
        swap: 200n,
        kernel: 10n,
        kernelTCP: 5n,
        swappiness: 60n,
        disableOOMKiller: true,
      },
    },
  ],
  [
    'unlimited memory',
    { Memory: { Limit: -1n } },
    { memory: { limit: -1n, swappiness: 0n, disableOOMKiller: false } },
  ],
  [
    'cpu',
    {
      CPU: {
        Shares: 1024n,
        Quota: 50000n,
        Period: 100000n,
        RealtimeRuntime: 0n,
        RealtimePeriod: 0n,
        Cpus: '0-1',
        Mems: '0',
      },
    },
    { cpu: { shares: 1024n, quota: 50000n, period: 100000n, cpus: '0-1', mems: '0' } },
  ],
  [
    'empty cpu',
    {
      CPU: { Shares: 0n, Quota: 0n, Period: 0n, RealtimeRuntime: 0n, RealtimePeriod: 0n, Cpus: '', Mems: '' },
    },
    {},
  ],
  ['pids', { Pids: { Limit: 10n } }, { pids: { limit: 10n } }],
  ['pids zero', { Pids: { Limit: 0n } }, {}],
  [
    'hugepages',
    { HugepageLimits: [{ Pagesize: '2MB', Limit: 4096n }] },
    { hugepageLimits: [{ pageSize: '2MB', limit: 4096n }] },
  ],
  [
    'block io',
    {
      BlockIO: {
        Weight: 500,
        LeafWeight: 0,
        WeightDevice: [{ Major: 8n, Minor: 0n, Weight: 100, LeafWeight: 0 }],
        ThrottleReadBpsDevice: [{ Major: 8n, Minor: 0n, Rate: 1000n }],
        ThrottleWriteBpsDevice: [],
        ThrottleReadIOPSDevice: [],
        ThrottleWriteIOPSDevice: [{ Major: 8n, Minor: 16n, Rate: 10n }],
      },
    },
    {
      blockIO: {
        weight: 500,
        weightDevice: [{ major: 8n, minor: 0n, weight: 100 }],
        throttleReadBpsDevice: [{ major: 8n, minor: 0n, rate: 1000n }],
        throttleWriteIOPSDevice: [{ major: 8n, minor: 16n, rate: 10n }],
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
  const rule = (Allow: boolean, Type: string, Major: bigint, Minor: bigint, Access: string) =>
    toDeviceRule({ Allow, Type, Major, Minor, Access });
  assert.deepEqual(rule(false, '', 0n, 0n, 'rwm'), { allow: false, type: 'a', access: 'rwm' });
  assert.deepEqual(rule(true, 'c', 1n, 3n, 'rw'), {
    allow: true,
    type: 'c',
    major: 1n,
    minor: 3n,
    access: 'rw',
  });
  assert.deepEqual(rule(true, 'c', 136n, -1n, 'rwm'), {
    allow: true,
    type: 'c',
    major: 136n,
    minor: null,
    access: 'rwm',
  });
  assert.deepEqual(rule(true, 'b', 0n, 0n, 'm'), {
    allow: true,
    type: 'b',
    major: null,
    minor: null,
    access: 'm',
  });
  assert.deepEqual(rule(true, 'c', 5n, 0n, ''), {
    allow: true,
    type: 'c',
    major: 5n,
    minor: 0n,
    access: 'rwm',
  });
});
