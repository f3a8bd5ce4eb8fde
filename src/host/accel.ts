// KVM or TCG. /dev/kvm existing is not enough (on some machines it is a software
// hypervisor that cannot run a stock kernel): the CPU must offer vmx or svm, and
// then KVM is tried: the guest kernel is booted without a root file system and
// must reach its "cannot mount root" panic. Anything else (qemu aborting, an odd
// exit, silence) means TCG.
import { accessSync, constants, readFileSync } from 'node:fs';
import { spawnTied } from './exec';

export interface Accel {
  kind: 'kvm' | 'tcg';
  /** Why this one was chosen, for the output. */
  reason: string;
  /**
   * Factor for every timeout: base timeouts are sized for KVM; TCG is 4-30x
   * slower. KATA_VM_TIMEOUT_SCALE multiplies further (a slow CI machine).
   */
  timeoutScale: number;
}

export const QEMU = process.env.KATA_VM_QEMU ?? 'qemu-system-x86_64';
const TCG_SCALE = 8;

function extraScale(): number {
  const n = Number(process.env.KATA_VM_TIMEOUT_SCALE ?? '1');
  return Number.isFinite(n) && n > 0 ? n : 1;
}

function tcg(reason: string): Accel {
  return { kind: 'tcg', reason, timeoutScale: TCG_SCALE * extraScale() };
}

function kvm(reason: string): Accel {
  return { kind: 'kvm', reason, timeoutScale: extraScale() };
}

/** Boots `vmlinux` under KVM until the kernel's no-root panic; resolves whether it got there. */
function tryKvm(vmlinux: string, timeoutMs: number): Promise<{ ok: boolean; detail: string }> {
  const args = [
    ...['-machine', 'pc', '-accel', 'kvm', '-cpu', 'host', '-m', '256M', '-smp', '1'],
    ...['-nodefaults', '-no-user-config', '-display', 'none', '-no-reboot'],
    ...['-chardev', 'stdio,id=con0,signal=off', '-serial', 'chardev:con0'],
    ...['-kernel', vmlinux, '-append', 'console=ttyS0 panic=-1 root=/dev/kata-no-root'],
  ];
  return new Promise((resolve) => {
    const child = spawnTied(QEMU, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let settled = false;
    const done = (ok: boolean, detail: string): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      child.kill('SIGKILL');
      resolve({ ok, detail });
    };
    const timer = setTimeout(() => done(false, `no kernel panic within ${timeoutMs} ms`), timeoutMs);
    const onData = (b: Buffer): void => {
      out += b.toString();
      if (/Kernel panic|Unable to mount root/.test(out)) done(true, 'guest kernel ran to its no-root panic');
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.on('error', (err) => done(false, err.message));
    child.on('exit', () => {
      if (/Kernel panic|Unable to mount root/.test(out)) done(true, 'guest kernel ran to its no-root panic');
      else done(false, out.trim().split('\n').pop() || 'qemu exited');
    });
  });
}

function cpuHasVirtualization(): boolean {
  try {
    return /^flags\s*:.*\b(vmx|svm)\b/m.test(readFileSync('/proc/cpuinfo', 'utf8'));
  } catch {
    return false;
  }
}

let cached: Promise<Accel> | undefined;

/** Which accelerator to use (KATA_VM_ACCEL=kvm|tcg forces one). Tried once per process. */
export function detectAccel(vmlinux: string): Promise<Accel> {
  const forced = process.env.KATA_VM_ACCEL;
  if (forced === 'tcg') return Promise.resolve(tcg('KATA_VM_ACCEL=tcg'));
  if (forced === 'kvm') return Promise.resolve(kvm('KATA_VM_ACCEL=kvm'));
  cached ??= (async () => {
    try {
      accessSync('/dev/kvm', constants.R_OK | constants.W_OK);
    } catch {
      return tcg('/dev/kvm is not usable');
    }
    if (!cpuHasVirtualization()) {
      // Such a /dev/kvm is a software hypervisor: a trial boot just hangs until its timeout.
      return tcg('/dev/kvm exists but the CPU has no vmx/svm, so it cannot run a stock guest kernel');
    }
    const trial = await tryKvm(vmlinux, 10_000);
    return trial.ok ? kvm(trial.detail) : tcg(`KVM failed: ${trial.detail}`);
  })();
  return cached;
}
