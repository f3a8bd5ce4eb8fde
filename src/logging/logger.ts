// The agent's structured log: pino for levels, child loggers and fields, with a
// destination that writes logfmt lines the way Kata's host tooling expects:
//   time=2026-01-02T03:04:05.123456789Z level=info msg="..." name=kata-agent pid=1 source=agent sandbox=<id>
// Extra sinks (log forwarding over vsock) subscribe to the finished lines.
import pino from 'pino';
import { toLogfmt } from './logfmt';

export type Logger = pino.Logger;
export type LogLevel = 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'fatal' | 'silent';
type LineSink = (line: string) => void;

// pino's numeric levels to the names logrus prints.
const LEVEL_NAMES: Record<number, string> = {
  10: 'trace',
  20: 'debug',
  30: 'info',
  40: 'warning',
  50: 'error',
  60: 'fatal',
};
const FIRST_KEYS = ['time', 'level', 'msg', 'name', 'pid', 'source', 'sandbox'] as const;

/** RFC 3339 UTC with nanoseconds (fixed nine digits), from nanoseconds since the epoch. */
export function rfc3339Nano(epochNs: bigint): string {
  const seconds = epochNs / 1_000_000_000n;
  const nanos = epochNs % 1_000_000_000n;
  const iso = new Date(Number(seconds) * 1000).toISOString().slice(0, 19);
  return `${iso}.${String(nanos).padStart(9, '0')}Z`;
}

// The wall clock read once, then advanced by the monotonic nanosecond clock: a double
// of epoch milliseconds cannot hold nanoseconds. Read on first use, not at load: a
// start-up snapshot loads this module at build time, in another process.
let clockBaseNs: bigint | undefined;
const nowNs = (): bigint => {
  clockBaseNs ??= BigInt(Date.now()) * 1_000_000n - process.hrtime.bigint();
  return clockBaseNs + process.hrtime.bigint();
};

export class LogSinks {
  private readonly sinks = new Set<LineSink>();
  constructor(private readonly primary: LineSink) {}
  add(sink: LineSink): () => void {
    this.sinks.add(sink);
    return () => this.sinks.delete(sink);
  }
  write(line: string): void {
    this.primary(line);
    for (const sink of this.sinks) sink(line);
  }
}

interface LoggerOptions {
  level: LogLevel;
  /** Where lines go first; stderr by default. */
  primary?: LineSink;
}

export interface AgentLogging {
  logger: Logger;
  sinks: LogSinks;
}

export function createLogger(options: LoggerOptions): AgentLogging {
  const sinks = new LogSinks(options.primary ?? ((line) => process.stderr.write(line)));
  const destination = {
    write(json: string): void {
      const record = JSON.parse(json) as Record<string, unknown>;
      record.level = LEVEL_NAMES[record.level as number] ?? record.level;
      sinks.write(toLogfmt(record, FIRST_KEYS) + '\n');
    },
  };
  const logger = pino(
    {
      level: options.level,
      messageKey: 'msg',
      base: { name: 'kata-agent', pid: process.pid, source: 'agent' },
      timestamp: () => `,"time":"${rfc3339Nano(nowNs())}"`,
      formatters: { level: (_label, number) => ({ level: number }) },
    },
    destination,
  );
  return { logger, sinks };
}
