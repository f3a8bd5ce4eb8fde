// Turns the host's spec into the one the runtime gets in the guest: rootfs and
// agent-managed mount sources resolved, IPC/UTS (and PID) namespaces pointed at
// the sandbox's, a cgroup path always set, the guest root device denied, the
// cpuset fitted to the guest's CPUs, net.* sysctls applied sandbox-wide, guest
// hooks appended and a symbolic user resolved.
import { existsSync, realpathSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { onlineCpus } from '../cgroups/cpuset';
import { CpuListError, guestValidCpuset, parseCpuList } from '../common/cpu-list';
import { invalidArgument } from '../common/errors';
import type { OciDeviceRule, OciHooks, OciNamespace, OciProcess, OciSpec } from '../runtime/oci-types';
import { resolveUser } from '../runtime/user';
import { addGuestHooks } from './guest-hooks';
import type { GuestPaths } from './paths';
import { SystemPaths } from '../common/system-paths';

interface SpecContext {
  containerId: string;
  paths: GuestPaths;
  sysRoot: string;
  ipcNs: string;
  utsNs: string;
  /** "" for a new PID namespace, a path to join one, undefined for the agent's own. */
  pidNs: string | undefined;
  /** Used when the host sent no cgroups path. */
  defaultCgroupsPath: string;
  guestHooks: OciHooks | undefined;
  /** Process.User.Username of the host's spec, resolved in the rootfs. */
  username: string;
  /** Device-cgroup rule denying the block device of the guest's root. */
  rootDenyRule: OciDeviceRule;
}

interface PreparedSpec {
  spec: OciSpec;
  rootfs: string;
  cgroupsPath: string;
  warnings: string[];
}

export function prepareSpec(spec: OciSpec, ctx: SpecContext): PreparedSpec {
  const warnings: string[] = [];
  if (!spec.root?.path) throw invalidArgument('OCI.Root.Path is missing');
  const requested = ctx.paths.rootfs(ctx.containerId, spec.root.path);
  if (!existsSync(requested)) throw invalidArgument(`container rootfs ${requested} does not exist`);
  // runc refuses a rootfs reached through a symlink.
  const rootfs = realpathSync(requested);
  spec.root = { ...spec.root, path: rootfs };
  for (const m of spec.mounts ?? []) if (m.source) m.source = ctx.paths.mountSource(m.source);

  const linux = (spec.linux ??= {});
  linux.namespaces = sandboxNamespaces(linux.namespaces ?? [], ctx, warnings);
  linux.cgroupsPath = path.posix.normalize('/' + (linux.cgroupsPath || ctx.defaultCgroupsPath));

  // Keep containers away from the block device behind the guest's own root (1.x);
  // a root without one (initramfs, tmpfs) has major 0 and needs no rule.
  const resources = (linux.resources ??= {});
  if (ctx.rootDenyRule.major) (resources.devices ??= []).push(ctx.rootDenyRule);
  if (resources.cpu?.cpus) resources.cpu.cpus = fitCpuset(resources.cpu.cpus, ctx.sysRoot);
  if (resources.cpu?.mems) checkMems(resources.cpu.mems);

  if (linux.sysctl) {
    const net = Object.keys(linux.sysctl).filter(isNetworkSysctl);
    if (net.length) {
      const applied: Record<string, string> = {};
      for (const key of net) {
        applied[key] = linux.sysctl[key];
        delete linux.sysctl[key];
      }
      writeSysctls(applied, ctx.sysRoot);
    }
  }

  addGuestHooks(spec, ctx.guestHooks);
  if (spec.process) resolveProcessUser(spec.process, rootfs, ctx.username);
  return { spec, rootfs, cgroupsPath: linux.cgroupsPath, warnings };
}

function sandboxNamespaces(list: OciNamespace[], ctx: SpecContext, warnings: string[]): OciNamespace[] {
  const out: OciNamespace[] = [];
  for (const ns of list) {
    if (ns.type === 'pid') {
      warnings.push('PID namespace of the host spec replaced by the sandbox decision');
      continue;
    }
    if (ns.type === 'ipc' || ns.type === 'uts') continue;
    out.push(ns);
  }
  out.push({ type: 'ipc', path: ctx.ipcNs }, { type: 'uts', path: ctx.utsNs });
  if (ctx.pidNs !== undefined) out.push(ctx.pidNs ? { type: 'pid', path: ctx.pidNs } : { type: 'pid' });
  return out;
}

/** Linux.Resources.CPU.Cpus fitted to the guest's online CPUs; a malformed or oversized list is INVALID_ARGUMENT. */
export function fitCpuset(cpus: string, sysRoot: string): string {
  try {
    let online: string;
    try {
      online = onlineCpus(sysRoot);
    } catch {
      // Nothing to fit to (no sysfs): the request still has to be a valid list.
      parseCpuList(cpus);
      return cpus;
    }
    return guestValidCpuset(cpus, online);
  } catch (err) {
    if (err instanceof CpuListError) throw invalidArgument(`Linux.Resources.CPU.Cpus: ${err.message}`);
    throw err;
  }
}

/** Linux.Resources.CPU.Mems must at least be a well-formed, bounded node list. */
export function checkMems(mems: string): void {
  try {
    parseCpuList(mems);
  } catch (err) {
    if (err instanceof CpuListError) throw invalidArgument(`Linux.Resources.CPU.Mems: ${err.message}`);
    throw err;
  }
}

export function isNetworkSysctl(key: string): boolean {
  return key.startsWith('net.');
}

/** net.ipv4.ip_forward → <sysRoot>/proc/sys/net/ipv4/ip_forward (the guest's one network namespace). */
export function writeSysctls(sysctls: Record<string, string>, sysRoot: string): void {
  for (const [key, value] of Object.entries(sysctls)) {
    const rel = key.split('.');
    if (rel.some((p) => !p || p === '..' || p.includes('/')))
      throw invalidArgument(`invalid sysctl ${JSON.stringify(key)}`);
    writeFileSync(new SystemPaths(sysRoot).sysctl(rel), value);
  }
}

/** A Username becomes numeric ids from the container's own user database. */
export function resolveProcessUser(p: OciProcess, rootfs: string, name: string): void {
  if (!name) return;
  const u = resolveUser(rootfs, name, p.user.additionalGids ?? []);
  p.user = { uid: u.uid, gid: u.gid };
  if (u.additionalGids.length) p.user.additionalGids = u.additionalGids;
}
