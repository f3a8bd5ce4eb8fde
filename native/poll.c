/* Readiness watching of any fd with the event loop (uv_poll), for fds that no
 * Node stream can own. The JS handle owns a small box; the watch itself lives
 * until libuv has closed it, so close() is safe from inside the callback. */
#include <errno.h>
#include <stdlib.h>
#include <uv.h>

#include "agent_native.h"

typedef struct poll_watch poll_watch;

/* Owned by the JS handle object (freed by its finalizer). */
typedef struct {
  poll_watch *watch; /* NULL once closed */
} poll_box;

struct poll_watch {
  uv_poll_t handle;
  napi_env env;
  napi_ref callback;
  napi_ref object; /* keeps the JS handle (and so the box) alive while watching */
  napi_async_context context;
};

static void box_finalize(napi_env env, void *data, void *hint) {
  (void)env;
  (void)hint;
  free(data);
}

static void watch_closed(uv_handle_t *handle) {
  poll_watch *w = handle->data;
  napi_handle_scope scope;
  if (napi_open_handle_scope(w->env, &scope) == napi_ok) {
    napi_async_destroy(w->env, w->context);
    napi_close_handle_scope(w->env, scope);
  }
  free(w);
}

/* Stops watching and lets libuv release the watch; the references go now so
 * that nothing keeps the callback or the handle object alive. */
static void watch_close(poll_watch *w) {
  uv_poll_stop(&w->handle);
  napi_delete_reference(w->env, w->callback);
  napi_delete_reference(w->env, w->object);
  uv_close((uv_handle_t *)&w->handle, watch_closed);
}

static void watch_ready(uv_poll_t *handle, int status, int events) {
  poll_watch *w = handle->data;
  napi_env env = w->env;
  napi_handle_scope scope;
  if (napi_open_handle_scope(env, &scope) != napi_ok) return;
  napi_value callback, object, argv[2], result;
  bool ok = napi_get_reference_value(env, w->callback, &callback) == napi_ok &&
            napi_get_reference_value(env, w->object, &object) == napi_ok;
  if (ok && status < 0) {
    argv[0] = agent_errno_error(env, "poll", -status);
    ok = argv[0] != NULL;
  } else if (ok) {
    ok = napi_get_null(env, &argv[0]) == napi_ok;
  }
  if (ok && napi_create_int32(env, status < 0 ? 0 : events, &argv[1]) == napi_ok) {
    /* make_callback runs microtasks and async hooks like any Node callback;
     * the callback may close this watch (the memory outlives this call). */
    napi_make_callback(env, w->context, object, callback, 2, argv, &result);
  }
  bool pending = false;
  napi_is_exception_pending(env, &pending);
  if (pending) {
    napi_value error;
    napi_get_and_clear_last_exception(env, &error);
    napi_fatal_exception(env, error);
  }
  napi_close_handle_scope(env, scope);
}

static poll_box *this_box(napi_env env, napi_callback_info info) {
  napi_value self;
  void *box = NULL;
  if (!agent_napi_ok(env, napi_get_cb_info(env, info, NULL, NULL, &self, NULL))) return NULL;
  if (napi_unwrap(env, self, &box) != napi_ok || !box) {
    napi_throw_type_error(env, "ERR_INVALID_THIS", "not a poll handle");
    return NULL;
  }
  return box;
}

static napi_value handle_close(napi_env env, napi_callback_info info) {
  poll_box *box = this_box(env, info);
  if (!box) return NULL;
  if (box->watch) {
    poll_watch *w = box->watch;
    box->watch = NULL;
    watch_close(w);
  }
  return agent_undefined(env);
}

static napi_value handle_ref(napi_env env, napi_callback_info info) {
  poll_box *box = this_box(env, info);
  if (!box) return NULL;
  if (box->watch) uv_ref((uv_handle_t *)&box->watch->handle);
  return agent_undefined(env);
}

static napi_value handle_unref(napi_env env, napi_callback_info info) {
  poll_box *box = this_box(env, info);
  if (!box) return NULL;
  if (box->watch) uv_unref((uv_handle_t *)&box->watch->handle);
  return agent_undefined(env);
}

static napi_value make_handle(napi_env env, poll_box **box_out) {
  napi_value object;
  NAPI_OK(env, napi_create_object(env, &object));
  static const agent_export methods[] = {
      {"close", handle_close}, {"ref", handle_ref}, {"unref", handle_unref}};
  if (!agent_register(env, object, methods, 3)) return NULL;
  poll_box *box = calloc(1, sizeof *box);
  if (!box) return agent_throw_errno(env, "calloc", ENOMEM);
  if (!agent_napi_ok(env, napi_wrap(env, object, box, box_finalize, NULL, NULL))) {
    free(box);
    return NULL;
  }
  *box_out = box;
  return object;
}

static napi_value start_poll(napi_env env, napi_callback_info info) {
  ARGS(env, info, 3, argv);
  int fd;
  uint32_t events;
  napi_valuetype type;
  if (!agent_get_fd(env, argv[0], "fd", &fd) || !agent_get_uint32(env, argv[1], "events", &events))
    return NULL;
  if (events == 0 || (events & ~(uint32_t)(UV_READABLE | UV_WRITABLE | UV_DISCONNECT)) != 0) {
    napi_throw_range_error(env, "ERR_OUT_OF_RANGE", "events must be a non-empty mask of POLL_* bits");
    return NULL;
  }
  NAPI_OK(env, napi_typeof(env, argv[2], &type));
  if (type != napi_function) {
    napi_throw_type_error(env, "ERR_INVALID_ARG_TYPE", "callback must be a function");
    return NULL;
  }
  uv_loop_t *loop;
  NAPI_OK(env, napi_get_uv_event_loop(env, &loop));
  poll_box *box = NULL;
  napi_value object = make_handle(env, &box);
  if (!object) return NULL;

  poll_watch *w = calloc(1, sizeof *w);
  if (!w) return agent_throw_errno(env, "calloc", ENOMEM);
  w->env = env;
  w->handle.data = w;
  /* libuv makes the fd non-blocking here. */
  int err = uv_poll_init(loop, &w->handle, fd);
  if (err < 0) {
    free(w);
    return agent_throw_errno(env, "uv_poll_init", -err);
  }
  napi_value name;
  if (!agent_napi_ok(env, napi_create_string_utf8(env, "AgentNativePoll", NAPI_AUTO_LENGTH, &name)) ||
      !agent_napi_ok(env, napi_async_init(env, object, name, &w->context)) ||
      !agent_napi_ok(env, napi_create_reference(env, argv[2], 1, &w->callback)) ||
      !agent_napi_ok(env, napi_create_reference(env, object, 1, &w->object))) {
    watch_close(w); /* deleting a NULL reference or context only reports an error */
    return NULL;
  }
  err = uv_poll_start(&w->handle, (int)events, watch_ready);
  if (err < 0) {
    watch_close(w);
    return agent_throw_errno(env, "uv_poll_start", -err);
  }
  box->watch = w;
  return object;
}

bool agent_register_poll(napi_env env, napi_value exports) {
  static const agent_export list[] = {{"poll", start_poll}};
  return agent_register(env, exports, list, 1);
}
