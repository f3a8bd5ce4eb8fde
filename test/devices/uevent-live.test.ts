// The uevent listener on a real NETLINK_KOBJECT_UEVENT socket, with real events
// from loop devices this test attaches and detaches.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { UeventListener, type Uevent, type UeventSink } from '../../src/devices/uevent';
import { createLogger } from '../../src/logging/logger';
import { native, POLL_READABLE, type NativeBinding, type PollHandle } from '../../src/native';
import { attachAnyLoop, detachLoop, makeExt4Image } from '../helpers/block';
import { waitFor } from '../helpers/wait-for';

const log = createLogger({ level: 'silent' }).logger;

function recordingSink(): UeventSink & { events: Uevent[]; overruns: number } {
  const sink = {
    events: [] as Uevent[],
    overruns: 0,
    event: (e: Uevent) => void sink.events.push(e),
    overrun: async () => void sink.overruns++,
  };
  return sink;
}

function scratchImage(t: { after(fn: () => void): void }): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'uevent-live-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return makeExt4Image(dir, {}, 4);
}

test('kernel events for a loop device arrive parsed', async (t) => {
  const sink = recordingSink();
  let seen: (name: string) => void = () => undefined;
  const listener = UeventListener.start(
    { ...sink, event: (e) => (sink.event(e), seen(e.devname ?? '')) },
    log,
  );
  t.after(() => listener.close());
  const image = scratchImage(t);
  const name = attachAnyLoop(image);
  t.after(() => detachLoop(name));
  // The listener does not keep the process alive by itself; the deadline does, and fails the test.
  await new Promise<void>((resolve, reject) => {
    const deadline = setTimeout(() => reject(new Error(`no uevent for ${name}`)), 5000);
    seen = (devname) => {
      if (devname !== name) return;
      clearTimeout(deadline);
      resolve();
    };
    if (sink.events.some((e) => e.devname === name)) seen(name);
  });
  const event = sink.events.find((e) => e.devname === name)!;
  assert.equal(event.devpath, `/devices/virtual/block/${name}`);
  assert.equal(event.subsystem, 'block');
  assert.ok(event.action === 'change' || event.action === 'add', event.action);
  assert.equal(typeof event.seqnum, 'number');
});

test('a real overrun (ENOBUFS) asks for a resynchronisation and the listener keeps going', async (t) => {
  // The real addon, except that readiness is signalled by the test and the buffer is tiny,
  // so that the kernel drops events while nobody reads.
  const real = native();
  let readable: ((err: Error | null, events: number) => void) | undefined;
  const controlled: NativeBinding = Object.create(real, {
    setRecvBuffer: { value: (fd: number) => real.setRecvBuffer(fd, 1) },
    poll: {
      value: (
        _fd: number,
        _events: number,
        callback: (err: Error | null, events: number) => void,
      ): PollHandle => {
        readable = callback;
        return { close: () => undefined, ref: () => undefined, unref: () => undefined };
      },
    },
  });
  const sink = recordingSink();
  const listener = UeventListener.start(sink, log, controlled);
  t.after(() => listener.close());
  const image = scratchImage(t);
  for (let i = 0; i < 12; i++) detachLoop(attachAnyLoop(image));
  readable?.(null, POLL_READABLE);
  assert.ok(sink.overruns >= 1, 'ENOBUFS reported as an overrun');
  // Events after the overrun are still delivered.
  const before = sink.events.length;
  const name = attachAnyLoop(image);
  t.after(() => detachLoop(name));
  await waitFor(
    () => {
      if (sink.events.slice(before).some((e) => e.devname === name)) return true;
      readable?.(null, POLL_READABLE);
      return false;
    },
    { timeoutMs: 1000, intervalMs: 5, what: `events to flow again (the uevent of ${name})` },
  );
});
