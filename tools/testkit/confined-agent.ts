// An agent process that cannot touch the machine, for tests that send it
// hostile requests: its own PID, mount, UTS, IPC and network namespaces; every
// mount read-only except its scratch directory and a private /run; no
// CAP_SYS_TIME, CAP_SYS_BOOT or CAP_SYS_MODULE (so no request can set the
// clock, reboot or load modules, whatever handlers exist; SetGuestDateTime
// also gets a clock that only logs). Everything it starts dies with its PID
// namespace. With `artifact`, the agent is the one the image ships: the bundle
// in dist/guest started from its V8 start-up snapshot, configured by flags and
// agent.* options as in a guest (SetGuestDateTime then fails for want of
// CAP_SYS_TIME instead of logging).
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { once } from 'node:events';
import { AgentClient } from '../../src/client/agent-client';
import { connectUnix } from '../../src/client/dial';
import { Session } from '../../src/transport/yamux';
import type { AgentConfig } from '../../src/config/options';
import type { LogLevel } from '../../src/logging/logger';
import { childPids } from './procfs';
import { AGENT_NODE_FLAGS } from '../../src/config/node-flags';
import { artifactArgs } from './artifact';

const DROPPED_CAPS = '-sys_time,-sys_boot,-sys_module,-wake_alarm';
/** Hardware address of the veth link "fuzz0" inside the confined network namespace. */
export const CONFINED_MAC = '02:00:00:00:00:01';

// Runs as PID 1 of the new PID namespace (inside the new mount namespace).
const CONFINE_SCRIPT = `
set -e
mount --bind "$DIR" "$DIR"
mount -t tmpfs -o size=64m,mode=755 tmpfs /run
for t in $(findmnt -rno TARGET); do
  case "$t" in "$DIR"|"$DIR"/*|/run|/run/*) continue ;; esac
  mount -o remount,bind,ro "$t" 2>/dev/null || true
done
# A link for network requests to find (hwAddr ${CONFINED_MAC}); its namespace is ours alone.
ip link add fuzz0 address ${CONFINED_MAC} type veth peer name fuzz1 2>/dev/null || true
set +e
setpriv --bounding-set ${DROPPED_CAPS} -- "$@"
`;

interface ConfinedAgentOptions {
  config?: Partial<AgentConfig>;
  /** Level the agent formats its log at; only warnings reach stderrTail. */
  logLevel?: LogLevel;
  /**
   * Run the shipped artifact. Of `config` only what a guest can set applies: the
   * listen address, the roots and hotplugTimeoutMs (as agent.hotplug_timeout).
   */
  artifact?: boolean;
}

/** The artifact's command line, as the image's /init builds it. */
function artifactArgv(config: Partial<AgentConfig>, level: LogLevel): string[] {
  return [
    process.execPath,
    ...artifactArgs(),
    ...(config.listen ?? []).flatMap((a) => ['--listen', a]),
    ...['--cmdline', config.cmdlinePath!, '--guest-root', config.guestRoot!],
    ...['--sys-root', config.sysRoot!, '--log-level', level],
  ];
}

interface AgentExit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export class ConfinedAgent {
  private stderr = '';
  private readonly clients: AgentClient[] = [];
  /** Settles when the confinement (and so the agent) ends. */
  readonly exited: Promise<AgentExit>;
  private exitInfo: AgentExit | undefined;

  constructor(
    private readonly child: ChildProcess,
    readonly dir: string,
    readonly socket: string,
    readonly config: Partial<AgentConfig>,
    artifact: boolean,
  ) {
    // The artifact logs every line to stderr: keep warnings and worse, as the dist/ entry does.
    let partial = '';
    child.stderr?.on('data', (chunk: Buffer) => {
      if (!artifact) {
        this.stderr = (this.stderr + chunk.toString()).slice(-64 * 1024);
        return;
      }
      const lines = (partial + chunk.toString()).split('\n');
      partial = lines.pop() ?? '';
      for (const line of lines) {
        if (line.includes('msg="agent started"')) this.started();
        if (/^time=\S+ level=(trace|debug|info) /.test(line)) continue;
        this.stderr = (this.stderr + line + '\n').slice(-64 * 1024);
      }
    });
    this.exited = once(child, 'exit').then(([code, signal]) => {
      this.exitInfo = { code: code as number | null, signal: signal as NodeJS.Signals | null };
      return this.exitInfo;
    });
  }

  /** Called once the artifact logs that it listens (the dist/ entry prints "ready"). */
  started: () => void = () => undefined;

  /** Host PID of the agent's node process (PID 2 of its namespace). */
  get pid(): number {
    const init = childPids(this.child.pid!)[0];
    const agent = init === undefined ? undefined : childPids(init)[0];
    if (agent === undefined) throw new Error(`confined agent is not running: ${this.stderrTail()}`);
    return agent;
  }

  get running(): boolean {
    return this.exitInfo === undefined;
  }

  stderrTail(): string {
    return this.stderr.slice(-4000);
  }

  /** A client on a new connection: HTTP/2 straight on the socket, or in a yamux stream on it. */
  async client(transport: 'unix' | 'yamux' = 'unix'): Promise<AgentClient> {
    const conn = await connectUnix(this.socket);
    let c: AgentClient;
    if (transport === 'unix') c = new AgentClient(conn);
    else {
      c = new AgentClient(new Session(conn, { role: 'client' }).openStream());
      const destroy = c.destroy.bind(c);
      c.destroy = () => {
        destroy();
        conn.destroy();
      };
    }
    this.clients.push(c);
    return c;
  }

  /** Asks the agent to stop, then ends the namespace by force after `graceMs`. */
  async stop(graceMs = 3000): Promise<AgentExit> {
    for (const c of this.clients) c.destroy();
    if (this.running) {
      try {
        process.kill(this.pid, 'SIGTERM');
      } catch {
        // Already gone.
      }
      const timer = setTimeout(() => this.child.kill('SIGKILL'), graceMs);
      await this.exited;
      clearTimeout(timer);
    }
    rmSync(this.dir, { recursive: true, force: true });
    return this.exitInfo!;
  }
}

export async function startConfinedAgent(options: ConfinedAgentOptions = {}): Promise<ConfinedAgent> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'kata-agent-confined-'));
  for (const sub of ['guest', 'sys', 'tmp']) mkdirSync(path.join(dir, sub));
  const hotplug = options.config?.hotplugTimeoutMs;
  writeFileSync(path.join(dir, 'cmdline'), hotplug ? `agent.hotplug_timeout=${hotplug}ms\n` : '');
  const socket = path.join(dir, 'agent.sock');
  const config: Partial<AgentConfig> = {
    listen: [`unix://${socket}`],
    cmdlinePath: path.join(dir, 'cmdline'),
    guestRoot: path.join(dir, 'guest'),
    sysRoot: path.join(dir, 'sys'),
    ...options.config,
  };
  const level = options.logLevel ?? 'info';
  const main = path.join(__dirname, 'confined-agent-main.js');
  const argv = options.artifact
    ? artifactArgv(config, level)
    : [process.execPath, ...AGENT_NODE_FLAGS, main, '--serve', JSON.stringify(config), level];
  const child = spawn(
    'unshare',
    [
      '--pid',
      '--fork',
      '--kill-child',
      '--mount',
      '--uts',
      '--ipc',
      '--net',
      '--propagation',
      'private',
      '--',
      'sh',
      '-c',
      CONFINE_SCRIPT,
      'confine',
      ...argv,
    ],
    { env: { ...process.env, DIR: dir, TMPDIR: path.join(dir, 'tmp') }, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const agent = new ConfinedAgent(child, dir, socket, config, options.artifact === true);
  const ready = new Promise<void>((resolve, reject) => {
    agent.started = resolve;
    let out = '';
    child.stdout!.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      if (out.includes('ready\n')) resolve();
    });
    void agent.exited.then((e) =>
      reject(
        new Error(`confined agent exited before it was ready (${JSON.stringify(e)}): ${agent.stderrTail()}`),
      ),
    );
  });
  await ready;
  return agent;
}
