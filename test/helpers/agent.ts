// Starts an agent in this process on a private unix socket and gives a client.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startAgent, type RunningAgent, type StartOptions } from '../../src/agent';
import { defaultConfig, type AgentConfig } from '../../src/config/options';
import { createLogger } from '../../src/logging/logger';
import { applyCmdline } from '../../src/config/cmdline';
import { AgentClient } from '../../src/client/agent-client';
import { connectUnix } from '../../src/client/dial';

export interface TestAgent {
  agent: RunningAgent;
  socket: string;
  dir: string;
  config: AgentConfig;
  /** A new client connection. */
  client(): Promise<AgentClient>;
  stop(): Promise<void>;
}

export async function startTestAgent(
  overrides: Partial<AgentConfig> = {},
  cmdline = '',
  options: StartOptions = {},
): Promise<TestAgent> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'kata-agent-test-'));
  const socket = path.join(dir, 'agent.sock');
  writeFileSync(path.join(dir, 'cmdline'), cmdline);
  const config = applyCmdline(cmdline, defaultConfig()).config;
  Object.assign(config, { listen: [`unix://${socket}`], cmdlinePath: path.join(dir, 'cmdline') }, overrides);
  const logging = createLogger({ level: (process.env.AGENT_TEST_LOG as 'debug') ?? 'silent' });
  const agent = await startAgent(config, logging, options);
  const clients: AgentClient[] = [];
  return {
    agent,
    socket,
    dir,
    config,
    async client() {
      const c = new AgentClient(await connectUnix(socket));
      clients.push(c);
      return c;
    },
    async stop() {
      for (const c of clients) c.destroy();
      await agent.shutdown();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
