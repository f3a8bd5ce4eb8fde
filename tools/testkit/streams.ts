// Reading and writing container streams through the RPCs, with checksums, as
// a host would: reads until UNKNOWN "EOF", writes until every byte is taken.
import { createHash } from 'node:crypto';
import type { AgentClient } from '../../src/client/agent-client';
import { RpcError } from '../../src/client/grpc-unary';

interface StreamDigest {
  bytes: number;
  sha256: string;
  reads: number;
}

interface ReadOptions {
  /** Bytes asked per ReadStdout/ReadStderr; a function varies it per call. */
  len: number | ((call: number) => number);
  /** Per-call deadline, so that a stall fails instead of hanging. */
  timeoutMs?: number;
  /** Keep the bytes, not only their digest. */
  keep?: boolean;
  /** Hash what is read (default); off for throughput measurements. */
  hash?: boolean;
}

interface StreamRead extends StreamDigest {
  data?: Buffer;
}

function isEof(err: unknown): boolean {
  return err instanceof RpcError && err.details === 'EOF';
}

/** Reads a process's stream to its end, hashing as it goes. */
export async function readToEnd(
  client: AgentClient,
  containerId: string,
  execId: string,
  stream: 'stdout' | 'stderr',
  options: ReadOptions,
): Promise<StreamRead> {
  const hash = createHash('sha256');
  const kept: Buffer[] = [];
  let bytes = 0;
  let reads = 0;
  const read = stream === 'stdout' ? client.agent.readStdout : client.agent.readStderr;
  for (;;) {
    const len = typeof options.len === 'number' ? options.len : options.len(reads);
    try {
      const { data } = await read(
        { container_id: containerId, exec_id: execId, len },
        { timeoutMs: options.timeoutMs },
      );
      if (data.length > len) throw new Error(`read returned ${data.length} bytes for len ${len}`);
      if (options.hash !== false) hash.update(data);
      if (options.keep) kept.push(data);
      bytes += data.length;
      reads++;
    } catch (err) {
      if (isEof(err)) break;
      throw err;
    }
  }
  return { bytes, sha256: hash.digest('hex'), reads, data: options.keep ? Buffer.concat(kept) : undefined };
}

/** WriteStdin until every byte is taken (the agent may take fewer per call). */
export async function writeAll(
  client: AgentClient,
  containerId: string,
  execId: string,
  data: Buffer,
  chunk = 64 * 1024,
  timeoutMs?: number,
): Promise<void> {
  let at = 0;
  while (at < data.length) {
    const piece = data.subarray(at, at + chunk);
    const { len } = await client.agent.writeStdin(
      { container_id: containerId, exec_id: execId, data: piece },
      { timeoutMs },
    );
    if (len <= 0 || len > piece.length) throw new Error(`WriteStdin took ${len} of ${piece.length} bytes`);
    at += len;
  }
}

export function sha256(data: Buffer | string): string {
  return createHash('sha256').update(data).digest('hex');
}

/**
 * A shell command that writes `bytes` random bytes to stdout and their sha256
 * (as sha256sum prints it) to stderr: tee feeds a fifo that sha256sum reads.
 */
export function randomOutputCommand(bytes: number): string[] {
  return [
    'sh',
    '-c',
    `mkfifo /dev/sum && { sha256sum < /dev/sum >&2 & head -c ${bytes} /dev/urandom | tee /dev/sum; wait; }`,
  ];
}

/** The hex digest from sha256sum's output ("<hex>  -"). */
export function digestFrom(sha256sumOutput: string): string {
  const m = /^([0-9a-f]{64})\s/.exec(sha256sumOutput.trim());
  if (!m) throw new Error(`not sha256sum output: ${JSON.stringify(sha256sumOutput)}`);
  return m[1];
}
