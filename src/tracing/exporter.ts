// The OTLP/HTTP span exporter for a configured endpoint. For vsock and unix
// endpoints the exporter's HTTP agent opens its connections itself, so the
// exporter's URL only supplies the request path.
import http from 'node:http';
import net from 'node:net';
import type { Duplex } from 'node:stream';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { ExportResultCode } from '@opentelemetry/core';
import type { SpanExporter } from '@opentelemetry/sdk-trace-base';
import type { Logger } from '../logging/logger';
import { native } from '../native/index';
import { adoptStream } from '../native/adopt';
import { EXPORT_TIMEOUT_MS, OTLP_TRACES_PATH, type TraceEndpoint } from './endpoint';
import { errorText } from '../common/error-text';

// A vsock connect blocks the event loop until the peer answers (up to the kernel's
// 2 s connect timeout when nothing does): after a failed one, fail fast for a while.
const RECONNECT_BACKOFF_MS = 30_000;

function failedSocket(err: Error): Duplex {
  // Report a failed connect the way a socket does, so the request fails normally.
  const socket = new net.Socket();
  process.nextTick(() => socket.destroy(err));
  return socket;
}

/** An HTTP agent whose connections come from `open` instead of TCP. */
class StreamAgent extends http.Agent {
  private failedAt = -Infinity;
  private lastError: Error | undefined;

  constructor(private readonly open: () => Duplex) {
    super({ keepAlive: true });
  }

  override createConnection(): Duplex {
    if (this.lastError && Date.now() - this.failedAt < RECONNECT_BACKOFF_MS) {
      // Without an errno code the exporter does not retry: the next batch tries again.
      return failedSocket(new Error(`collector unreachable: ${this.lastError.message}`));
    }
    try {
      const connection = this.open();
      this.lastError = undefined;
      return connection;
    } catch (err) {
      this.failedAt = Date.now();
      this.lastError = err as Error;
      return failedSocket(this.lastError);
    }
  }
}

function connector(endpoint: Exclude<TraceEndpoint, { kind: 'http' }>): () => Duplex {
  if (endpoint.kind === 'unix') return () => net.connect(endpoint.path);
  return () => adoptStream(native().vsockConnect(endpoint.cid, endpoint.port));
}

function otlpExporter(endpoint: TraceEndpoint): SpanExporter {
  if (endpoint.kind === 'http') {
    return new OTLPTraceExporter({ url: endpoint.url, timeoutMillis: EXPORT_TIMEOUT_MS });
  }
  const agent = new StreamAgent(connector(endpoint));
  return new OTLPTraceExporter({
    url: `http://localhost${OTLP_TRACES_PATH}`,
    timeoutMillis: EXPORT_TIMEOUT_MS,
    httpAgentOptions: () => agent,
  });
}

/**
 * The exporter for `endpoint`. A collector that cannot be reached is logged once
 * per outage (not once per batch), since spans keep coming while it is down.
 */
export function createExporter(endpoint: TraceEndpoint, log: Logger): SpanExporter {
  const inner = otlpExporter(endpoint);
  let failing = false;
  return {
    export(spans, done) {
      inner.export(spans, (result) => {
        if (result.code !== ExportResultCode.SUCCESS && !failing) {
          failing = true;
          log.warn(
            { error: result.error && errorText(result.error), spans: spans.length },
            'cannot export spans',
          );
        } else if (result.code === ExportResultCode.SUCCESS && failing) {
          failing = false;
          log.info('exporting spans again');
        }
        done(result);
      });
    },
    shutdown: () => inner.shutdown(),
    forceFlush: () => inner.forceFlush?.() ?? Promise.resolve(),
  };
}
