// Kata 1.x hosts dial with grpc-go releases that put the whole dial target in
// :authority ("vsock://3:1024", "unix:///run/vc/vm/<id>/kata.sock"). node:http2
// (nghttp2) resets every stream whose :authority holds a character an
// authority may not have, such as '/', before the server sees it, and has no
// switch to accept them. The agent never uses :authority, so such values are
// rewritten on the way in (./header-rewriter.ts).
//
// Rewriting puts JavaScript between the socket and nghttp2, which costs every
// call; clients that send acceptable values should not pay for it. So a
// connection is first held back until its first header block has arrived: if
// nothing in it needs rewriting, the socket goes to the HTTP/2 server as it is,
// the bytes read so far put back; otherwise it goes through the rewriter.
// Clients such as grpc-go send no request before the server's SETTINGS, so an
// empty SETTINGS frame is sent at once, and its acknowledgement kept from the
// HTTP/2 server, which sends its own SETTINGS when it takes over.
import { Duplex } from 'node:stream';
import { HeaderRewriter } from './header-rewriter';

const EMPTY_SETTINGS = Buffer.from([0, 0, 0, 0x4, 0, 0, 0, 0, 0]);
// A client that sends no request for this long is served through the rewriter.
const DECIDE_WITHIN_MS = 5000;
// Bytes held back at most while waiting for the first header block.
const MAX_HELD = 1 << 20;

/** Hands `connection` to `serve`, directly or through the rewriter, as its first header block says. */
export function admitConnection(connection: Duplex, serve: (connection: Duplex) => void): void {
  const rewriter = new HeaderRewriter({ dropFirstSettingsAck: true });
  const out: Buffer[] = [];
  let held = 0;
  let decided = false;
  const decide = (): void => {
    if (decided) return;
    decided = true;
    clearTimeout(timer);
    connection.off('data', onData);
    connection.off('error', onEarlyEnd);
    connection.off('close', onEarlyEnd);
    connection.pause();
    if (rewriter.canStepAside) {
      if (out.length) connection.unshift(Buffer.concat(out));
      serve(connection);
    } else {
      serve(rewriting(connection, rewriter, out));
    }
  };
  const onData = (chunk: Buffer): void => {
    out.push(...rewriter.feed(chunk));
    held += chunk.length;
    if ((rewriter.firstBlockSeen && rewriter.ackSettled) || held > MAX_HELD) decide();
  };
  const onEarlyEnd = (): void => {
    decided = true;
    clearTimeout(timer);
    connection.destroy();
  };
  const timer = setTimeout(decide, DECIDE_WITHIN_MS);
  connection.on('data', onData);
  connection.once('error', onEarlyEnd);
  connection.once('close', onEarlyEnd);
  // A transport that sniffed the first bytes hands the connection over paused.
  connection.resume();
  connection.write(EMPTY_SETTINGS);
}

/** `connection` as the HTTP/2 server reads it through `rewriter`, starting with what it already rewrote. */
function rewriting(connection: Duplex, rewriter: HeaderRewriter, already: Buffer[]): Duplex {
  const guarded = new Duplex({
    read() {
      connection.resume();
    },
    write(chunk: Buffer, _encoding, done) {
      connection.write(chunk, done);
    },
    final(done) {
      connection.end();
      done();
    },
    destroy(err, done) {
      connection.destroy(err ?? undefined);
      done(err);
    },
  });
  for (const piece of already) guarded.push(piece);
  connection.on('data', (chunk: Buffer) => {
    for (const piece of rewriter.feed(chunk)) if (!guarded.push(piece)) connection.pause();
  });
  connection.once('end', () => guarded.push(null));
  connection.once('error', (err) => guarded.destroy(err));
  connection.once('close', () => guarded.destroy());
  return guarded;
}
