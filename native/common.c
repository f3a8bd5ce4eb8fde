/* Argument reading and errno errors shared by every wrapper. */
#define _GNU_SOURCE
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uv.h>

#include "agent_native.h"

bool agent_napi_ok(napi_env env, napi_status status) {
  if (status == napi_ok) return true;
  bool pending = false;
  napi_is_exception_pending(env, &pending);
  if (!pending) {
    const napi_extended_error_info *info = NULL;
    napi_get_last_error_info(env, &info);
    napi_throw_error(env, NULL,
                     info && info->error_message ? info->error_message : "N-API call failed");
  }
  return false;
}

bool agent_get_args(napi_env env, napi_callback_info info, size_t count, napi_value *argv) {
  size_t given = count;
  if (!agent_napi_ok(env, napi_get_cb_info(env, info, &given, argv, NULL, NULL))) return false;
  if (given < count) {
    char msg[96];
    snprintf(msg, sizeof msg, "expected %zu arguments, got %zu", count, given);
    napi_throw_type_error(env, "ERR_MISSING_ARGS", msg);
    return false;
  }
  return true;
}

/* The errno's symbolic name: glibc's when it knows one, else libuv's. */
static const char *errno_name(int err) {
  const char *name = strerrorname_np(err);
  return name ? name : uv_err_name(-err);
}

napi_value agent_errno_error(napi_env env, const char *syscall, int err) {
  const char *code = errno_name(err);
  char text[256];
  snprintf(text, sizeof text, "%s: %s (%s)", syscall, code, strerror(err));
  napi_value code_v, msg_v, error, errno_v, syscall_v;
  if (napi_create_string_utf8(env, code, NAPI_AUTO_LENGTH, &code_v) != napi_ok ||
      napi_create_string_utf8(env, text, NAPI_AUTO_LENGTH, &msg_v) != napi_ok ||
      napi_create_error(env, code_v, msg_v, &error) != napi_ok ||
      napi_create_int32(env, err, &errno_v) != napi_ok ||
      napi_create_string_utf8(env, syscall, NAPI_AUTO_LENGTH, &syscall_v) != napi_ok ||
      napi_set_named_property(env, error, "errno", errno_v) != napi_ok ||
      napi_set_named_property(env, error, "syscall", syscall_v) != napi_ok)
    return NULL;
  return error;
}

napi_value agent_throw_errno(napi_env env, const char *syscall, int err) {
  napi_value error = agent_errno_error(env, syscall, err);
  if (error) napi_throw(env, error);
  return NULL;
}

static bool type_error(napi_env env, const char *what, const char *expected) {
  char msg[160];
  snprintf(msg, sizeof msg, "%s must be %s", what, expected);
  napi_throw_type_error(env, "ERR_INVALID_ARG_TYPE", msg);
  return false;
}

static bool range_error(napi_env env, const char *what, const char *expected) {
  char msg[160];
  snprintf(msg, sizeof msg, "%s must be %s", what, expected);
  napi_throw_range_error(env, "ERR_OUT_OF_RANGE", msg);
  return false;
}

bool agent_get_integer(napi_env env, napi_value v, const char *what, double min, double max,
                       int64_t *out) {
  napi_valuetype type;
  if (!agent_napi_ok(env, napi_typeof(env, v, &type))) return false;
  if (type != napi_number) return type_error(env, what, "a number");
  double d;
  if (!agent_napi_ok(env, napi_get_value_double(env, v, &d))) return false;
  if (isnan(d) || d != trunc(d)) return range_error(env, what, "an integer");
  if (d < min || d > max) {
    char expected[96];
    snprintf(expected, sizeof expected, "an integer in [%.0f, %.0f]", min, max);
    return range_error(env, what, expected);
  }
  *out = (int64_t)d;
  return true;
}

bool agent_get_fd(napi_env env, napi_value v, const char *what, int *out) {
  int64_t n;
  if (!agent_get_integer(env, v, what, 0, INT32_MAX, &n)) return false;
  *out = (int)n;
  return true;
}

bool agent_get_int32(napi_env env, napi_value v, const char *what, int32_t *out) {
  int64_t n;
  if (!agent_get_integer(env, v, what, INT32_MIN, INT32_MAX, &n)) return false;
  *out = (int32_t)n;
  return true;
}

bool agent_get_uint32(napi_env env, napi_value v, const char *what, uint32_t *out) {
  int64_t n;
  if (!agent_get_integer(env, v, what, 0, UINT32_MAX, &n)) return false;
  *out = (uint32_t)n;
  return true;
}

bool agent_get_bool(napi_env env, napi_value v, const char *what, bool *out) {
  napi_valuetype type;
  if (!agent_napi_ok(env, napi_typeof(env, v, &type))) return false;
  if (type != napi_boolean) return type_error(env, what, "a boolean");
  return agent_napi_ok(env, napi_get_value_bool(env, v, out));
}

bool agent_get_buffer(napi_env env, napi_value v, const char *what, void **data, size_t *len) {
  bool is_buffer = false;
  if (!agent_napi_ok(env, napi_is_buffer(env, v, &is_buffer))) return false;
  if (!is_buffer) return type_error(env, what, "a Buffer or Uint8Array");
  return agent_napi_ok(env, napi_get_buffer_info(env, v, data, len));
}

bool agent_get_string(napi_env env, napi_value v, const char *what, bool nullable, char **out) {
  napi_valuetype type;
  if (!agent_napi_ok(env, napi_typeof(env, v, &type))) return false;
  if (nullable && (type == napi_null || type == napi_undefined)) {
    *out = NULL;
    return true;
  }
  if (type != napi_string) return type_error(env, what, nullable ? "a string or null" : "a string");
  size_t len;
  if (!agent_napi_ok(env, napi_get_value_string_utf8(env, v, NULL, 0, &len))) return false;
  char *s = malloc(len + 1);
  if (!s) {
    agent_throw_errno(env, "malloc", ENOMEM);
    return false;
  }
  if (!agent_napi_ok(env, napi_get_value_string_utf8(env, v, s, len + 1, &len))) {
    free(s);
    return false;
  }
  if (strlen(s) != len) {
    free(s);
    return type_error(env, what, "a string without NUL characters");
  }
  *out = s;
  return true;
}

napi_value agent_undefined(napi_env env) {
  napi_value v = NULL;
  napi_get_undefined(env, &v);
  return v;
}

napi_value agent_bool(napi_env env, bool value) {
  napi_value v = NULL;
  napi_get_boolean(env, value, &v);
  return v;
}

napi_value agent_int(napi_env env, int64_t value) {
  napi_value v = NULL;
  NAPI_OK(env, napi_create_int64(env, value, &v));
  return v;
}

napi_value agent_fd_pair(napi_env env, int a, int b) {
  napi_value arr, va, vb;
  NAPI_OK(env, napi_create_array_with_length(env, 2, &arr));
  NAPI_OK(env, napi_create_int32(env, a, &va));
  NAPI_OK(env, napi_create_int32(env, b, &vb));
  NAPI_OK(env, napi_set_element(env, arr, 0, va));
  NAPI_OK(env, napi_set_element(env, arr, 1, vb));
  return arr;
}

bool agent_register(napi_env env, napi_value exports, const agent_export *list, size_t count) {
  for (size_t i = 0; i < count; i++) {
    napi_value fn;
    if (!agent_napi_ok(env, napi_create_function(env, list[i].name, NAPI_AUTO_LENGTH, list[i].fn,
                                                 NULL, &fn)) ||
        !agent_napi_ok(env, napi_set_named_property(env, exports, list[i].name, fn)))
      return false;
  }
  return true;
}
