// Starts an agent in this process on a private unix socket and gives a client.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startAgent, type RunningAgent, type StartOptions } from '../../src/agent';
import { defaultConfig, type AgentConfig } from '../../src/config/options';
import { createLogger, type LogLevel } from '../../src/logging/logger';
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
  /** Collects the agent's log lines (info and up, or AGENT_TEST_LOG) instead of dropping them. */
  logLines?: string[],
): Promise<TestAgent> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'kata-agent-test-'));
  const socket = path.join(dir, 'agent.sock');
  writeFileSync(path.join(dir, 'cmdline'), cmdline);
  const config = applyCmdline(cmdline, defaultConfig()).config;
  // Every guest path the agent writes stays inside the test's directory.
  const guestRoot = path.join(dir, 'guest');
  mkdirSync(guestRoot);
  Object.assign(
    config,
    { listen: [`unix://${socket}`], cmdlinePath: path.join(dir, 'cmdline'), guestRoot },
    overrides,
  );
  const level = process.env.AGENT_TEST_LOG as LogLevel | undefined;
  const logging = logLines
    ? createLogger({ level: level ?? 'info', primary: (line) => logLines.push(line) })
    : createLogger({ level: level ?? 'silent' });
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
