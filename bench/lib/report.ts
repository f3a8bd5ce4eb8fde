// Prints the results and writes docs/benchmarks.md and docs/benchmarks.svg.
// Only the block between the two markers is regenerated; every other section
// of docs/benchmarks.md (written analysis, the VM figures) stays as it is.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { costChart } from './chart';
import type { MachineInfo } from './machine';
import type { CaseOutcome } from './result';
import { formatNumber, type Summary } from './stats';

/** A generated block of docs/benchmarks.md, its chart and the command that writes them. */
interface ReportSection {
  /** Names the block's markers. */
  id: string;
  command: string;
  heading: string;
  svg: string;
  chartTitle: string;
}

const MAIN_SECTION: ReportSection = {
  id: 'bench',
  command: 'npm run bench',
  heading: 'The agent against its floors',
  svg: 'benchmarks.svg',
  chartTitle: 'kata-agent against its floors',
};

export const BEGIN_MARKER = markers(MAIN_SECTION).begin;
export const END_MARKER = markers(MAIN_SECTION).end;

function markers(s: ReportSection): { begin: string; end: string } {
  return {
    begin: `<!-- ${s.id}:begin: written by \`${s.command}\`, edits here are lost -->`,
    end: `<!-- ${s.id}:end -->`,
  };
}

/** `old` with the generated block replaced, or inserted under the title when absent. */
export function spliceBlock(old: string | undefined, block: string, section = MAIN_SECTION): string {
  const { begin: BEGIN, end: END } = markers(section);
  const wrapped = `${BEGIN}\n${block.trimEnd()}\n${END}\n`;
  if (old === undefined) return `# Benchmarks\n\n${wrapped}`;
  const begin = old.indexOf(BEGIN);
  const end = old.indexOf(END);
  if (begin >= 0 && end > begin) return old.slice(0, begin) + wrapped + old.slice(end + END.length + 1);
  const title = /^# .*\n+/.exec(old);
  const at = title ? title[0].length : 0;
  return `${old.slice(0, at)}${wrapped}\n${old.slice(at)}`;
}

function cell(s: Summary | undefined, unit: string): string {
  if (!s) return '—';
  return `${formatNumber(s.median)} ${unit} [${formatNumber(s.min)}–${formatNumber(s.max)}]`;
}

function ratioCell(o: CaseOutcome): string {
  return o.ratio
    ? `${formatNumber(o.ratio.median)}× [${formatNumber(o.ratio.min)}–${formatNumber(o.ratio.max)}]`
    : '—';
}

function verdictCell(o: CaseOutcome): string {
  if (o.verdicts.length === 0) return '—';
  return o.verdicts
    .map((v) => `${v.holds ? '✅' : '❌'} ${v.target.text} (${formatNumber(v.value)})`)
    .join('<br>');
}

export function consoleLines(outcomes: readonly CaseOutcome[]): string[] {
  return outcomes.map((o) => {
    const floor = o.floor
      ? `  floor ${o.floor.name}: ${cell(o.floorSummary, o.unit)}  ratio ${ratioCell(o)}`
      : '';
    const verdicts = o.verdicts.map((v) => `${v.holds ? 'ok' : 'MISSED'}: ${v.target.text}`).join('; ');
    return `${o.title}: ${cell(o.subjectSummary, o.unit)}${floor}${verdicts ? `  [${verdicts}]` : ''}`;
  });
}

interface ReportOptions {
  outcomes: readonly CaseOutcome[];
  machine: MachineInfo;
  rounds: number;
  startedAt: Date;
  durationS: number;
  docsDir: string;
  section?: ReportSection;
}

export function writeReport(options: ReportOptions): { markdown: string; svg: string } {
  const { outcomes, machine } = options;
  const section = options.section ?? MAIN_SECTION;
  mkdirSync(options.docsDir, { recursive: true });
  const markdownPath = path.join(options.docsDir, 'benchmarks.md');
  const svgPath = path.join(options.docsDir, section.svg);
  const lines = [
    `## ${section.heading}`,
    '',
    `Measured by \`${section.command}\` on ${options.startedAt.toISOString().slice(0, 16).replace('T', ' ')} UTC ` +
      `(${options.rounds} rounds, ${Math.round(options.durationS)} s). Each case ran beside its floor, ` +
      'alternating, in every round; cells show the median and [min–max] of the rounds, and the ratio is the ' +
      'median of the per-round ratios.',
    '',
    `Machine: ${machine.cpuModel}, ${machine.cores} cores, ${machine.memoryGiB} GiB, Linux ${machine.kernel}, ` +
      `Node.js ${machine.node}, ${machine.ociRuntimes.join(', ') || 'no OCI runtime'}; ` +
      `load average ${machine.loadAverage} at the start (the machine may be shared, which widens the spreads).`,
    '',
    `![cost of each case relative to its floor](${section.svg})`,
    '',
    '| case | agent | floor | ratio | target |',
    '| --- | --- | --- | --- | --- |',
    ...outcomes.map(
      (o) =>
        `| ${o.title} | ${cell(o.subjectSummary, o.unit)} | ${o.floor ? `${o.floor.name}: ${cell(o.floorSummary, o.unit)}` : '—'} | ${ratioCell(o)} | ${verdictCell(o)} |`,
    ),
    '',
  ];
  const notes = outcomes.filter((o) => o.notes?.length);
  if (notes.length) {
    lines.push('### Notes from this run', '');
    for (const o of notes) for (const n of o.notes!) lines.push(`- ${o.title}: ${n}`);
    lines.push('');
  }
  const markdown = spliceBlock(
    existsSync(markdownPath) ? readFileSync(markdownPath, 'utf8') : undefined,
    lines.join('\n'),
    section,
  );
  const svg = costChart(outcomes, `${section.chartTitle} (${machine.cores} cores, Node.js ${machine.node})`);
  writeFileSync(markdownPath, markdown);
  writeFileSync(svgPath, svg);
  return { markdown, svg };
}
