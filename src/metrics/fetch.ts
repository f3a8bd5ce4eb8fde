// Reads the metrics text from an agent's metrics endpoint over an already
// connected stream (unix, vsock or hybrid vsock): what `kata-agent-ctl metrics` prints.
import http from 'node:http';
import type { Duplex } from 'node:stream';

export function fetchMetrics(connection: Duplex, timeoutMs = 10_000): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = http.get(
      { host: 'localhost', path: '/metrics', createConnection: () => connection, timeout: timeoutMs },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('error', reject);
        res.on('end', () => {
          const body = Buffer.concat(chunks).toString();
          if (res.statusCode === 200) resolve(body);
          else reject(new Error(`metrics endpoint answered ${res.statusCode}: ${body.trim()}`));
        });
      },
    );
    req.on('timeout', () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    req.on('error', reject);
  });
}
