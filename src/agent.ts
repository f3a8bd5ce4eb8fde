// Composition root: builds every module from the configuration, wires their
// handlers into one gRPC server and opens the channels the host talks on.
import type { AgentConfig } from './config/options';
import type { AgentLogging } from './logging/logger';
import { AgentServer } from './rpc/server';
import { healthHandlers } from './rpc/handlers/health';
import { networkHandlers } from './rpc/handlers/network';
import { NetworkService } from './network/service';
import type { AgentHandlers } from './rpc/types';
import { listenUnix, type Listener } from './transport/unix';

export interface RunningAgent {
  server: AgentServer;
  listeners: Listener[];
  /** Stops serving and releases what the modules hold. */
  shutdown(): Promise<void>;
}

export async function startAgent(config: AgentConfig, logging: AgentLogging): Promise<RunningAgent> {
  const log = logging.logger;
  const network = new NetworkService();
  const handlers: Partial<AgentHandlers> = { ...networkHandlers({ network }) };
  const server = new AgentServer({ agent: handlers, health: healthHandlers(), log });
  const listeners: Listener[] = [];
  for (const address of config.listen) {
    if (address.startsWith('unix://')) {
      listeners.push(await listenUnix(address.slice('unix://'.length), (c) => server.inject(c)));
    } else {
      throw new Error(`listen address ${JSON.stringify(address)} is not supported yet`);
    }
  }
  for (const l of listeners) log.info({ address: l.address }, 'listening');
  return {
    server,
    listeners,
    async shutdown() {
      await Promise.all(listeners.map((l) => l.close()));
      await server.shutdown();
      await network.close();
    },
  };
}
