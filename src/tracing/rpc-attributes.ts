// What an RPC span is called and tagged with: the full gRPC method name as 1.x
// named its spans, the ids the request carries, and 1.x's interactive marker.
import { AgentServiceDefinition } from '../generated/agent';
import { HealthDefinition } from '../generated/health';
import type { SpanAttributes } from './span-api';

// "CreateContainer" → "/grpc.AgentService/CreateContainer", from the generated definitions.
const fullNames = new Map<string, string>();
for (const service of [AgentServiceDefinition, HealthDefinition]) {
  for (const m of Object.values(service.methods)) fullNames.set(m.name, `/${service.fullName}/${m.name}`);
}

// Streams of container I/O: 1.x tagged them so they can be filtered out of a trace.
const INTERACTIVE = new Set(['ReadStdout', 'ReadStderr', 'WriteStdin']);

// Request fields worth a tag, under the names the request uses.
const ID_FIELDS = ['container_id', 'exec_id', 'sandbox_id'] as const;

export function fullMethodName(method: string): string {
  return fullNames.get(method) ?? method;
}

export function callAttributes(method: string, request: unknown): SpanAttributes {
  const full = fullMethodName(method);
  const attributes: SpanAttributes = {
    'grpc-method-type': 'unary',
    'rpc.system': 'grpc',
    'rpc.service': full.slice(1, full.lastIndexOf('/')),
    'rpc.method': method,
  };
  if (INTERACTIVE.has(method)) attributes['api-category'] = 'interactive';
  if (request !== null && typeof request === 'object') {
    const fields = request as Record<string, unknown>;
    for (const name of ID_FIELDS) {
      const value = fields[name];
      if (typeof value === 'string' && value !== '') attributes[name] = value;
    }
  }
  return attributes;
}
