// The agent in a real VM under qemu (TCG here, KVM where a host really has it).
// Skipped only when qemu cannot run at all on this machine.
// test-file-timeout-ms: 1560000 (its three VM tests' own timeouts, and loading; see scripts/test-inner.sh)
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { ensureImage, type GuestImage } from '../../src/host/image/build';
import { PROBE_ANSWER, PROBE_SHARE_TEXT, runProbe } from '../../src/host/probe';
import { GREETING, runSequence } from '../../src/host/driver';
import { QEMU } from '../../src/host/accel';
import { formatMs, formatStage } from '../../src/host/stage-timer';

function qemuUnavailable(): string | undefined {
  const r = spawnSync(QEMU, ['--version'], { encoding: 'utf8' });
  if (r.error) return `${QEMU} cannot run: ${r.error.message}`;
  if (r.status !== 0) return `${QEMU} --version failed: ${r.stderr.trim()}`;
  return undefined;
}

const skipReason = qemuUnavailable();
if (skipReason) process.stdout.write(`# VM tests skipped: ${skipReason}\n`);
const log = (line: string): void => void process.stdout.write(`# ${line}\n`);

let image: GuestImage | undefined;
async function guestImage(): Promise<GuestImage> {
  if (!image) {
    const r = await ensureImage({ say: (m) => log(`vm:image: ${m}`) });
    log(`guest image ${r.built ? 'built' : 'cached'} in ${formatMs(r.elapsedMs)} (${r.image.kernelPackage})`);
    image = r.image;
  }
  return image;
}

test(
  'guest plumbing: node runs, agent.channel.0 carries a line each way, kataShared mounts',
  { skip: skipReason, timeout: 300_000 },
  async () => {
    const r = await runProbe(await guestImage());
    log(
      `probe: ${r.accel}; /init at guest uptime ${r.initUptime} s; powered off after ${formatMs(r.elapsedMs)}`,
    );
    assert.equal(r.findings.error, undefined, `guest probe failed: ${r.findings.error}`);
    assert.match(r.findings.node ?? '', /^v20\./);
    assert.match(r.findings.port ?? '', /^\/dev\/vport\d+p\d+ /);
    assert.match(r.serialHello, /^hello from v20\./);
    assert.equal(r.findings['serial-answer'], PROBE_ANSWER);
    assert.equal(r.findings['share-text'], PROBE_SHARE_TEXT);
    assert.match(r.sharedFileFromGuest, /^written at uptime [\d.]+\n$/);
    assert.ok(r.findings.done, 'the probe did not finish');
    // The guest powered itself off (reboot(2)) rather than being killed.
    assert.equal(r.exitCode, 0);
  },
);

for (const rootfs of ['initrd', 'dax'] as const) {
  test(
    `Kata-like sequence against the agent in a VM (${rootfs === 'dax' ? 'rootfs image on an nvdimm with DAX' : 'initrd'})`,
    { skip: skipReason, timeout: 600_000 },
    async () => {
      const r = await runSequence({
        image: await guestImage(),
        rootfs,
        rssContainers: 3,
        onStage: (s) => log(formatStage(s)),
      });
      log(`accelerator: ${r.accel}`);
      assert.ok(r.bootToReadyMs > 0);
      // The image's agent starts from its snapshot (a fallback to the script would say so here).
      assert.equal(r.agentStartup?.fromSnapshot, true, JSON.stringify(r.agentStartup));
      log(`agent start-up: ${JSON.stringify(r.agentStartup)}`);
      assert.equal(r.containerExit, 0);
      assert.match(
        r.containerOutput,
        new RegExp(`^${GREETING}\\nkernel \\d+\\.\\d+\\.\\d+-\\S+, hostname hello\\n$`),
      );
      assert.ok(r.firstOutputAfterStartMs > 0 && r.firstOutputAfterStartMs < r.firstOutputAfterBootMs);
      assert.equal(r.execOutput, 'exec in tools: kata-agent\n');
      assert.equal(r.blkOutput, 'written on the host\nwritten in the guest\n');
      assert.equal(r.blkHostReadBack, 'written in the guest\n');
      assert.equal(r.cpusOnlineBefore, '0');
      assert.equal(r.cpusOnlineAfter, '0-1');
      assert.ok(
        Math.abs(r.guestTimeSeen - r.guestTimeRequested) < 120,
        `guest clock ${r.guestTimeSeen} vs ${r.guestTimeRequested}`,
      );
      assert.equal(BigInt(r.guestDetails.mem_block_size_bytes), 128n * 1024n * 1024n);
      const details = r.guestDetails.agent_details;
      assert.ok(details, 'no agent details');
      assert.ok(details.storage_handlers.includes('9p') && details.storage_handlers.includes('blk'));
      assert.ok(details.device_handlers.includes('blk'));
      assert.deepEqual(JSON.parse(r.vsockOutput), { status: 'SERVING' });
      assert.ok(
        r.rssAfterBootKiB > 10_000 && r.rssAfterBootKiB < 400_000,
        `agent RSS ${r.rssAfterBootKiB} KiB`,
      );
      assert.ok(r.rssAfterContainersKiB !== undefined && r.rssAfterContainersKiB > 10_000);
      assert.equal(r.shutdownReason, 'guest-shutdown');
      if (rootfs === 'dax') assert.match(r.guestRootMount, /^\/dev\/pmem0p1 \/ ext4 ro,.*\bdax\b/);
      else assert.match(r.guestRootMount, /^rootfs \/ rootfs /);
    },
  );
}
