// The span API every module may use to time its work (runtime calls, mounts,
// device waits):
//
//   await withSpan('mount', { driver: 'virtio-blk', target }, () => mountIt());
//
// With tracing off it costs a lookup and a branch: OpenTelemetry is loaded only
// when tracing is switched on, and the call-scope store below stays empty.
import { AsyncLocalStorage } from 'node:async_hooks';

export type SpanAttributes = Record<string, string | number | boolean | undefined>;

/** A live trace session: creates spans under a parent context (opaque here). */
export interface SpanSink {
  /** Runs `fn` inside a new span; `parent` undefined means the session's root. */
  run<T>(name: string, attributes: SpanAttributes, parent: unknown, fn: () => T): T;
}

interface SpanScope {
  sink: SpanSink;
  /** The trace context (an OpenTelemetry Context) new spans become children of. */
  context: unknown;
}

// Carries the current span through the asynchronous work of one RPC. Its async
// hooks are only enabled once something runs in it, i.e. once tracing is on.
const scopes = new AsyncLocalStorage<SpanScope>();

// The sink for work that runs outside any RPC (uevents, start-up); its spans
// become children of the session's root span.
let background: SpanSink | undefined;

/** Runs `fn` as a child span of the current one (or of the root); just runs it when tracing is off. */
export function withSpan<T>(name: string, attributes: SpanAttributes, fn: () => T): T {
  const scope = scopes.getStore();
  if (scope) return scope.sink.run(name, attributes, scope.context, fn);
  if (background) return background.run(name, attributes, undefined, fn);
  return fn();
}

/** Whether spans are being recorded for the calling code. */
export function tracingActive(): boolean {
  return scopes.getStore() !== undefined || background !== undefined;
}

/** Runs `fn` with `context` as the current span of `sink` (used by sinks and the RPC wrapper). */
export function runInSpanScope<T>(sink: SpanSink, context: unknown, fn: () => T): T {
  return scopes.run({ sink, context }, fn);
}

/** Installs (or, with undefined, removes) the sink for work outside RPCs. */
export function setBackgroundSink(sink: SpanSink | undefined): void {
  background = sink;
}

/** Turns the call-scope store's async hooks off again once no session is left. */
export function releaseSpanScopes(): void {
  scopes.disable();
}
