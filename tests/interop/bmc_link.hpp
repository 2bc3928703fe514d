// tests/interop/bmc_link.hpp — ipmikit's BMC session (vm::bmc_session, what ipmi_sim does)
// behind a TCP listener on 127.0.0.1 that QEMU's ipmi-bmc-extern connects to. Independent of
// the host interface (KCS or BT): it only speaks the VM protocol.
//
// Two ways to drive it, with the same socket code underneath:
//   on its own thread  start(): the link accepts QEMU's connection (and its reconnects) and
//        drives the session with a poll loop — receive() on every read, outbound(now) chunks
//        written with write_all then consume()d, poll(now) at next_deadline() (the BMC role's
//        10 ms command gap). The test's main thread reaches the session only through with(),
//        under the link's lock, and waits on the log with wait_for() / wait_greeting().
//        (session_qemu_test.cpp, kcs_host_qemu_test.cpp)
//   from the caller's thread  accept() and pump(): nothing happens between pumps, so the timing
//        is the caller's; every socket error and protocol problem is returned as a failure.
//        (kcs_differential_test.cpp)
//
// Requests go to a hook the test sets (on the thread that reads, with the lock held). Every
// session event is kept in a session_log (session_support.hpp), every write() and every byte
// received too.
#pragma once

#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <functional>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <thread>
#include <vector>

#include <fcntl.h>
#include <poll.h>
#include <unistd.h>

#include <ipmikit/vm/session.hpp>

#include "check.hpp"
#include "common.hpp"
#include "net.hpp"
#include "session_support.hpp"

namespace ipmikit::interop {

using bmc_session = vm::bmc_session<steady>;

/// One write() the link made.
struct write_record {
  steady::time_point at;  // the `now` given to outbound() / consume()
  bytes data;
};

/// A predicate on a session log: QEMU's greeting is complete (its CAPABILITIES arrived) at log
/// index `from` or later.
[[nodiscard]] inline auto greeted_since(std::size_t from) {
  return [from](const session_log& log) {
    return !log.select(from, [](const session_record& r) { return r.what == session_record::kind::capabilities; })
                .empty();
  };
}

class bmc_link {
 public:
  /// Called for every request, with the lock held: answer through `s` (respond,
  /// set_attention, enable_irq…), or set `drop` to close the connection right after this read
  /// without answering.
  using request_hook = std::function<void(bmc_session& s, const vm::request_event& r, bool& drop)>;

  explicit bmc_link(unique_fd listener) : listener_(std::move(listener)) {}
  bmc_link(const bmc_link&) = delete;
  bmc_link& operator=(const bmc_link&) = delete;
  ~bmc_link() { stop(); }

  // --- On its own thread

  [[nodiscard]] status start() {
    int fds[2];
    if (::pipe2(fds, O_CLOEXEC | O_NONBLOCK) != 0) return fail_errno("pipe2");
    wake_read_.reset(fds[0]);
    wake_write_.reset(fds[1]);
    thread_ = std::thread([this] { run(); });
    return success();
  }
  void stop() {
    stop_.store(true);
    wake();
    if (thread_.joinable()) thread_.join();
  }

  // --- From the caller's thread (without start())

  /// Waits (at most `timeout_ms`) for QEMU's connection and connect()s the session.
  [[nodiscard]] status accept(int timeout_ms) {
    auto fd = accept_with_timeout(listener_.get(), timeout_ms);
    if (!fd) return fail(fd.error());
    std::lock_guard<std::mutex> lock(mu_);
    take_connection(std::move(*fd), steady::now());
    return success();
  }

  /// Waits up to `wait_ms` for input, takes all that is there, writes what is due. Fails when
  /// the connection is gone or broke, or when the session reported a protocol problem.
  [[nodiscard]] status pump(int wait_ms) {
    if (!conn_) return fail("BMC connection closed");
    pollfd pfd{conn_.get(), POLLIN, 0};
    const int r = ::poll(&pfd, 1, wait_ms);
    if (r < 0 && errno != EINTR) return fail_errno("poll (BMC)");
    std::lock_guard<std::mutex> lock(mu_);
    if (r > 0 && (pfd.revents & (POLLIN | POLLHUP | POLLERR)) != 0)
      if (auto in = take_input(); !in) return in;
    session_.poll(steady::now(), handler{*this});
    if (auto f = flush(); !f) return f;
    if (!problems_.empty()) return fail("protocol problem from QEMU: " + problems_);
    return success();
  }

  /// Pumps (at most `step_ms` at a time) until `pred(log)` holds: true, or false after
  /// `timeout_ms`; a failed pump fails.
  template <class Pred>
  [[nodiscard]] result<bool> pump_until(Pred pred, int timeout_ms, int step_ms) {
    const deadline d{millis(timeout_ms)};
    for (long long i = 0; i < 100000000; ++i) {
      {
        std::lock_guard<std::mutex> lock(mu_);
        if (pred(log_)) return true;
      }
      if (d.expired()) return false;
      if (auto p = pump(std::min(step_ms, d.remaining_ms())); !p) return fail(p.error());
    }
    return false;
  }

  /// Pumps until everything queued has been written (command gaps included).
  [[nodiscard]] status flush_all(int timeout_ms) {
    const deadline d{millis(timeout_ms)};
    for (long long i = 0; i < 100000000; ++i) {
      {
        std::lock_guard<std::mutex> lock(mu_);
        if (session_.pending().empty()) return success();
      }
      if (d.expired()) break;
      if (auto p = pump(1); !p) return p;
    }
    return fail("output not written within " + std::to_string(timeout_ms) + " ms");
  }

  // --- Either way

  /// Runs `f(session)` under the lock, then wakes the loop (when it runs on its thread) so
  /// that output goes out at once.
  template <class F>
  auto with(F&& f) {
    struct waker {
      bmc_link& l;
      ~waker() { l.wake(); }
    } w{*this};
    std::lock_guard<std::mutex> lock(mu_);
    return f(session_);
  }

  void set_hook(request_hook hook) {
    std::lock_guard<std::mutex> lock(mu_);
    hook_ = std::move(hook);
  }
  /// Negative control: write pending() — everything, ignoring chunks and the command gap —
  /// in one write() call.
  void set_one_write(bool on) {
    std::lock_guard<std::mutex> lock(mu_);
    one_write_ = on;
  }
  /// For hooks (the lock is held): an error that errors() reports.
  void note_error(std::string e) { errors_.push_back(std::move(e)); }

  [[nodiscard]] session_log log() {
    std::lock_guard<std::mutex> lock(mu_);
    return log_;
  }
  [[nodiscard]] std::size_t log_size() {
    std::lock_guard<std::mutex> lock(mu_);
    return log_.size();
  }
  /// Requests the session saw from log index `from` on.
  [[nodiscard]] std::vector<session_record> requests_since(std::size_t from) {
    std::lock_guard<std::mutex> lock(mu_);
    return log_.select(from, [](const session_record& r) { return r.what == session_record::kind::request; });
  }
  [[nodiscard]] std::vector<write_record> writes() {
    std::lock_guard<std::mutex> lock(mu_);
    return writes_;
  }
  [[nodiscard]] std::size_t write_count() {
    std::lock_guard<std::mutex> lock(mu_);
    return writes_.size();
  }
  [[nodiscard]] bytes received() {
    std::lock_guard<std::mutex> lock(mu_);
    return rx_;
  }
  /// Socket errors of the thread and what hooks noted, "; "-separated ("" for none).
  [[nodiscard]] std::string errors() {
    std::lock_guard<std::mutex> lock(mu_);
    return join(errors_);
  }

  /// Waits (polling every millisecond, at most `timeout_ms`) until `pred(log)` holds. For the
  /// threaded link; from the caller's thread use pump_until().
  template <class Pred>
  [[nodiscard]] bool wait_for(Pred pred, int timeout_ms) {
    const deadline d{millis(timeout_ms)};
    for (int i = 0; i < 1000000; ++i) {
      {
        std::lock_guard<std::mutex> lock(mu_);
        if (pred(log_)) return true;
      }
      if (d.expired()) return false;
      sleep_ms(1);
    }
    return false;
  }

  /// Waits for one complete greeting from QEMU after log index `from`: connected, VERSION,
  /// CAPABILITIES.
  [[nodiscard]] bool wait_greeting(std::size_t from, int timeout_ms) {
    return wait_for(greeted_since(from), timeout_ms);
  }

 private:
  struct handler {
    bmc_link& l;
    void operator()(const vm::request_event& e) {
      l.log_.add(e);
      if (l.hook_) l.hook_(l.session_, e, l.drop_);
    }
    void operator()(const vm::protocol_event& e) {
      l.log_.add(e);
      l.problems_ += std::string(l.problems_.empty() ? "" : ", ") + std::string(vm::name(e.problem));
    }
    template <class Event>
    void operator()(const Event& e) {
      l.log_.add(e);
    }
  };

  void wake() {
    if (!wake_write_) return;
    const std::uint8_t one = 1;
    ssize_t ignored = ::write(wake_write_.get(), &one, 1);  // full pipe: a wake-up is pending anyway
    (void)ignored;
  }

  // Lock held.
  void take_connection(unique_fd fd, steady::time_point now) {
    conn_ = std::move(fd);
    log_.mark(session_record::kind::connected);
    session_.connect(now, handler{*this});
  }

  // Lock held.
  void close_connection(steady::time_point now) {
    conn_.reset();
    log_.mark(session_record::kind::disconnected);
    session_.disconnect(now, handler{*this});
  }

  // Lock held. Writes what is due; a write error closes the connection.
  [[nodiscard]] status flush() {
    for (int i = 0; i < 64 && conn_; ++i) {
      const auto now = steady::now();
      const auto chunk = one_write_ ? session_.pending() : session_.outbound(now);
      if (chunk.empty()) break;
      if (auto w = write_all(conn_.get(), chunk, 2000); !w) {
        close_connection(now);
        return fail("write: " + w.error());
      }
      writes_.push_back({now, bytes(chunk.begin(), chunk.end())});
      session_.consume(chunk.size(), now);
    }
    return success();
  }

  // Lock held. One read() on the connection into the session. End of file or a read error
  // closes the connection (and fails), as does a hook that set `drop`.
  [[nodiscard]] status take_input() {
    const auto now = steady::now();
    std::array<std::uint8_t, 4096> buf{};
    const ssize_t n = ::read(conn_.get(), buf.data(), buf.size());
    if (n > 0) {
      const std::span<const std::uint8_t> got(buf.data(), static_cast<std::size_t>(n));
      rx_.insert(rx_.end(), got.begin(), got.end());
      session_.receive(got, now, handler{*this});
      if (!drop_) return success();
      drop_ = false;
      close_connection(steady::now());
      return fail("a request hook dropped the connection");
    }
    if (n < 0 && (errno == EINTR || errno == EAGAIN)) return success();
    const int err = errno;
    close_connection(now);
    return n == 0 ? fail("QEMU closed the BMC connection") : fail(errno_text("read (BMC)", err));
  }

  void run() {
    for (long long round = 0; !stop_.load() && round < 100000000; ++round) {
      pollfd fds[2] = {};
      int timeout = 50;
      {
        std::lock_guard<std::mutex> lock(mu_);
        session_.poll(steady::now(), handler{*this});
        if (auto f = flush(); !f) errors_.push_back(f.error());
        if (const auto d = session_.next_deadline()) {
          const auto left = std::chrono::ceil<millis>(*d - steady::now()).count();
          timeout = static_cast<int>(std::clamp<long long>(left, 0, 50));
        }
        fds[0] = {conn_ ? conn_.get() : listener_.get(), POLLIN, 0};
      }
      fds[1] = {wake_read_.get(), POLLIN, 0};
      const int r = ::poll(fds, 2, timeout);
      if (r < 0 && errno != EINTR) {
        std::lock_guard<std::mutex> lock(mu_);
        errors_.push_back(errno_text("poll", errno));
        return;
      }
      if (r <= 0) continue;
      if ((fds[1].revents & POLLIN) != 0) {
        std::uint8_t buf[64];
        while (::read(wake_read_.get(), buf, sizeof buf) > 0) {
        }
      }
      if ((fds[0].revents & (POLLIN | POLLHUP | POLLERR)) == 0) continue;
      std::lock_guard<std::mutex> lock(mu_);
      if (conn_) {
        (void)take_input();  // a closed connection is normal here: QEMU reconnects
        continue;
      }
      auto fd = accept_with_timeout(listener_.get(), 0);
      if (!fd) {
        errors_.push_back("accept: " + fd.error());
        continue;
      }
      take_connection(std::move(*fd), steady::now());
    }
  }

  std::mutex mu_;
  bmc_session session_;
  unique_fd listener_;
  unique_fd conn_;
  session_log log_;
  std::string problems_;  // protocol problems, for pump()
  std::vector<write_record> writes_;
  bytes rx_;
  std::vector<std::string> errors_;
  request_hook hook_;
  bool one_write_ = false;
  bool drop_ = false;
  std::atomic<bool> stop_{false};
  unique_fd wake_read_;
  unique_fd wake_write_;
  std::thread thread_;
};

/// Listens on 127.0.0.1 (a port the kernel picks), creates `link` there with `hook` and starts
/// its thread: the port to give QEMU's ipmi-bmc-extern, or nullopt after a failed check.
[[nodiscard]] inline std::optional<std::uint16_t> start_bmc_link(checker& c, std::optional<bmc_link>& link,
                                                                 bmc_link::request_hook hook) {
  auto listener = listen_tcp(0);
  if (!c.check_ok(listener, "BMC listening on 127.0.0.1 before QEMU starts")) return std::nullopt;
  auto port = local_port(listener->get());
  if (!c.check_ok(port, "BMC port")) return std::nullopt;
  link.emplace(std::move(*listener));
  link->set_hook(std::move(hook));
  if (!c.check_ok(link->start(), "BMC session thread started")) return std::nullopt;
  return *port;
}

}  // namespace ipmikit::interop
