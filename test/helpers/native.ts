// Small probes of this process's own state for the native layer's tests.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/** The open-file flags of one of our descriptors (from /proc/self/fdinfo). */
export function fdFlags(fd: number): number {
  const line = readFileSync(`/proc/self/fdinfo/${fd}`, 'utf8')
    .split('\n')
    .find((l) => l.startsWith('flags:'));
  assert.ok(line, `no flags line for fd ${fd}`);
  return parseInt(line.split(/\s+/)[1], 8);
}

export function openFdCount(): number {
  return readdirSync('/proc/self/fd').length;
}

/**
 * Runs `script` in a new node process inside fresh namespaces of its own (`unshare` flags,
 * e.g. ['--uts']), so what it changes vanishes with it however the tests are started.
 * The script sees `n` (the addon), `c` (its constants), `assert` and `path`; it prints
 * what the caller checks. A failed assertion there fails the call with its stderr.
 */
export function runInNamespaces(unshareFlags: string[], script: string): string {
  const index = path.join(__dirname, '..', '..', 'src', 'native', 'index.js');
  const prelude =
    `const n = require(${JSON.stringify(index)}).native(); const c = n.constants;` +
    `const assert = require('node:assert/strict'); const path = require('node:path');`;
  return execFileSync('unshare', [...unshareFlags, '--', process.execPath, '-e', prelude + script], {
    timeout: 20000,
    encoding: 'utf8',
  });
}

/** Whether this process holds a capability (by its bit number) in its effective set. */
export function hasCapability(bit: number): boolean {
  const line = readFileSync('/proc/self/status', 'utf8')
    .split('\n')
    .find((l) => l.startsWith('CapEff:'));
  return line !== undefined && ((BigInt('0x' + line.split(/\s+/)[1]) >> BigInt(bit)) & 1n) === 1n;
}

/** Asserts that `fn` throws the addon's errno error for `syscall` with `code`. */
export function assertErrno(fn: () => unknown, code: string, syscall: string): void {
  assert.throws(fn, (err: NodeJS.ErrnoException) => {
    assert.ok(err instanceof Error);
    assert.equal(err.code, code);
    assert.equal(err.syscall, syscall);
    assert.equal(err.errno, (os.constants.errno as Record<string, number>)[code]);
    assert.match(err.message, new RegExp(`^${syscall}: ${code} \\(.+\\)$`));
    return true;
  });
}

/** Rejects if `promise` takes longer than `ms`: the failure of a test waiting for an event. */
export function within<T>(ms: number, what: string, promise: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${what}`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
