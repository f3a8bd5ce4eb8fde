// The agent and kata-agent-ctl as separate processes, as a developer runs them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { promisify } from 'node:util';
import os from 'node:os';
import path from 'node:path';
import { AGENT_VERSION } from '../../src/version';
import { waitFor } from '../helpers/wait-for';
import { artifactArgs } from '../../tools/testkit/artifact';

const run = promisify(execFile);
const dist = path.join(__dirname, '..', '..', 'src', 'cli');

function waitForSocket(file: string, child: ChildProcess): Promise<void> {
  return waitFor(
    () => {
      if (child.exitCode !== null) throw new Error(`agent exited with ${child.exitCode}`);
      return existsSync(file);
    },
    { timeoutMs: 5000, intervalMs: 25, what: `the agent to listen on ${file}` },
  );
}

async function ctl(
  socket: string,
  ...args: string[]
): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, [
      path.join(dist, 'ctl.js'),
      '--addr',
      `unix://${socket}`,
      ...args,
    ]);
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

test('kata-agent-ctl against a kata-agent process with an empty command line', async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'kata-ctl-'));
  const socket = path.join(dir, 'agent.sock');
  writeFileSync(path.join(dir, 'cmdline'), '');
  const agent = spawn(
    process.execPath,
    // The shipped artifact: the bundle started from its snapshot.
    [...artifactArgs(), '--listen', `unix://${socket}`, '--cmdline', path.join(dir, 'cmdline')],
    {
      stdio: ['ignore', 'ignore', 'pipe'],
    },
  );
  let log = '';
  agent.stderr!.on('data', (d: Buffer) => (log += d.toString()));
  try {
    await waitForSocket(socket, agent);
    const check = await ctl(socket, 'health', 'check');
    assert.equal(check.code, 0, check.stderr);
    assert.deepEqual(JSON.parse(check.stdout), { status: 'SERVING' });

    const version = await ctl(socket, 'health', 'version');
    assert.deepEqual(JSON.parse(version.stdout), { grpcVersion: '0.0.1', agentVersion: AGENT_VERSION });

    const bad = await ctl(socket, 'StartContainer', '{"container_id": "../etc"}');
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /^[A-Z_]+: /);

    const unknownRpc = await ctl(socket, 'NoSuchRpc');
    assert.equal(unknownRpc.code, 2);
    assert.match(unknownRpc.stderr, /unknown RPC "NoSuchRpc"/);

    const badJson = await ctl(socket, 'CopyFile', '{not json');
    assert.equal(badJson.code, 1);
  } finally {
    agent.kill('SIGTERM');
    const code = await new Promise<number | null>((resolve) => agent.once('exit', (c) => resolve(c)));
    assert.equal(code, 0, `graceful stop on SIGTERM; log:\n${log}`);
    rmSync(dir, { recursive: true, force: true });
  }
  assert.match(log, /level=info msg="agent started" name=kata-agent pid=\d+ source=agent/);
});
