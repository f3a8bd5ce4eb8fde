// grpc-go as the agent's client (test/fixtures/grpc-go-client/main.go), built
// offline from Debian's golang-google-grpc-dev and golang-github-hashicorp-yamux-dev
// (see go-build.ts). Requests and responses are raw protobuf bytes: the test
// encodes and decodes them with the generated TypeScript codecs.
import { spawn } from 'node:child_process';
import readline from 'node:readline';
import { goFixtureBinary } from './go-build';

export function grpcGoClientBinary(): string {
  return goFixtureBinary('grpc-go-client');
}

export interface GoCall {
  /** e.g. /grpc.Health/Check */
  method: string;
  request: Uint8Array;
  /** The call's deadline; none when absent or 0. */
  timeoutMs?: number;
}

export type GoResult = (
  { ok: true; response: Buffer } | { ok: false; code: number; /** As grpc-go decoded it. */ message: string }
) & {
  /** Milliseconds from the client's start to this answer's line (one by one only). */
  at: number;
};

interface GoRunOptions {
  /** Through a hashicorp yamux client session on the socket, as the 1.x runtime dials. */
  yamux?: boolean;
  /** Every call at once on the one connection. */
  parallel?: boolean;
  /** The :authority header to send instead of grpc-go's own ("localhost" for the unix: target). */
  authority?: string;
}

function parseLine(line: string, at: number): GoResult {
  const ok = /^ok ([0-9a-f]*)$/.exec(line);
  if (ok) return { ok: true, response: Buffer.from(ok[1], 'hex'), at };
  const err = /^err (\d+) (".*")$/.exec(line);
  if (err) return { ok: false, code: Number(err[1]), message: JSON.parse(err[2]) as string, at };
  throw new Error(`unexpected grpc-go-client line: ${line}`);
}

/**
 * One grpc-go client process (one connection) against the unix socket, fed
 * `calls` on stdin; `onLine` gets each output line as it comes.
 */
async function runClient(
  args: string[],
  calls: GoCall[],
  onLine: (line: string) => void,
): Promise<{ code: number | null; stderr: string }> {
  const child = spawn(grpcGoClientBinary(), args, { stdio: ['pipe', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  readline.createInterface({ input: child.stdout }).on('line', onLine);
  const exited = new Promise<number | null>((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code) => resolve(code));
  });
  child.stdin.end(
    calls.map((c) => `${c.method} ${Buffer.from(c.request).toString('hex')} ${c.timeoutMs ?? 0}\n`).join(''),
  );
  return { code: await exited, stderr };
}

function clientArgs(socket: string, options: GoRunOptions & GoBenchOptions): string[] {
  const args = ['-socket', socket];
  if (options.yamux) args.push('-yamux');
  if (options.parallel) args.push('-parallel');
  if (options.authority) args.push('-authority', options.authority);
  if (options.repeat) args.push('-repeat', String(options.repeat));
  if (options.drain) args.push('-drain');
  return args;
}

/** Runs the calls in one grpc-go client process (one connection) against the unix socket. */
export async function runGoCalls(
  socket: string,
  calls: GoCall[],
  options: GoRunOptions = {},
): Promise<GoResult[]> {
  const start = performance.now();
  const results: GoResult[] = [];
  const { code, stderr } = await runClient(clientArgs(socket, options), calls, (l) =>
    results.push(parseLine(l, performance.now() - start)),
  );
  if (code !== 0 || results.length !== calls.length) {
    throw new Error(
      `grpc-go-client exited ${code} after ${results.length}/${calls.length} answers: ${stderr}`,
    );
  }
  return results;
}

interface GoBenchOptions {
  /** Run each call this many times; each line is then "took NANOS". */
  repeat?: number;
  /** Run each call until it fails; each line is then "drained CALLS BYTES NANOS". */
  drain?: boolean;
}

/** grpc-go timing its own calls (no process start or pipe in the figure): one output line per call. */
export async function runGoBench(
  socket: string,
  calls: GoCall[],
  options: Omit<GoRunOptions, 'parallel'> & GoBenchOptions,
): Promise<string[]> {
  const lines: string[] = [];
  const { code, stderr } = await runClient(clientArgs(socket, options), calls, (l) => lines.push(l));
  const failed = lines.find((l) => l.startsWith('err '));
  if (code !== 0 || lines.length !== calls.length || failed) {
    throw new Error(`grpc-go-client exited ${code}: ${failed ?? ''} ${stderr}`);
  }
  return lines;
}
