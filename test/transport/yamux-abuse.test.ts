// yamux against a peer that abuses it: answers it never reads must not pile
// up in the agent, and a go away with a code yamux does not define closes the
// session like any other.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { Session } from '../../src/transport/yamux';
import { encodeHeader, Flag, FrameType } from '../../src/transport/yamux/frame';
import { unixSocketPair } from '../helpers/socket-pair';

const MiB = 1024 * 1024;

test('a peer that sends pings and never reads stops being read; the answers do not pile up', async () => {
  const [peer, ours] = await unixSocketPair();
  const session = new Session(ours, { role: 'server' });
  session.on('stream', () => undefined);
  try {
    peer.pause();
    // 1,000,000 pings: 12 MB of answers if every one were queued.
    const burst = Buffer.concat(
      Array.from({ length: 10_000 }, (_, i) => encodeHeader(FrameType.Ping, Flag.SYN, 0, i)),
    );
    for (let i = 0; i < 100; i++) peer.write(burst);
    // However slowly the machine gets there: reading stops, and the queue stays bounded meanwhile.
    let peak = 0;
    const until = Date.now() + 30_000;
    while (!ours.isPaused() && Date.now() < until) {
      peak = Math.max(peak, ours.writableLength);
      await new Promise((r) => setTimeout(r, 20));
    }
    peak = Math.max(peak, ours.writableLength);
    assert.ok(ours.isPaused(), 'the peer is no longer read');
    assert.ok(peak < 6 * MiB, `${(peak / MiB).toFixed(1)} MiB of answers queued`);
    // Once the peer reads, everything is answered and reading resumes.
    let answered = 0;
    peer.on('data', (chunk: Buffer) => (answered += chunk.length));
    peer.resume();
    const end = Date.now() + 60_000;
    while (answered < 12_000_000 && Date.now() < end) await new Promise((r) => setTimeout(r, 50));
    assert.equal(answered, 12_000_000, 'every ping answered');
  } finally {
    session.close();
    peer.destroy();
  }
});

test('a go away with an unknown code closes the session cleanly', async () => {
  const [peer, ours] = await unixSocketPair();
  const session = new Session(ours, { role: 'server' });
  session.on('stream', () => undefined);
  const closed = once(session, 'close');
  peer.on('data', () => undefined);
  peer.write(encodeHeader(FrameType.GoAway, 0, 0, 7));
  const [err] = (await closed) as [Error | undefined];
  assert.match(String(err?.message), /go away code 7/);
  assert.ok(session.closed);
  await once(peer, 'close');
});
