// The agent's command-line program: options, PID 1 duties, start and stop.
// src/cli/agent.ts runs it, directly or from a start-up snapshot.
import { parseFlags, USAGE } from '../config/flags';
import { createLogger, type AgentLogging } from '../logging/logger';
import { startAgent } from '../agent';
import { AGENT_VERSION } from '../version';
import { missingNodeFlags } from '../config/node-flags';
import {
  allowCoreDumps,
  finishPid1,
  guardPid1,
  isPid1,
  mountBasics,
  powerOff,
  sysRootFromArgv,
  type Pid1Guard,
} from '../guest/init';
import { errorText } from '../common/error-text';

async function main(
  argv: string[],
  pid1: boolean,
  logging: AgentLogging,
  guard: Pid1Guard | undefined,
): Promise<void> {
  const log = logging.logger;
  const mainAtMs = performance.now();
  // As PID 1 even /proc is ours to mount, and the options come from /proc/cmdline.
  if (pid1) mountBasics(sysRootFromArgv(argv), log);
  const flags = parseFlags(argv);
  if (flags.showHelp) {
    process.stdout.write(USAGE + '\n');
    return;
  }
  if (flags.showVersion) {
    process.stdout.write(`kata-agent version ${AGENT_VERSION}\n`);
    return;
  }
  log.level = flags.config.logLevel;
  for (const w of flags.warnings) log.warn(w);
  const missing = missingNodeFlags();
  if (missing.length > 0) {
    log.info(
      { missing: missing.join(' ') },
      "node started without the agent's V8 flags: memory peaks will be higher",
    );
  }
  if (pid1) {
    await finishPid1({
      root: flags.config.sysRoot,
      unifiedCgroupHierarchy: flags.config.unifiedCgroupHierarchy,
      log,
    });
  }
  if (flags.config.devMode) allowCoreDumps(log);
  const setUpAtMs = performance.now();
  const agent = await startAgent(flags.config, logging);
  // Where start-up went, in ms since node's process began: node itself, then the
  // agent's modules (none when deserialized from a snapshot), options and PID 1's
  // set-up, then startAgent.
  const startup = {
    fromSnapshot: process.execArgv.some((a) => a.startsWith('--snapshot-blob')),
    nodeBootMs: Math.round(performance.nodeTiming.bootstrapComplete),
    mainMs: Math.round(mainAtMs),
    setUpMs: Math.round(setUpAtMs),
    listeningMs: Math.round(performance.now()),
  };
  log.info({ version: AGENT_VERSION, pid1, ...startup }, 'agent started');
  if (guard) {
    guard.onShutdown(() => agent.shutdown());
    return;
  }
  let stopping = false;
  const stop = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, 'stopping');
    agent.shutdown().then(
      () => process.exit(0),
      (err: Error) => {
        log.error({ error: errorText(err) }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}

/** Runs the agent with `argv` (the options after the program's name). */
export function runAgentCli(argv: string[]): void {
  const pid1 = isPid1();
  // The level is known only once the options are read; until then, info.
  const logging = createLogger({ level: 'info' });
  const guard = pid1 ? guardPid1(logging.logger) : undefined;
  main(argv, pid1, logging, guard).catch((err: Error) => {
    if (pid1) {
      logging.logger.fatal({ error: errorText(err) }, 'agent failed');
      powerOff(logging.logger, `start-up failed: ${err.message}`);
      return;
    }
    process.stderr.write(`kata-agent: ${err.message}\n`);
    process.exit(1);
  });
}
