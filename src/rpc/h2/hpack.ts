// HPACK (RFC 7541) for the agent's HTTP/2 server: integers, string literals
// with Huffman decoding, the static table and the dynamic table a client's
// encoder fills. Headers the agent sends are encoded as literals without
// indexing and without Huffman: valid for every decoder, and no table to keep
// in step with the peer.

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

// RFC 7541 Appendix A: the static table (index 1..61); few entries have values.
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
const STATIC_VALUES: Record<number, string> = {
  2: 'GET',
  3: 'POST',
  4: '/',
  5: '/index.html',
  6: 'http',
  7: 'https',
  8: '200',
  9: '204',
  10: '206',
  11: '304',
  12: '400',
  13: '404',
  14: '500',
  16: 'gzip, deflate',
};
const STATIC_COUNT = STATIC_NAMES.length;
const STATIC_NAME_INDEX = new Map<string, number>();
STATIC_NAMES.forEach((name, i) => {
  if (!STATIC_NAME_INDEX.has(name)) STATIC_NAME_INDEX.set(name, i + 1);
});
/** Per RFC 7541 §4.1, an entry costs its name and value octets plus 32. */
const ENTRY_OVERHEAD = 32;

export type HeaderField = readonly [name: string, value: string];

/** The decoded header list would exceed what the server advertised. */
export class HeaderListTooLarge extends Error {}

/** Decodes a client's header blocks, keeping its dynamic table (RFC 7541 §2.3, §6). */
export class HpackDecoder {
  /** Newest first, as HPACK indexes them. */
  private entries: HeaderField[] = [];
  private size = 0;
  private maxSize: number;

  constructor(
    /** SETTINGS_HEADER_TABLE_SIZE as the server advertised it: the most a size update may ask for. */
    private readonly limit = 4096,
  ) {
    this.maxSize = limit;
  }

  /** The fields of one whole header block; throws HpackError or HeaderListTooLarge. */
  decode(block: Buffer, maxListSize: number): HeaderField[] {
    const fields: HeaderField[] = [];
    let listSize = 0;
    let at = 0;
    while (at < block.length) {
      const first = block[at];
      let field: HeaderField;
      if (first & 0x80) {
        const [index, next] = readInteger(block, at, 7);
        if (index === 0) throw new HpackError('header index 0');
        field = this.field(index);
        at = next;
      } else if ((first & 0xe0) === 0x20) {
        // A size update may only open a block (§4.2).
        if (fields.length > 0) throw new HpackError('table size update after a header field');
        const [size, next] = readInteger(block, at, 5);
        this.resize(size);
        at = next;
        continue;
      } else {
        // Literals: with incremental indexing (01), without (0000), never indexed (0001).
        const indexing = (first & 0xc0) === 0x40;
        const [nameIndex, afterIndex] = readInteger(block, at, indexing ? 6 : 4);
        let name: string;
        if (nameIndex === 0) {
          const [raw, afterName] = readString(block, afterIndex);
          name = raw.toString('latin1');
          at = afterName;
        } else {
          name = this.field(nameIndex)[0];
          at = afterIndex;
        }
        const [value, afterValue] = readString(block, at);
        at = afterValue;
        field = [name, value.toString('latin1')];
        if (indexing) this.insert(field);
      }
      listSize += field[0].length + field[1].length + ENTRY_OVERHEAD;
      if (listSize > maxListSize) {
        throw new HeaderListTooLarge(`header list larger than ${maxListSize} bytes`);
      }
      fields.push(field);
    }
    return fields;
  }

  private field(index: number): HeaderField {
    if (index <= STATIC_COUNT) return [STATIC_NAMES[index - 1], STATIC_VALUES[index] ?? ''];
    const entry = this.entries[index - STATIC_COUNT - 1];
    if (!entry) throw new HpackError(`header index ${index} is out of range`);
    return entry;
  }

  private insert(field: HeaderField): void {
    this.entries.unshift(field);
    this.size += field[0].length + field[1].length + ENTRY_OVERHEAD;
    this.evict();
  }

  private resize(maxSize: number): void {
    if (maxSize > this.limit) throw new HpackError(`table size ${maxSize} exceeds ${this.limit}`);
    this.maxSize = maxSize;
    this.evict();
  }

  private evict(): void {
    while (this.size > this.maxSize) {
      const [name, value] = this.entries.pop()!;
      this.size -= name.length + value.length + ENTRY_OVERHEAD;
    }
  }
}

/** A header block of literals without indexing (names from the static table where it has them). */
export function encodeHeaderBlock(fields: readonly HeaderField[]): Buffer {
  const parts: Buffer[] = [];
  for (const [name, value] of fields) {
    if (name === ':status' && value === '200') {
      parts.push(STATUS_200);
      continue;
    }
    const index = STATIC_NAME_INDEX.get(name);
    if (index) {
      parts.push(writeInteger(index, 4, 0));
    } else {
      parts.push(Buffer.from([0]), writeInteger(name.length, 7, 0), Buffer.from(name, 'latin1'));
    }
    const bytes = Buffer.from(value, 'latin1');
    parts.push(writeInteger(bytes.length, 7, 0), bytes);
  }
  return Buffer.concat(parts);
}
const STATUS_200 = Buffer.from([0x88]);
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
function stringSpan(block: Uint8Array, offset: number): { start: number; end: number; huffman: boolean } {
  if (offset >= block.length) throw new HpackError('header block cut short');
  const huffman = (block[offset] & 0x80) !== 0;
  const [length, start] = readInteger(block, offset, 7);
  const end = start + length;
  if (end > block.length) throw new HpackError('string literal cut short');
  return { start, end, huffman };
}
