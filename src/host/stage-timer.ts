// Times the stages of a run and prints them as a table.

export interface StageTiming {
  name: string;
  ms: number;
  detail?: string;
}

export class StageTimer {
  readonly stages: StageTiming[] = [];

  constructor(private readonly onStage?: (s: StageTiming) => void) {}

  /** Runs `work` as a named stage; `detail` may describe its result. */
  async stage<T>(
    name: string,
    work: () => Promise<T>,
    detail?: (result: T) => string | undefined,
  ): Promise<T> {
    const t0 = performance.now();
    const result = await work();
    const timing = { name, ms: performance.now() - t0, detail: detail?.(result) };
    this.stages.push(timing);
    this.onStage?.(timing);
    return result;
  }

  /** Records a duration measured elsewhere. */
  record(name: string, ms: number, detail?: string): void {
    const timing = { name, ms, detail };
    this.stages.push(timing);
    this.onStage?.(timing);
  }

  get(name: string): StageTiming | undefined {
    return this.stages.find((s) => s.name === name);
  }
}

export function formatMs(ms: number): string {
  return ms >= 1000 ? `${(ms / 1000).toFixed(2)} s` : `${ms.toFixed(1)} ms`;
}

export function formatStage(s: StageTiming): string {
  return `${s.name.padEnd(44)} ${formatMs(s.ms).padStart(10)}${s.detail ? `  ${s.detail}` : ''}`;
}
