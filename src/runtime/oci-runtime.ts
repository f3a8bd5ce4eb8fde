// Drives an OCI runtime binary (crun, or runc) the way containerd's shims do: one
// bundle per container, `create` then `start`, `exec --detach` for extra processes,
// `kill`, `delete`, `pause`/`resume`, `update`. Runtime diagnostics go to a JSON log
// file, never to the container's stdio, and a failure surfaces with the runtime's
// own message.
import { withSpan } from '../tracing/span-api';
import { mkdirSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import type { OciRuntimeName } from '../config/options';
import { runChild, type ChildResult, type ExitWatcher, type StdioSpec } from '../process/spawn';

interface RuntimeInvocation {
  /** What the child's fds 0, 1 and 2 are: our pipe ends, or "ignore". */
  stdio?: readonly [number | 'ignore', number | 'ignore', number | 'ignore'];
  /** JSON log file for this call; when absent stderr is captured instead. */
  logFile?: string;
  /**
   * Run with SIGPIPE ignored. crun does not ignore it itself, so an OCI hook that
   * exits without reading the state written to its stdin would kill it.
   */
  ignoreSigpipe?: boolean;
}

interface CreateArgs extends RuntimeInvocation {
  id: string;
  bundle: string;
  pidFile: string;
  consoleSocket?: string;
  /** The guest root is an initramfs: pivot_root would fail. */
  noPivot?: boolean;
}

interface ExecArgs extends RuntimeInvocation {
  id: string;
  processFile: string;
  pidFile: string;
  consoleSocket?: string;
}

interface RuntimeState {
  id: string;
  status: string;
  pid: number;
}

/** A runtime command that failed; the message is the runtime's own. */
export class RuntimeError extends Error {
  constructor(
    readonly command: string,
    readonly exitCode: number | null,
    detail: string,
  ) {
    super(`${command}: ${detail}`);
    this.name = 'RuntimeError';
  }
}

interface OciRuntimeOptions {
  name: OciRuntimeName;
  /** Binary to run; the name looked up in PATH by default. */
  binary?: string;
  /** State directory (--root). */
  stateRoot: string;
  /** Extra environment for every call. */
  env?: NodeJS.ProcessEnv;
  /** The agent's reaper: calls are started with posix_spawn and reaped by it. */
  watcher: ExitWatcher;
}

export class OciRuntime {
  readonly name: OciRuntimeName;
  readonly stateRoot: string;
  private readonly binary: string;
  private readonly env: NodeJS.ProcessEnv;
  private readonly watcher: ExitWatcher;

  constructor(options: OciRuntimeOptions) {
    this.watcher = options.watcher;
    this.name = options.name;
    this.binary = options.binary ?? options.name;
    this.stateRoot = options.stateRoot;
    this.env = { ...process.env, ...options.env };
  }

  async create(a: CreateArgs): Promise<void> {
    mkdirSync(this.stateRoot, { recursive: true, mode: 0o700 });
    const args = ['create', '--bundle', a.bundle, '--pid-file', a.pidFile];
    if (a.consoleSocket) args.push('--console-socket', a.consoleSocket);
    if (a.noPivot) args.push('--no-pivot');
    args.push(a.id);
    await this.run(args, a);
  }

  async start(id: string, hooks = false): Promise<void> {
    await this.run(['start', id], { ignoreSigpipe: hooks });
  }

  async exec(a: ExecArgs): Promise<void> {
    const args = ['exec', '--detach', '--pid-file', a.pidFile, '--process', a.processFile];
    if (a.consoleSocket) args.push('--console-socket', a.consoleSocket);
    args.push(a.id);
    await this.run(args, a);
  }

  async kill(id: string, signal: number, all = false): Promise<void> {
    await this.run(all ? ['kill', '--all', id, String(signal)] : ['kill', id, String(signal)]);
  }

  async delete(id: string, force = false, hooks = false): Promise<void> {
    await this.run(force ? ['delete', '--force', id] : ['delete', id], { ignoreSigpipe: hooks });
  }

  async pause(id: string): Promise<void> {
    await this.run(['pause', id]);
  }

  async resume(id: string): Promise<void> {
    await this.run(['resume', id]);
  }

  /** Applies a runtime-spec `linux.resources` object written to `resourcesFile`. */
  async update(id: string, resourcesFile: string): Promise<void> {
    await this.run(['update', '--resources', resourcesFile, id]);
  }

  async state(id: string): Promise<RuntimeState> {
    const out = await this.run(['state', id]);
    return JSON.parse(out) as RuntimeState;
  }

  /** Runs one runtime command; resolves with its stdout, rejects with a RuntimeError. */
  async run(args: string[], inv: RuntimeInvocation = {}): Promise<string> {
    const global = ['--root', this.stateRoot];
    if (inv.logFile) global.push('--log', inv.logFile, '--log-format', 'json');
    const stdio: [StdioSpec, StdioSpec, StdioSpec] = inv.stdio ? [...inv.stdio] : ['ignore', 'pipe', 'pipe'];
    if (!inv.stdio && inv.logFile) stdio[2] = 'ignore';
    const command = `${this.name} ${args[0]}`;
    let result: ChildResult;
    try {
      result = await withSpan('runtime', { runtime: this.name, command: args[0] }, () =>
        this.launch([...global, ...args], stdio, inv.ignoreSigpipe ?? false),
      );
    } catch (err) {
      throw new RuntimeError(command, null, (err as Error).message);
    }
    if (result.code === 0) return result.stdout;
    const status = result.signal ? `killed by signal ${result.signal}` : `exit status ${result.code}`;
    const detail = await runtimeMessage(inv.logFile, result.stderr.trim());
    throw new RuntimeError(command, result.code, detail || status);
  }

  private launch(
    argv: string[],
    stdio: [StdioSpec, StdioSpec, StdioSpec],
    ignoreSigpipe: boolean,
  ): Promise<ChildResult> {
    return runChild(this.watcher, this.binary, argv, {
      env: this.env,
      stdio,
      keepSigpipeIgnored: ignoreSigpipe,
    });
  }
}

/** The error lines of a runtime's JSON log (crun and runc both write {"msg", "level"}), else stderr. */
async function runtimeMessage(logFile: string | undefined, stderr: string): Promise<string> {
  if (logFile) {
    const text = await readFile(logFile, 'utf8').catch(() => '');
    const messages: string[] = [];
    let last = '';
    for (const line of text.split('\n')) {
      if (!line.trim()) continue;
      try {
        const entry = JSON.parse(line) as { msg?: string; level?: string };
        if (!entry.msg) continue;
        last = entry.msg;
        if (entry.level === 'error' || entry.level === 'fatal') messages.push(entry.msg);
      } catch {
        last = line.trim();
      }
    }
    if (messages.length) return messages.join('; ');
    if (last) return last;
  }
  return stderr
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean)
    .join('; ');
}
