/* eventfd(2), for cgroup v1 memory notifications: the OOM monitor registers one
 * in cgroup.event_control and polls it. */
#define _GNU_SOURCE
#include <errno.h>
#include <sys/eventfd.h>

#include "agent_native.h"

static napi_value make_eventfd(napi_env env, napi_callback_info info) {
  int fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (fd < 0) return agent_throw_errno(env, "eventfd", errno);
  return agent_int(env, fd);
}

bool agent_register_eventfd(napi_env env, napi_value exports) {
  static const agent_export list[] = {{"eventfd", make_eventfd}};
  return agent_register(env, exports, list, sizeof list / sizeof list[0]);
}
