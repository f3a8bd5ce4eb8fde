// Netlink structures use the host's byte order (only a few payloads, such as
// addresses, are in network order and those are plain byte strings). Kata
// guests include big-endian s390x, so never assume little-endian.
import os from 'node:os';

export const HOST_IS_LITTLE_ENDIAN = os.endianness() === 'LE';

export function readU16(buf: Buffer, offset: number): number {
  return HOST_IS_LITTLE_ENDIAN ? buf.readUInt16LE(offset) : buf.readUInt16BE(offset);
}

export function readU32(buf: Buffer, offset: number): number {
  return HOST_IS_LITTLE_ENDIAN ? buf.readUInt32LE(offset) : buf.readUInt32BE(offset);
}

export function readI32(buf: Buffer, offset: number): number {
  return HOST_IS_LITTLE_ENDIAN ? buf.readInt32LE(offset) : buf.readInt32BE(offset);
}

export function writeU16(buf: Buffer, value: number, offset: number): void {
  if (HOST_IS_LITTLE_ENDIAN) buf.writeUInt16LE(value, offset);
  else buf.writeUInt16BE(value, offset);
}

export function writeU32(buf: Buffer, value: number, offset: number): void {
  if (HOST_IS_LITTLE_ENDIAN) buf.writeUInt32LE(value >>> 0, offset);
  else buf.writeUInt32BE(value >>> 0, offset);
}

export function writeI32(buf: Buffer, value: number, offset: number): void {
  if (HOST_IS_LITTLE_ENDIAN) buf.writeInt32LE(value, offset);
  else buf.writeInt32BE(value, offset);
}

/** Rounds up to the 4-byte boundary netlink headers and attributes are aligned on. */
export function align4(length: number): number {
  return (length + 3) & ~3;
}

/** A u32 in host order as a 4-byte buffer. */
export function u32Bytes(value: number): Buffer {
  const b = Buffer.alloc(4);
  writeU32(b, value, 0);
  return b;
}

/** Thrown when a kernel message does not have the shape its type promises. */
export class MalformedMessageError extends Error {
  constructor(what: string) {
    super(`malformed netlink message: ${what}`);
    this.name = 'MalformedMessageError';
  }
}
