// Everything that shapes the agent's behaviour, with 1.x defaults. Kernel
// command-line words (src/config/cmdline.ts) and process flags (src/config/flags.ts)
// both end up here.
import type { LogLevel } from '../logging/logger';
import { DEFAULT_TRACE_ENDPOINT } from '../tracing/endpoint';

export type TraceMode = 'off' | 'isolated' | 'collated';
export type OciRuntimeName = 'crun' | 'runc';

export interface AgentConfig {
  logLevel: LogLevel;
  /** agent.devmode: debug flag, errors fatal, core dumps allowed. */
  devMode: boolean;
  /** Set by agent.log=debug, agent.devmode or any tracing: log backtraces on SIGUSR1 etc. */
  debug: boolean;
  trace: TraceMode;
  /** agent.use_vsock: undefined = try vsock, then the serial port. */
  useVsock: boolean | undefined;
  debugConsole: boolean;
  /** 0: console only. */
  debugConsoleVport: number;
  /** 0: no log forwarding. */
  logVport: number;
  hotplugTimeoutMs: number;
  unifiedCgroupHierarchy: boolean;
  /** 0: kernel default pipe capacity. */
  /** Processes a container may hold at once (init included) before ExecProcess is refused. */
  maxProcessesPerContainer: number;
  containerPipeSize: number;

  // Process-level settings (flags, not kernel options).
  /** Listen addresses: unix:///path, vsock://any:1024, serial:///dev/..., or "auto" for 1.x channel detection. */
  listen: string[];
  cmdlinePath: string;
  ociRuntime: OciRuntimeName;
  /** modprobe used for CreateSandbox's kernel modules (PATH lookup by default). */
  modprobe: string;
  /** Prefix for every guest path the agent writes (/run/kata-containers, resolv.conf, ...); "" in a guest. */
  guestRoot: string;
  /** Root of sysfs/procfs/devfs lookups, so tests can use a fake tree; "" in a guest. */
  sysRoot: string;
  /** Largest file CopyFile accepts. */
  copyFileMaxBytes: number;
  /** vsock port of the Prometheus metrics endpoint; 0 = off. */
  metricsVport: number;
  /** Unix socket path of the Prometheus metrics endpoint (development, tests); "" = off. */
  metricsSocket: string;
  /** Where spans go when tracing is on: http(s)://URL, vsock://CID:PORT or unix:///PATH (OTLP/HTTP). */
  traceEndpoint: string;
}

const DEFAULT_HOTPLUG_TIMEOUT_MS = 3000;

export function defaultConfig(): AgentConfig {
  return {
    logLevel: 'info',
    devMode: false,
    debug: false,
    trace: 'off',
    useVsock: undefined,
    debugConsole: false,
    debugConsoleVport: 0,
    logVport: 0,
    hotplugTimeoutMs: DEFAULT_HOTPLUG_TIMEOUT_MS,
    unifiedCgroupHierarchy: false,
    containerPipeSize: 0,
    maxProcessesPerContainer: 1024,
    listen: ['auto'],
    cmdlinePath: '/proc/cmdline',
    ociRuntime: 'crun',
    modprobe: 'modprobe',
    guestRoot: '',
    sysRoot: '',
    copyFileMaxBytes: 256 * 1024 * 1024,
    metricsVport: 0,
    metricsSocket: '',
    traceEndpoint: DEFAULT_TRACE_ENDPOINT,
  };
}
