// Request checks shared by all handlers. Messages name the field so that a
// human reading the client's error knows what to fix.
import { invalidArgument } from '../common/errors';

// Ids become path components (bundle dirs, cgroup names): keep them to a safe alphabet.
const ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.+-]{0,127}$/;

/** A container or exec id: non-empty, no '/', no '..', at most 128 safe characters. */
export function requireId(value: string, field: string): string {
  if (!value) throw invalidArgument(`${field} is empty`);
  if (!ID_PATTERN.test(value) || value.includes('..')) {
    throw invalidArgument(`${field} ${JSON.stringify(value)} is not a valid id (letters, digits, _ . + -)`);
  }
  return value;
}

/** A sub-message the request cannot do without. */
export function requireField<T>(value: T | undefined | null, field: string): T {
  if (value === undefined || value === null) throw invalidArgument(`${field} is missing`);
  return value;
}

/** An absolute path without '..' components. */
export function requireAbsolutePath(value: string, field: string): string {
  if (!value.startsWith('/'))
    throw invalidArgument(`${field} ${JSON.stringify(value)} is not an absolute path`);
  if (value.split('/').includes('..'))
    throw invalidArgument(`${field} ${JSON.stringify(value)} contains '..'`);
  return value;
}

/**
 * The path of the first string field holding a NUL byte, if any. Every string
 * in this protocol ends up as a path, an argv or environment word, or a file's
 * text, none of which can carry NUL, so the dispatcher refuses such requests
 * up front instead of letting each consumer trip over them.
 */
export function findNulString(value: unknown, path = ''): string | undefined {
  if (typeof value === 'string') return value.includes('\0') ? path || '(request)' : undefined;
  if (value === null || typeof value !== 'object' || value instanceof Uint8Array) return undefined;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const found = findNulString(value[i], `${path}[${i}]`);
      if (found !== undefined) return found;
    }
    return undefined;
  }
  for (const [key, item] of Object.entries(value)) {
    // Map keys (annotations, sysctls, labels) are strings too.
    const where = path ? `${path}.${key}` : key;
    if (key.includes('\0')) return `${where} (key)`;
    const found = findNulString(item, where);
    if (found !== undefined) return found;
  }
  return undefined;
}
