// tests/interop/net.hpp — blocking-with-timeout socket helpers for the real-peer tests:
// TCP on 127.0.0.1 only, and UNIX stream sockets (QEMU's qtest channel).
//
// Sockets stay in blocking mode; every wait goes through poll() with a timeout, and writes use
// MSG_DONTWAIT | MSG_NOSIGNAL (no SIGPIPE when the peer has gone). Accepted and connected TCP
// sockets get TCP_NODELAY, as QEMU and ipmi_sim set it on their side.
#pragma once

#include <string>

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "common.hpp"

namespace ipmikit::interop {

namespace detail {
[[nodiscard]] inline sockaddr_in loopback(std::uint16_t port) {
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  return addr;
}

/// poll() for `events` on one fd: >0 ready, 0 timed out, <0 error (errno set). Retries EINTR
/// until the deadline.
[[nodiscard]] inline int poll_one(int fd, short events, const deadline& d) {
  for (int tries = 0; tries < 1000; ++tries) {
    pollfd pfd{fd, events, 0};
    const int r = ::poll(&pfd, 1, d.remaining_ms());
    if (r >= 0 || errno != EINTR) return r;
  }
  return 0;
}
}  // namespace detail

[[nodiscard]] inline status set_nodelay(int fd) {
  const int one = 1;
  if (::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one) != 0)
    return fail_errno("setsockopt TCP_NODELAY");
  return success();
}

/// The local port a socket is bound to.
[[nodiscard]] inline result<std::uint16_t> local_port(int fd) {
  sockaddr_in addr{};
  socklen_t len = sizeof addr;
  if (::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0)
    return fail_errno("getsockname");
  if (addr.sin_family != AF_INET) return fail("local_port: not an IPv4 socket");
  return static_cast<std::uint16_t>(ntohs(addr.sin_port));
}

/// A TCP socket listening on 127.0.0.1:port (port 0: the kernel picks; see local_port()).
[[nodiscard]] inline result<unique_fd> listen_tcp(std::uint16_t port, int backlog = 4) {
  unique_fd fd(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!fd) return fail_errno("socket");
  const int one = 1;
  if (::setsockopt(fd.get(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) != 0)
    return fail_errno("setsockopt SO_REUSEADDR");
  const sockaddr_in addr = detail::loopback(port);
  if (::bind(fd.get(), reinterpret_cast<const sockaddr*>(&addr), sizeof addr) != 0)
    return fail_errno("bind 127.0.0.1:" + std::to_string(port));
  if (::listen(fd.get(), backlog) != 0) return fail_errno("listen");
  return fd;
}

/// A UNIX stream socket listening at `path` (an old socket file there is removed first).
[[nodiscard]] inline result<unique_fd> listen_unix(const std::string& path, int backlog = 1) {
  sockaddr_un addr{};
  if (path.size() >= sizeof addr.sun_path)
    return fail("listen_unix: path longer than " + std::to_string(sizeof addr.sun_path - 1) +
                " bytes: " + path + " (set TMPDIR to a shorter directory)");
  addr.sun_family = AF_UNIX;
  std::memcpy(addr.sun_path, path.c_str(), path.size() + 1);
  unique_fd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!fd) return fail_errno("socket AF_UNIX");
  ::unlink(path.c_str());
  if (::bind(fd.get(), reinterpret_cast<const sockaddr*>(&addr), sizeof addr) != 0)
    return fail_errno("bind " + path);
  if (::listen(fd.get(), backlog) != 0) return fail_errno("listen " + path);
  return fd;
}

/// Accepts one connection within `timeout_ms`. TCP connections get TCP_NODELAY.
[[nodiscard]] inline result<unique_fd> accept_with_timeout(int listen_fd, int timeout_ms) {
  const deadline d{millis(timeout_ms)};
  for (int tries = 0; tries < 1000; ++tries) {
    const int r = detail::poll_one(listen_fd, POLLIN, d);
    if (r < 0) return fail_errno("poll (accept)");
    if (r == 0) return fail("no connection within " + std::to_string(timeout_ms) + " ms");
    unique_fd fd(::accept4(listen_fd, nullptr, nullptr, SOCK_CLOEXEC));
    if (!fd) {
      if (errno == EINTR || errno == EAGAIN || errno == ECONNABORTED) continue;
      return fail_errno("accept");
    }
    sockaddr_storage peer{};
    socklen_t len = sizeof peer;
    if (::getsockname(fd.get(), reinterpret_cast<sockaddr*>(&peer), &len) == 0 &&
        peer.ss_family == AF_INET) {
      auto nd = set_nodelay(fd.get());
      if (!nd) return fail(nd.error());
    }
    return fd;
  }
  return fail("accept: too many interrupted attempts");
}

/// One connection attempt to 127.0.0.1:port, waiting at most `timeout_ms`.
[[nodiscard]] inline result<unique_fd> connect_tcp(std::uint16_t port, int timeout_ms) {
  unique_fd fd(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
  if (!fd) return fail_errno("socket");
  const sockaddr_in addr = detail::loopback(port);
  const std::string where = "connect 127.0.0.1:" + std::to_string(port);
  if (::connect(fd.get(), reinterpret_cast<const sockaddr*>(&addr), sizeof addr) != 0) {
    if (errno != EINPROGRESS) return fail_errno(where);
    const deadline d{millis(timeout_ms)};
    const int r = detail::poll_one(fd.get(), POLLOUT, d);
    if (r < 0) return fail_errno(where + " (poll)");
    if (r == 0) return fail(where + ": timed out");
    int err = 0;
    socklen_t len = sizeof err;
    if (::getsockopt(fd.get(), SOL_SOCKET, SO_ERROR, &err, &len) != 0)
      return fail_errno(where + " (SO_ERROR)");
    if (err != 0) return fail(errno_text(where, err));
  }
  const int flags = ::fcntl(fd.get(), F_GETFL);
  if (flags < 0 || ::fcntl(fd.get(), F_SETFL, flags & ~O_NONBLOCK) != 0)
    return fail_errno("fcntl O_NONBLOCK");
  auto nd = set_nodelay(fd.get());
  if (!nd) return fail(nd.error());
  return fd;
}

/// Connects to 127.0.0.1:port, retrying every 50 ms while the peer is starting (connection
/// refused), for at most `total_ms`.
[[nodiscard]] inline result<unique_fd> connect_with_retry(std::uint16_t port, int total_ms) {
  const deadline d{millis(total_ms)};
  std::string last = "no attempt";
  for (int attempt = 0; attempt < 10000; ++attempt) {
    auto c = connect_tcp(port, std::max(1, d.remaining_ms()));
    if (c) return c;
    last = c.error();
    if (d.expired()) break;
    sleep_ms(std::min(50, d.remaining_ms()));
  }
  return fail("gave up after " + std::to_string(total_ms) + " ms; last error: " + last);
}

enum class read_state : std::uint8_t { data, eof, timeout };

struct read_outcome {
  read_state state = read_state::timeout;
  std::size_t size = 0;  // bytes read (state == data)
};

/// Reads whatever is available (at least one byte) within `timeout_ms`.
[[nodiscard]] inline result<read_outcome> read_some(int fd, std::span<std::uint8_t> buf,
                                                    int timeout_ms) {
  if (buf.empty()) return fail("read_some: empty buffer");
  const deadline d{millis(timeout_ms)};
  for (int tries = 0; tries < 1000; ++tries) {
    const int r = detail::poll_one(fd, POLLIN, d);
    if (r < 0) return fail_errno("poll (read)");
    if (r == 0) return read_outcome{read_state::timeout, 0};
    const ssize_t n = ::read(fd, buf.data(), buf.size());
    if (n > 0) return read_outcome{read_state::data, static_cast<std::size_t>(n)};
    if (n == 0) return read_outcome{read_state::eof, 0};
    if (errno == EINTR || errno == EAGAIN) continue;
    if (errno == ECONNRESET) return read_outcome{read_state::eof, 0};
    return fail_errno("read");
  }
  return read_outcome{read_state::timeout, 0};
}

/// Writes all of `bytes` to a socket within `timeout_ms`.
[[nodiscard]] inline status write_all(int fd, std::span<const std::uint8_t> bytes,
                                      int timeout_ms = 5000) {
  const deadline d{millis(timeout_ms)};
  std::size_t sent = 0;
  for (int tries = 0; sent < bytes.size(); ++tries) {
    if (tries > 100000) return fail("write_all: no progress");
    const ssize_t n =
        ::send(fd, bytes.data() + sent, bytes.size() - sent, MSG_DONTWAIT | MSG_NOSIGNAL);
    if (n > 0) {
      sent += static_cast<std::size_t>(n);
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK) return fail_errno("send");
    const int r = detail::poll_one(fd, POLLOUT, d);
    if (r < 0) return fail_errno("poll (write)");
    if (r == 0)
      return fail("write timed out after " + std::to_string(timeout_ms) + " ms (" +
                  std::to_string(sent) + " of " + std::to_string(bytes.size()) + " bytes sent)");
  }
  return success();
}

}  // namespace ipmikit::interop
