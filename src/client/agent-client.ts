// Typed client of grpc.AgentService and grpc.Health: one method per RPC, named
// as in the generated service (createContainer, readStdout, ...), plus `call`
// by RPC name for the command-line client.
import type { Duplex } from 'node:stream';
import { AgentServiceDefinition } from '../generated/agent';
import { HealthDefinition } from '../generated/health';
import type { GenericServiceDefinition } from '../rpc/types';
import { UnaryChannel, type UnaryOptions } from './grpc-unary';

type ClientOf<M extends GenericServiceDefinition['methods']> = {
  [K in keyof M]: (
    request: Parameters<M[K]['requestType']['encode']>[0],
    options?: UnaryOptions,
  ) => Promise<ReturnType<M[K]['responseType']['decode']>>;
};

type AgentApi = ClientOf<(typeof AgentServiceDefinition)['methods']>;
type HealthApi = ClientOf<(typeof HealthDefinition)['methods']>;

function bind<D extends GenericServiceDefinition>(channel: UnaryChannel, def: D): ClientOf<D['methods']> {
  const api: Record<string, unknown> = {};
  for (const [key, m] of Object.entries(def.methods)) {
    const path = `/${def.fullName}/${m.name}`;
    api[key] = async (request: never, options?: UnaryOptions) => {
      const bytes = m.requestType.encode(request).finish();
      const body = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
      return m.responseType.decode(await channel.call(path, body, options));
    };
  }
  return api as ClientOf<D['methods']>;
}

export class AgentClient {
  readonly agent: AgentApi;
  readonly health: HealthApi;
  private readonly channel: UnaryChannel;

  constructor(connection: Duplex) {
    this.channel = new UnaryChannel(connection);
    this.agent = bind(this.channel, AgentServiceDefinition);
    this.health = bind(this.channel, HealthDefinition);
  }

  /** Calls an RPC by its raw bytes (the fuzzer and the CLI use this). */
  callRaw(path: string, request: Buffer, options?: UnaryOptions): Promise<Buffer> {
    return this.channel.call(path, request, options);
  }

  close(): void {
    this.channel.close();
  }

  destroy(): void {
    this.channel.destroy();
  }
}
