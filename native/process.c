/* Process control: subreaping, dumpability, peeking at and reaping exited
 * children, resource limits. */
#define _GNU_SOURCE
#include <errno.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>

#include "agent_native.h"

static napi_value set_child_subreaper(napi_env env, napi_callback_info info) {
  ARGS(env, info, 1, argv);
  bool on;
  if (!agent_get_bool(env, argv[0], "on", &on)) return NULL;
  if (prctl(PR_SET_CHILD_SUBREAPER, on ? 1 : 0, 0, 0, 0) < 0)
    return agent_throw_errno(env, "prctl", errno);
  return agent_undefined(env);
}

static napi_value set_dumpable(napi_env env, napi_callback_info info) {
  ARGS(env, info, 1, argv);
  bool on;
  if (!agent_get_bool(env, argv[0], "on", &on)) return NULL;
  if (prctl(PR_SET_DUMPABLE, on ? 1 : 0, 0, 0, 0) < 0) return agent_throw_errno(env, "prctl", errno);
  return agent_undefined(env);
}

static napi_value get_dumpable(napi_env env, napi_callback_info info) {
  (void)info;
  int r = prctl(PR_GET_DUMPABLE, 0, 0, 0, 0);
  if (r < 0) return agent_throw_errno(env, "prctl", errno);
  napi_value result;
  NAPI_OK(env, napi_get_boolean(env, r != 0, &result));
  return result;
}

/* {pid, exitCode, signal}: exactly one of exitCode and signal is a number. */
static napi_value wait_status(napi_env env, pid_t pid, bool exited, int value) {
  napi_value result, pid_v, value_v, null_v;
  NAPI_OK(env, napi_create_object(env, &result));
  NAPI_OK(env, napi_create_int32(env, pid, &pid_v));
  NAPI_OK(env, napi_create_int32(env, value, &value_v));
  NAPI_OK(env, napi_get_null(env, &null_v));
  NAPI_OK(env, napi_set_named_property(env, result, "pid", pid_v));
  NAPI_OK(env, napi_set_named_property(env, result, "exitCode", exited ? value_v : null_v));
  NAPI_OK(env, napi_set_named_property(env, result, "signal", exited ? null_v : value_v));
  return result;
}

static napi_value null_value(napi_env env) {
  napi_value v;
  NAPI_OK(env, napi_get_null(env, &v));
  return v;
}

static napi_value wait_peek(napi_env env, napi_callback_info info) {
  (void)info;
  siginfo_t si;
  memset(&si, 0, sizeof si); /* si_pid stays 0 when no child has exited */
  int r;
  do r = waitid(P_ALL, 0, &si, WEXITED | WNOHANG | WNOWAIT);
  while (r < 0 && errno == EINTR);
  if (r < 0) {
    if (errno == ECHILD) return null_value(env);
    return agent_throw_errno(env, "waitid", errno);
  }
  if (si.si_pid == 0) return null_value(env);
  return wait_status(env, si.si_pid, si.si_code == CLD_EXITED, si.si_status);
}

static napi_value wait_pid(napi_env env, napi_callback_info info) {
  ARGS(env, info, 1, argv);
  int64_t pid;
  if (!agent_get_integer(env, argv[0], "pid", 1, INT32_MAX, &pid)) return NULL;
  int status = 0;
  pid_t r;
  do r = waitpid((pid_t)pid, &status, WNOHANG);
  while (r < 0 && errno == EINTR);
  if (r < 0) return agent_throw_errno(env, "waitpid", errno);
  if (r == 0) return null_value(env);
  if (WIFEXITED(status)) return wait_status(env, r, true, WEXITSTATUS(status));
  return wait_status(env, r, false, WTERMSIG(status));
}

static bool get_limit(napi_env env, napi_value v, const char *what, rlim_t *out) {
  int64_t n;
  /* Up to 2^53: larger values are not exact as JS numbers. */
  if (!agent_get_integer(env, v, what, -1, 9007199254740992.0, &n)) return false;
  *out = n < 0 ? RLIM_INFINITY : (rlim_t)n;
  return true;
}

static napi_value set_rlimit(napi_env env, napi_callback_info info) {
  ARGS(env, info, 3, argv);
  int32_t resource;
  struct rlimit limit;
  if (!agent_get_int32(env, argv[0], "resource", &resource) ||
      !get_limit(env, argv[1], "soft", &limit.rlim_cur) ||
      !get_limit(env, argv[2], "hard", &limit.rlim_max))
    return NULL;
  if (setrlimit(resource, &limit) < 0)
    return agent_throw_errno(env, "setrlimit", errno);
  return agent_undefined(env);
}

bool agent_register_process(napi_env env, napi_value exports) {
  static const agent_export list[] = {
      {"setChildSubreaper", set_child_subreaper},
      {"setDumpable", set_dumpable},
      {"getDumpable", get_dumpable},
      {"waitPeek", wait_peek},
      {"waitPid", wait_pid},
      {"setRlimit", set_rlimit},
  };
  return agent_register(env, exports, list, sizeof list / sizeof list[0]);
}
