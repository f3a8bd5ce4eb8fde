// Request parsing that needs no kernel: what is accepted, how it is read, and
// what is refused before anything changes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Code as status } from '../../src/common/status';
import { IPFamily, type Interface, type Route } from '../../src/generated/types';
import { AgentError } from '../../src/common/errors';
import { AF_INET, AF_INET6, IFF_NOARP, IFF_PROMISC } from '../../src/network/netlink/constants';
import { formatIp } from '../../src/network/ip';
import {
  isValidLinkName,
  parseInterfaceRequest,
  parseNeighbourRequest,
  parseRouteRequest,
} from '../../src/network/requests';

const iface = (o: Partial<Interface>): Interface => ({
  device: '',
  name: '',
  IPAddresses: [],
  mtu: 0n,
  hwAddr: '02:00:00:00:00:01',
  pciPath: '',
  type: '',
  raw_flags: 0,
  ...o,
});
const route = (o: Partial<Route>): Route => ({
  dest: '',
  gateway: '',
  device: 'eth0',
  source: '',
  scope: 0,
  ...o,
});

function invalid(fn: () => unknown, message: RegExp): void {
  assert.throws(
    fn,
    (e: unknown) => e instanceof AgentError && e.code === status.INVALID_ARGUMENT && message.test(e.message),
  );
}

test('an interface request: empty name and zero MTU keep the current ones; duplicates are dropped', () => {
  const r = parseInterfaceRequest(
    iface({
      IPAddresses: [
        { family: IPFamily.v4, address: '10.0.0.5', mask: '24' },
        { family: IPFamily.v4, address: '10.0.0.5', mask: '24' },
        // The family field is not trusted: the address decides.
        { family: IPFamily.v4, address: 'fd00::5', mask: '64' },
      ],
      raw_flags: IFF_NOARP | IFF_PROMISC,
    }),
  );
  assert.equal(r.name, undefined);
  assert.equal(r.mtu, undefined);
  assert.equal(r.noArp, true);
  assert.deepEqual(
    r.addresses.map((a) => [a.family, formatIp(a.bytes), a.prefixLength]),
    [
      [AF_INET, '10.0.0.5', 24],
      [AF_INET6, 'fd00::5', 64],
    ],
    'host bits are kept for addresses',
  );
  assert.equal(parseInterfaceRequest(iface({ raw_flags: IFF_PROMISC })).noArp, false);
});

test('interface requests that are refused', () => {
  invalid(() => parseInterfaceRequest(iface({ mtu: -1n })), /mtu -1/);
  invalid(() => parseInterfaceRequest(iface({ mtu: 2n ** 32n })), /mtu/);
  invalid(() => parseInterfaceRequest(iface({ hwAddr: '02:00:00:00:00' })), /not a MAC/);
  invalid(() => parseInterfaceRequest(iface({ name: 'eth 0' })), /link name/);
  invalid(
    () =>
      parseInterfaceRequest(
        iface({ IPAddresses: [{ family: IPFamily.v6, address: 'fd00::1', mask: '255.255.0.0' }] }),
      ),
    /IPAddresses\[0\]: mask "255.255.0.0"/,
  );
});

test('link names follow the kernel rules', () => {
  for (const good of ['eth0', 'x', 'a'.repeat(15), 'veth-1_2.3']) assert.ok(isValidLinkName(good), good);
  for (const bad of ['', '.', '..', 'a'.repeat(16), 'a/b', 'a:b', 'a b', 'a\tb'])
    assert.ok(!isValidLinkName(bad), bad);
});

test('route requests: the family comes from whichever address is given', () => {
  assert.equal(parseRouteRequest(route({}), 0).family, AF_INET, 'a bare device route is IPv4 as in 1.x');
  assert.equal(parseRouteRequest(route({ gateway: 'fd00::1' }), 0).family, AF_INET6);
  assert.equal(parseRouteRequest(route({ source: 'fd00::2' }), 0).family, AF_INET6);
  const r = parseRouteRequest(route({ dest: '10.1.2.3/16', source: '10.1.0.1', scope: 253 }), 0);
  assert.deepEqual([formatIp(r.dst!.bytes), r.dst!.prefixLength, r.scope], ['10.1.0.0', 16, 253]);
  assert.equal(parseRouteRequest(route({ dest: 'default' }), 0).dst, undefined);
  assert.equal(parseRouteRequest(route({ dest: '::/0' }), 0).dst?.prefixLength, 0);
  invalid(() => parseRouteRequest(route({ dest: '10.0.0.0/8', source: 'fd00::1' }), 3), /routes\[3\].*mixes/);
  invalid(() => parseRouteRequest(route({ scope: -1 }), 0), /scope -1/);
});

test('neighbour requests', () => {
  const n = parseNeighbourRequest(
    {
      toIPAddress: { family: IPFamily.v4, address: '10.0.0.1', mask: '' },
      device: 'eth0',
      lladdr: '',
      state: 0x80,
      flags: 0,
    },
    0,
  );
  assert.equal(n.lladdr, undefined, 'lladdr is optional');
  invalid(
    () =>
      parseNeighbourRequest({ toIPAddress: undefined, device: 'eth0', lladdr: '', state: 0x80, flags: 0 }, 2),
    /neighbors\[2\]: toIPAddress is missing/,
  );
  invalid(
    () =>
      parseNeighbourRequest(
        {
          toIPAddress: { family: IPFamily.v4, address: '10.0.0.1', mask: '' },
          device: '',
          lladdr: '',
          state: 0,
          flags: 0,
        },
        0,
      ),
    /device is empty/,
  );
});
