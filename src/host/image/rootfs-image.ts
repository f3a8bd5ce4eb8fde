// The image form Kata 1.x ships (`image =` in configuration.toml): the guest's
// root filesystem as an ext4 partition in a disk image that qemu exposes as an
// nvdimm. Mounted with `dax`, the guest reads node and the agent straight from
// the host's page cache: the pages are not copied into guest RAM and every VM
// of the host shares them.
//
// A label-less nvdimm is a "raw" namespace, and Linux offers DAX only on an
// "fsdax" one: the image starts with the info block that makes it one (the
// kernel's struct nd_pfn_sb, described in its drivers/nvdimm/pfn.h), and the
// disk the guest sees, partition table first, begins at DATA_OFFSET.
import { randomUUID } from 'node:crypto';
import { closeSync, openSync, rmSync, writeSync } from 'node:fs';
import { run } from '../exec';

const SECTOR = 512;
const PAGE = 4096;
/** Where the guest's /dev/pmem0 begins in the image: after the info block, 2 MiB-aligned. */
export const DATA_OFFSET = 2 * 1024 * 1024;
/** The partition starts 1 MiB into the disk, as partitioning tools place it: page-aligned, as DAX needs. */
export const PARTITION_OFFSET = 1024 * 1024;
/** The info block sits 4 KiB into the namespace. */
const INFO_BLOCK_AT = 4096;
/** Struct pages for the mapping live in guest RAM (64 bytes per 4 KiB page), not in the image. */
const PFN_MODE_RAM = 1;

/** The kernel's fletcher64 over little-endian 32-bit words, as it checks info blocks. */
export function fletcher64(block: Buffer): bigint {
  let lo = 0;
  let hi = 0n;
  for (let i = 0; i < block.length; i += 4) {
    lo = (lo + block.readUInt32LE(i)) >>> 0;
    hi += BigInt(lo);
  }
  return ((hi << 32n) | BigInt(lo)) & 0xffffffffffffffffn;
}

/**
 * The fsdax info block for a namespace of `sizeBytes` (version 1.4). Its parent uuid is
 * zero: a label-less namespace has none.
 */
export function pfnInfoBlock(sizeBytes: number, uuid = randomUUID()): Buffer {
  const b = Buffer.alloc(PAGE);
  b.write('NVDIMM_PFN_INFO\0', 0, 'latin1');
  Buffer.from(uuid.replace(/-/g, ''), 'hex').copy(b, 16);
  b.writeUInt16LE(1, 52); // version_major
  b.writeUInt16LE(4, 54); // version_minor
  b.writeBigUInt64LE(BigInt(DATA_OFFSET), 56); // dataoff
  b.writeBigUInt64LE(BigInt((sizeBytes - DATA_OFFSET) / PAGE), 64); // npfns
  b.writeUInt32LE(PFN_MODE_RAM, 72); // mode; start_pad and end_trunc stay 0
  b.writeUInt32LE(DATA_OFFSET, 84); // align
  b.writeUInt32LE(PAGE, 88); // page_size
  b.writeUInt16LE(64, 92); // page_struct_size
  b.writeBigUInt64LE(fletcher64(b), PAGE - 8); // over the block with the checksum zero
  return b;
}
/** nvdimm sizes are kept to whole 128 MiB blocks (the guest's memory block size). */
const SIZE_ALIGN = 128 * 1024 * 1024;
const BLOCK = 4096;

/** An MBR with one Linux partition from PARTITION_OFFSET to the end of a `sizeBytes` disk. */
export function mbr(sizeBytes: number): Buffer {
  const sector = Buffer.alloc(SECTOR);
  const entry = 446;
  sector[entry] = 0x00; // not bootable
  sector.write('\xfe\xff\xff', entry + 1, 'latin1'); // CHS: past the addressable range, use LBA
  sector[entry + 4] = 0x83; // Linux
  sector.write('\xfe\xff\xff', entry + 5, 'latin1');
  sector.writeUInt32LE(PARTITION_OFFSET / SECTOR, entry + 8);
  sector.writeUInt32LE((sizeBytes - PARTITION_OFFSET) / SECTOR, entry + 12);
  sector[510] = 0x55;
  sector[511] = 0xaa;
  return sector;
}

/** The image size for `contentBytes` of files: room for metadata and slack, in whole blocks. */
export function rootfsImageSize(contentBytes: number): number {
  const needed = DATA_OFFSET + PARTITION_OFFSET + contentBytes * 1.2 + 32 * 1024 * 1024;
  return Math.ceil(needed / SIZE_ALIGN) * SIZE_ALIGN;
}

/** Writes `out`: the info block, the MBR, then an ext4 filesystem made from the tree at `root`. */
export async function makeRootfsImage(root: string, contentBytes: number, out: string): Promise<number> {
  const size = rootfsImageSize(contentBytes);
  const disk = size - DATA_OFFSET;
  rmSync(out, { force: true });
  const fd = openSync(out, 'w');
  try {
    writeSync(fd, pfnInfoBlock(size), 0, PAGE, INFO_BLOCK_AT);
    writeSync(fd, mbr(disk), 0, SECTOR, DATA_OFFSET);
    // Sparse up to the end: mke2fs writes only what the filesystem uses.
    writeSync(fd, Buffer.alloc(1), 0, 1, size - 1);
  } finally {
    closeSync(fd);
  }
  // 4 KiB blocks (DAX maps whole pages); every file owned by root; no lazy init to
  // leave for the guest, which mounts it read-only.
  await run('mke2fs', [
    ...['-q', '-F', '-t', 'ext4', '-b', String(BLOCK), '-L', 'kata-rootfs'],
    ...[
      '-E',
      `offset=${DATA_OFFSET + PARTITION_OFFSET},root_owner=0:0,lazy_itable_init=0,lazy_journal_init=0`,
    ],
    ...['-d', root, out, String((disk - PARTITION_OFFSET) / BLOCK)],
  ]);
  return size;
}
