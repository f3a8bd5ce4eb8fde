// Serves the metrics text over HTTP (GET /metrics) on a vsock port, which the
// host reaches without any guest networking, and/or on a unix socket.
import http from 'node:http';
import { rmSync } from 'node:fs';
import type { Logger } from '../logging/logger';
import { native } from '../native/index';
import { adoptListener } from '../native/adopt';
import type { AgentMetrics } from './metrics';
import { errorText } from '../common/error-text';

/** Any local CID: accept connections whichever address the host used. */
const VMADDR_CID_ANY = 0xffffffff;
const BACKLOG = 16;

export interface MetricsListener {
  readonly address: string;
  close(): Promise<void>;
}

function handler(metrics: AgentMetrics, log: Logger): http.RequestListener {
  return (req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if ((req.method !== 'GET' && req.method !== 'HEAD') || (path !== '/metrics' && path !== '/')) {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found: try GET /metrics\n');
      return;
    }
    metrics.text().then(
      (text) =>
        res.writeHead(200, { 'content-type': metrics.contentType }).end(req.method === 'HEAD' ? '' : text),
      (err: Error) => {
        log.warn({ error: errorText(err) }, 'collecting metrics failed');
        res.writeHead(500, { 'content-type': 'text/plain' }).end(`${err.message}\n`);
      },
    );
  };
}

function closer(server: http.Server, after?: () => void): () => Promise<void> {
  return () =>
    new Promise<void>((resolve) => {
      server.close(() => resolve());
      // Scrapers may keep connections alive; they are not worth waiting for.
      server.closeAllConnections();
      after?.();
    });
}

export async function listenMetricsUnix(
  metrics: AgentMetrics,
  path: string,
  log: Logger,
): Promise<MetricsListener> {
  rmSync(path, { force: true });
  const server = http.createServer(handler(metrics, log));
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(path, () => {
      server.off('error', reject);
      resolve();
    });
  });
  return { address: `unix://${path}`, close: closer(server, () => rmSync(path, { force: true })) };
}

export function listenMetricsVsock(metrics: AgentMetrics, port: number, log: Logger): MetricsListener {
  const server = http.createServer(handler(metrics, log));
  adoptListener(server, native().vsockListen(VMADDR_CID_ANY, port, BACKLOG));
  return { address: `vsock://any:${port}`, close: closer(server) };
}
