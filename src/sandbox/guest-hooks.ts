// Guest hooks: executables the guest image ships under <guest_hook_path>/{prestart,
// poststart,poststop}, added to every container's spec after the host's own hooks.
// Each runs as `<path> <name> <hook type>` (1.x's argv).
import { readdirSync, statSync, lstatSync } from 'node:fs';
import path from 'node:path';
import type { Logger } from '../logging/logger';
import type { OciHook, OciHooks } from '../runtime/oci-types';

const HOOK_TYPES = ['prestart', 'poststart', 'poststop'] as const;

export function scanGuestHooks(dir: string, log: Logger): OciHooks | undefined {
  const found: OciHooks = {};
  for (const type of HOOK_TYPES) {
    const typeDir = path.join(dir, type);
    let names: string[];
    try {
      names = readdirSync(typeDir).sort();
    } catch {
      log.info({ path: typeDir }, 'no guest hooks of this type');
      continue;
    }
    const hooks: OciHook[] = [];
    for (const name of names) {
      const file = path.join(typeDir, name);
      const l = lstatSync(file, { throwIfNoEntry: false });
      if (!l || l.isDirectory() || l.isSymbolicLink()) continue;
      if ((statSync(file).mode & 0o111) === 0) continue;
      hooks.push({ path: file, args: [name, type] });
    }
    if (hooks.length) found[type] = hooks;
  }
  if (Object.keys(found).length === 0) {
    log.warn({ path: dir }, 'no guest hooks found');
    return undefined;
  }
  return found;
}

/** Appends the guest hooks after the spec's own. */
export function addGuestHooks(spec: { hooks?: OciHooks }, guest: OciHooks | undefined): void {
  if (!guest) return;
  const hooks = (spec.hooks ??= {});
  for (const type of HOOK_TYPES) {
    const extra = guest[type];
    if (extra?.length) hooks[type] = [...(hooks[type] ?? []), ...extra];
  }
}
