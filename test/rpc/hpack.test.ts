// HPACK as the agent's HTTP/2 server reads and writes it, on RFC 7541's own
// examples (Appendix C) and on the malformed blocks a hostile client can send.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  encodeHeaderBlock,
  HeaderListTooLarge,
  HpackDecoder,
  HpackError,
  huffmanDecode,
  readInteger,
  readString,
  writeInteger,
} from '../../src/rpc/h2/hpack';
import { HUFFMAN_LENGTHS, huffmanEncode } from '../helpers/huffman';

const hex = (s: string): Buffer => Buffer.from(s.replace(/\s/g, ''), 'hex');
const LIMIT = 64 * 1024;

test('Huffman strings decode as RFC 7541 shows them; bad padding and EOS are errors', () => {
  assert.equal(huffmanDecode(hex('f1e3 c2e5 f23a 6ba0 ab90 f4ff')).toString(), 'www.example.com');
  assert.equal(huffmanDecode(hex('a8eb 1064 9cbf')).toString(), 'no-cache');
  assert.equal(huffmanDecode(hex('25a8 49e9 5ba9 7d7f')).toString(), 'custom-key');
  assert.equal(huffmanDecode(hex('6402')).toString(), '302');
  assert.equal(huffmanDecode(Buffer.alloc(0)).length, 0);
  // Padding of zeros, and a full byte of ones (more than 7 bits), are both invalid.
  assert.throws(() => huffmanDecode(hex('f1e3 c2e5 f23a 6ba0 ab90 f400')), HpackError);
  assert.throws(() => huffmanDecode(hex('6402 ff')), HpackError);
  assert.throws(() => huffmanDecode(hex('ffff fffc')), HpackError);
});

test('prefixed integers round-trip, including the RFC examples; oversized ones are errors', () => {
  assert.deepEqual(readInteger(hex('0a'), 0, 5), [10, 1]);
  assert.deepEqual(readInteger(hex('1f 9a 0a'), 0, 5), [1337, 3]);
  assert.deepEqual(writeInteger(1337, 5, 0), hex('1f 9a 0a'));
  for (const n of [0, 126, 127, 128, 16383, 1 << 20])
    assert.equal(readInteger(writeInteger(n, 7, 0x80), 0, 7)[0], n);
  assert.throws(() => readInteger(hex('1f 9a'), 0, 5), HpackError);
  assert.throws(() => readInteger(hex('1f ff ff ff ff ff 01'), 0, 5), HpackError);
});

const REQUESTS = [
  [
    [':method', 'GET'],
    [':scheme', 'http'],
    [':path', '/'],
    [':authority', 'www.example.com'],
  ],
  [
    [':method', 'GET'],
    [':scheme', 'http'],
    [':path', '/'],
    [':authority', 'www.example.com'],
    ['cache-control', 'no-cache'],
  ],
  [
    [':method', 'GET'],
    [':scheme', 'https'],
    [':path', '/index.html'],
    [':authority', 'www.example.com'],
    ['custom-key', 'custom-value'],
  ],
];

test('three requests on one connection decode with the dynamic table, plain (RFC 7541 C.3) and Huffman (C.4)', () => {
  const plain = [
    '8286 8441 0f77 7777 2e65 7861 6d70 6c65 2e63 6f6d',
    '8286 84be 5808 6e6f 2d63 6163 6865',
    '8287 85bf 400a 6375 7374 6f6d 2d6b 6579 0c63 7573 746f 6d2d 7661 6c75 65',
  ];
  const huffman = [
    '8286 8441 8cf1 e3c2 e5f2 3a6b a0ab 90f4 ff',
    '8286 84be 5886 a8eb 1064 9cbf',
    '8287 85bf 4088 25a8 49e9 5ba9 7d7f 8925 a849 e95b b8e8 b4bf',
  ];
  for (const blocks of [plain, huffman]) {
    const decoder = new HpackDecoder();
    blocks.forEach((block, i) => assert.deepEqual(decoder.decode(hex(block), LIMIT), REQUESTS[i]));
  }
});

test('the table evicts oldest first after a size update, and an index past it is an error', () => {
  const decoder = new HpackDecoder();
  // Size update to 60: room for one of the two entries below (57 and 53 bytes).
  decoder.decode(hex('3f1d 418c f1e3 c2e5 f23a 6ba0 ab90 f4ff'), LIMIT);
  assert.deepEqual(decoder.decode(hex('be'), LIMIT), [[':authority', 'www.example.com']]);
  decoder.decode(hex('5886 a8eb 1064 9cbf'), LIMIT);
  assert.deepEqual(decoder.decode(hex('be'), LIMIT), [['cache-control', 'no-cache']]);
  assert.throws(() => decoder.decode(hex('bf'), LIMIT), /index 63 is out of range/);
});

test('malformed blocks: index 0, cut strings, a size update past the limit or after a field, too large a list', () => {
  const bad = ['80', 'ff 00', '41 05 61', '3f e2 1f', '82 20', '3f e1 ff ff ff 0f'];
  for (const block of bad)
    assert.throws(() => new HpackDecoder().decode(hex(block), LIMIT), HpackError, block);
  assert.deepEqual(
    new HpackDecoder().decode(hex('3f e1 1f'), LIMIT),
    [],
    'a size update to exactly the limit is fine',
  );
  const big = encodeHeaderBlock([['x', 'y'.repeat(2000)]]);
  assert.throws(() => new HpackDecoder().decode(big, 1000), HeaderListTooLarge);
});

test('what the server encodes, any decoder reads back; no dynamic table is used', () => {
  const fields: [string, string][] = [
    [':status', '200'],
    ['content-type', 'application/grpc'],
    ['grpc-status', '13'],
    ['grpc-message', 'caf%C3%A9 %25 done'],
  ];
  const decoder = new HpackDecoder();
  const block = encodeHeaderBlock(fields);
  assert.deepEqual(decoder.decode(block, LIMIT), fields);
  assert.deepEqual(decoder.decode(block, LIMIT), fields);
  assert.throws(() => decoder.decode(hex('be'), LIMIT), HpackError, 'nothing entered the table');
  assert.equal(block[0], 0x88, ':status 200 is the static entry');
});

// Round trips against an encoder built from RFC 7541 Appendix B's codes, which
// the decoder never sees: it derives the code from the lengths alone.
const ALL_BYTES = Buffer.from(Array.from({ length: 256 }, (_, i) => i));

test('the Appendix B encoder reproduces the RFC examples (C.4)', () => {
  assert.deepEqual(huffmanEncode(Buffer.from('www.example.com')), hex('f1e3 c2e5 f23a 6ba0 ab90 f4ff'));
  assert.deepEqual(huffmanEncode(Buffer.from('no-cache')), hex('a8eb 1064 9cbf'));
  assert.deepEqual(huffmanEncode(Buffer.from('custom-key')), hex('25a8 49e9 5ba9 7d7f'));
  assert.deepEqual(huffmanEncode(Buffer.from('custom-value')), hex('25a8 49e9 5bb8 e8b4 bf'));
  assert.deepEqual(huffmanEncode(Buffer.from('302')), hex('6402'));
});

test('every byte value alone Huffman-codes and decodes back, in the bytes its code length takes', () => {
  for (let byte = 0; byte < 256; byte++) {
    const encoded = huffmanEncode(Buffer.from([byte]));
    assert.equal(encoded.length, Math.ceil(HUFFMAN_LENGTHS[byte] / 8), `byte ${byte}: encoded length`);
    assert.deepEqual([...huffmanDecode(encoded)], [byte], `byte ${byte}`);
  }
});

test('all 256 byte values in one string, either way round and repeated, decode back', () => {
  const reversed = Buffer.from(ALL_BYTES).reverse();
  for (const input of [ALL_BYTES, reversed, Buffer.concat([ALL_BYTES, reversed, ALL_BYTES])]) {
    const encoded = huffmanEncode(input);
    const bits = input.reduce((n, b) => n + HUFFMAN_LENGTHS[b], 0);
    assert.equal(encoded.length, Math.ceil(bits / 8));
    assert.deepEqual(huffmanDecode(encoded), input);
  }
});

test('random strings round-trip, alone and as string literals of a header block', () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => {
      const encoded = huffmanEncode(bytes);
      assert.deepEqual(huffmanDecode(encoded), Buffer.from(bytes));
      // H bit set, 7-bit prefixed length, then the code.
      const literal = Buffer.concat([writeInteger(encoded.length, 7, 0x80), encoded]);
      const [decoded, end] = readString(literal, 0);
      assert.deepEqual(decoded, Buffer.from(bytes));
      assert.equal(end, literal.length);
    }),
    { seed: 20261204, numRuns: 2000 },
  );
});
