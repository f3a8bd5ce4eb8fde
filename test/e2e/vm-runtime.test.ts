// The requests a real Kata 1.12 runtime sent, replayed against the agent in a VM
// booted with the runtime's devices and kernel command line, its NIC on a tap in
// a network namespace of its own; in the same sandbox a virtio-scsi disk and
// requests naming missing hardware. Skipped only when qemu cannot run here.
// test-file-timeout-ms: 960000 (its VM test's own timeout, and loading; see scripts/test-inner.sh)
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { QEMU } from '../../src/host/accel';
import { ensureImage } from '../../src/host/image/build';
import { repoRoot } from '../../src/host/paths';
import { runRuntimeFlow } from '../../src/host/runtime-flow';
import { loadRecording } from '../../src/host/runtime-replay';
import { SCSI_FILE_TEXT } from '../../src/host/scsi-and-bad-input';
import { formatMs, formatStage } from '../../src/host/stage-timer';

const qemu = spawnSync(QEMU, ['--version']);
const skip = qemu.error || qemu.status !== 0 ? `${QEMU} cannot run` : undefined;
const tools = spawnSync('sh', ['-c', 'command -v ip && command -v unshare && test -c /dev/net/tun']);
const skipReason = skip ?? (tools.status !== 0 ? 'no ip, unshare or /dev/net/tun for the tap' : undefined);
if (skipReason) process.stdout.write(`# runtime replay skipped: ${skipReason}\n`);
const log = (line: string): void => void process.stdout.write(`# ${line}\n`);

const RECORDING = path.join(repoRoot(), 'test', 'fixtures', 'kata-1.12-runtime-calls.jsonl');
const HOTPLUG_TIMEOUT_MS = 3000;

test(
  "the Kata 1.12 runtime's recorded calls, network and SCSI in a runtime-shaped VM",
  { skip: skipReason, timeout: 900_000 },
  async () => {
    const built = await ensureImage({ say: (m) => log(`vm:image: ${m}`) });
    log(`guest image ${built.built ? 'built' : 'cached'} in ${formatMs(built.elapsedMs)}`);
    const r = await runRuntimeFlow({
      image: built.image,
      recording: loadRecording(RECORDING),
      // The runtime's configuration for the recording: kernel_params = "agent.log=debug".
      agentLog: 'debug',
      kernelParams: [`agent.hotplug_timeout=${HOTPLUG_TIMEOUT_MS}ms`],
      onStage: (s) => log(formatStage(s)),
    });
    const { ids } = r;
    for (const s of r.streams) log(`${s.key}: ${s.reads} reads (${s.recordedReads} recorded)`);

    // Every answer is one the runtime accepted.
    assert.deepEqual(r.differences, []);
    const answer = (seq: number) => r.replay.outcome(seq).answer?.response as Record<string, unknown>;

    // Network first, as the runtime does it: the recorded NIC by its MAC, the default route.
    const iface = answer(2) as { name: string; hwAddr: string; IPAddresses: Array<{ address: string }> };
    assert.equal(iface.name, 'eth0');
    assert.equal(iface.hwAddr, r.network.guestMac);
    assert.ok(iface.IPAddresses.some((a) => a.address === '10.199.7.2'));
    const routes = (answer(3) as { Routes: Array<{ dest: string; gateway: string; device: string }> }).Routes;
    assert.ok(routes.some((x) => x.dest === '' && x.gateway === '10.199.7.1' && x.device === 'eth0'));
    const details = answer(5) as {
      mem_block_size_bytes: bigint;
      agent_details?: { storage_handlers: string[] };
    };
    assert.ok(BigInt(details.mem_block_size_bytes) > 0n);
    assert.ok(details.agent_details?.storage_handlers.includes('scsi'));

    // The processes: the init's trap, the stdin exec, the tty exec with its window size and a ping.
    const text = (rpc: 'ReadStdout' | 'ReadStderr', exec: string): string =>
      r.replay.stream(rpc, ids.container, exec)?.data.toString() ?? '';
    assert.equal(text('ReadStdout', ids.container), 'started\ngot-TERM\n');
    assert.equal(text('ReadStderr', ids.container), '');
    assert.equal(text('ReadStdout', ids.exec1), 'line1\nline2\n');
    const tty = text('ReadStdout', ids.exec2);
    assert.match(tty, /tty=\/dev\/pts\/0 size=40 120 sum=42/);
    assert.match(tty, /inet 10\.199\.7\.2\/24/);
    assert.match(tty, /round-trip min\/avg\/max|1 packets received/);
    assert.equal((answer(27) as { status: number }).status, 0);
    assert.equal((answer(44) as { status: number }).status, 5);
    assert.equal((answer(68) as { status: number }).status, 3);
    const stats = answer(60) as { cgroup_stats?: { memory_stats?: { usage?: { usage: bigint } } } };
    assert.ok(BigInt(stats.cgroup_stats?.memory_stats?.usage?.usage ?? 0n) > 0n, 'no memory usage');

    // The ping went to the tap in the VM's namespace and came back from it.
    assert.ok(r.tapAfter.rxPackets > r.tapBefore.rxPackets, JSON.stringify([r.tapBefore, r.tapAfter]));
    assert.ok(r.tapAfter.txPackets > r.tapBefore.txPackets, JSON.stringify([r.tapBefore, r.tapAfter]));

    // virtio-scsi: a disk at 0:0 used as scsi storage, then unplugged and gone from the guest.
    assert.equal(r.scsi.exitCode, 0);
    assert.equal(r.scsi.output, SCSI_FILE_TEXT);
    assert.equal(r.scsi.disksPlugged.length, 1);
    assert.match(r.scsi.disksPlugged[0], /^\d+:0:0:0$/);
    assert.deepEqual(r.scsi.disksAfterUnplug, []);
    log(`guest saw the SCSI disk go ${formatMs(r.scsi.unplugSeenMs)} after DEVICE_DELETED`);

    // Missing hardware: clear statuses and messages, none past the hotplug timeout.
    const [nic, link, scsi, blk] = r.badInput;
    for (const b of r.badInput) log(`${b.what}: ${b.code} in ${formatMs(b.ms)}: ${b.message}`);
    assert.equal(nic.code, 'NOT_FOUND');
    assert.match(
      nic.message,
      /no network device with MAC 02:00:00:a7:00:99 \(the guest has eth0 02:00:00:a7:00:02\)/,
    );
    assert.match(nic.message, /virtio_net/);
    assert.equal(link.code, 'NOT_FOUND');
    assert.match(link.message, /device eth9 does not exist \(links: lo, eth0\)/);
    assert.equal(scsi.code, 'DEADLINE_EXCEEDED');
    assert.match(scsi.message, /waiting for device at SCSI address 0:5; .*target 0, LUN 5/);
    assert.equal(blk.code, 'DEADLINE_EXCEEDED');
    assert.match(blk.message, /waiting for device at PCI path 02\/1e .*virtio_blk/);
    for (const b of [scsi, blk]) assert.ok(b.ms < HOTPLUG_TIMEOUT_MS + 5000, `${b.what}: ${b.ms} ms`);

    // The CONTINUATION flood that once took the guest down: cut off early with
    // ENHANCE_YOUR_CALM while Health.Check kept answering on the runtime's stream.
    const f = r.flood;
    log(
      `CONTINUATION flood: GOAWAY ${f.goAwayCode} after ${f.bytesSent >> 10} KiB (${f.goAwayText}); ` +
        `Health.Check meanwhile ${f.healthMs.map((ms) => formatMs(ms)).join(', ')}`,
    );
    assert.equal(f.goAwayCode, 0xb, 'GOAWAY ENHANCE_YOUR_CALM');
    assert.ok(f.bytesSent <= 2 << 20, `${f.bytesSent} bytes sent before the GOAWAY`);
    assert.ok(f.healthMs.length > 0);

    // Every module loaded (nvdimm's too), and /init's and the agent's lines reached the
    // console the runtime reads (hvc0).
    assert.deepEqual(r.insmodFailures, []);
    assert.ok(r.initOnConsole, "/init's first line is not on the console");
    assert.ok(r.agentConsoleLines > 10, `${r.agentConsoleLines} agent lines on the console`);
    assert.equal(r.shutdownReason, 'guest-shutdown');
  },
);
