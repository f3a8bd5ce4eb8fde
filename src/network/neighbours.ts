// AddARPNeighbors: static ARP (IPv4) and NDP (IPv6) entries.
import type { ARPNeighbor } from '../generated/types';
import { IPFamily } from '../generated/types';
import { notFound } from '../common/errors';
import { kernelRefusal } from './errors';
import { formatIp, formatMac } from './ip';
import { AF_INET } from './netlink/constants';
import type { Rtnetlink } from './netlink/rtnetlink';
import type { NeighbourRequest } from './requests';

/**
 * Adds each entry in order, with the requested NUD_* state and NTF_* flags.
 * An entry that already exists is refused (ALREADY_EXISTS); entries added
 * before a failure stay, as in 1.x.
 */
export async function addNeighbours(rtnl: Rtnetlink, requests: readonly NeighbourRequest[]): Promise<void> {
  const byName = new Map((await rtnl.links()).map((l) => [l.name, l.index]));
  for (const req of requests) {
    if (!byName.has(req.device)) throw notFound(`neighbour ${req.text}: device ${req.device} does not exist`);
  }
  for (const req of requests) {
    await rtnl
      .addNeighbour({
        family: req.ip.family,
        index: byName.get(req.device)!,
        state: req.state,
        flags: req.flags,
        dst: req.ip.bytes,
        lladdr: req.lladdr,
      })
      .catch((e) => {
        throw kernelRefusal(`could not add neighbour ${req.text}`, e);
      });
  }
}

/** Every neighbour entry with a destination, in the protocol's types. */
export async function listNeighbours(rtnl: Rtnetlink): Promise<ARPNeighbor[]> {
  const names = new Map((await rtnl.links()).map((l) => [l.index, l.name]));
  return (await rtnl.neighbours())
    .filter((n) => n.dst !== undefined)
    .map((n) => ({
      toIPAddress: {
        family: n.family === AF_INET ? IPFamily.v4 : IPFamily.v6,
        address: formatIp(n.dst!),
        mask: '',
      },
      device: names.get(n.index) ?? '',
      lladdr: formatMac(n.lladdr),
      state: n.state,
      flags: n.flags,
    }));
}
