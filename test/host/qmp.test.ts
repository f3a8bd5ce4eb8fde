// QMP against a real qemu, stopped before its first instruction (-S): hot-plug
// needs no guest on the qemu side, and nothing boots, so this is quick.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { QEMU } from '../../src/host/accel';
import { QmpClient, QmpError } from '../../src/host/qmp';
import { BRIDGE_ID, BRIDGE_SLOT, SCSI_CONTROLLER_ID } from '../../src/host/qemu';

const qemuMissing = spawnSync(QEMU, ['--version']).status !== 0 ? `${QEMU} cannot run` : undefined;

/** The bus a device sits on and its slot (addr is devfn: slot << 3 | function). */
async function placement(qmp: QmpClient, id: string): Promise<{ bus: string; slot: number }> {
  const device = `/machine/peripheral/${id}`;
  const bus = await qmp.execute<string>('qom-get', { path: device, property: 'parent_bus' });
  const devfn = await qmp.execute<number>('qom-get', { path: device, property: 'addr' });
  return { bus, slot: devfn >> 3 };
}

test(
  'QMP: capabilities, disk hot-plug on the bridge and the SCSI controller with rollback, vCPU hot-plug, quit',
  { skip: qemuMissing },
  async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'qmp-test-'));
    const socket = path.join(dir, 'qmp.sock');
    const disk = path.join(dir, 'disk.img');
    writeFileSync(disk, Buffer.alloc(1024 * 1024));
    const qemu = spawn(
      QEMU,
      [
        ...['-S', '-machine', 'pc', '-accel', 'tcg', '-cpu', 'max', '-m', '128M,slots=2,maxmem=512M'],
        ...['-smp', '1,maxcpus=4', '-nodefaults', '-no-user-config', '-display', 'none'],
        ...['-qmp', `unix:${socket},server=on,wait=off`],
        ...['-device', `pci-bridge,bus=pci.0,id=${BRIDGE_ID},chassis_nr=1,shpc=on,addr=${BRIDGE_SLOT}`],
        ...['-device', `virtio-scsi-pci,id=${SCSI_CONTROLLER_ID},disable-modern=true`],
      ],
      { stdio: 'ignore' },
    );
    const exited = new Promise<number | null>((resolve) => qemu.on('exit', (code) => resolve(code)));
    let qmp: QmpClient | undefined;
    try {
      qmp = await QmpClient.connect(socket, 20_000);
      const st = await qmp.execute<{ status: string }>('query-status');
      assert.equal(st.status, 'prelaunch');

      await qmp.hotplugDisk({ id: 'disk1', file: disk, bus: BRIDGE_ID, addr: 1 });
      assert.deepEqual(await placement(qmp, 'disk1'), {
        bus: `/machine/peripheral/${BRIDGE_ID}/${BRIDGE_ID}`,
        slot: 1,
      });

      // The same slot again: device_add fails and the block node it added is removed.
      await assert.rejects(
        qmp.hotplugDisk({ id: 'disk2', file: disk, bus: BRIDGE_ID, addr: 1 }),
        (err: QmpError) => {
          assert.ok(err instanceof QmpError);
          assert.equal(err.command, 'device_add');
          return true;
        },
      );
      const nodes = await qmp.execute<Array<{ 'node-name': string }>>('query-named-block-nodes');
      assert.ok(!nodes.some((n) => n['node-name'] === 'disk2-node'));
      assert.ok(nodes.some((n) => n['node-name'] === 'disk1-node'));

      // A scsi-hd at SCSI address 0:3 on the controller, then gone again with its block node.
      const scsiFile = path.join(dir, 'scsi.img');
      writeFileSync(scsiFile, Buffer.alloc(1024 * 1024));
      const scsi = { id: 'sd1', file: scsiFile, bus: `${SCSI_CONTROLLER_ID}.0`, scsiId: 0, lun: 3 };
      await qmp.hotplugScsiDisk(scsi);
      const sd = '/machine/peripheral/sd1';
      assert.equal(await qmp.execute('qom-get', { path: sd, property: 'scsi-id' }), 0);
      assert.equal(await qmp.execute('qom-get', { path: sd, property: 'lun' }), 3);
      // The same address twice is refused (read-only: the first disk holds the image's write lock).
      await assert.rejects(qmp.hotplugScsiDisk({ ...scsi, id: 'sd2', readOnly: true }), /lun already used/);
      await qmp.removeDisk('sd1', 5000);
      const left = await qmp.execute<Array<{ 'node-name': string }>>('query-named-block-nodes');
      assert.ok(!left.some((n) => n['node-name'] === 'sd1-node' || n['node-name'] === 'sd2-node'));

      const before = await qmp.hotpluggableCpus();
      assert.equal(before.length, 4);
      assert.equal(before.filter((c) => c['qom-path']).length, 1);
      const slot = await qmp.hotplugCpu('cpu1');
      assert.equal(slot.type, 'max-x86_64-cpu');
      const after = await qmp.hotpluggableCpus();
      assert.equal(after.filter((c) => c['qom-path']).length, 2);

      await assert.rejects(qmp.execute('no-such-command'), /CommandNotFound/);
      await qmp.quit();
      assert.equal(await exited, 0);
    } finally {
      qmp?.close();
      qemu.kill('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
    }
  },
);
