// What a benchmark case measures and how it is judged: per-round samples of
// the subject (the agent) and of its floor (the bare mechanism underneath),
// plus the targets the project set.
import { roundRatios, summarize, type Summary } from './stats';

type Better = 'lower' | 'higher';

interface Target {
  /** "ratio": subject/floor (median of rounds); "value": the subject's median. */
  of: 'ratio' | 'value';
  op: '<=' | '>=';
  limit: number;
  /** As written in the report: "≤ 1.3× the echo floor". */
  text: string;
}

interface Series {
  name: string;
  /** One value per round. */
  samples: number[];
}

export interface BenchCase {
  id: string;
  title: string;
  unit: string;
  better: Better;
  subject: Series;
  floor?: Series;
  targets?: Target[];
  notes?: string[];
}

interface Verdict {
  target: Target;
  value: number;
  holds: boolean;
}

export interface CaseOutcome extends BenchCase {
  subjectSummary: Summary;
  floorSummary?: Summary;
  /** subject/floor per round, summarized. */
  ratio?: Summary;
  /** How many times the floor's cost (time, memory, or time per byte): 1 = the floor. */
  cost?: Summary;
  verdicts: Verdict[];
}

export function evaluate(c: BenchCase): CaseOutcome {
  const subjectSummary = summarize(c.subject.samples);
  const floorSummary = c.floor ? summarize(c.floor.samples) : undefined;
  const ratios = c.floor ? roundRatios(c.subject.samples, c.floor.samples) : undefined;
  const ratio = ratios ? summarize(ratios) : undefined;
  const cost = ratios ? summarize(c.better === 'lower' ? ratios : ratios.map((r) => 1 / r)) : undefined;
  const verdicts = (c.targets ?? []).map((target) => {
    const value = target.of === 'ratio' ? (ratio?.median ?? NaN) : subjectSummary.median;
    const holds = target.op === '<=' ? value <= target.limit : value >= target.limit;
    return { target, value, holds };
  });
  return { ...c, subjectSummary, floorSummary, ratio, cost, verdicts };
}
