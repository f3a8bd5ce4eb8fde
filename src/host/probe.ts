// Host side of the plumbing probe (guest-probe.ts runs in the guest): boots the
// image with kata_vm_mode=probe, answers the guest's hello on the serial port,
// puts a file in the share, and collects the guest's findings from the console.
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { detectAccel } from './accel';
import type { GuestImage } from './image/build';
import { QemuVm } from './qemu';
import { vmTestFile } from './image/agent-files';
import { repoRoot } from './paths';

interface ProbeResult {
  accel: string;
  findings: Record<string, string>;
  /** What the guest said on the serial port. */
  serialHello: string;
  /** The file the guest wrote into the share. */
  sharedFileFromGuest: string;
  /** Guest uptime (s) when /init started, from its console marker. */
  initUptime: number;
  exitCode: number | null;
  elapsedMs: number;
}

export const PROBE_SHARE_TEXT = 'put here by the host';
export const PROBE_ANSWER = 'answer from the host';

/** Connects to the serial port's socket, retrying while qemu creates it. */
async function connectSerial(vm: QemuVm): Promise<net.Socket> {
  for (;;) {
    try {
      return await new Promise<net.Socket>((resolve, reject) => {
        const s = net.connect(vm.serialSocket);
        s.once('connect', () => resolve(s));
        s.once('error', reject);
      });
    } catch (err) {
      if (!vm.running) throw err;
      await new Promise((r) => setTimeout(r, 20));
    }
  }
}

export async function runProbe(image: GuestImage, onConsoleLine?: (l: string) => void): Promise<ProbeResult> {
  const runDir = mkdtempSync(path.join(os.tmpdir(), 'kata-vm-probe-'));
  const shareDir = path.join(runDir, 'shared');
  const accel = await detectAccel(image.vmlinux);
  mkdirSync(shareDir);
  writeFileSync(path.join(shareDir, 'probe.txt'), PROBE_SHARE_TEXT + '\n');
  // The image does not carry the probe: /init runs it from the share.
  copyFileSync(vmTestFile(repoRoot(), 'guest-probe.js'), path.join(shareDir, 'guest-probe.js'));
  const vm = QemuVm.start({
    image,
    accel,
    runDir,
    shareDir,
    kernelParams: ['kata_vm_mode=probe'],
    onConsoleLine,
  });
  try {
    const serial = await connectSerial(vm);
    let serialHello = '';
    serial.on('data', (b: Buffer) => {
      serialHello += b.toString();
      if (serialHello.includes('\n')) serial.write(PROBE_ANSWER + '\n');
    });
    const timeout = setTimeout(() => void vm.kill(), vm.timeout(15_000));
    const exit = await vm.exited;
    clearTimeout(timeout);
    serial.destroy();
    const findings: Record<string, string> = {};
    for (const m of vm.console.matches(/kata-vm-probe: ([\w-]+)=([^\r\n]*)/)) findings[m[1]] = m[2];
    const init = /kata-vm: init uptime=([\d.]+)/.exec(vm.console.contents());
    let sharedFileFromGuest = '';
    try {
      sharedFileFromGuest = readFileSync(path.join(shareDir, 'from-guest.txt'), 'utf8');
    } catch {
      // Reported as empty: the assertions say what is missing.
    }
    return {
      accel: `${accel.kind} (${accel.reason})`,
      findings,
      serialHello: serialHello.trim(),
      sharedFileFromGuest,
      initUptime: init ? Number(init[1]) : NaN,
      exitCode: exit.code,
      elapsedMs: vm.elapsedMs(),
    };
  } finally {
    await vm.kill();
    rmSync(runDir, { recursive: true, force: true });
  }
}
