// UpdateInterface and ListInterfaces against an agent running in a scratch
// network namespace, checked with `ip -j`.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Code as status } from '../../src/common/status';
import { IPFamily, type Interface } from '../../src/generated/types';
import { IFF_NOARP, IFF_UP } from '../../src/network/netlink/constants';
import { MAX_ADDRESSES, MAX_ROUTES } from '../../src/network/requests';
import { withAgentInNetns, type ScratchNetns } from '../helpers/netns';
import {
  interfacesFromIp,
  rejectsWith,
  routesFromIp,
  withoutKernelDetails,
  withoutLinkLocal,
} from './ip-json';

const MAC = '02:aa:00:00:00:01';

interface IpLinkJson {
  ifname: string;
  mtu: number;
  flags: string[];
  address: string;
  addr_info: { family: string; local: string; prefixlen: number; broadcast?: string; nodad?: boolean }[];
}

/** veth a0 (MAC above, with an old address) and its peer a1, both up so a0 has carrier. */
async function addVethPair(ns: ScratchNetns): Promise<void> {
  await ns.batch([
    `link add a0 address ${MAC} type veth peer name a1 address 02:aa:00:00:00:02`,
    'link set a1 up',
    'link set a0 up',
    'addr add 10.9.9.9/8 dev a0',
  ]);
}

async function linkByMac(ns: ScratchNetns, mac: string): Promise<IpLinkJson> {
  const links = await ns.ipJson<IpLinkJson[]>('addr', 'show');
  const link = links.find((l) => l.address === mac);
  assert.ok(link, `no link with ${mac} in ${JSON.stringify(links)}`);
  return link;
}

function request(overrides: Partial<Interface>): { interface: Interface } {
  return {
    interface: {
      device: 'eth0',
      name: 'eth0',
      IPAddresses: [],
      mtu: 1500n,
      hwAddr: MAC,
      pciPath: '',
      type: '',
      raw_flags: 0,
      ...overrides,
    },
  };
}

test('UpdateInterface renames, sets MTU, replaces addresses (v4 and v6), sets NOARP and brings the link up', async () => {
  await withAgentInNetns(async (ns, agent) => {
    await addVethPair(ns);
    const answer = await agent.client.agent.updateInterface(
      request({
        hwAddr: MAC.toUpperCase(),
        name: 'eth0',
        mtu: 1400n,
        IPAddresses: [
          { family: IPFamily.v4, address: '192.168.5.2', mask: '24' },
          { family: IPFamily.v6, address: 'fd00:5::2', mask: '64' },
        ],
        raw_flags: IFF_NOARP,
      }),
    );
    const link = await linkByMac(ns, MAC);
    assert.equal(link.ifname, 'eth0');
    assert.equal(link.mtu, 1400);
    assert.ok(link.flags.includes('UP') && link.flags.includes('NOARP'), link.flags.join(','));
    const global = link.addr_info.filter((a) => !a.local.startsWith('fe80'));
    assert.deepEqual(
      global.map((a) => [a.family, a.local, a.prefixlen]),
      [
        ['inet', '192.168.5.2', 24],
        ['inet6', 'fd00:5::2', 64],
      ],
      'the old 10.9.9.9/8 is gone',
    );
    assert.equal(global[0].broadcast, '192.168.5.255');
    assert.equal(global[1].nodad, true, 'IPv6 addresses skip duplicate address detection');

    // The answer is the link as the kernel now has it, plus the request's device name.
    const [fromIp] = (await interfacesFromIp(ns)).filter((i) => i.hwAddr === MAC);
    assert.deepEqual(withoutLinkLocal(withoutKernelDetails(answer)), withoutLinkLocal(fromIp));
    assert.equal(answer.device, 'eth0');
    assert.equal(answer.type, 'veth');
    assert.equal(answer.raw_flags & (IFF_UP | IFF_NOARP), IFF_UP | IFF_NOARP);
  });
});

test('a second UpdateInterface turns ARP back on and accepts a dotted netmask', async () => {
  await withAgentInNetns(async (ns, agent) => {
    await addVethPair(ns);
    await agent.client.agent.updateInterface(
      request({
        IPAddresses: [{ family: IPFamily.v4, address: '192.168.5.2', mask: '24' }],
        raw_flags: IFF_NOARP,
      }),
    );
    const answer = await agent.client.agent.updateInterface(
      request({
        IPAddresses: [{ family: IPFamily.v4, address: '172.16.1.1', mask: '255.255.0.0' }],
        raw_flags: 0,
      }),
    );
    const link = await linkByMac(ns, MAC);
    assert.ok(!link.flags.includes('NOARP'), link.flags.join(','));
    assert.deepEqual(
      link.addr_info.filter((a) => a.family === 'inet').map((a) => `${a.local}/${a.prefixlen}`),
      ['172.16.1.1/16'],
    );
    assert.equal(answer.raw_flags & IFF_NOARP, 0);
  });
});

test('UpdateInterface refuses bad requests clearly and leaves the link as it was', async () => {
  await withAgentInNetns(async (ns, agent) => {
    await addVethPair(ns);
    const before = await linkByMac(ns, MAC);
    const update = (o: Partial<Interface>): Promise<unknown> =>
      agent.client.agent.updateInterface(request(o));
    const v4 = (address: string, mask: string): Interface['IPAddresses'] => [
      { family: IPFamily.v4, address, mask },
    ];

    await rejectsWith(update({ hwAddr: '02:aa:00:00:00:99' }), status.NOT_FOUND, /02:aa:00:00:00:99/);
    await rejectsWith(update({ hwAddr: '' }), status.INVALID_ARGUMENT, /hwAddr is empty/);
    await rejectsWith(update({ hwAddr: 'not-a-mac' }), status.INVALID_ARGUMENT, /not a MAC address/);
    await rejectsWith(update({ IPAddresses: v4('300.1.1.1', '24') }), status.INVALID_ARGUMENT, /not an IP/);
    await rejectsWith(update({ IPAddresses: v4('10.0.0.1', '33') }), status.INVALID_ARGUMENT, /mask "33"/);
    await rejectsWith(update({ IPAddresses: v4('10.0.0.1', '') }), status.INVALID_ARGUMENT, /mask ""/);
    await rejectsWith(
      update({ IPAddresses: v4('10.0.0.1', '255.0.255.0') }),
      status.INVALID_ARGUMENT,
      /mask/,
    );
    await rejectsWith(
      update({ IPAddresses: [{ family: IPFamily.v6, address: 'fd00::zz', mask: '64' }] }),
      status.INVALID_ARGUMENT,
      /not an IP/,
    );
    await rejectsWith(update({ name: 'a/b' }), status.INVALID_ARGUMENT, /not a valid link name/);
    await rejectsWith(update({ name: 'x'.repeat(16) }), status.INVALID_ARGUMENT, /not a valid link name/);
    await rejectsWith(
      agent.client.agent.updateInterface({ interface: undefined }),
      status.INVALID_ARGUMENT,
      /interface is missing/,
    );
    const after = await linkByMac(ns, MAC);
    assert.deepEqual(after, before, 'nothing changed');
    assert.ok(agent.alive());
  });
});

test('one request is bounded, and Health answers promptly while a large one runs', async () => {
  await withAgentInNetns(async (ns, agent) => {
    await addVethPair(ns);
    const addresses = (n: number): Interface['IPAddresses'] =>
      Array.from({ length: n }, (_, i) => ({
        family: IPFamily.v4,
        address: `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`,
        mask: '8',
      }));
    await rejectsWith(
      agent.client.agent.updateInterface(request({ IPAddresses: addresses(MAX_ADDRESSES + 1) })),
      status.INVALID_ARGUMENT,
      /IPAddresses: 1025 entries, at most 1024/,
    );
    await rejectsWith(
      agent.client.agent.updateRoutes({
        routes: {
          Routes: Array.from({ length: MAX_ROUTES + 1 }, () => ({
            dest: '',
            gateway: '',
            device: 'a0',
            source: '',
            scope: 0,
          })),
        },
      }),
      status.INVALID_ARGUMENT,
      /routes: 1025 entries/,
    );
    // Duplicates cost nothing: the answer has the one address.
    const same = Array.from({ length: MAX_ADDRESSES }, () => ({
      family: IPFamily.v4,
      address: '10.7.7.7',
      mask: '8',
    }));
    const answer = await agent.client.agent.updateInterface(request({ IPAddresses: same }));
    assert.equal(answer.IPAddresses.filter((a) => a.address === '10.7.7.7').length, 1);

    let slowest = 0;
    let running = true;
    const probing = (async () => {
      while (running) {
        const started = Date.now();
        await agent.client.health.check({ service: '' });
        slowest = Math.max(slowest, Date.now() - started);
        await new Promise((r) => setTimeout(r, 10));
      }
    })();
    try {
      await agent.client.agent.updateInterface(request({ IPAddresses: addresses(MAX_ADDRESSES) }));
    } finally {
      running = false;
      await probing;
    }
    assert.ok(slowest < 500, `Health.Check took ${slowest} ms while UpdateInterface ran`);
  });
});

test('kernel refusals carry the errno text, and the link is still brought up', async () => {
  await withAgentInNetns(async (ns, agent) => {
    await addVethPair(ns);
    const update = (o: Partial<Interface>): Promise<unknown> =>
      agent.client.agent.updateInterface(request(o));
    await rejectsWith(
      update({ mtu: 1_000_000n }),
      status.INVALID_ARGUMENT,
      /MTU .*Invalid argument \(EINVAL\)/,
    );
    let link = await linkByMac(ns, MAC);
    assert.ok(link.flags.includes('UP'), 'brought up after the failure');
    assert.equal(link.ifname, 'eth0', 'the rename before the failure stays');

    await rejectsWith(update({ name: 'a1' }), status.ALREADY_EXISTS, /rename .*File exists \(EEXIST\)/);
    link = await linkByMac(ns, MAC);
    assert.equal(link.ifname, 'eth0');
    assert.ok(link.flags.includes('UP'));
  });
});

test('ListInterfaces reports every link, lo included, with addresses in kernel order', async () => {
  await withAgentInNetns(async (ns, agent) => {
    await addVethPair(ns);
    await ns.batch([
      'addr add 10.9.9.10/8 dev a0',
      'addr add fd00:9::1/64 dev a0 nodad',
      'addr add 192.168.77.1/24 dev a1',
      'link add br0 type bridge',
    ]);
    const { Interfaces } = await agent.client.agent.listInterfaces({});
    assert.deepEqual(
      Interfaces.map((i) => withoutLinkLocal(withoutKernelDetails(i))),
      (await interfacesFromIp(ns)).map(withoutLinkLocal),
    );
    assert.equal(Interfaces[0].name, 'lo');
    assert.equal(Interfaces[0].hwAddr, '', 'lo has no hardware address, as 1.x answered');
    assert.deepEqual(
      Interfaces.map((i) => i.type),
      ['', 'veth', 'veth', 'bridge'],
    );
  });
});

test('ListInterfaces reads a dump that spans many datagrams', async () => {
  await withAgentInNetns(async (ns, agent) => {
    const lines: string[] = [];
    for (let i = 0; i < 40; i++) {
      lines.push(`link add m${i} type veth peer name p${i}`, `addr add 10.${i}.0.1/24 dev m${i}`);
      lines.push(`addr add fd00:${i}::1/64 dev m${i} nodad`);
    }
    await ns.batch(lines);
    const { Interfaces } = await agent.client.agent.listInterfaces({});
    assert.equal(Interfaces.length, 81);
    assert.deepEqual(Interfaces.map(withoutKernelDetails), await interfacesFromIp(ns));
  });
});

test('concurrent calls are answered correctly, one netlink exchange at a time', async () => {
  await withAgentInNetns(async (ns, agent) => {
    // Links stay down so that no IPv6 link-local address appears while the calls run.
    await ns.batch([
      `link add a0 address ${MAC} type veth peer name a1`,
      'link set lo up',
      'addr add 10.9.9.9/8 dev a0',
    ]);
    const expectedInterfaces = await interfacesFromIp(ns);
    const expectedRoutes = await routesFromIp(ns);
    const calls = Array.from({ length: 20 }, (_, i) =>
      i % 2 ? agent.client.agent.listInterfaces({}) : agent.client.agent.listRoutes({}),
    );
    const answers = await Promise.all(calls);
    answers.forEach((a, i) => {
      if ('Interfaces' in a)
        assert.deepEqual(a.Interfaces.map(withoutKernelDetails), expectedInterfaces, `call ${i}`);
      else assert.deepEqual(a.Routes, expectedRoutes, `call ${i}`);
    });
  });
});
