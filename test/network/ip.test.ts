import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  broadcastOf,
  formatCidr,
  formatIp,
  formatMac,
  parseCidr,
  parseIp,
  parseMac,
  parsePrefixLength,
} from '../../src/network/ip';
import { AF_INET, AF_INET6 } from '../../src/network/netlink/constants';

test('IPv4 and IPv6 text to bytes', () => {
  assert.deepEqual(parseIp('192.168.0.2'), { family: AF_INET, bytes: Buffer.from([192, 168, 0, 2]) });
  assert.equal(parseIp('fd00::1')?.bytes.toString('hex'), 'fd000000000000000000000000000001');
  assert.equal(parseIp('::')?.bytes.toString('hex'), '0'.repeat(32));
  assert.equal(parseIp('1:2:3:4:5:6:7:8')?.bytes.toString('hex'), '00010002000300040005000600070008');
  assert.equal(parseIp('::ffff:10.1.2.3')?.bytes.toString('hex'), '00000000000000000000ffff0a010203');
  assert.equal(parseIp('fe80::1:2.3.4.5')?.bytes.toString('hex'), 'fe800000000000000000000102030405');
  assert.equal(parseIp('1::')?.bytes.toString('hex'), '00010000000000000000000000000000');
  for (const bad of [
    '',
    '1.2.3',
    '256.1.1.1',
    '1.2.3.4/24',
    'fe80::1%eth0',
    ':::',
    'x::1',
    ' 1.2.3.4',
    'default',
  ]) {
    assert.equal(parseIp(bad), undefined, bad);
  }
});

test('IPv6 output matches inet_ntop', () => {
  const cases: [string, string][] = [
    ['fd000000000000000000000000000001', 'fd00::1'],
    ['00000000000000000000000000000000', '::'],
    ['00000000000000000000000000000001', '::1'],
    ['20010db8000000010000000000000001', '2001:db8:0:1::1'],
    ['20010db8000000000001000000000001', '2001:db8::1:0:0:1'],
    ['00010000000100000000000000000000', '1:0:1::'],
    ['00010002000300040005000600070008', '1:2:3:4:5:6:7:8'],
    ['00010000000200030004000500060007', '1:0:2:3:4:5:6:7'],
    ['00000000000000000000ffff0a010203', '::ffff:10.1.2.3'],
    ['0000000000000000000000000a010203', '::10.1.2.3'],
    ['fe80000000000000a8bbccfffedd0011', 'fe80::a8bb:ccff:fedd:11'],
  ];
  for (const [bytes, text] of cases) assert.equal(formatIp(Buffer.from(bytes, 'hex')), text, text);
});

test('every IPv6 address survives text and back', () => {
  fc.assert(
    fc.property(fc.uint8Array({ minLength: 16, maxLength: 16 }), (raw) => {
      const bytes = Buffer.from(raw);
      const parsed = parseIp(formatIp(bytes));
      return parsed !== undefined && parsed.family === AF_INET6 && parsed.bytes.equals(bytes);
    }),
  );
});

test('prefix lengths from the mask field', () => {
  assert.equal(parsePrefixLength('24', AF_INET), 24);
  assert.equal(parsePrefixLength('0', AF_INET), 0);
  assert.equal(parsePrefixLength('128', AF_INET6), 128);
  assert.equal(parsePrefixLength('255.255.255.0', AF_INET), 24);
  assert.equal(parsePrefixLength('255.255.255.255', AF_INET), 32);
  assert.equal(parsePrefixLength('0.0.0.0', AF_INET), 0);
  for (const [mask, family] of [
    ['33', AF_INET],
    ['129', AF_INET6],
    ['', AF_INET],
    ['-1', AF_INET],
    ['24 ', AF_INET],
    ['0x18', AF_INET],
    ['255.0.255.0', AF_INET],
    ['255.255.255.0', AF_INET6],
    ['1e1', AF_INET],
  ] as const) {
    assert.equal(parsePrefixLength(mask, family), undefined, `${mask}`);
  }
});

test('CIDR parsing clears host bits; broadcast sets them', () => {
  const p = parseCidr('192.168.7.9/16');
  assert.equal(p && formatCidr(p.bytes, p.prefixLength), '192.168.0.0/16');
  const v6 = parseCidr('fd00::12:1/64');
  assert.equal(v6 && formatCidr(v6.bytes, v6.prefixLength), 'fd00::/64');
  assert.equal(parseCidr('0.0.0.0/0')?.prefixLength, 0);
  for (const bad of ['10.0.0.0', '10.0.0.0/33', '10.0.0.0/', '/8', 'fd00::/129', '10.0.0.0/8/8']) {
    assert.equal(parseCidr(bad), undefined, bad);
  }
  assert.equal(formatIp(broadcastOf(Buffer.from([10, 1, 2, 3]), 20)), '10.1.15.255');
});

test('MAC addresses', () => {
  assert.equal(parseMac('6A:92:3a:59:70:aa')?.toString('hex'), '6a923a5970aa');
  assert.equal(parseMac('6a-92-3a-59-70-aa')?.toString('hex'), '6a923a5970aa');
  assert.equal(parseMac('00:00:00:00:fe:80:00:00')?.length, 8);
  for (const bad of [
    '',
    '6a:92:3a:59:70',
    '6a:92:3a:59:70:aa:bb',
    'zz:92:3a:59:70:aa',
    '6a923a5970aa',
    '6a:92-3a:59:70:aa',
  ]) {
    assert.equal(parseMac(bad), undefined, bad);
  }
  assert.equal(formatMac(Buffer.from('0a0b0c0d0e0f', 'hex')), '0a:0b:0c:0d:0e:0f');
  assert.equal(formatMac(Buffer.from('c0a80001', 'hex')), 'c0:a8:00:01');
  assert.equal(formatMac(undefined), '');
});
