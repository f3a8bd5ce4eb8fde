/* Linux constants from the build machine's headers, named as the C macros, so
 * that no architecture-dependent number is written in TypeScript. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <linux/netlink.h>
#include <linux/reboot.h>
#include <linux/vm_sockets.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/socket.h>

#include "agent_native.h"

#ifndef MS_LAZYTIME
#define MS_LAZYTIME (1 << 25)
#endif
#ifndef VMADDR_CID_LOCAL
#define VMADDR_CID_LOCAL 1
#endif

typedef struct {
  const char *name;
  double value;
} constant;

#define C(name) {#name, (double)(name)}

static const constant constants[] = {
    /* mount(2) */
    C(MS_RDONLY), C(MS_NOSUID), C(MS_NODEV), C(MS_NOEXEC), C(MS_SYNCHRONOUS), C(MS_REMOUNT),
    C(MS_MANDLOCK), C(MS_DIRSYNC), C(MS_NOATIME), C(MS_NODIRATIME), C(MS_BIND), C(MS_MOVE),
    C(MS_REC), C(MS_SILENT), C(MS_POSIXACL), C(MS_UNBINDABLE), C(MS_PRIVATE), C(MS_SLAVE),
    C(MS_SHARED), C(MS_RELATIME), C(MS_STRICTATIME), C(MS_LAZYTIME),
    /* umount2(2) */
    C(MNT_FORCE), C(MNT_DETACH), C(MNT_EXPIRE), C(UMOUNT_NOFOLLOW),
    /* setrlimit(2) */
    C(RLIMIT_CPU), C(RLIMIT_FSIZE), C(RLIMIT_DATA), C(RLIMIT_STACK), C(RLIMIT_CORE),
    C(RLIMIT_RSS), C(RLIMIT_NPROC), C(RLIMIT_NOFILE), C(RLIMIT_MEMLOCK), C(RLIMIT_AS),
    C(RLIMIT_LOCKS), C(RLIMIT_SIGPENDING), C(RLIMIT_MSGQUEUE), C(RLIMIT_NICE), C(RLIMIT_RTPRIO),
    C(RLIMIT_RTTIME),
    /* sockets */
    C(AF_UNIX), C(AF_NETLINK), C(AF_VSOCK), C(NETLINK_ROUTE), C(NETLINK_KOBJECT_UEVENT),
    C(VMADDR_CID_ANY), C(VMADDR_CID_HYPERVISOR), C(VMADDR_CID_LOCAL), C(VMADDR_CID_HOST),
    C(VMADDR_PORT_ANY),
    /* reboot(2) */
    C(LINUX_REBOOT_CMD_POWER_OFF), C(LINUX_REBOOT_CMD_RESTART), C(LINUX_REBOOT_CMD_HALT),
    /* open(2) and fcntl(2) flags */
    C(O_NONBLOCK), C(O_CLOEXEC), C(O_NOCTTY),
    /* signals whose numbers differ between architectures */
    C(SIGCHLD), C(SIGSTOP), C(SIGCONT), C(SIGUSR1), C(SIGUSR2),
};

bool agent_register_constants(napi_env env, napi_value exports) {
  napi_value object;
  if (!agent_napi_ok(env, napi_create_object(env, &object))) return false;
  for (size_t i = 0; i < sizeof constants / sizeof constants[0]; i++) {
    napi_value v;
    if (!agent_napi_ok(env, napi_create_double(env, constants[i].value, &v)) ||
        !agent_napi_ok(env, napi_set_named_property(env, object, constants[i].name, v)))
      return false;
  }
  if (!agent_napi_ok(env, napi_object_freeze(env, object))) return false;
  return agent_napi_ok(env, napi_set_named_property(env, exports, "constants", object));
}
