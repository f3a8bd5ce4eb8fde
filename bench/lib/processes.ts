// Processes the benchmarks start: the agent as a guest would run it (its
// command-line entry point, a unix socket, an empty kernel command line, guest
// and sys roots in a scratch directory), and the floors beside it.
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { AgentClient } from '../../src/client/agent-client';
import { connectUnix } from '../../src/client/dial';
import { Session } from '../../src/transport/yamux';
import { elapsedUs } from './stats';

// Compiled to dist/bench/lib/: dist/ is two levels up.
const DIST = path.resolve(__dirname, '..', '..');
const AGENT_ENTRY = path.join(DIST, 'src', 'cli', 'agent.js');
const FLOOR_SERVER_ENTRY = path.join(DIST, 'bench', 'floor-server.js');

export interface StartedProcess {
  child: ChildProcess;
  pid: number;
  dir: string;
  socket: string;
  /** Microseconds from spawn to the first answer (RPC or output byte). */
  startupUs: number;
  client(): Promise<AgentClient>;
  stop(): Promise<void>;
}

function scratch(prefix: string): string {
  return mkdtempSync(path.join(os.tmpdir(), prefix));
}

async function stopChild(child: ChildProcess, dir: string, clients: AgentClient[]): Promise<void> {
  for (const c of clients) c.destroy();
  if (child.exitCode === null && child.signalCode === null) {
    const exited = once(child, 'exit');
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
    await exited;
    clearTimeout(timer);
  }
  rmSync(dir, { recursive: true, force: true });
}

export type Transport = 'unix' | 'yamux';

/** A client on its own connection: the socket itself, or the first stream of a yamux session on it. */
async function connectClient(socket: string, transport: Transport, timeoutMs = 15_000): Promise<AgentClient> {
  const conn = await connectUnix(socket, timeoutMs);
  if (transport === 'unix') return new AgentClient(conn);
  const session = new Session(conn, { role: 'client' });
  const client = new AgentClient(session.openStream());
  const destroy = client.destroy.bind(client);
  client.destroy = () => {
    destroy();
    conn.destroy();
  };
  return client;
}

/** Connects and calls Health.Check until it answers: the first answered RPC. */
async function firstAnswer(
  socket: string,
  transport: Transport,
  child: ChildProcess,
  timeoutMs: number,
): Promise<AgentClient> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`process exited with ${child.exitCode} before answering`);
    try {
      const client = await connectClient(socket, transport, 1000);
      await client.health.check({ service: '' });
      return client;
    } catch (err) {
      if (Date.now() > until) throw err;
      await new Promise((r) => setTimeout(r, 1));
    }
  }
}

async function startServing(
  prefix: string,
  argv: (dir: string, socket: string) => string[],
  env: NodeJS.ProcessEnv = process.env,
  transport: Transport = 'unix',
): Promise<StartedProcess> {
  const dir = scratch(prefix);
  const socket = path.join(dir, 'agent.sock');
  const started = process.hrtime.bigint();
  const child = spawn(process.execPath, argv(dir, socket), { stdio: ['ignore', 'ignore', 'pipe'], env });
  let stderr = '';
  child.stderr!.on('data', (c: Buffer) => (stderr = (stderr + c.toString()).slice(-4000)));
  const clients: AgentClient[] = [];
  let first: AgentClient;
  try {
    first = await firstAnswer(socket, transport, child, 15_000);
  } catch (err) {
    await stopChild(child, dir, clients);
    throw new Error(`${(err as Error).message}\n${stderr}`);
  }
  const startupUs = elapsedUs(started);
  clients.push(first);
  let handedOut = false;
  return {
    child,
    pid: child.pid!,
    dir,
    socket,
    startupUs,
    async client() {
      // The connection that answered first is reused once.
      if (!handedOut) {
        handedOut = true;
        return first;
      }
      const c = await connectClient(socket, transport);
      clients.push(c);
      return c;
    },
    stop: () => stopChild(child, dir, clients),
  };
}

interface AgentSpawnOptions {
  /** Extra agent flags. */
  args?: string[];
  /** Extra node flags (--cpu-prof, ...). */
  nodeArgs?: string[];
  env?: NodeJS.ProcessEnv;
  /** How clients reach the unix socket (the agent tells yamux from HTTP/2 by the first bytes). */
  transport?: Transport;
  /**
   * Use the machine's /sys (for containers: the agent manages their cgroups there).
   * By default sysfs lookups go to an empty scratch tree.
   */
  realSysRoot?: boolean;
}

export function spawnAgent(options: AgentSpawnOptions = {}): Promise<StartedProcess> {
  return startServing(
    'kata-agent-bench-',
    (dir, socket) => {
      for (const sub of ['guest', 'sys']) mkdirSync(path.join(dir, sub));
      writeFileSync(path.join(dir, 'cmdline'), '');
      return [
        ...(options.nodeArgs ?? []),
        AGENT_ENTRY,
        '--listen',
        `unix://${socket}`,
        '--cmdline',
        path.join(dir, 'cmdline'),
        '--guest-root',
        path.join(dir, 'guest'),
        ...(options.realSysRoot ? [] : ['--sys-root', path.join(dir, 'sys')]),
        ...(options.args ?? []),
      ];
    },
    { ...process.env, ...options.env },
    options.transport,
  );
}

/** The unary floor: a minimal grpc-js server answering grpc.Health/Check on a unix socket. */
export function spawnFloorServer(transport: Transport = 'unix'): Promise<StartedProcess> {
  return startServing(
    'kata-agent-floor-',
    (_dir, socket) => [FLOOR_SERVER_ENTRY, socket, ...(transport === 'yamux' ? ['--yamux'] : [])],
    process.env,
    transport,
  );
}

interface BareNode {
  pid: number;
  /** Microseconds from spawn to its first output byte. */
  startupUs: number;
  stop(): Promise<void>;
}

/** The startup and memory floor: bare `node -e`, which prints once and idles. */
export async function spawnBareNode(): Promise<BareNode> {
  const started = process.hrtime.bigint();
  const child = spawn(
    process.execPath,
    ['-e', "process.stdout.write('ready\\n'); setInterval(() => {}, 1e6)"],
    {
      stdio: ['ignore', 'pipe', 'ignore'],
    },
  );
  await once(child.stdout!, 'data');
  const startupUs = elapsedUs(started);
  return {
    pid: child.pid!,
    startupUs,
    async stop() {
      const exited = once(child, 'exit');
      child.kill('SIGTERM');
      await exited;
    },
  };
}
