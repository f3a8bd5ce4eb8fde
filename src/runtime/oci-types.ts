// The OCI runtime-spec config.json, as the JSON crun and runc read. Only what the
// agent writes is typed; optional fields are omitted when the host left them unset.
// Fields that are 64-bit on the wire stay bigint so that no value is rounded;
// ./exact-json.ts writes them as plain JSON numbers.

/** A 64-bit integer from the wire, exact. */
type Int64 = bigint;

interface OciUser {
  uid: number;
  gid: number;
  additionalGids?: number[];
}

interface OciCapabilities {
  bounding?: string[];
  effective?: string[];
  inheritable?: string[];
  permitted?: string[];
  ambient?: string[];
}

export interface OciRlimit {
  type: string;
  hard: Int64;
  soft: Int64;
}

export interface OciProcess {
  terminal?: boolean;
  consoleSize?: { height: number; width: number };
  user: OciUser;
  args: string[];
  env?: string[];
  cwd: string;
  capabilities?: OciCapabilities;
  rlimits?: OciRlimit[];
  noNewPrivileges?: boolean;
  apparmorProfile?: string;
  oomScoreAdj?: Int64;
  selinuxLabel?: string;
}

export interface OciMount {
  destination: string;
  type?: string;
  source?: string;
  options?: string[];
}

export interface OciHook {
  path: string;
  args?: string[];
  env?: string[];
  timeout?: Int64;
}

export interface OciHooks {
  prestart?: OciHook[];
  poststart?: OciHook[];
  poststop?: OciHook[];
}

export interface OciIdMapping {
  containerID: number;
  hostID: number;
  size: number;
}

export interface OciNamespace {
  type: string;
  path?: string;
}

interface OciDevice {
  path: string;
  type: string;
  major: Int64;
  minor: Int64;
  fileMode?: number;
  uid?: number;
  gid?: number;
}

export interface OciDeviceRule {
  allow: boolean;
  type?: string;
  major?: Int64 | null;
  minor?: Int64 | null;
  access?: string;
}

export interface OciMemory {
  limit?: Int64;
  reservation?: Int64;
  swap?: Int64;
  kernel?: Int64;
  kernelTCP?: Int64;
  swappiness?: Int64;
  disableOOMKiller?: boolean;
}

export interface OciCpu {
  shares?: Int64;
  quota?: Int64;
  period?: Int64;
  realtimeRuntime?: Int64;
  realtimePeriod?: Int64;
  cpus?: string;
  mems?: string;
}

interface OciWeightDevice {
  major: Int64;
  minor: Int64;
  weight?: number;
  leafWeight?: number;
}

export interface OciThrottleDevice {
  major: Int64;
  minor: Int64;
  rate: Int64;
}

export interface OciBlockIO {
  weight?: number;
  leafWeight?: number;
  weightDevice?: OciWeightDevice[];
  throttleReadBpsDevice?: OciThrottleDevice[];
  throttleWriteBpsDevice?: OciThrottleDevice[];
  throttleReadIOPSDevice?: OciThrottleDevice[];
  throttleWriteIOPSDevice?: OciThrottleDevice[];
}

export interface OciResources {
  devices?: OciDeviceRule[];
  memory?: OciMemory;
  cpu?: OciCpu;
  pids?: { limit: Int64 };
  blockIO?: OciBlockIO;
  hugepageLimits?: { pageSize: string; limit: Int64 }[];
  network?: { classID?: number; priorities?: { name: string; priority: number }[] };
}

export interface OciSeccomp {
  defaultAction: string;
  architectures?: string[];
  syscalls?: {
    names: string[];
    action: string;
    args?: { index: Int64; value: Int64; valueTwo?: Int64; op: string }[];
  }[];
}

export interface OciLinux {
  uidMappings?: OciIdMapping[];
  gidMappings?: OciIdMapping[];
  sysctl?: Record<string, string>;
  resources?: OciResources;
  cgroupsPath?: string;
  namespaces?: OciNamespace[];
  devices?: OciDevice[];
  seccomp?: OciSeccomp;
  rootfsPropagation?: string;
  maskedPaths?: string[];
  readonlyPaths?: string[];
  mountLabel?: string;
  intelRdt?: { l3CacheSchema?: string };
}

export interface OciSpec {
  ociVersion: string;
  process?: OciProcess;
  root?: { path: string; readonly?: boolean };
  hostname?: string;
  mounts?: OciMount[];
  hooks?: OciHooks;
  annotations?: Record<string, string>;
  linux?: OciLinux;
}
