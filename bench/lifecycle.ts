// Container lifecycle and exec through the agent, next to the same work done by a
// bare `crun` in the same run: create+start+wait+remove of `true` against
// `crun run` of the very bundle the agent wrote, and ExecProcess+WaitProcess
// against `crun exec` into the same container; the lifecycle also against the
// runtime calls the agent makes (create, start, delete) by hand. Prints medians,
// p90s and ratios; `npm run bench` (bench/run.ts) calls measureLifecycle once per round.
//   bash scripts/bench-lifecycle.sh [--iterations N] [--runtime crun|runc]
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { startAgent } from '../src/agent';
import { AgentClient } from '../src/client/agent-client';
import { connectUnix } from '../src/client/dial';
import { defaultConfig, type OciRuntimeName } from '../src/config/options';
import { CreateContainerRequest, CreateSandboxRequest } from '../src/generated/agent';
import { Process, Spec } from '../src/generated/oci';
import { createLogger } from '../src/logging/logger';
import { buildBusyboxRootfs } from '../src/tools/busybox-rootfs';

interface LifecycleOptions {
  iterations: number;
  warmup: number;
  runtime: OciRuntimeName;
  /** No progress lines on stderr. */
  quiet?: boolean;
}

interface LifecycleResult {
  /** Milliseconds per iteration, sorted. */
  agentLifecycle: number[];
  bareLifecycle: number[];
  /** The same bundle through separate create, start and delete calls, as the agent makes them. */
  bareSplit: number[];
  agentExec: number[];
  bareExec: number[];
  /** Milliseconds per agent call of the lifecycle, in iteration order. */
  phases: Record<string, number[]>;
}

function processOf(args: string[]): Process {
  return Process.fromPartial({
    Args: args,
    Env: ['PATH=/bin'],
    Cwd: '/',
    User: { UID: 0, GID: 0 },
    Capabilities: {
      Bounding: ['CAP_KILL'],
      Effective: ['CAP_KILL'],
      Permitted: ['CAP_KILL'],
    },
    Rlimits: [{ Type: 'RLIMIT_NOFILE', Hard: 1024, Soft: 1024 }],
    NoNewPrivileges: true,
  });
}

function specOf(args: string[]): Spec {
  return Spec.fromPartial({
    Version: '1.0.2',
    Process: processOf(args),
    Root: { Path: '/rootfs', Readonly: false },
    Mounts: [{ destination: '/proc', type: 'proc', source: 'proc', options: [] }],
    Linux: { Namespaces: [{ Type: 'mount' }, { Type: 'network' }] },
  });
}

function run(command: string, args: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    const err: Buffer[] = [];
    child.stdout.resume();
    child.stderr.on('data', (b: Buffer) => err.push(b));
    child.once('error', reject);
    child.once('close', (code) =>
      code === 0 ? resolve() : reject(new Error(`${command} ${args.join(' ')}: ${Buffer.concat(err)}`)),
    );
  });
}

/** Runs a command with its stdio on /dev/null (a created container keeps what it inherits). */
function runQuiet(command: string, args: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: 'ignore' });
    child.once('error', reject);
    child.once('exit', (code) =>
      code === 0 ? resolve() : reject(new Error(`${command} ${args.join(' ')}: exit ${code}`)),
    );
  });
}

/** Until `pid` is gone or a zombie (this process reaps orphans while an agent runs in it). */
async function exited(pid: number): Promise<void> {
  for (;;) {
    let state: string;
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      state = stat.charAt(stat.lastIndexOf(')') + 2);
    } catch {
      return;
    }
    if (state === 'Z') return;
    await new Promise((r) => setTimeout(r, 1));
  }
}

/** Times the functions in turn, iteration by iteration (so load changes hit all alike); sorted samples of each. */
async function measureAlternating(
  o: LifecycleOptions,
  label: string,
  fns: ((i: number) => Promise<void>)[],
): Promise<number[][]> {
  const times: number[][] = fns.map(() => []);
  for (let i = -o.warmup; i < o.iterations; i++) {
    for (const [k, fn] of fns.entries()) {
      const start = process.hrtime.bigint();
      await fn(i + o.warmup);
      if (i >= 0) times[k].push(Number(process.hrtime.bigint() - start) / 1e6);
    }
  }
  if (!o.quiet) process.stderr.write(`measured ${label}\n`);
  return times.map((t) => t.sort((x, y) => x - y));
}

const quantile = (sorted: number[], q: number): number =>
  sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];

export async function measureLifecycle(o: LifecycleOptions): Promise<LifecycleResult> {
  const RUNTIME = o.runtime;
  const dir = mkdtempSync(path.join(os.tmpdir(), 'kata-bench-'));
  const guestRoot = path.join(dir, 'guest');
  mkdirSync(guestRoot);
  buildBusyboxRootfs(path.join(guestRoot, 'rootfs'));
  const socket = path.join(dir, 'agent.sock');
  const config = { ...defaultConfig(), listen: [`unix://${socket}`], guestRoot, ociRuntime: RUNTIME };
  const agent = await startAgent(config, createLogger({ level: 'silent' }));
  const client = new AgentClient(await connectUnix(socket));
  const api = client.agent;
  const sandboxId = `bench${process.pid}`;
  try {
    await api.createSandbox(CreateSandboxRequest.fromPartial({ sandbox_id: sandboxId }));
    const create = (id: string, args: string[]) =>
      api.createContainer(
        CreateContainerRequest.fromPartial({ container_id: id, exec_id: id, OCI: specOf(args) }),
      );

    // The bare runtime gets the config.json the agent wrote, with its own cgroup.
    await create('template', ['true']);
    const template = JSON.parse(
      readFileSync(path.join(guestRoot, 'run/kata-agent/bundles/template/config.json'), 'utf8'),
    ) as { linux: { cgroupsPath: string } };
    await api.removeContainer({ container_id: 'template', timeout: 0 });
    const bareBundle = path.join(dir, 'bare');
    const bareState = path.join(dir, 'bare-state');
    mkdirSync(bareBundle);
    template.linux.cgroupsPath = `/kata/${sandboxId}/bare`;
    writeFileSync(path.join(bareBundle, 'config.json'), JSON.stringify(template));

    const phases: Record<string, number[]> = { create: [], start: [], wait: [], remove: [] };
    const timed = async (phase: string, fn: () => Promise<unknown>): Promise<void> => {
      const start = process.hrtime.bigint();
      await fn();
      phases[phase].push(Number(process.hrtime.bigint() - start) / 1e6);
    };
    const [agentLifecycle, bareLifecycle, bareSplit] = await measureAlternating(o, 'lifecycle', [
      async (i) => {
        const id = `c${i}`;
        await timed('create', () => create(id, ['true']));
        await timed('start', () => api.startContainer({ container_id: id }));
        await timed('wait', () => api.waitProcess({ container_id: id, exec_id: id }));
        await timed('remove', () => api.removeContainer({ container_id: id, timeout: 0 }));
      },
      (i) => run(RUNTIME, ['--root', bareState, 'run', '--bundle', bareBundle, `bare${i}`]),
      async (i) => {
        const id = `split${i}`;
        const pidFile = path.join(dir, `${id}.pid`);
        const create = ['create', '--bundle', bareBundle, '--pid-file', pidFile, id];
        await runQuiet(RUNTIME, ['--root', bareState, ...create]);
        const pid = Number(readFileSync(pidFile, 'utf8'));
        await runQuiet(RUNTIME, ['--root', bareState, 'start', id]);
        await exited(pid);
        await runQuiet(RUNTIME, ['--root', bareState, 'delete', id]);
      },
    ]);

    await create('host', ['cat']);
    await api.startContainer({ container_id: 'host' });
    const stateRoot = path.join(guestRoot, 'run/kata-agent/runtime', RUNTIME);
    const [agentExec, bareExec] = await measureAlternating(o, 'exec', [
      async (i) => {
        const execId = `e${i}`;
        await api.execProcess({
          container_id: 'host',
          exec_id: execId,
          string_user: undefined,
          process: processOf(['true']),
        });
        await api.waitProcess({ container_id: 'host', exec_id: execId });
      },
      () => run(RUNTIME, ['--root', stateRoot, 'exec', 'host', 'true']),
    ]);
    await api.removeContainer({ container_id: 'host', timeout: 0 });

    return { agentLifecycle, bareLifecycle, bareSplit, agentExec, bareExec, phases };
  } finally {
    client.destroy();
    // DestroySandbox also removes the sandbox cgroup; `crun run` deleted its own.
    await agent.shutdown();
    rmSync(dir, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      iterations: { type: 'string', default: '40' },
      warmup: { type: 'string', default: '5' },
      runtime: { type: 'string', default: 'crun' },
    },
  });
  const ITERATIONS = Number(values.iterations);
  const WARMUP = Number(values.warmup);
  const RUNTIME = values.runtime as OciRuntimeName;
  const { agentLifecycle, bareLifecycle, bareSplit, agentExec, bareExec, phases } = await measureLifecycle({
    iterations: ITERATIONS,
    warmup: WARMUP,
    runtime: RUNTIME,
  });
  const row = (name: string, agentTimes: number[], bare: number[]): string =>
    `${name.padEnd(28)} agent median ${quantile(agentTimes, 0.5).toFixed(1)} ms p90 ${quantile(agentTimes, 0.9).toFixed(1)} ms | ` +
    `bare median ${quantile(bare, 0.5).toFixed(1)} ms p90 ${quantile(bare, 0.9).toFixed(1)} ms | ` +
    `ratio ${(quantile(agentTimes, 0.5) / quantile(bare, 0.5)).toFixed(2)}x`;
  process.stdout.write(`${RUNTIME}, ${ITERATIONS} iterations after ${WARMUP} warm-up\n`);
  process.stdout.write(row('create+start+wait+remove', agentLifecycle, bareLifecycle) + '\n');
  process.stdout.write(row('  against create,start,delete', agentLifecycle, bareSplit) + '\n');
  process.stdout.write(row('exec+wait', agentExec, bareExec) + '\n');
  const median = (xs: number[]): string =>
    quantile(
      [...xs].sort((a, b) => a - b),
      0.5,
    ).toFixed(1);
  process.stdout.write(
    `agent phases (median ms): ${Object.entries(phases)
      .map(([k, v]) => `${k} ${median(v)}`)
      .join(', ')}\n`,
  );
}

if (require.main === module) {
  main().catch((err: Error) => {
    process.stderr.write(`bench failed: ${err.stack ?? err.message}\n`);
    process.exit(1);
  });
}
