// A test agent with a sandbox, a busybox rootfs and helpers to run containers
// through the client library, the way a host runtime would.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, readlinkSync, rmSync, symlinkSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Code as status } from '../../src/common/status';
import type { AgentClient } from '../../src/client/agent-client';
import { RpcError } from '../../src/client/grpc-unary';
import type { OciRuntimeName } from '../../src/config/options';
import { CreateContainerRequest, type CreateSandboxRequest } from '../../src/generated/agent';
import { Process, Spec } from '../../src/generated/oci';
import { startTestAgent, type TestAgent } from './agent';
import type { StartOptions } from '../../src/agent';
import { LocalStorage } from './local-storage';
import { busyboxRootfs } from './rootfs';

export const RUNTIMES: OciRuntimeName[] = (process.env.TEST_RUNTIMES?.split(',') as OciRuntimeName[]) ?? [
  'crun',
  'runc',
];

/** A suite that hangs fails instead (an agent bug must not stall the run). */
export const SUITE_TIMEOUT_MS = 120_000;

let sandboxSeq = 0;

export interface Harness {
  t: TestAgent;
  c: AgentClient;
  storage: LocalStorage;
  sandboxId: string;
  runtime: OciRuntimeName;
  /** Path of a guest path on this machine. */
  guest(p: string): string;
  stop(): Promise<void>;
}

interface HarnessOptions {
  runtime: OciRuntimeName;
  sandbox?: Partial<CreateSandboxRequest>;
  /** Skip CreateSandbox. */
  noSandbox?: boolean;
  /** The agent's own storage drivers instead of the local/ephemeral test double. */
  realStorage?: boolean;
  config?: Parameters<typeof startTestAgent>[0];
  /** Kernel command line of the agent ("agent.trace", ...). */
  cmdline?: string;
  /** Everything else startAgent takes (a span exporter, ...); storage stays the harness's. */
  start?: Omit<StartOptions, 'storage'>;
  /** Collects the agent's log lines at info level and up. */
  logLines?: string[];
}

/** True when some ancestor process is in another `ns` namespace than this one. */
function belowNamespaceBoundary(ns: string): boolean {
  const mine = readlinkSync(`/proc/self/ns/${ns}`);
  for (let pid = process.ppid; pid > 1;) {
    try {
      if (readlinkSync(`/proc/${pid}/ns/${ns}`) !== mine) return true;
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      pid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
    } catch {
      return false;
    }
  }
  return false;
}

/** Mounts, hostnames and namespaces must stay inside the test's private namespaces. */
function requirePrivateNamespaces(): void {
  for (const ns of ['mnt', 'uts', 'ipc']) {
    if (!belowNamespaceBoundary(ns))
      throw new Error(`container tests need a private ${ns} namespace: run them with scripts/test.sh`);
  }
}

export async function startHarness(o: HarnessOptions): Promise<Harness> {
  requirePrivateNamespaces();
  const guestRoot = mkdtempSync(path.join(os.tmpdir(), 'kata-guest-'));
  const storage = new LocalStorage(guestRoot);
  const t = await startTestAgent(
    { ociRuntime: o.runtime, guestRoot, ...o.config },
    o.cmdline ?? '',
    { ...o.start, ...(o.realStorage ? {} : { storage }) },
    o.logLines,
  );
  symlinkSync(busyboxRootfs(), path.join(t.config.guestRoot, 'rootfs'));
  const c = await t.client();
  const sandboxId = `t${process.pid}-${++sandboxSeq}`;
  if (!o.noSandbox) {
    await c.agent.createSandbox({
      hostname: '',
      dns: [],
      storages: [],
      sandbox_pidns: false,
      sandbox_id: sandboxId,
      guest_hook_path: '',
      kernel_modules: [],
      ...o.sandbox,
    });
  }
  return {
    t,
    c,
    storage,
    sandboxId,
    runtime: o.runtime,
    guest: (p) => path.join(t.config.guestRoot, p),
    async stop() {
      await c.agent.destroySandbox({}).catch(() => undefined);
      await t.stop();
      rmSync(guestRoot, { recursive: true, force: true });
    },
  };
}

interface SpecOptions {
  terminal?: boolean;
  env?: string[];
  cwd?: string;
  /** Root.Path; "/rootfs" (the busybox tree under the guest root) by default. */
  root?: string;
  hostname?: string;
  memoryLimit?: number;
  user?: { uid?: number; gid?: number; username?: string };
  oomScoreAdj?: bigint;
  linux?: Partial<Spec['Linux']>;
  hooks?: Spec['Hooks'];
  /** Added after the standard ones. */
  mounts?: Spec['Mounts'];
}

export function busyboxProcess(args: string[], o: SpecOptions = {}): Process {
  return Process.fromPartial({
    Terminal: o.terminal ?? false,
    Args: args,
    Env: o.env ?? ['PATH=/bin', 'HOME=/root'],
    Cwd: o.cwd ?? '/',
    User: { UID: o.user?.uid ?? 0, GID: o.user?.gid ?? 0, Username: o.user?.username ?? '' },
    Capabilities: {
      Bounding: ['CAP_AUDIT_WRITE', 'CAP_KILL', 'CAP_NET_BIND_SERVICE'],
      Effective: ['CAP_AUDIT_WRITE', 'CAP_KILL', 'CAP_NET_BIND_SERVICE'],
      Permitted: ['CAP_AUDIT_WRITE', 'CAP_KILL', 'CAP_NET_BIND_SERVICE'],
    },
    Rlimits: [{ Type: 'RLIMIT_NOFILE', Hard: 1024, Soft: 1024 }],
    NoNewPrivileges: true,
    OOMScoreAdj: o.oomScoreAdj ?? 0n,
  });
}

export function busyboxSpec(args: string[], o: SpecOptions = {}): Spec {
  return Spec.fromPartial({
    Version: '1.0.2',
    Process: busyboxProcess(args, o),
    Root: { Path: o.root ?? '/rootfs', Readonly: false },
    Hostname: o.hostname ?? '',
    Hooks: o.hooks,
    Mounts: [
      { destination: '/proc', type: 'proc', source: 'proc', options: [] },
      { destination: '/dev', type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'mode=755', 'size=65536k'] },
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
        options: ['nosuid', 'noexec', 'nodev', 'size=1m'],
      },
      { destination: '/sys', type: 'sysfs', source: 'sysfs', options: ['nosuid', 'noexec', 'nodev', 'ro'] },
      ...(o.mounts ?? []),
    ],
    Linux: {
      Namespaces: [{ Type: 'mount' }, { Type: 'network' }],
      Resources: {
        Devices: [{ Allow: false, Access: 'rwm' }],
        Memory: o.memoryLimit ? { Limit: o.memoryLimit } : undefined,
      },
      MaskedPaths: ['/proc/kcore'],
      ReadonlyPaths: ['/proc/sys'],
      ...o.linux,
    },
  });
}

export async function createContainer(
  h: Harness,
  id: string,
  args: string[],
  o: SpecOptions & Partial<Omit<CreateContainerRequest, 'OCI'>> = {},
): Promise<void> {
  await h.c.agent.createContainer(
    CreateContainerRequest.fromPartial({
      container_id: id,
      exec_id: id,
      OCI: busyboxSpec(args, o),
      storages: o.storages ?? [],
      sandbox_pidns: o.sandbox_pidns ?? false,
      agent_pidns: o.agent_pidns ?? false,
    }),
  );
}

/** Everything a stream yields until the agent answers end-of-stream (UNKNOWN "EOF"). */
export async function readAll(
  h: Harness,
  containerId: string,
  execId: string,
  stream: 'stdout' | 'stderr',
  len = 32 * 1024,
): Promise<string> {
  const chunks: Buffer[] = [];
  const read = stream === 'stdout' ? h.c.agent.readStdout : h.c.agent.readStderr;
  for (;;) {
    try {
      const { data } = await read({ container_id: containerId, exec_id: execId, len });
      assert.ok(data.length <= len, `read returned ${data.length} > ${len} bytes`);
      chunks.push(data);
    } catch (err) {
      if (err instanceof RpcError && err.details === 'EOF') break;
      throw err;
    }
  }
  return Buffer.concat(chunks).toString();
}

/** Creates, starts and waits for a container; returns its output and exit code, then removes it. */
export async function run(
  h: Harness,
  id: string,
  args: string[],
  o: SpecOptions = {},
): Promise<{ stdout: string; stderr: string; status: number }> {
  await createContainer(h, id, args, o);
  await h.c.agent.startContainer({ container_id: id });
  const [stdout, stderr, { status }] = await Promise.all([
    readAll(h, id, id, 'stdout'),
    readAll(h, id, id, 'stderr'),
    h.c.agent.waitProcess({ container_id: id, exec_id: id }),
  ]);
  await h.c.agent.removeContainer({ container_id: id, timeout: 0 });
  return { stdout, stderr, status };
}

export async function exec(
  h: Harness,
  containerId: string,
  execId: string,
  args: string[],
  o: SpecOptions = {},
): Promise<void> {
  await h.c.agent.execProcess({
    container_id: containerId,
    exec_id: execId,
    string_user: undefined,
    process: busyboxProcess(args, o),
  });
}

export async function expectCode(p: Promise<unknown>, code: status, message?: RegExp): Promise<RpcError> {
  try {
    await p;
  } catch (err) {
    assert.ok(err instanceof RpcError, `expected an RpcError, got ${String(err)}`);
    assert.equal(err.code, code, `expected code ${code}, got ${err.code}: ${err.details}`);
    if (message) assert.match(err.details, message);
    return err;
  }
  assert.fail(`expected the call to fail with code ${code}`);
}

/** The container's cgroup directory for a v1 controller (tests run with cgroup v1). */
export function cgroupDir(h: Harness, controller: string, containerId: string): string {
  return `/sys/fs/cgroup/${controller}/kata/${h.sandboxId}/${containerId}`;
}

export function sandboxCgroupExists(h: Harness): boolean {
  return ['memory', 'pids', 'freezer', 'cpu'].some((c) =>
    existsSync(`/sys/fs/cgroup/${c}/kata/${h.sandboxId}`),
  );
}
