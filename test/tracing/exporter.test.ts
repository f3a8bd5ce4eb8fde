// The configured exporter end to end: OTLP/HTTP JSON posted to a collector on a
// unix socket (the same agent path as vsock), and endpoint parsing.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startTestAgent } from '../../tools/testkit/agent';
import { parseTraceEndpoint } from '../../src/tracing/endpoint';
import { applyCmdline } from '../../src/config/cmdline';
import { parseFlags } from '../../src/config/flags';
import { defaultConfig } from '../../src/config/options';
import { native } from '../../src/native/index';

interface Received {
  path: string;
  contentType: string;
  body: {
    resourceSpans: {
      resource: { attributes: { key: string; value: { stringValue?: string } }[] };
      scopeSpans: { spans: { name: string; traceId: string; parentSpanId?: string; spanId: string }[] }[];
    }[];
  };
}

async function collector(socket: string): Promise<{ received: Received[]; close(): Promise<void> }> {
  const received: Received[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      received.push({
        path: req.url ?? '',
        contentType: String(req.headers['content-type']),
        body: JSON.parse(Buffer.concat(chunks).toString()) as Received['body'],
      });
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((resolve) => server.listen(socket, resolve));
  return {
    received,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

test('spans reach an OTLP/HTTP collector on a unix socket by StopTracing', async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'kata-otlp-'));
  const socket = path.join(dir, 'otlp.sock');
  const sink = await collector(socket);
  const traced = await startTestAgent({ traceEndpoint: `unix://${socket}` });
  try {
    const c = await traced.client();
    await c.agent.startTracing({});
    await c.health.check({ service: '' });
    await c.agent.stopTracing({});
    assert.ok(sink.received.length >= 1);
    for (const r of sink.received) {
      assert.equal(r.path, '/v1/traces');
      assert.equal(r.contentType, 'application/json');
    }
    const all = sink.received.flatMap((r) => r.body.resourceSpans);
    const service = all[0].resource.attributes.find((a) => a.key === 'service.name');
    assert.equal(service?.value.stringValue, 'kata-agent');
    const spans = all.flatMap((rs) => rs.scopeSpans.flatMap((s) => s.spans));
    const root = spans.find((s) => s.name === 'kata-agent');
    const check = spans.find((s) => s.name === '/grpc.Health/Check');
    assert.ok(root && check);
    assert.equal(check.traceId, root.traceId);
    assert.equal(check.parentSpanId, root.spanId);
  } finally {
    await traced.stop();
    await sink.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('an unreachable collector costs StopTracing no more than the export timeout', async () => {
  const t = await startTestAgent({ traceEndpoint: 'unix:///nonexistent/otlp.sock' });
  try {
    const c = await t.client();
    await c.agent.startTracing({});
    await c.health.check({ service: '' });
    const started = Date.now();
    await c.agent.stopTracing({});
    assert.ok(Date.now() - started < 6000);
  } finally {
    await t.stop();
  }
});

test('trace endpoints: URL, vsock and unix forms; bad ones are refused', () => {
  assert.deepEqual(parseTraceEndpoint('http://jaeger:4318'), {
    kind: 'http',
    url: 'http://jaeger:4318/v1/traces',
  });
  assert.deepEqual(parseTraceEndpoint('https://c.example/otlp/v1/traces'), {
    kind: 'http',
    url: 'https://c.example/otlp/v1/traces',
  });
  assert.deepEqual(parseTraceEndpoint('vsock://2:4318'), { kind: 'vsock', cid: 2, port: 4318 });
  assert.deepEqual(parseTraceEndpoint('unix:///run/otlp.sock'), { kind: 'unix', path: '/run/otlp.sock' });
  for (const bad of [
    '',
    'udp://127.0.0.1:6831',
    'vsock://2',
    'vsock://x:1',
    'vsock://2:99999999999',
    'unix://rel',
    'http://',
  ]) {
    assert.throws(() => parseTraceEndpoint(bad), /invalid/, bad);
  }
});

test('agent.trace_endpoint and agent.metrics_vport on the kernel command line', () => {
  const ok = applyCmdline(
    'agent.trace_endpoint=http://10.0.2.2:4318 agent.metrics_vport=9100',
    defaultConfig(),
  );
  assert.deepEqual(ok.warnings, []);
  assert.equal(ok.config.traceEndpoint, 'http://10.0.2.2:4318');
  assert.equal(ok.config.metricsVport, 9100);
  const bad = applyCmdline('agent.trace_endpoint=udp://x:1 agent.metrics_vport=-1', defaultConfig());
  assert.equal(bad.warnings.length, 2);
  assert.equal(bad.config.traceEndpoint, 'vsock://2:4318');
  assert.equal(bad.config.metricsVport, 0);
});

test(
  'a vsock collector that refuses (no host listener) does not hold StopTracing up',
  { skip: !native().vsockAvailable() && 'no AF_VSOCK here' },
  async () => {
    // CID 2 is the host; here nothing listens there, so the connect is reset at once.
    const t = await startTestAgent({ traceEndpoint: 'vsock://2:1' });
    try {
      const c = await t.client();
      await c.agent.startTracing({});
      await c.health.check({ service: '' });
      const started = Date.now();
      await c.agent.stopTracing({});
      assert.ok(Date.now() - started < 3000, `${Date.now() - started} ms`);
      assert.equal((await c.health.check({ service: '' })).status, 1);
    } finally {
      await t.stop();
    }
  },
);

test('--trace-endpoint, --metrics-vport and --metrics-socket flags', () => {
  const base = ['--cmdline', '/dev/null'];
  const { config } = parseFlags([
    ...base,
    '--trace-endpoint',
    'unix:///run/otlp.sock',
    '--metrics-vport',
    '9100',
    '--metrics-socket',
    '/run/metrics.sock',
  ]);
  assert.equal(config.traceEndpoint, 'unix:///run/otlp.sock');
  assert.equal(config.metricsVport, 9100);
  assert.equal(config.metricsSocket, '/run/metrics.sock');
  assert.throws(() => parseFlags([...base, '--trace-endpoint', 'udp://x:1']), /invalid trace endpoint/);
  assert.throws(() => parseFlags([...base, '--metrics-vport', 'abc']), /invalid metrics vsock port/);
  assert.throws(() => parseFlags([...base, '--metrics-vport=-1']), /invalid metrics vsock port/);
});
