// hashicorp's Go yamux as a test peer (test/fixtures/yamux-peer/main.go), built
// offline from Debian's golang-go and golang-github-hashicorp-yamux-dev once per
// source version and cached in the temp directory.
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline';

const SOURCE = path.join(__dirname, '..', '..', '..', 'test', 'fixtures', 'yamux-peer', 'main.go');
const GOPATH = '/usr/share/gocode';

export function yamuxPeerBinary(): string {
  const source = readFileSync(SOURCE);
  const digest = createHash('sha256').update(source).digest('hex').slice(0, 16);
  const dir = path.join(os.tmpdir(), 'kata-agent-yamux-peer');
  const binary = path.join(dir, `yamux-peer-${digest}`);
  if (existsSync(binary)) return binary;
  mkdirSync(dir, { recursive: true });
  const partial = `${binary}.${process.pid}`;
  execFileSync('go', ['build', '-o', partial, SOURCE], {
    cwd: dir,
    env: {
      ...process.env,
      GO111MODULE: 'off',
      GOPATH,
      GOFLAGS: '',
      GOCACHE: path.join(dir, 'gocache'),
      GOPROXY: 'off',
    },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  renameSync(partial, binary);
  // Builds of older versions of the source are of no further use.
  for (const old of readdirSync(dir)) {
    if (old.startsWith('yamux-peer-') && path.join(dir, old) !== binary)
      rmSync(path.join(dir, old), { force: true });
  }
  return binary;
}

export interface GoPeer {
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
        exited.then((code) => reject(new Error(`yamux-peer exited (${code}) before "${prefix}": ${err}`)));
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
