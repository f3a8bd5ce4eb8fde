// The network module: one rtnetlink socket, opened on first use, and one
// operation at a time so that an UpdateRoutes never interleaves with an
// UpdateInterface that is renaming or readdressing the same links.
import type { ARPNeighbor, Interface, Route } from '../generated/types';
import { Mutex } from '../common/mutex';
import { listInterfaces, updateInterface } from './interfaces';
import { bringUpLoopback } from './loopback';
import { addNeighbours, listNeighbours } from './neighbours';
import { NetlinkSocket, type NetlinkSocketOptions } from './netlink/socket';
import { Rtnetlink } from './netlink/rtnetlink';
import type { InterfaceRequest, NeighbourRequest, RouteRequest } from './requests';
import { listRoutes, updateRoutes } from './routes';

export class NetworkService {
  private readonly socket: NetlinkSocket;
  private readonly rtnl: Rtnetlink;
  private readonly lock = new Mutex();

  constructor(options: NetlinkSocketOptions = {}) {
    this.socket = new NetlinkSocket(options);
    this.rtnl = new Rtnetlink(this.socket);
  }

  updateInterface(req: InterfaceRequest): Promise<Interface> {
    return this.exclusive(() => updateInterface(this.rtnl, req));
  }

  listInterfaces(): Promise<Interface[]> {
    return this.exclusive(() => listInterfaces(this.rtnl));
  }

  updateRoutes(requests: readonly RouteRequest[]): Promise<Route[]> {
    return this.exclusive(() => updateRoutes(this.rtnl, requests));
  }

  listRoutes(): Promise<Route[]> {
    return this.exclusive(() => listRoutes(this.rtnl));
  }

  addNeighbours(requests: readonly NeighbourRequest[]): Promise<void> {
    return this.exclusive(() => addNeighbours(this.rtnl, requests));
  }

  listNeighbours(): Promise<ARPNeighbor[]> {
    return this.exclusive(() => listNeighbours(this.rtnl));
  }

  bringUpLoopback(): Promise<void> {
    return this.exclusive(() => bringUpLoopback(this.rtnl));
  }

  /** Waits for running operations, then closes the socket. */
  async close(): Promise<void> {
    await this.lock.idle();
    await this.socket.close();
  }

  private exclusive<T>(work: () => Promise<T>): Promise<T> {
    return this.lock.run(work);
  }
}
