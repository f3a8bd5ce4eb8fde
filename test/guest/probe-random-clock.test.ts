import { test } from 'node:test';
import assert from 'node:assert/strict';
import { closeSync, constants, openSync, readFileSync, readSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { Code as status } from '../../src/common/status';
import { probeMemory } from '../../src/guest/mem-probe';
import { reseedRandom } from '../../src/guest/random';
import { setGuestTime } from '../../src/guest/clock';
import { createLogger } from '../../src/logging/logger';
import { AgentError } from '../../src/common/errors';
import { FakeSysfs } from '../helpers/fake-sysfs';

const log = createLogger({ level: 'silent' }).logger;

test('MemHotplugByProbe writes each address, in order, as 0x<hex>', async (t) => {
  const fake = new FakeSysfs();
  t.after(() => fake.remove());
  // A FIFO keeps every write apart from the next, as the kernel's probe file does.
  fake.dir('sys/devices/system/memory');
  execFileSync('mkfifo', [fake.paths.memoryProbe]);
  const reader = openSync(fake.paths.memoryProbe, constants.O_RDWR | constants.O_NONBLOCK);
  t.after(() => closeSync(reader));
  await probeMemory(fake.paths, [0x100000000n, 0x108000000n, 0n]);
  const buffer = Buffer.alloc(4096);
  const text = buffer.subarray(0, readSync(reader, buffer)).toString();
  assert.equal(text, '0x1000000000x1080000000x0');
  await probeMemory(fake.paths, []);
});

test('MemHotplugByProbe: bad addresses and a kernel without probe are errors', async (t) => {
  const fake = new FakeSysfs();
  t.after(() => fake.remove());
  await assert.rejects(probeMemory(fake.paths, [-1n]), (e: AgentError) => e.code === status.INVALID_ARGUMENT);
  await assert.rejects(probeMemory(fake.paths, [0x1000n]), /could not probe memory at 0x1000/);
});

test('ReseedRandomDev writes the data, then credits it and reseeds', async (t) => {
  const fake = new FakeSysfs();
  t.after(() => fake.remove());
  fake.file('dev/random', '');
  const calls: string[] = [];
  const ioctls = {
    addEntropy: (fd: number, data: Buffer) => calls.push(`add ${fd > 2} ${data.toString()}`),
    reseedCrng: (fd: number) => calls.push(`reseed ${fd > 2}`),
  };
  await reseedRandom(fake.paths, Buffer.from('entropy!'), log, ioctls);
  assert.equal(readFileSync(fake.paths.randomDevice, 'utf8'), 'entropy!');
  assert.deepEqual(calls, ['add true entropy!', 'reseed true']);
  // ioctls refused (a plain file is no random device): the write still counts.
  const refusing = {
    addEntropy: () => {
      throw new Error('ENOTTY');
    },
    reseedCrng: () => {
      throw new Error('ENOTTY');
    },
  };
  await reseedRandom(fake.paths, Buffer.from('more'), log, refusing);
  // The addon's ioctls on a plain file are refused by the kernel (ENOTTY): logged, not fatal.
  await reseedRandom(fake.paths, Buffer.from('native'), log);
  assert.match(readFileSync(fake.paths.randomDevice, 'utf8'), /^native/);
  await assert.rejects(reseedRandom(fake.paths, Buffer.alloc(0), log, ioctls), /missing entropy data/);
});

test('SetGuestDateTime calls the clock setter; bad times and failures are reported', () => {
  const set: [number, number][] = [];
  setGuestTime(1700000000n, 250000n, (s, u) => set.push([s, u]));
  assert.deepEqual(set, [[1700000000, 250000]]);
  assert.throws(() => setGuestTime(1n, 1_000_000n, () => undefined), /Usec 1000000/);
  assert.throws(() => setGuestTime(-5n, 0n, () => undefined), /Sec -5/);
  assert.throws(
    () =>
      setGuestTime(1n, 0n, () => {
        throw new Error('settimeofday: EPERM (Operation not permitted)');
      }),
    (e: AgentError) =>
      e.code === status.INTERNAL && /Could not set guest time: settimeofday: EPERM/.test(e.message),
  );
});
