// Requests naming hardware the guest lacks, as a Kata runtime can send them when
// the image misses a driver or the VM a device: each gets a status and a message
// that names the missing thing and the likely cause, and none waits past the
// hotplug timeout. Devices on a fake sysfs, links in a scratch network namespace.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createDeviceSubsystem } from '../../src/devices';
import { defaultConfig } from '../../src/config/options';
import { createLogger } from '../../src/logging/logger';
import { AgentError } from '../../src/common/errors';
import { Code as status } from '../../src/common/status';
import { FakeSysfs } from '../helpers/fake-sysfs';
import { withAgentInNetns } from '../helpers/netns';
import { rejectsWith } from '../network/ip-json';

const log = createLogger({ level: 'silent' }).logger;
const TIMEOUT_MS = 150;

async function devicesOn(t: { after(fn: () => void): void }) {
  const fake = new FakeSysfs();
  const config = { ...defaultConfig(), sysRoot: fake.root, hotplugTimeoutMs: TIMEOUT_MS };
  const devices = await createDeviceSubsystem(config, log, { listen: false });
  t.after(() => {
    devices.close();
    fake.remove();
  });
  return { fake, locator: devices.locator };
}

/** Rejects with `code` and a message matching every pattern, within `withinMs`. */
async function failsWith(p: Promise<unknown>, code: status, patterns: RegExp[], withinMs: number) {
  const t0 = performance.now();
  await assert.rejects(p, (err: unknown) => {
    assert.ok(err instanceof AgentError, String(err));
    assert.equal(status[err.code], status[code], err.message);
    for (const re of patterns) assert.match(err.message, re);
    return true;
  });
  const ms = performance.now() - t0;
  assert.ok(ms < withinMs, `answered after ${ms.toFixed(0)} ms`);
}

test('scsi: without a SCSI host the request fails at once, naming virtio_scsi', async (t) => {
  const { locator } = await devicesOn(t);
  await failsWith(
    locator.scsiDisk('0:5'),
    status.FAILED_PRECONDITION,
    [/no SCSI host/, /SCSI address 0:5/, /virtio-scsi controller/, /virtio_scsi driver/],
    TIMEOUT_MS / 2,
  );
});

test('scsi: a host but no disk at the address times out at the hotplug timeout, naming the address', async (t) => {
  const { fake, locator } = await devicesOn(t);
  fake.file('sys/class/scsi_host/host0/scan', '');
  await failsWith(
    locator.scsiDisk('0:5'),
    status.DEADLINE_EXCEEDED,
    [/Timeout reached after 150ms waiting for device at SCSI address 0:5/, /target 0, LUN 5/, /sd_mod/],
    TIMEOUT_MS + 1000,
  );
});

test('blk: a PCI path through a bridge the VM lacks is NOT_FOUND at once', async (t) => {
  const { fake, locator } = await devicesOn(t);
  fake.pciDevice('/devices/pci0000:00/0000:00:03.0');
  await failsWith(
    locator.pciDisk('05/01'),
    status.NOT_FOUND,
    [/PCI path 05\/01/, /no PCI bridge at \/devices\/pci0000:00\/0000:00:05.0/],
    TIMEOUT_MS / 2,
  );
  // A device that is not a bridge cannot have devices behind it either.
  await failsWith(
    locator.pciDisk('03/01'),
    status.NOT_FOUND,
    [/no PCI bridge at .*0000:00:03.0/],
    TIMEOUT_MS / 2,
  );
});

test('blk: an empty slot behind the bridge times out, naming the slot and virtio_blk', async (t) => {
  const { fake, locator } = await devicesOn(t);
  fake.pciDevice('/devices/pci0000:00/0000:00:02.0', '0000:01');
  await failsWith(
    locator.pciDisk('02/1e'),
    status.DEADLINE_EXCEEDED,
    [
      /waiting for device at PCI path 02\/1e \(\/devices\/pci0000:00\/0000:00:02.0\/0000:01:1e.0\)/,
      /virtio_blk/,
    ],
    TIMEOUT_MS + 1000,
  );
});

test('UpdateInterface for a MAC no device has, and a route on a missing link, say what the guest has', async () => {
  await withAgentInNetns(async (ns, agent) => {
    await ns.batch([
      'link add v0 address 02:00:00:a7:00:02 type veth peer name v1 address 02:00:00:a7:00:03',
    ]);
    await rejectsWith(
      agent.client.agent.updateInterface({
        interface: {
          device: 'eth1',
          name: 'eth1',
          hwAddr: '02:00:00:a7:00:99',
          mtu: 1500n,
          IPAddresses: [],
          pciPath: '',
          type: '',
          raw_flags: 0,
        },
      }),
      status.NOT_FOUND,
      /^no network device with MAC 02:00:00:a7:00:99 \(the guest has (v1 02:00:00:a7:00:03, v0 02:00:00:a7:00:02|v0 02:00:00:a7:00:02, v1 02:00:00:a7:00:03)\); .*virtio_net/,
    );
    await rejectsWith(
      agent.client.agent.updateRoutes({
        routes: { Routes: [{ dest: '10.9.0.0/16', gateway: '', device: 'eth9', source: '', scope: 0 }] },
      }),
      status.NOT_FOUND,
      /device eth9 does not exist \(links: lo, v[01], v[01]\)/,
    );
  });
});
