// Go's strconv.ParseBool and time.ParseDuration, which define how 1.x reads
// kernel command-line values.

const TRUE_WORDS = new Set(['1', 't', 'T', 'TRUE', 'true', 'True']);
const FALSE_WORDS = new Set(['0', 'f', 'F', 'FALSE', 'false', 'False']);

/** Go strconv.ParseBool: undefined for anything it would reject. */
export function parseGoBool(text: string): boolean | undefined {
  if (TRUE_WORDS.has(text)) return true;
  if (FALSE_WORDS.has(text)) return false;
  return undefined;
}

const UNIT_NS: Record<string, number> = {
  ns: 1,
  us: 1e3,
  µs: 1e3,
  μs: 1e3,
  ms: 1e6,
  s: 1e9,
  m: 60e9,
  h: 3600e9,
};

/**
 * Go time.ParseDuration, in milliseconds: "1h2m3.5s", ".5s", "-10s", "2µs"; a bare "0" is zero;
 * any other bare number, an empty string or an unknown unit is undefined.
 */
export function parseGoDuration(text: string): number | undefined {
  let rest = text;
  let sign = 1;
  if (rest.startsWith('-') || rest.startsWith('+')) {
    if (rest[0] === '-') sign = -1;
    rest = rest.slice(1);
  }
  if (rest === '0') return 0;
  if (rest === '') return undefined;
  // Summed in nanoseconds (exact integers for any sane duration), converted once.
  let totalNs = 0;
  // µ (micro sign) and μ (Greek mu) escaped: one character past Latin-1 anywhere in the
  // bundle makes V8 hold all of its source as a two-byte string.
  const part = /^(\d*)(?:\.(\d*))?(ns|us|\u00b5s|\u03bcs|ms|s|m|h)/;
  while (rest.length > 0) {
    const m = part.exec(rest);
    if (!m || (m[1] === '' && (m[2] === undefined || m[2] === ''))) return undefined;
    const unit = UNIT_NS[m[3]];
    const fraction = m[2] ?? '';
    totalNs +=
      Number(m[1] || '0') * unit + Math.round((Number(fraction || '0') * unit) / 10 ** fraction.length);
    rest = rest.slice(m[0].length);
  }
  return (sign * totalNs) / 1e6;
}

/** A decimal uint32 as Go's strconv.ParseUint(s, 10, 32) accepts it. */
export function parseUint32(text: string): number | undefined {
  if (!/^\d+$/.test(text)) return undefined;
  const n = Number(text);
  return n <= 0xffffffff ? n : undefined;
}
