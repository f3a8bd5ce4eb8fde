// Guest services beside the gRPC channels, each off unless its option is set:
// log forwarding (agent.log_vport) and the debug console (agent.debug_console,
// agent.debug_console_vport). A port that cannot be opened is logged, not fatal.
import type net from 'node:net';
import type { AgentConfig } from '../config/options';
import type { AgentLogging } from '../logging/logger';
import { LogForwarder } from '../logging/forward';
import { createVsockServer } from '../transport/vsock';
import { DebugConsole } from './console';
import { errorText } from '../common/error-text';
import { SystemPaths } from '../common/system-paths';

interface GuestServices {
  close(): Promise<void>;
}

export async function startGuestServices(
  config: Pick<AgentConfig, 'logVport' | 'debugConsole' | 'debugConsoleVport' | 'sysRoot'>,
  logging: AgentLogging,
): Promise<GuestServices> {
  const log = logging.logger;
  const closers: (() => Promise<void>)[] = [];
  const vsockServer = async (port: number, what: string): Promise<net.Server | undefined> => {
    try {
      const server = await createVsockServer(port, () => {});
      log.info({ port }, `${what} listening on vsock`);
      return server;
    } catch (err) {
      log.warn({ port, error: errorText(err) }, `cannot listen for the ${what} on vsock`);
      return undefined;
    }
  };
  if (config.logVport) {
    const server = await vsockServer(config.logVport, 'log forwarding');
    if (server) {
      const forwarder = new LogForwarder({ sinks: logging.sinks, server });
      closers.push(() => forwarder.close());
    }
  }
  // As in 1.x: a console port serves shells there instead of on the console device.
  if (config.debugConsole && config.debugConsoleVport) {
    const server = await vsockServer(config.debugConsoleVport, 'debug console');
    if (server) {
      const debugConsole = new DebugConsole({ log, server });
      closers.push(() => debugConsole.close());
    }
  } else if (config.debugConsole) {
    const debugConsole = new DebugConsole({
      log,
      consolePath: new SystemPaths(config.sysRoot).console,
    });
    closers.push(() => debugConsole.close());
  }
  return {
    async close() {
      await Promise.all(closers.map((c) => c()));
    },
  };
}
