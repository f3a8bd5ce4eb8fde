// Netlink framing, attributes, error replies and reply collection, on
// hand-made byte buffers (little-endian hosts, where these fixtures apply).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  AttributeTable,
  decodeAttributes,
  encodeAttribute,
  encodeNested,
  encodeString,
  encodeU32,
} from '../../src/network/netlink/attributes';
import { HOST_IS_LITTLE_ENDIAN, MalformedMessageError } from '../../src/network/netlink/bytes';
import {
  NLM_F_ACK_TLVS,
  NLM_F_CAPPED,
  NLM_F_DUMP_INTR,
  NLM_F_MULTI,
  NLMSG_DONE,
  NLMSG_ERROR,
  RTM_GETLINK,
  RTM_NEWLINK,
} from '../../src/network/netlink/constants';
import { errnoName, errnoNumber, errnoText, NetlinkError } from '../../src/network/netlink/errno';
import {
  decodeDoneError,
  decodeErrorReply,
  decodeMessages,
  encodeMessage,
  type NetlinkMessage,
} from '../../src/network/netlink/message';
import { ReplyCollector } from '../../src/network/netlink/reply';

const le = { skip: HOST_IS_LITTLE_ENDIAN ? false : 'fixtures are little-endian' };
const hex = (s: string): Buffer => Buffer.from(s.replace(/\s+/g, ''), 'hex');

/** struct nlmsghdr + payload, built by hand for the fixtures below. */
function rawMessage(type: number, flags: number, seq: number, payload: Buffer): Buffer<ArrayBufferLike> {
  const length = 16 + payload.length;
  const b = Buffer.alloc((length + 3) & ~3);
  b.writeUInt32LE(length, 0);
  b.writeUInt16LE(type, 4);
  b.writeUInt16LE(flags, 6);
  b.writeUInt32LE(seq, 8);
  b.writeUInt32LE(4242, 12);
  payload.copy(b, 16);
  return b;
}

function int32(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeInt32LE(n, 0);
  return b;
}

/** An NLMSG_ERROR answering a request of `requestType` with sequence `seq`. */
function errorMessage(seq: number, errno: number, flags = 0, tail: Buffer = Buffer.alloc(0)): Buffer {
  const request = rawMessage(RTM_NEWLINK, 0x405, seq, Buffer.alloc(16));
  const echoed = flags & NLM_F_CAPPED ? request.subarray(0, 16) : request;
  return rawMessage(NLMSG_ERROR, flags, seq, Buffer.concat([int32(-errno), echoed, tail]));
}

test('encodeMessage writes the header in host order and pads the payload', le, () => {
  const m = encodeMessage({ type: RTM_GETLINK, flags: 0x301, seq: 7 }, Buffer.from([1, 2, 3, 4, 5]));
  assert.deepEqual(m, hex('15000000 1200 0103 07000000 00000000 0102030405 000000'));
});

test('decodeMessages splits a datagram holding several padded messages', le, () => {
  const datagram = Buffer.concat([
    rawMessage(RTM_NEWLINK, NLM_F_MULTI, 9, Buffer.from('abcde')),
    rawMessage(RTM_NEWLINK, NLM_F_MULTI, 9, Buffer.from('xy')),
    rawMessage(NLMSG_DONE, NLM_F_MULTI, 9, int32(0)),
  ]);
  const messages = decodeMessages(datagram);
  assert.deepEqual(
    messages.map((m) => [m.type, m.flags, m.seq, m.pid, m.payload.toString('latin1')]),
    [
      [RTM_NEWLINK, NLM_F_MULTI, 9, 4242, 'abcde'],
      [RTM_NEWLINK, NLM_F_MULTI, 9, 4242, 'xy'],
      [NLMSG_DONE, NLM_F_MULTI, 9, 4242, '\0\0\0\0'],
    ],
  );
});

test('decodeMessages refuses a length that overruns the datagram or is below the header', le, () => {
  const good = rawMessage(RTM_NEWLINK, 0, 1, Buffer.alloc(8));
  const overrun = Buffer.from(good);
  overrun.writeUInt32LE(200, 0);
  assert.throws(() => decodeMessages(overrun), MalformedMessageError);
  const tooShort = Buffer.from(good);
  tooShort.writeUInt32LE(8, 0);
  assert.throws(() => decodeMessages(tooShort), MalformedMessageError);
  assert.deepEqual(decodeMessages(Buffer.alloc(3)), []);
});

test('attributes are length-prefixed and padded to 4 bytes', le, () => {
  assert.deepEqual(encodeString(3, 'lo'), hex('0700 0300 6c6f00 00'));
  assert.deepEqual(encodeU32(4, 1500), hex('0800 0400 dc050000'));
  assert.deepEqual(encodeAttribute(1, Buffer.from([0xaa])), hex('0500 0100 aa000000'));
  assert.deepEqual(encodeAttribute(9, Buffer.alloc(0)), hex('0400 0900'));
  assert.deepEqual(encodeNested(18, [encodeString(1, 'veth')]), hex('1000 1280 0900 0100 7665746800 000000'));
});

test('decodeAttributes masks the flag bits and walks nested attributes', le, () => {
  const buf = Buffer.concat([
    encodeU32(4, 9000),
    encodeNested(18, [encodeString(1, 'bridge'), encodeU32(2, 5)]),
    encodeString(3, 'br0'),
    encodeU32(4, 1),
  ]);
  const attrs = decodeAttributes(buf);
  assert.deepEqual(
    attrs.map((a) => [a.type, a.nested]),
    [
      [4, false],
      [18, true],
      [3, false],
      [4, false],
    ],
  );
  const table = new AttributeTable(buf);
  assert.equal(table.u32(4), 9000, 'first occurrence wins');
  assert.equal(table.string(3), 'br0');
  assert.equal(table.nested(18)?.string(1), 'bridge');
  assert.equal(table.nested(18)?.u32(2), 5);
  assert.equal(table.u32(99), undefined);
  assert.equal(table.u8(4), 0x28);
});

test('a truncated attribute is malformed, a short u32 too', le, () => {
  assert.throws(() => decodeAttributes(hex('0c00 0100 aabbccdd')), MalformedMessageError);
  assert.throws(() => decodeAttributes(hex('0200 0100')), MalformedMessageError);
  assert.throws(() => new AttributeTable(hex('0600 0100 aabb 0000')).u32(1), MalformedMessageError);
});

test('NLMSG_ERROR: an acknowledgement, an errno, and the extended-ack text', le, () => {
  const [ack] = decodeMessages(errorMessage(5, 0));
  assert.deepEqual(decodeErrorReply(ack), {
    errno: 0,
    requestType: RTM_NEWLINK,
    requestSeq: 5,
    detail: undefined,
  });

  const eexist = errnoNumber('EEXIST');
  const [refused] = decodeMessages(errorMessage(6, eexist));
  assert.equal(decodeErrorReply(refused).errno, eexist);

  const tlv = encodeString(1, 'Nexthop has invalid gateway');
  for (const flags of [NLM_F_ACK_TLVS, NLM_F_ACK_TLVS | NLM_F_CAPPED]) {
    const [extended] = decodeMessages(errorMessage(7, errnoNumber('EINVAL'), flags, tlv));
    assert.equal(decodeErrorReply(extended).detail, 'Nexthop has invalid gateway', `flags ${flags}`);
  }
});

test('NLMSG_DONE carries the dump error, if any', le, () => {
  const [ok] = decodeMessages(rawMessage(NLMSG_DONE, NLM_F_MULTI, 1, int32(0)));
  assert.equal(decodeDoneError(ok), 0);
  const [bad] = decodeMessages(rawMessage(NLMSG_DONE, NLM_F_MULTI, 1, int32(-errnoNumber('EMSGSIZE'))));
  assert.equal(decodeDoneError(bad), errnoNumber('EMSGSIZE'));
});

test('errno numbers become their names and strerror texts', () => {
  const e = new NetlinkError(errnoNumber('EEXIST'));
  assert.equal(e.code, 'EEXIST');
  assert.equal(e.message, 'File exists');
  assert.equal(errnoText(errnoNumber('ENETUNREACH')), 'Network is unreachable');
  assert.equal(errnoName(errnoNumber('ENODEV')), 'ENODEV');
  assert.equal(errnoName(100000), 'E100000');
  assert.equal(errnoText(100000), 'Unknown error 100000');
  assert.equal(new NetlinkError(errnoNumber('EINVAL'), 'bad prefix').message, 'Invalid argument: bad prefix');
});

function feedAll(c: ReplyCollector, datagrams: Buffer[]): ReturnType<ReplyCollector['feed']> {
  let state = c.state;
  for (const d of datagrams) for (const m of decodeMessages(d)) state = c.feed(m);
  return state;
}

const entry = (seq: number, text: string, flags = NLM_F_MULTI): Buffer<ArrayBufferLike> =>
  rawMessage(RTM_NEWLINK, flags, seq, Buffer.from(text));

test('a multi-part dump spans datagrams until NLMSG_DONE; other sequence numbers are dropped', le, () => {
  const c = new ReplyCollector(3, true);
  const pending = feedAll(c, [Buffer.concat([entry(3, 'one'), entry(2, 'stale')]), entry(3, 'two')]);
  assert.equal(pending.state, 'pending');
  const done = feedAll(c, [
    Buffer.concat([entry(3, 'three'), rawMessage(NLMSG_DONE, NLM_F_MULTI, 3, int32(0))]),
  ]);
  assert.equal(done.state, 'done');
  if (done.state !== 'done') return;
  assert.deepEqual(
    done.messages.map((m: NetlinkMessage) => m.payload.toString()),
    ['one', 'two', 'three'],
  );
  assert.equal(done.interrupted, false);
  assert.equal(c.feed(decodeMessages(entry(3, 'late'))[0]).state, 'done', 'settled state is final');
});

test('NLM_F_DUMP_INTR on any part marks the dump for a retry', le, () => {
  const c = new ReplyCollector(4, true);
  const state = feedAll(c, [
    entry(4, 'a'),
    entry(4, 'b', NLM_F_MULTI | NLM_F_DUMP_INTR),
    rawMessage(NLMSG_DONE, NLM_F_MULTI, 4, int32(0)),
  ]);
  assert.equal(state.state === 'done' && state.interrupted, true);
});

test('a dump that fails in NLMSG_DONE or NLMSG_ERROR fails with the errno', le, () => {
  const viaDone = feedAll(new ReplyCollector(8, true), [
    rawMessage(NLMSG_DONE, NLM_F_MULTI, 8, int32(-errnoNumber('ENOBUFS'))),
  ]);
  assert.equal(viaDone.state === 'failed' && (viaDone.error as NetlinkError).code, 'ENOBUFS');
  const viaError = feedAll(new ReplyCollector(9, true), [errorMessage(9, errnoNumber('EOPNOTSUPP'))]);
  assert.equal(viaError.state === 'failed' && (viaError.error as NetlinkError).code, 'EOPNOTSUPP');
});

test('a change completes on its acknowledgement and fails on an errno', le, () => {
  const ok = feedAll(new ReplyCollector(11, false), [
    errorMessage(10, errnoNumber('EPERM')),
    errorMessage(11, 0),
  ]);
  assert.equal(ok.state, 'done');
  const refused = feedAll(new ReplyCollector(12, false), [errorMessage(12, errnoNumber('ENODEV'))]);
  assert.equal(refused.state, 'failed');
  if (refused.state === 'failed') {
    assert.ok(refused.error instanceof NetlinkError);
    assert.equal(refused.error.message, 'No such device');
  }
});
