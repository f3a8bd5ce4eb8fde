// s390x channel devices are named by a bus id "0.<subchannel set>.<4 hex digits>".
import { invalidArgument } from '../common/errors';

export function checkCcwBusId(busId: string): string {
  const parts = busId.split('.');
  const ok =
    parts.length === 3 && parts[0] === '0' && /^[0-3]$/.test(parts[1]) && /^[0-9a-fA-F]{4}$/.test(parts[2]);
  if (!ok)
    throw invalidArgument(`invalid CCW bus id ${JSON.stringify(busId)}, expected 0.<0-3>.<4 hex digits>`);
  return busId;
}

/** Whether a block devpath is the virtio disk on that CCW device (".../<bus id>/virtioN/block/<name>"). */
export function isCcwDisk(devpath: string, busId: string): boolean {
  return new RegExp(`/${busId.replace(/\./g, '\\.')}/virtio\\d+/block/[^/]+$`).test(devpath);
}
