// Typed client of grpc.AgentService and grpc.Health: one method per RPC, named
// as in the generated service (createContainer, readStdout, ...), plus `call`
// by RPC name for the command-line client.
import type { Duplex } from 'node:stream';
import { AgentServiceService } from '../generated/agent';
import { HealthService } from '../generated/health';
import { UnaryChannel, type UnaryOptions } from './grpc-unary';

type Def = Record<
  string,
  {
    path: string;
    requestSerialize: (v: never) => Buffer;
    responseDeserialize: (b: Buffer) => unknown;
  }
>;

type ClientOf<D extends Def> = {
  [K in keyof D]: (
    request: Parameters<D[K]['requestSerialize']>[0],
    options?: UnaryOptions,
  ) => Promise<ReturnType<D[K]['responseDeserialize']>>;
};

export type AgentApi = ClientOf<typeof AgentServiceService>;
export type HealthApi = ClientOf<typeof HealthService>;

function bind<D extends Def>(channel: UnaryChannel, def: D): ClientOf<D> {
  const api: Record<string, unknown> = {};
  for (const [key, m] of Object.entries(def)) {
    api[key] = async (request: never, options?: UnaryOptions) =>
      m.responseDeserialize(await channel.call(m.path, m.requestSerialize(request), options));
  }
  return api as ClientOf<D>;
}

export interface MethodInfo {
  service: 'agent' | 'health';
  key: string;
  path: string;
  fromJSON: (json: unknown) => unknown;
  toJSON: (message: unknown) => unknown;
}

export class AgentClient {
  readonly agent: AgentApi;
  readonly health: HealthApi;
  private readonly channel: UnaryChannel;

  constructor(connection: Duplex) {
    this.channel = new UnaryChannel(connection);
    this.agent = bind(this.channel, AgentServiceService);
    this.health = bind(this.channel, HealthService);
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
