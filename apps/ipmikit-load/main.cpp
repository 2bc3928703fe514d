// ipmikit-load — a load generator for VM-protocol BMCs (such as ipmikit-bmc): N simultaneous
// connections, each driven by its own ipmikit::vm::emulator_session (the role QEMU's
// ipmi-bmc-extern plays), sending request after request.
//
//   ipmikit-load --connect 127.0.0.1:20000+1000 --duration 5
//   ipmikit-load --connect unix:/tmp/fleet/vm%d.sock+1000 --idle 1 --duration 3 --server-pid PID
//
// One thread, one epoll set, non-blocking sockets. Like QEMU, each connection sends the
// greeting (VERSION, CAPABILITIES) and then one request at a time: the emulator session allows
// a single outstanding request, so there is no pipelining depth to choose.
//
// Phases:
//   1. connect  — every address once (connect retries are bounded by --connect-timeout);
//   2. first    — one request per connection, answered (the greeting went first);
//   3. idle     — with --idle S: every connection stays connected and silent for S seconds,
//                 then the server's resident memory is sampled (--server-pid);
//   4. warmup   — with --warmup S: load, not counted;
//   5. measure  — load for --duration S or until --requests TOTAL are answered;
//   6. drain    — no new requests; the outstanding ones must still be answered.
// Every response is checked: not answered locally by the session (timeout 0xC3, disconnected
// 0xD2), completion code 00, the request's netfn + 1, cmd and message id. Any error, timeout
// or disconnect is a failure.
//
// With --rate R the load is an open loop: requests are offered at R per second in total, each
// taken by the connection that has been idle longest; latency is then measured from the time the
// request was due, not when it could be sent (no coordinated omission), and offers that found
// no idle connection are counted (`rate_shortfall`).
//
// Latency is kept in a fixed-size log-linear histogram (16 steps per power of two, < 6.25%
// error), so nothing is allocated per request. CPU time is the load generator's own
// (getrusage) and, with --server-pid, the server's (/proc/PID/stat utime + stime), both over
// the measured phase only.
//
// Output: `key=value` lines (one per figure), or one JSON object with --json.
// Exit status: 0 every connection and request succeeded, 1 any failure, 2 usage error.
#include <ipmikit/ipmikit.hpp>

#include "../load_support.hpp"
#include "../usage.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <bit>
#include <cerrno>
#include <charconv>
#include <chrono>
#include <cinttypes>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace {

namespace vm = ipmikit::vm;
using ipmikit_apps::cpu_times;
using ipmikit_apps::histogram;
using ipmikit_apps::proc_sample;
using ipmikit_apps::print_summary;
using ipmikit_apps::summary_field;
using ipmikit_apps::parse_double;
using ipmikit_apps::parse_uint;
using ipmikit_apps::sample_process;
using ipmikit_apps::self_cpu_seconds;
using ipmikit_apps::self_rss_kib;
using clock_type = std::chrono::steady_clock;
using time_point = clock_type::time_point;
using session_type = vm::emulator_session<clock_type>;

constexpr int exit_ok = 0;
constexpr int exit_failure = 1;

// ---------------------------------------------------------------------------------------------
// Options

struct target {
  sockaddr_storage addr{};
  socklen_t len = 0;
  std::string text;
};

struct options {
  std::vector<target> targets;
  double duration = 0;           // seconds of measured load (0: none unless --requests)
  std::uint64_t requests = 0;    // total requests of measured load (0: by duration)
  double warmup = 0;             // seconds of uncounted load before measuring
  double idle = -1;              // seconds to hold all connections idle (<0: no idle phase)
  double timeout = 5;            // seconds a request may wait for its response
  double connect_timeout = 10;   // seconds for all connections to be established
  double rate = 0;               // requests per second offered in total (0: closed loop)
  std::vector<std::uint8_t> request = [] {  // netfn<<2|lun, cmd, data…: Get Device ID
    const auto r = ipmikit::commands::get_device_id.request();
    return std::vector<std::uint8_t>(r.begin(), r.end());
  }();
  int server_pid = 0;
  bool json = false;
  bool quiet = false;
};

constexpr const char* usage_text =
    "usage: ipmikit-load --connect ADDR[+N] [--connect ...] [options]\n"
    "\n"
    "Opens one connection per address, each driven by an ipmikit emulator session (what QEMU's\n"
    "ipmi-bmc-extern does), and sends request after request, one outstanding per connection.\n"
    "\n"
    "  --connect HOST:PORT[+N]    TCP; +N: N consecutive ports from PORT ([V6]:PORT for IPv6)\n"
    "  --connect unix:PATH[+N]    UNIX socket; with +N, PATH holds a printf index (%d, %03d…)\n"
    "                             replaced by 0..N-1\n"
    "  --duration SECONDS         measured load for this long\n"
    "  --requests TOTAL           measured load until TOTAL requests are answered\n"
    "  --warmup SECONDS           uncounted load before measuring (default 0)\n"
    "  --idle SECONDS             after every connection answered its first request, hold all\n"
    "                             connected and silent this long, then sample the server's RSS\n"
    "  --rate REQ_PER_SECOND      open loop: offer this many requests per second in total, sent\n"
    "                             by idle connections in turn (default: closed loop, every\n"
    "                             connection sends again as soon as it has its response)\n"
    "  --request NETFN:CMD[:HEX]  the request (default 06:01, Get Device ID); HEX = data bytes\n"
    "  --timeout SECONDS          response timeout (default 5)\n"
    "  --connect-timeout SECONDS  time for all connections to be established (default 10)\n"
    "  --server-pid PID           also report the server's CPU time and resident memory\n"
    "  --json                     one JSON object on stdout instead of key=value lines\n"
    "  -q, --quiet                no progress lines on stderr\n"
    "  -h, --help                 show this help\n"
    "\n"
    "Without --duration and --requests, only the connect, first-request and idle phases run.\n"
    "Exit status: 0 all succeeded, 1 any failure (connect, error, timeout, disconnect), 2 usage.\n";

int usage_error(const std::string& message) { return ipmikit_apps::usage_error("ipmikit-load", message); }

/// Expands one --connect value into targets; an error message on failure.
std::string add_targets(std::string_view spec, std::vector<target>& out) {
  std::size_t count = 1;
  bool ranged = false;
  if (const auto plus = spec.rfind('+'); plus != std::string_view::npos) {
    if (!parse_uint(spec.substr(plus + 1), count) || count == 0 || count > 1'000'000)
      return "--connect: bad count after '+' in '" + std::string(spec) + "'";
    spec = spec.substr(0, plus);
    ranged = true;
  }
  if (spec.starts_with("unix:")) {
    const std::string pattern(spec.substr(5));
    if (pattern.empty()) return "--connect: empty UNIX socket path";
    // With a count, exactly one integer conversion (%d, %u, %i, with flags/width) is allowed.
    if (ranged) {
      int convs = 0;
      for (std::size_t i = 0; i < pattern.size(); ++i) {
        if (pattern[i] != '%') continue;
        if (i + 1 < pattern.size() && pattern[i + 1] == '%') {
          ++i;
          continue;
        }
        std::size_t j = i + 1;
        while (j < pattern.size() && std::strchr("0123456789-+ ", pattern[j]) != nullptr) ++j;
        if (j >= pattern.size() || std::strchr("diu", pattern[j]) == nullptr)
          return "--connect: only %d, %i or %u may appear in '" + pattern + "'";
        ++convs;
        i = j;
      }
      if (convs != 1) return "--connect: a UNIX path with +N needs one %d for the index: '" + pattern + "'";
    }
    for (std::size_t i = 0; i < count; ++i) {
      target t;
      std::string path = pattern;
      if (ranged) {
        std::vector<char> buf(pattern.size() + 32);
        // The pattern was checked above: one integer conversion.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
        std::snprintf(buf.data(), buf.size(), pattern.c_str(), static_cast<int>(i));
#pragma GCC diagnostic pop
        path = buf.data();
      }
      auto* un = reinterpret_cast<sockaddr_un*>(&t.addr);
      if (path.size() >= sizeof un->sun_path) return "--connect: UNIX path too long: " + path;
      un->sun_family = AF_UNIX;
      std::memcpy(un->sun_path, path.data(), path.size());
      t.len = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + path.size() + 1);
      t.text = "unix:" + path;
      out.push_back(std::move(t));
    }
    return {};
  }
  const auto colon = spec.rfind(':');
  if (colon == std::string_view::npos || colon == 0) return "--connect needs HOST:PORT or unix:PATH, got '" + std::string(spec) + "'";
  std::string host(spec.substr(0, colon));
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
  unsigned port = 0;
  if (!parse_uint(spec.substr(colon + 1), port) || port == 0 || port + count - 1 > 65535)
    return "--connect: bad port or range in '" + std::string(spec) + "'";
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_NUMERICSERV;
  addrinfo* found = nullptr;
  if (const int rc = ::getaddrinfo(host.c_str(), "1", &hints, &found); rc != 0)
    return "--connect: cannot resolve '" + host + "': " + ::gai_strerror(rc);
  for (std::size_t i = 0; i < count; ++i) {
    target t;
    std::memcpy(&t.addr, found->ai_addr, found->ai_addrlen);
    t.len = found->ai_addrlen;
    const auto p = htons(static_cast<std::uint16_t>(port + i));
    if (t.addr.ss_family == AF_INET) reinterpret_cast<sockaddr_in*>(&t.addr)->sin_port = p;
    else reinterpret_cast<sockaddr_in6*>(&t.addr)->sin6_port = p;
    t.text = std::string(spec.substr(0, colon)) + ":" + std::to_string(port + i);
    out.push_back(std::move(t));
  }
  ::freeaddrinfo(found);
  return {};
}

double seconds(clock_type::duration d) { return std::chrono::duration<double>(d).count(); }

// ---------------------------------------------------------------------------------------------
// The load generator

enum class phase : std::uint8_t { connect, first, idle, warmup, measure, drain, done };

enum class conn_state : std::uint8_t { waiting, connecting, up, failed };

struct connection {
  session_type session;
  time_point sent{};           // when the outstanding request was written
  time_point retry_at{};       // waiting: when to try connect() again
  std::uint32_t index = 0;
  int fd = -1;
  std::uint32_t answered = 0;  // responses that passed the checks
  std::uint8_t next_id = 0;
  conn_state state = conn_state::waiting;
  bool want_write = false;
  bool counted = false;        // the outstanding request belongs to the measured phase
  bool want_send = false;      // a response arrived: send the next request after receive()
  bool closing = false;        // we are disconnecting: the session's local 0xD2 is expected
  bool first_done = false;     // the first request got its response (or a local answer)
  bool queued = false;         // open loop: waiting in the ready queue for its turn
};

struct counters {
  std::uint64_t connect_failures = 0;
  std::uint64_t connect_retries = 0;
  std::uint64_t disconnects = 0;
  std::uint64_t timeouts = 0;       // the session's local 0xC3
  std::uint64_t bad_responses = 0;  // wrong completion code, netfn or cmd; local 0xC6/0xC7
  std::uint64_t protocol_problems = 0;
  std::uint64_t hardware_commands = 0;
  std::uint64_t send_errors = 0;
};

class load {
 public:
  explicit load(const options& o) : opt_(o), conns_(o.targets.size()) {
    session_type::config cfg;
    cfg.response_timeout = std::chrono::duration_cast<clock_type::duration>(std::chrono::duration<double>(o.timeout));
    for (std::size_t i = 0; i < conns_.size(); ++i) {
      conns_[i] = std::make_unique<connection>();
      conns_[i]->session = session_type(cfg);
      conns_[i]->index = static_cast<std::uint32_t>(i);
    }
    ready_.assign(conns_.size(), 0);
    expect_netfn_ = static_cast<std::uint8_t>(opt_.request[0] | 0x04u);
    expect_cmd_ = opt_.request[1];
  }

  int run();

 private:
  struct events {
    load& l;
    connection& c;
    time_point now;
    void operator()(const vm::response_event& r) { l.on_response(c, r, now); }
    void operator()(const vm::hardware_event&) { ++l.n_.hardware_commands; }
    void operator()(const vm::version_event&) {}
    void operator()(const vm::protocol_event& p) {
      ++l.n_.protocol_problems;
      l.note(c, "protocol problem", std::string(vm::name(p.problem)).c_str());
    }
  };

  void note(const connection& c, const char* what, const char* detail) {
    if (notes_ < 20) {
      std::fprintf(stderr, "ipmikit-load: %s: %s%s%s\n", opt_.targets[c.index].text.c_str(), what,
                   detail && *detail ? ": " : "", detail ? detail : "");
    } else if (notes_ == 20) {
      std::fprintf(stderr, "ipmikit-load: (further problems are only counted)\n");
    }
    ++notes_;
  }

  void progress(const char* format, double a = 0, double b = 0) {
    if (opt_.quiet || opt_.json) return;
    std::fprintf(stderr, "ipmikit-load: %6.2fs  ", seconds(clock_type::now() - start_));
    std::fprintf(stderr, format, a, b);
    std::fputc('\n', stderr);
  }

  void on_response(connection& c, const vm::response_event& r, time_point now) {
    c.first_done = true;
    if (r.local) {
      const auto cc = r.body[2];
      if (cc == 0xC3) {
        ++n_.timeouts;
        note(c, "timeout", "no response in time (local 0xC3)");
      } else if (cc == 0xD2) {
        if (!c.closing) note(c, "disconnected", "request outstanding (local 0xD2)");
      } else {
        ++n_.bad_responses;
        note(c, "answered locally", "");
      }
      return;
    }
    if (r.body.size() < 3 || r.body[0] != expect_netfn_ || r.body[1] != expect_cmd_ || r.body[2] != 0x00) {
      ++n_.bad_responses;
      char detail[64];
      std::snprintf(detail, sizeof detail, "netfn/lun 0x%02X cmd 0x%02X cc 0x%02X", r.body[0], r.body[1],
                    r.body.size() >= 3 ? r.body[2] : 0xFF);
      note(c, "bad response", detail);
      return;
    }
    ++c.answered;
    if (c.answered == 1) ++first_answered_;
    const auto latency = static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(now - c.sent).count());
    // Throughput counts the responses received in the measured window; latency every request
    // sent in it, including those answered while draining (no survivorship bias).
    if (c.counted) hist_.add(latency);
    if (phase_ == phase::measure) {
      ++completed_;
    } else if (phase_ == phase::warmup) {
      ++warmup_completed_;
    }
    c.want_send = true;
  }

  bool sending_phase() const noexcept {
    if (phase_ == phase::warmup) return true;
    if (phase_ == phase::measure) return opt_.requests == 0 || sent_measured_ < opt_.requests;
    return false;
  }

  void send_next(connection& c, time_point now) {
    const bool counted = phase_ == phase::measure;
    events ev{*this, c, now};
    const auto e = c.session.send_request(c.next_id, opt_.request, now, ev);
    if (e != vm::session_error::ok) {
      ++n_.send_errors;
      note(c, "send_request refused", std::string(vm::name(e)).c_str());
      return;
    }
    ++c.next_id;
    c.counted = counted;
    if (counted) ++sent_measured_;
    c.sent = now;
    flush(c, now);
  }

  void flush(connection& c, time_point now) {
    for (int i = 0; i < 16 && c.state == conn_state::up; ++i) {
      const auto chunk = c.session.outbound(now);
      if (chunk.empty()) break;
      const ssize_t n = ::send(c.fd, chunk.data(), chunk.size(), MSG_NOSIGNAL);
      if (n < 0) {
        if (errno == EINTR) continue;
        if (errno == EAGAIN || errno == EWOULDBLOCK) break;
        return drop(c, now, std::strerror(errno));
      }
      c.session.consume(static_cast<std::size_t>(n), now);
      if (static_cast<std::size_t>(n) < chunk.size()) break;
    }
    const bool pending = c.state == conn_state::up && !c.session.outbound(now).empty();
    if (pending != c.want_write && c.state == conn_state::up) {
      c.want_write = pending;
      epoll_event ev{};
      ev.events = EPOLLIN | (pending ? EPOLLOUT : 0u);
      ev.data.u32 = c.index;
      ::epoll_ctl(ep_, EPOLL_CTL_MOD, c.fd, &ev);
    }
  }

  void drop(connection& c, time_point now, const char* why) {
    if (c.state != conn_state::up) return;
    ++n_.disconnects;
    note(c, "disconnected", why);
    ::close(c.fd);
    c.fd = -1;
    c.state = conn_state::failed;
    --up_;
    events ev{*this, c, now};
    c.session.disconnect(now, ev);  // an outstanding request is answered locally with 0xD2
  }

  void start_connect(connection& c, time_point now) {
    const target& t = opt_.targets[c.index];
    const int fd = ::socket(t.addr.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) {
      connect_failed(c, now, std::strerror(errno), true);
      return;
    }
    if (t.addr.ss_family != AF_UNIX) {
      const int one = 1;
      ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    }
    c.fd = fd;
    int rc;
    do {
      rc = ::connect(fd, reinterpret_cast<const sockaddr*>(&t.addr), t.len);
    } while (rc != 0 && errno == EINTR);
    epoll_event ev{};
    ev.data.u32 = c.index;
    if (rc == 0) {
      ev.events = EPOLLIN;
      ::epoll_ctl(ep_, EPOLL_CTL_ADD, fd, &ev);
      established(c, now);
    } else if (errno == EINPROGRESS) {
      c.state = conn_state::connecting;
      ++in_progress_;
      ev.events = EPOLLOUT;
      ::epoll_ctl(ep_, EPOLL_CTL_ADD, fd, &ev);
    } else {
      const int err = errno;
      ::close(fd);
      c.fd = -1;
      // Refused / backlog full / not there yet: retry until --connect-timeout.
      connect_failed(c, now, std::strerror(err),
                     !(err == ECONNREFUSED || err == EAGAIN || err == ENOENT || err == ETIMEDOUT));
    }
  }

  void connect_failed(connection& c, time_point now, const char* why, bool fatal) {
    if (!fatal && now < connect_deadline_) {
      ++n_.connect_retries;
      c.state = conn_state::waiting;
      c.retry_at = now + std::chrono::milliseconds(50);
      return;
    }
    ++n_.connect_failures;
    note(c, "cannot connect", why);
    c.state = conn_state::failed;
  }

  void established(connection& c, time_point now) {
    c.state = conn_state::up;
    ++up_;
    ++established_;
    events ev{*this, c, now};
    c.session.connect(now, ev);  // VERSION 1, CAPABILITIES
    send_next(c, now);          // the first request (not counted)
  }

  void on_event(connection& c, std::uint32_t what, time_point now) {
    if (c.state == conn_state::connecting) {
      --in_progress_;
      int err = 0;
      socklen_t len = sizeof err;
      ::getsockopt(c.fd, SOL_SOCKET, SO_ERROR, &err, &len);
      if (err != 0) {
        ::epoll_ctl(ep_, EPOLL_CTL_DEL, c.fd, nullptr);
        ::close(c.fd);
        c.fd = -1;
        connect_failed(c, now, std::strerror(err), !(err == ECONNREFUSED || err == ETIMEDOUT));
        return;
      }
      epoll_event ev{};
      ev.events = EPOLLIN;
      ev.data.u32 = c.index;
      ::epoll_ctl(ep_, EPOLL_CTL_MOD, c.fd, &ev);
      established(c, now);
      return;
    }
    if (c.state != conn_state::up) return;
    if ((what & (EPOLLIN | EPOLLHUP | EPOLLERR)) != 0) {
      const ssize_t n = ::recv(c.fd, rbuf_.data(), rbuf_.size(), 0);
      if (n > 0) {
        events ev{*this, c, now};
        c.session.receive(std::span<const std::uint8_t>(rbuf_.data(), static_cast<std::size_t>(n)), now, ev);
        if (c.want_send) {
          c.want_send = false;
          if (sending_phase()) ready(c, now);
        }
      } else if (n == 0) {
        return drop(c, now, "closed by the server");
      } else if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
        return drop(c, now, std::strerror(errno));
      }
    }
    if ((what & EPOLLOUT) != 0) flush(c, now);
  }

  /// Connections that answered the first request but sit idle (between phases) get a request
  /// when load starts.
  void kick_idle(time_point now) {
    rate_start_ = now;
    for (auto& p : conns_) {
      connection& c = *p;
      if (c.state == conn_state::up && !c.session.request_outstanding()) {
        c.want_send = false;
        ready(c, now);
      }
    }
  }

  /// A connection may send its next request: at once (closed loop) or when the rate allows.
  void ready(connection& c, time_point now) {
    if (opt_.rate <= 0) return send_next(c, now);
    if (c.queued) return;
    c.queued = true;
    ready_[(ready_head_ + ready_count_) % ready_.size()] = c.index;
    ++ready_count_;
  }

  /// Open loop: sends what the rate allows by `now`, each request stamped with its due time.
  void release(time_point now) {
    if (opt_.rate <= 0 || !sending_phase()) return;
    // Request k (from 0) is due at rate_start_ + k / rate: k < due_total are due by `now`.
    const auto due_total = static_cast<std::uint64_t>(seconds(now - rate_start_) * opt_.rate) + 1;
    while (issued_ < due_total) {
      if (ready_count_ == 0) {  // nobody idle: the offer is lost (the system is saturated)
        if (phase_ == phase::measure) rate_shortfall_ += due_total - issued_;
        issued_ = due_total;
        break;
      }
      connection& c = *conns_[ready_[ready_head_]];
      ready_head_ = (ready_head_ + 1) % ready_.size();
      --ready_count_;
      c.queued = false;
      if (c.state != conn_state::up || c.session.request_outstanding()) continue;
      const auto due = rate_start_ + std::chrono::duration_cast<clock_type::duration>(
                                         std::chrono::duration<double>(static_cast<double>(issued_) / opt_.rate));
      ++issued_;
      send_next(c, now);
      if (due < c.sent) {
        if (phase_ == phase::measure)
          lag_.add(static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(c.sent - due).count()));
        c.sent = due;
      } else if (phase_ == phase::measure) {
        lag_.add(0);
      }
      if (!sending_phase()) break;
    }
  }

  /// Nanoseconds until the next open-loop request is due (for epoll_pwait2), at most `cap`.
  std::int64_t until_next_release(time_point now, std::int64_t cap) const {
    if (opt_.rate <= 0 || !sending_phase() || ready_count_ == 0) return cap;
    const double next = static_cast<double>(issued_) / opt_.rate - seconds(now - rate_start_);
    if (next <= 0) return 0;
    return std::min(cap, static_cast<std::int64_t>(next * 1e9));
  }

  std::uint64_t failures() const noexcept {
    return n_.connect_failures + n_.disconnects + n_.timeouts + n_.bad_responses + n_.protocol_problems +
           n_.send_errors;
  }

  std::size_t outstanding() const noexcept {
    std::size_t k = 0;
    for (const auto& p : conns_)
      if (p->state == conn_state::up && p->session.request_outstanding()) ++k;
    return k;
  }

  void report();

  const options& opt_;
  std::vector<std::unique_ptr<connection>> conns_;
  std::array<std::uint8_t, 65536> rbuf_{};
  histogram hist_;
  histogram lag_;  // open loop: how late the generator sent each request after it was due
  counters n_;
  int ep_ = -1;
  phase phase_ = phase::connect;
  std::uint8_t expect_netfn_ = 0;
  std::uint8_t expect_cmd_ = 0;
  std::size_t up_ = 0;
  std::size_t established_ = 0;
  std::size_t in_progress_ = 0;
  std::size_t first_answered_ = 0;
  std::uint64_t completed_ = 0;
  std::uint64_t warmup_completed_ = 0;
  std::uint64_t sent_measured_ = 0;
  std::uint64_t notes_ = 0;
  std::uint64_t measure_waits_ = 0;   // epoll_wait calls in the measured phase
  // Open loop (--rate): connections waiting for their turn, oldest first (a ring of indices
  // allocated once), and the requests issued since rate_start_.
  std::vector<std::uint32_t> ready_;
  std::size_t ready_head_ = 0;
  std::size_t ready_count_ = 0;
  std::uint64_t issued_ = 0;
  std::uint64_t rate_shortfall_ = 0;  // offers in the measured phase that found no idle connection
  time_point rate_start_{};
  std::uint64_t measure_events_ = 0;  // events they returned
  time_point start_{};
  time_point connect_deadline_{};
  time_point m0_{};  // start of the measured phase
  // Figures.
  double connect_seconds_ = 0;
  double first_seconds_ = 0;
  proc_sample server_before_{};  // before connecting
  proc_sample server_idle_{};    // all connected and idle
  proc_sample server_m0_{}, server_m1_{};
  proc_sample server_end_{};
  cpu_times self_cpu_m0_{}, self_cpu_m1_{};
  double measure_seconds_ = 0;
  long self_rss_idle_kib_ = 0;
};

int load::run() {
  ep_ = ::epoll_create1(EPOLL_CLOEXEC);
  if (ep_ < 0) {
    std::fprintf(stderr, "ipmikit-load: epoll_create1: %s\n", std::strerror(errno));
    return exit_failure;
  }
  const std::size_t n = conns_.size();
  std::vector<epoll_event> evs(1024);
  start_ = clock_type::now();
  server_before_ = sample_process(opt_.server_pid);
  if (opt_.server_pid > 0 && !server_before_.ok) {
    std::fprintf(stderr, "ipmikit-load: cannot read /proc/%d (--server-pid)\n", opt_.server_pid);
    return exit_failure;
  }
  connect_deadline_ = start_ + std::chrono::duration_cast<clock_type::duration>(std::chrono::duration<double>(opt_.connect_timeout));
  const auto first_deadline = connect_deadline_ + std::chrono::duration_cast<clock_type::duration>(std::chrono::duration<double>(opt_.timeout));
  progress("connecting %.0f connections", static_cast<double>(n));

  std::size_t next_connect = 0;  // connections are started in order, a bounded number in flight
  constexpr std::size_t max_in_progress = 256;
  time_point phase_end{};
  time_point last_poll = start_;
  time_point now = start_;

  auto begin_measure = [&](time_point t) {
    phase_ = phase::measure;
    server_m0_ = sample_process(opt_.server_pid);
    self_cpu_m0_ = self_cpu_seconds();
    m0_ = t;
    if (opt_.duration > 0)
      phase_end = t + std::chrono::duration_cast<clock_type::duration>(std::chrono::duration<double>(opt_.duration));
    progress("measuring");
  };
  auto end_measure = [&](time_point t) {
    server_m1_ = sample_process(opt_.server_pid);
    self_cpu_m1_ = self_cpu_seconds();
    measure_seconds_ = seconds(t - m0_);
    phase_ = phase::drain;
    phase_end = t + std::chrono::duration_cast<clock_type::duration>(std::chrono::duration<double>(opt_.timeout + 1));
    progress("draining");
  };
  auto begin_load = [&](time_point t) {
    if (opt_.duration <= 0 && opt_.requests == 0) {
      phase_ = phase::done;
      return;
    }
    if (opt_.warmup > 0) {
      phase_ = phase::warmup;
      phase_end = t + std::chrono::duration_cast<clock_type::duration>(std::chrono::duration<double>(opt_.warmup));
      progress("warming up for %.1f s", opt_.warmup);
    } else {
      begin_measure(t);
    }
    kick_idle(t);
  };

  while (phase_ != phase::done) {
    // Start connections: waiting ones whose retry time has come, in order, bounded in flight.
    if (phase_ == phase::connect) {
      while (next_connect < n && in_progress_ < max_in_progress) {
        connection& c = *conns_[next_connect];
        if (c.state != conn_state::waiting) {
          ++next_connect;
          continue;
        }
        start_connect(c, now);
        if (c.state == conn_state::waiting) break;  // retry later (refused / backlog full)
        ++next_connect;
      }
      if (next_connect >= n) {
        // Retry the ones that were refused (bounded by the connect deadline).
        bool pending = false;
        for (auto& p : conns_) {
          connection& c = *p;
          if (c.state == conn_state::waiting) {
            pending = true;
            if (now >= c.retry_at && in_progress_ < max_in_progress) start_connect(c, now);
          } else if (c.state == conn_state::connecting) {
            pending = true;
          }
        }
        if (!pending) {
          connect_seconds_ = seconds(clock_type::now() - start_);
          phase_ = phase::first;
          progress("%.0f connections established in %.3f s", static_cast<double>(established_), connect_seconds_);
        }
      }
    }

    std::int64_t timeout_ns = 100'000'000;
    if (phase_ == phase::connect && next_connect < n) timeout_ns = 10'000'000;
    timeout_ns = until_next_release(clock_type::now(), timeout_ns);
    // epoll_pwait2: a nanosecond timeout, so open-loop requests go out on time (Linux 5.11).
    const timespec ts{static_cast<time_t>(timeout_ns / 1'000'000'000), static_cast<long>(timeout_ns % 1'000'000'000)};
    const int k = ::epoll_pwait2(ep_, evs.data(), static_cast<int>(evs.size()), &ts, nullptr);
    if (phase_ == phase::measure) {
      ++measure_waits_;
      if (k > 0) measure_events_ += static_cast<std::uint64_t>(k);
    }
    if (k < 0 && errno != EINTR) {
      std::fprintf(stderr, "ipmikit-load: epoll_pwait2: %s\n", std::strerror(errno));
      return exit_failure;
    }
    now = clock_type::now();
    for (int i = 0; i < k; ++i) on_event(*conns_[evs[static_cast<std::size_t>(i)].data.u32], evs[static_cast<std::size_t>(i)].events, now);
    release(now);

    // Response timeouts: the sessions' deadlines, scanned every 100 ms.
    if (now - last_poll >= std::chrono::milliseconds(100)) {
      last_poll = now;
      for (auto& p : conns_) {
        connection& c = *p;
        if (c.state != conn_state::up) continue;
        const auto d = c.session.next_deadline();
        if (d && *d <= now) {
          events ev{*this, c, now};
          c.session.poll(now, ev);
          if (c.want_send) {  // not expected: poll only answers locally
            c.want_send = false;
          }
          if (sending_phase() && !c.session.request_outstanding()) ready(c, now);
        }
        // In the connect/first phase a connection whose connect() was in flight during a
        // retry may still have output waiting.
      }
    }

    switch (phase_) {
      case phase::connect: break;
      case phase::first: {
        // Every live connection has its first request answered (or failed: timeout, error).
        std::size_t waiting = 0;
        for (auto& p : conns_)
          if (p->state == conn_state::up && !p->first_done) ++waiting;
        if (waiting == 0 || now >= first_deadline) {
          first_seconds_ = seconds(clock_type::now() - start_);
          progress("%.0f connections answered their first request (%.3f s since start)",
                   static_cast<double>(first_answered_), first_seconds_);
          if (opt_.idle >= 0) {
            phase_ = phase::idle;
            phase_end = now + std::chrono::duration_cast<clock_type::duration>(std::chrono::duration<double>(opt_.idle));
            progress("holding %.0f connections idle for %.1f s", static_cast<double>(up_), opt_.idle);
          } else {
            begin_load(now);
          }
        }
        break;
      }
      case phase::idle:
        if (now >= phase_end) {
          server_idle_ = sample_process(opt_.server_pid);
          self_rss_idle_kib_ = self_rss_kib();
          begin_load(now);
        }
        break;
      case phase::warmup:
        if (now >= phase_end) begin_measure(now);
        break;
      case phase::measure:
        if ((opt_.duration > 0 && now >= phase_end) ||
            (opt_.requests > 0 && completed_ >= opt_.requests) || up_ == 0)
          end_measure(now);
        break;
      case phase::drain:
        if (outstanding() == 0 || now >= phase_end) phase_ = phase::done;
        break;
      case phase::done: break;
    }
  }

  server_end_ = sample_process(opt_.server_pid);
  // Close everything; the sessions see a clean disconnect.
  for (auto& p : conns_) {
    connection& c = *p;
    if (c.state == conn_state::up) {
      c.closing = true;
      events ev{*this, c, now};
      if (c.session.request_outstanding()) {
        ++n_.timeouts;  // still unanswered after the drain
        note(c, "timeout", "unanswered at the end");
      }
      c.session.disconnect(now, ev);
      ::close(c.fd);
      c.fd = -1;
    }
  }
  ::close(ep_);
  report();
  return failures() == 0 && established_ == n && first_answered_ == n ? exit_ok : exit_failure;
}

void load::report() {
  const std::size_t n = conns_.size();
  std::size_t answered_all = 0;
  for (const auto& p : conns_)
    if (p->answered > 0) ++answered_all;
  const double rps = measure_seconds_ > 0 ? static_cast<double>(completed_) / measure_seconds_ : 0;
  const double self_cpu = self_cpu_m1_.total - self_cpu_m0_.total;
  const double self_sys = self_cpu_m1_.sys - self_cpu_m0_.sys;
  const bool have_server = opt_.server_pid > 0 && server_m1_.ok && server_m0_.ok;
  const double server_cpu = have_server ? server_m1_.cpu_seconds - server_m0_.cpu_seconds : 0;
  const double server_sys = have_server ? server_m1_.sys_seconds - server_m0_.sys_seconds : 0;
  const double per_req = completed_ ? 1e6 / static_cast<double>(completed_) : 0;
  const bool have_idle = opt_.server_pid > 0 && server_idle_.ok && server_before_.ok;
  const double rss_per_vm = have_idle && n ? static_cast<double>(server_idle_.rss_kib - server_before_.rss_kib) * 1024.0 / static_cast<double>(n) : 0;
  auto us = [](std::uint64_t ns) { return static_cast<double>(ns) / 1e3; };

  const summary_field fields[] = {
      {"connections", static_cast<double>(n), 0, true},
      {"established", static_cast<double>(established_), 0, true},
      {"vms_answered", static_cast<double>(answered_all), 0, true},
      {"connect_seconds", connect_seconds_, 3, true},
      {"first_answered_seconds", first_seconds_, 3, true},
      {"requests", static_cast<double>(completed_), 0, true},
      {"warmup_requests", static_cast<double>(warmup_completed_), 0, true},
      {"seconds", measure_seconds_, 3, true},
      {"requests_per_second", rps, 0, true},
      {"offered_rate", opt_.rate, 0, opt_.rate > 0},
      {"rate_shortfall", static_cast<double>(rate_shortfall_), 0, opt_.rate > 0},
      {"send_lag_p50_us", us(lag_.quantile(0.50)), 1, opt_.rate > 0},
      {"send_lag_p99_us", us(lag_.quantile(0.99)), 1, opt_.rate > 0},
      {"latency_samples", static_cast<double>(hist_.count()), 0, true},
      {"latency_mean_us", hist_.mean() / 1e3, 1, true},
      {"latency_p50_us", us(hist_.quantile(0.50)), 1, true},
      {"latency_p90_us", us(hist_.quantile(0.90)), 1, true},
      {"latency_p99_us", us(hist_.quantile(0.99)), 1, true},
      {"latency_p999_us", us(hist_.quantile(0.999)), 1, true},
      {"latency_max_us", us(hist_.max()), 1, true},
      {"failures", static_cast<double>(failures()), 0, true},
      {"connect_failures", static_cast<double>(n_.connect_failures), 0, true},
      {"connect_retries", static_cast<double>(n_.connect_retries), 0, true},
      {"disconnects", static_cast<double>(n_.disconnects), 0, true},
      {"timeouts", static_cast<double>(n_.timeouts), 0, true},
      {"bad_responses", static_cast<double>(n_.bad_responses), 0, true},
      {"protocol_problems", static_cast<double>(n_.protocol_problems), 0, true},
      {"send_errors", static_cast<double>(n_.send_errors), 0, true},
      {"hardware_commands", static_cast<double>(n_.hardware_commands), 0, true},
      {"load_cpu_seconds", self_cpu, 3, true},
      {"load_cpu_us_per_request", self_cpu * per_req, 3, true},
      {"load_sys_seconds", self_sys, 3, true},
      {"load_epoll_waits", static_cast<double>(measure_waits_), 0, true},
      {"load_events_per_wait", measure_waits_ ? static_cast<double>(measure_events_) / static_cast<double>(measure_waits_) : 0, 1, true},
      {"load_rss_kib", static_cast<double>(self_rss_kib()), 0, true},
      {"load_rss_idle_kib", static_cast<double>(self_rss_idle_kib_), 0, opt_.idle >= 0},
      {"server_cpu_seconds", server_cpu, 3, have_server},
      {"server_cpu_us_per_request", server_cpu * per_req, 3, have_server},
      {"server_sys_seconds", server_sys, 3, have_server},
      {"server_rss_before_kib", static_cast<double>(server_before_.rss_kib), 0, opt_.server_pid > 0},
      {"server_rss_idle_kib", static_cast<double>(server_idle_.rss_kib), 0, have_idle},
      {"server_rss_per_idle_vm_bytes", rss_per_vm, 0, have_idle},
      {"server_rss_end_kib", static_cast<double>(server_end_.rss_kib), 0, opt_.server_pid > 0 && server_end_.ok},
  };
  print_summary(fields, opt_.json);
}

}  // namespace

int main(int argc, char** argv) {
  options opt;
  bool have_request_limit = false;
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    auto value = [&](std::string_view name) -> std::optional<std::string_view> {
      if (arg == name) {
        if (i + 1 >= argc) return std::nullopt;
        return std::string_view(argv[++i]);
      }
      if (arg.size() > name.size() && arg.starts_with(name) && arg[name.size()] == '=')
        return arg.substr(name.size() + 1);
      return std::nullopt;
    };
    auto is = [&](std::string_view name) {
      return arg == name || (arg.starts_with(name) && arg.size() > name.size() && arg[name.size()] == '=');
    };
    if (arg == "-h" || arg == "--help") {
      std::fputs(usage_text, stdout);
      return exit_ok;
    }
    if (arg == "--json") {
      opt.json = true;
    } else if (arg == "-q" || arg == "--quiet") {
      opt.quiet = true;
    } else if (is("--connect")) {
      const auto v = value("--connect");
      if (!v) return usage_error("--connect needs an address");
      if (auto err = add_targets(*v, opt.targets); !err.empty()) return usage_error(err);
    } else if (is("--duration")) {
      const auto v = value("--duration");
      if (!v || !parse_double(*v, opt.duration)) return usage_error("--duration needs seconds");
    } else if (is("--requests")) {
      const auto v = value("--requests");
      if (!v || !parse_uint(*v, opt.requests) || opt.requests == 0) return usage_error("--requests needs a positive count");
      have_request_limit = true;
    } else if (is("--warmup")) {
      const auto v = value("--warmup");
      if (!v || !parse_double(*v, opt.warmup)) return usage_error("--warmup needs seconds");
    } else if (is("--idle")) {
      const auto v = value("--idle");
      if (!v || !parse_double(*v, opt.idle)) return usage_error("--idle needs seconds");
    } else if (is("--rate")) {
      const auto v = value("--rate");
      if (!v || !parse_double(*v, opt.rate) || opt.rate <= 0) return usage_error("--rate needs requests per second > 0");
    } else if (is("--timeout")) {
      const auto v = value("--timeout");
      if (!v || !parse_double(*v, opt.timeout) || opt.timeout <= 0) return usage_error("--timeout needs seconds > 0");
    } else if (is("--connect-timeout")) {
      const auto v = value("--connect-timeout");
      if (!v || !parse_double(*v, opt.connect_timeout)) return usage_error("--connect-timeout needs seconds");
    } else if (is("--request")) {
      const auto v = value("--request");
      const auto body = v ? ipmikit_apps::parse_request(*v, vm::max_message_size) : std::nullopt;
      if (!body) return usage_error("--request needs NETFN:CMD[:HEX] (hex, even request netfn), e.g. 06:01");
      opt.request = *body;
    } else if (is("--server-pid")) {
      const auto v = value("--server-pid");
      if (!v || !parse_uint(*v, opt.server_pid) || opt.server_pid <= 0) return usage_error("--server-pid needs a PID");
    } else {
      return usage_error("unknown option '" + std::string(arg) + "'");
    }
  }
  if (opt.targets.empty()) return usage_error("no --connect address");
  if (have_request_limit && opt.duration > 0) return usage_error("--duration and --requests exclude each other");

  // One descriptor per connection plus a few: raise the soft limit to the hard one (and, with
  // the privilege to do so, the hard one too).
  const rlim_t need = static_cast<rlim_t>(opt.targets.size()) + 32;
  rlimit lim{};
  ::getrlimit(RLIMIT_NOFILE, &lim);
  if (lim.rlim_cur < need) {
    rlimit want = lim;
    want.rlim_cur = lim.rlim_max;
    if (want.rlim_cur < need) want.rlim_cur = want.rlim_max = need;  // needs CAP_SYS_RESOURCE
    if (::setrlimit(RLIMIT_NOFILE, &want) != 0) {
      want = lim;
      want.rlim_cur = lim.rlim_max;
      ::setrlimit(RLIMIT_NOFILE, &want);
    }
    ::getrlimit(RLIMIT_NOFILE, &lim);
    if (lim.rlim_cur < need) {
      std::fprintf(stderr,
                   "ipmikit-load: %zu connections need %llu file descriptors, the limit is %llu "
                   "(hard %llu); raise it with 'ulimit -n'\n",
                   opt.targets.size(), static_cast<unsigned long long>(need),
                   static_cast<unsigned long long>(lim.rlim_cur), static_cast<unsigned long long>(lim.rlim_max));
      return exit_failure;
    }
  }
  ::signal(SIGPIPE, SIG_IGN);
  // Open loop: wake up on time (the default timer slack delays timeouts by up to 50 µs).
  if (opt.rate > 0) ::prctl(PR_SET_TIMERSLACK, 1UL, 0UL, 0UL, 0UL);

  static load l(opt);  // static: a large object (receive buffer, histogram)
  return l.run();
}
