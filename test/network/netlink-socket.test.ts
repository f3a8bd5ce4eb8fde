// The socket's request/response logic with scripted kernel answers: the
// cases a real kernel cannot be made to produce on demand (an interrupted
// dump, no answer at all, an answer arriving after its request timed out).
// Everything else runs against the real kernel in the namespace tests.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { encodeU32 } from '../../src/network/netlink/attributes';
import { writeI32 } from '../../src/network/netlink/bytes';
import {
  NLM_F_ACK,
  NLM_F_DUMP,
  NLM_F_DUMP_INTR,
  NLM_F_MULTI,
  NLM_F_REQUEST,
  NLMSG_DONE,
  NLMSG_ERROR,
  RTM_GETLINK,
  RTM_NEWLINK,
} from '../../src/network/netlink/constants';
import { errnoNumber, NetlinkError } from '../../src/network/netlink/errno';
import { decodeMessages, encodeMessage, type NetlinkMessage } from '../../src/network/netlink/message';
import { NetlinkSocket, type NetlinkBinding } from '../../src/network/netlink/socket';
import type { PollHandle } from '../../src/native';

type Answer = (request: NetlinkMessage, count: number) => Buffer[];

/** Answers requests from a script; `later` datagrams arrive through the poll callback. */
class ScriptedKernel implements NetlinkBinding {
  readonly requests: NetlinkMessage[] = [];
  private readonly queued: Buffer[] = [];
  private watcher: ((err: Error | null, events: number) => void) | undefined;
  closedFds: number[] = [];
  recvError: Error | undefined;

  constructor(private readonly answer: Answer) {}

  netlinkOpen(): number {
    return 1000;
  }

  netlinkSend(_fd: number, data: Buffer): number {
    const [request] = decodeMessages(data);
    this.requests.push(request);
    this.queued.push(...this.answer(request, this.requests.length));
    return data.length;
  }

  netlinkRecv(): Buffer | null {
    if (this.recvError) throw this.recvError;
    return this.queued.shift() ?? null;
  }

  poll(_fd: number, _events: number, callback: (err: Error | null, events: number) => void): PollHandle {
    this.watcher = callback;
    return {
      close: () => (this.watcher = undefined),
      ref: () => undefined,
      unref: () => undefined,
    };
  }

  close(fd: number): void {
    this.closedFds.push(fd);
  }

  /** Datagrams arriving after the request, as a readable event. */
  later(...datagrams: Buffer[]): void {
    this.queued.push(...datagrams);
    this.watcher?.(null, 1);
  }

  get watching(): boolean {
    return this.watcher !== undefined;
  }
}

function int32(n: number): Buffer {
  const b = Buffer.alloc(4);
  writeI32(b, n, 0);
  return b;
}

const entry = (seq: number, value: number, flags = NLM_F_MULTI): Buffer =>
  encodeMessage({ type: RTM_NEWLINK, flags, seq }, encodeU32(1, value));
const done = (seq: number, flags = NLM_F_MULTI): Buffer =>
  encodeMessage({ type: NLMSG_DONE, flags, seq }, int32(0));
const ack = (request: NetlinkMessage, errno = 0): Buffer =>
  encodeMessage(
    { type: NLMSG_ERROR, flags: 0, seq: request.seq },
    Buffer.concat([int32(-errno), encodeMessage(request, Buffer.alloc(0)).subarray(0, 16)]),
  );

test('requests carry REQUEST, ACK on changes, DUMP on dumps, and a new sequence number each', async () => {
  const kernel = new ScriptedKernel((r) => [r.flags & NLM_F_ACK ? ack(r) : done(r.seq)]);
  const socket = new NetlinkSocket({ binding: kernel });
  await socket.change(RTM_NEWLINK, 0, Buffer.alloc(16));
  await socket.dump(RTM_GETLINK, Buffer.alloc(16));
  await socket.change(RTM_NEWLINK, 0, Buffer.alloc(16));
  assert.deepEqual(
    kernel.requests.map((r) => r.flags),
    [NLM_F_REQUEST | NLM_F_ACK, NLM_F_REQUEST | NLM_F_DUMP, NLM_F_REQUEST | NLM_F_ACK],
  );
  assert.equal(new Set(kernel.requests.map((r) => r.seq)).size, 3);
  await socket.close();
  assert.deepEqual(kernel.closedFds, [1000]);
});

test('a dump the kernel marks interrupted is repeated, and only the clean one is returned', async () => {
  const kernel = new ScriptedKernel((r, n) =>
    n === 1
      ? [Buffer.concat([entry(r.seq, 1), entry(r.seq, 2, NLM_F_MULTI | NLM_F_DUMP_INTR)]), done(r.seq)]
      : [Buffer.concat([entry(r.seq, 7), entry(r.seq, 8), done(r.seq)])],
  );
  const messages = await new NetlinkSocket({ binding: kernel }).dump(RTM_GETLINK, Buffer.alloc(16));
  assert.equal(kernel.requests.length, 2);
  assert.deepEqual(
    messages.map((m) => m.payload.readUInt8(4)),
    [7, 8],
  );
});

test('a dump that keeps being interrupted fails with EINTR after the retries', async () => {
  const kernel = new ScriptedKernel((r) => [entry(r.seq, 1, NLM_F_MULTI | NLM_F_DUMP_INTR), done(r.seq)]);
  const socket = new NetlinkSocket({ binding: kernel, dumpRetries: 3 });
  await assert.rejects(socket.dump(RTM_GETLINK, Buffer.alloc(16)), (e: NetlinkError) => e.code === 'EINTR');
  assert.equal(kernel.requests.length, 4);
});

test('an answer that comes later arrives through poll, across datagrams', async () => {
  const kernel = new ScriptedKernel(() => []);
  const pending = new NetlinkSocket({ binding: kernel }).dump(RTM_GETLINK, Buffer.alloc(16));
  await new Promise((r) => setImmediate(r));
  assert.ok(kernel.watching, 'waiting for readability');
  const seq = kernel.requests[0].seq;
  kernel.later(entry(seq, 1));
  kernel.later(entry(seq, 2), done(seq));
  assert.equal((await pending).length, 2);
  assert.ok(!kernel.watching, 'the poll handle is closed once answered');
});

test('no answer: ETIMEDOUT; the late answer is then ignored and the next request works', async () => {
  let silent = true;
  const kernel = new ScriptedKernel((r) => (silent ? [] : [ack(r)]));
  const socket = new NetlinkSocket({ binding: kernel, timeoutMs: 30 });
  await assert.rejects(
    socket.change(RTM_NEWLINK, 0, Buffer.alloc(16)),
    (e: NetlinkError) => e.code === 'ETIMEDOUT',
  );
  assert.ok(!kernel.watching);
  silent = false;
  // The stale refusal is read first, before the answer to the new request.
  kernel.later(ack(kernel.requests[0], errnoNumber('EPERM')));
  await socket.change(RTM_NEWLINK, 0, Buffer.alloc(16));
});

test('one request at a time: the second is sent only once the first is answered', async () => {
  const kernel = new ScriptedKernel(() => []);
  const socket = new NetlinkSocket({ binding: kernel });
  const first = socket.change(RTM_NEWLINK, 0, Buffer.alloc(16));
  const second = socket.change(RTM_NEWLINK, 0, Buffer.alloc(16));
  await new Promise((r) => setImmediate(r));
  assert.equal(kernel.requests.length, 1);
  kernel.later(ack(kernel.requests[0], errnoNumber('EEXIST')));
  await assert.rejects(first, (e: NetlinkError) => e.code === 'EEXIST' && e.message === 'File exists');
  await new Promise((r) => setImmediate(r));
  assert.equal(kernel.requests.length, 2);
  kernel.later(ack(kernel.requests[1]));
  await second;
});

test('a receive error from the addon becomes a NetlinkError with its errno', async () => {
  const kernel = new ScriptedKernel(() => []);
  kernel.recvError = Object.assign(new Error('recv: ENOBUFS'), {
    errno: errnoNumber('ENOBUFS'),
    code: 'ENOBUFS',
  });
  await assert.rejects(
    new NetlinkSocket({ binding: kernel }).dump(RTM_GETLINK, Buffer.alloc(16)),
    (e: NetlinkError) => e instanceof NetlinkError && e.code === 'ENOBUFS',
  );
});

test('requests after close are refused', async () => {
  const socket = new NetlinkSocket({ binding: new ScriptedKernel(() => []) });
  await socket.close();
  await assert.rejects(socket.dump(RTM_GETLINK, Buffer.alloc(16)), /closed/);
});
