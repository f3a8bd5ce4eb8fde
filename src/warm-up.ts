// Runs one Health.Check through the agent's whole wire stack (yamux, the
// HTTP/2 server, the gRPC layer, the protobuf codecs) over an in-memory
// stream, while the start-up snapshot is built: the snapshot then holds the
// compiled code of the path the host's first call takes. Under TCG compiling
// and first runs are what make that call slow (hundreds of milliseconds).
import { createLogger } from './logging/logger';
import { AgentServer } from './rpc/server';
import { healthHandlers } from './rpc/handlers/health';
import { CLIENT_PREFACE, Flag, FrameType, frameHeader, smallFrame } from './rpc/h2/frames';
import { encodeHeaderBlock } from './rpc/h2/hpack';
import { serveConnection } from './transport/connection';
import { Session } from './transport/yamux';
import { duplexPair } from './common/duplex-pair';

const STREAM_ID = 1;

/** The bytes of one gRPC call as an HTTP/2 client sends them: preface, SETTINGS, HEADERS, DATA. */
function healthCheckRequest(): Buffer {
  const headers = encodeHeaderBlock([
    [':method', 'POST'],
    [':scheme', 'http'],
    [':path', '/grpc.Health/Check'],
    [':authority', 'vsock://3:1024'],
    ['content-type', 'application/grpc'],
    ['te', 'trailers'],
    ['grpc-timeout', '10S'],
  ]);
  // An empty HealthCheckRequest: no compression flag, zero length.
  const message = Buffer.alloc(5);
  return Buffer.concat([
    CLIENT_PREFACE,
    smallFrame(FrameType.SETTINGS, 0, 0, Buffer.alloc(0)),
    frameHeader(headers.length, FrameType.HEADERS, Flag.END_HEADERS, STREAM_ID),
    headers,
    smallFrame(FrameType.DATA, Flag.END_STREAM, STREAM_ID, message),
  ]);
}

/** Resolves once the answer's trailers came back, fails after `timeoutMs`; leaves nothing open. */
export async function warmUpWire(timeoutMs = 5000): Promise<void> {
  const log = createLogger({ level: 'fatal', primary: () => undefined }).logger;
  const server = new AgentServer({ agent: {}, health: healthHandlers(), log });
  const [agentEnd, hostEnd] = duplexPair();
  serveConnection(agentEnd, server, { log, allowYamux: true, source: 'warm-up', silentTimeoutMs: timeoutMs });
  const session = new Session(hostEnd, { role: 'client' });
  const stream = session.openStream();
  let timer: NodeJS.Timeout | undefined;
  try {
    await new Promise<void>((resolve, reject) => {
      timer = setTimeout(
        () => reject(new Error(`no answer to the warm-up call in ${timeoutMs} ms`)),
        timeoutMs,
      );
      let seen = Buffer.alloc(0);
      stream.on('data', (chunk: Buffer) => {
        seen = Buffer.concat([seen, chunk]);
        // Done at the trailers: a HEADERS frame with END_STREAM on our stream.
        for (let at = 0; at + 9 <= seen.length;) {
          const length = seen.readUIntBE(at, 3);
          if (seen[at + 3] === FrameType.HEADERS && seen[at + 4] & Flag.END_STREAM) resolve();
          at += 9 + length;
        }
      });
      stream.write(healthCheckRequest());
    });
  } finally {
    clearTimeout(timer);
    stream.destroy();
    session.close();
    hostEnd.destroy();
    agentEnd.destroy();
    await server.shutdown(0);
  }
}
