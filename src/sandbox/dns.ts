// CreateSandbox's DNS: the host sends whole resolv.conf lines. As in 1.x they are
// written to the sandbox directory and bind-mounted over the guest's
// /etc/resolv.conf (which may sit on a read-only image); unlike 1.x the bind mount
// is undone when the sandbox goes.
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Logger } from '../logging/logger';
import { MS_BIND } from '../common/mount-flags';
import { native } from '../native';
import type { GuestPaths } from './paths';

export interface DnsSetup {
  /** Undoes the bind mount; returns the failures. */
  release(): string[];
}

export function setupDns(dns: readonly string[], paths: GuestPaths, log: Logger): DnsSetup {
  const none: DnsSetup = { release: () => [] };
  if (dns.length === 0) return none;
  const target = paths.resolvConf();
  if (!existsSync(target)) {
    log.error({ path: target }, 'no resolv.conf in the guest: DNS not set up');
    return none;
  }
  const file = paths.sandboxResolvConf();
  mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  writeFileSync(file, dns.map((line) => line.trim()).join('\n'));
  const n = native();
  n.mount(file, target, '', MS_BIND, '');
  return {
    release() {
      try {
        n.umount2(target, n.constants.MNT_DETACH);
        return [];
      } catch (err) {
        return [`unmount ${target}: ${(err as Error).message}`];
      }
    },
  };
}
