// OCI specs as a Kata 1.x runtime sends them to the agent for the demo's
// containers: the root filesystem inside the shared directory, the usual
// pseudo-filesystems, no PID namespace entry (the agent decides), a cgroup path.
import { Spec, type Mount } from '../generated/oci';

/** Where the kataShared share is mounted in the guest (Kata 1.x's path). */
export const GUEST_SHARED_DIR = '/run/kata-containers/shared/containers/';

interface ContainerSpecInput {
  id: string;
  /** Root filesystem path in the guest. */
  rootfs: string;
  args: string[];
  env?: string[];
  cwd?: string;
  hostname?: string;
  /** Bind mounts and volumes beyond the defaults. */
  mounts?: Mount[];
  readonlyRootfs?: boolean;
}

const DEFAULT_MOUNTS: Mount[] = [
  { destination: '/proc', type: 'proc', source: 'proc', options: ['nosuid', 'noexec', 'nodev'] },
  {
    destination: '/dev',
    type: 'tmpfs',
    source: 'tmpfs',
    options: ['nosuid', 'strictatime', 'mode=755', 'size=65536k'],
  },
  {
    destination: '/dev/pts',
    type: 'devpts',
    source: 'devpts',
    options: ['nosuid', 'noexec', 'newinstance', 'ptmxmode=0666', 'mode=0620'],
  },
  {
    destination: '/dev/shm',
    type: 'tmpfs',
    source: 'shm',
    options: ['nosuid', 'noexec', 'nodev', 'mode=1777', 'size=65536k'],
  },
  { destination: '/dev/mqueue', type: 'mqueue', source: 'mqueue', options: ['nosuid', 'noexec', 'nodev'] },
  { destination: '/sys', type: 'sysfs', source: 'sysfs', options: ['nosuid', 'noexec', 'nodev', 'ro'] },
];

const CAPABILITIES = [
  'CAP_CHOWN',
  'CAP_DAC_OVERRIDE',
  'CAP_FOWNER',
  'CAP_KILL',
  'CAP_SETGID',
  'CAP_SETUID',
  'CAP_NET_BIND_SERVICE',
];

export function containerSpec(c: ContainerSpecInput): Spec {
  return Spec.fromPartial({
    Version: '1.0.2',
    Hostname: c.hostname ?? c.id,
    Root: { Path: c.rootfs, Readonly: c.readonlyRootfs ?? false },
    Process: {
      Terminal: false,
      User: { UID: 0, GID: 0 },
      Args: c.args,
      Env: c.env ?? ['PATH=/bin:/usr/bin:/sbin:/usr/sbin', 'HOME=/root'],
      Cwd: c.cwd ?? '/',
      Capabilities: {
        Bounding: CAPABILITIES,
        Effective: CAPABILITIES,
        Permitted: CAPABILITIES,
        Inheritable: [],
        Ambient: [],
      },
      NoNewPrivileges: true,
    },
    Mounts: [...DEFAULT_MOUNTS, ...(c.mounts ?? [])],
    Linux: {
      CgroupsPath: `/kata/${c.id}`,
      // The agent adds the PID namespace itself (sandbox, own, or none).
      Namespaces: [{ Type: 'ipc' }, { Type: 'uts' }, { Type: 'mount' }],
      Resources: { Devices: [{ Allow: false, Access: 'rwm', Major: -1, Minor: -1 }] },
      MaskedPaths: ['/proc/kcore', '/proc/keys', '/proc/timer_list', '/sys/firmware'],
      ReadonlyPaths: ['/proc/bus', '/proc/fs', '/proc/irq', '/proc/sys', '/proc/sysrq-trigger'],
    },
  });
}

/** A read-only bind mount of a guest path into the container. */
export function bindMount(source: string, destination = source, readOnly = true): Mount {
  return { destination, source, type: 'bind', options: ['rbind', readOnly ? 'ro' : 'rw'] };
}
