// rtnetlink message bodies: decoding messages the kernel sent (captured from a
// dump in a scratch namespace, little-endian) and encoding requests byte for byte.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { encodeNested, encodeString, encodeU32, encodeAttribute } from '../../src/network/netlink/attributes';
import { HOST_IS_LITTLE_ENDIAN } from '../../src/network/netlink/bytes';
import {
  AF_INET,
  AF_INET6,
  IFA_F_NODAD,
  IFA_F_PERMANENT,
  IFF_NOARP,
  IFF_UP,
  NUD_PERMANENT,
  RT_SCOPE_LINK,
  RT_TABLE_MAIN,
  RTN_UNICAST,
  RTPROT_BOOT,
  RTPROT_KERNEL,
} from '../../src/network/netlink/constants';
import { decodeAddress, encodeAddress } from '../../src/network/netlink/address';
import { decodeLink, encodeLinkChange, encodeLinkDump } from '../../src/network/netlink/link';
import { decodeMessages } from '../../src/network/netlink/message';
import { decodeNeighbour, encodeNeighbour } from '../../src/network/netlink/neighbour';
import { decodeRoute, encodeRoute } from '../../src/network/netlink/route';
import { formatCidr, formatIp, formatMac } from '../../src/network/ip';

const le = { skip: HOST_IS_LITTLE_ENDIAN ? false : 'fixtures are little-endian' };
const hex = (s: string): Buffer => Buffer.from(s.replace(/\s+/g, ''), 'hex');
const payloadOf = (s: string): Buffer => decodeMessages(hex(s))[0].payload;

const ROUTE_DEFAULT =
  '3400000018000200010000002a3e000002000000fe0300010000000008000f00fe00000008000500c0a80a010800040003000000';
const ROUTE_MULTIPATH =
  '5000000018000200010000002a3e000002100000fe0300010000000008000f00fe000000080001000a010000240009001000000003' +
  '00000008000500c0a80a07100000000300000008000500c0a80a08';
const ROUTE_KERNEL_V4 =
  '3c00000018000200010000002a3e000002180000fe02fd010000000008000f00fe00000008000100c0a80a0008000700c0a80a02' +
  '0800040003000000';
const ROUTE_KERNEL_V6 =
  '7400000018000200010000002a3e00000a400000fe0200010000000008000f00fe00000014000100fd0000000000000000000000' +
  '000000000800060000010000080004000300000024000c0000000000000000000000000000000000000000000000000000000000' +
  '000000000500140000000000';
const ADDRESS_V4 =
  '500000001400020001000000013e0000021880000300000008000100c0a80a0208000200c0a80a020a0003007665746830000000' +
  '080008008000000014000600ffffffffffffffff6340010063400100';
const ADDRESS_V6 =
  '480000001400020001000000013e00000a4082000300000014000100fd00000000000000000000000000000214000600ffffffff' +
  'ffffffff63400100634001000800080082000000';
const NEIGHBOUR_V4 =
  '4c0000001c00020001000000533e000002000000030000008000000108000100c0a80a010a0002006a923a5970aa000008000400' +
  '000000001400030034000000340000003400000000000000';

test('a gateway route from the kernel', le, () => {
  const r = decodeRoute(payloadOf(ROUTE_DEFAULT));
  assert.equal(r.family, AF_INET);
  assert.equal(r.dstLength, 0);
  assert.equal(r.dst, undefined);
  assert.equal(r.table, RT_TABLE_MAIN);
  assert.equal(r.protocol, RTPROT_BOOT);
  assert.equal(r.type, RTN_UNICAST);
  assert.equal(r.scope, 0);
  assert.equal(formatIp(r.gateway!), '192.168.10.1');
  assert.equal(r.oif, 3);
  assert.deepEqual(r.nexthops, []);
});

test('a kernel prefix route carries its scope and preferred source', le, () => {
  const r = decodeRoute(payloadOf(ROUTE_KERNEL_V4));
  assert.equal(formatCidr(r.dst!, r.dstLength), '192.168.10.0/24');
  assert.equal(r.protocol, RTPROT_KERNEL);
  assert.equal(r.scope, RT_SCOPE_LINK);
  assert.equal(formatIp(r.prefsrc!), '192.168.10.2');
  const v6 = decodeRoute(payloadOf(ROUTE_KERNEL_V6));
  assert.equal(v6.family, AF_INET6);
  assert.equal(formatCidr(v6.dst!, v6.dstLength), 'fd00::/64');
  assert.equal(v6.priority, 256);
  assert.equal(v6.oif, 3);
});

test('a multipath route lists its next hops', le, () => {
  const r = decodeRoute(payloadOf(ROUTE_MULTIPATH));
  assert.equal(formatCidr(r.dst!, r.dstLength), '10.1.0.0/16');
  assert.equal(r.oif, undefined);
  assert.deepEqual(
    r.nexthops.map((h) => [h.oif, formatIp(h.gateway!)]),
    [
      [3, '192.168.10.7'],
      [3, '192.168.10.8'],
    ],
  );
});

test('addresses from the kernel: IFA_FLAGS wins over the 8-bit header flags', le, () => {
  const v4 = decodeAddress(payloadOf(ADDRESS_V4));
  assert.deepEqual(
    [v4.family, formatIp(v4.local), v4.prefixLength, v4.index, v4.label, v4.flags, v4.peer],
    [AF_INET, '192.168.10.2', 24, 3, 'veth0', IFA_F_PERMANENT, undefined],
  );
  const v6 = decodeAddress(payloadOf(ADDRESS_V6));
  assert.deepEqual(
    [v6.family, formatIp(v6.local), v6.prefixLength, v6.flags],
    [AF_INET6, 'fd00::2', 64, IFA_F_PERMANENT | IFA_F_NODAD],
  );
});

test('a permanent ARP entry from the kernel', le, () => {
  const n = decodeNeighbour(payloadOf(NEIGHBOUR_V4));
  assert.deepEqual(
    [n.family, n.index, n.state, n.flags, formatIp(n.dst!), formatMac(n.lladdr)],
    [AF_INET, 3, NUD_PERMANENT, 0, '192.168.10.1', '6a:92:3a:59:70:aa'],
  );
});

test('a link message with a kind and an Ethernet address', le, () => {
  const payload = Buffer.concat([
    hex('00000100 03000000 43100100 00000000'),
    encodeString(3, 'veth0'),
    encodeU32(4, 1500),
    encodeAttribute(1, hex('020000000001')),
    encodeNested(18, [encodeString(1, 'veth')], false),
  ]);
  const link = decodeLink(payload);
  assert.deepEqual(
    [link.index, link.hardwareType, link.flags, link.name, link.mtu, formatMac(link.address), link.kind],
    [3, 1, 0x11043, 'veth0', 1500, '02:00:00:00:00:01', 'veth'],
  );
  assert.equal(decodeLink(hex('00000403 01000000 49000100 00000000')).address, undefined);
});

test('link requests: a dump that skips statistics, a change with a flag mask', le, () => {
  assert.deepEqual(encodeLinkDump(), hex('00000000 00000000 00000000 00000000 0800 1d00 08000000'));
  assert.deepEqual(
    encodeLinkChange({ index: 7, flags: IFF_UP, flagMask: IFF_UP | IFF_NOARP, name: 'eth1', mtu: 9000 }),
    hex('00000000 07000000 01000000 81000000 0900 0300 6574683100 000000 0800 0400 28230000'),
  );
});

test('an IPv6 address request carries NODAD, and flags beyond 8 bits use IFA_FLAGS', le, () => {
  const local = hex('fd000000000000000000000000000002');
  assert.deepEqual(
    encodeAddress({ family: AF_INET6, prefixLength: 64, index: 3, local, flags: IFA_F_NODAD }),
    Buffer.concat([hex('0a400200 03000000'), encodeAttribute(2, local), encodeAttribute(1, local)]),
  );
  const withHighFlag = encodeAddress({ family: AF_INET6, prefixLength: 64, index: 3, local, flags: 0x102 });
  assert.deepEqual(withHighFlag.subarray(-8), hex('0800 0800 02010000'));
});

test('an IPv4 address request with broadcast and host scope', le, () => {
  const body = encodeAddress({
    family: AF_INET,
    prefixLength: 8,
    index: 1,
    scope: 254,
    local: hex('7f000001'),
    broadcast: hex('7fffffff'),
  });
  assert.deepEqual(body, hex('020800fe 01000000 0800 0200 7f000001 0800 0100 7f000001 0800 0400 7fffffff'));
});

test('a route request: main table, protocol, scope, gateway and device', le, () => {
  const body = encodeRoute({
    family: AF_INET,
    dst: hex('0a010000'),
    dstLength: 16,
    protocol: RTPROT_BOOT,
    scope: 0,
    gateway: hex('c0a80a01'),
    oif: 3,
  });
  assert.deepEqual(
    body,
    hex(
      '02100000 fe030001 00000000 0800 0f00 fe000000 0800 0100 0a010000 0800 0500 c0a80a01 0800 0400 03000000',
    ),
  );
  const defaultRoute = encodeRoute({
    family: AF_INET,
    dst: undefined,
    dstLength: 0,
    oif: 2,
    scope: RT_SCOPE_LINK,
  });
  assert.deepEqual(defaultRoute, hex('02000000 fe00fd01 00000000 0800 0f00 fe000000 0800 0400 02000000'));
  const bigTable = encodeRoute({ family: AF_INET6, dst: undefined, dstLength: 0, table: 1000 });
  assert.deepEqual(bigTable.subarray(0, 20), hex('0a000000 00000001 00000000 0800 0f00 e8030000'));
});

test('a neighbour request', le, () => {
  const body = encodeNeighbour({
    family: AF_INET,
    index: 3,
    state: NUD_PERMANENT,
    flags: 0,
    dst: hex('a9fe0101'),
    lladdr: hex('6a923a5970aa'),
  });
  assert.deepEqual(body, hex('02000000 03000000 8000 00 00 0800 0100 a9fe0101 0a00 0200 6a923a5970aa 0000'));
});

test('requests decode back to what was encoded, in any byte order', () => {
  const gw = hex('fe800000000000000000000000000001');
  const route = decodeRoute(
    encodeRoute({ family: AF_INET6, dst: undefined, dstLength: 0, gateway: gw, oif: 9, priority: 1024 }),
  );
  assert.deepEqual([route.table, route.oif, route.priority, route.gateway], [RT_TABLE_MAIN, 9, 1024, gw]);
  const addr = decodeAddress(
    encodeAddress({ family: AF_INET, prefixLength: 24, index: 70000, local: hex('0a000001'), flags: 0x300 }),
  );
  assert.deepEqual([addr.index, addr.flags, addr.local], [70000, 0x300, hex('0a000001')]);
  const neigh = decodeNeighbour(
    encodeNeighbour({ family: AF_INET6, index: 4, state: 0x40, flags: 0x80, dst: gw }),
  );
  assert.deepEqual(
    [neigh.index, neigh.state, neigh.flags, neigh.dst, neigh.lladdr],
    [4, 0x40, 0x80, gw, undefined],
  );
  const link = decodeLink(encodeLinkChange({ index: 12, flags: 1, flagMask: 1, name: 'x', mtu: 68 }));
  assert.deepEqual([link.index, link.flags, link.name, link.mtu], [12, 1, 'x', 68]);
});
