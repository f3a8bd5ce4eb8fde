// yamux against a peer that abuses it: answers it never reads must not pile
// up in the agent, and a go away with a code yamux does not define closes the
// session like any other.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { Session } from '../../src/transport/yamux';
import { encodeHeader, Flag, FrameType } from '../../src/transport/yamux/frame';
import { unixSocketPair } from '../../tools/testkit/socket-pair';
import { waitFor } from '../helpers/wait-for';

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
    await waitFor(
      () => {
        peak = Math.max(peak, ours.writableLength);
        return ours.isPaused();
      },
      { timeoutMs: 30_000, intervalMs: 20, what: 'the session to stop reading the peer' },
    );
    peak = Math.max(peak, ours.writableLength);
    assert.ok(peak < 6 * MiB, `${(peak / MiB).toFixed(1)} MiB of answers queued`);
    // Once the peer reads, everything is answered and reading resumes.
    let answered = 0;
    peer.on('data', (chunk: Buffer) => (answered += chunk.length));
    peer.resume();
    await waitFor(() => answered >= 12_000_000, {
      timeoutMs: 60_000,
      intervalMs: 50,
      what: () => `every ping answered (${answered} of 12000000 bytes)`,
    });
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
