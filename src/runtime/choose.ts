// The OCI runtime the agent runs, given the one configured and the guest's
// cgroup layout: crun (the default) cannot create containers on a hybrid
// layout whose cgroup2 half holds controllers, so there the agent runs runc
// when it has one, and says so. Without runc it keeps crun and warns: every
// CreateContainer would then fail with crun's own message.
import type { CgroupLayout } from '../cgroups/layout';
import type { OciRuntimeName } from '../config/options';

interface RuntimeChoice {
  name: OciRuntimeName;
  /** Why the configured runtime was not used, or why it will fail. */
  warning?: string;
}

export function chooseOciRuntime(
  configured: OciRuntimeName,
  layout: CgroupLayout,
  available: (name: OciRuntimeName) => boolean,
): RuntimeChoice {
  if (configured !== 'crun' || layout.kind !== 'hybrid' || layout.v2Controllers.length === 0) {
    return { name: configured };
  }
  const why =
    `crun refuses this hybrid cgroup layout: cgroup2 at /sys/fs/cgroup/unified holds ` +
    `controllers (${layout.v2Controllers.join(', ')})`;
  if (available('runc')) return { name: 'runc', warning: `${why}; running containers with runc` };
  return { name: 'crun', warning: `${why}, and runc is not installed: container creation will fail` };
}
