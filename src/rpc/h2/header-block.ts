// A header block as it arrives: HEADERS, then CONTINUATION frames until
// END_HEADERS. Fragments are kept as they come and joined once, and the block
// is refused as soon as it outgrows what a header list may be, before the
// rest arrives: a CONTINUATION flood costs at most that bound.
import { ErrorCode, Flag, type Frame, H2Error, unpad } from './frames';
import { HeaderListTooLarge, HpackDecoder, HpackError, type HeaderField } from './hpack';

export interface HeaderBlock {
  streamId: number;
  endStream: boolean;
  fields: readonly HeaderField[];
}

interface Pending {
  streamId: number;
  endStream: boolean;
  parts: Buffer[];
  bytes: number;
}

export class HeaderBlockReader {
  private readonly decoder = new HpackDecoder();
  private pending: Pending | undefined;

  constructor(
    private readonly maxHeaderListSize: number,
    /** Charged for fragments that carry nothing. */
    private readonly spend: () => void,
  ) {}

  /** A header block has begun and not ended: only its CONTINUATION may come next. */
  get open(): boolean {
    return this.pending !== undefined;
  }

  /** A HEADERS frame; returns the block when it is whole. */
  headers(frame: Frame): HeaderBlock | undefined {
    if (frame.streamId === 0) throw new H2Error(ErrorCode.PROTOCOL_ERROR, 'HEADERS on stream 0');
    const priority = frame.flags & Flag.PRIORITY ? 5 : 0;
    this.pending = {
      streamId: frame.streamId,
      endStream: (frame.flags & Flag.END_STREAM) !== 0,
      parts: [],
      bytes: 0,
    };
    return this.add(unpad(frame, priority).subarray(priority), frame.flags);
  }

  continuation(frame: Frame): HeaderBlock | undefined {
    if (!this.pending || frame.streamId !== this.pending.streamId) {
      throw new H2Error(ErrorCode.PROTOCOL_ERROR, 'CONTINUATION without a header block to continue');
    }
    return this.add(frame.payload, frame.flags);
  }

  drop(): void {
    this.pending = undefined;
  }

  private add(fragment: Buffer, flags: number): HeaderBlock | undefined {
    const block = this.pending!;
    const endHeaders = (flags & Flag.END_HEADERS) !== 0;
    if (fragment.length === 0 && !endHeaders) this.spend();
    block.bytes += fragment.length;
    // Huffman coding can make a field at most about 4 times longer than its text.
    const maxBytes = 4 * this.maxHeaderListSize;
    if (block.bytes > maxBytes) {
      this.pending = undefined;
      throw new H2Error(ErrorCode.ENHANCE_YOUR_CALM, `header block larger than ${maxBytes} bytes`);
    }
    block.parts.push(fragment);
    if (!endHeaders) return undefined;
    this.pending = undefined;
    const raw = block.parts.length === 1 ? block.parts[0] : Buffer.concat(block.parts, block.bytes);
    return { streamId: block.streamId, endStream: block.endStream, fields: this.decode(raw) };
  }

  /** Every block is decoded, even one whose stream is refused: the HPACK table must stay in step. */
  private decode(raw: Buffer): readonly HeaderField[] {
    try {
      return this.decoder.decode(raw, this.maxHeaderListSize);
    } catch (err) {
      if (err instanceof HpackError) throw new H2Error(ErrorCode.COMPRESSION_ERROR, err.message);
      if (err instanceof HeaderListTooLarge) throw new H2Error(ErrorCode.ENHANCE_YOUR_CALM, err.message);
      throw err;
    }
  }
}
