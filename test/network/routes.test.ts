// UpdateRoutes and ListRoutes against an agent in a scratch network
// namespace, checked with `ip -j route`.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Code as status } from '../../src/common/status';
import type { Route } from '../../src/generated/types';
import { withAgentInNetns, type ScratchNetns } from '../helpers/netns';
import { rejectsWith, routesFromIp } from './ip-json';

/**
 * veth r0 (192.168.0.2/16, fd00::2/64, fe80::2/64) with its peer up, and stale routes the
 * update must remove. The kernel's own link-local addresses are turned off: it adds them
 * asynchronously once a link has carrier, which would race with the comparisons; the
 * explicit fe80::2 gives r0 its fe80::/64 route at once.
 */
async function setUp(ns: ScratchNetns): Promise<void> {
  await ns.sysctl('net.ipv6.conf.default.addr_gen_mode', '1');
  await ns.batch([
    'link add r0 type veth peer name r1',
    'link set r1 up',
    'link set r0 up',
    'link set lo up',
    'addr add 192.168.0.2/16 dev r0',
    'addr add fd00::2/64 dev r0 nodad',
    'addr add fe80::2/64 dev r0 nodad',
    'route add 10.20.0.0/16 via 192.168.0.9',
    'route add fd00:20::/64 via fd00::9',
  ]);
}

const route = (r: Partial<Route>): Route => ({
  dest: '',
  gateway: '',
  device: 'r0',
  source: '',
  scope: 0,
  ...r,
});
const dests = (routes: Route[]): string[] => routes.map((r) => r.dest);

test('UpdateRoutes: a default route and the link route it needs; stale routes go, kernel routes stay', async () => {
  await withAgentInNetns(async (ns, agent) => {
    await setUp(ns);
    const { Routes } = await agent.client.agent.updateRoutes({
      routes: {
        Routes: [
          route({ dest: 'default', gateway: '192.168.0.1' }),
          route({ dest: '192.168.0.0/16', source: '192.168.0.2', scope: 253 }),
        ],
      },
    });
    const now = await routesFromIp(ns);
    assert.deepEqual(Routes, now, 'the answer is the table as it now is');
    assert.ok(
      !dests(now).includes('10.20.0.0/16') && !dests(now).includes('fd00:20::/64'),
      'stale routes removed',
    );
    assert.deepEqual(
      now.find((r) => r.dest === ''),
      route({ gateway: '192.168.0.1' }),
    );
    assert.deepEqual(
      now.find((r) => r.dest === '192.168.0.0/16'),
      route({ dest: '192.168.0.0/16', source: '192.168.0.2', scope: 253 }),
    );
    assert.ok(
      dests(now).includes('fd00::/64') && dests(now).includes('fe80::/64'),
      'kernel IPv6 routes stay',
    );
    const proto = await ns.ipJson<{ dst: string; protocol?: string }[]>('-d', 'route', 'show', 'default');
    assert.equal(proto[0].protocol, '3', 'added as protocol boot');
  });
});

test('UpdateRoutes adds routes without a gateway first, so a point-to-point gateway is reachable', async () => {
  await withAgentInNetns(async (ns, agent) => {
    await setUp(ns);
    const { Routes } = await agent.client.agent.updateRoutes({
      routes: {
        Routes: [
          route({ dest: '', gateway: '10.0.0.1' }),
          route({ dest: '172.30.0.0/16', gateway: '10.0.0.1' }),
          route({ dest: '10.0.0.1/32', scope: 253 }),
        ],
      },
    });
    assert.deepEqual(Routes, await routesFromIp(ns));
    assert.deepEqual(
      Routes.map((r) => `${r.dest} ${r.gateway}`),
      [' 10.0.0.1', '10.0.0.1/32 ', '172.30.0.0/16 10.0.0.1', '192.168.0.0/16 ', 'fd00::/64 ', 'fe80::/64 '],
    );
  });
});

test('a gateway behind a universe-scope route is unreachable: FAILED_PRECONDITION with the kernel text', async () => {
  await withAgentInNetns(async (ns, agent) => {
    await setUp(ns);
    await rejectsWith(
      agent.client.agent.updateRoutes({
        routes: { Routes: [route({ dest: '192.168.0.0/16' }), route({ dest: '', gateway: '192.168.0.1' })] },
      }),
      status.FAILED_PRECONDITION,
      /could not add route dest\(\)\/gw\(192\.168\.0\.1\)\/dev\(r0\): Network is unreachable \(ENETUNREACH\)/,
    );
    const { Routes } = await agent.client.agent.listRoutes({});
    assert.deepEqual(
      Routes[0],
      route({ dest: '192.168.0.0/16', source: '', scope: 0 }),
      'replaced kernel route',
    );
  });
});

test('UpdateRoutes with IPv6 prefix and gateway routes', async () => {
  await withAgentInNetns(async (ns, agent) => {
    await setUp(ns);
    const { Routes } = await agent.client.agent.updateRoutes({
      routes: {
        Routes: [
          route({ dest: '', gateway: 'fd00::1' }),
          route({ dest: 'fd00:1::/64', gateway: 'fd00::1' }),
          route({ dest: 'fd00:2::5/64' }),
        ],
      },
    });
    const now = await routesFromIp(ns);
    assert.deepEqual(Routes, now);
    assert.deepEqual(
      now.filter((r) => r.dest.includes(':') || r.gateway.includes(':')),
      [
        route({ dest: 'fd00::/64' }),
        route({ dest: 'fd00:1::/64', gateway: 'fd00::1' }),
        route({ dest: 'fd00:2::/64' }),
        route({ dest: 'fe80::/64' }),
        route({ dest: '', gateway: 'fd00::1' }),
      ],
    );
  });
});

test('an ipvlan-style default route: no gateway, link scope', async () => {
  await withAgentInNetns(async (ns, agent) => {
    await setUp(ns);
    const { Routes } = await agent.client.agent.updateRoutes({
      routes: { Routes: [route({ scope: 253 }), route({ dest: '10.1.2.0/24', scope: 253 })] },
    });
    assert.deepEqual(Routes, await routesFromIp(ns));
    assert.deepEqual(Routes[0], route({ scope: 253 }));
  });
});

test('an empty list removes every route but the kernel ones', async () => {
  await withAgentInNetns(async (ns, agent) => {
    await setUp(ns);
    const { Routes } = await agent.client.agent.updateRoutes({ routes: { Routes: [] } });
    assert.deepEqual(dests(Routes), ['192.168.0.0/16', 'fd00::/64', 'fe80::/64']);
    assert.deepEqual(Routes, await routesFromIp(ns));
  });
});

test('bad routes are refused before anything is removed', async () => {
  await withAgentInNetns(async (ns, agent) => {
    await setUp(ns);
    const before = await routesFromIp(ns);
    const update = (...routes: Partial<Route>[]): Promise<unknown> =>
      agent.client.agent.updateRoutes({ routes: { Routes: routes.map(route) } });
    await rejectsWith(
      update({ dest: '10.1.0.0/16' }, { dest: '10.2.0.0/16', device: 'eth9' }),
      status.NOT_FOUND,
      /device eth9 does not exist/,
    );
    await rejectsWith(update({ dest: '10.1.0.0' }), status.INVALID_ARGUMENT, /dest "10.1.0.0" is not/);
    await rejectsWith(update({ dest: 'garbage' }), status.INVALID_ARGUMENT, /dest "garbage"/);
    await rejectsWith(update({ dest: '10.1.0.0/16', gateway: '10.1' }), status.INVALID_ARGUMENT, /gateway/);
    await rejectsWith(update({ dest: '10.1.0.0/16', source: 'x' }), status.INVALID_ARGUMENT, /source "x"/);
    await rejectsWith(update({ dest: 'fd00:1::/64', gateway: '10.0.0.1' }), status.INVALID_ARGUMENT, /mixes/);
    await rejectsWith(update({ dest: '10.1.0.0/16', scope: 256 }), status.INVALID_ARGUMENT, /scope 256/);
    await rejectsWith(
      update({ dest: '10.1.0.0/16', device: '' }),
      status.INVALID_ARGUMENT,
      /device is empty/,
    );
    await rejectsWith(
      agent.client.agent.updateRoutes({ routes: undefined }),
      status.INVALID_ARGUMENT,
      /routes is missing/,
    );
    assert.deepEqual(await routesFromIp(ns), before);
    assert.ok(agent.alive());
  });
});

test('ListRoutes: IPv4 then IPv6 in kernel order, kernel routes and their sources included', async () => {
  await withAgentInNetns(async (ns, agent) => {
    await setUp(ns);
    await ns.batch(['route add default via 192.168.0.1', 'route add default via fd00::1']);
    const { Routes } = await agent.client.agent.listRoutes({});
    assert.deepEqual(Routes, await routesFromIp(ns));
    assert.deepEqual(
      Routes.map((r) => `${r.dest}|${r.gateway}|${r.source}|${r.scope}`),
      [
        '|192.168.0.1||0',
        '10.20.0.0/16|192.168.0.9||0',
        '192.168.0.0/16||192.168.0.2|253',
        'fd00::/64|||0',
        'fd00:20::/64|fd00::9||0',
        'fe80::/64|||0',
        '|fd00::1||0',
      ],
    );
  });
});

test('ListRoutes: two links on the same subnet each keep their kernel route', async () => {
  await withAgentInNetns(async (ns, agent) => {
    await ns.sysctl('net.ipv6.conf.default.addr_gen_mode', '1');
    await ns.batch([
      'link add s0 type veth peer name s1',
      'link set s0 up',
      'link set s1 up',
      'addr add 192.168.0.2/16 dev s0',
      'addr add 192.168.0.3/16 dev s1',
    ]);
    const { Routes } = await agent.client.agent.listRoutes({});
    const v4 = Routes.filter((r) => r.dest === '192.168.0.0/16');
    assert.deepEqual(
      v4.map((r) => `${r.device} ${r.source}`),
      ['s0 192.168.0.2', 's1 192.168.0.3'],
    );
    assert.deepEqual(Routes, await routesFromIp(ns));
  });
});

test('ListRoutes reads a routing table that spans many datagrams', async () => {
  await withAgentInNetns(async (ns, agent) => {
    await setUp(ns);
    const lines: string[] = [];
    for (let i = 0; i < 1500; i++)
      lines.push(`route add 10.${100 + (i >> 8)}.${i & 255}.0/24 via 192.168.0.1`);
    await ns.batch(lines);
    const { Routes } = await agent.client.agent.listRoutes({});
    assert.ok(Routes.length > 1500);
    assert.deepEqual(Routes, await routesFromIp(ns));
  });
});
