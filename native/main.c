/* Entry point of the agent's N-API addon: each source file registers its own
 * group of wrappers on the exports object. */
#include "agent_native.h"

static napi_value init(napi_env env, napi_value exports) {
  if (!agent_register_sockets(env, exports) || !agent_register_fds(env, exports) ||
      !agent_register_poll(env, exports) || !agent_register_process(env, exports) ||
      !agent_register_system(env, exports) || !agent_register_constants(env, exports) ||
      !agent_register_eventfd(env, exports) || !agent_register_spawn(env, exports))
    return NULL;
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
