// One gRPC server for both services. Transports never bind addresses here:
// they accept connections their own way (unix socket, vsock, yamux stream) and
// inject each as a Duplex, so every channel behaves the same.
import type { Duplex } from 'node:stream';
import { AgentServiceDefinition } from '../generated/agent';
import { HealthDefinition } from '../generated/health';
import type { Logger } from '../logging/logger';
import { WireServer, type UnaryHandler } from './grpc-wire';
import { addService, type CallObserver } from './service';
import type { AgentHandlers, HealthHandlers } from './types';

// Large enough for CopyFile chunks and WriteStdin bursts; 1.x allowed 4 MiB in.
const MAX_MESSAGE_BYTES = 16 * 1024 * 1024;

interface AgentServerOptions {
  agent: Partial<AgentHandlers>;
  health: HealthHandlers;
  log: Logger;
  observers?: readonly CallObserver[];
}

export class AgentServer {
  private readonly wire: WireServer;
  private readonly connections = new Set<Duplex>();

  constructor(options: AgentServerOptions) {
    const routes = new Map<string, UnaryHandler>();
    const observers = options.observers ?? [];
    addService(routes, AgentServiceDefinition, options.agent, options.log, observers);
    addService(routes, HealthDefinition, options.health, options.log, observers);
    this.wire = new WireServer({
      route: (path) => routes.get(path),
      maxMessageBytes: MAX_MESSAGE_BYTES,
      log: options.log,
    });
  }

  /** Serves gRPC (HTTP/2) on an already-connected byte stream. */
  inject(connection: Duplex): void {
    this.connections.add(connection);
    connection.once('close', () => this.connections.delete(connection));
    this.wire.inject(connection);
  }

  get connectionCount(): number {
    return this.connections.size;
  }

  /** Lets running calls finish for up to `graceMs`, then cuts everything. */
  async shutdown(graceMs = 1000): Promise<void> {
    await this.wire.shutdown(graceMs);
    for (const c of this.connections) c.destroy();
  }
}
