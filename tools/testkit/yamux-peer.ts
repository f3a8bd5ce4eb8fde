// hashicorp's Go yamux as a test peer (test/fixtures/yamux-peer/main.go), built
// offline from Debian's golang-go and golang-github-hashicorp-yamux-dev (see
// go-build.ts).
import { spawn, type ChildProcess } from 'node:child_process';
import readline from 'node:readline';
import { goFixtureBinary } from './go-build';

export function yamuxPeerBinary(): string {
  return goFixtureBinary('yamux-peer');
}

interface GoPeer {
  child: ChildProcess;
  /** Resolves with the first stdout line that starts with `prefix`. */
  line(prefix: string): Promise<string>;
  /** Resolves with the exit code. */
  exited: Promise<number | null>;
  stderr(): string;
  stop(): Promise<void>;
}

export function startGoPeer(args: string[]): GoPeer {
  const child = spawn(yamuxPeerBinary(), args, { stdio: ['pipe', 'pipe', 'pipe'] });
  const lines: string[] = [];
  const waiters: { prefix: string; resolve: (l: string) => void }[] = [];
  let err = '';
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  readline.createInterface({ input: child.stdout! }).on('line', (l) => {
    lines.push(l);
    for (const w of [...waiters]) {
      if (l.startsWith(w.prefix)) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve(l);
      }
    }
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return {
    child,
    exited,
    stderr: () => err,
    line(prefix) {
      const seen = lines.find((l) => l.startsWith(prefix));
      if (seen) return Promise.resolve(seen);
      return new Promise((resolve, reject) => {
        waiters.push({ prefix, resolve });
        void exited.then((code) =>
          reject(new Error(`yamux-peer exited (${code}) before "${prefix}": ${err}`)),
        );
      });
    },
    async stop() {
      // Closing stdin asks the peer to exit; the signal is for a stuck one.
      child.stdin!.end();
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(timer);
    },
  };
}
