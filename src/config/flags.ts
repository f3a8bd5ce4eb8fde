// Process flags of kata-agent. In a guest none are needed: the kernel command
// line configures the agent; flags exist for development and tests.
import { parseArgs } from 'node:util';
import { readFileSync } from 'node:fs';
import { applyCmdline } from './cmdline';
import { parseUint32 } from './go-parse';
import { parseTraceEndpoint } from '../tracing/endpoint';
import { defaultConfig, type AgentConfig, type OciRuntimeName } from './options';

export const USAGE = `usage: kata-agent [options]
  --listen ADDR        unix:///path, vsock://any:PORT, serial:///dev/PORT, or auto (default; 1.x channel detection); repeatable
  --cmdline FILE       read agent.* options from FILE instead of /proc/cmdline
  --runtime NAME       OCI runtime binary: crun (default) or runc
  --guest-root DIR     prefix for every guest path the agent writes (tests, development)
  --sys-root DIR       root for sysfs/procfs/devfs lookups (tests against a fake tree)
  --log-level LEVEL    override agent.log
  --metrics-vport N    serve Prometheus metrics on this vsock port (as agent.metrics_vport)
  --metrics-socket P   serve Prometheus metrics on this unix socket path
  --trace-endpoint A   span collector (OTLP/HTTP): http://HOST:PORT, vsock://CID:PORT or unix:///PATH
                       (as agent.trace_endpoint; default vsock://2:4318)
  --version            print the version and exit`;

interface ParsedFlags {
  config: AgentConfig;
  warnings: string[];
  showVersion: boolean;
  showHelp: boolean;
}

export function parseFlags(argv: string[]): ParsedFlags {
  const { values } = parseArgs({
    args: argv,
    options: {
      listen: { type: 'string', multiple: true },
      cmdline: { type: 'string' },
      runtime: { type: 'string' },
      'guest-root': { type: 'string' },
      'sys-root': { type: 'string' },
      'log-level': { type: 'string' },
      'metrics-vport': { type: 'string' },
      'metrics-socket': { type: 'string' },
      'trace-endpoint': { type: 'string' },
      version: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
    allowPositionals: false,
  });
  const config = defaultConfig();
  if (values.cmdline) config.cmdlinePath = values.cmdline;
  const warnings: string[] = [];
  if (!values.version && !values.help) {
    // 1.x treats an unreadable command line as fatal; so do we (the caller reports it).
    const text = readFileSync(config.cmdlinePath, 'utf8');
    warnings.push(...applyCmdline(text, config).warnings);
  }
  if (values.listen?.length) config.listen = values.listen;
  if (values.runtime) {
    if (values.runtime !== 'crun' && values.runtime !== 'runc')
      throw new Error(`unknown runtime ${values.runtime}`);
    config.ociRuntime = values.runtime as OciRuntimeName;
  }
  if (values['guest-root'] !== undefined) config.guestRoot = values['guest-root'];
  if (values['sys-root'] !== undefined) config.sysRoot = values['sys-root'];
  if (values['log-level']) {
    const level = values['log-level'];
    applyCmdline(`agent.log=${level}`, config);
  }
  if (values['metrics-vport'] !== undefined) {
    const port = parseUint32(values['metrics-vport']);
    if (port === undefined)
      throw new Error(`invalid metrics vsock port ${JSON.stringify(values['metrics-vport'])}`);
    config.metricsVport = port;
  }
  if (values['metrics-socket'] !== undefined) config.metricsSocket = values['metrics-socket'];
  if (values['trace-endpoint'] !== undefined) {
    parseTraceEndpoint(values['trace-endpoint']);
    config.traceEndpoint = values['trace-endpoint'];
  }
  return { config, warnings, showVersion: !!values.version, showHelp: !!values.help };
}
