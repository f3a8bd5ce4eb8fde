import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import os from 'node:os';
import { native, POLL_READABLE } from '../../src/native/index';
import { within } from '../helpers/native';

const n = native();
const { NETLINK_ROUTE, NETLINK_KOBJECT_UEVENT } = n.constants;

// rtnetlink ABI numbers (the same on every architecture).
const NLMSG_ERROR = 2;
const NLMSG_DONE = 3;
const RTM_NEWLINK = 16;
const RTM_GETLINK = 18;
const NLM_F_REQUEST = 0x1;
const NLM_F_DUMP = 0x300;
const IFLA_IFNAME = 3;
const LE = os.endianness() === 'LE';

const u16 = (b: Buffer, o: number) => (LE ? b.readUInt16LE(o) : b.readUInt16BE(o));
const u32 = (b: Buffer, o: number) => (LE ? b.readUInt32LE(o) : b.readUInt32BE(o));

function getLinkDump(seq: number): Buffer {
  const msg = Buffer.alloc(32); // nlmsghdr + ifinfomsg
  if (LE) {
    msg.writeUInt32LE(32, 0);
    msg.writeUInt16LE(RTM_GETLINK, 4);
    msg.writeUInt16LE(NLM_F_REQUEST | NLM_F_DUMP, 6);
    msg.writeUInt32LE(seq, 8);
  } else {
    msg.writeUInt32BE(32, 0);
    msg.writeUInt16BE(RTM_GETLINK, 4);
    msg.writeUInt16BE(NLM_F_REQUEST | NLM_F_DUMP, 6);
    msg.writeUInt32BE(seq, 8);
  }
  return msg;
}

/** Interface names from the RTM_NEWLINK messages of one datagram, and whether it held NLMSG_DONE. */
function parseLinks(datagram: Buffer, seq: number): { names: string[]; done: boolean } {
  const names: string[] = [];
  let done = false;
  for (let off = 0; off + 16 <= datagram.length;) {
    const len = u32(datagram, off);
    const type = u16(datagram, off + 4);
    assert.equal(u32(datagram, off + 8), seq);
    assert.notEqual(type, NLMSG_ERROR);
    if (type === NLMSG_DONE) done = true;
    if (type === RTM_NEWLINK) {
      for (let a = off + 32; a + 4 <= off + len;) {
        const alen = u16(datagram, a);
        if (u16(datagram, a + 2) === IFLA_IFNAME)
          names.push(datagram.toString('utf8', a + 4, a + alen).replace(/\0+$/, ''));
        a += (alen + 3) & ~3;
      }
    }
    off += (len + 3) & ~3;
  }
  return { names, done };
}

/** Calls `onDatagram` for each datagram until it returns true. */
function receiveUntil(fd: number, onDatagram: (d: Buffer) => boolean): Promise<void> {
  return new Promise((resolve, reject) => {
    const h = n.poll(fd, POLL_READABLE, (err) => {
      try {
        if (err) throw err;
        for (let d = n.netlinkRecv(fd, 8192); d; d = n.netlinkRecv(fd, 8192)) {
          if (onDatagram(d)) {
            h.close();
            resolve();
            return;
          }
        }
      } catch (e) {
        h.close();
        reject(e);
      }
    });
  });
}

test('rtnetlink: an RTM_GETLINK dump lists lo and ends with NLMSG_DONE', async () => {
  const fd = n.netlinkOpen(NETLINK_ROUTE, 0);
  try {
    assert.equal(n.netlinkRecv(fd, 8192), null, 'nothing queued yet');
    const seq = 4242;
    assert.equal(n.netlinkSend(fd, getLinkDump(seq)), 32);
    const names: string[] = [];
    await within(
      5000,
      'NLMSG_DONE',
      receiveUntil(fd, (d) => {
        const parsed = parseLinks(d, seq);
        names.push(...parsed.names);
        return parsed.done;
      }),
    );
    assert.ok(names.includes('lo'), `links: ${names.join(', ')}`);
  } finally {
    n.close(fd);
  }
});

test('uevents: writing "add" to lo/uevent brings an add@ datagram; overflow is ENOBUFS', async () => {
  const fd = n.netlinkOpen(NETLINK_KOBJECT_UEVENT, 1);
  try {
    const isLoAdd = (d: Buffer) => d.toString('latin1').startsWith('add@') && d.includes('/net/lo\0');
    writeFileSync('/sys/class/net/lo/uevent', 'add');
    let event: Buffer | undefined;
    await within(
      5000,
      'the uevent',
      receiveUntil(fd, (d) => {
        if (isLoAdd(d)) event = d;
        return event !== undefined;
      }),
    );
    assert.ok(event);
    const fields = event.toString('utf8').split('\0');
    assert.ok(fields.includes('ACTION=add'), fields.join(' '));
    assert.ok(fields.includes('INTERFACE=lo'), fields.join(' '));

    // Broadcasts are delivered while the writer's write() runs, so with the
    // smallest receive buffer a burst overflows before we read anything.
    n.setRecvBuffer(fd, 1);
    for (let i = 0; i < 10; i++) writeFileSync('/sys/class/net/lo/uevent', 'add');
    assert.throws(() => n.netlinkRecv(fd, 8192), { code: 'ENOBUFS', syscall: 'recv' });
    const after = n.netlinkRecv(fd, 8192);
    assert.ok(after && isLoAdd(after), 'what was queued is still readable');
  } finally {
    n.close(fd);
  }
});

test('a datagram larger than maxSize still arrives whole', () => {
  const fd = n.netlinkOpen(NETLINK_ROUTE, 0);
  try {
    n.netlinkSend(fd, getLinkDump(7));
    // The dump is produced while we send, so the first datagram is already queued.
    const first = n.netlinkRecv(fd, 16);
    assert.ok(first && first.length > 16, `got ${first?.length} bytes`);
    assert.ok(u32(first, 0) <= first.length, 'the first message is complete');
  } finally {
    n.close(fd);
  }
});

test('netlinkOpen reports a bad protocol', () => {
  assert.throws(() => n.netlinkOpen(9999, 0), { syscall: 'socket' });
  assert.throws(() => n.netlinkOpen(NETLINK_ROUTE, -1), RangeError);
});
