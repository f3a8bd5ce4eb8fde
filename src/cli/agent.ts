#!/usr/bin/env node
// kata-agent: the guest agent. In a VM it is started by the initrd (often as
// PID 1) and configured by the kernel command line; flags serve development.
import { parseFlags, USAGE } from '../config/flags';
import { createLogger } from '../logging/logger';
import { startAgent } from '../agent';
import { AGENT_VERSION } from '../version';

async function main(): Promise<void> {
  const flags = parseFlags(process.argv.slice(2));
  if (flags.showHelp) {
    process.stdout.write(USAGE + '\n');
    return;
  }
  if (flags.showVersion) {
    process.stdout.write(`kata-agent version ${AGENT_VERSION}\n`);
    return;
  }
  const logging = createLogger({ level: flags.config.logLevel });
  const log = logging.logger;
  for (const w of flags.warnings) log.warn(w);
  const agent = await startAgent(flags.config, logging);
  log.info({ version: AGENT_VERSION }, 'agent started');
  let stopping = false;
  const stop = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, 'stopping');
    agent.shutdown().then(
      () => process.exit(0),
      (err: Error) => {
        log.error({ err: err.message }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}

main().catch((err: Error) => {
  process.stderr.write(`kata-agent: ${err.message}\n`);
  process.exit(1);
});
