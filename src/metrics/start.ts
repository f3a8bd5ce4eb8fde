// Starts the metrics endpoints the configuration asks for; with none, nothing
// (not even prom-client) is loaded.
import type { AgentConfig } from '../config/options';
import type { Logger } from '../logging/logger';
import type { CallObserver } from '../rpc/service';
import type { AgentGauges } from './gauges';
import type { MetricsListener } from './server';
import { errorText } from '../common/error-text';

export interface MetricsService {
  observer: CallObserver;
  listeners: MetricsListener[];
  /** The current metrics text (what a scrape returns). */
  text(): Promise<string>;
  close(): Promise<void>;
}

export async function startMetrics(
  config: Pick<AgentConfig, 'metricsVport' | 'metricsSocket'>,
  gauges: AgentGauges,
  log: Logger,
): Promise<MetricsService | undefined> {
  if (!config.metricsVport && !config.metricsSocket) return undefined;
  const { AgentMetrics } = await import('./metrics');
  const { listenMetricsUnix, listenMetricsVsock } = await import('./server');
  const metrics = new AgentMetrics(gauges);
  const listeners: MetricsListener[] = [];
  // Metrics are an aid: an endpoint that cannot open is logged, and the agent serves on.
  const open = async (
    address: string,
    listen: () => Promise<MetricsListener> | MetricsListener,
  ): Promise<void> => {
    try {
      const listener = await listen();
      listeners.push(listener);
      log.info({ address: listener.address }, 'serving metrics');
    } catch (err) {
      log.error({ address, error: errorText(err) }, 'cannot serve metrics');
    }
  };
  if (config.metricsSocket)
    await open(`unix://${config.metricsSocket}`, () => listenMetricsUnix(metrics, config.metricsSocket, log));
  if (config.metricsVport)
    await open(`vsock://any:${config.metricsVport}`, () =>
      listenMetricsVsock(metrics, config.metricsVport, log),
    );
  return {
    observer: metrics.observer,
    listeners,
    text: () => metrics.text(),
    async close() {
      await Promise.all(listeners.map((l) => l.close()));
      metrics.close();
    },
  };
}
