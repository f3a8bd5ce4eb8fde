// Cost of the project's own unary client (src/client/grpc-unary.ts) per call and
// per byte: `npm run build && node dist/bench/client-overhead.js [CALLS]`.
// A minimal node:http2 gRPC server answers ReadStdout on a unix socket in this
// same process with a prebuilt ReadStreamResponse of `len` bytes, so what is
// timed is mostly the client (and http2 itself). Add `node --cpu-prof` to see
// where the time goes (bench/profile-summary.ts summarizes the profile).
import fs from 'node:fs';
import http2 from 'node:http2';
import os from 'node:os';
import path from 'node:path';
import { AgentClient } from '../src/client/agent-client';
import { connectUnix } from '../src/client/dial';
import { ReadStreamRequest, ReadStreamResponse } from '../src/generated/agent';

const KiB = 1024;
const MiB = 1024 * KiB;
const SIZES = [100, 32 * KiB, MiB];
const CALLS = Number(process.argv[2] ?? 2000);
const WARMUP = 200;

/** 5-byte gRPC prefix (uncompressed, uint32 BE length) + ReadStreamResponse {data: n bytes}. */
function responseFrame(n: number): Buffer {
  const message = ReadStreamResponse.encode({ data: Buffer.alloc(n, 0x61) }).finish();
  const frame = Buffer.allocUnsafe(5 + message.length);
  frame[0] = 0;
  frame.writeUInt32BE(message.length, 1);
  frame.set(message, 5);
  return frame;
}

function startServer(socket: string): Promise<http2.Http2Server> {
  const frames = new Map<number, Buffer>();
  const server = http2.createServer();
  server.on('stream', (stream, headers) => {
    if (headers[':method'] !== 'POST') {
      stream.respond({ ':status': 405 }, { endStream: true });
      return;
    }
    const chunks: Buffer[] = [];
    stream.on('data', (c: Buffer) => chunks.push(c));
    stream.on('end', () => {
      const body = Buffer.concat(chunks);
      const { len } = ReadStreamRequest.decode(body.subarray(5, 5 + body.readUInt32BE(1)));
      let frame = frames.get(len);
      if (!frame) frames.set(len, (frame = responseFrame(len)));
      stream.respond({ ':status': 200, 'content-type': 'application/grpc' }, { waitForTrailers: true });
      stream.on('wantTrailers', () => stream.sendTrailers({ 'grpc-status': '0' }));
      stream.end(frame);
    });
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(socket, () => resolve(server));
  });
}

function label(n: number): string {
  if (n >= MiB) return `${n / MiB} MiB`;
  if (n >= KiB) return `${n / KiB} KiB`;
  return `${n} B`;
}

async function main(): Promise<void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'client-overhead-'));
  const socket = path.join(dir, 'agent.sock');
  const server = await startServer(socket);
  const client = new AgentClient(await connectUnix(socket));
  try {
    for (const n of SIZES) {
      const request = { container_id: 'c', exec_id: 'e', len: n };
      for (let i = 0; i < WARMUP; i++) await client.agent.readStdout(request);
      const started = process.hrtime.bigint();
      let bytes = 0;
      for (let i = 0; i < CALLS; i++) bytes += (await client.agent.readStdout(request)).data.length;
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      if (bytes !== n * CALLS) throw new Error(`got ${bytes} bytes, want ${n * CALLS}`);
      console.log(
        `readStdout ${label(n).padStart(7)}  ${((seconds * 1e6) / CALLS).toFixed(1).padStart(8)} µs/call` +
          `  ${(bytes / MiB / seconds).toFixed(1).padStart(8)} MiB/s`,
      );
    }
  } finally {
    client.close();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
