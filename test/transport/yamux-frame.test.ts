import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  decodeHeader,
  encodeHeader,
  Flag,
  FrameDecoder,
  FrameType,
  HEADER_SIZE,
  ProtocolError,
  type FrameHeader,
} from '../../src/transport/yamux/frame';

interface Decoded {
  header: FrameHeader;
  payload: Buffer;
}

function decodeAll(pieces: Buffer[], maxPayload = 1 << 20): Decoded[] {
  const out: Decoded[] = [];
  let parts: Buffer[] = [];
  const decoder = new FrameDecoder(
    {
      header: () => (parts = []),
      payload: (_h, piece) => parts.push(Buffer.from(piece)),
      end: (header) => out.push({ header, payload: Buffer.concat(parts) }),
    },
    maxPayload,
  );
  for (const p of pieces) decoder.write(p);
  return out;
}

test('header layout is 12 big-endian bytes: version, type, flags, stream id, length', () => {
  const h = encodeHeader(FrameType.WindowUpdate, Flag.SYN | Flag.FIN, 0x01020304, 0x0a0b0c0d);
  assert.equal(h.length, HEADER_SIZE);
  assert.deepEqual([...h], [0, 1, 0, 5, 1, 2, 3, 4, 0x0a, 0x0b, 0x0c, 0x0d]);
  assert.deepEqual(decodeHeader(h), {
    type: FrameType.WindowUpdate,
    flags: 5,
    streamId: 0x01020304,
    length: 0x0a0b0c0d,
  });
});

test('bad version, bad type and oversized data frames are protocol errors', () => {
  const bad = encodeHeader(FrameType.Ping, 0, 0, 0);
  bad[0] = 1;
  assert.throws(() => decodeAll([bad]), ProtocolError);
  const badType = encodeHeader(FrameType.Ping, 0, 0, 0);
  badType[1] = 4;
  assert.throws(() => decodeAll([badType]), /invalid frame type 4/);
  assert.throws(() => decodeAll([encodeHeader(FrameType.Data, 0, 1, 1001)], 1000), /exceeds/);
  // Only data frames carry a payload: a huge window update length is just a number.
  assert.equal(decodeAll([encodeHeader(FrameType.WindowUpdate, 0, 1, 0xffffffff)], 1000).length, 1);
});

test('a decoder that failed stays failed', () => {
  const bad = Buffer.alloc(HEADER_SIZE, 9);
  const decoder = new FrameDecoder({ header() {}, payload() {}, end() {} }, 100);
  assert.throws(() => decoder.write(bad), ProtocolError);
  assert.throws(() => decoder.write(encodeHeader(FrameType.Ping, 0, 0, 0)), ProtocolError);
});

test('frames decode the same however the byte stream is cut', () => {
  const frame = fc.record({
    type: fc.constantFrom(FrameType.Data, FrameType.WindowUpdate, FrameType.Ping, FrameType.GoAway),
    flags: fc.integer({ min: 0, max: 15 }),
    streamId: fc.nat(),
    payload: fc.uint8Array({ maxLength: 300 }),
    value: fc.nat(),
  });
  fc.assert(
    fc.property(fc.array(frame, { maxLength: 20 }), fc.array(fc.nat(), { maxLength: 30 }), (frames, cuts) => {
      const wire = Buffer.concat(
        frames.flatMap((f) =>
          f.type === FrameType.Data
            ? [encodeHeader(f.type, f.flags, f.streamId, f.payload.length), Buffer.from(f.payload)]
            : [encodeHeader(f.type, f.flags, f.streamId, f.value)],
        ),
      );
      const points = [...new Set(cuts.map((c) => c % (wire.length + 1)))].sort((a, b) => a - b);
      const pieces: Buffer[] = [];
      let last = 0;
      for (const p of [...points, wire.length]) {
        pieces.push(wire.subarray(last, p));
        last = p;
      }
      const decoded = decodeAll(pieces);
      assert.equal(decoded.length, frames.length);
      decoded.forEach((d, i) => {
        const f = frames[i];
        assert.equal(d.header.type, f.type);
        assert.equal(d.header.flags, f.flags);
        assert.equal(d.header.streamId, f.streamId);
        if (f.type === FrameType.Data) assert.deepEqual(d.payload, Buffer.from(f.payload));
        else assert.equal(d.header.length, f.value);
      });
    }),
  );
});
