// apps/ipmikit-bmc/serial.hpp — each VM's serial console, for Serial over LAN.
//
// QEMU listens and ipmikit-bmc connects (docs/ipmikit-bmc.md, "Serial over LAN"):
//   qemu-system-x86_64 ... -chardev socket,id=ser0,path=/run/vm1.serial,server=on,wait=off -serial chardev:ser0
//   [vm vm1]  serial = unix:/run/vm1.serial
// ipmikit-bmc stays connected whether or not a console is on SOL: QEMU keeps nothing the guest
// prints while no client is connected, and the last `sol_history` bytes are what a console
// sees first when it activates SOL (the login prompt, the last boot messages). While it cannot
// connect (QEMU not started yet, restarted, gone), it tries again every second; it is the
// client, so either side may restart.
//
// Bounds: the history (sol_history bytes, at most max_sol_history), the characters a console
// typed that wait for the VM (serial_to_vm_capacity: a console that types faster than the VM
// reads is flow-controlled through SOL's accepted counts), and the SOL instance's buffer
// (sol_buffer, only while SOL is active).
//
// Flow control toward the VM, as a UART's: QEMU's serial port sends as fast as the socket takes
// (no baud rate), so a guest printing a large file outruns any SOL console (one packet of 255
// characters per round trip). While the SOL buffer is full and the console keeps up (its last
// packet was acknowledged without a retry), the socket is not read: QEMU holds the guest's
// output, as a real line's CTS would, and nothing is lost. Once the console falls behind (a
// packet needs a retry: 500 ms without an ACK by default) or NACKs, the VM is read again at
// full speed and what does not fit is dropped from SOL (counted, and said to the console as
// "transmit overrun"), so a dead or stalled console holds the VM up for at most one retry
// interval. Without SOL the VM is always read. The history keeps everything read.
#pragma once

#include <ipmikit/lan/sol.hpp>

#include <netdb.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstring>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "config.hpp"
#include "log.hpp"

namespace ipmikit_bmc {

/// Characters a console typed that wait for the VM to read them.
constexpr std::size_t serial_to_vm_capacity = 4096;
/// Read per console per loop turn (the others get their turn).
constexpr std::size_t serial_read_chunk = 4096;
constexpr std::size_t serial_reads_per_turn = 4;
/// How soon a console that is not connected is tried again.
constexpr auto serial_retry_interval = std::chrono::seconds(1);
/// The SOL instance's buffer: serial output waiting for the console (and the history replayed
/// at activation, which is at most this).
constexpr std::size_t sol_buffer = 64 * 1024;

using sol_type = ipmikit::lan::sol_instance<sol_buffer, clock_type>;

/// Counters for `status` and the tests.
struct serial_stats {
  std::uint64_t from_vm = 0;       // bytes the guest printed
  std::uint64_t to_vm = 0;         // bytes typed over SOL that reached the VM
  std::uint64_t connects = 0;
  std::uint64_t disconnects = 0;
};

class serial_console {
 public:
  serial_console(std::string vm, listen_address where, std::size_t history)
      : vm_(std::move(vm)), where_(std::move(where)), history_(history) {}
  serial_console(const serial_console&) = delete;
  serial_console& operator=(const serial_console&) = delete;
  ~serial_console() {
    if (fd_ >= 0) ::close(fd_);
  }

  [[nodiscard]] int fd() const { return fd_; }
  [[nodiscard]] bool connected() const { return fd_ >= 0 && !connecting_; }
  [[nodiscard]] const std::string& vm() const { return vm_; }
  [[nodiscard]] const listen_address& where() const { return where_; }
  [[nodiscard]] const serial_stats& stats() const { return stats_; }
  /// The SOL instance, while a console holds SOL, and the LAN session that holds it.
  [[nodiscard]] sol_type* sol() { return sol_.get(); }
  [[nodiscard]] std::uint32_t sol_session() const { return sol_session_; }

  /// Starts a connection when none is up and one is due; true when a new descriptor is to be
  /// watched (fd(), wanted_events()).
  bool connect_if_due(time_point now) {
    if (fd_ >= 0 || now < retry_at_) return false;
    retry_at_ = now + serial_retry_interval;
    std::string why;
    fd_ = open_connection(why);
    if (fd_ < 0) {
      failed(why, now);
      return false;
    }
    if (!connecting_) established(now);
    return true;
  }

  /// The epoll events wanted now: no EPOLLIN while the VM is held back (flow control).
  [[nodiscard]] std::uint32_t wanted_events() const {
    if (connecting_) return EPOLLOUT;
    return (holding_vm() ? 0u : static_cast<std::uint32_t>(EPOLLIN)) |
           (to_vm_.empty() ? 0u : static_cast<std::uint32_t>(EPOLLOUT));
  }
  /// The VM's output waits in QEMU: SOL's buffer is full and its console keeps up.
  [[nodiscard]] bool holding_vm() const { return sol_ && sol_->space() == 0 && sol_->console_keeping_up(); }

  /// Handles epoll events `ev`; false when the connection ended (closed here; the caller
  /// forgets the descriptor it watched).
  bool io(std::uint32_t ev, time_point now) {
    if (connecting_) {
      int err = 0;
      socklen_t len = sizeof err;
      if (::getsockopt(fd_, SOL_SOCKET, SO_ERROR, &err, &len) != 0 || err != 0) {
        close_fd();
        failed(std::strerror(err != 0 ? err : errno), now);
        return false;
      }
      connecting_ = false;
      established(now);
      return true;
    }
    // Held back, a hang-up is not read: QEMU went away (what it still had for us goes with it).
    if ((ev & (EPOLLHUP | EPOLLERR)) != 0 && holding_vm()) return lost(now, "closed");
    if ((ev & (EPOLLIN | EPOLLHUP | EPOLLERR)) != 0 && !read_vm(now)) return false;
    if ((ev & EPOLLOUT) != 0 && !write_vm(now)) return false;
    return true;
  }

  /// When this console has work: a connection attempt, or its SOL instance's next packet.
  [[nodiscard]] std::optional<time_point> next_deadline() const {
    std::optional<time_point> due;
    if (fd_ < 0) due = retry_at_;
    if (sol_)
      if (const auto d = sol_->next_deadline(); d && (!due || *d < *due)) due = d;
    return due;
  }

  // --- SOL -------------------------------------------------------------------------------------

  /// LAN session `session` activated SOL: a fresh instance, fed the history first.
  void activate(time_point now, const sol_type::settings& s, std::uint32_t session) {
    sol_ = std::make_unique<sol_type>(s);
    sol_session_ = session;
    sol_->activate(now);
    const std::vector<std::uint8_t> last = history_tail(sol_buffer);
    (void)sol_->write(last, now);
  }
  void deactivate() {
    sol_.reset();
    sol_session_ = 0;
  }

  /// lan::sol_sink: characters typed over SOL, for the VM; returns how many fit.
  std::size_t characters(std::span<const std::uint8_t> c) {
    const std::size_t n = std::min(c.size(), serial_to_vm_capacity - to_vm_.size());
    to_vm_.insert(to_vm_.end(), c.begin(), c.begin() + static_cast<std::ptrdiff_t>(n));
    return n;  // written when the socket is writable: wanted_events() asks for EPOLLOUT
  }
  /// lan::sol_sink: flush inbound drops what waits for the VM; a BREAK cannot be sent on a
  /// socket chardev (it has no line), so it is only counted.
  void operation(std::uint8_t bits) {
    if ((bits & ipmikit::lan::sol_operation::flush_inbound) != 0) to_vm_.clear();
    if ((bits & ipmikit::lan::sol_operation::generate_break) != 0) ++breaks_;
  }
  /// lan::sol_sink: no VM to type to while disconnected ("character transfer unavailable").
  [[nodiscard]] bool available() const { return connected(); }

  /// The history as it stands (oldest first), for the tests and a future `console` command.
  [[nodiscard]] std::string history() const {
    const std::vector<std::uint8_t> h = history_tail(history_.size());
    return std::string(h.begin(), h.end());
  }

 private:
  int open_connection(std::string& why) {
    connecting_ = false;
    if (where_.type == listen_address::kind::unix_socket) {
      sockaddr_un addr{};
      addr.sun_family = AF_UNIX;
      std::memcpy(addr.sun_path, where_.path.c_str(), std::min(where_.path.size() + 1, sizeof addr.sun_path));
      const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
      if (fd < 0 || ::connect(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof addr) != 0) {
        why = std::strerror(errno);
        if (fd >= 0) ::close(fd);
        return -1;
      }
      return fd;
    }
    addrinfo hints{};
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_NUMERICSERV;
    addrinfo* found = nullptr;
    const std::string port = std::to_string(where_.port);
    if (const int rc = ::getaddrinfo(where_.host.c_str(), port.c_str(), &hints, &found); rc != 0) {
      why = std::string("cannot resolve '") + where_.host + "': " + ::gai_strerror(rc);
      return -1;
    }
    int fd = ::socket(found->ai_family, found->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, found->ai_protocol);
    if (fd >= 0 && ::connect(fd, found->ai_addr, found->ai_addrlen) != 0) {
      if (errno == EINPROGRESS) {
        connecting_ = true;
      } else {
        why = std::strerror(errno);
        ::close(fd);
        fd = -1;
      }
    } else if (fd < 0) {
      why = std::strerror(errno);
    }
    ::freeaddrinfo(found);
    return fd;
  }

  void established(time_point) {
    ++stats_.connects;
    failing_ = false;
    log_event(vm_, "event=serial_connected address=%s", quoted(where_.text()).c_str());
  }

  void failed(const std::string& why, time_point now) {
    retry_at_ = now + serial_retry_interval;
    if (failing_) return;  // one line per outage, not one a second
    failing_ = true;
    log_event(vm_, "event=serial_unavailable address=%s reason=%s retry=1s", quoted(where_.text()).c_str(),
              quoted(why).c_str());
  }

  void close_fd() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
    connecting_ = false;
  }

  bool lost(time_point now, const char* why) {
    close_fd();
    to_vm_.clear();  // typed for a VM that is gone: it would reach the next one out of context
    ++stats_.disconnects;
    retry_at_ = now + serial_retry_interval;
    failing_ = true;  // the disconnect is the line; retries stay quiet until connected again
    log_event(vm_, "event=serial_disconnected address=%s reason=%s", quoted(where_.text()).c_str(), why);
    return false;
  }

  bool read_vm(time_point now) {
    std::array<std::uint8_t, serial_read_chunk> buf{};
    for (std::size_t k = 0; k < serial_reads_per_turn; ++k) {
      // Flow control: while the console keeps up, read only what SOL has room for.
      const bool flow = sol_ && sol_->console_keeping_up();
      const std::size_t want = flow ? std::min(buf.size(), sol_->space()) : buf.size();
      if (want == 0) return true;  // held: wanted_events() drops EPOLLIN until there is room
      const ssize_t n = ::recv(fd_, buf.data(), want, MSG_DONTWAIT);
      if (n == 0) return lost(now, "closed");
      if (n < 0) {
        if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) return true;
        return lost(now, "read_error");
      }
      const std::span<const std::uint8_t> got(buf.data(), static_cast<std::size_t>(n));
      stats_.from_vm += got.size();
      remember(got);
      if (sol_) (void)sol_->write(got, now);  // what does not fit is counted as overrun
      if (static_cast<std::size_t>(n) < want) return true;
    }
    return true;
  }

  bool write_vm(time_point now) {
    while (!to_vm_.empty()) {
      const ssize_t n = ::send(fd_, to_vm_.data(), to_vm_.size(), MSG_DONTWAIT | MSG_NOSIGNAL);
      if (n < 0) {
        if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) return true;
        return lost(now, "write_error");
      }
      stats_.to_vm += static_cast<std::uint64_t>(n);
      to_vm_.erase(to_vm_.begin(), to_vm_.begin() + n);
    }
    return true;
  }

  void remember(std::span<const std::uint8_t> b) {
    if (history_.empty()) return;
    for (const std::uint8_t c : b.last(std::min(b.size(), history_.size()))) {
      history_[history_end_] = c;
      history_end_ = (history_end_ + 1) % history_.size();
    }
    history_size_ = std::min(history_.size(), history_size_ + b.size());
  }
  /// The last `n` bytes of the history (fewer when it holds fewer), oldest first.
  [[nodiscard]] std::vector<std::uint8_t> history_tail(std::size_t n) const {
    n = std::min(n, history_size_);
    std::vector<std::uint8_t> out(n);
    const std::size_t start = (history_end_ + history_.size() - n) % std::max<std::size_t>(history_.size(), 1);
    for (std::size_t i = 0; i < n; ++i) out[i] = history_[(start + i) % history_.size()];
    return out;
  }

  std::string vm_;
  listen_address where_;
  std::vector<std::uint8_t> history_;
  std::size_t history_end_ = 0;   // where the next byte goes
  std::size_t history_size_ = 0;
  std::vector<std::uint8_t> to_vm_;
  std::unique_ptr<sol_type> sol_;
  std::uint32_t sol_session_ = 0;  // the LAN session that holds sol_ (encode_sol's key)
  serial_stats stats_;
  time_point retry_at_{};
  std::uint64_t breaks_ = 0;
  int fd_ = -1;
  bool connecting_ = false;
  bool failing_ = false;          // the last attempt failed and was logged
};

}  // namespace ipmikit_bmc
