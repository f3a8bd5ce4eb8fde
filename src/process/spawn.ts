// Short-lived helper processes (the OCI runtime's calls) started with the addon's
// posix_spawn instead of child_process: uv_spawn forks the whole agent on the event
// loop's thread, which costs milliseconds per call for a large Node process. The
// child is reaped by the agent's reaper, which reports its exit status.
import net from 'node:net';
import { native } from '../native';
import type { ExitStatus } from './reaper';

export type StdioSpec = number | 'ignore' | 'pipe';

export interface ChildResult extends ExitStatus {
  stdout: string;
  stderr: string;
}

export interface ExitWatcher {
  watch(pid: number): Promise<ExitStatus>;
}

interface RunChildOptions {
  env: NodeJS.ProcessEnv;
  stdio: readonly [StdioSpec, StdioSpec, StdioSpec];
  /** Leave SIGPIPE ignored in the child (Node ignores it; the child inherits that). */
  keepSigpipeIgnored?: boolean;
}

/** Runs `file` to completion; output of "pipe" streams is collected. Rejects only if it cannot start. */
export async function runChild(
  watcher: ExitWatcher,
  file: string,
  args: string[],
  o: RunChildOptions,
): Promise<ChildResult> {
  const n = native();
  const childFds: [number, number, number] = [-1, -1, -1];
  const ours: (number | undefined)[] = [undefined, undefined, undefined];
  const toClose: number[] = [];
  try {
    o.stdio.forEach((spec, i) => {
      if (typeof spec === 'number') childFds[i] = spec;
      else if (spec === 'pipe' && i > 0) {
        const [read, write] = n.pipe(false, false);
        ours[i] = read;
        childFds[i] = write;
        toClose.push(write);
      }
    });
    const env = Object.entries(o.env)
      .filter(([, v]) => v !== undefined)
      .map(([k, v]) => `${k}=${v}`);
    const pid = n.spawn(file, [file, ...args], env, childFds, o.keepSigpipeIgnored ?? false);
    const exit = watcher.watch(pid);
    for (const fd of toClose.splice(0)) n.close(fd);
    const [stdout, stderr] = await Promise.all([collect(ours[1]), collect(ours[2])]);
    ours.fill(undefined);
    return { ...(await exit), stdout, stderr };
  } finally {
    for (const fd of [...toClose, ...ours]) if (fd !== undefined) n.close(fd);
  }
}

/** Everything read from `fd` until end of file (the socket owns and closes the fd). */
function collect(fd: number | undefined): Promise<string> {
  if (fd === undefined) return Promise.resolve('');
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    const socket = new net.Socket({ fd, readable: true, writable: false });
    socket.on('data', (b: Buffer) => chunks.push(b));
    socket.on('error', () => undefined);
    socket.on('close', () => resolve(Buffer.concat(chunks).toString()));
  });
}
