import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { guestDetails, kernelSupportsSeccomp, memoryBlockSize, supportsProbe } from '../../src/guest/details';
import { AGENT_VERSION } from '../../src/version';
import { FakeSysfs } from '../helpers/fake-sysfs';

const capabilities = { deviceHandlers: () => ['blk', 'scsi'], storageDrivers: () => ['9p', 'local'] };

test('memory block size is read as hex; missing means no memory hotplug', async (t) => {
  const fake = new FakeSysfs();
  t.after(() => fake.remove());
  assert.equal(await memoryBlockSize(fake.paths), 0);
  const file = fake.file('sys/devices/system/memory/block_size_bytes', '8000000\n');
  assert.equal(await memoryBlockSize(fake.paths), 134217728);
  writeFileSync(file, '123');
  assert.equal(await memoryBlockSize(fake.paths), 0x123, 'no newline: nothing is dropped');
  writeFileSync(file, '');
  await assert.rejects(memoryBlockSize(fake.paths), /block_size_bytes is empty/);
  writeFileSync(file, 'zz\n');
  await assert.rejects(memoryBlockSize(fake.paths), /is not a hex number/);
});

test('probe support: probe file present and ACPI memory hotplug not enabled', async (t) => {
  const fake = new FakeSysfs();
  t.after(() => fake.remove());
  assert.equal(await supportsProbe(fake.paths), false);
  fake.file('sys/devices/system/memory/probe', '');
  assert.equal(await supportsProbe(fake.paths), true, 'no ACPI file');
  const acpi = fake.file('sys/firmware/acpi/hotplug/memory/enabled', '1\n');
  assert.equal(await supportsProbe(fake.paths), false, 'ACPI adds memory by itself');
  writeFileSync(acpi, '0\n');
  assert.equal(await supportsProbe(fake.paths), true);
});

test('seccomp support from /proc/self/status, else the kernel config', async (t) => {
  const fake = new FakeSysfs();
  t.after(() => fake.remove());
  assert.equal(await kernelSupportsSeccomp(fake.paths), false);
  fake.file('proc/config.gz', '');
  writeFileSync(fake.paths.kernelConfig, gzipSync('CONFIG_SECCOMP=y\nCONFIG_SECCOMP_FILTER=y\n'));
  assert.equal(await kernelSupportsSeccomp(fake.paths), true);
  writeFileSync(fake.paths.kernelConfig, gzipSync('# CONFIG_SECCOMP is not set\n'));
  assert.equal(await kernelSupportsSeccomp(fake.paths), false);
  fake.file('proc/self/status', 'Name:\tnode\nSeccomp:\t0\nSeccomp_filters:\t0\n');
  assert.equal(await kernelSupportsSeccomp(fake.paths), true);
});

test('GetGuestDetails answers only what was asked, and always the agent details', async (t) => {
  const fake = new FakeSysfs();
  t.after(() => fake.remove());
  fake.file('sys/devices/system/memory/block_size_bytes', '8000000\n');
  fake.file('sys/devices/system/memory/probe', '');
  fake.file('proc/self/status', 'Seccomp:\t2\n');
  assert.deepEqual(
    await guestDetails(fake.paths, { mem_block_size: true, mem_hotplug_probe: true }, capabilities),
    {
      mem_block_size_bytes: 134217728n,
      support_mem_hotplug_probe: true,
      agent_details: {
        version: AGENT_VERSION,
        init_daemon: process.pid === 1,
        device_handlers: ['blk', 'scsi'],
        storage_handlers: ['9p', 'local'],
        supports_seccomp: true,
      },
    },
  );
  const none = await guestDetails(
    fake.paths,
    { mem_block_size: false, mem_hotplug_probe: false },
    capabilities,
  );
  assert.equal(none.mem_block_size_bytes, 0n);
  assert.equal(none.support_mem_hotplug_probe, false);
});
