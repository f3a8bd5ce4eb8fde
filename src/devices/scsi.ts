// SCSI disks are named by "<target>:<lun>" on the single virtio-scsi controller.
import path from 'node:path';
import type { SystemPaths } from '../common/system-paths';
import { errorText } from '../common/error-text';
import { listOptional, writeAttribute } from '../guest/sysfs-io';
import { failedPrecondition, internal, invalidArgument } from '../common/errors';

interface ScsiAddress {
  target: number;
  lun: number;
}

export function parseScsiAddress(address: string): ScsiAddress {
  const match = /^(\d{1,5}):(\d{1,10})$/.exec(address);
  if (!match) {
    throw invalidArgument(
      `unexpected format for SCSI address ${JSON.stringify(address)}, expected SCSIID:LUN`,
    );
  }
  return { target: Number(match[1]), lun: Number(match[2]) };
}

/** Asks every SCSI host to probe channel 0, target, lun. */
export async function scanScsiHosts(paths: SystemPaths, address: ScsiAddress): Promise<void> {
  const hosts = await listOptional(paths.scsiHosts);
  if (!hosts.length) {
    // Nothing could ever appear: fail now rather than at the hotplug timeout.
    throw failedPrecondition(
      `no SCSI host in the guest to find SCSI address ${address.target}:${address.lun} on: ` +
        'is a virtio-scsi controller plugged in, and the virtio_scsi driver in the image?',
    );
  }
  for (const host of hosts) {
    const scanFile = path.join(paths.scsiHosts, host, 'scan');
    try {
      await writeAttribute(scanFile, `0 ${address.target} ${address.lun}`);
    } catch (err) {
      throw internal(`could not scan SCSI host ${host}: ${errorText(err)}`);
    }
  }
}

/** Whether a block devpath is the disk at that address (".../<host>:0:<target>:<lun>/block/<name>"). */
export function isScsiDisk(devpath: string, address: ScsiAddress): boolean {
  const marker = `:0:${address.target}:${address.lun}/block/`;
  const at = devpath.indexOf(marker);
  if (at < 0) return false;
  const host = devpath.slice(devpath.lastIndexOf('/', at) + 1, at);
  return /^\d+$/.test(host) && !devpath.slice(at + marker.length).includes('/');
}
