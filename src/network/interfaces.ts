// UpdateInterface and ListInterfaces: links and their addresses in the
// protocol's types.
import { IPFamily, type Interface } from '../generated/types';
import { notFound } from '../common/errors';
import { isErrno, kernelRefusal } from './errors';
import { broadcastOf, formatIp, formatMac, type IpPrefix } from './ip';
import type { AddressMessage } from './netlink/address';
import {
  AF_INET,
  IFA_F_NODAD,
  IFF_NOARP,
  IFF_UP,
  RT_SCOPE_HOST,
  RT_SCOPE_UNIVERSE,
} from './netlink/constants';
import type { LinkMessage } from './netlink/link';
import type { Rtnetlink } from './netlink/rtnetlink';
import type { InterfaceRequest } from './requests';

/** A link as the protocol shows it; `device` and `pciPath` are the host's names, unknown here. */
function describeLink(link: LinkMessage, addresses: readonly AddressMessage[]): Interface {
  return {
    device: '',
    name: link.name,
    IPAddresses: addresses
      .filter((a) => a.index === link.index)
      .map((a) => ({
        family: a.family === AF_INET ? IPFamily.v4 : IPFamily.v6,
        address: formatIp(a.local),
        mask: String(a.prefixLength),
      })),
    mtu: BigInt(link.mtu),
    hwAddr: linkHardwareAddress(link.address),
    pciPath: '',
    type: link.kind ?? '',
    raw_flags: link.flags,
  };
}

/** Every link in kernel order (lo included) with its addresses. */
export async function listInterfaces(rtnl: Rtnetlink): Promise<Interface[]> {
  const links = await rtnl.links();
  const addresses = await rtnl.addresses();
  return links.map((l) => describeLink(l, addresses));
}

/** Names the MAC, what the guest has instead, and the usual reasons (the NIC or its driver missing). */
function noDeviceWithMac(hwAddr: Buffer, links: readonly LinkMessage[]): string {
  const others = links
    .filter((l) => l.address?.some((b) => b !== 0))
    .map((l) => `${l.name} ${formatMac(l.address as Buffer)}`);
  const has = others.length ? `the guest has ${others.join(', ')}` : 'the guest has no network device but lo';
  return (
    `no network device with MAC ${formatMac(hwAddr)} (${has}); ` +
    'is the NIC plugged in, and its driver (virtio_net) in the image?'
  );
}

function isLoopbackAddress(a: IpPrefix): boolean {
  return a.family === AF_INET ? a.bytes[0] === 127 : a.bytes.equals(Buffer.from('0'.repeat(31) + '1', 'hex'));
}

/**
 * Makes the link with the request's hwAddr carry exactly the requested name,
 * MTU, addresses and ARP setting, then brings it up. The link is brought up
 * even when a step fails (as 1.x does), so a bad request never leaves it down.
 */
export async function updateInterface(rtnl: Rtnetlink, req: InterfaceRequest): Promise<Interface> {
  const links = await rtnl.links();
  const link = links.find((l) => l.address?.equals(req.hwAddr));
  if (!link) throw notFound(noDeviceWithMac(req.hwAddr, links));
  const index = link.index;
  let label = link.name;
  let failure: unknown;
  try {
    if (link.flags & IFF_UP) {
      await rtnl.changeLink({ index, flags: 0, flagMask: IFF_UP }).catch((e) => {
        throw kernelRefusal(`could not set link ${label} down`, e);
      });
    }
    if (req.name !== undefined && req.name !== link.name) {
      await rtnl.changeLink({ index, name: req.name }).catch((e) => {
        throw kernelRefusal(`could not rename link ${label} to ${req.name}`, e);
      });
      label = req.name;
    }
    if (req.mtu !== undefined && req.mtu !== link.mtu) {
      await rtnl.changeLink({ index, mtu: req.mtu }).catch((e) => {
        throw kernelRefusal(`could not set the MTU of link ${label} to ${req.mtu}`, e);
      });
    }
    await replaceAddresses(rtnl, index, label, req.addresses);
  } catch (e) {
    failure = e;
  }
  const flags = IFF_UP | (req.noArp ? IFF_NOARP : 0);
  try {
    await rtnl.changeLink({ index, flags, flagMask: IFF_UP | IFF_NOARP });
  } catch (e) {
    failure ??= kernelRefusal(`could not set link ${label} up`, e);
  }
  if (failure) throw failure;
  const now = (await rtnl.links()).find((l) => l.index === index);
  if (!now) throw notFound(`link ${label} disappeared while it was being configured`);
  return { ...describeLink(now, await rtnl.addresses()), device: req.device, pciPath: req.pciPath };
}

async function replaceAddresses(
  rtnl: Rtnetlink,
  index: number,
  label: string,
  wanted: IpPrefix[],
): Promise<void> {
  for (const a of (await rtnl.addresses()).filter((x) => x.index === index)) {
    const spec = { family: a.family, prefixLength: a.prefixLength, index, local: a.local };
    try {
      await rtnl.deleteAddress(spec);
    } catch (e) {
      // Removing an IPv4 primary address takes its secondaries with it.
      if (!isErrno(e, 'EADDRNOTAVAIL')) {
        throw kernelRefusal(`could not remove ${formatIp(a.local)}/${a.prefixLength} from link ${label}`, e);
      }
    }
  }
  for (const a of wanted) {
    const v4 = a.family === AF_INET;
    await rtnl
      .addAddress({
        family: a.family,
        prefixLength: a.prefixLength,
        index,
        local: a.bytes,
        scope: isLoopbackAddress(a) ? RT_SCOPE_HOST : RT_SCOPE_UNIVERSE,
        // Broadcast as 1.x set it; IPv6 skips duplicate address detection so it is usable at once.
        broadcast: v4 && a.prefixLength < 31 ? broadcastOf(a.bytes, a.prefixLength) : undefined,
        flags: v4 ? 0 : IFA_F_NODAD,
      })
      .catch((e) => {
        throw kernelRefusal(`could not add ${formatIp(a.bytes)}/${a.prefixLength} to link ${label}`, e);
      });
  }
}

/**
 * A link's MAC as ListInterfaces reports it. Links without one (lo, tunnels)
 * are "", as the 1.x agent answered: the host compares these strings.
 */
function linkHardwareAddress(address: Buffer | undefined): string {
  return address && address.some((b) => b !== 0) ? formatMac(address) : '';
}
