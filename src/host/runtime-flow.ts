// The recorded Kata 1.12 runtime flow, replayed against the agent in a VM
// booted the runtime's way, with its NIC on a tap in a network namespace of the
// VM's own (the addresses and MAC come from the recording). Before the flow's
// teardown, in the same sandbox: a virtio-scsi disk as `scsi` storage, and
// requests naming hardware the guest lacks. One boot for all of it.
import { AgentVm, type AgentVmOptions } from './agent-vm';
import { tapCounters, type TapCounters, type TapNetwork } from './tap-network';
import { differences, RuntimeReplay, type RecordedCall, type StreamOutcome } from './runtime-replay';
import {
  missingHardwareRequests,
  scsiStorageRoundTrip,
  type BadInputAnswer,
  type ScsiResult,
} from './scsi-and-bad-input';
import { continuationFlood, type FloodResult } from './continuation-flood';
import { StageTimer, type StageTiming } from './stage-timer';

interface RuntimeFlowOptions extends AgentVmOptions {
  recording: RecordedCall[];
  onStage?: (s: StageTiming) => void;
}

interface RuntimeFlowResult {
  stages: StageTiming[];
  replay: RuntimeReplay;
  streams: StreamOutcome[];
  /** Answers that differ from what the runtime accepted; empty when all match. */
  differences: string[];
  ids: FlowIds;
  network: TapNetwork;
  tapBefore: TapCounters;
  tapAfter: TapCounters;
  scsi: ScsiResult;
  badInput: BadInputAnswer[];
  /** A CONTINUATION flood on a second yamux stream, Health.Check timed on the first. */
  flood: FloodResult;
  /** Agent log lines seen on the guest console (hvc0). */
  agentConsoleLines: number;
  /** Whether /init's first line reached the console. */
  initOnConsole: boolean;
  /** Modules /init could not load. */
  insmodFailures: string[];
  shutdownReason: string;
}

interface FlowIds {
  sandbox: string;
  container: string;
  exec1: string;
  exec2: string;
}

export const FLOW_IDS: FlowIds = {
  sandbox: 'replay-sandbox',
  container: 'replay-container',
  exec1: '6f1c9a52-0b7e-4d55-9a0e-3c2b8f6d1a01',
  exec2: '6f1c9a52-0b7e-4d55-9a0e-3c2b8f6d1a02',
};

/** Steps after which the runtime tears the sandbox down. */
const TEARDOWN_STEPS = new Set(['kill', 'delete']);

/**
 * The far end of the recorded NIC: the gateway of the recorded default route, with
 * the prefix of the guest's IPv4 address; the guest's MAC from UpdateInterface.
 */
export function networkOf(recording: readonly RecordedCall[]): TapNetwork {
  const iface = recording.find((c) => c.rpc === 'UpdateInterface')?.request.interface as
    { hwAddr: string; IPAddresses: Array<{ family: number; mask: string }> } | undefined;
  const routes = recording.find((c) => c.rpc === 'UpdateRoutes')?.request.routes as
    { Routes: Array<{ dest: string; gateway: string }> } | undefined;
  const gateway = routes?.Routes.find((r) => r.dest === '' && r.gateway)?.gateway;
  const v4 = iface?.IPAddresses.find((a) => a.family === 0);
  if (!iface || !gateway || !v4) throw new Error('the recording has no UpdateInterface with a default route');
  return { tap: 'tap0', hostAddress: `${gateway}/${v4.mask}`, guestMac: iface.hwAddr };
}

export async function runRuntimeFlow(options: RuntimeFlowOptions): Promise<RuntimeFlowResult> {
  const timer = new StageTimer(options.onStage);
  const st = timer.stage.bind(timer);
  const network = networkOf(options.recording);
  const ids = FLOW_IDS;
  const agentVm = await st('boot (runtime devices, tap NIC)', () => AgentVm.boot({ ...options, network }));
  const { vm, share } = agentVm;
  try {
    const client = await st('agent ready', () => agentVm.connect(vm.timeout(15_000)));
    const pid = vm.pid ?? 0;
    const tapBefore = tapCounters(pid, network.tap);
    // The runtime puts the container's root filesystem in the share before CreateContainer.
    await share.addBusyboxRootfs(ids.container);
    const replay = new RuntimeReplay(client, placeholders(ids), vm.timeout(30_000));
    const calls = options.recording;
    const teardownAt = calls.findIndex((c) => TEARDOWN_STEPS.has(c.step));
    const [flow, teardown] =
      teardownAt < 0 ? [calls, []] : [calls.slice(0, teardownAt), calls.slice(teardownAt)];
    await st(`replay: ${flow.length} calls up to the teardown`, () => replay.run(flow));

    const scsi = await st('virtio-scsi disk as scsi storage, then unplugged', () =>
      scsiStorageRoundTrip(client, vm, share, ids.container),
    );
    const badInput = await st('requests naming missing hardware', () =>
      missingHardwareRequests(client, share, vm.timeout(30_000)),
    );
    const flood = await st('CONTINUATION flood on another yamux stream', async () =>
      continuationFlood(await agentVm.rawStream(vm.timeout(5000)), client, vm.timeout(60_000)),
    );

    await st(`replay: ${teardown.length} teardown calls`, () => replay.run(teardown));
    const streams = await st('streams drained', () => replay.drain(vm.timeout(10_000)));
    const tapAfter = tapCounters(pid, network.tap);
    const agentConsoleLines = vm.console.matches(/level=\w+ msg=.* name=kata-agent/).length;
    const initOnConsole = /kata-vm: init uptime=/.test(vm.console.contents());
    const insmodFailures = vm.console.matches(/kata-vm: insmod (\S+) failed/).map((m) => m[1]);
    const shutdownReason = await st('poweroff', () => vm.powerdown(vm.timeout(15_000)));
    return {
      stages: timer.stages,
      replay,
      streams,
      differences: differences(replay, streams),
      ids,
      network,
      tapBefore,
      tapAfter,
      scsi,
      badInput,
      flood,
      agentConsoleLines,
      initOnConsole,
      insmodFailures,
      shutdownReason,
    };
  } catch (err) {
    const tail = vm.console.contents().split('\n').slice(-20).join('\n');
    (err as Error).message += `\n--- last console lines (${vm.console.file}) ---\n${tail}`;
    throw err;
  } finally {
    await agentVm.close();
  }
}

/** The recording's placeholders and what stands in for them. */
export function placeholders(ids: FlowIds): Record<string, string> {
  return {
    '<sandbox-id>': ids.sandbox,
    '<container-id>': ids.container,
    '<exec-id-1>': ids.exec1,
    '<exec-id-2>': ids.exec2,
  };
}
