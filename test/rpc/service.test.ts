import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Code as status } from '../../src/common/status';
import { AgentServer } from '../../src/rpc/server';
import { healthHandlers } from '../../src/rpc/handlers/health';
import { createLogger } from '../../src/logging/logger';
import { AgentClient } from '../../src/client/agent-client';
import { RpcError } from '../../src/client/grpc-unary';
import { AgentError, invalidArgument } from '../../src/common/errors';
import { listenUnix } from '../../src/transport/unix';
import { connectUnix } from '../../src/client/dial';
import os from 'node:os';
import path from 'node:path';

async function withServer(
  handlers: ConstructorParameters<typeof AgentServer>[0]['agent'],
  fn: (c: AgentClient) => Promise<void>,
  logLines?: string[],
): Promise<void> {
  const { logger } = createLogger(
    logLines ? { level: 'info', primary: (line) => logLines.push(line) } : { level: 'silent' },
  );
  const server = new AgentServer({ agent: handlers, health: healthHandlers(), log: logger });
  const socket = path.join(
    os.tmpdir(),
    `kata-svc-${process.pid}-${Math.random().toString(36).slice(2)}.sock`,
  );
  const listener = await listenUnix(socket, (c) => server.inject(c));
  const client = new AgentClient(await connectUnix(socket));
  try {
    await fn(client);
  } finally {
    client.destroy();
    await listener.close();
    await server.shutdown(100);
  }
}

test('an RPC without a handler answers UNIMPLEMENTED naming it', async () => {
  await withServer({}, async (c) => {
    await assert.rejects(
      c.agent.getOOMEvent({}),
      (e: RpcError) =>
        e.code === status.UNIMPLEMENTED && e.details === 'GetOOMEvent is not implemented by this agent',
    );
  });
});

test('AgentError keeps its code; other errors become UNKNOWN with their text; a throwing handler does not hurt the server', async () => {
  await withServer(
    {
      startContainer: async (req) => {
        if (!req.container_id) throw invalidArgument('container_id is empty');
        throw new Error('boom');
      },
    },
    async (c) => {
      await assert.rejects(
        c.agent.startContainer({ container_id: '' }),
        (e: RpcError) => e.code === status.INVALID_ARGUMENT && e.details === 'container_id is empty',
      );
      await assert.rejects(
        c.agent.startContainer({ container_id: 'x' }),
        (e: RpcError) => e.code === status.UNKNOWN && e.details === 'boom',
      );
      assert.equal((await c.health.check({ service: '' })).status, 1);
    },
  );
});

test('a NUL byte in any string field is INVALID_ARGUMENT naming the field; bytes fields may carry NUL', async () => {
  let reached = 0;
  await withServer(
    {
      execProcess: async () => {
        reached++;
        return {};
      },
      reseedRandomDev: async () => {
        reached++;
        return {};
      },
    },
    async (c) => {
      const exec = (args: string[], env: string[] = []) =>
        c.agent.execProcess({
          container_id: 'c',
          exec_id: 'e',
          string_user: undefined,
          process: {
            Terminal: false,
            User: undefined,
            Args: args,
            Env: env,
            Cwd: '/',
            Capabilities: undefined,
            Rlimits: [],
            NoNewPrivileges: false,
            ApparmorProfile: '',
            OOMScoreAdj: 0n,
            SelinuxLabel: '',
            ConsoleSize: undefined,
          },
        });
      await assert.rejects(
        exec(['sh', '-c', 'a\0b']),
        (e: RpcError) =>
          e.code === status.INVALID_ARGUMENT && e.details === 'process.Args[2] contains a NUL byte',
      );
      await assert.rejects(
        exec(['sh'], ['A=\0']),
        (e: RpcError) => e.code === status.INVALID_ARGUMENT && /process\.Env\[0\]/.test(e.details),
      );
      assert.equal(reached, 0);
      await exec(['sh']);
      await c.agent.reseedRandomDev({ data: Buffer.from([0, 0, 1]) });
      assert.equal(reached, 2);
    },
  );
});

test('failures of the agent are warnings naming the request ids; expected outcomes stay quiet', async () => {
  const lines: string[] = [];
  await withServer(
    {
      startContainer: async (req) => {
        if (req.container_id === 'bad') throw invalidArgument('bad id');
        throw new AgentError(status.INTERNAL, 'runtime failed');
      },
    },
    async (c) => {
      await assert.rejects(c.agent.startContainer({ container_id: 'c1' }));
      await assert.rejects(c.agent.startContainer({ container_id: 'bad' }));
    },
    lines,
  );
  const failed = lines.filter((l) => l.includes('request failed'));
  assert.equal(failed.length, 1, failed.join(''));
  assert.match(failed[0], /level=warning|level=warn/);
  assert.match(failed[0], /code=INTERNAL/);
  assert.match(failed[0], /container_id=c1/);
  assert.match(failed[0], /error="runtime failed"/);
});
