import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import type { Writable } from 'node:stream';
import { native, type WaitStatus } from '../../src/native/index';
import { assertErrno, within } from '../helpers/native';

const n = native();
const { RLIMIT_CORE } = n.constants;

/** Blocks this thread (so libuv cannot reap) until a child has exited. */
function peekBlocking(timeoutMs: number): WaitStatus | null {
  const pause = new Int32Array(new SharedArrayBuffer(4));
  for (let waited = 0; waited < timeoutMs; waited += 5) {
    const status = n.waitPeek();
    if (status) return status;
    Atomics.wait(pause, 0, 0, 5);
  }
  return null;
}

test('waitPeek sees an exited child_process child without reaping it; Node still gets exit', async () => {
  assert.equal(n.waitPeek(), null, 'no children yet (ECHILD is null)');
  const child = spawn('sh', ['-c', 'exit 3'], { stdio: 'ignore' });
  const exited = once(child, 'exit');
  const peeked = peekBlocking(5000);
  assert.deepEqual(peeked, { pid: child.pid, exitCode: 3, signal: null });
  assert.deepEqual(n.waitPeek(), peeked, 'still there: not reaped');
  assert.deepEqual(await within(5000, 'exit', exited), [3, null]);
  assert.equal(n.waitPeek(), null);
});

test('waitPeek reports a child killed by a signal', async () => {
  const child = spawn('sleep', ['30'], { stdio: 'ignore' });
  const exited = once(child, 'exit');
  assert.equal(n.waitPid(child.pid!), null, 'running: nothing to reap');
  child.kill('SIGKILL');
  assert.deepEqual(peekBlocking(5000), { pid: child.pid, exitCode: null, signal: 9 });
  assert.deepEqual(await within(5000, 'exit', exited), [null, 'SIGKILL']);
});

test('waitPid throws ECHILD for a process that is not our child', () => {
  assertErrno(() => n.waitPid(1), 'ECHILD', 'waitpid');
  assert.throws(() => n.waitPid(0), RangeError);
});

/**
 * Starts `script` in the background under sh, which prints the orphan's pid and exits.
 * The orphan gets a pipe from us as fd 3 (a background job's stdin is /dev/null).
 */
async function orphan(script: string): Promise<{ pid: number; parent: ChildProcess }> {
  const parent = spawn('sh', ['-c', `${script} & echo $!`], { stdio: ['ignore', 'pipe', 'inherit', 'pipe'] });
  const [line] = (await within(5000, 'the orphan pid', once(parent.stdout!, 'data'))) as [Buffer];
  await within(5000, 'sh to exit', once(parent, 'exit'));
  return { pid: Number(line.toString().trim()), parent };
}

/** Waits for SIGCHLD until waitPeek shows `pid`. */
function peekOnSigchld(pid: number): Promise<WaitStatus> {
  return new Promise((resolve) => {
    const check = () => {
      const status = n.waitPeek();
      if (status?.pid === pid) {
        process.off('SIGCHLD', onSignal);
        resolve(status);
      }
    };
    const onSignal = () => setImmediate(check);
    process.on('SIGCHLD', onSignal);
    check();
  });
}

test('as a child subreaper we inherit orphans and reap them with waitPid', async () => {
  n.setChildSubreaper(true);
  const pids: number[] = [];
  try {
    // An orphan that exits with 7 once our pipe gives it a line.
    const exiting = await orphan('(read x <&3; exit 7)');
    pids.push(exiting.pid);
    assert.equal(n.waitPid(exiting.pid), null, 'reparented to us and still running');
    const seen = peekOnSigchld(exiting.pid);
    (exiting.parent.stdio[3] as Writable).end('go\n');
    assert.deepEqual(await within(5000, 'the orphan to exit', seen), {
      pid: exiting.pid,
      exitCode: 7,
      signal: null,
    });
    assert.deepEqual(n.waitPid(exiting.pid), { pid: exiting.pid, exitCode: 7, signal: null });
    assertErrno(() => n.waitPid(exiting.pid), 'ECHILD', 'waitpid');

    // An orphan killed by a signal.
    const sleeping = await orphan('exec sleep 30');
    pids.push(sleeping.pid);
    const killed = peekOnSigchld(sleeping.pid);
    process.kill(sleeping.pid, 'SIGTERM');
    await within(5000, 'the orphan to die', killed);
    assert.deepEqual(n.waitPid(sleeping.pid), { pid: sleeping.pid, exitCode: null, signal: 15 });
  } finally {
    n.setChildSubreaper(false);
    for (const pid of pids) {
      try {
        process.kill(pid, 'SIGKILL');
        n.waitPid(pid);
      } catch {
        // already reaped
      }
    }
  }
});

test('setDumpable toggles PR_GET_DUMPABLE', () => {
  const initial = n.getDumpable();
  try {
    n.setDumpable(false);
    assert.equal(n.getDumpable(), false);
    n.setDumpable(true);
    assert.equal(n.getDumpable(), true);
  } finally {
    n.setDumpable(initial);
  }
});

function coreLimits(): [string, string] {
  const line = readFileSync('/proc/self/limits', 'utf8')
    .split('\n')
    .find((l) => l.startsWith('Max core file size'));
  assert.ok(line);
  const [soft, hard] = line.slice('Max core file size'.length).trim().split(/\s+/);
  return [soft, hard];
}

test('setRlimit changes this process limits; -1 is unlimited; bad values fail', () => {
  const [, hard] = coreLimits();
  const hardValue = hard === 'unlimited' ? -1 : Number(hard);
  n.setRlimit(RLIMIT_CORE, 4096, hardValue);
  assert.deepEqual(coreLimits(), ['4096', hard]);
  n.setRlimit(RLIMIT_CORE, hardValue, hardValue);
  assert.deepEqual(coreLimits(), [hard, hard]);
  if (hardValue !== -1)
    assertErrno(() => n.setRlimit(RLIMIT_CORE, hardValue + 1, hardValue), 'EINVAL', 'setrlimit');
  assertErrno(() => n.setRlimit(9999, 0, 0), 'EINVAL', 'setrlimit');
  assert.throws(() => n.setRlimit(RLIMIT_CORE, -2, 0), RangeError);
});
