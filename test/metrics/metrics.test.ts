// A scrape of the metrics endpoint after some RPCs: counts and latencies by
// method and code, the sandbox's gauges, process figures; kata-agent-ctl metrics.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import http from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { Code as status } from '../../src/common/status';
import { startTestAgent, type TestAgent } from '../../tools/testkit/agent';
import { connectUnix } from '../../src/client/dial';
import { fetchMetrics } from '../../src/metrics/fetch';
import type { RpcError } from '../../src/client/grpc-unary';

const run = promisify(execFile);

interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

function parse(text: string): Sample[] {
  const samples: Sample[] = [];
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    assert.ok(m, `not a sample line: ${line}`);
    const labels: Record<string, string> = {};
    for (const l of (m[2] ?? '').matchAll(/([a-zA-Z_]+)="([^"]*)"/g)) labels[l[1]] = l[2];
    samples.push({ name: m[1], labels, value: Number(m[3]) });
  }
  return samples;
}

/** The value of the one sample with `name` and (at least) these labels. */
function value(samples: Sample[], name: string, labels: Record<string, string> = {}): number | undefined {
  const found = samples.filter(
    (s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v),
  );
  assert.ok(found.length <= 1, `${name} ${JSON.stringify(labels)} matches ${found.length} samples`);
  return found[0]?.value;
}

async function withMetricsAgent(fn: (t: TestAgent, socket: string) => Promise<void>): Promise<void> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'kata-metrics-'));
  const socket = path.join(dir, 'metrics.sock');
  const t = await startTestAgent({ metricsSocket: socket });
  try {
    await fn(t, socket);
  } finally {
    await t.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

async function scrape(socket: string): Promise<Sample[]> {
  return parse(await fetchMetrics(await connectUnix(socket)));
}

test('a scrape after some RPCs counts them by method and status code', async () => {
  await withMetricsAgent(async (t, socket) => {
    const c = await t.client();
    for (let i = 0; i < 3; i++) await c.health.check({ service: '' });
    await c.health.version({ service: '' });
    for (let i = 0; i < 2; i++)
      await assert.rejects(
        c.agent.startContainer({ container_id: 'c1' }),
        (e: RpcError) => e.code === status.FAILED_PRECONDITION,
      );
    await assert.rejects(c.agent.stopTracing({}), (e: RpcError) => e.code === status.FAILED_PRECONDITION);
    await assert.rejects(
      c.agent.updateInterface({ interface: undefined }),
      (e: RpcError) => e.code === status.INVALID_ARGUMENT,
    );
    await c.agent.listInterfaces({});

    const m = await scrape(socket);
    const calls = (method: string, code: string): number | undefined =>
      value(m, 'kata_agent_rpc_requests_total', { method, code });
    assert.equal(calls('Check', 'OK'), 3);
    assert.equal(calls('Version', 'OK'), 1);
    assert.equal(calls('StartContainer', 'FAILED_PRECONDITION'), 2);
    assert.equal(calls('StopTracing', 'FAILED_PRECONDITION'), 1);
    assert.equal(calls('UpdateInterface', 'INVALID_ARGUMENT'), 1);
    assert.equal(calls('ListInterfaces', 'OK'), 1);
    assert.equal(calls('StartContainer', 'OK'), undefined);
    assert.equal(calls('StopTracing', 'OK'), undefined);

    // The latency histogram holds the same calls, with a positive total time.
    const histogram = { method: 'Check', code: 'OK' };
    assert.equal(value(m, 'kata_agent_rpc_duration_seconds_count', histogram), 3);
    assert.equal(value(m, 'kata_agent_rpc_duration_seconds_bucket', { ...histogram, le: '+Inf' }), 3);
    assert.ok(value(m, 'kata_agent_rpc_duration_seconds_sum', histogram)! > 0);
    assert.equal(
      value(m, 'kata_agent_rpc_duration_seconds_count', {
        method: 'StartContainer',
        code: 'FAILED_PRECONDITION',
      }),
      2,
    );

    // More calls show up in the next scrape.
    await c.health.check({ service: '' });
    assert.equal(
      value(await scrape(socket), 'kata_agent_rpc_requests_total', { method: 'Check', code: 'OK' }),
      4,
    );
  });
});

test('containers and processes come from what the sandbox reports; process figures are plausible', async () => {
  await withMetricsAgent(async (t, socket) => {
    let m = await scrape(socket);
    assert.equal(value(m, 'kata_agent_containers'), 0);
    assert.equal(value(m, 'kata_agent_processes'), 0);

    let containers = 2;
    t.agent.gauges.register('containers', () => containers);
    t.agent.gauges.set('processes', 5);
    m = await scrape(socket);
    assert.equal(value(m, 'kata_agent_containers'), 2);
    assert.equal(value(m, 'kata_agent_processes'), 5);
    containers = 1;
    assert.equal(value(await scrape(socket), 'kata_agent_containers'), 1);

    const rss = value(m, 'kata_agent_resident_memory_bytes')!;
    const own = process.memoryUsage.rss();
    assert.ok(rss > own / 2 && rss < own * 2, `rss ${rss} vs ${own}`);
    assert.ok(value(m, 'kata_agent_heap_used_bytes')! > 0);
    assert.ok(value(m, 'kata_agent_open_fds')! > 3);
    assert.ok(value(m, 'kata_agent_cpu_seconds', { mode: 'user' })! > 0);
    const started = value(m, 'kata_agent_start_time_seconds')!;
    assert.ok(Math.abs(started - (Date.now() / 1000 - process.uptime())) < 2);
    for (const quantile of ['0.5', '0.99', '1']) {
      const lag = value(m, 'kata_agent_event_loop_delay_seconds', { quantile });
      assert.ok(lag !== undefined && lag >= 0 && lag < 10, `quantile ${quantile}: ${lag}`);
    }
    assert.equal(m.filter((s) => s.name === 'kata_agent_info').length, 1);
  });
});

test('the endpoint answers GET /metrics only', async () => {
  await withMetricsAgent(async (_t, socket) => {
    const get = (p: string, method = 'GET'): Promise<{ code: number; type: string; body: string }> =>
      new Promise((resolve, reject) => {
        const req = http.request({ socketPath: socket, path: p, method }, (res) => {
          let body = '';
          res.on('data', (d: Buffer) => (body += d.toString()));
          res.on('end', () =>
            resolve({ code: res.statusCode!, type: String(res.headers['content-type']), body }),
          );
        });
        req.on('error', reject);
        req.end();
      });
    const ok = await get('/metrics');
    assert.equal(ok.code, 200);
    assert.match(ok.type, /^text\/plain; version=0\.0\.4/);
    assert.match(ok.body, /^# HELP kata_agent_/m);
    assert.equal((await get('/other')).code, 404);
    assert.equal((await get('/metrics', 'POST')).code, 404);
  });
});

test('kata-agent-ctl metrics prints the scrape', async () => {
  await withMetricsAgent(async (t, socket) => {
    const c = await t.client();
    await c.health.check({ service: '' });
    const ctl = path.join(__dirname, '..', '..', 'src', 'cli', 'ctl.js');
    const { stdout } = await run(process.execPath, [ctl, '--addr', `unix://${socket}`, 'metrics']);
    assert.equal(value(parse(stdout), 'kata_agent_rpc_requests_total', { method: 'Check', code: 'OK' }), 1);
    // The agent's gRPC socket is not a metrics endpoint: a clear failure, not a hang.
    await assert.rejects(
      run(process.execPath, [ctl, '--addr', `unix://${t.socket}`, '--timeout', '3000', 'metrics']),
      (e: { code: number; stderr: string }) => e.code === 1 && /kata-agent-ctl: /.test(e.stderr),
    );
  });
});

test('without a metrics address nothing is served and the agent has no metrics', async () => {
  const t = await startTestAgent();
  try {
    assert.equal(t.agent.metrics, undefined);
  } finally {
    await t.stop();
  }
});
