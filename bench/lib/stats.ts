// Summaries of per-round samples: the median, its spread, and ratios taken
// round by round (each case ran beside its floor, so drift cancels out).
export interface Summary {
  median: number;
  min: number;
  max: number;
  /** Half the min–max range relative to the median, in percent. */
  spreadPct: number;
}

export function median(values: readonly number[]): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

export function summarize(values: readonly number[]): Summary {
  const m = median(values);
  const min = Math.min(...values);
  const max = Math.max(...values);
  return { median: m, min, max, spreadPct: m ? ((max - min) / 2 / Math.abs(m)) * 100 : 0 };
}

/** subject[i] / floor[i] for every round. */
export function roundRatios(subject: readonly number[], floor: readonly number[]): number[] {
  return subject.map((s, i) => s / floor[i]);
}

/** Microseconds since `start` (a process.hrtime.bigint() reading). */
export function elapsedUs(start: bigint): number {
  return Number(process.hrtime.bigint() - start) / 1000;
}

export function formatNumber(value: number): string {
  if (!Number.isFinite(value)) return String(value);
  const abs = Math.abs(value);
  if (abs >= 100) return value.toFixed(0);
  if (abs >= 10) return value.toFixed(1);
  return value.toFixed(2);
}
