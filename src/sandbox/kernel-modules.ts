// CreateSandbox's kernel modules, loaded in order with `modprobe -v -- <name> <params...>`.
// Names and parameters come from the host and end up in modprobe's argv: a name
// such as "-r virtio_blk" or "--config=/tmp/x" must never be read as an option.
import { execFile } from 'node:child_process';
import type { KernelModule } from '../generated/agent';
import { invalidArgument, unknown } from '../common/errors';

// The kernel's module names: letters, digits, '_' and '-' (the two are the same
// to modprobe), at most MODULE_NAME_LEN - 1 = 55 characters.
const MODULE_NAME = /^[A-Za-z0-9_][A-Za-z0-9_-]{0,54}$/;
// A parameter is "name" (a boolean) or "name=value"; the value may be anything
// printable, as modprobe passes it to the kernel as one word.
const MODULE_PARAMETER = /^[A-Za-z0-9_][A-Za-z0-9_.-]*(=.*)?$/s;
const MAX_PARAMETER_LENGTH = 4096;

export function checkKernelModules(modules: readonly KernelModule[]): void {
  for (const m of modules) {
    if (!m.name) throw invalidArgument('Kernel module name is empty');
    // A NUL cannot reach modprobe's argv (the spawn would throw a TypeError instead).
    if ([m.name, ...m.parameters].some((word) => word.includes('\0'))) {
      throw invalidArgument(`Kernel module ${JSON.stringify(m.name)}: NUL byte in its name or parameters`);
    }
    if (!MODULE_NAME.test(m.name)) {
      throw invalidArgument(
        `Kernel module name ${JSON.stringify(m.name)} is not a module name (letters, digits, _ and -, at most 55)`,
      );
    }
    for (const p of m.parameters) {
      if (p.length > MAX_PARAMETER_LENGTH || !MODULE_PARAMETER.test(p) || hasControlCharacter(p)) {
        throw invalidArgument(
          `Kernel module ${m.name}: parameter ${JSON.stringify(p.slice(0, 100))} is not a name or name=value word`,
        );
      }
    }
  }
}

export async function loadKernelModules(modules: readonly KernelModule[], modprobe: string): Promise<void> {
  for (const m of modules) {
    await new Promise<void>((resolve, reject) => {
      execFile(modprobe, ['-v', '--', m.name, ...m.parameters], (err, stdout, stderr) => {
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

function hasControlCharacter(word: string): boolean {
  for (let i = 0; i < word.length; i++) {
    const c = word.charCodeAt(i);
    if (c < 0x20 || c === 0x7f) return true;
  }
  return false;
}
