// yamux (hashicorp's stream multiplexer, protocol version 0) in TypeScript.
export { Session, type SessionOptions } from './session';
export { YamuxStream } from './stream';
export { GoAwayCode, INITIAL_WINDOW, looksLikeYamux, ProtocolError } from './frame';
