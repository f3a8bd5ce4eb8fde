// logfmt encoding of one record: key=value pairs, values quoted only when needed.
// Kata's host tooling (kata-log-parser, the runtime's log relay) reads this format.

import { stringifyExact } from '../common/exact-json';

const NEEDS_QUOTES = /[\s"=\\]|^$/;

function encodeValue(value: unknown): string {
  let text: string;
  if (value === null || value === undefined) text = '';
  else if (typeof value === 'string') text = value;
  else if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint')
    text = String(value);
  else if (value instanceof Error) text = value.message;
  else text = stringifyExact(value);
  return NEEDS_QUOTES.test(text) ? JSON.stringify(text) : text;
}

/** Encodes the record with `first` keys in that order, then the rest in insertion order. */
export function toLogfmt(record: Record<string, unknown>, first: readonly string[]): string {
  const parts: string[] = [];
  for (const key of first) {
    if (key in record && record[key] !== undefined) parts.push(`${key}=${encodeValue(record[key])}`);
  }
  for (const [key, value] of Object.entries(record)) {
    if (first.includes(key) || value === undefined) continue;
    parts.push(`${key}=${encodeValue(value)}`);
  }
  return parts.join(' ');
}
