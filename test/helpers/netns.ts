// Scratch network namespaces for network tests, and an agent process running
// inside one. Node cannot move its own threads into another network
// namespace, so the agent runs as a child under `ip netns exec`; the test
// talks to it over a unix socket (the filesystem is shared).
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { AgentClient } from '../../src/client/agent-client';
import { connectUnix } from '../../src/client/dial';
import { artifactArgs } from '../../tools/testkit/artifact';

const run = promisify(execFile);

export class ScratchNetns {
  private constructor(readonly name: string) {}

  /** A new, empty namespace (only lo, down) named kta-<random>. */
  static async create(): Promise<ScratchNetns> {
    const name = `kta-${randomBytes(5).toString('hex')}`;
    await run('ip', ['netns', 'add', name]);
    const ns = new ScratchNetns(name);
    // No IPv6 duplicate address detection in here: a link-local address would
    // otherwise change from "tentative" to settled in the middle of a comparison.
    for (const scope of ['all', 'default'])
      await ns.sysctl(`net.ipv6.conf.${scope}.accept_dad`, '0').catch(() => undefined);
    return ns;
  }

  /** `ip -n <ns> args...`; rejects with ip's stderr on failure. */
  async ip(...args: string[]): Promise<string> {
    try {
      return (await run('ip', ['-n', this.name, ...args])).stdout;
    } catch (err) {
      throw new Error(`ip ${args.join(' ')}: ${(err as { stderr?: string }).stderr ?? String(err)}`);
    }
  }

  /** `ip -n <ns> -j -N args...` parsed (numeric protocol and scope). */
  async ipJson<T = unknown>(...args: string[]): Promise<T> {
    const out = await this.ip('-j', '-N', ...args);
    return JSON.parse(out.trim() || '[]') as T;
  }

  /** Runs several `ip` commands in one process (`ip -batch`). */
  async batch(lines: string[]): Promise<void> {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'kta-batch-'));
    try {
      writeFileSync(path.join(dir, 'cmds'), lines.join('\n') + '\n');
      await this.ip('-batch', path.join(dir, 'cmds'));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }

  /** Writes a sysctl of this namespace (net.* keys are per namespace). */
  async sysctl(key: string, value: string): Promise<void> {
    await this.exec('sysctl', ['-q', '-w', `${key}=${value}`]);
  }

  /** A command inside the namespace. */
  exec(command: string, args: string[]): Promise<{ stdout: string; stderr: string }> {
    return run('ip', ['netns', 'exec', this.name, command, ...args]);
  }

  spawn(command: string, args: string[]): ChildProcess {
    return spawn('ip', ['netns', 'exec', this.name, command, ...args], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
  }

  async destroy(): Promise<void> {
    await run('ip', ['netns', 'del', this.name]);
  }
}

interface NetnsAgent {
  client: AgentClient;
  /** What the agent wrote to stderr so far. */
  log(): string;
  /** Whether the process is still running (a crash shows here). */
  alive(): boolean;
  stop(): Promise<void>;
}

/** Starts `kata-agent` inside `ns`, connected once it logs that it listens. */
async function startAgentIn(ns: ScratchNetns): Promise<NetnsAgent> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'kta-agent-'));
  const socket = path.join(dir, 'agent.sock');
  writeFileSync(path.join(dir, 'cmdline'), '');
  // The shipped artifact: the bundle started from its snapshot.
  const child = ns.spawn(process.execPath, [
    ...artifactArgs(),
    '--listen',
    `unix://${socket}`,
    '--cmdline',
    path.join(dir, 'cmdline'),
  ]);
  let log = '';
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  try {
    await new Promise<void>((resolve, reject) => {
      child.stderr!.on('data', (d: Buffer) => {
        log += d.toString();
        if (log.includes('msg=listening')) resolve();
      });
      child.once('exit', (code) => reject(new Error(`agent exited with ${code} before listening:\n${log}`)));
    });
  } catch (err) {
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
  const client = new AgentClient(await connectUnix(socket));
  return {
    client,
    log: () => log,
    alive: () => child.exitCode === null && child.signalCode === null,
    async stop() {
      client.destroy();
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        await exited;
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** A namespace with an agent in it for the duration of `body`; both are always removed. */
export async function withAgentInNetns(
  body: (ns: ScratchNetns, agent: NetnsAgent) => Promise<void>,
): Promise<void> {
  const ns = await ScratchNetns.create();
  try {
    const agent = await startAgentIn(ns);
    try {
      await body(ns, agent);
    } finally {
      await agent.stop();
    }
  } finally {
    await ns.destroy();
  }
}
