// Composition root: builds every module from the configuration, wires their
// handlers into one gRPC server and opens the channels the host talks on.
import { keepLargeBuffersMapped } from './common/idle-gc';
import type { AgentConfig } from './config/options';
import { createDeviceSubsystem } from './devices';
import { createGuestOperations } from './guest';
import { autoOnlineMemory } from './guest/cpu-mem';
import type { ClockSetter } from './guest/clock';
import { createStorageManager } from './storage';
import { containerHandlers } from './rpc/handlers/containers';
import { guestHandlers } from './rpc/handlers/guest';
import { processHandlers } from './rpc/handlers/processes';
import type { AgentLogging } from './logging/logger';
import { AgentServer } from './rpc/server';
import { healthHandlers } from './rpc/handlers/health';
import { networkHandlers } from './rpc/handlers/network';
import { NetworkService } from './network/service';
import type { AgentHandlers } from './rpc/types';
import { openChannel } from './transport/channels';
import { startGuestServices } from './guest/services';
import type { Listener } from './transport/unix';
import type { SpanExporter } from '@opentelemetry/sdk-trace-base';
import { AgentTracing } from './tracing/tracing';
import { tracingHandlers } from './rpc/handlers/tracing';
import { AgentGauges } from './metrics/gauges';
import { startMetrics, type MetricsService } from './metrics/start';
import { containerSupport, type ContainerModules } from './sandbox/support';

export interface RunningAgent {
  server: AgentServer;
  listeners: Listener[];
  tracing: AgentTracing;
  /** Where modules report container and process counts. */
  gauges: AgentGauges;
  /** Present when a metrics endpoint is configured. */
  metrics: MetricsService | undefined;
  /** Stops serving and releases what the modules hold. */
  shutdown(): Promise<void>;
}

/** What tests and embedders may plug in beyond the configuration. */
export interface StartOptions extends Partial<ContainerModules> {
  /** Receives spans instead of the configured trace endpoint. */
  spanExporter?: () => SpanExporter;
  /** The clock SetGuestDateTime sets instead of the system clock. */
  clock?: ClockSetter;
}

export async function startAgent(
  config: AgentConfig,
  logging: AgentLogging,
  options: StartOptions = {},
): Promise<RunningAgent> {
  const log = logging.logger;
  keepLargeBuffersMapped();
  const tracing = new AgentTracing({
    mode: config.trace,
    endpoint: config.traceEndpoint,
    log,
    exporterFactory: options.spanExporter,
  });
  await tracing.init();
  const gauges = new AgentGauges();
  const metrics = await startMetrics(config, gauges, log);
  const network = new NetworkService();
  const devices = await createDeviceSubsystem(config, log);
  const storage = createStorageManager(config, devices.locator, log);
  const memoryOnline = autoOnlineMemory(devices.registry, devices.paths, log);
  const containers = containerSupport(config, log, {
    storage: options.storage ?? storage,
    devices: options.devices ?? devices.manager,
  });
  const guest = createGuestOperations(config, log, {
    clock: options.clock,
    capabilities: {
      deviceHandlers: () => devices.manager.handlerNames(),
      storageDrivers: () => storage.driverNames(),
    },
    containerCgroups: () => containers.sandbox.cpusetTargets(),
  });
  // Every RPC of the service is wired here, once: a missing one fails the build.
  const handlers = {
    ...networkHandlers({ network }),
    ...tracingHandlers(tracing),
    ...guestHandlers(guest),
    ...containerHandlers(containers.sandbox, containers.oom),
    ...processHandlers(containers.sandbox),
  } satisfies AgentHandlers;
  gauges.register('containers', () => containers.sandbox.containerCount);
  gauges.register('processes', () => containers.sandbox.processCount);
  const server = new AgentServer({
    agent: tracing.wrap(handlers),
    health: tracing.wrap(healthHandlers()),
    log,
    observers: metrics ? [tracing.observer, metrics.observer] : [tracing.observer],
  });
  const guestServices = await startGuestServices(config, logging);
  const listeners: Listener[] = [];
  for (const address of config.listen) {
    listeners.push(await openChannel(address, { target: server, log, config }));
  }
  for (const l of listeners) log.info({ address: l.address }, 'listening');
  return {
    server,
    listeners,
    tracing,
    gauges,
    metrics,
    async shutdown() {
      await Promise.all(listeners.map((l) => l.close()));
      await server.shutdown();
      await guestServices.close();
      await network.close();
      await containers.shutdown();
      memoryOnline.stop();
      devices.close();
      await metrics?.close();
      await tracing.shutdown();
    },
  };
}
