// The agent.* kernel command-line options, read with 1.x semantics: words are
// parsed one by one, a bad value is a warning and the option keeps its value,
// unknown agent.* keys are warned about, everything else is ignored.
import type { AgentConfig } from './options';
import type { LogLevel } from '../logging/logger';
import { parseGoBool, parseGoDuration, parseUint32 } from './go-parse';
import { parseTraceEndpoint } from '../tracing/endpoint';

interface CmdlineResult {
  config: AgentConfig;
  warnings: string[];
}

// logrus level names, case-insensitive, to ours.
const LOG_LEVELS: Record<string, LogLevel> = {
  panic: 'fatal',
  fatal: 'fatal',
  error: 'error',
  warn: 'warn',
  warning: 'warn',
  info: 'info',
  debug: 'debug',
  trace: 'trace',
};

type Setter = (config: AgentConfig, value: string) => string | undefined;

const KEYED: Record<string, Setter> = {
  'agent.log': (c, v) => {
    const level = LOG_LEVELS[v.toLowerCase()];
    if (!level) return `invalid log level ${JSON.stringify(v)}`;
    c.logLevel = level;
    if (level === 'debug' || level === 'trace') c.debug = true;
    return undefined;
  },
  'agent.log_vport': (c, v) => uint32Option(v, (n) => (c.logVport = n)),
  'agent.debug_console_vport': (c, v) =>
    uint32Option(v, (n) => {
      c.debugConsoleVport = n;
      c.debugConsole = true;
    }),
  'agent.container_pipe_size': (c, v) => uint32Option(v, (n) => (c.containerPipeSize = n)),
  'agent.hotplug_timeout': (c, v) => {
    const ms = parseGoDuration(v);
    if (ms === undefined) return `invalid duration ${JSON.stringify(v)}`;
    if (ms <= 0)
      return `hotplug timeout ${JSON.stringify(v)} is not positive, keeping ${c.hotplugTimeoutMs}ms`;
    c.hotplugTimeoutMs = ms;
    return undefined;
  },
  'agent.trace': (c, v) => {
    // Any other value silently does nothing, as in 1.x.
    if (v === 'isolated' || v === 'collated') {
      c.trace = v;
      c.debug = true;
    }
    return undefined;
  },
  'agent.trace_endpoint': (c, v) => {
    try {
      parseTraceEndpoint(v);
    } catch (err) {
      return (err as Error).message;
    }
    c.traceEndpoint = v;
    return undefined;
  },
  'agent.metrics_vport': (c, v) => uint32Option(v, (n) => (c.metricsVport = n)),
  'agent.use_vsock': (c, v) => boolOption(v, (b) => (c.useVsock = b)),
  'agent.unified_cgroup_hierarchy': (c, v) => boolOption(v, (b) => (c.unifiedCgroupHierarchy = b)),
};

const FLAGS: Record<string, (c: AgentConfig) => void> = {
  'agent.devmode': (c) => {
    c.devMode = true;
    c.debug = true;
  },
  'agent.debug_console': (c) => {
    c.debugConsole = true;
  },
  'agent.trace': (c) => {
    c.trace = 'isolated';
    c.debug = true;
  },
};

function uint32Option(value: string, apply: (n: number) => void): string | undefined {
  const n = parseUint32(value);
  if (n === undefined) return `invalid unsigned 32-bit number ${JSON.stringify(value)}`;
  apply(n);
  return undefined;
}

function boolOption(value: string, apply: (b: boolean) => void): string | undefined {
  const b = parseGoBool(value);
  if (b === undefined) return `invalid boolean ${JSON.stringify(value)}`;
  apply(b);
  return undefined;
}

/** Applies the words of a kernel command line to `config` (mutated and returned). */
export function applyCmdline(text: string, config: AgentConfig): CmdlineResult {
  const warnings: string[] = [];
  for (const word of text.split(/\s+/)) {
    if (!word) continue;
    const flag = FLAGS[word];
    if (flag) {
      flag(config);
      continue;
    }
    const eq = word.indexOf('=');
    if (eq < 0) continue;
    const key = word.slice(0, eq);
    // Text after a second '=' is dropped, as 1.x does.
    const value = word.slice(eq + 1).split('=')[0];
    if (!key.startsWith('agent.')) continue;
    const setter = KEYED[key];
    if (!setter) {
      warnings.push(`unknown option ${key}`);
      continue;
    }
    const problem = setter(config, value);
    if (problem) warnings.push(`failed to parse kernel option ${word}: ${problem}`);
  }
  return { config, warnings };
}
