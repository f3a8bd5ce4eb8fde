# Sourced inside a private mount namespace by the tests, benchmarks and local
# demo. crun refuses a hybrid cgroup layout whose cgroup2 half holds a
# controller, as this machine's does; on such a layout the agent runs runc
# instead (test/cgroups/layout.test.ts). To exercise crun, the cgroup2 mount is
# hidden here, in this namespace only.
# A small private tmpfs takes its place: the runtimes still make directories
# under that path (they follow /proc/self/cgroup's "0::" line), and those must
# vanish with the namespace instead of piling up in the machine's
# /sys/fs/cgroup tmpfs underneath the real cgroup2 mount.
if mountpoint -q /sys/fs/cgroup/unified 2>/dev/null; then
  umount -l /sys/fs/cgroup/unified
  mount -t tmpfs -o size=8m,mode=755 cgroup2-hidden /sys/fs/cgroup/unified
fi
