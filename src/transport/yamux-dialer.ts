// Registers the yamux+unix:// dialer with the client (src/client/dial.ts).
// The yamux session itself lives in src/transport/yamux/.
export {};
