// A stock grpc-js service definition made from ts-proto's generic definitions,
// for the tests and the benchmark floor that talk to (or stand in for) the
// agent with grpc-js itself.
import type { ServiceDefinition } from '@grpc/grpc-js';
import type { GenericServiceDefinition } from '../../src/rpc/types';

const toBuffer = (u: Uint8Array): Buffer => Buffer.from(u.buffer, u.byteOffset, u.byteLength);

export function grpcJsService(service: GenericServiceDefinition): ServiceDefinition {
  const def: Record<string, ServiceDefinition[string]> = {};
  for (const [key, m] of Object.entries(service.methods)) {
    def[key] = {
      path: `/${service.fullName}/${m.name}`,
      requestStream: false,
      responseStream: false,
      requestSerialize: (v: never) => toBuffer(m.requestType.encode(v).finish()),
      requestDeserialize: (b: Buffer) => m.requestType.decode(b),
      responseSerialize: (v: never) => toBuffer(m.responseType.encode(v).finish()),
      responseDeserialize: (b: Buffer) => m.responseType.decode(b),
      originalName: key,
    } as ServiceDefinition[string];
  }
  return def as ServiceDefinition;
}
