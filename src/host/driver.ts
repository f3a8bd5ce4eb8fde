// The Kata-like sequence a host runtime puts a guest agent through, over the
// real channel (yamux on the virtio-serial port) in a real VM. Each stage is
// timed; every result the host can check is checked, and returned for tests.
import type { AgentClient } from '../client/agent-client';
import { CreateSandboxRequest, type GuestDetailsResponse } from '../generated/agent';
import { AgentVm, type AgentStartup, AGENT_VSOCK_PORT, type AgentVmOptions } from './agent-vm';
import { bindMount, containerSpec } from './container-spec';
import { makeExt4Image, readFromExt4Image } from './disk-image';
import { collect, createContainer, execOk } from './process-io';
import { BRIDGE_ID, BRIDGE_SLOT, SHARE_TAG } from './qemu';
import { StageTimer, type StageTiming } from './stage-timer';
import { GUEST_AGENT_DIR } from './image/layout';
import { copyFileSync } from 'node:fs';
import path from 'node:path';
import { guestAddon, vmTestFile } from './image/agent-files';
import { repoRoot } from './paths';
import type { SandboxShare } from './sandbox-share';

interface SequenceOptions extends AgentVmOptions {
  /** Containers run (create, start, wait, remove) before the second RSS reading; 0 skips it. */
  rssContainers?: number;
  onStage?: (s: StageTiming) => void;
  /** The first container's output, as it arrives. */
  onContainerOutput?: (text: string) => void;
}

export interface SequenceResult {
  accel: string;
  stages: StageTiming[];
  /** qemu spawned → first Health.Check answered. */
  bootToReadyMs: number;
  /** StartContainer sent → first stdout bytes at the host; and the same from qemu's spawn. */
  firstOutputAfterStartMs: number;
  firstOutputAfterBootMs: number;
  containerOutput: string;
  containerExit: number;
  execOutput: string;
  blkOutput: string;
  /** What the guest wrote on the hot-plugged disk, read on the host from the image. */
  blkHostReadBack: string;
  cpusOnlineBefore: string;
  cpusOnlineAfter: string;
  guestTimeRequested: number;
  guestTimeSeen: number;
  guestDetails: GuestDetailsResponse;
  vsockOutput: string;
  /** Agent VmRSS in KiB with the sandbox and one container up, and after rssContainers more. */
  rssAfterBootKiB: number;
  rssAfterContainersKiB?: number;
  shutdownReason: string;
  /** The agent's own account of its start-up (its "agent started" line). */
  agentStartup?: AgentStartup;
  /** The line of /proc/1/mounts for the guest's root. */
  guestRootMount: string;
}

const SANDBOX_ID = 'kata-vm-sandbox';
export const GREETING = 'Hello from a container in a Kata VM';
const DISK_ID = 'disk1';
const DISK_SLOT = 1;
const TOOLS = 'tools';

const hex2 = (n: number): string => n.toString(16).padStart(2, '0');

/**
 * Lines of the agent's /proc/<pid>/status (VmRSS, VmHWM, RssAnon, ...) in KiB, read by
 * a process of a container that shares the agent's PID namespace.
 */
export async function agentStatusKiB(
  client: AgentClient,
  containerId: string,
  fields: readonly string[] = ['VmRSS'],
): Promise<Record<string, number>> {
  const script =
    'for p in /proc/[0-9]*; do if grep -q "[k]ata-agent[.]js" $p/cmdline 2>/dev/null; then ' +
    'cat $p/status; fi; done';
  const out = await execOk(client, containerId, ['sh', '-c', script]);
  const values: Record<string, number> = {};
  for (const field of fields) {
    const m = new RegExp(`^${field}:\\s+(\\d+)\\s+kB`, 'm').exec(out);
    if (!m) throw new Error(`no agent ${field} in ${JSON.stringify(out.slice(0, 400))}`);
    values[field] = Number(m[1]);
  }
  return values;
}

async function agentRssKiB(client: AgentClient, containerId: string): Promise<number> {
  return (await agentStatusKiB(client, containerId)).VmRSS;
}

/** CreateSandbox as the runtime sends it, with the VM's 9p share as kataShared. */
export async function createSandboxOnShare(client: AgentClient, share: SandboxShare): Promise<void> {
  await client.agent.createSandbox(
    CreateSandboxRequest.fromPartial({
      sandbox_id: SANDBOX_ID,
      hostname: 'kata-vm',
      storages: [
        {
          driver: '9p',
          source: SHARE_TAG,
          fstype: '9p',
          options: ['trans=virtio,version=9p2000.L,cache=mmap', 'nodev', 'msize=512000'],
          mount_point: share.guestPath() + '/',
        },
      ],
    }),
  );
}

/**
 * A long-running busybox container sharing the agent's PID namespace, with node and the
 * agent bound in read-only: it can exec, read the agent's /proc entries and act as a
 * guest-side client.
 */
export async function startToolsContainer(
  client: AgentClient,
  share: SandboxShare,
  id: string,
): Promise<void> {
  const rootfs = await share.addBusyboxRootfs(id);
  await createContainer(client, {
    id,
    agentPidns: true,
    spec: containerSpec({
      id,
      rootfs,
      args: ['sleep', '100000'],
      mounts: ['/usr/bin/node', '/lib', '/lib64', GUEST_AGENT_DIR].map((p) => bindMount(p)),
    }),
  });
  await client.agent.startContainer({ container_id: id });
}

function expect(condition: boolean, message: string): void {
  if (!condition) throw new Error(message);
}

export async function runSequence(options: SequenceOptions = {}): Promise<SequenceResult> {
  const timer = new StageTimer(options.onStage);
  const st = timer.stage.bind(timer);
  const agentVm = await st('spawn qemu', () => AgentVm.boot(options));
  const { vm, share } = agentVm;
  const t = (baseMs: number): number => vm.timeout(baseMs);
  try {
    const client = await st('agent ready (Health.Check over yamux)', () => agentVm.connect(t(15_000)));
    const bootToReadyMs = vm.elapsedMs();
    for (const part of await agentVm.bootBreakdown(bootToReadyMs)) timer.record(`  ${part.name}`, part.ms);

    await st('Health.Check', () => client.health.check({ service: '' }));
    const version = await client.health.version({ service: '' });
    await st('CreateSandbox (9p kataShared)', () => createSandboxOnShare(client, share));

    // 1. A one-shot container: its output read to the end, then its exit code.
    const hello = 'hello';
    const helloRootfs = await share.addBusyboxRootfs(hello);
    await st('CreateContainer (busybox rootfs on 9p)', () =>
      createContainer(client, {
        id: hello,
        spec: containerSpec({
          id: hello,
          rootfs: helloRootfs,
          args: ['sh', '-c', `echo "${GREETING}"; echo "kernel $(uname -r), hostname $(hostname)"`],
        }),
      }),
    );
    let startSent = 0;
    let firstOutputAfterStartMs = -1;
    let firstOutputAfterBootMs = -1;
    const output = collect(client, hello, hello, (chunk) => {
      if (firstOutputAfterStartMs < 0) {
        firstOutputAfterStartMs = performance.now() - startSent;
        firstOutputAfterBootMs = vm.elapsedMs();
      }
      options.onContainerOutput?.(chunk);
    });
    startSent = performance.now();
    await st('StartContainer', () => client.agent.startContainer({ container_id: hello }));
    const helloResult = await st('ReadStdout to EOF + WaitProcess', () => output);
    timer.record('  StartContainer → first output', firstOutputAfterStartMs);
    expect(
      helloResult.exitCode === 0,
      `container exited with ${helloResult.exitCode}: ${helloResult.stderr}`,
    );
    expect(
      helloResult.stdout.startsWith(GREETING),
      `unexpected output ${JSON.stringify(helloResult.stdout)}`,
    );

    // 2. A long-running container to exec into; it shares the agent's PID namespace and
    //    sees node and the agent read-only, so it can also act as a guest-side vsock client.
    await st('CreateContainer + StartContainer (tools)', () => startToolsContainer(client, share, TOOLS));
    const execOutput = await st('ExecProcess into a running container', () =>
      execOk(client, TOOLS, ['sh', '-c', 'echo "exec in $(hostname): $(ls /opt)"']),
    );
    expect(execOutput.trim() === `exec in ${TOOLS}: kata-agent`, `exec said ${JSON.stringify(execOutput)}`);
    // The guest's root as the agent (PID 1) sees it: rootfs, or ext4 on pmem with dax.
    const guestRootMount = (await execOk(client, TOOLS, ['grep', '-m1', ' / ', '/proc/1/mounts'])).trim();
    const rssAfterBootKiB = await st(
      'agent RSS (sandbox + 2 containers)',
      () => agentRssKiB(client, TOOLS),
      (k) => `${k} KiB`,
    );

    // 3. A hot-plugged virtio-blk disk as a container's blk storage.
    const diskFile = path.join(share.dir, '..', 'disk1.img');
    await st('make ext4 image (host)', () =>
      makeExt4Image(diskFile, 16, { 'hello.txt': 'written on the host\n' }),
    );
    const qmp = await vm.qmp();
    await st('hot-plug virtio-blk (QMP)', () =>
      qmp.hotplugDisk({ id: DISK_ID, file: diskFile, bus: BRIDGE_ID, addr: DISK_SLOT }),
    );
    const pciPath = `${hex2(BRIDGE_SLOT)}/${hex2(DISK_SLOT)}`;
    const diskUser = 'disk-user';
    const diskMount = `/run/kata-containers/storage/${diskUser}/${DISK_ID}`;
    const diskRootfs = await share.addBusyboxRootfs(diskUser);
    const blkResult = await st(`container with blk storage (${pciPath})`, async () => {
      await createContainer(client, {
        id: diskUser,
        storages: [
          {
            driver: 'blk',
            source: pciPath,
            fstype: 'ext4',
            options: [],
            mount_point: diskMount,
            driver_options: [],
          },
        ],
        spec: containerSpec({
          id: diskUser,
          rootfs: diskRootfs,
          args: [
            'sh',
            '-c',
            'cat /data/hello.txt && echo "written in the guest" > /data/from-guest.txt && sync && cat /data/from-guest.txt',
          ],
          mounts: [bindMount(diskMount, '/data', false)],
        }),
      });
      await client.agent.startContainer({ container_id: diskUser });
      const r = await collect(client, diskUser, diskUser);
      await client.agent.removeContainer({ container_id: diskUser, timeout: 0 });
      return r;
    });
    expect(blkResult.exitCode === 0, `disk container exited with ${blkResult.exitCode}: ${blkResult.stderr}`);
    await st('unplug virtio-blk (QMP device_del)', () => qmp.removeDisk(DISK_ID, t(10_000)));
    const blkHostReadBack = await readFromExt4Image(diskFile, 'from-guest.txt');

    // 4. A hot-plugged vCPU brought online by the agent.
    const online = async (): Promise<string> =>
      (await execOk(client, TOOLS, ['cat', '/sys/devices/system/cpu/online'])).trim();
    const cpusOnlineBefore = await online();
    await st('hot-plug vCPU (QMP)', () => qmp.hotplugCpu('cpu1'));
    await st('OnlineCPUMem', () =>
      client.agent.onlineCPUMem({ wait: true, nb_cpus: 1, cpu_only: true }, { timeoutMs: t(30_000) }),
    );
    const cpusOnlineAfter = await online();

    // 5. Guest clock and details.
    const guestTimeRequested = Math.floor(Date.now() / 1000) + 86_400;
    await st('SetGuestDateTime', () =>
      client.agent.setGuestDateTime({ Sec: BigInt(guestTimeRequested), Usec: 0n }),
    );
    const guestTimeSeen = Number((await execOk(client, TOOLS, ['date', '+%s'])).trim());
    const now = Date.now();
    await client.agent.setGuestDateTime({
      Sec: BigInt(Math.floor(now / 1000)),
      Usec: BigInt((now % 1000) * 1000),
    });
    const guestDetails = await st('GetGuestDetails', () =>
      client.agent.getGuestDetails({ mem_block_size: true, mem_hotplug_probe: true }),
    );

    // 6. vsock inside the guest: kata-agent-ctl in a container calls the agent's vsock listener.
    //    The image does not carry the client: it goes into the container's rootfs, with the addon.
    for (const [from, name] of [
      [vmTestFile(repoRoot(), 'kata-agent-ctl.js'), 'kata-agent-ctl.js'],
      [guestAddon(repoRoot()), 'agent_native.node'],
    ]) {
      copyFileSync(from, share.hostPath(TOOLS, 'rootfs', name));
    }
    const vsockOutput = await st(`vsock round trip in the guest (ctl → vsock://1:${AGENT_VSOCK_PORT})`, () =>
      execOk(client, TOOLS, [
        '/usr/bin/node',
        '/kata-agent-ctl.js',
        ...['--addr', `vsock://1:${AGENT_VSOCK_PORT}`, 'Check'],
      ]),
    );

    // 7. Many short containers, then the agent's footprint again.
    let rssAfterContainersKiB: number | undefined;
    const n = options.rssContainers ?? 0;
    if (n > 0) {
      const rootfs = await share.addBusyboxRootfs('short');
      await st(`${n} containers (create, start, wait, remove)`, async () => {
        for (let i = 0; i < n; i++) {
          const id = `short-${i}`;
          await createContainer(client, { id, spec: containerSpec({ id, rootfs, args: ['true'] }) });
          await client.agent.startContainer({ container_id: id });
          const r = await collect(client, id, id);
          expect(r.exitCode === 0, `${id} exited with ${r.exitCode}: ${r.stderr}`);
          await client.agent.removeContainer({ container_id: id, timeout: 0 });
        }
      });
      rssAfterContainersKiB = await st(
        `agent RSS after ${n} more containers`,
        () => agentRssKiB(client, TOOLS),
        (k) => `${k} KiB`,
      );
    }

    // 8. Teardown as a runtime does it.
    await st('RemoveContainer (all)', async () => {
      await client.agent.signalProcess({ container_id: TOOLS, exec_id: '', signal: 9 });
      await client.agent.waitProcess({ container_id: TOOLS, exec_id: TOOLS });
      await client.agent.removeContainer({ container_id: TOOLS, timeout: 0 });
      await client.agent.removeContainer({ container_id: hello, timeout: 0 });
    });
    await st('DestroySandbox', () => client.agent.destroySandbox({}));
    const shutdownReason = await st(
      'poweroff (ACPI power button)',
      () => vm.powerdown(t(15_000)),
      (r) => r,
    );

    return {
      accel: `${agentVm.accel.kind} (${agentVm.accel.reason}); agent ${version.agent_version}`,
      stages: timer.stages,
      bootToReadyMs,
      firstOutputAfterStartMs,
      firstOutputAfterBootMs,
      containerOutput: helloResult.stdout,
      containerExit: helloResult.exitCode,
      execOutput,
      blkOutput: blkResult.stdout,
      blkHostReadBack,
      cpusOnlineBefore,
      cpusOnlineAfter,
      guestTimeRequested,
      guestTimeSeen,
      guestDetails,
      vsockOutput,
      rssAfterBootKiB,
      rssAfterContainersKiB,
      shutdownReason,
      agentStartup: agentVm.agentStartup(),
      guestRootMount,
    };
  } catch (err) {
    const tail = vm.console.contents().split('\n').slice(-15).join('\n');
    (err as Error).message += `\n--- last console lines (${vm.console.file}) ---\n${tail}`;
    throw err;
  } finally {
    await agentVm.close();
  }
}
