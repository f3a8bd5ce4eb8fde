/* System-wide calls: mounts, hostname, terminals, the random pool, the clock,
 * sync and reboot. */
#define _GNU_SOURCE
#include <errno.h>
#include <linux/random.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/reboot.h>
#include <sys/time.h>
#include <termios.h>
#include <unistd.h>

#include "agent_native.h"

/* Headers older than Linux 4.17 lack it; the number is the same everywhere. */
#ifndef RNDRESEEDCRNG
#define RNDRESEEDCRNG _IO('R', 0x07)
#endif

#define MAX_ENTROPY_BYTES (1024 * 1024)

static napi_value do_mount(napi_env env, napi_callback_info info) {
  ARGS(env, info, 5, argv);
  char *source = NULL, *target = NULL, *fstype = NULL, *data = NULL;
  uint32_t flags;
  napi_value result = NULL;
  if (agent_get_string(env, argv[0], "source", true, &source) &&
      agent_get_string(env, argv[1], "target", false, &target) &&
      agent_get_string(env, argv[2], "fstype", true, &fstype) &&
      agent_get_uint32(env, argv[3], "flags", &flags) &&
      agent_get_string(env, argv[4], "data", true, &data)) {
    /* Empty strings mean "none": bind mounts and remounts take no type or data. */
    const char *type = fstype && *fstype ? fstype : NULL;
    const char *options = data && *data ? data : NULL;
    if (mount(source, target, type, flags, options) < 0)
      agent_throw_errno(env, "mount", errno);
    else
      result = agent_undefined(env);
  }
  free(source);
  free(target);
  free(fstype);
  free(data);
  return result;
}

static napi_value do_umount2(napi_env env, napi_callback_info info) {
  ARGS(env, info, 2, argv);
  char *target;
  int32_t flags;
  if (!agent_get_string(env, argv[0], "target", false, &target)) return NULL;
  if (!agent_get_int32(env, argv[1], "flags", &flags)) {
    free(target);
    return NULL;
  }
  int r = umount2(target, flags);
  int err = errno;
  free(target);
  if (r < 0) return agent_throw_errno(env, "umount2", err);
  return agent_undefined(env);
}

static napi_value do_sethostname(napi_env env, napi_callback_info info) {
  ARGS(env, info, 1, argv);
  char *name;
  if (!agent_get_string(env, argv[0], "name", false, &name)) return NULL;
  int r = sethostname(name, strlen(name));
  int err = errno;
  free(name);
  if (r < 0) return agent_throw_errno(env, "sethostname", err);
  return agent_undefined(env);
}

static napi_value set_window_size(napi_env env, napi_callback_info info) {
  ARGS(env, info, 3, argv);
  int fd;
  int64_t rows, cols;
  if (!agent_get_fd(env, argv[0], "fd", &fd) ||
      !agent_get_integer(env, argv[1], "rows", 0, UINT16_MAX, &rows) ||
      !agent_get_integer(env, argv[2], "cols", 0, UINT16_MAX, &cols))
    return NULL;
  struct winsize size = {.ws_row = (unsigned short)rows, .ws_col = (unsigned short)cols};
  if (ioctl(fd, TIOCSWINSZ, &size) < 0) return agent_throw_errno(env, "ioctl", errno);
  return agent_undefined(env);
}

static napi_value set_onlcr(napi_env env, napi_callback_info info) {
  ARGS(env, info, 2, argv);
  int fd;
  bool on;
  if (!agent_get_fd(env, argv[0], "fd", &fd) || !agent_get_bool(env, argv[1], "on", &on)) return NULL;
  struct termios t;
  if (tcgetattr(fd, &t) < 0) return agent_throw_errno(env, "tcgetattr", errno);
  if (on)
    t.c_oflag |= ONLCR;
  else
    t.c_oflag &= ~(tcflag_t)ONLCR;
  if (tcsetattr(fd, TCSANOW, &t) < 0) return agent_throw_errno(env, "tcsetattr", errno);
  return agent_undefined(env);
}

static napi_value add_entropy(napi_env env, napi_callback_info info) {
  ARGS(env, info, 2, argv);
  int fd;
  void *data;
  size_t len;
  if (!agent_get_fd(env, argv[0], "fd", &fd) || !agent_get_buffer(env, argv[1], "data", &data, &len))
    return NULL;
  if (len > MAX_ENTROPY_BYTES) {
    napi_throw_range_error(env, "ERR_OUT_OF_RANGE", "data must be at most 1 MiB");
    return NULL;
  }
  struct rand_pool_info *pool = malloc(sizeof *pool + len);
  if (!pool) return agent_throw_errno(env, "malloc", ENOMEM);
  pool->entropy_count = (int)(len * 8);
  pool->buf_size = (int)len;
  memcpy(pool->buf, data, len);
  int r = ioctl(fd, RNDADDENTROPY, pool);
  int err = errno;
  free(pool);
  if (r < 0) return agent_throw_errno(env, "ioctl", err);
  return agent_undefined(env);
}

static napi_value reseed_crng(napi_env env, napi_callback_info info) {
  ARGS(env, info, 1, argv);
  int fd;
  if (!agent_get_fd(env, argv[0], "fd", &fd)) return NULL;
  if (ioctl(fd, RNDRESEEDCRNG) < 0) return agent_throw_errno(env, "ioctl", errno);
  return agent_undefined(env);
}

static napi_value do_settimeofday(napi_env env, napi_callback_info info) {
  ARGS(env, info, 2, argv);
  int64_t sec, usec;
  /* Checked here as well as by the kernel, so a bad value never reaches the clock. */
  if (!agent_get_integer(env, argv[0], "sec", 0, 9007199254740991.0, &sec) ||
      !agent_get_integer(env, argv[1], "usec", 0, 999999, &usec))
    return NULL;
  struct timeval tv = {.tv_sec = (time_t)sec, .tv_usec = (suseconds_t)usec};
  if (settimeofday(&tv, NULL) < 0) return agent_throw_errno(env, "settimeofday", errno);
  return agent_undefined(env);
}

/* Hands memory glibc holds free back to the kernel (the heap and every arena);
 * false where the C library has no such call. */
static napi_value trim_memory(napi_env env, napi_callback_info info) {
  (void)info;
#ifdef __GLIBC__
  malloc_trim(0);
  return agent_bool(env, true);
#else
  return agent_bool(env, false);
#endif
}

/* glibc raises its mmap threshold (up to 32 MiB) each time a large mmapped block
 * is freed, after which large buffers come from the heap and stay there once
 * freed. A fixed threshold keeps large buffers in their own mappings. */
static napi_value fix_mmap_threshold(napi_env env, napi_callback_info info) {
  ARGS(env, info, 1, argv);
  uint32_t bytes;
  if (!agent_get_uint32(env, argv[0], "bytes", &bytes)) return NULL;
#ifdef __GLIBC__
  return agent_bool(env, mallopt(M_MMAP_THRESHOLD, (int)bytes) == 1);
#else
  return agent_bool(env, false);
#endif
}

static napi_value do_sync(napi_env env, napi_callback_info info) {
  (void)info;
  sync();
  return agent_undefined(env);
}

/* sync() can take a long time with dirty pages on slow disks: syncAsync runs it
 * on libuv's thread pool so the event loop (every other RPC) keeps going. */
typedef struct {
  napi_async_work work;
  napi_deferred deferred;
} sync_job;

static void sync_execute(napi_env env, void *data) {
  (void)env;
  (void)data;
  sync();
}

static void sync_complete(napi_env env, napi_status status, void *data) {
  sync_job *job = data;
  napi_value value = NULL;
  if (status == napi_ok) {
    napi_get_undefined(env, &value);
    napi_resolve_deferred(env, job->deferred, value);
  } else {
    napi_value message = NULL;
    napi_create_string_utf8(env, "sync was cancelled", NAPI_AUTO_LENGTH, &message);
    napi_create_error(env, NULL, message, &value);
    napi_reject_deferred(env, job->deferred, value);
  }
  napi_delete_async_work(env, job->work);
  free(job);
}

static napi_value do_sync_async(napi_env env, napi_callback_info info) {
  (void)info;
  sync_job *job = calloc(1, sizeof *job);
  if (!job) return agent_throw_errno(env, "calloc", ENOMEM);
  napi_value promise, name;
  if (!agent_napi_ok(env, napi_create_promise(env, &job->deferred, &promise)) ||
      !agent_napi_ok(env, napi_create_string_utf8(env, "agent:sync", NAPI_AUTO_LENGTH, &name)) ||
      !agent_napi_ok(env, napi_create_async_work(env, NULL, name, sync_execute, sync_complete, job,
                                                 &job->work))) {
    free(job);
    return NULL;
  }
  if (!agent_napi_ok(env, napi_queue_async_work(env, job->work))) {
    napi_delete_async_work(env, job->work);
    free(job);
    return NULL;
  }
  return promise;
}

static napi_value do_reboot(napi_env env, napi_callback_info info) {
  ARGS(env, info, 1, argv);
  int64_t cmd;
  if (!agent_get_integer(env, argv[0], "cmd", INT32_MIN, UINT32_MAX, &cmd)) return NULL;
  if (reboot((int)(uint32_t)cmd) < 0) return agent_throw_errno(env, "reboot", errno);
  return agent_undefined(env);
}

bool agent_register_system(napi_env env, napi_value exports) {
  static const agent_export list[] = {
      {"mount", do_mount},
      {"umount2", do_umount2},
      {"sethostname", do_sethostname},
      {"setWindowSize", set_window_size},
      {"setOnlcr", set_onlcr},
      {"addEntropy", add_entropy},
      {"reseedCrng", reseed_crng},
      {"settimeofday", do_settimeofday},
      {"sync", do_sync},
      {"trimMemory", trim_memory},
      {"fixMmapThreshold", fix_mmap_threshold},
      {"syncAsync", do_sync_async},
      {"reboot", do_reboot},
  };
  return agent_register(env, exports, list, sizeof list / sizeof list[0]);
}
