// The agent's Prometheus metrics: RPC counts and latencies by method and status
// code, the sandbox's containers and processes, and the few process figures
// that matter in a small guest (memory, CPU, open fds, event-loop delay).
// prom-client's default collectors are not used: they poll GC and heap spaces.
// Loaded only when a metrics endpoint is configured.
import { readdirSync } from 'node:fs';
import { monitorEventLoopDelay, type IntervalHistogram } from 'node:perf_hooks';
import { Code } from '../common/status';
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { CallObserver } from '../rpc/service';
import { AGENT_VERSION } from '../version';
import type { AgentGauges, GaugeName } from './gauges';

const PREFIX = 'kata_agent_';
// From a Health check (~100 us) to a slow container start; blocking calls
// (WaitProcess, ReadStdout, GetOOMEvent) land in the top buckets.
const LATENCY_BUCKETS = [
  0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60,
];

type CallLabels = 'method' | 'code';

export class AgentMetrics {
  readonly registry = new Registry();
  private readonly calls: Counter<CallLabels>;
  private readonly latency: Histogram<CallLabels>;
  private readonly loopDelay: IntervalHistogram;

  constructor(gauges: AgentGauges) {
    const registers = [this.registry];
    this.calls = new Counter({
      name: `${PREFIX}rpc_requests_total`,
      help: 'RPCs answered, by method and gRPC status code.',
      labelNames: ['method', 'code'],
      registers,
    });
    this.latency = new Histogram({
      name: `${PREFIX}rpc_duration_seconds`,
      help: 'Time from a decoded request to its answer, by method and gRPC status code.',
      labelNames: ['method', 'code'],
      buckets: LATENCY_BUCKETS,
      registers,
    });
    for (const name of ['containers', 'processes'] as GaugeName[]) {
      new Gauge({
        name: `${PREFIX}${name}`,
        help: `Number of ${name} the sandbox holds.`,
        registers,
        collect() {
          this.set(gauges.read(name) ?? 0);
        },
      });
    }
    this.loopDelay = monitorEventLoopDelay({ resolution: 20 });
    this.loopDelay.enable();
    this.processGauges(registers);
  }

  private processGauges(registers: Registry[]): void {
    new Gauge({
      name: `${PREFIX}info`,
      help: 'Agent version.',
      labelNames: ['version'],
      registers,
    }).set({ version: AGENT_VERSION }, 1);
    new Gauge({
      name: `${PREFIX}start_time_seconds`,
      help: 'When the agent process started, in seconds since the epoch.',
      registers,
    }).set(Math.round(Date.now() / 1000 - process.uptime()));
    new Gauge({
      name: `${PREFIX}resident_memory_bytes`,
      help: 'Resident set size of the agent process.',
      registers,
      collect() {
        this.set(process.memoryUsage.rss());
      },
    });
    new Gauge({
      name: `${PREFIX}heap_used_bytes`,
      help: 'JavaScript heap in use.',
      registers,
      collect() {
        this.set(process.memoryUsage().heapUsed);
      },
    });
    new Gauge({
      name: `${PREFIX}cpu_seconds`,
      help: 'CPU time the agent process has used, by mode (cumulative).',
      labelNames: ['mode'],
      registers,
      collect() {
        const usage = process.cpuUsage();
        this.set({ mode: 'user' }, usage.user / 1e6);
        this.set({ mode: 'system' }, usage.system / 1e6);
      },
    });
    new Gauge({
      name: `${PREFIX}open_fds`,
      help: 'File descriptors the agent process holds.',
      registers,
      collect() {
        try {
          // The directory listing itself holds one.
          this.set(readdirSync('/proc/self/fd').length - 1);
        } catch {
          // No procfs: leave the gauge as it was.
        }
      },
    });
    const loopDelay = this.loopDelay;
    new Gauge({
      name: `${PREFIX}event_loop_delay_seconds`,
      help: 'Event-loop delay since the previous scrape (quantile 1 is the maximum).',
      labelNames: ['quantile'],
      registers,
      collect() {
        // No sample yet (scraped right after the previous one): report zero, not garbage.
        const seconds = (ns: number): number => (loopDelay.count > 0 && Number.isFinite(ns) ? ns / 1e9 : 0);
        for (const q of [0.5, 0.99])
          this.set({ quantile: String(q) }, seconds(loopDelay.percentile(q * 100)));
        this.set({ quantile: '1' }, seconds(loopDelay.max));
        loopDelay.reset();
      },
    });
  }

  /** Counts and times every call. */
  readonly observer: CallObserver = {
    start: (method) => {
      const started = process.hrtime.bigint();
      return (code) => {
        const labels = { method, code: Code[code] ?? String(code) };
        this.calls.inc(labels);
        this.latency.observe(labels, Number(process.hrtime.bigint() - started) / 1e9);
      };
    },
  };

  get contentType(): string {
    return this.registry.contentType;
  }

  /** The Prometheus text exposition of every metric. */
  text(): Promise<string> {
    return this.registry.metrics();
  }

  close(): void {
    this.loopDelay.disable();
  }
}
