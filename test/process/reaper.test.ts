// The child reaper driven through an injected binding: a fake kernel holds the
// exited children (waitid WNOWAIT peeks at them, waitpid reaps one), and
// SIGCHLD is emitted by hand. No real process is reaped here.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { createLogger } from '../../src/logging/logger';
import type { NativeBinding, WaitStatus } from '../../src/native';
import { exitCodeOf, Reaper, type ExitStatus } from '../../src/process/reaper';
import { waitFor } from '../helpers/wait-for';

// Pids past pid_max: no live process can hold them, so cached statuses stay valid.
const PID_MAX = Number(readFileSync('/proc/sys/kernel/pid_max', 'utf8'));
let nextPid = PID_MAX + 1;
const freshPid = (): number => nextPid++;

/** The three calls the reaper makes, against a table of exited children. */
class FakeKernel {
  readonly exited = new Map<number, WaitStatus>();
  readonly reaped: number[] = [];
  peeks = 0;
  subreaper: boolean | undefined;
  failPeek: Error | undefined;
  failReap: Error | undefined;

  readonly binding = {
    setChildSubreaper: (on: boolean) => void (this.subreaper = on),
    waitPeek: (): WaitStatus | null => {
      this.peeks++;
      if (this.failPeek) throw this.failPeek;
      const [first] = this.exited.values();
      return first ?? null;
    },
    waitPid: (pid: number): WaitStatus | null => {
      if (this.failReap) throw this.failReap;
      const status = this.exited.get(pid);
      if (!status) throw Object.assign(new Error('waitpid: ECHILD (No child processes)'), { code: 'ECHILD' });
      this.exited.delete(pid);
      this.reaped.push(pid);
      return status;
    },
  } as unknown as NativeBinding;

  /** A child ends; the kernel raises SIGCHLD unless told not to. */
  exit(pid: number, status: { code?: number; signal?: number }, signal = true): void {
    this.exited.set(pid, { pid, exitCode: status.code ?? null, signal: status.signal ?? null });
    if (signal) sigchld();
  }
}

function sigchld(): void {
  (process.emit as (event: string, signal: string) => boolean)('SIGCHLD', 'SIGCHLD');
}

/** A started reaper on a fake kernel; its log lines are kept. */
async function withReaper(fn: (reaper: Reaper, kernel: FakeKernel, lines: string[]) => Promise<void>) {
  const lines: string[] = [];
  const { logger } = createLogger({ level: 'debug', primary: (line) => lines.push(line) });
  const kernel = new FakeKernel();
  const reaper = new Reaper(logger, kernel.binding);
  reaper.start();
  try {
    await fn(reaper, kernel, lines);
  } finally {
    reaper.stop();
  }
}

/** True once `p` has settled; false if it is still pending after the reaper's next passes. */
async function settles(p: Promise<unknown>): Promise<boolean> {
  let settled = false;
  void p.then(() => (settled = true));
  for (let i = 0; i < 3; i++) await new Promise((resolve) => setImmediate(resolve));
  return settled;
}

test('start makes the process a child subreaper, once; stop removes its SIGCHLD handler', async () => {
  const before = process.listenerCount('SIGCHLD');
  const kernel = new FakeKernel();
  const reaper = new Reaper(createLogger({ level: 'silent' }).logger, kernel.binding);
  reaper.start();
  reaper.start();
  assert.equal(kernel.subreaper, true);
  assert.equal(process.listenerCount('SIGCHLD'), before + 1);
  reaper.stop();
  reaper.stop();
  assert.equal(process.listenerCount('SIGCHLD'), before);
});

test('an exit status and a killing signal reach the waiter of that pid', async () => {
  await withReaper(async (reaper, kernel) => {
    const exits = freshPid();
    const killed = freshPid();
    const exited = reaper.watch(exits);
    const signalled = reaper.watch(killed);
    assert.equal(reaper.watching, 2);
    kernel.exit(exits, { code: 3 });
    kernel.exit(killed, { signal: 9 });
    assert.deepEqual(await exited, { code: 3, signal: null });
    const status = await signalled;
    assert.deepEqual(status, { code: null, signal: 9 });
    assert.equal(exitCodeOf(status), 137, '128 + the signal, as 1.x reports it');
    assert.equal(exitCodeOf({ code: 0, signal: null }), 0);
    assert.equal(reaper.watching, 0);
    assert.deepEqual(kernel.reaped, [exits, killed]);
  });
});

test('each waiter gets its own pid, in whatever order they exit; a second watch shares the first', async () => {
  await withReaper(async (reaper, kernel) => {
    const [a, b, c] = [freshPid(), freshPid(), freshPid()];
    const got: Record<number, ExitStatus> = {};
    const waits = [a, b, c].map((pid) => reaper.watch(pid).then((s) => (got[pid] = s)));
    assert.equal(reaper.watch(b), reaper.watch(b), 'one promise per pid');
    assert.equal(reaper.watching, 3);
    kernel.exit(c, { code: 30 });
    await waitFor(() => c in got, { what: 'the exit of c' });
    assert.deepEqual(Object.keys(got).map(Number), [c], 'only c has exited');
    // Two exits behind one SIGCHLD (signals coalesce): both are reaped in one pass.
    kernel.exit(a, { code: 10 }, false);
    kernel.exit(b, { signal: 15 });
    await Promise.all(waits);
    assert.deepEqual(got, {
      [a]: { code: 10, signal: null },
      [b]: { code: null, signal: 15 },
      [c]: { code: 30, signal: null },
    });
  });
});

test('an exit reaped before anyone registers the pid is not lost', async () => {
  await withReaper(async (reaper, kernel, lines) => {
    const early = freshPid();
    kernel.exit(early, { code: 7 });
    await waitFor(() => kernel.reaped.includes(early), { what: 'the early exit to be reaped' });
    assert.ok(lines.some((l) => l.includes('reaped an orphan') && l.includes(`pid=${early}`)));
    const claimed = reaper.watch(early);
    assert.equal(await settles(claimed), true, 'answered at once from what was reaped');
    assert.deepEqual(await claimed, { code: 7, signal: null });
    assert.equal(reaper.watching, 0, 'answered from the cache, nothing left to wait for');
  });
});

test('a cached status is not handed out for a pid a live process holds again', async () => {
  await withReaper(async (reaper, kernel) => {
    // This test process is alive: a status cached under its pid belongs to an older one.
    const reused = process.pid;
    kernel.exit(reused, { code: 1 });
    await waitFor(() => kernel.reaped.includes(reused), { what: 'the old exit to be reaped' });
    const waiting = reaper.watch(reused);
    assert.equal(await settles(waiting), false, 'the stale status was not used');
    kernel.exit(reused, { code: 2 });
    assert.deepEqual(await waiting, { code: 2, signal: null });
  });
});

test('exits of pids nobody waits for leave the waiters alone', async () => {
  await withReaper(async (reaper, kernel) => {
    const watched = freshPid();
    const waiting = reaper.watch(watched);
    for (let i = 0; i < 5; i++) kernel.exit(freshPid(), { code: 0 });
    await waitFor(() => kernel.exited.size === 0, { what: 'the strangers to be reaped' });
    assert.equal(await settles(waiting), false);
    assert.equal(reaper.watching, 1);
    kernel.exit(watched, { code: 0 });
    assert.deepEqual(await waiting, { code: 0, signal: null });
  });
});

test('children of child_process are left for libuv to reap', async () => {
  await withReaper(async (reaper, kernel) => {
    // Spawned after start(): the reaper knows this pid belongs to child_process.
    const child = spawn('sleep', ['5']);
    const pid = child.pid!;
    try {
      kernel.exit(pid, { code: 0 });
      const before = kernel.peeks;
      await waitFor(() => kernel.peeks > before, { what: 'a reaping pass' });
      assert.deepEqual(kernel.reaped, [], 'not reaped by the agent');
      // Once someone watches the pid, it is the reaper's to reap.
      const watched = reaper.watch(pid);
      assert.deepEqual(await watched, { code: 0, signal: null });
    } finally {
      child.kill('SIGKILL');
      await once(child, 'exit');
    }
  });
});

test('failing wait calls are logged and do not lose the waiters', async () => {
  await withReaper(async (reaper, kernel, lines) => {
    const pid = freshPid();
    const waiting = reaper.watch(pid);
    kernel.failPeek = new Error('waitid: EINVAL (Invalid argument)');
    kernel.exit(pid, { code: 4 });
    await waitFor(() => lines.some((l) => l.includes('msg="waitid failed"')), { what: 'the waitid warning' });
    kernel.failPeek = undefined;
    kernel.failReap = new Error('waitpid: EINTR (Interrupted system call)');
    sigchld();
    await waitFor(() => lines.some((l) => l.includes('msg="waitpid failed"')), {
      what: 'the waitpid warning',
    });
    const failures = lines.filter((l) => /msg="wait(id|pid) failed"/.test(l));
    assert.ok(failures.every((l) => l.includes('level=warning') && /error="wait(id|pid): E/.test(l)));
    kernel.failReap = undefined;
    sigchld();
    assert.deepEqual(await waiting, { code: 4, signal: null });
  });
});

test(
  'without a SIGCHLD (a lost signal) a pass still comes while someone waits',
  { timeout: 10_000 },
  async () => {
    await withReaper(async (reaper, kernel) => {
      const pid = freshPid();
      const waiting = reaper.watch(pid);
      await new Promise((resolve) => setImmediate(resolve));
      kernel.exit(pid, { code: 5 }, false);
      assert.deepEqual(await waiting, { code: 5, signal: null });
    });
  },
);

test('the cache of early exits is bounded: the oldest go first', async () => {
  await withReaper(async (reaper, kernel) => {
    const pids = Array.from({ length: 1100 }, freshPid);
    for (const pid of pids) kernel.exit(pid, { code: 0 }, false);
    sigchld();
    await waitFor(() => kernel.exited.size === 0, { what: 'every early exit to be reaped' });
    const newest = pids[pids.length - 1];
    const kept = reaper.watch(newest);
    assert.equal(await settles(kept), true, 'the newest is kept');
    assert.deepEqual(await kept, { code: 0, signal: null });
    const oldest = reaper.watch(pids[0]);
    assert.equal(await settles(oldest), false, 'the oldest was dropped');
    kernel.exit(pids[0], { code: 9 });
    assert.deepEqual(await oldest, { code: 9, signal: null });
  });
});
