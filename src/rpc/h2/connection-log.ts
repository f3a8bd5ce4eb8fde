// What the HTTP/2 server says about errors on a connection. A client that
// breaks the protocol or hangs up is the client's affair: debug. Anything
// else thrown while serving, or a transport failing for another reason, is a
// fault on our side worth a warning.
import { errorText } from '../../common/error-text';
import type { Logger } from '../../logging/logger';
import { ErrorCode, H2Error } from './frames';

const CODE_NAMES = new Map<number, string>(Object.entries(ErrorCode).map(([name, code]) => [code, name]));

// Socket errors that mean the peer went away, not that the agent is broken.
const PEER_GONE = new Set([
  'ECONNRESET',
  'EPIPE',
  'ECONNABORTED',
  'ETIMEDOUT',
  'ERR_STREAM_PREMATURE_CLOSE',
  'ERR_STREAM_DESTROYED',
]);

function h2CodeName(code: number): string {
  return CODE_NAMES.get(code) ?? `0x${code.toString(16)}`;
}

/** A connection error: the client's protocol violation, or a fault while serving it. */
export function logConnectionError(log: Logger | undefined, err: unknown): void {
  if (!log) return;
  if (err instanceof H2Error) {
    log.debug(
      { code: h2CodeName(err.code), error: errorText(err) },
      'HTTP/2 client broke the protocol, connection closed',
    );
  } else {
    log.warn({ error: errorText(err) }, 'HTTP/2 connection failed, closed');
  }
}

/** A malformed request: its stream is reset and the connection goes on. */
export function logStreamError(log: Logger | undefined, err: H2Error): void {
  log?.debug(
    { stream: err.streamId, code: h2CodeName(err.code), error: errorText(err) },
    'HTTP/2 stream reset',
  );
}

/** The transport under the connection failed. */
export function logSocketError(log: Logger | undefined, err: unknown): void {
  if (!log) return;
  const code = (err as { code?: unknown } | null)?.code;
  const fields = { error: errorText(err), ...(typeof code === 'string' ? { errno: code } : {}) };
  if (typeof code === 'string' && PEER_GONE.has(code)) log.debug(fields, 'HTTP/2 client connection lost');
  else log.warn(fields, 'HTTP/2 connection transport failed');
}
