// UpdateInterface, UpdateRoutes, ListInterfaces, ListRoutes, AddARPNeighbors:
// check the request, then let the network module change the kernel's tables.
import type { NetworkService } from '../../network/service';
import {
  MAX_NEIGHBOURS,
  MAX_ROUTES,
  checkCount,
  parseInterfaceRequest,
  parseNeighbourRequest,
  parseRouteRequest,
} from '../../network/requests';
import type { AgentHandlers } from '../types';
import { requireField } from '../validate';

interface NetworkHandlerOptions {
  network: NetworkService;
}

type NetworkHandlers = Pick<
  AgentHandlers,
  'updateInterface' | 'updateRoutes' | 'listInterfaces' | 'listRoutes' | 'addARPNeighbors'
>;

export function networkHandlers({ network }: NetworkHandlerOptions): NetworkHandlers {
  return {
    async updateInterface(request) {
      const wanted = parseInterfaceRequest(requireField(request.interface, 'interface'));
      return network.updateInterface(wanted);
    },
    async updateRoutes(request) {
      const { Routes } = requireField(request.routes, 'routes');
      checkCount(Routes.length, MAX_ROUTES, 'routes');
      const routes = Routes.map(parseRouteRequest);
      return { Routes: await network.updateRoutes(routes) };
    },
    async listInterfaces() {
      return { Interfaces: await network.listInterfaces() };
    },
    async listRoutes() {
      return { Routes: await network.listRoutes() };
    },
    async addARPNeighbors(request) {
      const { ARPNeighbors } = requireField(request.neighbors, 'neighbors');
      checkCount(ARPNeighbors.length, MAX_NEIGHBOURS, 'neighbors');
      const neighbours = ARPNeighbors.map(parseNeighbourRequest);
      await network.addNeighbours(neighbours);
      return {};
    },
  };
}
