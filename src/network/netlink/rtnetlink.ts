// Typed rtnetlink requests: dumps decoded into messages, changes encoded
// from specs. Every change is acknowledged (the socket sets NLM_F_ACK).
import { AF_UNSPEC } from './constants';
import {
  NLM_F_CREATE,
  NLM_F_EXCL,
  NLM_F_REPLACE,
  RTM_DELADDR,
  RTM_DELNEIGH,
  RTM_DELROUTE,
  RTM_GETADDR,
  RTM_GETLINK,
  RTM_GETNEIGH,
  RTM_GETROUTE,
  RTM_NEWADDR,
  RTM_NEWLINK,
  RTM_NEWNEIGH,
  RTM_NEWROUTE,
} from './constants';
import {
  decodeAddress,
  encodeAddress,
  encodeAddressDump,
  type AddressMessage,
  type AddressSpec,
} from './address';
import { decodeLink, encodeLinkChange, encodeLinkDump, type LinkChange, type LinkMessage } from './link';
import type { NetlinkMessage } from './message';
import {
  decodeNeighbour,
  encodeNeighbour,
  encodeNeighbourDump,
  type NeighbourMessage,
  type NeighbourSpec,
} from './neighbour';
import { decodeRoute, encodeRoute, encodeRouteDump, type RouteMessage, type RouteSpec } from './route';

/** What rtnetlink needs from a socket; NetlinkSocket provides it. */
interface NetlinkChannel {
  change(type: number, flags: number, body: Buffer): Promise<void>;
  dump(type: number, body: Buffer): Promise<NetlinkMessage[]>;
}

function only<T>(messages: NetlinkMessage[], type: number, decode: (payload: Buffer) => T): T[] {
  return messages.filter((m) => m.type === type).map((m) => decode(m.payload));
}

export class Rtnetlink {
  constructor(private readonly channel: NetlinkChannel) {}

  async links(): Promise<LinkMessage[]> {
    return only(await this.channel.dump(RTM_GETLINK, encodeLinkDump()), RTM_NEWLINK, decodeLink);
  }

  changeLink(change: LinkChange): Promise<void> {
    return this.channel.change(RTM_NEWLINK, 0, encodeLinkChange(change));
  }

  async addresses(family: number = AF_UNSPEC): Promise<AddressMessage[]> {
    return only(await this.channel.dump(RTM_GETADDR, encodeAddressDump(family)), RTM_NEWADDR, decodeAddress);
  }

  addAddress(spec: AddressSpec): Promise<void> {
    return this.channel.change(RTM_NEWADDR, NLM_F_CREATE | NLM_F_EXCL, encodeAddress(spec));
  }

  deleteAddress(spec: AddressSpec): Promise<void> {
    return this.channel.change(RTM_DELADDR, 0, encodeAddress(spec));
  }

  async routes(family: number = AF_UNSPEC): Promise<RouteMessage[]> {
    return only(await this.channel.dump(RTM_GETROUTE, encodeRouteDump(family)), RTM_NEWROUTE, decodeRoute);
  }

  /** Adds a route; with `replace`, an existing route with the same key is replaced instead of refused. */
  addRoute(spec: RouteSpec, replace = false): Promise<void> {
    const flags = NLM_F_CREATE | (replace ? NLM_F_REPLACE : NLM_F_EXCL);
    return this.channel.change(RTM_NEWROUTE, flags, encodeRoute(spec));
  }

  deleteRoute(spec: RouteSpec): Promise<void> {
    return this.channel.change(RTM_DELROUTE, 0, encodeRoute(spec));
  }

  async neighbours(family: number = AF_UNSPEC): Promise<NeighbourMessage[]> {
    return only(
      await this.channel.dump(RTM_GETNEIGH, encodeNeighbourDump(family)),
      RTM_NEWNEIGH,
      decodeNeighbour,
    );
  }

  addNeighbour(spec: NeighbourSpec): Promise<void> {
    return this.channel.change(RTM_NEWNEIGH, NLM_F_CREATE | NLM_F_EXCL, encodeNeighbour(spec));
  }

  deleteNeighbour(spec: NeighbourSpec): Promise<void> {
    return this.channel.change(RTM_DELNEIGH, 0, encodeNeighbour(spec));
  }
}
