// One gRPC server for both services. Transports never bind addresses through
// grpc-js: they accept connections their own way (unix socket, vsock, yamux
// stream) and inject each as a Duplex, so every channel behaves the same.
import { Server, ServerCredentials, type ConnectionInjector } from '@grpc/grpc-js';
import type { Duplex } from 'node:stream';
import { AgentServiceService } from '../generated/agent';
import { HealthService } from '../generated/health';
import type { Logger } from '../logging/logger';
import { buildService, type CallObserver } from './service';
import type { AgentHandlers, HealthHandlers } from './types';

// Large enough for CopyFile chunks and WriteStdin bursts; 1.x allowed 4 MiB in.
const MAX_MESSAGE_BYTES = 16 * 1024 * 1024;

export interface AgentServerOptions {
  agent: Partial<AgentHandlers>;
  health: HealthHandlers;
  log: Logger;
  observers?: readonly CallObserver[];
}

export class AgentServer {
  private readonly server: Server;
  private readonly injector: ConnectionInjector;
  private readonly connections = new Set<Duplex>();

  constructor(options: AgentServerOptions) {
    this.server = new Server({
      'grpc.max_receive_message_length': MAX_MESSAGE_BYTES,
      'grpc.max_send_message_length': MAX_MESSAGE_BYTES,
    });
    const observers = options.observers ?? [];
    const agent = buildService(AgentServiceService, options.agent, options.log, observers);
    const health = buildService(HealthService, options.health, options.log, observers);
    this.server.addService(agent.definition, agent.implementation);
    this.server.addService(health.definition, health.implementation);
    this.injector = this.server.createConnectionInjector(ServerCredentials.createInsecure());
  }

  /** Serves gRPC (HTTP/2) on an already-connected byte stream. */
  inject(connection: Duplex): void {
    this.connections.add(connection);
    connection.once('close', () => this.connections.delete(connection));
    this.injector.injectConnection(connection);
  }

  get connectionCount(): number {
    return this.connections.size;
  }

  /** Lets running calls finish for up to `graceMs`, then cuts everything. */
  async shutdown(graceMs = 1000): Promise<void> {
    this.injector.drain(graceMs);
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        this.server.forceShutdown();
        resolve();
      }, graceMs);
      this.server.tryShutdown(() => {
        clearTimeout(timer);
        resolve();
      });
    });
    this.injector.destroy();
    for (const c of this.connections) c.destroy();
  }
}
