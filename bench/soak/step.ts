// One long robustness run of `npm run soak`.
export interface SoakOptions {
  fuzzSeconds: number;
  /** Size of the output integrity run. */
  integrityMiB: number;
  /** Execs in a row. */
  execs: number;
}

interface SoakResult {
  holds: boolean;
  /** Numbers and findings, one line each. */
  details: string[];
}

export interface SoakStep {
  id: string;
  title: string;
  run(options: SoakOptions): Promise<SoakResult>;
}
