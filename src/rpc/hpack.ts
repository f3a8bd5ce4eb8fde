// Just enough HPACK (RFC 7541) to read the header blocks a client sends and
// rewrite one literal value in place: integers, string literals (Huffman
// decoding included), the static table and a mirror of the decoder's dynamic
// table. Used by ./authority-guard.ts; nothing here encodes with Huffman or
// indexes on its own.

/** The Huffman code's lengths for symbols 0..256 (EOS), as letters: 'A' = 5 bits ... 'Z' = 30. */
const CODE_LENGTHS =
  'ISXXXXXXXTZXXZXXXXXXXXZXXXXXXXXXBFFHIBDGFFDGDBBBAAABBBBBBBCDKBHFIBCCCCCCCCCCCCCCCCCCCCCCDCDIOIJBKABABABBBACCBBBABCBAABCCCCCKGJIXPRPPRRRSRSSSSSTSTTRSTSSSSQRSRSSTRQPRRSSQSRRTQRSSQQRQSRSSPRRRSRRSVVPORSRUVVVWWVTUOQVWWVWTQQVVXWWWPTPQRQQSRRUUTTVSVWVVWWWWWXWWWWWVZ';

// The code is canonical: symbols sorted by (length, value) take consecutive codes.
// Per length: the first code, the index of its symbol in SORTED, and how many there are.
const SORTED: number[] = [];
const FIRST_CODE = new Array<number>(31).fill(0);
const FIRST_INDEX = new Array<number>(31).fill(0);
const COUNT = new Array<number>(31).fill(0);
{
  const lengths = [...CODE_LENGTHS].map((c) => c.charCodeAt(0) - 60);
  SORTED.push(...lengths.map((_, i) => i).sort((a, b) => lengths[a] - lengths[b] || a - b));
  let code = 0;
  let previous = lengths[SORTED[0]];
  SORTED.forEach((symbol, i) => {
    const length = lengths[symbol];
    if (i > 0) code = (code + 1) * 2 ** (length - previous);
    previous = length;
    if (COUNT[length]++ === 0) {
      FIRST_CODE[length] = code;
      FIRST_INDEX[length] = i;
    }
  });
}
const EOS = 256;

export class HpackError extends Error {}

/** Decodes a Huffman-coded string (RFC 7541 §5.2): padding is the most significant bits of EOS, at most 7. */
export function huffmanDecode(input: Uint8Array): Buffer {
  const out: number[] = [];
  let code = 0;
  let length = 0;
  for (const byte of input) {
    for (let bit = 7; bit >= 0; bit--) {
      code = code * 2 + ((byte >> bit) & 1);
      length++;
      if (
        length >= 5 &&
        COUNT[length] > 0 &&
        code - FIRST_CODE[length] < COUNT[length] &&
        code >= FIRST_CODE[length]
      ) {
        const symbol = SORTED[FIRST_INDEX[length] + code - FIRST_CODE[length]];
        if (symbol === EOS) throw new HpackError('EOS inside a Huffman string');
        out.push(symbol);
        code = 0;
        length = 0;
      } else if (length > 30) {
        throw new HpackError('invalid Huffman code');
      }
    }
  }
  if (length > 7 || code !== 2 ** length - 1) throw new HpackError('invalid Huffman padding');
  return Buffer.from(out);
}

// RFC 7541 Appendix A: the static table (index 1..61).
const STATIC_NAMES = (
  ':authority :method :method :path :path :scheme :scheme :status :status :status :status :status ' +
  ':status :status accept-charset accept-encoding accept-language accept-ranges accept ' +
  'access-control-allow-origin age allow authorization cache-control content-disposition ' +
  'content-encoding content-language content-length content-location content-range content-type ' +
  'cookie date etag expect expires from host if-match if-modified-since if-none-match if-range ' +
  'if-unmodified-since last-modified link location max-forwards proxy-authenticate ' +
  'proxy-authorization range referer refresh retry-after server set-cookie ' +
  'strict-transport-security transfer-encoding user-agent vary via www-authenticate'
).split(' ');
// Only the lengths of static values matter here (they never enter the dynamic table as such).
const STATIC_COUNT = STATIC_NAMES.length;

interface Entry {
  name: string;
  size: number;
}

/** The decoder's dynamic table, as the peer's encoder sees it (RFC 7541 §4). */
export class DynamicTable {
  private entries: Entry[] = [];
  private size = 0;

  constructor(
    /** The most the peer may use: what our side advertised (SETTINGS_HEADER_TABLE_SIZE). */
    private readonly limit = 4096,
    private maxSize = limit,
  ) {}

  nameAt(index: number): string {
    if (index >= 1 && index <= STATIC_COUNT) return STATIC_NAMES[index - 1];
    const entry = this.entries[index - STATIC_COUNT - 1];
    if (!entry) throw new HpackError(`header index ${index} is out of range`);
    return entry.name;
  }

  insert(name: string, valueLength: number): void {
    const size = Buffer.byteLength(name, 'latin1') + valueLength + 32;
    this.entries.unshift({ name, size });
    this.size += size;
    this.evict();
  }

  resize(maxSize: number): void {
    if (maxSize > this.limit) throw new HpackError(`table size ${maxSize} exceeds ${this.limit}`);
    this.maxSize = maxSize;
    this.evict();
  }

  private evict(): void {
    while (this.size > this.maxSize) this.size -= this.entries.pop()!.size;
  }
}

/** A prefixed integer (RFC 7541 §5.1) at `offset`: its value and the offset after it. */
export function readInteger(block: Uint8Array, offset: number, prefixBits: number): [number, number] {
  const mask = 2 ** prefixBits - 1;
  if (offset >= block.length) throw new HpackError('header block cut short');
  let value = block[offset++] & mask;
  if (value < mask) return [value, offset];
  for (let shift = 0; ; shift += 7) {
    if (offset >= block.length) throw new HpackError('header block cut short');
    if (shift > 28) throw new HpackError('integer too large');
    const byte = block[offset++];
    value += (byte & 0x7f) * 2 ** shift;
    if ((byte & 0x80) === 0) return [value, offset];
  }
}

export function writeInteger(value: number, prefixBits: number, firstByteFlags: number): Buffer {
  const mask = 2 ** prefixBits - 1;
  if (value < mask) return Buffer.from([firstByteFlags | value]);
  const bytes = [firstByteFlags | mask];
  for (value -= mask; value >= 128; value = Math.floor(value / 128)) bytes.push((value % 128) | 0x80);
  bytes.push(value);
  return Buffer.from(bytes);
}

/** A string literal at `offset`: its decoded bytes and the offset after it. */
export function readString(block: Uint8Array, offset: number): [Buffer, number] {
  const { start, end, huffman } = stringSpan(block, offset);
  const raw = block.subarray(start, end);
  return [huffman ? huffmanDecode(raw) : Buffer.from(raw), end];
}

/** Where a string literal at `offset` starts and ends, and whether it is Huffman-coded; nothing decoded. */
export function stringSpan(
  block: Uint8Array,
  offset: number,
): { start: number; end: number; huffman: boolean } {
  if (offset >= block.length) throw new HpackError('header block cut short');
  const huffman = (block[offset] & 0x80) !== 0;
  const [length, start] = readInteger(block, offset, 7);
  const end = start + length;
  if (end > block.length) throw new HpackError('string literal cut short');
  return { start, end, huffman };
}
