// Entry point of an agent process confined by tools/testkit/confined-agent.ts.
// Runs only when started with `--serve <json config overrides>`: the test
// runner also loads every file under test/ and must find nothing to do here.
import { startAgent } from '../../src/agent';
import { defaultConfig, type AgentConfig } from '../../src/config/options';
import { createLogger, type LogLevel } from '../../src/logging/logger';

async function serve(overridesJson: string, level: LogLevel): Promise<void> {
  const config: AgentConfig = Object.assign(
    defaultConfig(),
    JSON.parse(overridesJson) as Partial<AgentConfig>,
  );
  config.logLevel = level;
  // Requests are formatted at the chosen level (the fuzzer wants that code run),
  // but only warnings and worse reach stderr: the parent keeps a tail of them.
  const logging = createLogger({
    level,
    primary: (line) => {
      if (/^time=\S+ level=(warning|error|fatal) /.test(line)) process.stderr.write(line);
    },
  });
  // SetGuestDateTime sets this instead of the clock (CAP_SYS_TIME is gone too).
  const clock = (seconds: number, microseconds: number): void => {
    logging.logger.debug({ seconds, microseconds }, 'guest time set (confined: not applied)');
  };
  const agent = await startAgent(config, logging, { clock });
  process.on('SIGTERM', () => {
    agent.shutdown().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  });
  process.stdout.write('ready\n');
}

if (process.argv[2] === '--serve') {
  serve(process.argv[3] ?? '{}', (process.argv[4] as LogLevel | undefined) ?? 'info').catch((err: Error) => {
    process.stderr.write(`confined agent: ${err.stack ?? err.message}\n`);
    process.exit(70);
  });
}
