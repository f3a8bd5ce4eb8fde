// The kata OCI Spec message (proto, Go field names) → the runtime-spec config.json
// that crun and runc read. Every field the proto carries is converted; fields the
// host left at their zero value are omitted, except where 1.x made them explicit.
import type { Hook, Hooks, Mount, Process, Spec } from '../generated/oci';
import { invalidArgument } from '../common/errors';
import { toOciLinux } from './oci-spec-linux';
import type { OciHook, OciHooks, OciMount, OciProcess, OciRlimit, OciSpec } from './oci-types';

const DEFAULT_OCI_VERSION = '1.0.2';

/** The resource limits 1.x translated (by name); others are dropped with a warning. */
const RLIMIT_NAMES: readonly string[] = [
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
];

interface Converted<T> {
  value: T;
  /** Things dropped on the way, for the log. */
  warnings: string[];
}

export function toOciSpec(spec: Spec): Converted<OciSpec> {
  const warnings: string[] = [];
  const out: OciSpec = { ociVersion: spec.Version || DEFAULT_OCI_VERSION };
  if (spec.Process) out.process = toOciProcess(spec.Process, warnings);
  if (spec.Root) out.root = { path: spec.Root.Path, readonly: spec.Root.Readonly };
  if (spec.Hostname) out.hostname = spec.Hostname;
  if (spec.Mounts.length) out.mounts = spec.Mounts.map(toOciMount);
  if (spec.Hooks) {
    const hooks = toOciHooks(spec.Hooks);
    if (hooks) out.hooks = hooks;
  }
  if (Object.keys(spec.Annotations).length) out.annotations = { ...spec.Annotations };
  if (spec.Linux) out.linux = toOciLinux(spec.Linux);
  return { value: out, warnings };
}

export function toOciProcess(p: Process, warnings: string[] = []): OciProcess {
  const out: OciProcess = {
    terminal: p.Terminal,
    user: { uid: p.User?.UID ?? 0, gid: p.User?.GID ?? 0 },
    args: [...p.Args],
    cwd: p.Cwd || '/',
  };
  if (p.User?.AdditionalGids.length) out.user.additionalGids = [...p.User.AdditionalGids];
  if (p.ConsoleSize) out.consoleSize = { height: p.ConsoleSize.Height, width: p.ConsoleSize.Width };
  if (p.Env.length) out.env = [...p.Env];
  if (p.Capabilities) {
    const c = p.Capabilities;
    out.capabilities = {
      bounding: [...c.Bounding],
      effective: [...c.Effective],
      inheritable: [...c.Inheritable],
      permitted: [...c.Permitted],
      ambient: [...c.Ambient],
    };
  }
  const rlimits: OciRlimit[] = [];
  for (const r of p.Rlimits) {
    if (RLIMIT_NAMES.includes(r.Type)) rlimits.push({ type: r.Type, hard: r.Hard, soft: r.Soft });
    else warnings.push(`unsupported rlimit ${JSON.stringify(r.Type)} dropped`);
  }
  if (rlimits.length) out.rlimits = rlimits;
  if (p.NoNewPrivileges) out.noNewPrivileges = true;
  if (p.ApparmorProfile) out.apparmorProfile = p.ApparmorProfile;
  // 1.x always set the pointer of a present Process; a zero would lower a raised
  // score, which needs privileges the agent may lack, so only real values are sent.
  if (p.OOMScoreAdj) out.oomScoreAdj = oomScoreAdj(p.OOMScoreAdj);
  if (p.SelinuxLabel) out.selinuxLabel = p.SelinuxLabel;
  return out;
}

function toOciMount(m: Mount): OciMount {
  const out: OciMount = { destination: m.destination };
  if (m.type) out.type = m.type;
  if (m.source) out.source = m.source;
  if (m.options.length) out.options = [...m.options];
  return out;
}

function toOciHook(h: Hook): OciHook {
  const out: OciHook = { path: h.Path };
  if (h.Args.length) out.args = [...h.Args];
  if (h.Env.length) out.env = [...h.Env];
  if (h.Timeout > 0) out.timeout = h.Timeout;
  return out;
}

function toOciHooks(h: Hooks): OciHooks | undefined {
  const out: OciHooks = {};
  if (h.Prestart.length) out.prestart = h.Prestart.map(toOciHook);
  if (h.Poststart.length) out.poststart = h.Poststart.map(toOciHook);
  if (h.Poststop.length) out.poststop = h.Poststop.map(toOciHook);
  return Object.keys(out).length ? out : undefined;
}

// The kernel's range for /proc/<pid>/oom_score_adj.
const OOM_SCORE_ADJ_MIN = -1000n;
const OOM_SCORE_ADJ_MAX = 1000n;

function oomScoreAdj(value: bigint): bigint {
  if (value < OOM_SCORE_ADJ_MIN || value > OOM_SCORE_ADJ_MAX) {
    throw invalidArgument(`Process.OOMScoreAdj ${value} is outside the kernel's range -1000..1000`);
  }
  return value;
}
