/* posix_spawn for the OCI runtime calls. libuv's uv_spawn forks the whole agent
 * (milliseconds of page-table copying for a large Node process, on the event
 * loop's thread); glibc's posix_spawn uses a vfork-style clone whose cost does not
 * depend on the parent's size. The child gets the given fds as 0, 1 and 2 (-1:
 * /dev/null), an empty signal mask and default dispositions, except SIGPIPE when
 * asked to keep it ignored. The caller reaps the pid (the agent's reaper does). */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "agent_native.h"

/* A JS array of strings → a NULL-terminated malloc'd vector (free with free_vector). */
static char **string_vector(napi_env env, napi_value array, const char *what) {
  bool is_array;
  if (!agent_napi_ok(env, napi_is_array(env, array, &is_array))) return NULL;
  if (!is_array) {
    char msg[96];
    snprintf(msg, sizeof msg, "%s must be an array of strings", what);
    napi_throw_type_error(env, "ERR_INVALID_ARG_TYPE", msg);
    return NULL;
  }
  uint32_t count;
  if (!agent_napi_ok(env, napi_get_array_length(env, array, &count))) return NULL;
  char **vec = calloc(count + 1, sizeof *vec);
  if (!vec) {
    agent_throw_errno(env, "calloc", ENOMEM);
    return NULL;
  }
  for (uint32_t i = 0; i < count; i++) {
    napi_value item;
    if (!agent_napi_ok(env, napi_get_element(env, array, i, &item)) ||
        !agent_get_string(env, item, what, false, &vec[i])) {
      for (uint32_t j = 0; j < i; j++) free(vec[j]);
      free(vec);
      return NULL;
    }
  }
  return vec;
}

static void free_vector(char **vec) {
  if (!vec) return;
  for (char **p = vec; *p; p++) free(*p);
  free(vec);
}

/* spawn(file, argv, env, [fd0, fd1, fd2], keepSigpipeIgnored) → pid. A file without
 * '/' is looked up in the PATH of `env`'s caller (posix_spawnp). */
static napi_value spawn_process(napi_env env, napi_callback_info info) {
  ARGS(env, info, 5, argv);
  char *file = NULL;
  char **args = NULL, **envp = NULL;
  int fds[3];
  bool keep_sigpipe;
  napi_value result = NULL;
  if (!agent_get_string(env, argv[0], "file", false, &file)) return NULL;
  if (!(args = string_vector(env, argv[1], "argv")) || !(envp = string_vector(env, argv[2], "env")))
    goto out;
  for (uint32_t i = 0; i < 3; i++) {
    napi_value v;
    int32_t fd;
    if (!agent_napi_ok(env, napi_get_element(env, argv[3], i, &v)) ||
        !agent_get_int32(env, v, "stdio fd", &fd))
      goto out;
    fds[i] = fd;
  }
  if (!agent_get_bool(env, argv[4], "keepSigpipeIgnored", &keep_sigpipe)) goto out;

  posix_spawn_file_actions_t actions;
  posix_spawnattr_t attr;
  posix_spawn_file_actions_init(&actions);
  posix_spawnattr_init(&attr);
  for (int i = 0; i < 3; i++) {
    if (fds[i] < 0)
      posix_spawn_file_actions_addopen(&actions, i, "/dev/null", i == 0 ? O_RDONLY : O_WRONLY, 0);
    else
      posix_spawn_file_actions_adddup2(&actions, fds[i], i);
  }
  sigset_t defaults, empty;
  sigfillset(&defaults);
  if (keep_sigpipe) sigdelset(&defaults, SIGPIPE);
  sigemptyset(&empty);
  posix_spawnattr_setsigdefault(&attr, &defaults);
  posix_spawnattr_setsigmask(&attr, &empty);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK);
  pid_t pid;
  int err = strchr(file, '/') ? posix_spawn(&pid, file, &actions, &attr, args, envp)
                              : posix_spawnp(&pid, file, &actions, &attr, args, envp);
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attr);
  if (err) {
    agent_throw_errno(env, "posix_spawn", err);
    goto out;
  }
  result = agent_int(env, pid);
out:
  free(file);
  free_vector(args);
  free_vector(envp);
  return result;
}

bool agent_register_spawn(napi_env env, napi_value exports) {
  static const agent_export list[] = {{"spawn", spawn_process}};
  return agent_register(env, exports, list, sizeof list / sizeof list[0]);
}
