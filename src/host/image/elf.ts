// Shared libraries of a host binary, as the dynamic loader resolves them (ldd),
// so the guest gets exactly the files the binary loads on this machine.
import { run } from '../exec';

/** Absolute paths of the libraries (and the ELF interpreter) `binary` needs; [] for a static binary. */
export async function sharedLibraries(binary: string): Promise<string[]> {
  let stdout: string;
  try {
    ({ stdout } = await run('ldd', [binary]));
  } catch (err) {
    // ldd exits non-zero for static binaries.
    if (/not a dynamic executable/.test((err as Error).message)) return [];
    throw err;
  }
  return parseLdd(stdout, binary);
}

export function parseLdd(text: string, binary = 'binary'): string[] {
  const libs: string[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (!line || line.startsWith('linux-vdso') || line.includes('statically linked')) continue;
    if (line.includes('=> not found')) throw new Error(`${binary}: ${line}`);
    const arrow = /=>\s+(\/\S+)/.exec(line);
    const direct = /^(\/\S+)\s+\(/.exec(line);
    const lib = arrow?.[1] ?? direct?.[1];
    if (lib && !libs.includes(lib)) libs.push(lib);
  }
  return libs;
}
