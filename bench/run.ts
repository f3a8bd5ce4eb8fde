// `npm run bench`: every benchmark case beside its floor, several rounds,
// printed as ratios and written to docs/benchmarks.md with an SVG chart.
//   --rounds N       rounds per case (default 5)
//   --only a,b       run only the cases whose id starts with one of these
//   --cpu-prof DIR   write CPU profiles of the agents under test to DIR
//   --no-write       print only; leave docs/ alone
import path from 'node:path';
import { parseArgs } from 'node:util';
import { machineInfo } from './lib/machine';
import { runInNamespace } from './lib/namespace';
import { consoleLines, writeReport } from './lib/report';
import { evaluate, type BenchCase } from './lib/result';
import { startupAndMemory } from './cases/startup-memory';
import { lifecycleCases } from './cases/lifecycle';
import { stdioCases } from './cases/stdio';
import { containerMemory } from './cases/container-memory';
import { unaryLatency } from './cases/unary';
import { goExecWait, goHealthLatency, goReadStdout } from './cases/grpc-go';

interface BenchContext {
  rounds: number;
  /** Node flags for agents under test (profiling). */
  nodeArgs: string[];
}

interface CaseGroup {
  ids: string[];
  run(ctx: BenchContext): Promise<BenchCase[]>;
}

const GROUPS: CaseGroup[] = [
  {
    ids: ['unary-unix', 'unary-yamux'],
    run: async (ctx) => [
      await unaryLatency({
        rounds: ctx.rounds,
        callsPerRound: 2000,
        nodeArgs: ctx.nodeArgs,
        transport: 'unix',
      }),
      await unaryLatency({
        rounds: ctx.rounds,
        callsPerRound: 2000,
        nodeArgs: ctx.nodeArgs,
        transport: 'yamux',
      }),
    ],
  },
  {
    ids: ['go-unary-unix', 'go-unary-yamux'],
    run: async (ctx) => [
      await goHealthLatency({ rounds: ctx.rounds, calls: 2000, transport: 'unix' }),
      await goHealthLatency({ rounds: ctx.rounds, calls: 2000, transport: 'yamux' }),
    ],
  },
  {
    ids: ['go-stdout-unix', 'go-stdout-yamux'],
    run: (ctx) => goReadStdout({ rounds: ctx.rounds, bytes: 128 * 1024 * 1024 }),
  },
  {
    ids: ['go-exec'],
    run: async (ctx) => [await goExecWait({ rounds: ctx.rounds, execsPerRound: 10 })],
  },
  {
    ids: ['startup', 'rss-idle', 'rss-rpcs', 'rss-rpcs-small-heap'],
    // Memory readings barely vary; the quiet ones take up to a minute each.
    run: (ctx) => startupAndMemory({ rounds: Math.min(ctx.rounds, 3), rpcs: 10_000, settleMs: 1000 }),
  },
  {
    ids: ['lifecycle', 'lifecycle-split', 'exec'],
    run: (ctx) => lifecycleCases({ rounds: ctx.rounds, iterationsPerRound: 10 }),
  },
  {
    ids: ['stdout-32k', 'stdout-1m', 'stdin'],
    run: (ctx) => stdioCases({ rounds: ctx.rounds, nodeArgs: ctx.nodeArgs, bytes: 128 * 1024 * 1024 }),
  },
  {
    ids: ['rss-containers', 'rss-containers-after'],
    run: (ctx) => containerMemory({ rounds: Math.min(ctx.rounds, 3), containers: 100, settleMs: 1000 }),
  },
];

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      rounds: { type: 'string', default: '5' },
      only: { type: 'string' },
      'cpu-prof': { type: 'string' },
      'no-write': { type: 'boolean', default: false },
    },
  });
  const only = values.only?.split(',').filter(Boolean);
  const profDir = values['cpu-prof'] ? path.resolve(values['cpu-prof']) : undefined;
  const ctx: BenchContext = {
    rounds: Math.max(1, Number(values.rounds)),
    nodeArgs: profDir ? ['--cpu-prof', '--cpu-prof-dir', profDir] : [],
  };
  const machine = machineInfo();
  const startedAt = new Date();
  const t0 = Date.now();
  console.log(
    `kata-agent benchmarks: ${machine.cores} cores (${machine.cpuModel}), Linux ${machine.kernel}, Node.js ${machine.node}, load ${machine.loadAverage}`,
  );
  const cases: BenchCase[] = [];
  for (const group of GROUPS) {
    if (only && !group.ids.some((id) => only.some((o) => id.startsWith(o)))) continue;
    const found = await group.run(ctx);
    for (const line of consoleLines(found.map(evaluate))) console.log(line);
    cases.push(...found);
  }
  const outcomes = cases.map(evaluate);
  if (!values['no-write'] && !only) {
    const docsDir = path.resolve(__dirname, '..', '..', 'docs');
    writeReport({
      outcomes,
      machine,
      rounds: ctx.rounds,
      startedAt,
      durationS: (Date.now() - t0) / 1000,
      docsDir,
    });
    console.log(`written: ${path.join(docsDir, 'benchmarks.md')}, benchmarks.svg`);
  }
  if (profDir) console.log(`CPU profiles of the agents: ${profDir}`);
  const missed = outcomes.flatMap((o) =>
    o.verdicts.filter((v) => !v.holds).map((v) => `${o.title}: ${v.target.text}`),
  );
  if (missed.length) console.log(`targets missed:\n  ${missed.join('\n  ')}`);
  return 0;
}

runInNamespace(main);
