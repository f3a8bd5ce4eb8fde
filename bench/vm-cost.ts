// `npm run bench:vm`: what the agent costs a pod's VM, beside the floor: the
// same kernel, initrd and /init with a tiny static program in the agent's place
// (src/host/image/floor.c) that opens agent.channel.0 and echoes. Each round
// boots the floor, the agent from its start-up snapshot (what the image runs)
// and the agent from its script, in a rotating order, one VM at a time (TCG
// keeps both cores busy). Writes its own block of docs/benchmarks.md.
//   --rounds N       rounds (default 3)
//   --containers N   containers in the Kata-like flow whose high-water mark is taken (default 20)
//   --vms N          VMs of the DAX image run at once for the shared-pages row (default 10; 0: skip)
//   --no-write       print only
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { AgentVm } from '../src/host/agent-vm';
import type { RootfsForm } from '../src/host/qemu';
import { ensureImage, type GuestImage } from '../src/host/image/build';
import { agentStatusKiB, createSandboxOnShare, startToolsContainer } from '../src/host/driver';
import { collect, createContainer, execOk } from '../src/host/process-io';
import { containerSpec } from '../src/host/container-spec';
import type { AgentClient } from '../src/client/agent-client';
import { machineInfo } from './lib/machine';
import { consoleLines, writeReport } from './lib/report';
import { evaluate, type BenchCase } from './lib/result';

type Variant = 'floor' | 'snapshot' | 'script' | 'dax-floor' | 'dax';
const VARIANTS: Record<Variant, { kernelParams: string[]; rootfs: RootfsForm }> = {
  floor: { kernelParams: ['kata_vm_mode=floor'], rootfs: 'initrd' },
  snapshot: { kernelParams: [], rootfs: 'initrd' },
  script: { kernelParams: ['kata_vm_snapshot=off'], rootfs: 'initrd' },
  'dax-floor': { kernelParams: ['kata_vm_mode=floor'], rootfs: 'dax' },
  dax: { kernelParams: [], rootfs: 'dax' },
};
const isFloor = (v: Variant): boolean => v.endsWith('floor');
const FLOOR_NAMES: Partial<Record<Variant, string>> = {
  floor: 'the floor program',
  'dax-floor': 'the floor program, DAX image',
};

interface Boot {
  bootToOpenMs: number;
  execToOpenMs: number;
  bootToReadyMs?: number;
  /** /init's exec of the agent → its first Health.Check answer at the host. */
  execToReadyMs?: number;
  /** Guest MemTotal − MemAvailable, MiB (the agent's VMs with one container running). */
  guestUsedMiB: number;
  /** The qemu process's proportional set size on the host, MiB. */
  qemuPssMiB: number;
  agentRssAnonMiB?: number;
  agentHwmAfterFlowMiB?: number;
}

const TOOLS = 'tools';
const mib = (kib: number): number => Math.round((kib / 1024) * 10) / 10;

function pssMiB(pid: number): number {
  const m = /^Pss:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8'));
  if (!m) throw new Error(`no Pss for qemu ${pid}`);
  return mib(Number(m[1]));
}

function usedMiB(meminfo: string): number {
  const kib = (k: string): number => Number(new RegExp(`${k}[:=]\\s*(\\d+)`).exec(meminfo)?.[1]);
  const used = kib('MemTotal') - kib('MemAvailable');
  if (!Number.isFinite(used)) throw new Error(`no MemTotal/MemAvailable in ${JSON.stringify(meminfo)}`);
  return mib(used);
}

async function waitForLine(vm: AgentVm, pattern: RegExp, timeoutMs: number): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const m = pattern.exec(vm.vm.console.contents());
    if (m) return m[0];
    if (Date.now() > deadline || !vm.vm.running) throw new Error(`no ${pattern} on the console`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** `work`, or an error naming `what` and the console's last lines when it takes over `ms`. */
async function within<T>(vm: AgentVm, ms: number, what: string, work: () => Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      const tail = vm.vm.console.contents().split('\n').slice(-20).join('\n');
      reject(new Error(`${what}: no outcome after ${ms} ms; the console's last lines:\n${tail}`));
    }, ms);
  });
  try {
    return await Promise.race([work(), late]);
  } finally {
    clearTimeout(timer);
  }
}

/** The Kata-like part: containers created, exec'd into, read and removed, one after another. */
async function kataLikeFlow(client: AgentClient, vm: AgentVm, containers: number): Promise<void> {
  const step = vm.vm.timeout(20_000);
  for (let i = 0; i < containers; i++) {
    const id = `flow-${i}`;
    const rootfs = await vm.share.addBusyboxRootfs(id);
    const spec = containerSpec({ id, rootfs, args: ['sh', '-c', 'echo started; sleep 1000'] });
    await within(vm, step, `CreateContainer ${id}`, () => createContainer(client, { id, spec }));
    await within(vm, step, `StartContainer ${id}`, () => client.agent.startContainer({ container_id: id }));
    const script = 'head -c 65536 /dev/zero | tr "\\0" x; echo';
    const out = await within(vm, step, `exec in ${id}`, () => execOk(client, id, ['sh', '-c', script]));
    if (out.length !== 65537) throw new Error(`exec in ${id} said ${out.length} bytes`);
    await client.agent.signalProcess({ container_id: id, exec_id: '', signal: 9 });
    await within(vm, step, `output and exit of ${id}`, () => collect(client, id, id));
    await within(vm, step, `RemoveContainer ${id}`, () =>
      client.agent.removeContainer({ container_id: id, timeout: 0 }),
    );
  }
}

async function bootOnce(image: GuestImage, variant: Variant, flowContainers: number): Promise<Boot> {
  const vm = await AgentVm.boot({ image, ...VARIANTS[variant] });
  try {
    const t = (ms: number): number => vm.vm.timeout(ms);
    const bootToOpenMs = await vm.channelOpened;
    const execMark = isFloor(variant) ? /kata-vm: floor-exec / : /kata-vm: agent-(start|exec) /;
    if (isFloor(variant)) {
      const line = await waitForLine(vm, /kata-vm: floor meminfo .*/, t(15_000));
      const execAt = vm.vm.console.lineTime(execMark) ?? NaN;
      return {
        bootToOpenMs,
        execToOpenMs: bootToOpenMs - execAt,
        guestUsedMiB: usedMiB(line),
        qemuPssMiB: pssMiB(vm.vm.pid!),
      };
    }
    const client = await vm.connect(t(15_000));
    const bootToReadyMs = vm.vm.elapsedMs();
    const execAt = vm.vm.console.lineTime(execMark) ?? NaN;
    const startup = vm.agentStartup();
    if ((variant !== 'script') !== startup?.fromSnapshot)
      throw new Error(`the ${variant} boot started ${JSON.stringify(startup)}`);
    await createSandboxOnShare(client, vm.share);
    await startToolsContainer(client, vm.share, TOOLS);
    // Let start-up's garbage settle before reading what the guest holds.
    await new Promise((r) => setTimeout(r, 2000));
    const guestUsed = usedMiB(await execOk(client, TOOLS, ['cat', '/proc/meminfo']));
    const qemuPssMiB = pssMiB(vm.vm.pid!);
    const idle = await agentStatusKiB(client, TOOLS, ['RssAnon']);
    let agentHwmAfterFlowMiB: number | undefined;
    if (variant === 'snapshot' && flowContainers > 0) {
      await kataLikeFlow(client, vm, flowContainers);
      agentHwmAfterFlowMiB = mib((await agentStatusKiB(client, TOOLS, ['VmHWM'])).VmHWM);
    }
    client.destroy();
    return {
      bootToOpenMs,
      execToOpenMs: bootToOpenMs - execAt,
      bootToReadyMs,
      execToReadyMs: bootToReadyMs - execAt,
      guestUsedMiB: guestUsed,
      qemuPssMiB,
      agentRssAnonMiB: mib(idle.RssAnon),
      agentHwmAfterFlowMiB,
    };
  } finally {
    await vm.close();
  }
}

/**
 * Mean qemu PSS over `count` VMs of one image running at once, each with its agent
 * (or floor) up and, for the agent, one container: what each pod costs when a host
 * runs many, with the image's pages shared between them.
 */
async function manyVmsPss(image: GuestImage, variant: Variant, count: number): Promise<number> {
  const vms: AgentVm[] = [];
  try {
    for (let i = 0; i < count; i++) {
      const vm = await AgentVm.boot({ image, ...VARIANTS[variant] });
      vms.push(vm);
      if (isFloor(variant)) {
        await waitForLine(vm, /kata-vm: floor meminfo .*/, vm.vm.timeout(30_000));
        continue;
      }
      const client = await vm.connect(vm.vm.timeout(30_000));
      await createSandboxOnShare(client, vm.share);
      await startToolsContainer(client, vm.share, TOOLS);
      client.destroy();
    }
    await new Promise((r) => setTimeout(r, 2000));
    const pss = vms.map((vm) => pssMiB(vm.vm.pid!));
    return Math.round((pss.reduce((a, b) => a + b, 0) / pss.length) * 10) / 10;
  } finally {
    await Promise.all(vms.map((vm) => vm.close()));
  }
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      rounds: { type: 'string', default: '3' },
      containers: { type: 'string', default: '20' },
      vms: { type: 'string', default: '10' },
      'no-write': { type: 'boolean', default: false },
    },
  });
  const rounds = Number(values.rounds);
  const flow = Number(values.containers);
  const startedAt = new Date();
  const { image } = await ensureImage({ say: (m) => console.log(`vm:image: ${m}`) });
  const runs: Record<Variant, Boot[]> = { floor: [], snapshot: [], script: [], 'dax-floor': [], dax: [] };
  const order = Object.keys(VARIANTS) as Variant[];
  for (let round = 0; round < rounds; round++) {
    for (let i = 0; i < order.length; i++) {
      const variant = order[(i + round) % order.length];
      const boot = await bootOnce(image, variant, flow);
      runs[variant].push(boot);
      console.log(`round ${round + 1} ${variant}: ${JSON.stringify(boot)}`);
    }
  }
  type Value = (b: Boot) => number | undefined;
  const series = (v: Variant, pick: Value) => ({
    name: FLOOR_NAMES[v] ?? v,
    samples: runs[v].map((b) => pick(b) ?? NaN),
  });
  /** A row: the agent's variant and value beside the floor's (when it has one), lower is better. */
  const row = (
    id: string,
    title: string,
    unit: string,
    subject: [Variant, Value],
    floor?: [Variant, Value],
    extra: Pick<BenchCase, 'targets' | 'notes'> = {},
  ): BenchCase => ({
    id,
    title,
    unit,
    better: 'lower',
    subject: series(...subject),
    floor: floor && series(...floor),
    ...extra,
  });
  const upTo = (limit: number, text: string) => ({
    targets: [{ of: 'value' as const, op: '<=' as const, limit, text }],
  });
  const noGrpc = ["the floor's figure is its channel opening: it has no gRPC to answer"];
  const open: Value = (b) => b.bootToOpenMs;
  const execOpen: Value = (b) => b.execToOpenMs;
  const used: Value = (b) => b.guestUsedMiB;
  const pss: Value = (b) => b.qemuPssMiB;
  const initrd = `initrd ${mib(image.initrdBytes / 1024)} MiB`;
  const cases: BenchCase[] = [
    row(
      'vm-boot-open',
      `qemu start → agent.channel.0 open (${initrd}, snapshot)`,
      'ms',
      ['snapshot', open],
      ['floor', open],
    ),
    row(
      'vm-exec-open',
      "/init's exec → channel open, from the snapshot",
      'ms',
      ['snapshot', execOpen],
      ['floor', execOpen],
    ),
    row(
      'vm-exec-ready',
      "/init's exec → first Health.Check answer, from the snapshot",
      'ms',
      ['snapshot', (b) => b.execToReadyMs],
      ['floor', execOpen],
      { ...upTo(1500, '≤ 1.5 s (Go 1.x: 0.76 s)'), notes: noGrpc },
    ),
    row(
      'vm-exec-open-script',
      "/init's exec → channel open, from the script",
      'ms',
      ['script', execOpen],
      ['floor', execOpen],
    ),
    row(
      'vm-boot-ready',
      'qemu start → first Health.Check answer (snapshot)',
      'ms',
      ['snapshot', (b) => b.bootToReadyMs],
      ['floor', open],
      { ...upTo(7000, '≤ 7 s'), notes: noGrpc },
    ),
    row(
      'vm-dax-boot-ready',
      'qemu start → first Health.Check answer (DAX image, snapshot)',
      'ms',
      ['dax', (b) => b.bootToReadyMs],
      ['dax-floor', open],
      upTo(7000, '≤ 7 s (Go 1.x: 5.76 s)'),
    ),
    row(
      'vm-guest-used',
      `guest MemTotal − MemAvailable, one container up (${initrd})`,
      'MiB',
      ['snapshot', used],
      ['floor', used],
      { notes: ['the floor runs no container; the initrd (node included) lives in guest RAM'] },
    ),
    row(
      'vm-dax-guest-used',
      'guest MemTotal − MemAvailable, one container up (DAX image)',
      'MiB',
      ['dax', used],
      ['dax-floor', used],
      upTo(155, '≤ 155 MiB (Go 1.x: 140)'),
    ),
    row(
      'vm-qemu-pss',
      `host PSS of qemu, one container up (${initrd})`,
      'MiB',
      ['snapshot', pss],
      ['floor', pss],
    ),
    row(
      'vm-dax-qemu-pss',
      'host PSS of qemu, one container up (DAX image)',
      'MiB',
      ['dax', pss],
      ['dax-floor', pss],
    ),
    row(
      'vm-agent-anon',
      'agent RssAnon, idle with one container',
      'MiB',
      ['snapshot', (b) => b.agentRssAnonMiB],
      undefined,
      upTo(12, '≤ 12 MiB (Go 1.x: 8.9)'),
    ),
  ];
  if (flow > 0) {
    const title = `agent VmHWM after a Kata-like flow (${flow} containers with exec and stdio, removed)`;
    const hwm: Value = (b) => b.agentHwmAfterFlowMiB;
    cases.push(
      row('vm-agent-hwm', title, 'MiB', ['snapshot', hwm], undefined, upTo(40, '≤ 40 MB (Go 1.x: ~24)')),
    );
  }
  const vms = Number(values.vms);
  if (vms > 1) {
    const agent: number[] = [];
    const floorPss: number[] = [];
    for (const [variant, into] of [
      ['dax-floor', floorPss],
      ['dax', agent],
    ] as const) {
      into.push(await manyVmsPss(image, variant, vms));
      console.log(`${vms} VMs ${variant}: mean qemu PSS ${into[0]} MiB`);
    }
    cases.push({
      id: 'vm-dax-qemu-pss-many',
      title: `host PSS of qemu per VM, ${vms} VMs of the DAX image at once, one container each`,
      unit: 'MiB',
      better: 'lower',
      subject: { name: 'agent', samples: agent },
      floor: { name: 'the floor program, DAX image', samples: floorPss },
      ...upTo(454, '≤ 454 MiB (1.1× Go 1.x on its initrd: 413)'),
      notes: ['one sample: the VMs boot one after another and run together'],
    });
  }
  const outcomes = cases.map(evaluate);
  for (const line of consoleLines(outcomes)) console.log(line);
  if (!values['no-write']) {
    writeReport({
      outcomes,
      machine: await machineInfo(),
      rounds,
      startedAt,
      durationS: (Date.now() - startedAt.getTime()) / 1000,
      docsDir: path.join(__dirname, '..', '..', 'docs'),
      section: VM_SECTION,
    });
  }
}

const VM_SECTION = {
  id: 'bench-vm',
  command: 'npm run bench:vm',
  heading: 'The agent in the VM against the floor program',
  svg: 'benchmarks-vm.svg',
  chartTitle: 'the agent in a TCG guest against the floor program',
};

main().catch((err: Error) => {
  console.error(err.stack ?? err.message);
  process.exit(1);
});
