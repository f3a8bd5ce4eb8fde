// Where finished spans go: an OTLP/HTTP collector (Jaeger accepts OTLP natively)
// reached by URL, over a unix socket, or over vsock to the host, which in a
// guest has no network route to the collector of its own.
//   http://collector:4318[/v1/traces]   OTLP/HTTP to a URL (path defaults to /v1/traces)
//   vsock://2:4318                      OTLP/HTTP over vsock (CID 2 is the host)
//   unix:///run/otlp.sock               OTLP/HTTP over a unix socket
export type TraceEndpoint =
  | { kind: 'http'; url: string }
  | { kind: 'vsock'; cid: number; port: number }
  | { kind: 'unix'; path: string };

export const DEFAULT_TRACE_ENDPOINT = 'vsock://2:4318';
export const OTLP_TRACES_PATH = '/v1/traces';
/** How long one export may take; StopTracing and shutdown wait for the last one. */
export const EXPORT_TIMEOUT_MS = 5000;

function uint32(text: string, what: string): number {
  if (!/^\d+$/.test(text) || Number(text) > 0xffffffff)
    throw new Error(`invalid ${what} ${JSON.stringify(text)}`);
  return Number(text);
}

/** Parses a trace endpoint; throws with a message naming the problem. */
export function parseTraceEndpoint(text: string): TraceEndpoint {
  if (text.startsWith('http://') || text.startsWith('https://')) {
    let url: URL;
    try {
      url = new URL(text);
    } catch {
      throw new Error(`invalid trace endpoint URL ${JSON.stringify(text)}`);
    }
    if (url.pathname === '/' || url.pathname === '') url.pathname = OTLP_TRACES_PATH;
    return { kind: 'http', url: url.toString() };
  }
  if (text.startsWith('vsock://')) {
    const parts = text.slice('vsock://'.length).split(':');
    if (parts.length !== 2)
      throw new Error(`invalid trace endpoint ${JSON.stringify(text)}: want vsock://CID:PORT`);
    return { kind: 'vsock', cid: uint32(parts[0], 'vsock cid'), port: uint32(parts[1], 'vsock port') };
  }
  if (text.startsWith('unix://')) {
    const path = text.slice('unix://'.length);
    if (!path.startsWith('/'))
      throw new Error(`invalid trace endpoint ${JSON.stringify(text)}: want unix:///PATH`);
    return { kind: 'unix', path };
  }
  throw new Error(`invalid trace endpoint ${JSON.stringify(text)}: want http://, vsock:// or unix://`);
}
