// The client-to-server half of an HTTP/2 connection, frame by frame, with
// :authority values made acceptable to nghttp2 (see ./authority-guard.ts for
// why). Header blocks are read with ./hpack.ts, keeping a mirror of nghttp2's
// HPACK table in step; a value is rewritten byte for byte to an allowed
// character, so it keeps its length and both tables keep the same sizes.
// Every other byte passes through unchanged, and only header blocks are ever
// held back.
import { DynamicTable, HpackError, readInteger, readString, stringSpan, writeInteger } from './hpack';

const PREFACE_LENGTH = 24;
const FRAME_HEADER = 9;
const HEADERS = 0x1;
const SETTINGS = 0x4;
const CONTINUATION = 0x9;
const ACK = 0x1;
const END_HEADERS = 0x4;
const PADDED = 0x8;
const PRIORITY = 0x20;
// Frames we write are kept to the size every HTTP/2 peer accepts before SETTINGS are agreed.
const SAFE_FRAME = 16384;
// RFC 3986 authority characters, as nghttp2 accepts them.
const AUTHORITY_CHARS = "A-Za-z0-9\\-._~!$&'()*+,;=:@[\\]%";
const AUTHORITY_OK = new RegExp(`^[${AUTHORITY_CHARS}]*$`);
const NOT_AUTHORITY = new RegExp(`[^${AUTHORITY_CHARS}]`, 'g');
const AUTHORITY = Buffer.from(':authority');
/** Static table index of :authority. */
const AUTHORITY_INDEX = 1;

interface PendingBlock {
  flags: number;
  streamId: number;
  priority: Buffer | undefined;
  /** The block's fragments, padding and priority removed. */
  parts: Buffer[];
  /** The frames as they came, to pass on when nothing needs rewriting. */
  original: Buffer[];
}

export interface RewriterOptions {
  /**
   * Drop the client's first SETTINGS acknowledgement: it answers a SETTINGS
   * frame sent before the HTTP/2 server took the connection, which that server
   * never sent and must not see acknowledged.
   */
  dropFirstSettingsAck?: boolean;
}

export class HeaderRewriter {
  /** The first header block has been read (and rewritten if need be). */
  firstBlockSeen = false;
  /** Some block has been rewritten. */
  rewrote = false;
  private ackToDrop: boolean;
  private table = new DynamicTable();
  private prefaceLeft = PREFACE_LENGTH;
  private header = Buffer.alloc(0);
  /** Bytes of the current frame's payload still to pass through. */
  private passing = 0;
  /** A header block being gathered: its first frame's header and the fragments so far. */
  private block: PendingBlock | undefined;
  private gathering: { frameHeader: Buffer; left: number; parts: Buffer[] } | undefined;
  /** After a block we cannot read, everything passes as it is and nghttp2 judges. */
  private bypass = false;

  constructor(options: RewriterOptions = {}) {
    this.ackToDrop = options.dropFirstSettingsAck ?? false;
  }

  /** The acknowledgement to drop has come (or none was to be dropped). */
  get ackSettled(): boolean {
    return !this.ackToDrop;
  }

  /** Everything so far passed byte for byte, and nothing is held: the rewriter can step aside. */
  get canStepAside(): boolean {
    return this.firstBlockSeen && this.ackSettled && !this.rewrote && !this.bypass;
  }

  feed(chunk: Buffer): Buffer[] {
    if (this.bypass) return [chunk];
    const out: Buffer[] = [];
    let at = 0;
    while (at < chunk.length) {
      if (this.bypass) {
        out.push(chunk.subarray(at));
        break;
      }
      if (this.prefaceLeft > 0) {
        const n = Math.min(this.prefaceLeft, chunk.length - at);
        out.push(chunk.subarray(at, at + n));
        this.prefaceLeft -= n;
        at += n;
      } else if (this.passing > 0) {
        const n = Math.min(this.passing, chunk.length - at);
        out.push(chunk.subarray(at, at + n));
        this.passing -= n;
        at += n;
      } else if (this.gathering) {
        const n = Math.min(this.gathering.left, chunk.length - at);
        this.gathering.parts.push(chunk.subarray(at, at + n));
        this.gathering.left -= n;
        at += n;
        if (this.gathering.left === 0) out.push(...this.frameGathered());
      } else {
        const n = Math.min(FRAME_HEADER - this.header.length, chunk.length - at);
        this.header = Buffer.concat([this.header, chunk.subarray(at, at + n)]);
        at += n;
        if (this.header.length === FRAME_HEADER) out.push(...this.frameStarts(this.header));
      }
    }
    return out;
  }

  private frameStarts(header: Buffer): Buffer[] {
    this.header = Buffer.alloc(0);
    const length = header.readUIntBE(0, 3);
    const type = header[3];
    if (type === SETTINGS && header[4] & ACK && length === 0 && this.ackToDrop) {
      this.ackToDrop = false;
      return [];
    }
    if (type === HEADERS || (type === CONTINUATION && this.block)) {
      this.gathering = { frameHeader: header, left: length, parts: [] };
      return length === 0 ? this.frameGathered() : [];
    }
    this.passing = length;
    return [header];
  }

  /** A whole HEADERS or CONTINUATION frame has arrived. */
  private frameGathered(): Buffer[] {
    const { frameHeader, parts } = this.gathering!;
    this.gathering = undefined;
    const payload = Buffer.concat(parts);
    const type = frameHeader[3];
    const flags = frameHeader[4];
    if (type === HEADERS) {
      let fragment = payload;
      let priority: Buffer | undefined;
      try {
        if (flags & PADDED) {
          const pad = fragment[0];
          if (pad === undefined || pad >= fragment.length) throw new HpackError('bad padding');
          fragment = fragment.subarray(1, fragment.length - pad);
        }
        if (flags & PRIORITY) {
          if (fragment.length < 5) throw new HpackError('bad priority');
          priority = fragment.subarray(0, 5);
          fragment = fragment.subarray(5);
        }
      } catch {
        return this.giveUp([frameHeader, payload]);
      }
      this.block = {
        flags,
        streamId: frameHeader.readUInt32BE(5) & 0x7fffffff,
        priority,
        parts: [fragment],
        original: [frameHeader, payload],
      };
    } else {
      this.block!.parts.push(payload);
      this.block!.original.push(frameHeader, payload);
    }
    if (!(flags & END_HEADERS)) return [];
    return this.blockComplete();
  }

  private blockComplete(): Buffer[] {
    const block = this.block!;
    this.block = undefined;
    this.firstBlockSeen = true;
    let rewritten: Buffer | undefined;
    try {
      rewritten = rewriteAuthority(Buffer.concat(block.parts), this.table);
    } catch {
      return this.giveUp(block.original);
    }
    if (!rewritten) return block.original;
    this.rewrote = true;
    return frameHeaderBlock(rewritten, block.flags & ~PADDED, block.streamId, block.priority);
  }

  private giveUp(original: Buffer[]): Buffer[] {
    this.bypass = true;
    this.firstBlockSeen = true;
    return original;
  }
}

/**
 * Reads a whole header block, keeping `table` in step, and returns it with
 * every literal :authority value made acceptable; undefined when nothing had
 * to change (the common case: the value is fine, or it is sent by index).
 */
export function rewriteAuthority(block: Buffer, table: DynamicTable): Buffer | undefined {
  const pieces: Buffer[] = [];
  let changed = false;
  let copiedUpTo = 0;
  let at = 0;
  while (at < block.length) {
    const first = block[at];
    if (first & 0x80) {
      // Indexed field: refers to an entry, inserts nothing.
      const [index, next] = readInteger(block, at, 7);
      if (index === 0) throw new HpackError('index 0');
      table.nameAt(index);
      at = next;
      continue;
    }
    if ((first & 0xe0) === 0x20) {
      const [size, next] = readInteger(block, at, 5);
      table.resize(size);
      at = next;
      continue;
    }
    // Literals: with incremental indexing (01), without (0000) or never indexed (0001).
    const indexing = (first & 0xc0) === 0x40;
    const [nameIndex, afterIndex] = readInteger(block, at, indexing ? 6 : 4);
    let name: string | undefined;
    let isAuthority: boolean;
    let valueAt: number;
    if (nameIndex === 0) {
      const [rawName, afterName] = readString(block, afterIndex);
      name = rawName.toString('latin1');
      isAuthority = rawName.equals(AUTHORITY);
      valueAt = afterName;
    } else {
      isAuthority = nameIndex === AUTHORITY_INDEX || table.nameAt(nameIndex) === ':authority';
      valueAt = afterIndex;
    }
    const span = stringSpan(block, valueAt);
    // Values are decoded only when they matter: an :authority, or an entry whose size the table needs.
    if (isAuthority || indexing) {
      const [value] = readString(block, valueAt);
      if (indexing) table.insert(name ?? table.nameAt(nameIndex), value.length);
      const text = value.toString('latin1');
      if (isAuthority && !AUTHORITY_OK.test(text)) {
        // Same representation and name bytes, the value as a plain literal of the same length.
        pieces.push(block.subarray(copiedUpTo, valueAt));
        pieces.push(writeInteger(value.length, 7, 0x00), Buffer.from(acceptableAuthority(text), 'latin1'));
        copiedUpTo = span.end;
        changed = true;
      }
    }
    at = span.end;
  }
  if (!changed) return undefined;
  pieces.push(block.subarray(copiedUpTo));
  return Buffer.concat(pieces);
}

/** Each character an authority may not hold becomes '_': same length, same table sizes. */
export function acceptableAuthority(text: string): string {
  return text.replace(NOT_AUTHORITY, '_');
}

/** A header block as HEADERS (+ CONTINUATION) frames of at most SAFE_FRAME bytes. */
function frameHeaderBlock(
  block: Buffer,
  flags: number,
  streamId: number,
  priority: Buffer | undefined,
): Buffer[] {
  const frames: Buffer[] = [];
  const firstRoom = SAFE_FRAME - (priority ? 5 : 0);
  let at = 0;
  let first = true;
  do {
    const room = first ? firstRoom : SAFE_FRAME;
    const fragment = block.subarray(at, at + room);
    at += fragment.length;
    const last = at >= block.length;
    const head = Buffer.alloc(FRAME_HEADER);
    const body = first && priority ? Buffer.concat([priority, fragment]) : fragment;
    head.writeUIntBE(body.length, 0, 3);
    head[3] = first ? HEADERS : CONTINUATION;
    // END_STREAM and PRIORITY belong to HEADERS; END_HEADERS to the last frame.
    head[4] = (first ? flags & ~END_HEADERS : 0) | (last ? END_HEADERS : 0);
    head.writeUInt32BE(streamId, 5);
    frames.push(head, body);
    first = false;
  } while (at < block.length);
  return frames;
}
