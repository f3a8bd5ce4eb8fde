/* Sockets Node cannot create: AF_VSOCK, AF_NETLINK, SCM_RIGHTS messages and
 * AF_UNIX placeholders for fd adoption. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/netlink.h>
#include <linux/vm_sockets.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "agent_native.h"

/* The kernel's SCM_MAX_FD: the most descriptors one message can carry. */
#define MAX_FDS_PER_MESSAGE 253

/* Throws for `syscall` and closes `fd` without disturbing errno's value. */
static napi_value fail_closing(napi_env env, const char *syscall, int fd) {
  int err = errno;
  if (fd >= 0) close(fd);
  return agent_throw_errno(env, syscall, err);
}

static bool get_cid(napi_env env, napi_value v, unsigned int *cid) {
  int64_t n;
  if (!agent_get_integer(env, v, "cid", -1, UINT32_MAX, &n)) return false;
  *cid = n == -1 ? VMADDR_CID_ANY : (unsigned int)n;
  return true;
}

static void vsock_address(struct sockaddr_vm *addr, unsigned int cid, unsigned int port) {
  memset(addr, 0, sizeof *addr);
  addr->svm_family = AF_VSOCK;
  addr->svm_cid = cid;
  addr->svm_port = port;
}

static napi_value vsock_listen(napi_env env, napi_callback_info info) {
  ARGS(env, info, 3, argv);
  unsigned int cid;
  uint32_t port;
  int32_t backlog;
  if (!get_cid(env, argv[0], &cid) || !agent_get_uint32(env, argv[1], "port", &port) ||
      !agent_get_int32(env, argv[2], "backlog", &backlog))
    return NULL;
  int fd = socket(AF_VSOCK, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return agent_throw_errno(env, "socket", errno);
  struct sockaddr_vm addr;
  vsock_address(&addr, cid, port);
  if (bind(fd, (struct sockaddr *)&addr, sizeof addr) < 0) return fail_closing(env, "bind", fd);
  if (listen(fd, backlog) < 0) return fail_closing(env, "listen", fd);
  return agent_int(env, fd);
}

/* A blocking connect that survives signals: after EINTR the connection goes on
 * in the background, so wait for it and read its outcome. */
static int connect_blocking(int fd, const struct sockaddr *addr, socklen_t len) {
  if (connect(fd, addr, len) == 0) return 0;
  if (errno != EINTR) return -1;
  struct pollfd p = {.fd = fd, .events = POLLOUT};
  int n;
  do n = poll(&p, 1, -1);
  while (n < 0 && errno == EINTR);
  if (n < 0) return -1;
  int err = 0;
  socklen_t err_len = sizeof err;
  if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &err_len) < 0) return -1;
  if (err != 0) {
    errno = err;
    return -1;
  }
  return 0;
}

static napi_value vsock_connect(napi_env env, napi_callback_info info) {
  ARGS(env, info, 2, argv);
  unsigned int cid;
  uint32_t port;
  if (!get_cid(env, argv[0], &cid) || !agent_get_uint32(env, argv[1], "port", &port)) return NULL;
  int fd = socket(AF_VSOCK, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return agent_throw_errno(env, "socket", errno);
  struct sockaddr_vm addr;
  vsock_address(&addr, cid, port);
  if (connect_blocking(fd, (struct sockaddr *)&addr, sizeof addr) < 0)
    return fail_closing(env, "connect", fd);
  int flags = fcntl(fd, F_GETFL);
  if (flags < 0 || fcntl(fd, F_SETFL, flags | O_NONBLOCK) < 0) return fail_closing(env, "fcntl", fd);
  return agent_int(env, fd);
}

static napi_value vsock_available(napi_env env, napi_callback_info info) {
  (void)info;
  int fd = socket(AF_VSOCK, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd >= 0) close(fd);
  napi_value result;
  NAPI_OK(env, napi_get_boolean(env, fd >= 0, &result));
  return result;
}

static napi_value netlink_open(napi_env env, napi_callback_info info) {
  ARGS(env, info, 2, argv);
  int32_t protocol;
  uint32_t groups;
  if (!agent_get_int32(env, argv[0], "protocol", &protocol) ||
      !agent_get_uint32(env, argv[1], "groups", &groups))
    return NULL;
  int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, protocol);
  if (fd < 0) return agent_throw_errno(env, "socket", errno);
  struct sockaddr_nl addr = {.nl_family = AF_NETLINK, .nl_groups = groups};
  if (bind(fd, (struct sockaddr *)&addr, sizeof addr) < 0) return fail_closing(env, "bind", fd);
  return agent_int(env, fd);
}

static napi_value netlink_send(napi_env env, napi_callback_info info) {
  ARGS(env, info, 2, argv);
  int fd;
  void *data;
  size_t len;
  if (!agent_get_fd(env, argv[0], "fd", &fd) || !agent_get_buffer(env, argv[1], "data", &data, &len))
    return NULL;
  struct sockaddr_nl kernel = {.nl_family = AF_NETLINK};
  ssize_t n;
  do n = sendto(fd, data, len, 0, (struct sockaddr *)&kernel, sizeof kernel);
  while (n < 0 && errno == EINTR);
  if (n < 0) return agent_throw_errno(env, "sendto", errno);
  return agent_int(env, n);
}

/* Peeks at the datagram's real length first so that it is never truncated,
 * then receives it straight into a buffer of that size. */
static napi_value netlink_recv(napi_env env, napi_callback_info info) {
  ARGS(env, info, 2, argv);
  int fd;
  int64_t hint;
  if (!agent_get_fd(env, argv[0], "fd", &fd) ||
      !agent_get_integer(env, argv[1], "maxSize", 0, INT32_MAX, &hint))
    return NULL;
  ssize_t size;
  do size = recv(fd, NULL, 0, MSG_PEEK | MSG_TRUNC);
  while (size < 0 && errno == EINTR);
  napi_value result;
  if (size < 0) {
    if (errno == EAGAIN || errno == EWOULDBLOCK) {
      NAPI_OK(env, napi_get_null(env, &result));
      return result;
    }
    return agent_throw_errno(env, "recv", errno);
  }
  void *data;
  NAPI_OK(env, napi_create_buffer(env, (size_t)size, &data, &result));
  ssize_t n;
  do n = recv(fd, data, (size_t)size, 0);
  while (n < 0 && errno == EINTR);
  if (n < 0) return agent_throw_errno(env, "recv", errno);
  return result;
}

static napi_value set_recv_buffer(napi_env env, napi_callback_info info) {
  ARGS(env, info, 2, argv);
  int fd;
  int32_t bytes;
  if (!agent_get_fd(env, argv[0], "fd", &fd) || !agent_get_int32(env, argv[1], "bytes", &bytes))
    return NULL;
  /* SO_RCVBUFFORCE passes net.core.rmem_max but needs CAP_NET_ADMIN. */
  if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &bytes, sizeof bytes) < 0 &&
      setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &bytes, sizeof bytes) < 0)
    return agent_throw_errno(env, "setsockopt", errno);
  return agent_undefined(env);
}

static napi_value socket_pair(napi_env env, napi_callback_info info) {
  (void)info;
  int fds[2];
  if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) < 0)
    return agent_throw_errno(env, "socketpair", errno);
  return agent_fd_pair(env, fds[0], fds[1]);
}

static napi_value unix_placeholder(napi_env env, napi_callback_info info) {
  (void)info;
  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return agent_throw_errno(env, "socket", errno);
  /* An address of just the family asks the kernel to pick an abstract name. */
  struct sockaddr_un addr = {.sun_family = AF_UNIX};
  if (bind(fd, (struct sockaddr *)&addr, sizeof(sa_family_t)) < 0)
    return fail_closing(env, "bind", fd);
  return agent_int(env, fd);
}

static void close_all(const int *fds, size_t count) {
  for (size_t i = 0; i < count; i++) close(fds[i]);
}

static napi_value recv_with_fds(napi_env env, napi_callback_info info) {
  ARGS(env, info, 2, argv);
  int fd;
  int64_t max;
  if (!agent_get_fd(env, argv[0], "fd", &fd) ||
      !agent_get_integer(env, argv[1], "maxData", 1, 64 * 1024 * 1024, &max))
    return NULL;
  char *buf = malloc((size_t)max);
  union {
    struct cmsghdr align;
    char bytes[CMSG_SPACE(sizeof(int) * MAX_FDS_PER_MESSAGE)];
  } control;
  if (!buf) return agent_throw_errno(env, "malloc", ENOMEM);
  struct iovec iov = {.iov_base = buf, .iov_len = (size_t)max};
  struct msghdr msg = {.msg_iov = &iov,
                       .msg_iovlen = 1,
                       .msg_control = control.bytes,
                       .msg_controllen = sizeof control.bytes};
  ssize_t n;
  do n = recvmsg(fd, &msg, MSG_CMSG_CLOEXEC);
  while (n < 0 && errno == EINTR);
  napi_value result = NULL;
  if (n < 0) {
    int err = errno;
    free(buf);
    if (err == EAGAIN || err == EWOULDBLOCK) {
      NAPI_OK(env, napi_get_null(env, &result));
      return result;
    }
    return agent_throw_errno(env, "recvmsg", err);
  }
  int fds[MAX_FDS_PER_MESSAGE];
  size_t nfds = 0;
  for (struct cmsghdr *c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c)) {
    if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS) continue;
    size_t count = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
    for (size_t i = 0; i < count && nfds < MAX_FDS_PER_MESSAGE; i++)
      memcpy(&fds[nfds++], CMSG_DATA(c) + i * sizeof(int), sizeof(int));
  }
  napi_value data, fd_list, v;
  if (napi_create_buffer_copy(env, (size_t)n, buf, NULL, &data) != napi_ok ||
      napi_create_array_with_length(env, nfds, &fd_list) != napi_ok ||
      napi_create_object(env, &result) != napi_ok)
    goto fail;
  for (size_t i = 0; i < nfds; i++)
    if (napi_create_int32(env, fds[i], &v) != napi_ok ||
        napi_set_element(env, fd_list, (uint32_t)i, v) != napi_ok)
      goto fail;
  if (napi_set_named_property(env, result, "data", data) != napi_ok ||
      napi_set_named_property(env, result, "fds", fd_list) != napi_ok)
    goto fail;
  free(buf);
  return result;
fail:
  free(buf);
  close_all(fds, nfds);
  agent_napi_ok(env, napi_generic_failure);
  return NULL;
}

static bool get_fd_list(napi_env env, napi_value v, int *fds, size_t *count) {
  bool is_array = false;
  if (!agent_napi_ok(env, napi_is_array(env, v, &is_array))) return false;
  uint32_t len = 0;
  if (!is_array || !agent_napi_ok(env, napi_get_array_length(env, v, &len))) {
    napi_throw_type_error(env, "ERR_INVALID_ARG_TYPE", "fds must be an array of fds");
    return false;
  }
  if (len > MAX_FDS_PER_MESSAGE) {
    napi_throw_range_error(env, "ERR_OUT_OF_RANGE", "fds may hold at most 253 descriptors");
    return false;
  }
  for (uint32_t i = 0; i < len; i++) {
    napi_value item;
    if (!agent_napi_ok(env, napi_get_element(env, v, i, &item)) ||
        !agent_get_fd(env, item, "fds[i]", &fds[i]))
      return false;
  }
  *count = len;
  return true;
}

static napi_value send_with_fds(napi_env env, napi_callback_info info) {
  ARGS(env, info, 3, argv);
  int fd, fds[MAX_FDS_PER_MESSAGE];
  void *data;
  size_t len, nfds;
  if (!agent_get_fd(env, argv[0], "fd", &fd) ||
      !agent_get_buffer(env, argv[1], "data", &data, &len) || !get_fd_list(env, argv[2], fds, &nfds))
    return NULL;
  if (len == 0) {
    /* A stream socket drops ancillary data sent without any bytes. */
    napi_throw_range_error(env, "ERR_OUT_OF_RANGE", "data must not be empty");
    return NULL;
  }
  union {
    struct cmsghdr align;
    char bytes[CMSG_SPACE(sizeof(int) * MAX_FDS_PER_MESSAGE)];
  } control;
  memset(&control, 0, sizeof control);
  struct iovec iov = {.iov_base = data, .iov_len = len};
  struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1};
  if (nfds > 0) {
    msg.msg_control = control.bytes;
    msg.msg_controllen = CMSG_SPACE(sizeof(int) * nfds);
    struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
    c->cmsg_level = SOL_SOCKET;
    c->cmsg_type = SCM_RIGHTS;
    c->cmsg_len = CMSG_LEN(sizeof(int) * nfds);
    memcpy(CMSG_DATA(c), fds, sizeof(int) * nfds);
  }
  ssize_t n;
  do n = sendmsg(fd, &msg, MSG_NOSIGNAL);
  while (n < 0 && errno == EINTR);
  if (n < 0) {
    if (errno == EAGAIN || errno == EWOULDBLOCK) return agent_int(env, -1);
    return agent_throw_errno(env, "sendmsg", errno);
  }
  return agent_int(env, n);
}

bool agent_register_sockets(napi_env env, napi_value exports) {
  static const agent_export list[] = {
      {"vsockListen", vsock_listen},     {"vsockConnect", vsock_connect},
      {"vsockAvailable", vsock_available}, {"netlinkOpen", netlink_open},
      {"netlinkSend", netlink_send},     {"netlinkRecv", netlink_recv},
      {"setRecvBuffer", set_recv_buffer}, {"socketPair", socket_pair},
      {"unixPlaceholder", unix_placeholder}, {"recvWithFds", recv_with_fds},
      {"sendWithFds", send_with_fds},
  };
  return agent_register(env, exports, list, sizeof list / sizeof list[0]);
}
