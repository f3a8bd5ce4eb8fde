// JSON with exact 64-bit integers. JSON.stringify refuses bigint, and going
// through Number would round values above 2^53 (a memory limit of 2^63-1, a
// seccomp argument mask). Each bigint is first written as a marker string that
// no request can contain (request strings with NUL bytes are refused), then
// the marker is replaced by the bare digits.
const MARK = '\u0000int:';
const MARKED = /"\\u0000int:(-?\d+)"/g;

export function stringifyExact(value: unknown): string {
  const text = JSON.stringify(value, (_key, v: unknown) => (typeof v === 'bigint' ? MARK + v.toString() : v));
  return text.replace(MARKED, '$1');
}
