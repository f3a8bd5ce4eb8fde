// UpdateRoutes and ListRoutes over the main routing table.
import type { Route } from '../generated/types';
import { notFound } from '../common/errors';
import { isErrno, kernelRefusal } from './errors';
import { formatCidr, formatIp } from './ip';
import { RT_TABLE_MAIN, RTM_F_CLONED, RTN_UNICAST, RTPROT_BOOT, RTPROT_KERNEL } from './netlink/constants';
import type { LinkMessage } from './netlink/link';
import type { RouteMessage, RouteSpec } from './netlink/route';
import type { Rtnetlink } from './netlink/rtnetlink';
import type { RouteRequest } from './requests';

/** Main-table routes the kernel did not clone, in dump order (IPv4 first). */
async function mainRoutes(rtnl: Rtnetlink): Promise<RouteMessage[]> {
  return (await rtnl.routes()).filter((r) => r.table === RT_TABLE_MAIN && (r.flags & RTM_F_CLONED) === 0);
}

function describe(r: RouteMessage, names: Map<number, string>): Route {
  // A multipath route shows its first hop, so that no route is hidden.
  const oif = r.oif ?? r.nexthops[0]?.oif;
  const gateway = r.gateway ?? r.nexthops[0]?.gateway;
  return {
    dest: r.dst && r.dstLength > 0 ? formatCidr(r.dst, r.dstLength) : '',
    gateway: gateway ? formatIp(gateway) : '',
    device: oif !== undefined ? (names.get(oif) ?? '') : '',
    source: r.prefsrc ? formatIp(r.prefsrc) : '',
    scope: r.scope,
  };
}

function linkNames(links: readonly LinkMessage[]): Map<number, string> {
  return new Map(links.map((l) => [l.index, l.name]));
}

/** The main table as the protocol shows it, kernel prefix routes included. */
export async function listRoutes(rtnl: Rtnetlink): Promise<Route[]> {
  const names = linkNames(await rtnl.links());
  return (await mainRoutes(rtnl)).map((r) => describe(r, names));
}

/** A dumped route as a delete request that matches exactly that route. */
function deletionOf(r: RouteMessage): RouteSpec {
  return {
    family: r.family,
    dst: r.dst,
    dstLength: r.dstLength,
    tos: r.tos,
    table: r.table,
    protocol: r.protocol,
    scope: r.scope,
    type: r.type,
    gateway: r.gateway,
    oif: r.oif,
    priority: r.priority,
  };
}

function specOf(req: RouteRequest, oif: number): RouteSpec {
  return {
    family: req.family,
    dst: req.dst?.bytes,
    dstLength: req.dst?.prefixLength ?? 0,
    table: RT_TABLE_MAIN,
    protocol: RTPROT_BOOT,
    scope: req.scope,
    type: RTN_UNICAST,
    gateway: req.gateway?.bytes,
    prefsrc: req.source?.bytes,
    oif,
  };
}

/**
 * Makes the main table hold the requested routes: every route that is not the
 * kernel's own (prefix routes of addresses) and not on lo is removed, then the
 * requested routes are added, those without a gateway first so that gateways
 * are reachable when their routes arrive. Returns the resulting table.
 */
export async function updateRoutes(rtnl: Rtnetlink, requests: readonly RouteRequest[]): Promise<Route[]> {
  const links = await rtnl.links();
  const byName = new Map(links.map((l) => [l.name, l.index]));
  const loopback = byName.get('lo');
  // Every device must exist before anything is removed.
  for (const req of requests) {
    if (!byName.has(req.device)) {
      throw notFound(
        `route ${req.text}: device ${req.device} does not exist (links: ${[...byName.keys()].join(', ')}); ` +
          'UpdateInterface names a NIC before routes can use it',
      );
    }
  }

  const names = linkNames(links);
  for (const r of await mainRoutes(rtnl)) {
    if (r.protocol === RTPROT_KERNEL || (loopback !== undefined && r.oif === loopback)) continue;
    try {
      await rtnl.deleteRoute(deletionOf(r));
    } catch (e) {
      // Gone already, e.g. with the address or link it depended on.
      if (!isErrno(e, 'ESRCH') && !isErrno(e, 'ENOENT')) {
        const d = describe(r, names);
        throw kernelRefusal(`could not remove route dest(${d.dest})/gw(${d.gateway})/dev(${d.device})`, e);
      }
    }
  }

  const ordered = [...requests.filter((r) => !r.gateway), ...requests.filter((r) => r.gateway)];
  for (const req of ordered) {
    const spec = specOf(req, byName.get(req.device)!);
    try {
      await rtnl.addRoute(spec).catch((e) => {
        // The same key exists (typically the kernel's prefix route): the request wins.
        if (isErrno(e, 'EEXIST')) return rtnl.addRoute(spec, true);
        throw e;
      });
    } catch (e) {
      throw kernelRefusal(`could not add route ${req.text}`, e);
    }
  }
  return listRoutes(rtnl);
}
