/* Shared declarations of the agent's N-API addon: argument readers, errno
 * errors and the registration function of each group of wrappers. */
#ifndef AGENT_NATIVE_H
#define AGENT_NATIVE_H

#include <node_api.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Bails out of a napi_callback with NULL when a napi call fails (an exception
 * is then pending or the failure is reported as one). */
#define NAPI_OK(env, call)                                                                         \
  do {                                                                                             \
    if (!agent_napi_ok((env), (call))) return NULL;                                                \
  } while (0)

/* Reads `count` arguments of the current call into `argv`, throwing a
 * TypeError when fewer are given. */
#define ARGS(env, info, count, argv)                                                               \
  napi_value argv[(count) > 0 ? (count) : 1];                                                      \
  do {                                                                                             \
    if (!agent_get_args((env), (info), (count), argv)) return NULL;                                \
  } while (0)

/* One exported function: a name and its callback. */
typedef struct {
  const char *name;
  napi_callback fn;
} agent_export;

bool agent_napi_ok(napi_env env, napi_status status);
bool agent_get_args(napi_env env, napi_callback_info info, size_t count, napi_value *argv);

/* Throws an Error "<syscall>: <CODE> (<strerror>)" with code, errno and syscall
 * properties; returns NULL so callbacks can `return agent_throw_errno(...)`. */
napi_value agent_throw_errno(napi_env env, const char *syscall, int err);
/* The same error as a value, for callbacks that report it asynchronously. */
napi_value agent_errno_error(napi_env env, const char *syscall, int err);

/* Argument readers: each throws a TypeError/RangeError naming `what` and
 * returns false when the value does not fit. */
bool agent_get_fd(napi_env env, napi_value v, const char *what, int *out);
bool agent_get_int32(napi_env env, napi_value v, const char *what, int32_t *out);
bool agent_get_uint32(napi_env env, napi_value v, const char *what, uint32_t *out);
/* An integral number (not NaN, not fractional) within [min, max]. */
bool agent_get_integer(napi_env env, napi_value v, const char *what, double min, double max,
                       int64_t *out);
bool agent_get_bool(napi_env env, napi_value v, const char *what, bool *out);
bool agent_get_buffer(napi_env env, napi_value v, const char *what, void **data, size_t *len);
/* A string copied to a malloc'd buffer (free() it). With `nullable`, null and
 * undefined give *out = NULL. */
bool agent_get_string(napi_env env, napi_value v, const char *what, bool nullable, char **out);

napi_value agent_undefined(napi_env env);
napi_value agent_bool(napi_env env, bool value);
napi_value agent_int(napi_env env, int64_t value);
napi_value agent_fd_pair(napi_env env, int a, int b);

bool agent_register(napi_env env, napi_value exports, const agent_export *list, size_t count);

bool agent_register_sockets(napi_env env, napi_value exports);
bool agent_register_fds(napi_env env, napi_value exports);
bool agent_register_poll(napi_env env, napi_value exports);
bool agent_register_process(napi_env env, napi_value exports);
bool agent_register_system(napi_env env, napi_value exports);
bool agent_register_constants(napi_env env, napi_value exports);
bool agent_register_eventfd(napi_env env, napi_value exports);
bool agent_register_spawn(napi_env env, napi_value exports);

#endif
