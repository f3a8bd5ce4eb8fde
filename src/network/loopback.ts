// As PID 1 nothing else brings up lo; the kernel gives it 127.0.0.1/8 and ::1
// once it is up.
import { IFF_UP } from './netlink/constants';
import { NetlinkSocket } from './netlink/socket';
import { Rtnetlink } from './netlink/rtnetlink';
import { kernelRefusal } from './errors';
import { notFound } from '../common/errors';

/** Sets lo up, on `rtnl` or on a socket of its own. */
export async function bringUpLoopback(rtnl?: Rtnetlink): Promise<void> {
  const socket = rtnl ? undefined : new NetlinkSocket();
  const r = rtnl ?? new Rtnetlink(socket!);
  try {
    const lo = (await r.links()).find((l) => l.name === 'lo');
    if (!lo) throw notFound('there is no loopback link');
    if (lo.flags & IFF_UP) return;
    await r.changeLink({ index: lo.index, flags: IFF_UP, flagMask: IFF_UP }).catch((e) => {
      throw kernelRefusal('could not set lo up', e);
    });
  } finally {
    await socket?.close();
  }
}
