// `ip -j -N` output turned into the protocol's types, so that what the agent
// answers can be compared with what iproute2 reads from the same namespace.
import assert from 'node:assert/strict';
import { Code as status } from '../../src/common/status';
import { RpcError } from '../../src/client/grpc-unary';
import type { Interface, Route } from '../../src/generated/types';
import type { ScratchNetns } from '../helpers/netns';

interface IpAddrJson {
  ifname: string;
  mtu: number;
  address?: string;
  flags: string[];
  addr_info: { family: string; local: string; prefixlen: number }[];
}

interface IpRouteJson {
  dst: string;
  gateway?: string;
  dev?: string;
  prefsrc?: string;
  scope?: string;
}

/** Links with their addresses as ListInterfaces reports them (device/pciPath/type/raw_flags left out). */
export async function interfacesFromIp(ns: ScratchNetns): Promise<Partial<Interface>[]> {
  const links = await ns.ipJson<IpAddrJson[]>('addr', 'show');
  return links.map((l) => ({
    name: l.ifname,
    mtu: BigInt(l.mtu),
    // Links without a hardware address (lo) are reported as "".
    hwAddr: !l.address || /^(00:)*00$/.test(l.address) ? '' : l.address,
    IPAddresses: l.addr_info.map((a) => ({
      family: a.family === 'inet' ? 0 : 1,
      address: a.local,
      mask: String(a.prefixlen),
    })),
  }));
}

export function withoutKernelDetails(i: Interface): Partial<Interface> {
  return { name: i.name, mtu: i.mtu, hwAddr: i.hwAddr, IPAddresses: i.IPAddresses };
}

/**
 * Without IPv6 link-local addresses: the kernel adds those a moment after a
 * link gets its carrier (linkwatch runs asynchronously), so with links up
 * they may appear between two reads.
 */
export function withoutLinkLocal(i: Partial<Interface>): Partial<Interface> {
  return { ...i, IPAddresses: i.IPAddresses?.filter((a) => !a.address.startsWith('fe80:')) };
}

/** The main table, IPv4 then IPv6, as ListRoutes reports it. */
export async function routesFromIp(ns: ScratchNetns): Promise<Route[]> {
  const v4 = await ns.ipJson<IpRouteJson[]>('-4', 'route', 'show', 'table', 'main');
  const v6 = await ns.ipJson<IpRouteJson[]>('-6', 'route', 'show', 'table', 'main');
  return [...v4, ...v6].map((r) => ({
    // ip prints host routes without their /32 or /128; the protocol keeps it.
    dest:
      r.dst === 'default' ? '' : r.dst.includes('/') ? r.dst : `${r.dst}/${r.dst.includes(':') ? 128 : 32}`,
    gateway: r.gateway ?? '',
    device: r.dev ?? '',
    source: r.prefsrc ?? '',
    scope: Number(r.scope ?? 0),
  }));
}

/** Awaits a call that must fail with `code` and a message matching `message`. */
export async function rejectsWith(call: Promise<unknown>, code: status, message: RegExp): Promise<void> {
  await assert.rejects(call, (err: unknown) => {
    assert.ok(err instanceof RpcError, `expected an RpcError, got ${String(err)}`);
    assert.equal(status[err.code], status[code], err.message);
    assert.match(err.details, message);
    return true;
  });
}
