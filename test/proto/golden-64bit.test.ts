// 64-bit fields carry exact values in both directions: the kernel's "unlimited"
// memory limit, counters at the top of uint64, Kubernetes' negative
// OOMScoreAdj. Golden bytes are written from the varint rules (7 bits per byte,
// little end first; a negative int64 is its 64-bit two's complement).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MemoryData, SetGuestDateTimeRequest } from '../../src/generated/agent';
import { Process } from '../../src/generated/oci';
import { stringifyExact } from '../../src/common/exact-json';
import { toOciProcess } from '../../src/runtime/oci-spec';

const hex = (s: string): Buffer => Buffer.from(s.replace(/\s+/g, ''), 'hex');

function varint(v: bigint): string {
  let x = BigInt.asUintN(64, v);
  let out = '';
  do {
    let byte = Number(x & 0x7fn);
    x >>= 7n;
    if (x) byte |= 0x80;
    out += byte.toString(16).padStart(2, '0');
  } while (x);
  return out;
}

test('varint helper agrees with hand-worked bytes', () => {
  assert.equal(varint(300n), 'ac02');
  assert.equal(varint(-1n), 'ffffffffffffffffff01');
  assert.equal(varint(-998n), '9af8ffffffffffffff01');
});

const extremes: [string, bigint][] = [
  ['zero', 0n],
  ['2^53 + 1 (the first integer a double loses)', 2n ** 53n + 1n],
  ["the kernel's unlimited memory limit", 9223372036854771712n],
  ['2^63 - 1', 2n ** 63n - 1n],
  ['2^64 - 1', 2n ** 64n - 1n],
];

for (const [name, value] of extremes) {
  test(`uint64 MemoryData.limit: ${name}`, () => {
    const message = MemoryData.fromPartial({ limit: value });
    const golden = value === 0n ? '' : `20${varint(value)}`; // limit = 4, varint
    assert.equal(Buffer.from(MemoryData.encode(message).finish()).toString('hex'), golden);
    assert.equal(MemoryData.decode(hex(golden)).limit, value);
  });
}

test('int64 SetGuestDateTimeRequest.Sec: negative and extreme values decode exactly', () => {
  for (const sec of [-1n, -(2n ** 63n), 2n ** 63n - 1n, 2n ** 53n + 1n]) {
    const golden = `08${varint(sec)}`;
    const message = SetGuestDateTimeRequest.fromPartial({ Sec: sec });
    assert.equal(Buffer.from(SetGuestDateTimeRequest.encode(message).finish()).toString('hex'), golden);
    assert.equal(SetGuestDateTimeRequest.decode(hex(golden)).Sec, sec);
  }
});

test('OOMScoreAdj is int64 (field 11): -998 from Kubernetes survives decode and config.json', () => {
  const golden = hex(`58${varint(-998n)}`);
  const process = Process.decode(golden);
  assert.equal(process.OOMScoreAdj, -998n);
  assert.equal(Buffer.from(Process.encode(process).finish()).toString('hex'), golden.toString('hex'));
  const oci = toOciProcess(Process.fromPartial({ Args: ['sh'], Cwd: '/', OOMScoreAdj: -998n }));
  assert.match(stringifyExact(oci), /"oomScoreAdj":-998[,}]/);
  assert.throws(() => toOciProcess(Process.fromPartial({ OOMScoreAdj: 1001n })), /outside the kernel's range/);
  assert.throws(() => toOciProcess(Process.fromPartial({ OOMScoreAdj: -(2n ** 40n) })), /outside/);
});

test('config.json writes 64-bit values as exact JSON numbers', () => {
  const text = stringifyExact({ limit: 9223372036854771712n, list: [2n ** 64n - 1n, -5n], name: 'x', n: 1 });
  assert.equal(text, '{"limit":9223372036854771712,"list":[18446744073709551615,-5],"name":"x","n":1}');
});
