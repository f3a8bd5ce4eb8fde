// A tiny command protocol spoken on multiplexed streams, shared by the Go peer
// (test/fixtures/yamux-peer) and these TypeScript helpers, to move checksummed
// data both ways. The first line of a stream is the command:
//   echo N | hash N | gen N | forward PATH
// Sizes are explicit because Go's yamux cannot half-close (see main.go); our
// driver half-closes anyway, to exercise FIN.
import { createHash, randomBytes } from 'node:crypto';
import net from 'node:net';
import { once } from 'node:events';
import type { Duplex } from 'node:stream';
import { pipeline } from 'node:stream/promises';

const CHUNK = 64 * 1024;

async function readLine(stream: Duplex): Promise<string> {
  let seen = Buffer.alloc(0);
  for (;;) {
    const chunk = stream.read() as Buffer | null;
    if (chunk === null) {
      if (stream.readableEnded) throw new Error('stream ended before a command line');
      await Promise.race([once(stream, 'readable'), once(stream, 'end')]);
      continue;
    }
    seen = Buffer.concat([seen, chunk]);
    const nl = seen.indexOf(10);
    if (nl >= 0) {
      if (nl + 1 < seen.length) stream.unshift(seen.subarray(nl + 1));
      return seen.subarray(0, nl).toString();
    }
  }
}

/** Writes `size` random bytes (in chunks, honouring backpressure) and returns their sha256. */
export async function writeRandom(stream: Duplex, size: number): Promise<Buffer> {
  const hash = createHash('sha256');
  for (let left = size; left > 0;) {
    const piece = randomBytes(Math.min(CHUNK, left));
    left -= piece.length;
    hash.update(piece);
    if (!stream.write(piece)) await once(stream, 'drain');
  }
  return hash.digest();
}

function chunks(stream: Duplex): AsyncIterable<Buffer> {
  return stream.iterator({ destroyOnReturn: false }) as AsyncIterable<Buffer>;
}

/** Passes the next `size` bytes to `use`, then leaves the rest of the stream to drain. */
async function take(stream: Duplex, size: number, use: (chunk: Buffer) => unknown): Promise<void> {
  let left = size;
  if (left > 0) {
    for await (const chunk of chunks(stream)) {
      await use(chunk.subarray(0, left));
      left -= Math.min(left, chunk.length);
      if (left === 0) break;
    }
  }
  if (left > 0) throw new Error(`stream ended ${left} bytes short`);
  stream.resume();
}

export async function readAll(stream: Duplex): Promise<{ bytes: number; sha256: Buffer; tail: Buffer }> {
  const hash = createHash('sha256');
  let bytes = 0;
  let tail = Buffer.alloc(0);
  for await (const chunk of chunks(stream)) {
    hash.update(chunk);
    bytes += chunk.length;
    tail = Buffer.concat([tail, chunk]).subarray(-128);
  }
  return { bytes, sha256: hash.digest(), tail };
}

/** Serves one stream of the command protocol; a broken stream is just dropped. */
export async function serveCommand(stream: Duplex): Promise<void> {
  stream.on('error', () => {});
  await runCommand(stream).catch(() => stream.destroy());
}

async function runCommand(stream: Duplex): Promise<void> {
  const [command, arg] = (await readLine(stream)).split(' ');
  switch (command) {
    case 'echo': {
      await take(stream, Number(arg), (chunk) => stream.write(chunk) || once(stream, 'drain'));
      stream.end();
      return;
    }
    case 'hash': {
      const hash = createHash('sha256');
      await take(stream, Number(arg), (chunk) => hash.update(chunk));
      stream.end(hash.digest('hex') + '\n');
      return;
    }
    case 'gen': {
      stream.resume();
      const sum = await writeRandom(stream, Number(arg));
      stream.end(sum);
      return;
    }
    case 'forward': {
      const target = net.connect(arg);
      await once(target, 'connect');
      await Promise.all([pipeline(stream, target), pipeline(target, stream)]);
      return;
    }
    default:
      stream.destroy(new Error(`unknown command ${command}`));
  }
}

async function driveHash(stream: Duplex, size: number): Promise<void> {
  stream.write(`hash ${size}\n`);
  const [sent, answer] = await Promise.all([
    writeRandom(stream, size).then((sum) => (stream.end(), sum)),
    readAll(stream),
  ]);
  const text = answer.tail.toString();
  if (text !== sent.toString('hex') + '\n') throw new Error(`hash: got ${JSON.stringify(text)}`);
}

async function driveGen(stream: Duplex, size: number): Promise<void> {
  stream.end(`gen ${size}\n`);
  const parts: Buffer[] = [];
  for await (const chunk of chunks(stream)) parts.push(chunk);
  const all = Buffer.concat(parts);
  if (all.length !== size + 32) throw new Error(`gen: got ${all.length} bytes, want ${size + 32}`);
  const sum = createHash('sha256').update(all.subarray(0, size)).digest();
  if (!sum.equals(all.subarray(size))) throw new Error('gen: checksum mismatch');
}

async function driveEcho(stream: Duplex, size: number): Promise<void> {
  stream.write(`echo ${size}\n`);
  const [sent, back] = await Promise.all([
    writeRandom(stream, size).then((sum) => (stream.end(), sum)),
    readAll(stream),
  ]);
  if (back.bytes !== size || !back.sha256.equals(sent))
    throw new Error(`echo: ${back.bytes} of ${size} bytes back, or checksum mismatch`);
}

/** Runs `streams` concurrent streams (hash, gen and echo in turn) of `size` bytes each, checking every byte. */
export async function exercise(open: () => Duplex, streams: number, size: number): Promise<void> {
  const kinds = [driveHash, driveGen, driveEcho];
  await Promise.all(Array.from({ length: streams }, (_, i) => kinds[i % 3](open(), size)));
}
