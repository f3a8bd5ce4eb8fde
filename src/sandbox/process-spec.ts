// The process.json of an exec: what the host sends for it (terminal, user, args,
// env, cwd, console size) on top of the container's own process settings
// (capabilities, rlimits, no_new_privileges, labels), as 1.x let an exec inherit
// them from the container.
import type { Process } from '../generated/oci';
import { toOciProcess } from '../runtime/oci-spec';
import type { OciProcess } from '../runtime/oci-types';
import { resolveProcessUser } from './container-spec';

export function execProcessSpec(
  container: OciProcess | undefined,
  proc: Process,
  rootfs: string,
): OciProcess {
  const requested = toOciProcess(proc);
  const out: OciProcess = {
    ...container,
    terminal: requested.terminal,
    user: requested.user,
    args: requested.args,
    cwd: requested.cwd,
  };
  if (requested.env) out.env = requested.env;
  else delete out.env;
  if (requested.consoleSize) out.consoleSize = requested.consoleSize;
  else delete out.consoleSize;
  resolveProcessUser(out, rootfs, proc.User?.Username ?? '');
  return out;
}
