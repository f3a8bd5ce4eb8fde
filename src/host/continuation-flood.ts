// The header-block flood that once took a guest down: on one yamux stream of
// the runtime's session, HEADERS and then CONTINUATION frames without
// END_HEADERS, carrying one literal header that declares 32 MiB. The agent must
// end that connection with a GOAWAY early, keep its memory, and answer
// Health.Check on another stream throughout.
import type { Duplex } from 'node:stream';
import type { AgentClient } from '../client/agent-client';
import { CLIENT_PREFACE, FrameReader, FrameType, smallFrame } from '../rpc/h2/frames';

export interface FloodResult {
  /** The GOAWAY's error code, or undefined if none came. */
  goAwayCode: number | undefined;
  goAwayText: string;
  /** Header-block bytes written before the GOAWAY was seen. */
  bytesSent: number;
  /** Health.Check round trips on another stream while the flood ran. */
  healthMs: number[];
}

const TOTAL = 32 << 20;
const FRAGMENT = 16384;
const BATCH = 256 << 10;

export async function continuationFlood(
  stream: Duplex,
  client: AgentClient,
  timeoutMs: number,
): Promise<FloodResult> {
  const result: FloodResult = { goAwayCode: undefined, goAwayText: '', bytesSent: 0, healthMs: [] };
  const reader = new FrameReader(16 << 20);
  let ended = false;
  stream.on('data', (chunk: Buffer) =>
    reader.read(chunk, (f) => {
      if (f.type === FrameType.GOAWAY && f.payload.length >= 8) {
        result.goAwayCode = f.payload.readUInt32BE(4);
        result.goAwayText = f.payload.subarray(8).toString();
      }
      return true;
    }),
  );
  stream.on('error', () => undefined);
  stream.once('close', () => (ended = true));
  const write = (bytes: Buffer): Promise<void> =>
    new Promise((resolve) => (stream.write(bytes) ? resolve() : stream.once('drain', resolve)));
  await write(Buffer.concat([CLIENT_PREFACE, smallFrame(FrameType.SETTINGS, 0, 0, Buffer.alloc(0))]));
  // A literal with a new name "x" whose value declares 32 MiB (7-bit prefix integer).
  await write(
    smallFrame(FrameType.HEADERS, 0, 1, Buffer.from([0x00, 0x01, 0x78, 0x7f, 0x81, 0x80, 0x80, 0x10])),
  );
  const fragment = smallFrame(FrameType.CONTINUATION, 0, 1, Buffer.alloc(FRAGMENT, 0x61));
  const batch = Buffer.concat(Array.from({ length: BATCH / FRAGMENT }, () => fragment));
  const deadline = Date.now() + timeoutMs;
  while (result.bytesSent < TOTAL && result.goAwayCode === undefined && !ended && Date.now() < deadline) {
    await write(batch);
    result.bytesSent += BATCH;
    const t0 = performance.now();
    await client.health.check({ service: '' }, { timeoutMs: 5000 });
    result.healthMs.push(performance.now() - t0);
  }
  stream.destroy();
  return result;
}
