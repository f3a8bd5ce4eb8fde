// The lifecycle and exec cases of bench/lifecycle.ts, one call per round: the
// median of each round's iterations becomes that round's sample.
import { measureLifecycle } from '../lifecycle';
import type { BenchCase } from '../lib/result';
import { median } from '../lib/stats';

interface LifecycleCaseOptions {
  rounds: number;
  iterationsPerRound: number;
}

export async function lifecycleCases(o: LifecycleCaseOptions): Promise<BenchCase[]> {
  const s = {
    life: [] as number[],
    lifeFloor: [] as number[],
    lifeSplit: [] as number[],
    exec: [] as number[],
    execFloor: [] as number[],
  };
  const phases: Record<string, number[]> = {};
  for (let round = 0; round < o.rounds; round++) {
    const r = await measureLifecycle({
      iterations: o.iterationsPerRound,
      warmup: round === 0 ? 5 : 2,
      runtime: 'crun',
      quiet: true,
    });
    s.life.push(median(r.agentLifecycle));
    s.lifeFloor.push(median(r.bareLifecycle));
    s.lifeSplit.push(median(r.bareSplit));
    s.exec.push(median(r.agentExec));
    s.execFloor.push(median(r.bareExec));
    for (const [phase, times] of Object.entries(r.phases))
      phases[phase] = [...(phases[phase] ?? []), ...times];
  }
  const split = Object.entries(phases)
    .map(([phase, times]) => `${phase} ${median(times).toFixed(1)}`)
    .join(', ');
  const how = `median of ${o.iterationsPerRound} per round (bench/lifecycle.ts: the agent in the bench process)`;
  return [
    {
      id: 'lifecycle',
      title: 'create+start+wait+remove of true',
      unit: 'ms',
      better: 'lower',
      subject: { name: 'agent', samples: s.life },
      floor: { name: 'crun run', samples: s.lifeFloor },
      targets: [{ of: 'ratio', op: '<=', limit: 1.2, text: '≤ 1.2× bare crun' }],
      notes: [`${how}; the floor runs the config.json the agent wrote; agent calls (median ms): ${split}`],
    },
    {
      id: 'lifecycle-split',
      title: 'create+start+wait+remove of true, against the runtime calls by hand',
      unit: 'ms',
      better: 'lower',
      subject: { name: 'agent', samples: s.life },
      floor: { name: 'crun create, start, delete', samples: s.lifeSplit },
      notes: [
        'the floor makes the runtime calls the agent must make (CreateContainer holds the init until StartContainer), from the same bundle; it waits for the exit by polling /proc every 1 ms',
      ],
    },
    {
      id: 'exec',
      title: 'exec+wait of true',
      unit: 'ms',
      better: 'lower',
      subject: { name: 'agent', samples: s.exec },
      floor: { name: 'crun exec', samples: s.execFloor },
      notes: [`${how}, into the same running container`],
    },
  ];
}
