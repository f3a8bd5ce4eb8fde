// Protocol messages → checked, parsed requests. Everything that can be judged
// without the kernel is judged here, before anything changes, so that bad
// input fails whole with INVALID_ARGUMENT instead of half-applied.
import type { ARPNeighbor, Interface, IPAddress, Route } from '../generated/types';
import { invalidArgument } from '../common/errors';
import { AF_INET, IFF_NOARP } from './netlink/constants';
import {
  parseCidr,
  parseIp,
  parseMac,
  parsePrefixLength,
  type Family,
  type IpAddress,
  type IpPrefix,
} from './ip';

export interface InterfaceRequest {
  hwAddr: Buffer;
  /** New link name; undefined keeps the current one. */
  name: string | undefined;
  /** New MTU; undefined (request 0) keeps the current one. */
  mtu: number | undefined;
  /** Addresses with their host bits, deduplicated, in request order. */
  addresses: IpPrefix[];
  noArp: boolean;
  /** Echoed into the answer. */
  device: string;
  pciPath: string;
}

export interface RouteRequest {
  family: Family;
  /** undefined: the default route. */
  dst: IpPrefix | undefined;
  gateway: IpAddress | undefined;
  source: IpAddress | undefined;
  scope: number;
  device: string;
  /** The route as given, for messages. */
  text: string;
}

export interface NeighbourRequest {
  ip: IpAddress;
  device: string;
  lladdr: Buffer | undefined;
  state: number;
  flags: number;
  text: string;
}

// What one request may ask for. A pod's NIC has a handful of each; the
// bounds keep one request from holding the agent for minutes (20,000
// addresses once took 55 s while every other RPC waited).
export const MAX_ADDRESSES = 1024;
export const MAX_ROUTES = 1024;
export const MAX_NEIGHBOURS = 1024;

export function checkCount(count: number, max: number, field: string): void {
  if (count > max)
    throw invalidArgument(`${field}: ${count} entries, at most ${max} are accepted in one request`);
}

const IFNAMSIZ = 16;
const MAX_U32 = 0xffffffff;

/** The kernel's dev_valid_name(): 1-15 bytes, not "." or "..", no '/', ':' or whitespace. */
export function isValidLinkName(name: string): boolean {
  return (
    Buffer.byteLength(name) < IFNAMSIZ && name !== '.' && name !== '..' && !/[/:\s]/.test(name) && name !== ''
  );
}

function parseAddress(a: IPAddress, where: string): IpPrefix {
  const ip = parseIp(a.address);
  if (!ip) throw invalidArgument(`${where}: address ${JSON.stringify(a.address)} is not an IP address`);
  const prefixLength = parsePrefixLength(a.mask, ip.family);
  if (prefixLength === undefined) {
    throw invalidArgument(`${where}: mask ${JSON.stringify(a.mask)} is not a prefix length for ${a.address}`);
  }
  return { ...ip, prefixLength };
}

export function parseInterfaceRequest(iface: Interface): InterfaceRequest {
  if (!iface.hwAddr) throw invalidArgument('interface hwAddr is empty');
  const hwAddr = parseMac(iface.hwAddr);
  if (!hwAddr) throw invalidArgument(`interface hwAddr ${JSON.stringify(iface.hwAddr)} is not a MAC address`);
  if (iface.name && !isValidLinkName(iface.name)) {
    throw invalidArgument(`interface name ${JSON.stringify(iface.name)} is not a valid link name`);
  }
  if (iface.mtu < 0n || iface.mtu > BigInt(MAX_U32)) {
    throw invalidArgument(`interface mtu ${iface.mtu} is out of range`);
  }
  checkCount(iface.IPAddresses.length, MAX_ADDRESSES, 'interface IPAddresses');
  const addresses: IpPrefix[] = [];
  const seen = new Set<string>();
  iface.IPAddresses.forEach((a, i) => {
    const parsed = parseAddress(a, `interface IPAddresses[${i}]`);
    const key = `${parsed.bytes.toString('hex')}/${parsed.prefixLength}`;
    if (seen.has(key)) return;
    seen.add(key);
    addresses.push(parsed);
  });
  return {
    hwAddr,
    name: iface.name || undefined,
    mtu: iface.mtu ? Number(iface.mtu) : undefined,
    addresses,
    noArp: (iface.raw_flags & IFF_NOARP) !== 0,
    device: iface.device,
    pciPath: iface.pciPath,
  };
}

function describeRoute(r: Route): string {
  return `dest(${r.dest})/gw(${r.gateway})/dev(${r.device})`;
}

export function parseRouteRequest(r: Route, index: number): RouteRequest {
  const text = describeRoute(r);
  const where = `routes[${index}] ${text}`;
  if (!r.device) throw invalidArgument(`${where}: device is empty`);
  let dst: IpPrefix | undefined;
  if (r.dest !== '' && r.dest !== 'default') {
    dst = parseCidr(r.dest);
    if (!dst) throw invalidArgument(`${where}: dest ${JSON.stringify(r.dest)} is not an address/prefix`);
  }
  const optionalIp = (value: string, field: string): IpAddress | undefined => {
    if (!value) return undefined;
    const ip = parseIp(value);
    if (!ip) throw invalidArgument(`${where}: ${field} ${JSON.stringify(value)} is not an IP address`);
    return ip;
  };
  const gateway = optionalIp(r.gateway, 'gateway');
  const source = optionalIp(r.source, 'source');
  const families = [dst, gateway, source].filter((x) => x !== undefined).map((x) => x.family);
  const family = families[0] ?? AF_INET;
  if (families.some((f) => f !== family)) throw invalidArgument(`${where}: mixes IPv4 and IPv6 addresses`);
  if (!Number.isInteger(r.scope) || r.scope < 0 || r.scope > 255) {
    throw invalidArgument(`${where}: scope ${r.scope} is not 0-255`);
  }
  return { family, dst, gateway, source, scope: r.scope, device: r.device, text };
}

export function parseNeighbourRequest(n: ARPNeighbor, index: number): NeighbourRequest {
  const where = `neighbors[${index}]`;
  if (!n.toIPAddress || !n.toIPAddress.address) throw invalidArgument(`${where}: toIPAddress is missing`);
  const ip = parseIp(n.toIPAddress.address);
  if (!ip)
    throw invalidArgument(
      `${where}: toIPAddress ${JSON.stringify(n.toIPAddress.address)} is not an IP address`,
    );
  if (!n.device) throw invalidArgument(`${where}: device is empty`);
  let lladdr: Buffer | undefined;
  if (n.lladdr) {
    lladdr = parseMac(n.lladdr);
    if (!lladdr) throw invalidArgument(`${where}: lladdr ${JSON.stringify(n.lladdr)} is not a MAC address`);
  }
  if (!Number.isInteger(n.state) || n.state < 0 || n.state > 0xffff) {
    throw invalidArgument(`${where}: state ${n.state} is not a NUD_* value (0-0xffff)`);
  }
  if (!Number.isInteger(n.flags) || n.flags < 0 || n.flags > 0xff) {
    throw invalidArgument(`${where}: flags ${n.flags} are not NTF_* bits (0-0xff)`);
  }
  const text = `${n.toIPAddress.address} lladdr ${n.lladdr || '-'} dev ${n.device}`;
  return { ip, device: n.device, lladdr, state: n.state, flags: n.flags, text };
}
