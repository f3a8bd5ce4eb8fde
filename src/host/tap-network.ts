// The network the VM's NIC is plugged into: a network namespace of its own,
// made by `unshare --net` when qemu starts, holding a tap device that qemu opens
// (no vhost-net here). The tap's own address is the far end the guest reaches,
// the gateway of the runtime's routes; nothing leaves the namespace, and it
// vanishes with qemu.
import { readFileSync } from 'node:fs';
import type { VmNic } from './qemu';

export interface TapNetwork {
  /** The tap device's name in the namespace. */
  tap: string;
  /** The far end's address with its prefix length, e.g. 10.199.7.1/24. */
  hostAddress: string;
  /** The MAC the guest's NIC gets. */
  guestMac: string;
}

export interface TapCounters {
  rxPackets: number;
  txPackets: number;
}

/** The NIC qemu gets for this network. */
export function tapNic(net: TapNetwork): VmNic {
  return { id: `net-${net.tap}`, tap: net.tap, mac: net.guestMac };
}

/**
 * A command prefix that enters a new network namespace, creates and addresses
 * the tap there, then execs the rest of its arguments (qemu keeps the pid).
 */
export function netnsPrefix(net: TapNetwork): string[] {
  const script = [
    'set -e',
    'ip link set lo up',
    `ip tuntap add dev ${net.tap} mode tap`,
    `ip addr add ${net.hostAddress} dev ${net.tap}`,
    `ip link set ${net.tap} up`,
    'exec "$@"',
  ].join('\n');
  return ['unshare', '--net', '--', 'sh', '-c', script, 'vm-netns'];
}

/** The tap's packet counters, read through the namespace of the process (qemu) that holds it. */
export function tapCounters(pid: number, tap: string): TapCounters {
  const table = readFileSync(`/proc/${pid}/net/dev`, 'utf8');
  const line = table.split('\n').find((l) => l.trim().startsWith(`${tap}:`));
  if (!line) throw new Error(`no ${tap} in the network namespace of process ${pid}`);
  const fields = line
    .slice(line.indexOf(':') + 1)
    .trim()
    .split(/\s+/)
    .map(Number);
  // Receive: bytes packets errs drop fifo frame compressed multicast; then transmit: bytes packets ...
  return { rxPackets: fields[1], txPackets: fields[9] };
}
