import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import {
  DATA_OFFSET,
  fletcher64,
  mbr,
  PARTITION_OFFSET,
  pfnInfoBlock,
  rootfsImageSize,
} from '../../src/host/image/rootfs-image';
import { DAX_ROOT_PARAMS, loaderScript } from '../../src/host/image/loader';

test("fletcher64 sums little-endian words as the kernel's nd_fletcher64 does", () => {
  const words = Buffer.alloc(12);
  [1, 2, 3].forEach((w, i) => words.writeUInt32LE(w, i * 4));
  // lo = 1+2+3; hi = 1 + 3 + 6
  assert.equal(fletcher64(words), (10n << 32n) | 6n);
  // lo wraps at 32 bits; hi keeps counting.
  const big = Buffer.alloc(8, 0xff);
  assert.equal(fletcher64(big), (((0xffffffffn + 0xfffffffen) << 32n) & 0xffffffffffffffffn) | 0xfffffffen);
  assert.equal(fletcher64(Buffer.alloc(4096)), 0n);
});

test('the fsdax info block: signature, version 1.4, data offset, pages, RAM mode and a valid checksum', () => {
  const size = 256 * 1024 * 1024;
  const b = pfnInfoBlock(size, '01234567-89ab-cdef-0123-456789abcdef');
  assert.equal(b.length, 4096);
  assert.equal(b.toString('latin1', 0, 16), 'NVDIMM_PFN_INFO\0');
  assert.equal(b.toString('hex', 16, 32), '0123456789abcdef0123456789abcdef');
  assert.ok(
    b.subarray(32, 48).every((x) => x === 0),
    'a label-less namespace has no parent uuid',
  );
  assert.equal(b.readUInt16LE(52), 1);
  assert.equal(b.readUInt16LE(54), 4);
  assert.equal(b.readBigUInt64LE(56), BigInt(DATA_OFFSET));
  assert.equal(b.readBigUInt64LE(64), BigInt((size - DATA_OFFSET) / 4096));
  assert.equal(b.readUInt32LE(72), 1);
  assert.equal(b.readUInt32LE(84), DATA_OFFSET);
  const stored = b.readBigUInt64LE(4088);
  const zeroed = Buffer.from(b);
  zeroed.writeBigUInt64LE(0n, 4088);
  assert.equal(fletcher64(zeroed), stored);
  assert.notEqual(stored, 0n);
});

test('the disk inside: one Linux partition from 1 MiB to the end, rounded to 128 MiB images', () => {
  const disk = 254 * 1024 * 1024;
  const m = mbr(disk);
  assert.equal(m.readUInt16LE(510), 0xaa55);
  assert.equal(m[446 + 4], 0x83);
  assert.equal(m.readUInt32LE(446 + 8) * 512, PARTITION_OFFSET);
  assert.equal((m.readUInt32LE(446 + 8) + m.readUInt32LE(446 + 12)) * 512, disk);
  assert.ok(
    m.subarray(462, 510).every((x) => x === 0),
    'one partition only',
  );
  assert.equal(rootfsImageSize(110 * 1024 * 1024), 256 * 1024 * 1024);
  assert.equal(rootfsImageSize(1), 128 * 1024 * 1024);
});

test("the loader mounts what root=, rootflags= and rootfstype= name, with Kata 1.x's parameters", () => {
  const script = loaderScript('/etc/loader-modules');
  const check = spawnSync('busybox', ['sh', '-n'], { input: script });
  assert.equal(check.status, 0, check.stderr.toString());
  assert.match(script, /exec switch_root \/newroot \/init\n$/);
  assert.deepEqual(DAX_ROOT_PARAMS, [
    'root=/dev/pmem0p1',
    'rootflags=dax,data=ordered,errors=remount-ro',
    'ro',
    'rootfstype=ext4',
  ]);
});
