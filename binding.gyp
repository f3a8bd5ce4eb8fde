{
  "targets": [
    {
      "target_name": "agent_native",
      "sources": [
        "native/main.c",
        "native/common.c",
        "native/sockets.c",
        "native/fds.c",
        "native/poll.c",
        "native/process.c",
        "native/system.c",
        "native/constants.c",
        "native/eventfd.c",
        "native/spawn.c"
      ],
      "defines": ["NAPI_VERSION=8"],
      "cflags_c": ["-std=gnu11", "-Wall", "-Wextra", "-Wno-unused-parameter"]
    }
  ]
}
