// The initrd's /init: a few lines of busybox sh that run before node can. It
// mounts /proc and /dev, loads the kernel modules in dependency order, starts
// busybox acpid (the ACPI power button is how a host asks a guest to shut down)
// and then execs the agent, which becomes PID 1.
//
// Kernel parameters without a dot reach /init as environment variables:
//   kata_vm_listen=auto,vsock://any:1024   the agent's --listen addresses
//   kata_vm_mode=probe                     run the plumbing probe (from the VM's share) instead of the agent
//   kata_vm_mode=floor                     run the benchmark's floor program instead of the agent
//   kata_vm_node_flags=--a,--b             node's flags for the agent, instead of the image's
//   kata_vm_snapshot=off                   start the agent from its script, not its snapshot

interface InitScriptOptions {
  /** Absolute guest paths of the .ko files, dependencies first. */
  modulesFile: string;
  node: string;
  agentMain: string;
  /** The guest-cost benchmark's floor program (exec'd as the agent would be). */
  floor?: string;
  /** node's own flags for the agent (kata_vm_node_flags=a,b replaces them). */
  nodeFlags: string[];
  /** The agent's V8 start-up snapshot and its size in bytes (a blob of another size is not used). */
  agentSnapshot?: { path: string; bytes: number };
  /** Whether the agent does the PID 1 work itself (mounts, reaping, power off on exit). */
  agentIsInit: boolean;
  /** Where the agent's pid is written when it is not PID 1 (the power button action signals it). */
  agentPidFile: string;
}

export const MARKER = 'kata-vm:';
/** Where /init mounts the VM's share to run the plumbing probe the host put there. */
const PROBE_DIR = '/run/kata-vm-probe';

/**
 * With `console=hvc0` (the Kata runtime's command line) the kernel starts /init
 * before the virtio console driver is loaded, so /init has no stdout or stderr:
 * once the modules are in, point both at the virtconsole (its port appears a
 * little after the driver loads) or, without one, at /dev/console.
 */
function reopenOnConsole(): string {
  return `out=/dev/console
if grep -qs 'console=hvc' /proc/cmdline; then
  n=0
  until [ -c /dev/hvc0 ] || [ $n -ge 200 ]; do usleep 10000; n=$((n + 1)); done
  [ -c /dev/hvc0 ] && out=/dev/hvc0
fi
exec >"$out" 2>&1`;
}

export function initScript(o: InitScriptOptions): string {
  const fullMounts = `  mkdir -p /dev/pts /dev/shm
  mount -t devpts -o nosuid,noexec devpts /dev/pts
  mount -t tmpfs -o nosuid,nodev shm /dev/shm
  mount -t tmpfs -o nosuid,nodev run /run
  mount -t cgroup2 -o nosuid,nodev,noexec cgroup2 /sys/fs/cgroup`;
  return `#!/bin/sh
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
mount -t proc -o nosuid,nodev,noexec proc /proc
mount -t devtmpfs -o nosuid devtmpfs /dev
mount -t sysfs -o nosuid,nodev,noexec sysfs /sys
mark() { read -r up _ < /proc/uptime; echo "${MARKER} $1 uptime=$up"; }
read -r init_up _ < /proc/uptime
# Nothing printed before the console is reopened is seen: keep failures until then.
failed=
while read -r ko; do
  # The DAX form's loader has loaded some already.
  m=\${ko##*/}
  m=\${m%.ko}
  [ -d /sys/module/\${m//-/_} ] && continue
  err=$(insmod "$ko" 2>&1) || failed="$failed
${MARKER} insmod $ko failed: $err"
done < ${o.modulesFile}
${reopenOnConsole()}
echo "${MARKER} init uptime=$init_up"
[ -z "$failed" ] || echo "\${failed#?}"
mark modules-loaded
# acpid only watches the input devices present when it starts: wait for the power button's.
n=0
until grep -qs "Power Button" /sys/class/input/event*/device/name || [ $n -ge 200 ]; do usleep 10000; n=$((n + 1)); done
acpid -c /etc/acpi -l /dev/null
# On the DAX image the root is read-only: scratch space in RAM.
grep -qs ' / [^ ]* ro[, ]' /proc/mounts && mount -t tmpfs -o nosuid,nodev,mode=1777 tmp /tmp
${snapshotChoice(o.agentSnapshot)}
set -- $(echo "\${kata_vm_node_flags-${o.nodeFlags.join(',')}}" | tr , ' ') $snapshot ${o.agentMain}
for a in $(echo "\${kata_vm_listen:-auto}" | tr , ' '); do set -- "$@" --listen "$a"; done

${
  o.floor
    ? `if [ "$kata_vm_mode" = floor ]; then
  mark floor-exec
  exec ${o.floor}
fi
`
    : ''
}if [ "$kata_vm_mode" = probe ]; then
${fullMounts}
  # The probe is no part of the image: the host puts it in the VM's share.
  mkdir -p ${PROBE_DIR}
  mount -t 9p -o trans=virtio,version=9p2000.L,cache=mmap,msize=512000,nodev kataShared ${PROBE_DIR}
  mark probe-start
  ${o.node} ${PROBE_DIR}/guest-probe.js
  mark "probe-exit status=$?"
  sync
  poweroff -f
fi
${
  o.agentIsInit
    ? `mark agent-exec
# The agent mounts these itself as PID 1.
umount /sys /proc
exec ${o.node} "$@"`
    : `${fullMounts}
mark agent-start
${o.node} "$@" &
echo $! > ${o.agentPidFile}
wait $!
mark "agent-exit status=$?"
sync
poweroff -f`
}
`;
}

/**
 * Chooses how node starts the agent: from its start-up snapshot when the blob is
 * there and whole (node does not check a blob's integrity, and a truncated one
 * crashes it), else from the script, with a line on the console saying why.
 * Other node flags than the snapshot was built with make node refuse it, so
 * kata_vm_node_flags starts the script too.
 */
export function snapshotChoice(blob: InitScriptOptions['agentSnapshot']): string {
  if (!blob) return 'snapshot=';
  return `snapshot=
if [ "$kata_vm_snapshot" = off ] || [ -n "\${kata_vm_node_flags+set}" ]; then
  echo "${MARKER} start-up snapshot off or node flags changed: starting the agent from its script"
elif [ "$(stat -c %s ${blob.path} 2>/dev/null)" = ${blob.bytes} ]; then
  snapshot="--snapshot-blob ${blob.path}"
else
  echo "${MARKER} start-up snapshot ${blob.path} is missing or damaged (not ${blob.bytes} bytes): starting the agent from its script"
fi`;
}

/** busybox acpid runs /etc/acpi/PWRF/00000080 for the power button: stop the agent cleanly. */
export function powerButtonAction(agentPidFile: string): string {
  return `#!/bin/sh
out=/dev/console
[ -c /dev/hvc0 ] && out=/dev/hvc0
echo "${MARKER} power-button" > "$out"
kill -TERM "$(cat ${agentPidFile} 2>/dev/null || echo 1)"
`;
}
