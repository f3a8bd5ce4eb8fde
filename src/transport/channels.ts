// Where the agent listens. Listen addresses (config.listen, --listen):
//   unix:///path                   development socket
//   vsock://any:1024, vsock://CID:PORT
//   serial:///dev/vport0p1         a virtio-serial port (or a pty / unix socket standing in for one)
//   auto                           what 1.x does: vsock port 1024 when the VM has a vsock
//                                  device, else the virtio-serial port named agent.channel.0
// Every channel hands its connections to serveConnection (HTTP/2 or yamux, garbage refused).
import fs from 'node:fs';
import path from 'node:path';
import type { AgentConfig } from '../config/options';
import type { Logger } from '../logging/logger';
import { native } from '../native/index';
import { serveConnection, type ConnectionTarget } from './connection';
import { listenSerial } from './serial';
import { listenUnix, type Listener } from './unix';
import { listenVsock, VSOCK_CID_ANY } from './vsock';
import { SystemPaths } from '../common/system-paths';

const AGENT_VSOCK_PORT = 1024;
const SERIAL_CHANNEL_NAME = 'agent.channel.0';

type ListenAddress =
  | { kind: 'unix'; path: string }
  | { kind: 'vsock'; cid: number; port: number }
  | { kind: 'serial'; path: string }
  | { kind: 'auto' };

function uint32(text: string, what: string, address: string): number {
  if (!/^\d+$/.test(text) || Number(text) > 0xffffffff)
    throw new Error(`invalid ${what} ${JSON.stringify(text)} in listen address ${JSON.stringify(address)}`);
  return Number(text);
}

export function parseListenAddress(address: string): ListenAddress {
  if (address === 'auto') return { kind: 'auto' };
  const m = /^([a-z]+):\/\/(.*)$/.exec(address);
  if (!m) throw new Error(`invalid listen address ${JSON.stringify(address)}`);
  const [, scheme, rest] = m;
  switch (scheme) {
    case 'unix':
    case 'serial':
      if (!rest.startsWith('/'))
        throw new Error(`invalid listen address ${JSON.stringify(address)}: want ${scheme}:///absolute/path`);
      return { kind: scheme, path: rest };
    case 'vsock': {
      const parts = rest.split(':');
      if (parts.length !== 2)
        throw new Error(
          `invalid listen address ${JSON.stringify(address)}: want vsock://any:PORT or vsock://CID:PORT`,
        );
      const cid =
        parts[0] === 'any' || parts[0] === '' ? VSOCK_CID_ANY : uint32(parts[0], 'vsock cid', address);
      return { kind: 'vsock', cid, port: uint32(parts[1], 'vsock port', address) };
    }
    default:
      throw new Error(`unsupported listen scheme ${JSON.stringify(scheme)} in ${JSON.stringify(address)}`);
  }
}

/** 1.x's test: AF_VSOCK works and a virtio vsock device is bound to its driver. */
export function vsockAvailable(
  sysRoot: string,
  afVsock: () => boolean = () => native().vsockAvailable(),
): boolean {
  const driver = new SystemPaths(sysRoot).vsockDriver;
  let bound = false;
  try {
    for (const entry of fs.readdirSync(driver)) {
      const full = path.join(driver, entry);
      if (fs.lstatSync(full).isSymbolicLink() && fs.readlinkSync(full).includes('devices')) bound = true;
    }
  } catch {
    return false;
  }
  return bound && afVsock();
}

/** The device node of the virtio-serial port named agent.channel.0, if there is one. */
export function findSerialPort(sysRoot: string): string | undefined {
  const ports = new SystemPaths(sysRoot).virtioPorts;
  let names: string[];
  try {
    names = fs.readdirSync(ports).sort();
  } catch {
    return undefined;
  }
  for (const port of names) {
    try {
      if (fs.readFileSync(path.join(ports, port, 'name'), 'utf8').includes(SERIAL_CHANNEL_NAME))
        return path.join(sysRoot, '/dev', port);
    } catch {
      // A port without a name file is not ours.
    }
  }
  return undefined;
}

interface DetectOptions {
  sysRoot: string;
  /** agent.use_vsock: true = vsock only, false = serial only, undefined = vsock then serial. */
  useVsock: boolean | undefined;
  attempts?: number;
  intervalMs?: number;
  afVsock?: () => boolean;
}

/** Which channel 1.x would pick; devices may appear late, so look up to 200 times, 50 ms apart. */
export async function detectChannel(options: DetectOptions): Promise<ListenAddress> {
  const attempts = options.attempts ?? 200;
  for (let i = 0; i < attempts; i++) {
    if (options.useVsock !== false && vsockAvailable(options.sysRoot, options.afVsock))
      return { kind: 'vsock', cid: VSOCK_CID_ANY, port: AGENT_VSOCK_PORT };
    if (options.useVsock !== true) {
      const port = findSerialPort(options.sysRoot);
      if (port) return { kind: 'serial', path: port };
    }
    if (i + 1 < attempts) await new Promise((resolve) => setTimeout(resolve, options.intervalMs ?? 50));
  }
  const wanted =
    options.useVsock === true
      ? 'no vsock'
      : options.useVsock === false
        ? 'no serial port'
        : 'neither vsocks nor serial ports';
  throw new Error(`failed to setup channels: ${wanted} found`);
}

interface ChannelContext {
  target: ConnectionTarget;
  log: Logger;
  config: Pick<AgentConfig, 'sysRoot' | 'useVsock'>;
}

/** Opens the channel a listen address names. */
export async function openChannel(address: string, context: ChannelContext): Promise<Listener> {
  let parsed = parseListenAddress(address);
  if (parsed.kind === 'auto') {
    parsed = await detectChannel({ sysRoot: context.config.sysRoot, useVsock: context.config.useVsock });
  }
  const { target, log } = context;
  switch (parsed.kind) {
    case 'unix': {
      const source = `unix://${parsed.path}`;
      return listenUnix(parsed.path, (c) => serveConnection(c, target, { log, allowYamux: true, source }));
    }
    case 'vsock': {
      const source = `vsock port ${parsed.port}`;
      return listenVsock(
        parsed.port,
        (c) => serveConnection(c, target, { log, allowYamux: true, source }),
        parsed.cid,
      );
    }
    case 'serial':
      return listenSerial({ path: parsed.path, target, log });
    default:
      throw new Error(`unexpected listen address ${address}`);
  }
}
