// The sandbox's shared namespaces. Node cannot setns (it is multithreaded), so a
// holder process is started with `unshare`: its IPC and UTS namespaces are
// bind-mounted onto files that every container joins, then it may go. With
// sandbox_pidns the holder also starts a PID namespace and stays as its init (a
// shell that reaps orphans), so containers can join that namespace.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Logger } from '../logging/logger';
import { MS_BIND } from '../common/mount-flags';
import { native } from '../native';
import type { GuestPaths } from './paths';

// fd 3 keeps the holder's stdin: when the agent closes it (or dies) cat ends and
// the holder exits. `wait` blocks on cat and meanwhile reaps every orphan that the
// PID namespace reparents to its init.
const HOLDER_STOP_MS = 2000;
const HOLDER_SCRIPT = 'exec 3<&0; echo ready; cat <&3 >/dev/null & wait';

export interface SharedNamespaces {
  ipc: string;
  uts: string;
  /** Path of the sandbox PID namespace, when one is held. */
  pid: string | undefined;
  /** Unmounts and stops what was made; returns the failures (never throws). */
  release(): Promise<string[]>;
}

interface NamespaceOptions {
  paths: GuestPaths;
  pidns: boolean;
  log: Logger;
  /** `unshare` binary. */
  unshare?: string;
}

export async function createSharedNamespaces(o: NamespaceOptions): Promise<SharedNamespaces> {
  const n = native();
  const holder = await startHolder(o.unshare ?? 'unshare', o.pidns);
  const mounted: string[] = [];
  const releaseMounts = (): string[] => {
    const errors: string[] = [];
    for (const target of mounted.splice(0).reverse()) {
      try {
        n.umount2(target, n.constants.MNT_DETACH);
      } catch (err) {
        errors.push(`unmount ${target}: ${(err as Error).message}`);
      }
      rmSync(target, { force: true });
    }
    return errors;
  };
  try {
    for (const type of ['ipc', 'uts']) {
      const target = o.paths.sandboxNs(type);
      mkdirSync(path.dirname(target), { recursive: true, mode: 0o755 });
      writeFileSync(target, '');
      n.mount(`/proc/${holder.pid}/ns/${type}`, target, '', MS_BIND, '');
      mounted.push(target);
    }
  } catch (err) {
    releaseMounts();
    await stopHolder(holder);
    throw new Error(`failed to create namespace: ${(err as Error).message}`);
  }
  if (!o.pidns) await stopHolder(holder);
  return {
    ipc: o.paths.sandboxNs('ipc'),
    uts: o.paths.sandboxNs('uts'),
    // unshare --pid puts its children in the new namespace; this is its handle.
    pid: o.pidns ? `/proc/${holder.pid}/ns/pid_for_children` : undefined,
    async release() {
      const errors = releaseMounts();
      if (o.pidns) await stopHolder(holder);
      return errors;
    },
  };
}

function startHolder(unshare: string, pidns: boolean): Promise<ChildProcess> {
  const args = ['--ipc', '--uts'];
  if (pidns) args.push('--pid', '--fork', '--kill-child');
  args.push('--', 'sh', '-c', HOLDER_SCRIPT);
  return new Promise((resolve, reject) => {
    const child = spawn(unshare, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    let stderr = '';
    let settled = false;
    child.stderr!.on('data', (b: Buffer) => (stderr += b.toString()));
    child.stdout!.once('data', () => {
      settled = true;
      resolve(child);
    });
    child.once('error', (err) => {
      if (!settled) reject(err);
    });
    child.once('exit', (code) => {
      if (!settled) reject(new Error(`${unshare} exited with ${code}: ${stderr.trim()}`));
    });
  });
}

function stopHolder(holder: ChildProcess): Promise<void> {
  if (holder.exitCode !== null || holder.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    // Closing stdin ends cat, then the shell, then (with a PID namespace) every
    // process left in it. SIGKILL is the fallback for a holder that hangs.
    const timer = setTimeout(() => holder.kill('SIGKILL'), HOLDER_STOP_MS);
    holder.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    holder.stdin!.end();
  });
}
