// The host side of the virtio-serial channel: qemu exposes the port as a unix
// socket (chardev socket) that takes one client at a time, so every gRPC
// connection to the same path is a stream of one shared yamux client session.
// The session is dropped when its last stream closes, as 1.x clients do.
import { connectUnix, registerYamuxDialer, type Dialer } from '../client/dial';
import { Session, type YamuxStream } from './yamux';

interface SharedSession {
  session: Promise<Session>;
  streams: number;
}

const sessions = new Map<string, SharedSession>();

function shared(path: string): SharedSession {
  const existing = sessions.get(path);
  if (existing) return existing;
  const entry: SharedSession = {
    streams: 0,
    session: connectUnix(path).then((conn) => {
      const session = new Session(conn, { role: 'client' });
      session.once('close', () => {
        if (sessions.get(path) === entry) sessions.delete(path);
      });
      return session;
    }),
  };
  entry.session.catch(() => {
    if (sessions.get(path) === entry) sessions.delete(path);
  });
  sessions.set(path, entry);
  return entry;
}

async function openStream(path: string): Promise<YamuxStream> {
  for (let attempt = 0; ; attempt++) {
    const entry = shared(path);
    const session = await entry.session;
    if (session.closed) {
      // Closed between the lookup and now: a fresh session, once.
      if (sessions.get(path) === entry) sessions.delete(path);
      if (attempt === 0) continue;
    }
    const stream = session.openStream();
    entry.streams++;
    stream.once('close', () => {
      if (--entry.streams === 0) {
        if (sessions.get(path) === entry) sessions.delete(path);
        session.close();
      }
    });
    return stream;
  }
}

/** One yamux stream per call, over the session shared by everything dialing `path`. */
export function yamuxUnixDialer(path: string): Dialer {
  return () => openStream(path);
}

/** Sessions currently open, by socket path (for tests and diagnostics). */
export function openYamuxSessions(): string[] {
  return [...sessions.keys()];
}

registerYamuxDialer(yamuxUnixDialer);
