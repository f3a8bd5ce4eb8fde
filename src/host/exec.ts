// Runs host tools (apt-get, dpkg-deb, xz, mkfs.ext4, ...) and turns a failure into
// an error that carries the command and what it printed.
import { spawn, spawnSync, type ChildProcess, type SpawnOptions } from 'node:child_process';

interface RunResult {
  stdout: string;
  stderr: string;
}

interface RunOptions {
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  /** Bytes written to the tool's stdin. */
  input?: string | Buffer;
  /** A file descriptor that receives stdout instead of capturing it. */
  stdoutFd?: number;
}

export function run(command: string, args: string[], options: RunOptions = {}): Promise<RunResult> {
  const spawnOptions: SpawnOptions = {
    cwd: options.cwd,
    env: options.env ?? process.env,
    stdio: ['pipe', options.stdoutFd ?? 'pipe', 'pipe'],
  };
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, spawnOptions);
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout?.on('data', (b: Buffer) => out.push(b));
    child.stderr?.on('data', (b: Buffer) => err.push(b));
    child.on('error', (e) => reject(new Error(`${command}: ${e.message}`)));
    child.on('close', (code, signal) => {
      const result = { stdout: Buffer.concat(out).toString(), stderr: Buffer.concat(err).toString() };
      if (code === 0) resolve(result);
      else {
        const why = signal ? `killed by ${signal}` : `exit status ${code}`;
        const text = (result.stderr || result.stdout).trim().split('\n').slice(-8).join('\n');
        reject(new Error(`${command} ${args.join(' ')}: ${why}${text ? `\n${text}` : ''}`));
      }
    });
    child.stdin?.end(options.input);
  });
}

/** Whether a program is on PATH. */
export async function haveCommand(name: string): Promise<boolean> {
  try {
    await run('sh', ['-c', `command -v ${name}`]);
    return true;
  } catch {
    return false;
  }
}

let setprivOk: boolean | undefined;

/**
 * Spawns a long-lived helper (qemu) that dies with this process, even when this
 * process is killed: util-linux's setpriv sets the parent-death signal before
 * exec'ing it. Without setpriv, a plain spawn.
 */
export function spawnTied(command: string, args: string[], options: SpawnOptions): ChildProcess {
  setprivOk ??= spawnSync('setpriv', ['--pdeathsig', 'KILL', '--', 'true']).status === 0;
  return setprivOk
    ? spawn('setpriv', ['--pdeathsig', 'KILL', '--', command, ...args], options)
    : spawn(command, args, options);
}
