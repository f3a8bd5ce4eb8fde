// yamux (hashicorp's stream multiplexer, protocol version 0) in TypeScript.
export { Session, type SessionOptions } from './session';
export { YamuxStream } from './stream';
export { looksLikeYamux } from './frame';
