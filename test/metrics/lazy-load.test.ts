// Start-up cost: OpenTelemetry and prom-client are loaded only when tracing or
// metrics are on. Each case runs in a fresh process to see what it loaded.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import os from 'node:os';
import path from 'node:path';

const run = promisify(execFile);
const dist = path.join(__dirname, '..', '..');

async function loadedAfterStart(overrides: Record<string, unknown>, cmdline: string): Promise<string[]> {
  const script = `
    const { startTestAgent } = require(${JSON.stringify(path.join(dist, 'tools', 'testkit', 'agent.js'))});
    startTestAgent(${JSON.stringify(overrides)}, ${JSON.stringify(cmdline)}).then(async (t) => {
      const loaded = Object.keys(require.cache).filter((f) => /node_modules.(@opentelemetry|prom-client)/.test(f));
      await t.stop();
      process.stdout.write(JSON.stringify(loaded));
    });`;
  const { stdout } = await run(process.execPath, ['-e', script]);
  return JSON.parse(stdout) as string[];
}

test('with tracing and metrics off neither OpenTelemetry nor prom-client is loaded', async () => {
  assert.deepEqual(await loadedAfterStart({}, ''), []);
});

test('agent.trace loads OpenTelemetry only; a metrics socket loads prom-client', async () => {
  const traced = await loadedAfterStart({}, 'agent.trace');
  assert.ok(traced.some((f) => f.includes('@opentelemetry/sdk-trace')));
  assert.ok(!traced.some((f) => f.includes('prom-client')));
  const socket = path.join(os.tmpdir(), `kata-lazy-${process.pid}.sock`);
  const metered = await loadedAfterStart({ metricsSocket: socket }, '');
  assert.ok(metered.some((f) => f.includes('prom-client')));
  assert.ok(!metered.some((f) => f.includes('@opentelemetry/sdk-trace')));
});
