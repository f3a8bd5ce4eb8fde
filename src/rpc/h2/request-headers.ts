// A request's header list checked as RFC 9113 §8.2-8.3 asks: lower-case
// names, the request pseudo-headers first and once each, no connection-specific
// fields. A list that breaks these is a malformed request: a stream error,
// and the connection goes on. :authority may hold anything: Kata 1.x clients
// put their whole dial target there ("vsock://3:1024"), and the agent never
// uses it.
import { ErrorCode, H2Error } from './frames';
import type { HeaderField } from './hpack';
import type { RequestHeaders } from './stream';

const PSEUDO = new Set([':method', ':scheme', ':path', ':authority']);
const CONNECTION_SPECIFIC = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'transfer-encoding',
  'upgrade',
]);
const UPPER_CASE = /[A-Z]/;

export function requestHeaders(streamId: number, fields: readonly HeaderField[]): RequestHeaders {
  const malformed = (why: string): H2Error =>
    new H2Error(ErrorCode.PROTOCOL_ERROR, `malformed request: ${why}`, streamId);
  // No prototype: a header named __proto__ is just a header.
  const headers = Object.create(null) as Record<string, string | string[]>;
  let regular = false;
  for (const [name, value] of fields) {
    if (name.startsWith(':')) {
      if (regular) throw malformed(`${name} after a regular header`);
      if (!PSEUDO.has(name)) throw malformed(`unknown pseudo-header ${name}`);
      if (name in headers) throw malformed(`${name} twice`);
      headers[name] = value;
      continue;
    }
    regular = true;
    if (name.length === 0 || UPPER_CASE.test(name)) throw malformed(`header name ${JSON.stringify(name)}`);
    if (CONNECTION_SPECIFIC.has(name)) throw malformed(`connection-specific header ${name}`);
    if (name === 'te' && value !== 'trailers') throw malformed(`te: ${value}`);
    const previous = headers[name];
    if (previous === undefined) headers[name] = value;
    else if (Array.isArray(previous)) previous.push(value);
    else headers[name] = [previous, value];
  }
  for (const required of [':method', ':scheme', ':path']) {
    if (!(required in headers)) throw malformed(`no ${required}`);
  }
  return headers;
}
