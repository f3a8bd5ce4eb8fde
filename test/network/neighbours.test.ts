// AddARPNeighbors, and lo brought up as PID 1 does, in scratch namespaces.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { Code as status } from '../../src/common/status';
import { IPFamily, type ARPNeighbor } from '../../src/generated/types';
import { NTF_ROUTER, NUD_PERMANENT, NUD_STALE } from '../../src/network/netlink/constants';
import { ScratchNetns, withAgentInNetns } from '../helpers/netns';
import { rejectsWith } from './ip-json';

interface IpNeighJson {
  dst: string;
  dev: string;
  lladdr?: string;
  state: string[];
  /** ip prints flags as keys with a null value: present means set. */
  router?: null;
}

const neighbour = (n: Partial<ARPNeighbor> & { ip?: string }): ARPNeighbor => ({
  toIPAddress: n.ip === undefined ? undefined : { family: IPFamily.v4, address: n.ip, mask: '' },
  device: n.device ?? 'n0',
  lladdr: n.lladdr ?? '',
  state: n.state ?? NUD_PERMANENT,
  flags: n.flags ?? 0,
});

async function setUp(ns: ScratchNetns): Promise<void> {
  await ns.batch(['link add n0 type veth peer name n1', 'link set n1 up', 'link set n0 up']);
}

async function neighboursFromIp(ns: ScratchNetns): Promise<IpNeighJson[]> {
  const all = await ns.ipJson<IpNeighJson[]>('-d', 'neigh', 'show', 'nud', 'all');
  return all.filter((n) => !n.dst.startsWith('ff02:'));
}

test('AddARPNeighbors adds IPv4 and IPv6 entries with their state and flags', async () => {
  await withAgentInNetns(async (ns, agent) => {
    await setUp(ns);
    await agent.client.agent.addARPNeighbors({
      neighbors: {
        ARPNeighbors: [
          neighbour({ ip: '169.254.1.1', lladdr: '6a:92:3a:59:70:aa' }),
          { ...neighbour({ lladdr: '6A:92:3A:59:70:BB', flags: NTF_ROUTER }), toIPAddress: v6('fd00::9') },
          neighbour({ ip: '10.0.0.7', lladdr: '6a:92:3a:59:70:cc', state: NUD_STALE }),
        ],
      },
    });
    const byIp = new Map((await neighboursFromIp(ns)).map((n) => [n.dst, n]));
    assert.deepEqual(pick(byIp.get('169.254.1.1')), ['n0', '6a:92:3a:59:70:aa', ['PERMANENT'], false]);
    assert.deepEqual(pick(byIp.get('fd00::9')), ['n0', '6a:92:3a:59:70:bb', ['PERMANENT'], true]);
    assert.deepEqual(pick(byIp.get('10.0.0.7')), ['n0', '6a:92:3a:59:70:cc', ['STALE'], false]);
  });
});

function v6(address: string): ARPNeighbor['toIPAddress'] {
  return { family: IPFamily.v6, address, mask: '' };
}

function pick(n: IpNeighJson | undefined): unknown[] {
  assert.ok(n, 'entry present');
  return [n.dev, n.lladdr, n.state, 'router' in n];
}

test('AddARPNeighbors refuses bad entries (a missing IP no longer crashes the agent)', async () => {
  await withAgentInNetns(async (ns, agent) => {
    await setUp(ns);
    const add = (...entries: ARPNeighbor[]): Promise<unknown> =>
      agent.client.agent.addARPNeighbors({ neighbors: { ARPNeighbors: entries } });
    await rejectsWith(add(neighbour({})), status.INVALID_ARGUMENT, /neighbors\[0\]: toIPAddress is missing/);
    await rejectsWith(add(neighbour({ ip: '' })), status.INVALID_ARGUMENT, /toIPAddress is missing/);
    await rejectsWith(add(neighbour({ ip: '10.0.0.300' })), status.INVALID_ARGUMENT, /not an IP address/);
    await rejectsWith(
      add(neighbour({ ip: '10.0.0.1', lladdr: 'zz' })),
      status.INVALID_ARGUMENT,
      /lladdr "zz"/,
    );
    await rejectsWith(add(neighbour({ ip: '10.0.0.1', state: 0x10000 })), status.INVALID_ARGUMENT, /state/);
    await rejectsWith(add(neighbour({ ip: '10.0.0.1', flags: 256 })), status.INVALID_ARGUMENT, /flags/);
    await rejectsWith(add(neighbour({ ip: '10.0.0.1', device: 'nope0' })), status.NOT_FOUND, /nope0/);
    await rejectsWith(
      agent.client.agent.addARPNeighbors({ neighbors: undefined }),
      status.INVALID_ARGUMENT,
      /neighbors is missing/,
    );
    assert.deepEqual(await neighboursFromIp(ns), [], 'nothing was added');
    assert.ok(agent.alive());

    const entry = neighbour({ ip: '10.0.0.1', lladdr: '6a:92:3a:59:70:aa' });
    await add(entry);
    await rejectsWith(add(entry), status.ALREADY_EXISTS, /could not add neighbour 10\.0\.0\.1 .*File exists/);
  });
});

test('bringUpLoopback sets lo up and the kernel gives it its addresses', async () => {
  const ns = await ScratchNetns.create();
  try {
    const module = path.join(__dirname, '..', '..', 'src', 'network', 'loopback.js');
    const script = `require(${JSON.stringify(module)}).bringUpLoopback().catch((e) => { console.error(e); process.exit(1); })`;
    await ns.exec(process.execPath, ['-e', script]);
    const [lo] = await ns.ipJson<{ flags: string[]; addr_info: { local: string }[] }[]>('addr', 'show', 'lo');
    assert.ok(lo.flags.includes('UP'), lo.flags.join(','));
    assert.deepEqual(
      lo.addr_info.map((a) => a.local),
      ['127.0.0.1', '::1'],
    );
    await ns.exec(process.execPath, ['-e', script]);
  } finally {
    await ns.destroy();
  }
});
