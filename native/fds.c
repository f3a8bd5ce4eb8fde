/* Descriptors: pipes with a chosen capacity, flags, dup3, raw non-blocking
 * reads and writes, and pseudo-terminals. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <unistd.h>

#include "agent_native.h"

static bool set_flag(int fd, int get, int set, int flag, bool on) {
  int flags = fcntl(fd, get);
  if (flags < 0) return false;
  int wanted = on ? flags | flag : flags & ~flag;
  return wanted == flags || fcntl(fd, set, wanted) == 0;
}

static napi_value make_pipe(napi_env env, napi_callback_info info) {
  ARGS(env, info, 2, argv);
  bool nonblock_read, nonblock_write;
  if (!agent_get_bool(env, argv[0], "nonblockRead", &nonblock_read) ||
      !agent_get_bool(env, argv[1], "nonblockWrite", &nonblock_write))
    return NULL;
  int fds[2];
  if (pipe2(fds, O_CLOEXEC) < 0) return agent_throw_errno(env, "pipe2", errno);
  /* Each end is its own open file description, so O_NONBLOCK can differ. */
  if (!set_flag(fds[0], F_GETFL, F_SETFL, O_NONBLOCK, nonblock_read) ||
      !set_flag(fds[1], F_GETFL, F_SETFL, O_NONBLOCK, nonblock_write)) {
    int err = errno;
    close(fds[0]);
    close(fds[1]);
    return agent_throw_errno(env, "fcntl", err);
  }
  return agent_fd_pair(env, fds[0], fds[1]);
}

static napi_value set_pipe_size(napi_env env, napi_callback_info info) {
  ARGS(env, info, 2, argv);
  int fd;
  int32_t bytes;
  if (!agent_get_fd(env, argv[0], "fd", &fd) || !agent_get_int32(env, argv[1], "bytes", &bytes))
    return NULL;
  int granted = fcntl(fd, F_SETPIPE_SZ, bytes);
  if (granted < 0) return agent_throw_errno(env, "fcntl", errno);
  return agent_int(env, granted);
}

static napi_value get_pipe_size(napi_env env, napi_callback_info info) {
  ARGS(env, info, 1, argv);
  int fd;
  if (!agent_get_fd(env, argv[0], "fd", &fd)) return NULL;
  int size = fcntl(fd, F_GETPIPE_SZ);
  if (size < 0) return agent_throw_errno(env, "fcntl", errno);
  return agent_int(env, size);
}

static napi_value set_non_blocking(napi_env env, napi_callback_info info) {
  ARGS(env, info, 2, argv);
  int fd;
  bool on;
  if (!agent_get_fd(env, argv[0], "fd", &fd) || !agent_get_bool(env, argv[1], "on", &on)) return NULL;
  if (!set_flag(fd, F_GETFL, F_SETFL, O_NONBLOCK, on)) return agent_throw_errno(env, "fcntl", errno);
  return agent_undefined(env);
}

static napi_value set_cloexec(napi_env env, napi_callback_info info) {
  ARGS(env, info, 2, argv);
  int fd;
  bool on;
  if (!agent_get_fd(env, argv[0], "fd", &fd) || !agent_get_bool(env, argv[1], "on", &on)) return NULL;
  if (!set_flag(fd, F_GETFD, F_SETFD, FD_CLOEXEC, on)) return agent_throw_errno(env, "fcntl", errno);
  return agent_undefined(env);
}

static napi_value dup3_fd(napi_env env, napi_callback_info info) {
  ARGS(env, info, 2, argv);
  int old_fd, new_fd;
  if (!agent_get_fd(env, argv[0], "oldFd", &old_fd) || !agent_get_fd(env, argv[1], "newFd", &new_fd))
    return NULL;
  int r;
  do r = dup3(old_fd, new_fd, O_CLOEXEC);
  while (r < 0 && errno == EINTR);
  if (r < 0) return agent_throw_errno(env, "dup3", errno);
  return agent_undefined(env);
}

static napi_value close_fd(napi_env env, napi_callback_info info) {
  ARGS(env, info, 1, argv);
  int fd;
  if (!agent_get_fd(env, argv[0], "fd", &fd)) return NULL;
  /* On Linux the descriptor is released even when close reports EINTR:
   * retrying could close a descriptor another thread just opened. */
  if (close(fd) < 0 && errno != EINTR) return agent_throw_errno(env, "close", errno);
  return agent_undefined(env);
}

static napi_value write_fd(napi_env env, napi_callback_info info) {
  ARGS(env, info, 2, argv);
  int fd;
  void *data;
  size_t len;
  if (!agent_get_fd(env, argv[0], "fd", &fd) || !agent_get_buffer(env, argv[1], "data", &data, &len))
    return NULL;
  ssize_t n;
  do n = write(fd, data, len);
  while (n < 0 && errno == EINTR);
  if (n < 0) {
    if (errno == EAGAIN || errno == EWOULDBLOCK) return agent_int(env, -1);
    return agent_throw_errno(env, "write", errno);
  }
  return agent_int(env, n);
}

static napi_value read_fd(napi_env env, napi_callback_info info) {
  ARGS(env, info, 2, argv);
  int fd;
  int64_t max;
  if (!agent_get_fd(env, argv[0], "fd", &fd) ||
      !agent_get_integer(env, argv[1], "max", 0, 64 * 1024 * 1024, &max))
    return NULL;
  char *buf = malloc(max > 0 ? (size_t)max : 1);
  if (!buf) return agent_throw_errno(env, "malloc", ENOMEM);
  ssize_t n;
  do n = read(fd, buf, (size_t)max);
  while (n < 0 && errno == EINTR);
  napi_value result = NULL;
  if (n < 0) {
    int err = errno;
    free(buf);
    if (err == EAGAIN || err == EWOULDBLOCK) {
      NAPI_OK(env, napi_get_null(env, &result));
      return result;
    }
    return agent_throw_errno(env, "read", err);
  }
  napi_status status = napi_create_buffer_copy(env, (size_t)n, buf, NULL, &result);
  free(buf);
  NAPI_OK(env, status);
  return result;
}

static napi_value open_pty(napi_env env, napi_callback_info info) {
  (void)info;
  int master = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
  if (master < 0) return agent_throw_errno(env, "posix_openpt", errno);
  char name[PATH_MAX];
  const char *failed = NULL;
  if (grantpt(master) < 0)
    failed = "grantpt";
  else if (unlockpt(master) < 0)
    failed = "unlockpt";
  else if (ptsname_r(master, name, sizeof name) != 0)
    failed = "ptsname_r";
  if (failed) {
    int err = errno;
    close(master);
    return agent_throw_errno(env, failed, err);
  }
  napi_value result, master_v, name_v;
  if (napi_create_object(env, &result) != napi_ok ||
      napi_create_int32(env, master, &master_v) != napi_ok ||
      napi_create_string_utf8(env, name, NAPI_AUTO_LENGTH, &name_v) != napi_ok ||
      napi_set_named_property(env, result, "master", master_v) != napi_ok ||
      napi_set_named_property(env, result, "slaveName", name_v) != napi_ok) {
    close(master);
    agent_napi_ok(env, napi_generic_failure);
    return NULL;
  }
  return result;
}

bool agent_register_fds(napi_env env, napi_value exports) {
  static const agent_export list[] = {
      {"pipe", make_pipe},
      {"setPipeSize", set_pipe_size},
      {"getPipeSize", get_pipe_size},
      {"setNonBlocking", set_non_blocking},
      {"setCloexec", set_cloexec},
      {"dup3", dup3_fd},
      {"close", close_fd},
      {"write", write_fd},
      {"read", read_fd},
      {"openPty", open_pty},
  };
  return agent_register(env, exports, list, sizeof list / sizeof list[0]);
}
