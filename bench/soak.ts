// `npm run soak`: the long robustness runs, each bounded in time, with the
// results printed and written to docs/soak.md.
//   --only a,b        run only these steps
//   --fuzz-seconds N   length of the protocol fuzzing step (default 120)
//   --integrity-mib N  bytes through ReadStdout, checked by sha256 (default 1024)
//   --execs N          execs in a row (default 10000)
import { writeFileSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { machineInfo } from './lib/machine';
import { runInNamespace } from './lib/namespace';
import { fuzzSoak } from './soak/fuzz';
import { abuseSoak } from './soak/abuse';
import { execSoak, integritySoak } from './soak/containers';
import type { SoakOptions, SoakStep } from './soak/step';

const STEPS: SoakStep[] = [integritySoak, execSoak, fuzzSoak, abuseSoak];

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      only: { type: 'string' },
      'fuzz-seconds': { type: 'string', default: '120' },
      'integrity-mib': { type: 'string', default: '1024' },
      execs: { type: 'string', default: '10000' },
      'no-write': { type: 'boolean', default: false },
    },
  });
  const only = values.only?.split(',').filter(Boolean);
  const options: SoakOptions = {
    fuzzSeconds: Number(values['fuzz-seconds']),
    integrityMiB: Number(values['integrity-mib']),
    execs: Number(values.execs),
  };
  const machine = machineInfo();
  const startedAt = new Date();
  console.log(
    `kata-agent soak: ${machine.cores} cores, Linux ${machine.kernel}, Node.js ${machine.node}, load ${machine.loadAverage}`,
  );
  const lines: string[] = [];
  let failed = 0;
  for (const step of STEPS) {
    if (only && !only.includes(step.id)) continue;
    const t0 = Date.now();
    const result = await step
      .run(options)
      .catch((err: Error) => ({ holds: false, details: [`error: ${err.stack ?? err.message}`] }));
    const seconds = Math.round((Date.now() - t0) / 1000);
    if (!result.holds) failed++;
    const head = `${result.holds ? 'holds' : 'FAILS'}: ${step.title} (${seconds} s)`;
    console.log(head);
    for (const d of result.details) console.log(`  ${d}`);
    lines.push(
      `## ${step.title}`,
      '',
      `${result.holds ? '✅ holds' : '❌ fails'} (${seconds} s)`,
      '',
      ...result.details.map((d) => `- ${d}`),
      '',
    );
  }
  if (!values['no-write'] && !only) {
    const docs = path.resolve(__dirname, '..', '..', 'docs');
    mkdirSync(docs, { recursive: true });
    const header = [
      '# Soak',
      '',
      `Measured by \`npm run soak\` on ${startedAt.toISOString().slice(0, 16).replace('T', ' ')} UTC. ` +
        `Machine: ${machine.cpuModel}, ${machine.cores} cores, Linux ${machine.kernel}, Node.js ${machine.node}, ` +
        `load average ${machine.loadAverage} at the start.`,
      '',
    ];
    writeFileSync(path.join(docs, 'soak.md'), [...header, ...lines].join('\n'));
    console.log(`written: ${path.join(docs, 'soak.md')}`);
  }
  return failed ? 1 : 0;
}

runInNamespace(main);
