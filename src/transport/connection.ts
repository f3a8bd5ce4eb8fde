// What a channel does with each accepted connection. The client's first bytes
// say what it speaks: the HTTP/2 preface (gRPC straight on the connection, as
// over vsock) or a yamux header (a multiplexing client, as on the virtio-serial
// port, whose every stream then carries one HTTP/2 connection). Anything else
// is refused with one log line, and the channel goes on serving.
import type { Duplex } from 'node:stream';
import type { Logger } from '../logging/logger';
import { looksLikeYamux, Session, type SessionOptions } from './yamux';
import { errorText } from '../common/error-text';

const HTTP2_PREFACE = Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n');

/** Where gRPC connections go (the AgentServer). */
export interface ConnectionTarget {
  inject(connection: Duplex): void;
}

interface ServeOptions {
  log: Logger;
  /** Accept a yamux session on this connection (not inside a yamux stream). */
  allowYamux: boolean;
  /** For log lines: where the connection came from. */
  source: string;
  yamux?: Omit<SessionOptions, 'role' | 'log'>;
  /** A connection that has not said what it speaks within this long is closed (default 10 s). */
  silentTimeoutMs?: number;
}

const SILENT_TIMEOUT_MS = 10_000;

type Protocol = 'http2' | 'yamux' | 'unknown';

/** Classifies the first bytes; undefined while they are a prefix of the HTTP/2 preface. */
function classify(head: Buffer, allowYamux: boolean): Protocol | undefined {
  const n = Math.min(head.length, HTTP2_PREFACE.length);
  if (head.subarray(0, n).equals(HTTP2_PREFACE.subarray(0, n))) {
    return n === HTTP2_PREFACE.length ? 'http2' : undefined;
  }
  if (allowYamux && head.length >= 2 && looksLikeYamux(head)) return 'yamux';
  if (allowYamux && head.length < 2 && head[0] === 0) return undefined;
  return 'unknown';
}

/** Serves one accepted connection; returns the yamux session when it turns out to be one. */
export function serveConnection(
  conn: Duplex,
  target: ConnectionTarget,
  options: ServeOptions,
  onSession?: (session: Session) => void,
): void {
  let head: Buffer = Buffer.alloc(0);
  const onError = (err: Error): void => {
    options.log.debug({ source: options.source, error: errorText(err) }, 'connection failed before it spoke');
  };
  // An abandoned connection must not hold an fd and a buffer for ever.
  const silent = setTimeout(() => {
    options.log.debug({ source: options.source }, 'closing a connection that never spoke');
    conn.destroy();
  }, options.silentTimeoutMs ?? SILENT_TIMEOUT_MS);
  silent.unref();
  conn.once('close', () => clearTimeout(silent));
  const onData = (chunk: Buffer): void => {
    head = head.length ? Buffer.concat([head, chunk]) : chunk;
    const protocol = classify(head, options.allowYamux);
    if (!protocol) return;
    clearTimeout(silent);
    conn.off('data', onData);
    conn.off('error', onError);
    conn.pause();
    conn.unshift(head);
    dispatch(protocol);
  };
  const dispatch = (protocol: Protocol): void => {
    switch (protocol) {
      case 'http2':
        target.inject(conn);
        return;
      case 'yamux': {
        const session = new Session(conn, { ...options.yamux, role: 'server', log: options.log });
        session.on('stream', (stream) =>
          serveConnection(stream, target, {
            ...options,
            allowYamux: false,
            source: `${options.source} yamux`,
          }),
        );
        onSession?.(session);
        conn.resume();
        return;
      }
      default:
        options.log.warn(
          { source: options.source, head: head.subarray(0, 16).toString('hex') },
          'refusing a connection that speaks neither HTTP/2 nor yamux',
        );
        conn.destroy();
    }
  };
  conn.on('error', onError);
  conn.on('data', onData);
}
