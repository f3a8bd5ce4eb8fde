// One period of tracing: a tracer provider, its exporter and the agent's root
// span, from the moment tracing is switched on until it is stopped and flushed.
// Loaded only when tracing is on: this is where OpenTelemetry comes in.
import {
  ROOT_CONTEXT,
  SpanStatusCode,
  isSpanContextValid,
  trace,
  type Attributes,
  type Context,
  type Span,
  type TextMapGetter,
} from '@opentelemetry/api';
import { CompositePropagator, W3CTraceContextPropagator } from '@opentelemetry/core';
import { JaegerPropagator } from '@opentelemetry/propagator-jaeger';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BasicTracerProvider, BatchSpanProcessor, type SpanExporter } from '@opentelemetry/sdk-trace-base';
import { AGENT_VERSION } from '../version';
import { EXPORT_TIMEOUT_MS } from './endpoint';
import { runInSpanScope, type SpanAttributes, type SpanSink } from './span-api';
import type { CallMetadata } from '../rpc/types';
import { errorText } from '../common/error-text';

export const SERVICE_NAME = 'kata-agent';
const ROOT_SPAN_NAME = 'kata-agent';
// The host sends its context as W3C `traceparent` or Jaeger `uber-trace-id`;
// when both are present the later propagator (W3C) wins.
const propagator = new CompositePropagator({
  propagators: [new JaegerPropagator(), new W3CTraceContextPropagator()],
});

const metadataGetter: TextMapGetter<CallMetadata> = {
  keys: (carrier) => Object.keys(carrier),
  get: (carrier, key) => carrier[key.toLowerCase()],
};

export interface SessionOptions {
  exporter: SpanExporter;
  /** Spans of calls become children of the host's span found in the call metadata. */
  collated: boolean;
}

/** A span of one call, ended by the call wrapper with the call's outcome. */
export interface CallSpan {
  readonly context: Context;
  end(code: number, message?: string): void;
}

function cleanAttributes(attributes: SpanAttributes): Attributes {
  const clean: Attributes = {};
  for (const [key, value] of Object.entries(attributes)) if (value !== undefined) clean[key] = value;
  return clean;
}

function recordError(span: Span, err: unknown): void {
  const message = errorText(err);
  span.setStatus({ code: SpanStatusCode.ERROR, message });
  if (err instanceof Error) span.recordException(err);
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return (
    value !== null &&
    (typeof value === 'object' || typeof value === 'function') &&
    typeof (value as { then?: unknown }).then === 'function'
  );
}

export class TraceSession implements SpanSink {
  private readonly provider: BasicTracerProvider;
  private readonly tracer;
  private readonly root: Span;
  private readonly rootContext: Context;
  private closing: Promise<void> | undefined;

  constructor(private readonly options: SessionOptions) {
    this.provider = new BasicTracerProvider({
      resource: resourceFromAttributes({ 'service.name': SERVICE_NAME, 'service.version': AGENT_VERSION }),
      spanProcessors: [
        new BatchSpanProcessor(options.exporter, {
          scheduledDelayMillis: 2000,
          exportTimeoutMillis: EXPORT_TIMEOUT_MS,
        }),
      ],
    });
    this.tracer = this.provider.getTracer(SERVICE_NAME, AGENT_VERSION);
    this.root = this.tracer.startSpan(
      ROOT_SPAN_NAME,
      { attributes: { source: 'agent', 'root-span': true } },
      ROOT_CONTEXT,
    );
    this.rootContext = trace.setSpan(ROOT_CONTEXT, this.root);
  }

  get closed(): boolean {
    return this.closing !== undefined;
  }

  run<T>(name: string, attributes: SpanAttributes, parent: unknown, fn: () => T): T {
    if (this.closed) return fn();
    const parentContext = (parent as Context | undefined) ?? this.rootContext;
    const span = this.tracer.startSpan(name, { attributes: cleanAttributes(attributes) }, parentContext);
    let result: T;
    try {
      result = runInSpanScope(this, trace.setSpan(parentContext, span), fn);
    } catch (err) {
      recordError(span, err);
      span.end();
      throw err;
    }
    if (!isThenable(result)) {
      span.end();
      return result;
    }
    return result.then(
      (value) => {
        span.end();
        return value;
      },
      (err: unknown) => {
        recordError(span, err);
        span.end();
        throw err;
      },
    ) as T;
  }

  /** Starts the span of one RPC: under the host's span in collated mode, else under the root. */
  startCall(fullMethod: string, attributes: SpanAttributes, metadata: CallMetadata | undefined): CallSpan {
    const parent = this.callParent(metadata);
    const span = this.tracer.startSpan(fullMethod, { attributes: cleanAttributes(attributes) }, parent);
    return {
      context: trace.setSpan(parent, span),
      end: (code, message) => {
        span.setAttribute('rpc.grpc.status_code', code);
        if (code !== 0) span.setStatus({ code: SpanStatusCode.ERROR, message });
        span.end();
      },
    };
  }

  private callParent(metadata: CallMetadata | undefined): Context {
    if (!this.options.collated || !metadata) return this.rootContext;
    const extracted = propagator.extract(ROOT_CONTEXT, metadata, metadataGetter);
    const host = trace.getSpanContext(extracted);
    return host && isSpanContextValid(host) ? extracted : this.rootContext;
  }

  /** Sends what is pending without ending the session. */
  flush(): Promise<void> {
    return this.provider.forceFlush();
  }

  /** Ends the root span, exports everything and stops; later spans are not recorded. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      this.root.end();
      await this.provider.forceFlush();
      await this.provider.shutdown();
    })();
    return this.closing;
  }
}
