// HPACK reading and the :authority rewrite, on hand-made header blocks and
// frame streams (the grpc-go tests drive the same code with a real client).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DynamicTable, HpackError, huffmanDecode, readInteger, writeInteger } from '../../src/rpc/hpack';
import { acceptableAuthority, HeaderRewriter, rewriteAuthority } from '../../src/rpc/header-rewriter';

const hex = (s: string): Buffer => Buffer.from(s.replace(/\s/g, ''), 'hex');

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

test('prefixed integers round-trip, including the RFC examples', () => {
  assert.deepEqual(readInteger(hex('0a'), 0, 5), [10, 1]);
  assert.deepEqual(readInteger(hex('1f 9a 0a'), 0, 5), [1337, 3]);
  assert.deepEqual(writeInteger(1337, 5, 0), hex('1f 9a 0a'));
  for (const n of [0, 126, 127, 128, 16383, 1 << 20])
    assert.equal(readInteger(writeInteger(n, 7, 0x80), 0, 7)[0], n);
  assert.throws(() => readInteger(hex('1f 9a'), 0, 5), HpackError);
});

test('a valid :authority passes untouched, literal or indexed (RFC 7541 C.4)', () => {
  const table = new DynamicTable();
  assert.equal(rewriteAuthority(hex('8286 8441 8cf1 e3c2 e5f2 3a6b a0ab 90f4 ff'), table), undefined);
  assert.equal(table.nameAt(62), ':authority');
  assert.equal(rewriteAuthority(hex('8286 84be 5886 a8eb 1064 9cbf'), table), undefined);
  assert.equal(table.nameAt(62), 'cache-control');
  assert.equal(table.nameAt(63), ':authority');
});

test('an old grpc-go :authority is rewritten in place; the next block refers to it by index', () => {
  const table = new DynamicTable();
  const value = Buffer.from('unix:///run/vc/vm/abc/kata.sock');
  // :method POST (static 3), then :authority as a literal with incremental indexing (name index 1).
  const block = Buffer.concat([
    hex('83'),
    writeInteger(1, 6, 0x40),
    writeInteger(value.length, 7, 0),
    value,
    hex('86'),
  ]);
  const out = rewriteAuthority(block, table)!;
  const fixed = Buffer.from('unix:___run_vc_vm_abc_kata.sock');
  assert.deepEqual(
    out,
    Buffer.concat([hex('83'), writeInteger(1, 6, 0x40), writeInteger(fixed.length, 7, 0), fixed, hex('86')]),
  );
  assert.equal(rewriteAuthority(hex('83 be 86'), table), undefined);
  // A literal name spelled out, never indexed: rewritten too, and nothing enters the table.
  const named = Buffer.concat([
    hex('10 0a'),
    Buffer.from(':authority'),
    hex('0e'),
    Buffer.from('vsock://3:1024'),
  ]);
  assert.deepEqual(
    rewriteAuthority(named, table),
    Buffer.concat([hex('10 0a'), Buffer.from(':authority'), hex('0e'), Buffer.from('vsock:__3:1024')]),
  );
  assert.equal(table.nameAt(62), ':authority');
  assert.throws(() => table.nameAt(63), HpackError);
  assert.equal(acceptableAuthority('a b/c%d'), 'a_b_c%d');
});

test('malformed blocks are errors: bad index, cut strings, a size update beyond the limit', () => {
  const table = new DynamicTable();
  assert.throws(() => rewriteAuthority(hex('80'), table), HpackError);
  assert.throws(() => rewriteAuthority(hex('ff 00'), table), HpackError);
  assert.throws(() => rewriteAuthority(hex('41 05 61'), table), HpackError);
  assert.throws(() => rewriteAuthority(hex('3f e2 1f'), table), HpackError);
  assert.equal(
    rewriteAuthority(hex('3f e1 1f'), table),
    undefined,
    'a size update to exactly the limit is fine',
  );
  assert.equal(rewriteAuthority(hex('20'), table), undefined);
});

function frame(type: number, flags: number, stream: number, payload: Buffer): Buffer {
  const head = Buffer.alloc(9);
  head.writeUIntBE(payload.length, 0, 3);
  head[3] = type;
  head[4] = flags;
  head.writeUInt32BE(stream, 5);
  return Buffer.concat([head, payload]);
}

test('frame stream: preface, SETTINGS and DATA pass through; a split, padded HEADERS is rewritten, fed byte by byte', () => {
  const preface = Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n');
  const settings = frame(0x4, 0, 0, hex('0004 0010 0000'));
  const value = Buffer.from('vsock://3:1024');
  const block = Buffer.concat([hex('83'), writeInteger(1, 6, 0x40), writeInteger(value.length, 7, 0), value]);
  // HEADERS padded (2 bytes) with priority, then a CONTINUATION with the rest of the block.
  const headers = frame(
    0x1,
    0x08 | 0x20,
    1,
    Buffer.concat([hex('02'), hex('0000 0000 0f'), block.subarray(0, 4), hex('0000')]),
  );
  const continuation = frame(0x9, 0x4, 1, block.subarray(4));
  const data = frame(0x0, 0x1, 1, Buffer.from('grpc bytes'));
  const input = Buffer.concat([preface, settings, headers, continuation, data]);

  const rewriter = new HeaderRewriter();
  const out = Buffer.concat(
    input.reduce<Buffer[]>((acc, _b, i) => acc.concat(rewriter.feed(input.subarray(i, i + 1))), []),
  );
  const fixed = Buffer.from('vsock:__3:1024');
  const expectedBlock = Buffer.concat([
    hex('83'),
    writeInteger(1, 6, 0x40),
    writeInteger(fixed.length, 7, 0),
    fixed,
  ]);
  const expected = Buffer.concat([
    preface,
    settings,
    // One HEADERS frame: padding dropped, priority kept, END_HEADERS set.
    frame(0x1, 0x20 | 0x4, 1, Buffer.concat([hex('0000 0000 0f'), expectedBlock])),
    data,
  ]);
  assert.deepEqual(out, expected);

  // Unchanged blocks keep their frames exactly, in one chunk as well.
  const again = new HeaderRewriter();
  const plain = Buffer.concat([preface, frame(0x1, 0x5, 3, hex('8286 84be')), data]);
  assert.deepEqual(Buffer.concat(again.feed(plain)), plain);
});

test('an unreadable block is passed on as it came, and so is everything after it', () => {
  const rewriter = new HeaderRewriter();
  const preface = Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n');
  const bad = frame(0x1, 0x4, 1, hex('ff ff ff ff ff ff ff'));
  const after = frame(0x1, 0x4, 3, Buffer.concat([hex('41 0e'), Buffer.from('vsock://3:1024')]));
  const input = Buffer.concat([preface, bad, after]);
  assert.deepEqual(Buffer.concat(rewriter.feed(input)), input);
});

test('the first SETTINGS acknowledgement can be dropped, and only the first', () => {
  const rewriter = new HeaderRewriter({ dropFirstSettingsAck: true });
  const preface = Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n');
  const ack = frame(0x4, 0x1, 0, Buffer.alloc(0));
  const headers = frame(0x1, 0x5, 1, hex('8286 84'));
  assert.equal(rewriter.ackSettled, false);
  assert.equal(rewriter.firstBlockSeen, false);
  const out = Buffer.concat(rewriter.feed(Buffer.concat([preface, headers, ack, ack])));
  assert.deepEqual(out, Buffer.concat([preface, headers, ack]));
  assert.equal(rewriter.ackSettled, true);
  assert.equal(rewriter.firstBlockSeen, true);
  assert.equal(rewriter.rewrote, false);
});
