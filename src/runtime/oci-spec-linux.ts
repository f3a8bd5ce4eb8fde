// The Linux section of the kata OCI Spec → runtime-spec JSON. Resources follow
// what 1.x effectively applied: zero limits mean "not set" (libcontainer skipped
// them), but a present LinuxMemory always carries its swappiness and OOM-killer
// flag, so an unset swappiness becomes an explicit 0 as in 1.x.
import type {
  Linux,
  LinuxBlockIO,
  LinuxCPU,
  LinuxDeviceCgroup,
  LinuxIDMapping,
  LinuxMemory,
  LinuxResources,
  LinuxSeccomp,
  LinuxThrottleDevice,
} from '../generated/oci';
import type {
  OciBlockIO,
  OciCpu,
  OciDeviceRule,
  OciIdMapping,
  OciLinux,
  OciMemory,
  OciResources,
  OciSeccomp,
  OciThrottleDevice,
} from './oci-types';

export function toOciLinux(l: Linux): OciLinux {
  const out: OciLinux = {};
  if (l.UIDMappings.length) out.uidMappings = l.UIDMappings.map(toIdMapping);
  if (l.GIDMappings.length) out.gidMappings = l.GIDMappings.map(toIdMapping);
  if (Object.keys(l.Sysctl).length) out.sysctl = { ...l.Sysctl };
  if (l.Resources) out.resources = toOciResources(l.Resources);
  if (l.CgroupsPath) out.cgroupsPath = l.CgroupsPath;
  if (l.Namespaces.length)
    out.namespaces = l.Namespaces.map((n) => (n.Path ? { type: n.Type, path: n.Path } : { type: n.Type }));
  if (l.Devices.length) {
    out.devices = l.Devices.map((d) => {
      const dev: NonNullable<OciLinux['devices']>[number] = {
        path: d.Path,
        type: d.Type,
        major: d.Major,
        minor: d.Minor,
      };
      // A present device carries its mode and owner (0 = root, as 1.x passed it).
      if (d.FileMode) dev.fileMode = d.FileMode;
      dev.uid = d.UID;
      dev.gid = d.GID;
      return dev;
    });
  }
  if (l.Seccomp) out.seccomp = toOciSeccomp(l.Seccomp);
  if (l.RootfsPropagation) out.rootfsPropagation = l.RootfsPropagation;
  if (l.MaskedPaths.length) out.maskedPaths = [...l.MaskedPaths];
  if (l.ReadonlyPaths.length) out.readonlyPaths = [...l.ReadonlyPaths];
  if (l.MountLabel) out.mountLabel = l.MountLabel;
  if (l.IntelRdt?.L3CacheSchema) out.intelRdt = { l3CacheSchema: l.IntelRdt.L3CacheSchema };
  return out;
}

function toIdMapping(m: LinuxIDMapping): OciIdMapping {
  return { containerID: m.ContainerID, hostID: m.HostID, size: m.Size };
}

export function toOciResources(r: LinuxResources): OciResources {
  const out: OciResources = {};
  if (r.Devices.length) out.devices = r.Devices.map(toDeviceRule);
  if (r.Memory) out.memory = toOciMemory(r.Memory);
  if (r.CPU) {
    const cpu = toOciCpu(r.CPU);
    if (Object.keys(cpu).length) out.cpu = cpu;
  }
  if (r.Pids && r.Pids.Limit !== 0n) out.pids = { limit: r.Pids.Limit };
  if (r.BlockIO) {
    const blockIO = toOciBlockIO(r.BlockIO);
    if (Object.keys(blockIO).length) out.blockIO = blockIO;
  }
  if (r.HugepageLimits.length)
    out.hugepageLimits = r.HugepageLimits.map((h) => ({ pageSize: h.Pagesize, limit: h.Limit }));
  if (r.Network) {
    const network: NonNullable<OciResources['network']> = {};
    if (r.Network.ClassID) network.classID = r.Network.ClassID;
    if (r.Network.Priorities.length)
      network.priorities = r.Network.Priorities.map((p) => ({ name: p.Name, priority: p.Priority }));
    if (Object.keys(network).length) out.network = network;
  }
  return out;
}

/**
 * Device rules travel through the proto without pointers, so a wildcard arrives as 0
 * (or -1 from newer hosts). Major 0 is never a real char/block device: read it as "any".
 */
export function toDeviceRule(d: LinuxDeviceCgroup): OciDeviceRule {
  const type = d.Type || 'a';
  const rule: OciDeviceRule = { allow: d.Allow, type };
  if (type !== 'a') {
    const anyMajor = d.Major <= 0n;
    rule.major = anyMajor ? null : d.Major;
    rule.minor = anyMajor || d.Minor < 0n ? null : d.Minor;
  }
  rule.access = d.Access || 'rwm';
  return rule;
}

function toOciMemory(m: LinuxMemory): OciMemory {
  const out: OciMemory = {};
  if (m.Limit) out.limit = m.Limit;
  if (m.Reservation) out.reservation = m.Reservation;
  if (m.Swap) out.swap = m.Swap;
  if (m.Kernel) out.kernel = m.Kernel;
  if (m.KernelTCP) out.kernelTCP = m.KernelTCP;
  out.swappiness = m.Swappiness;
  out.disableOOMKiller = m.DisableOOMKiller;
  return out;
}

function toOciCpu(c: LinuxCPU): OciCpu {
  const out: OciCpu = {};
  if (c.Shares) out.shares = c.Shares;
  if (c.Quota) out.quota = c.Quota;
  if (c.Period) out.period = c.Period;
  if (c.RealtimeRuntime) out.realtimeRuntime = c.RealtimeRuntime;
  if (c.RealtimePeriod) out.realtimePeriod = c.RealtimePeriod;
  if (c.Cpus) out.cpus = c.Cpus;
  if (c.Mems) out.mems = c.Mems;
  return out;
}

function toThrottle(list: LinuxThrottleDevice[]): OciThrottleDevice[] {
  return list.map((t) => ({ major: t.Major, minor: t.Minor, rate: t.Rate }));
}

function toOciBlockIO(b: LinuxBlockIO): OciBlockIO {
  const out: OciBlockIO = {};
  if (b.Weight) out.weight = b.Weight;
  if (b.LeafWeight) out.leafWeight = b.LeafWeight;
  if (b.WeightDevice.length) {
    out.weightDevice = b.WeightDevice.map((w) => {
      const dev: NonNullable<OciBlockIO['weightDevice']>[number] = { major: w.Major, minor: w.Minor };
      if (w.Weight) dev.weight = w.Weight;
      if (w.LeafWeight) dev.leafWeight = w.LeafWeight;
      return dev;
    });
  }
  if (b.ThrottleReadBpsDevice.length) out.throttleReadBpsDevice = toThrottle(b.ThrottleReadBpsDevice);
  if (b.ThrottleWriteBpsDevice.length) out.throttleWriteBpsDevice = toThrottle(b.ThrottleWriteBpsDevice);
  if (b.ThrottleReadIOPSDevice.length) out.throttleReadIOPSDevice = toThrottle(b.ThrottleReadIOPSDevice);
  if (b.ThrottleWriteIOPSDevice.length) out.throttleWriteIOPSDevice = toThrottle(b.ThrottleWriteIOPSDevice);
  return out;
}

function toOciSeccomp(s: LinuxSeccomp): OciSeccomp {
  const out: OciSeccomp = { defaultAction: s.DefaultAction };
  if (s.Architectures.length) out.architectures = [...s.Architectures];
  if (s.Syscalls.length) {
    out.syscalls = s.Syscalls.map((sc) => {
      const call: NonNullable<OciSeccomp['syscalls']>[number] = { names: [...sc.Names], action: sc.Action };
      if (sc.Args.length) {
        call.args = sc.Args.map((a) => {
          const arg: { index: bigint; value: bigint; valueTwo?: bigint; op: string } = {
            index: a.Index,
            value: a.Value,
            op: a.Op,
          };
          if (a.ValueTwo) arg.valueTwo = a.ValueTwo;
          return arg;
        });
      }
      return call;
    });
  }
  return out;
}
