// CreateSandbox's kernel modules, loaded in order with `modprobe -v <name> <params...>`.
import { execFile } from 'node:child_process';
import type { KernelModule } from '../generated/agent';
import { invalidArgument, unknown } from '../rpc/errors';

export function checkKernelModules(modules: readonly KernelModule[]): void {
  for (const m of modules) {
    if (!m.name) throw invalidArgument('Kernel module name is empty');
    // A NUL cannot reach modprobe's argv (the spawn would throw a TypeError instead).
    if ([m.name, ...m.parameters].some((word) => word.includes('\0'))) {
      throw invalidArgument(`Kernel module ${JSON.stringify(m.name)}: NUL byte in its name or parameters`);
    }
  }
}

export async function loadKernelModules(modules: readonly KernelModule[], modprobe: string): Promise<void> {
  for (const m of modules) {
    await new Promise<void>((resolve, reject) => {
      execFile(modprobe, ['-v', m.name, ...m.parameters], (err, stdout, stderr) => {
        if (!err) {
          resolve();
          return;
        }
        const how = typeof err.code === 'number' ? `exit status ${err.code}` : err.message;
        reject(unknown(`could not load module ${m.name}: ${how}: ${(stdout + stderr).trim()}`));
      });
    });
  }
}
