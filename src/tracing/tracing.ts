// Tracing as 1.x switches it: statically from agent.trace[=isolated|collated]
// for the agent's whole life, or dynamically between StartTracing and
// StopTracing (always isolated). While on, every RPC gets a span (a child of the
// agent's root span, or in collated mode of the host's span from the call
// metadata) and handlers run inside it, so withSpan() nests under it.
// OpenTelemetry is loaded on the first switch-on, never at start-up otherwise.
import type { SpanExporter } from '@opentelemetry/sdk-trace-base';
import type { TraceMode } from '../config/options';
import type { Logger } from '../logging/logger';
import { failedPrecondition, unknown } from '../common/errors';
import type { CallObserver } from '../rpc/service';
import type { CallContext } from '../rpc/types';
import { EXPORT_TIMEOUT_MS, parseTraceEndpoint } from './endpoint';
import { callAttributes, fullMethodName } from './rpc-attributes';
import type { CallSpan, TraceSession } from './session';
import { releaseSpanScopes, runInSpanScope, setBackgroundSink } from './span-api';
import { errorText } from '../common/error-text';

interface TracingOptions {
  /** Static tracing (agent.trace). */
  mode: TraceMode;
  /** Collector address (see ./endpoint.ts). */
  endpoint: string;
  log: Logger;
  /** Replaces the endpoint's exporter; called once per tracing period. */
  exporterFactory?: () => SpanExporter;
}

// A flush that cannot reach the collector gives up after the export timeout; this bounds
// how long StopTracing and shutdown wait on top of that.
const CLOSE_TIMEOUT_MS = EXPORT_TIMEOUT_MS + 1000;

const noOutcome = (): void => undefined;

interface ActiveCall {
  session: TraceSession;
  span: CallSpan;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- handlers are typed per method by their owners
type AnyHandler = (request: any, call: CallContext) => Promise<unknown>;

export class AgentTracing {
  private session: TraceSession | undefined;
  private collated = false;
  /** StartTracing succeeded and the matching StopTracing has not finished. */
  private dynamicStarted = false;
  private stopping: Promise<void> | undefined;
  private readonly calls = new WeakMap<CallContext, ActiveCall>();

  constructor(private readonly options: TracingOptions) {}

  /** Switches static tracing on when agent.trace asks for it. */
  async init(): Promise<void> {
    if (this.options.mode !== 'off') await this.open(this.options.mode === 'collated');
  }

  get enabled(): boolean {
    return this.session !== undefined;
  }

  /**
   * Static tracing that StartTracing never took over: 1.x then ends the agent after
   * DestroySandbox so that the trace is complete and flushed.
   */
  get staticOnly(): boolean {
    return this.enabled && this.options.mode !== 'off' && !this.dynamicStarted;
  }

  /** Creates the span of each call while tracing is on. */
  readonly observer: CallObserver = {
    start: (method, request, call) => {
      const session = this.session;
      // StartTracing itself is not traced, as in 1.x.
      if (!session || method === 'StartTracing') return noOutcome;
      const span = session.startCall(fullMethodName(method), callAttributes(method, request), call.metadata);
      const active = { session, span };
      this.calls.set(call, active);
      return (code, error) => {
        if (this.calls.get(call) !== active) return;
        this.calls.delete(call);
        span.end(code, error);
      };
    },
  };

  /** Wraps handlers so that each runs inside its call's span (a pass-through while tracing is off). */
  wrap<H extends object>(handlers: H): H {
    const wrapped: Record<string, AnyHandler> = {};
    for (const [key, handler] of Object.entries(handlers) as [string, AnyHandler | undefined][]) {
      if (!handler) continue;
      wrapped[key] = (request, call) => {
        const active = this.calls.get(call);
        if (!active) return handler(request, call);
        return runInSpanScope(active.session, active.span.context, () => handler(request, call));
      };
    }
    return wrapped as H;
  }

  /** StartTracing: 1.x semantics (FAILED_PRECONDITION when already started dynamically). */
  async startTracing(): Promise<void> {
    if (this.dynamicStarted) throw failedPrecondition('tracing already enabled');
    this.dynamicStarted = true;
    try {
      if (this.stopping) await this.stopping;
      // Static tracing keeps its mode; a fresh root span starts the dynamic period.
      const collated = this.session ? this.collated : false;
      const previous = this.session;
      this.session = undefined;
      if (previous) await this.close(previous);
      await this.open(collated);
    } catch (err) {
      this.dynamicStarted = false;
      throw unknown(`failed to setup tracing: ${(err as Error).message}`);
    }
  }

  /**
   * StopTracing: ends the root span and flushes everything (this call's own span
   * included) before the call answers; tracing can then be started again.
   */
  async stopTracing(call: CallContext): Promise<void> {
    if (this.stopping) throw failedPrecondition('tracing already disabled');
    const session = this.session;
    if (!session) throw failedPrecondition('tracing not enabled');
    const own = this.calls.get(call);
    if (own) {
      this.calls.delete(call);
      own.span.end(0);
    }
    this.session = undefined;
    this.stopping = this.close(session).finally(() => {
      this.dynamicStarted = false;
      this.stopping = undefined;
    });
    await this.stopping;
  }

  /** Flushes pending spans without ending the session. */
  async flush(): Promise<void> {
    await this.session?.flush();
  }

  /** Agent shutdown: ends and flushes whatever session is open. */
  async shutdown(): Promise<void> {
    const session = this.session;
    this.session = undefined;
    if (this.stopping) await this.stopping;
    if (session) await this.close(session);
  }

  private async open(collated: boolean): Promise<void> {
    const { TraceSession } = await import('./session');
    let exporter: SpanExporter;
    if (this.options.exporterFactory) {
      exporter = this.options.exporterFactory();
    } else {
      const { createExporter } = await import('./exporter');
      exporter = createExporter(parseTraceEndpoint(this.options.endpoint), this.options.log);
    }
    this.session = new TraceSession({ exporter, collated });
    this.collated = collated;
    setBackgroundSink(this.session);
    this.options.log.info({ mode: collated ? 'collated' : 'isolated' }, 'tracing on');
  }

  private async close(session: TraceSession): Promise<void> {
    setBackgroundSink(undefined);
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), CLOSE_TIMEOUT_MS);
    });
    try {
      const outcome = await Promise.race([session.close(), timeout]);
      if (outcome === 'timeout') this.options.log.warn('flushing spans timed out');
    } catch (err) {
      this.options.log.warn({ error: errorText(err) }, 'flushing spans failed');
    } finally {
      clearTimeout(timer);
    }
    if (!this.session) releaseSpanScopes();
    this.options.log.info('tracing off');
  }
}
