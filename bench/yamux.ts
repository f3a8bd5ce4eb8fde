// yamux throughput: `npm run build && node dist/bench/yamux.js [MiB]`.
// Over a unix socket: a raw socket as the floor, TS client to TS server (one and
// eight streams), and TS against hashicorp's Go yamux both ways.
import { once } from 'node:events';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import type { Duplex } from 'node:stream';
import { Session } from '../src/transport/yamux';
import { unixSocketPair } from '../tools/testkit/socket-pair';
import { startGoPeer } from '../tools/testkit/yamux-peer';

const MiB = 1024 * 1024;
const CHUNK = Buffer.alloc(64 * 1024, 0x5a);

async function send(stream: Duplex, bytes: number): Promise<void> {
  stream.on('error', () => {});
  for (let left = bytes; left > 0; left -= CHUNK.length) {
    if (!stream.write(left >= CHUNK.length ? CHUNK : CHUNK.subarray(0, left))) await once(stream, 'drain');
  }
  stream.end();
}

async function drain(stream: Duplex): Promise<number> {
  let n = 0;
  stream.on('data', (c: Buffer) => (n += c.length));
  await once(stream, 'end');
  return n;
}

function report(name: string, bytes: number, started: bigint): void {
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  console.log(`${name.padEnd(44)} ${(bytes / MiB / seconds).toFixed(0).padStart(6)} MiB/s`);
}

async function raw(total: number): Promise<void> {
  const [a, b] = await unixSocketPair();
  const started = process.hrtime.bigint();
  const [, got] = await Promise.all([send(a, total), drain(b)]);
  report('raw unix socket', got, started);
  a.destroy();
  b.destroy();
}

async function tsToTs(total: number, streams: number): Promise<void> {
  const [a, b] = await unixSocketPair();
  const client = new Session(a, { role: 'client' });
  const server = new Session(b, { role: 'server' });
  const received: Promise<number>[] = [];
  server.on('stream', (s) => received.push(drain(s).then((n) => (s.end(), n))));
  const started = process.hrtime.bigint();
  const opened = Array.from({ length: streams }, () => client.openStream());
  await Promise.all(opened.map((s) => send(s, total / streams)));
  const got = (await Promise.all(received)).reduce((x, y) => x + y, 0);
  report(`TS -> TS, ${streams} stream(s)`, got, started);
  await Promise.all(opened.map((s) => drain(s)));
  client.close();
}

async function withGo(total: number): Promise<void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'yamux-bench-'));
  const peer = startGoPeer(['-listen', path.join(dir, 'peer.sock'), '-role', 'server']);
  try {
    await peer.line('ready');
    const conn = net.connect(path.join(dir, 'peer.sock'));
    await once(conn, 'connect');
    const session = new Session(conn, { role: 'client' });
    // TS sends, Go reads and discards.
    let stream = session.openStream();
    stream.write(`discard ${total}\n`);
    let started = process.hrtime.bigint();
    await Promise.all([send(stream, total), drain(stream)]);
    report('TS -> Go', total, started);
    // Go sends zeros, TS reads.
    stream = session.openStream();
    started = process.hrtime.bigint();
    stream.end(`zeros ${total}\n`);
    const got = await drain(stream);
    report('Go -> TS', got, started);
    // Eight streams each way at once.
    started = process.hrtime.bigint();
    const all = Array.from({ length: 8 }, (_, i) => {
      const s = session.openStream();
      if (i % 2) {
        s.end(`zeros ${total / 8}\n`);
        return drain(s);
      }
      s.write(`discard ${total / 8}\n`);
      return Promise.all([send(s, total / 8), drain(s)]).then(() => total / 8);
    });
    const both = (await Promise.all(all)).reduce((x, y) => x + y, 0);
    report('TS <-> Go, 8 streams (4 each way)', both, started);
    session.close();
  } finally {
    await peer.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const total = Number(process.argv[2] ?? 256) * MiB;
  await raw(total);
  await tsToTs(total, 1);
  await tsToTs(total, 8);
  await withGo(total);
}

main().catch((err: Error) => {
  console.error(err);
  process.exit(1);
});
