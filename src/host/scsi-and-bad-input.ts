// Two things a Kata 1.12 runtime does that its recorded flow did not: a
// block device under the default block_device_driver (virtio-scsi), and
// requests naming hardware the guest does not have. Both run inside a sandbox
// the caller has set up, with a running container to look at sysfs from.
import path from 'node:path';
import type { AgentClient } from '../client/agent-client';
import { CreateContainerRequest, type Storage } from '../generated/agent';
import { Interface, Route } from '../generated/types';
import { bindMount, containerSpec } from './container-spec';
import { makeExt4Image } from './disk-image';
import { collect, createContainer, execOk } from './process-io';
import { SCSI_CONTROLLER_ID, type QemuVm } from './qemu';
import type { SandboxShare } from './sandbox-share';
import { call, type Answer } from './runtime-replay';

export interface ScsiResult {
  /** What the container read from the disk. */
  output: string;
  exitCode: number;
  /** /sys/class/scsi_disk in the guest with the disk plugged, and after device_del. */
  disksPlugged: string[];
  disksAfterUnplug: string[];
  unplugSeenMs: number;
}

export const SCSI_FILE_TEXT = 'written on the host, read over virtio-scsi\n';
const SCSI_ID = 0;
const SCSI_LUN = 0;

async function scsiDisks(client: AgentClient, lookFrom: string): Promise<string[]> {
  const out = await execOk(client, lookFrom, ['ls', '/sys/class/scsi_disk']);
  return out.split(/\s+/).filter(Boolean);
}

/**
 * An ext4 image plugged as scsi-hd at SCSI address 0:0, mounted by the agent as
 * `scsi` storage for a container that reads it; after RemoveContainer the disk
 * is unplugged and the guest is watched until it is gone. `lookFrom` is a
 * running container that sees the guest's /sys.
 */
export async function scsiStorageRoundTrip(
  client: AgentClient,
  vm: QemuVm,
  share: SandboxShare,
  lookFrom: string,
): Promise<ScsiResult> {
  const file = path.join(share.dir, '..', 'scsi-disk.img');
  await makeExt4Image(file, 16, { 'hello.txt': SCSI_FILE_TEXT });
  const qmp = await vm.qmp();
  const diskId = 'scsi-disk0';
  await qmp.hotplugScsiDisk({
    id: diskId,
    file,
    bus: `${SCSI_CONTROLLER_ID}.0`,
    scsiId: SCSI_ID,
    lun: SCSI_LUN,
  });
  const id = 'scsi-user';
  const mountPoint = `/run/kata-containers/storage/${id}/${diskId}`;
  const storage: Storage = {
    driver: 'scsi',
    driver_options: [],
    source: `${SCSI_ID}:${SCSI_LUN}`,
    fstype: 'ext4',
    options: [],
    mount_point: mountPoint,
  };
  const rootfs = await share.addBusyboxRootfs(id);
  await createContainer(client, {
    id,
    storages: [storage],
    spec: containerSpec({
      id,
      rootfs,
      args: ['cat', '/data/hello.txt'],
      mounts: [bindMount(mountPoint, '/data')],
    }),
  });
  await client.agent.startContainer({ container_id: id });
  const r = await collect(client, id, id);
  const disksPlugged = await scsiDisks(client, lookFrom);
  await client.agent.removeContainer({ container_id: id, timeout: 0 });

  await qmp.removeDisk(diskId, vm.timeout(10_000));
  const t0 = performance.now();
  const deadline = Date.now() + vm.timeout(10_000);
  let disksAfterUnplug = await scsiDisks(client, lookFrom);
  while (disksAfterUnplug.length && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 100));
    disksAfterUnplug = await scsiDisks(client, lookFrom);
  }
  return {
    output: r.stdout,
    exitCode: r.exitCode,
    disksPlugged,
    disksAfterUnplug,
    unplugSeenMs: performance.now() - t0,
  };
}

export interface BadInputAnswer extends Answer {
  what: string;
  ms: number;
}

/**
 * Requests that name a NIC, a link, a SCSI disk or a PCI disk the guest does not
 * have. Each answer is returned with how long it took.
 */
export async function missingHardwareRequests(
  client: AgentClient,
  share: SandboxShare,
  timeoutMs: number,
): Promise<BadInputAnswer[]> {
  const timed = async (what: string, rpc: string, request: unknown): Promise<BadInputAnswer> => {
    const t0 = performance.now();
    const answer = await call(client, rpc, request, timeoutMs);
    return { what, ms: performance.now() - t0, ...answer };
  };
  // Each storage request has its own container id, so both waits run at once.
  const withStorage = async (id: string, s: Partial<Storage>): Promise<unknown> =>
    CreateContainerRequest.fromPartial({
      container_id: id,
      exec_id: id,
      storages: [{ fstype: 'ext4', mount_point: `/run/kata-containers/storage/${id}/d`, ...s }],
      OCI: containerSpec({ id, rootfs: await share.addBusyboxRootfs(id), args: ['true'] }),
    });
  const scsi = await withStorage('missing-scsi', { driver: 'scsi', source: '0:5' });
  const blk = await withStorage('missing-blk', { driver: 'blk', source: '02/1e' });
  return [
    await timed('a NIC with a MAC no device has', 'UpdateInterface', {
      interface: Interface.fromPartial({
        device: 'eth1',
        name: 'eth1',
        hwAddr: '02:00:00:a7:00:99',
        mtu: 1500n,
        IPAddresses: [{ address: '10.199.8.2', mask: '24' }],
      }),
    }),
    await timed('a route on a link that does not exist', 'UpdateRoutes', {
      routes: { Routes: [Route.fromPartial({ dest: '10.199.9.0/24', device: 'eth9' })] },
    }),
    ...(await Promise.all([
      timed('scsi storage at an address with no disk', 'CreateContainer', scsi),
      timed('blk storage at an empty PCI slot', 'CreateContainer', blk),
    ])),
  ];
}
