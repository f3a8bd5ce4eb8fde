// Text ↔ bytes for IP addresses, prefixes and link-layer addresses. Output
// follows inet_ntop() so that our strings equal what `ip` prints.
import net from 'node:net';
import { AF_INET, AF_INET6 } from './netlink/constants';

export type Family = typeof AF_INET | typeof AF_INET6;

export interface IpAddress {
  family: Family;
  /** 4 or 16 bytes, network order. */
  bytes: Buffer;
}

export interface IpPrefix extends IpAddress {
  prefixLength: number;
}

function maxPrefixLength(family: Family): number {
  return family === AF_INET ? 32 : 128;
}

function parseIpv4(text: string): Buffer {
  return Buffer.from(text.split('.').map((part) => Number(part)));
}

function parseIpv6(text: string): Buffer {
  const out = Buffer.alloc(16);
  let tail = text;
  let tailV4: Buffer | undefined;
  const lastColon = tail.lastIndexOf(':');
  if (tail.slice(lastColon + 1).includes('.')) {
    tailV4 = parseIpv4(tail.slice(lastColon + 1));
    tail = tail.slice(0, lastColon + 1) + '0:0';
  }
  const [head, rest] = tail.includes('::') ? tail.split('::') : [tail, undefined];
  const headGroups = head ? head.split(':') : [];
  const restGroups = rest ? rest.split(':') : [];
  const groups = [...headGroups, ...new Array<string>(8 - headGroups.length - restGroups.length).fill('0')];
  groups.push(...restGroups);
  groups.forEach((g, i) => out.writeUInt16BE(parseInt(g, 16), i * 2));
  if (tailV4) tailV4.copy(out, 12);
  return out;
}

/** Parses a plain IPv4 or IPv6 address (no zone, no prefix); undefined when it is not one. */
export function parseIp(text: string): IpAddress | undefined {
  if (net.isIPv4(text)) return { family: AF_INET, bytes: parseIpv4(text) };
  if (net.isIPv6(text) && !text.includes('%')) return { family: AF_INET6, bytes: parseIpv6(text) };
  return undefined;
}

/** inet_ntop(): dotted quad, or RFC 5952 text with the longest zero run (of 2+) compressed. */
export function formatIp(bytes: Buffer): string {
  if (bytes.length === 4) return Array.from(bytes).join('.');
  if (bytes.length !== 16) return bytes.toString('hex');
  const words = Array.from({ length: 8 }, (_, i) => bytes.readUInt16BE(i * 2));
  let bestStart = -1;
  let bestLength = 0;
  for (let i = 0; i < 8;) {
    if (words[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && words[j] === 0) j++;
    if (j - i > bestLength) [bestStart, bestLength] = [i, j - i];
    i = j;
  }
  if (bestLength < 2) bestStart = -1;
  // ::a.b.c.d and ::ffff:a.b.c.d keep the IPv4 tail in dotted form, as inet_ntop does.
  if (bestStart === 0 && (bestLength === 6 || (bestLength === 5 && words[5] === 0xffff))) {
    return (bestLength === 5 ? '::ffff:' : '::') + Array.from(bytes.subarray(12)).join('.');
  }
  const hex = (ws: number[]): string => ws.map((w) => w.toString(16)).join(':');
  if (bestStart === -1) return hex(words);
  return `${hex(words.slice(0, bestStart))}::${hex(words.slice(bestStart + bestLength))}`;
}

/**
 * A prefix length from the protocol's `mask` field: decimal text ("24"), or for
 * IPv4 also a contiguous dotted netmask ("255.255.255.0"). Undefined when invalid.
 */
export function parsePrefixLength(mask: string, family: Family): number | undefined {
  if (/^\d{1,3}$/.test(mask)) {
    const n = Number(mask);
    return n <= maxPrefixLength(family) ? n : undefined;
  }
  if (family === AF_INET && net.isIPv4(mask)) {
    const value = parseIpv4(mask).readUInt32BE(0);
    for (let length = 0; length <= 32; length++) {
      if (value === (length === 0 ? 0 : (0xffffffff << (32 - length)) >>> 0)) return length;
    }
  }
  return undefined;
}

/** The address with every bit after `prefixLength` cleared. */
function networkOf(bytes: Buffer, prefixLength: number): Buffer {
  const out = Buffer.from(bytes);
  for (let bit = prefixLength; bit < out.length * 8; bit++) out[bit >> 3] &= ~(0x80 >> (bit & 7));
  return out;
}

/** The IPv4 broadcast address of a prefix (every host bit set). */
export function broadcastOf(bytes: Buffer, prefixLength: number): Buffer {
  const out = Buffer.from(bytes);
  for (let bit = prefixLength; bit < out.length * 8; bit++) out[bit >> 3] |= 0x80 >> (bit & 7);
  return out;
}

/** "10.0.0.0/24", "fd00::/64": host bits are cleared, as Go's ParseCIDR did for 1.x. */
export function parseCidr(text: string): IpPrefix | undefined {
  const slash = text.indexOf('/');
  if (slash < 0) return undefined;
  const ip = parseIp(text.slice(0, slash));
  const lengthText = text.slice(slash + 1);
  if (!ip || !/^\d{1,3}$/.test(lengthText)) return undefined;
  const prefixLength = Number(lengthText);
  if (prefixLength > maxPrefixLength(ip.family)) return undefined;
  return { family: ip.family, bytes: networkOf(ip.bytes, prefixLength), prefixLength };
}

export function formatCidr(bytes: Buffer, prefixLength: number): string {
  return `${formatIp(bytes)}/${prefixLength}`;
}

/**
 * A link-layer address: "6a:92:3a:59:70:aa" (also "-" separated, any case), of 6, 8
 * (EUI-64) or 20 (InfiniBand) octets as 1.x accepted; undefined when malformed.
 */
export function parseMac(text: string): Buffer | undefined {
  if (!/^[0-9a-fA-F]{2}(:[0-9a-fA-F]{2})*$/.test(text) && !/^[0-9a-fA-F]{2}(-[0-9a-fA-F]{2})*$/.test(text)) {
    return undefined;
  }
  const octets = text.split(/[:-]/).map((h) => parseInt(h, 16));
  return [6, 8, 20].includes(octets.length) ? Buffer.from(octets) : undefined;
}

/** Lower-case, colon-separated hex, whatever the length (as Go's HardwareAddr.String()). */
export function formatMac(bytes: Buffer | undefined): string {
  if (!bytes) return '';
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join(':');
}
