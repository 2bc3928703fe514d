// ipmikit-load-lan — a load generator for IPMI-over-LAN BMCs (ipmikit-bmc, ipmi_sim, pyghmi's
// BMC, a real one): N RMCP+ sessions at once, each an ipmikit::lan::client on OpenSSL, sending
// authenticated request after request, or (--setup-only) logging in and out over and over.
//
//   ipmikit-load-lan --lan 127.0.0.1:6230 --sessions 1000 --user-format 'admin@vm%d' --password P --duration 3
//   ipmikit-load-lan --lan 127.0.0.1 --ports 7000 --sessions 100 --user-format admin --password P --duration 3
//   ipmikit-load-lan --lan 127.0.0.1:6230 --sessions 100 --user-format 'admin@vm%d' --password P --setup-only --duration 3
//
// One thread, one epoll set, one non-blocking UDP socket per session, connect()ed to its BMC
// address. One socket per session rather than sessions multiplexed on a few sockets: a BMC
// ties a session to the console's address and port (ipmikit's lan::server checks it on every
// packet; pyghmi's BMC keys its sessions by the client's address), so distinct source ports are
// what N real consoles look like, and the kernel then does the demultiplexing. Each session has
// one request outstanding at a time, as ipmitool and FreeIPMI do.
// Every login after a session's first takes a new socket (a new source port), as every run of
// ipmitool does; with --setup-only its cost (socket, connect, epoll_ctl, close) is in the load
// generator's CPU figure.
//
// Session i logs in as the user --user-format names for VM (i mod --vms) (a printf pattern with
// one %d, or a plain name for every session) and sends its datagrams to --lan, or with --ports
// BASE to port BASE + (i mod --vms) of --lan's host (one address per VM).
//
// Modes:
//   requests (default)  every session logs in (phase "login"), then sends --request (Get
//                       Device ID by default) again as soon as each response is checked: warm-up,
//                       then --duration measured; at the end every session is closed.
//   --setup-only        every session opens (Open Session, RAKP 1-4), closes (Close Session)
//                       and opens again; a setup counts when its Close Session is answered.
// Every response is checked: completion code 00, the request's netFn + 1 and command.
//
// Losses: a login that hears nothing for --timeout starts over (a new Open Session: re-sending
// RAKP 1 would make the BMC draw a new random and fail RAKP 3); a request (or Close Session)
// that hears nothing is sent again as a new packet (the next session sequence number; the same
// packet again would be refused as a replay if only the answer was lost), at most --retries
// times; then it is a timeout, and the session logs in again. Retransmissions, timeouts, failed
// logins, bad or unexpected responses are counted; any failure makes the exit status 1.
//
// Output: `key=value` lines, or one JSON object with --json. CPU time is the load generator's
// own (getrusage) and, with --server-pid, the BMC process's (/proc/PID/stat), over the measured
// phase only.
#include <ipmikit/lan/client.hpp>
#include <ipmikit/lan/openssl.hpp>

#include "../load_support.hpp"
#include "../usage.hpp"

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace {

namespace lan = ipmikit::lan;
using clock_type = std::chrono::steady_clock;
using time_point = clock_type::time_point;
using client_type = lan::client<lan::openssl_crypto>;
using ipmikit_apps::print_summary;
using ipmikit_apps::summary_field;
using ipmikit_apps::histogram;
using ipmikit_apps::parse_double;
using ipmikit_apps::parse_uint;

constexpr int exit_ok = 0;
constexpr int exit_failure = 1;

// ---------------------------------------------------------------------------------------------
// Options

struct options {
  std::string host;
  std::uint16_t port = 0;          // --lan's port (the shared address)
  std::uint16_t ports_base = 0;    // --ports: per-VM ports from here (0: all to --lan)
  std::size_t sessions = 1;
  std::size_t vms = 0;             // 0: as many as sessions
  std::string user_format = "admin@vm%d";
  std::string password;
  bool have_password = false;
  std::uint8_t suite = 17;
  ipmikit::cmd::privilege privilege = ipmikit::cmd::privilege::administrator;
  double duration = 3;
  double warmup = 0.5;
  double timeout = 1;              // seconds without an answer before a retransmission
  unsigned retries = 3;            // retransmissions of one request before it is a timeout
  double login_timeout = 30;       // seconds for every session's first login (requests mode)
  bool setup_only = false;
  std::vector<std::uint8_t> request{0x06 << 2, 0x01};  // Get Device ID (App 01h)
  int server_pid = 0;
  bool json = false;
  bool quiet = false;
};

constexpr const char* usage_text =
    "usage: ipmikit-load-lan --lan HOST[:PORT] --password P [options]\n"
    "\n"
    "Opens N RMCP+ sessions (ipmikit's lan::client, OpenSSL) and sends authenticated requests,\n"
    "one outstanding per session, or with --setup-only logs in and out over and over.\n"
    "\n"
    "  --lan HOST[:PORT]          the BMC's address (PORT needed unless --ports)\n"
    "  --ports BASE               one address per VM: session i goes to port BASE + (i mod VMS)\n"
    "  --sessions N               sessions at once (default 1)\n"
    "  --vms M                    session i is VM (i mod M)'s (default: as many as sessions)\n"
    "  --user-format F            user name: a printf pattern with one %d for the VM index, or\n"
    "                             a plain name (default 'admin@vm%d': ipmikit-bmc's shared port)\n"
    "  --password P               the password (at most 20 bytes)\n"
    "  --suite 3|17               cipher suite (default 17)\n"
    "  --privilege user|operator|administrator   asked for at login (default administrator)\n"
    "  --duration SECONDS         measured load (default 3)\n"
    "  --warmup SECONDS           uncounted load before measuring (default 0.5)\n"
    "  --setup-only               measure session setups/s: open, close, open again\n"
    "  --request NETFN:CMD[:HEX]  the request (default 06:01, Get Device ID)\n"
    "  --timeout SECONDS          silence before a retransmission (default 1)\n"
    "  --retries K                retransmissions of a request before a timeout (default 3)\n"
    "  --login-timeout SECONDS    time for every session's first login (default 30)\n"
    "  --server-pid PID           also report the BMC process's CPU time\n"
    "  --json                     one JSON object on stdout instead of key=value lines\n"
    "  -q, --quiet                no progress lines on stderr\n"
    "  -h, --help                 show this help\n"
    "\n"
    "Exit status: 0 all succeeded, 1 any failure (login, timeout, bad response), 2 usage.\n";

int usage_error(const std::string& message) { return ipmikit_apps::usage_error("ipmikit-load-lan", message); }

double seconds(clock_type::duration d) { return std::chrono::duration<double>(d).count(); }
clock_type::duration from_seconds(double s) {
  return std::chrono::duration_cast<clock_type::duration>(std::chrono::duration<double>(s));
}

/// The user name of VM `vm`: the pattern with its %d replaced, or the plain name.
std::string user_for(const std::string& format, std::size_t vm) {
  const auto at = format.find("%d");
  if (at == std::string::npos) return format;
  return format.substr(0, at) + std::to_string(vm) + format.substr(at + 2);
}

/// The format is a plain name or has exactly one %d and no other '%'.
bool user_format_ok(const std::string& f) {
  std::size_t percents = 0;
  for (char c : f) percents += c == '%' ? 1 : 0;
  return percents == 0 || (percents == 1 && f.find("%d") != std::string::npos);
}

// ---------------------------------------------------------------------------------------------
// The load generator

enum class phase : std::uint8_t { login, warmup, measure, drain, closing, done };

enum class session_state : std::uint8_t {
  login,    // Open Session … RAKP 4 under way
  request,  // a request outstanding
  closing,  // Close Session outstanding
  idle,     // nothing outstanding (between phases, or waiting to log in again)
};

struct session {
  std::optional<client_type> client;
  std::string user;
  time_point started{};   // the login's Open Session, or the request's first send
  time_point sent{};      // the last datagram sent
  time_point retry_at{};  // idle after a failure: log in again then
  sockaddr_storage to{};  // its BMC address
  std::uint32_t index = 0;
  int fd = -1;
  bool used = false;      // a login went out on this socket
  session_state state = session_state::idle;
  std::uint8_t tries = 0;  // retransmissions of the outstanding request
  bool logged_in_once = false;
};

struct counters {
  std::uint64_t logins = 0;           // logins completed (RAKP 4 verified), all phases
  std::uint64_t login_failures = 0;   // the client refused or failed a login
  std::uint64_t login_timeouts = 0;   // a login that heard nothing for --timeout (started over)
  std::uint64_t timeouts = 0;         // a request or Close Session unanswered after --retries
  std::uint64_t retransmits = 0;
  std::uint64_t bad_responses = 0;    // completion code not 00, or not the request's answer
  std::uint64_t ignored = 0;          // datagrams the client did not take (late, duplicate)
  std::uint64_t send_errors = 0;
  std::uint64_t receive_errors = 0;   // e.g. ECONNREFUSED: nothing listens there
};

class load {
 public:
  explicit load(const options& opt) : opt_(opt) {}

  int run() {
    if (!open_sockets()) return exit_failure;
    const time_point start = clock_type::now();
    start_ = start;
    ph_ = opt_.setup_only ? phase::warmup : phase::login;
    phase_end_ = opt_.setup_only ? start + from_seconds(opt_.warmup) : start + from_seconds(opt_.login_timeout);
    if (opt_.setup_only) progress("setup-only: %zu sessions, warm-up %.1f s", opt_.sessions, opt_.warmup);
    else progress("logging in %zu sessions", opt_.sessions, 0.0);
    for (session& s : sessions_) start_login(s, start);

    std::array<epoll_event, 256> events{};
    time_point last_scan = start;
    while (ph_ != phase::done) {
      const int n = ::epoll_wait(epfd_, events.data(), static_cast<int>(events.size()), 10);
      if (n < 0 && errno != EINTR) {
        std::fprintf(stderr, "ipmikit-load-lan: epoll_wait: %s\n", std::strerror(errno));
        return exit_failure;
      }
      time_point now = clock_type::now();
      for (int i = 0; i < n; ++i) readable(sessions_[events[static_cast<std::size_t>(i)].data.u32], now);
      if (n > 0) now = clock_type::now();
      if (now - last_scan >= std::chrono::milliseconds(10)) {
        scan(now);
        last_scan = now;
      }
      advance(now);
    }
    report();
    return failures() == 0 && all_logged_in() ? exit_ok : exit_failure;
  }

 private:
  // --- setup ----------------------------------------------------------------------------------

  bool open_sockets() {
    addrinfo hints{};
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_DGRAM;
    hints.ai_flags = AI_NUMERICSERV;
    addrinfo* found = nullptr;
    if (const int rc = ::getaddrinfo(opt_.host.c_str(), "1", &hints, &found); rc != 0) {
      std::fprintf(stderr, "ipmikit-load-lan: cannot resolve '%s': %s\n", opt_.host.c_str(), ::gai_strerror(rc));
      return false;
    }
    sockaddr_storage base{};
    std::memcpy(&base, found->ai_addr, found->ai_addrlen);
    const int family = found->ai_family;
    ::freeaddrinfo(found);

    // One descriptor per session, plus a few.
    rlimit lim{};
    ::getrlimit(RLIMIT_NOFILE, &lim);
    const rlim_t need = static_cast<rlim_t>(opt_.sessions) + 32;
    if (lim.rlim_cur < need) {
      lim.rlim_cur = std::min(need, lim.rlim_max);
      ::setrlimit(RLIMIT_NOFILE, &lim);
    }

    epfd_ = ::epoll_create1(EPOLL_CLOEXEC);
    if (epfd_ < 0) {
      std::fprintf(stderr, "ipmikit-load-lan: epoll_create1: %s\n", std::strerror(errno));
      return false;
    }
    const std::size_t vms = opt_.vms == 0 ? opt_.sessions : opt_.vms;
    sessions_.resize(opt_.sessions);
    for (std::size_t i = 0; i < opt_.sessions; ++i) {
      session& s = sessions_[i];
      s.index = static_cast<std::uint32_t>(i);
      s.user = user_for(opt_.user_format, i % vms);
      s.to = base;
      const auto port = static_cast<std::uint16_t>(opt_.ports_base != 0 ? opt_.ports_base + i % vms : opt_.port);
      if (family == AF_INET) reinterpret_cast<sockaddr_in*>(&s.to)->sin_port = htons(port);
      else reinterpret_cast<sockaddr_in6*>(&s.to)->sin6_port = htons(port);
      if (!open_socket(s)) {
        std::fprintf(stderr, "ipmikit-load-lan: session %zu: socket: %s (descriptor limit %llu)\n", i,
                     std::strerror(errno), static_cast<unsigned long long>(lim.rlim_cur));
        return false;
      }
    }
    return true;
  }

  /// A new UDP socket for `s`, connect()ed to its BMC and watched by epoll (the old one closed).
  bool open_socket(session& s) {
    if (s.fd >= 0) ::close(s.fd);  // also leaves the epoll set
    s.used = false;
    s.fd = ::socket(s.to.ss_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    const auto len = static_cast<socklen_t>(s.to.ss_family == AF_INET ? sizeof(sockaddr_in) : sizeof(sockaddr_in6));
    if (s.fd < 0 || ::connect(s.fd, reinterpret_cast<const sockaddr*>(&s.to), len) != 0) return false;
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.u32 = s.index;
    return ::epoll_ctl(epfd_, EPOLL_CTL_ADD, s.fd, &ev) == 0;
  }

  // --- one session ----------------------------------------------------------------------------

  void send(session& s, std::size_t size, time_point now) {
    s.sent = now;
    if (size == 0) return;
    if (::send(s.fd, out_.data(), size, MSG_DONTWAIT) < 0) ++n_.send_errors;  // the retransmission timer recovers
  }

  void start_login(session& s, time_point now) {
    // Each login from a new source port, as each run of ipmitool is (pyghmi's BMC keys its
    // sessions by the console's address and does not take a second login from one).
    if (s.used && !open_socket(s)) {
      ++n_.send_errors;
      note(s, "socket: ", std::strerror(errno));
      s.state = session_state::idle;
      s.retry_at = now + std::chrono::seconds(1);
      return;
    }
    s.used = true;
    lan::client_config cfg;
    cfg.user = s.user;
    cfg.password = opt_.password;
    cfg.suite = opt_.suite;
    cfg.privilege = opt_.privilege;
    // A new SIDm for every login, so a late answer to an abandoned one is not taken for this one.
    cfg.console_session_id = 0x10000000u | (s.index << 12) | (++console_serial_ & 0xFFFu);
    s.client.emplace(lan::openssl_crypto{}, cfg);
    s.state = session_state::login;
    s.started = now;
    s.tries = 0;
    const std::size_t n = s.client->open(out_);
    if (n == 0) {  // the client refused the configuration (name or password too long)
      ++n_.login_failures;
      note(s, "login refused by the client: ", std::string(lan::name(s.client->failure())).c_str());
      s.state = session_state::idle;
      s.retry_at = now + std::chrono::seconds(1);
      return;
    }
    send(s, n, now);
  }

  void send_request(session& s, time_point now) {
    s.state = session_state::request;
    s.started = now;
    s.tries = 0;
    send(s, s.client->request(opt_.request, out_), now);
  }

  void send_close(session& s, time_point now) {
    s.state = session_state::closing;
    s.tries = 0;
    send(s, s.client->close(out_), now);
  }

  /// What a session does next when its exchange is over.
  void next(session& s, time_point now) {
    const bool loading = ph_ == phase::warmup || ph_ == phase::measure;
    if (opt_.setup_only) {
      if (loading) start_login(s, now);
      else s.state = session_state::idle;
    } else if (loading && s.client && s.client->active()) {
      send_request(s, now);
    } else if (ph_ == phase::closing && s.client && s.client->active()) {
      send_close(s, now);
    } else {
      s.state = session_state::idle;
    }
  }

  void readable(session& s, time_point now) {
    const ssize_t got = ::recv(s.fd, in_.data(), in_.size(), MSG_DONTWAIT);
    if (got < 0) {
      if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
        ++n_.receive_errors;
        note(s, "receive: ", std::strerror(errno));
      }
      return;
    }
    if (!s.client || s.state == session_state::idle) {
      ++n_.ignored;
      return;
    }
    const lan::client_result r =
        s.client->receive(std::span<const std::uint8_t>(in_.data(), static_cast<std::size_t>(got)), out_);
    switch (r.event) {
      case lan::client_event::none:  // the next login step
        send(s, r.size, now);
        return;
      case lan::client_event::ignored:
      case lan::client_event::sol:  // never activated here: not ours
        ++n_.ignored;
        return;
      case lan::client_event::failed:
        send(s, r.size, now);
        ++n_.login_failures;
        note(s, "login failed: ", std::string(lan::name(s.client->failure())).c_str());
        s.state = session_state::idle;
        s.retry_at = now + std::chrono::milliseconds(200);
        return;
      case lan::client_event::active: {
        ++n_.logins;
        s.logged_in_once = true;
        if (ph_ == phase::measure) setup_hist_.add(static_cast<std::uint64_t>(std::chrono::nanoseconds(now - s.started).count()));
        if (opt_.setup_only) send_close(s, now);
        else next(s, now);
        return;
      }
      case lan::client_event::response: break;
    }
    const auto body = s.client->response();
    if (s.state == session_state::request) {
      const bool good = body.size() >= 3 && body[0] == static_cast<std::uint8_t>(opt_.request[0] + 4) &&
                        body[1] == opt_.request[1] && body[2] == 0x00;
      if (!good) {
        ++n_.bad_responses;
        if (body.size() >= 3) {
          char what[80];
          std::snprintf(what, sizeof what, "netfn/lun 0x%02X cmd 0x%02X cc 0x%02X", body[0], body[1], body[2]);
          note(s, "bad response: ", what);
        }
      } else if (ph_ == phase::measure) {
        ++completed_;
        hist_.add(static_cast<std::uint64_t>(std::chrono::nanoseconds(now - s.started).count()));
      }
      next(s, now);
    } else if (s.state == session_state::closing) {
      const bool good = body.size() >= 3 && body[0] == ((0x06 + 1) << 2) && body[1] == 0x3C && body[2] == 0x00;
      if (!good) ++n_.bad_responses;
      else if (opt_.setup_only && ph_ == phase::measure) ++setups_;
      s.client.reset();
      next(s, now);
    } else {
      ++n_.ignored;
    }
  }

  /// Retransmissions and timeouts; sessions waiting to log in again.
  void scan(time_point now) {
    const auto timeout = from_seconds(opt_.timeout);
    const bool loading = ph_ == phase::login || ph_ == phase::warmup || ph_ == phase::measure;
    for (session& s : sessions_) {
      switch (s.state) {
        case session_state::idle:
          if (loading && s.retry_at != time_point{} && now >= s.retry_at) {
            s.retry_at = {};
            start_login(s, now);
          }
          break;
        case session_state::login:
          if (now - s.sent < timeout) break;
          ++n_.login_timeouts;
          if (loading) start_login(s, now);
          else s.state = session_state::idle;
          break;
        case session_state::request:
        case session_state::closing:
          if (now - s.sent < timeout) break;
          if (s.tries < opt_.retries && s.client && s.client->active()) {
            ++s.tries;
            ++n_.retransmits;
            send(s, s.state == session_state::request ? s.client->request(opt_.request, out_) : s.client->close(out_), now);
            break;
          }
          ++n_.timeouts;
          note(s, s.state == session_state::request ? "request" : "Close Session", " unanswered: timeout");
          s.client.reset();
          s.state = session_state::idle;
          if (loading) start_login(s, now);
          break;
      }
    }
  }

  // --- phases ---------------------------------------------------------------------------------

  [[nodiscard]] bool all_logged_in() const {
    for (const session& s : sessions_)
      if (!s.logged_in_once) return false;
    return true;
  }
  [[nodiscard]] bool any_outstanding() const {
    for (const session& s : sessions_)
      if (s.state != session_state::idle) return true;
    return false;
  }

  void advance(time_point now) {
    switch (ph_) {
      case phase::login: {
        bool all_active = true;
        for (const session& s : sessions_) all_active = all_active && s.client && s.client->active();
        if (all_active || now >= phase_end_) {
          login_seconds_ = seconds(now - start_);
          logged_in_ = 0;
          for (const session& s : sessions_) logged_in_ += s.client && s.client->active() ? 1u : 0u;
          progress("%zu sessions logged in in %.3f s", logged_in_, login_seconds_);
          if (!all_active) {  // some never did: report, no load
            ph_ = phase::closing;
            phase_end_ = now + from_seconds(opt_.timeout * 2);
            for (session& s : sessions_) next(s, now);
            break;
          }
          ph_ = phase::warmup;
          phase_end_ = now + from_seconds(opt_.warmup);
          for (session& s : sessions_) next(s, now);
        }
        break;
      }
      case phase::warmup:
        if (now >= phase_end_) {
          ph_ = phase::measure;
          m0_ = now;
          phase_end_ = now + from_seconds(opt_.duration);
          server_m0_ = ipmikit_apps::sample_process(opt_.server_pid);
          self_m0_ = ipmikit_apps::self_cpu_seconds();
          progress("measuring for %.1f s%s", opt_.duration, "");
        }
        break;
      case phase::measure:
        if (now >= phase_end_) {
          server_m1_ = ipmikit_apps::sample_process(opt_.server_pid);
          self_m1_ = ipmikit_apps::self_cpu_seconds();
          measure_seconds_ = seconds(now - m0_);
          ph_ = phase::drain;
          phase_end_ = now + from_seconds(opt_.timeout * (opt_.retries + 1) + 0.5);
        }
        break;
      case phase::drain:  // outstanding exchanges finish (not counted); no new ones
        if (!any_outstanding() || now >= phase_end_) {
          ph_ = phase::closing;
          phase_end_ = now + from_seconds(opt_.timeout * 2);
          for (session& s : sessions_)
            if (s.state == session_state::idle && s.client && s.client->active()) send_close(s, now);
        }
        break;
      case phase::closing:
        if (!any_outstanding() || now >= phase_end_) ph_ = phase::done;
        break;
      case phase::done: break;
    }
  }

  // --- output ---------------------------------------------------------------------------------

  [[nodiscard]] std::uint64_t failures() const {
    return n_.login_failures + n_.login_timeouts + n_.timeouts + n_.bad_responses + n_.receive_errors;
  }

  template <class A, class B>
  void progress(const char* format, A a, B b) const {
    if (opt_.quiet || opt_.json) return;
    std::fprintf(stderr, "ipmikit-load-lan: %6.2fs  ", seconds(clock_type::now() - start_));
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
    std::fprintf(stderr, format, a, b);
#pragma GCC diagnostic pop
    std::fprintf(stderr, "\n");
  }

  void note(const session& s, const char* what, const char* detail) {
    if (opt_.quiet) return;
    if (notes_ < 10)
      std::fprintf(stderr, "ipmikit-load-lan: session %u (%s): %s%s\n", s.index, s.user.c_str(), what, detail);
    else if (notes_ == 10)
      std::fprintf(stderr, "ipmikit-load-lan: (further problems are only counted)\n");
    ++notes_;
  }

  void report() const {
    const double self_cpu = self_m1_.total - self_m0_.total;
    const bool have_server = opt_.server_pid > 0 && server_m0_.ok && server_m1_.ok;
    const double server_cpu = have_server ? server_m1_.cpu_seconds - server_m0_.cpu_seconds : 0;
    const std::uint64_t ops = opt_.setup_only ? setups_ : completed_;
    const double rate = measure_seconds_ > 0 ? static_cast<double>(ops) / measure_seconds_ : 0;
    const double per_op = ops ? 1e6 / static_cast<double>(ops) : 0;
    const histogram& h = opt_.setup_only ? setup_hist_ : hist_;
    const auto us = [](std::uint64_t ns) { return static_cast<double>(ns) / 1e3; };
    const summary_field fields[] = {
        {"sessions", static_cast<double>(opt_.sessions), 0, true},
        {"vms", static_cast<double>(opt_.vms == 0 ? opt_.sessions : opt_.vms), 0, true},
        {"suite", static_cast<double>(opt_.suite), 0, true},
        {"setup_only", opt_.setup_only ? 1.0 : 0.0, 0, true},
        {"logged_in", static_cast<double>(logged_in_), 0, !opt_.setup_only},
        {"login_seconds", login_seconds_, 3, !opt_.setup_only},
        {"seconds", measure_seconds_, 3, true},
        {"requests", static_cast<double>(completed_), 0, !opt_.setup_only},
        {"requests_per_second", rate, 0, !opt_.setup_only},
        {"setups", static_cast<double>(setups_), 0, opt_.setup_only},
        {"setups_per_second", rate, 1, opt_.setup_only},
        {"latency_samples", static_cast<double>(h.count()), 0, true},
        {"latency_mean_us", h.mean() / 1e3, 1, true},
        {"latency_p50_us", us(h.quantile(0.50)), 1, true},
        {"latency_p90_us", us(h.quantile(0.90)), 1, true},
        {"latency_p99_us", us(h.quantile(0.99)), 1, true},
        {"latency_max_us", us(h.max()), 1, true},
        {"logins", static_cast<double>(n_.logins), 0, true},
        {"failures", static_cast<double>(failures()), 0, true},
        {"login_failures", static_cast<double>(n_.login_failures), 0, true},
        {"login_timeouts", static_cast<double>(n_.login_timeouts), 0, true},
        {"timeouts", static_cast<double>(n_.timeouts), 0, true},
        {"retransmits", static_cast<double>(n_.retransmits), 0, true},
        {"bad_responses", static_cast<double>(n_.bad_responses), 0, true},
        {"ignored", static_cast<double>(n_.ignored), 0, true},
        {"send_errors", static_cast<double>(n_.send_errors), 0, true},
        {"receive_errors", static_cast<double>(n_.receive_errors), 0, true},
        {"load_cpu_seconds", self_cpu, 3, true},
        {"load_cpu_us_per_op", self_cpu * per_op, 2, true},
        {"server_cpu_seconds", server_cpu, 3, have_server},
        {"server_cpu_us_per_op", server_cpu * per_op, 2, have_server},
        {"server_ops_per_cpu_second", server_cpu > 0 ? static_cast<double>(ops) / server_cpu : 0, 0, have_server},
    };
    print_summary(fields, opt_.json);
  }

  const options& opt_;
  std::vector<session> sessions_;
  int epfd_ = -1;
  phase ph_ = phase::login;
  time_point start_{}, phase_end_{}, m0_{};
  std::array<std::uint8_t, lan::max_packet_size + 1> in_{};
  std::array<std::uint8_t, lan::max_packet_size> out_{};
  std::uint32_t console_serial_ = 0;
  counters n_;
  std::uint64_t completed_ = 0;
  std::uint64_t setups_ = 0;
  std::size_t logged_in_ = 0;
  double login_seconds_ = 0;
  double measure_seconds_ = 0;
  histogram hist_;        // request latency, first send to checked response (measured phase)
  histogram setup_hist_;  // Open Session sent to RAKP 4 verified (measured phase)
  ipmikit_apps::proc_sample server_m0_{}, server_m1_{};
  ipmikit_apps::cpu_times self_m0_{}, self_m1_{};
  std::uint64_t notes_ = 0;
};

}  // namespace

int main(int argc, char** argv) {
  options opt;
  bool have_lan = false;
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    const auto value = [&]() -> std::optional<std::string_view> {
      if (i + 1 >= argc) return std::nullopt;
      return std::string_view(argv[++i]);
    };
    if (arg == "-h" || arg == "--help") {
      std::fputs(usage_text, stdout);
      return exit_ok;
    }
    if (arg == "--json") {
      opt.json = true;
    } else if (arg == "-q" || arg == "--quiet") {
      opt.quiet = true;
    } else if (arg == "--setup-only") {
      opt.setup_only = true;
    } else if (arg == "--lan") {
      const auto v = value();
      if (!v || v->empty()) return usage_error("--lan needs HOST[:PORT]");
      std::string_view spec = *v;
      const auto colon = spec.rfind(':');
      const bool bracketed = spec.front() == '[';
      const bool has_port = colon != std::string_view::npos && (!bracketed || spec[colon - 1] == ']') &&
                            (bracketed || spec.find(':') == colon);
      std::string_view host = has_port ? spec.substr(0, colon) : spec;
      if (has_port && (!parse_uint(spec.substr(colon + 1), opt.port) || opt.port == 0))
        return usage_error("--lan: bad port in '" + std::string(spec) + "'");
      if (host.size() >= 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
      if (host.empty()) return usage_error("--lan: no host in '" + std::string(spec) + "'");
      opt.host = std::string(host);
      have_lan = true;
    } else if (arg == "--ports") {
      const auto v = value();
      if (!v || !parse_uint(*v, opt.ports_base) || opt.ports_base == 0) return usage_error("--ports needs a port");
    } else if (arg == "--sessions") {
      const auto v = value();
      if (!v || !parse_uint(*v, opt.sessions) || opt.sessions == 0 || opt.sessions > 60000)
        return usage_error("--sessions needs a count from 1 to 60000");
    } else if (arg == "--vms") {
      const auto v = value();
      if (!v || !parse_uint(*v, opt.vms) || opt.vms == 0) return usage_error("--vms needs a positive count");
    } else if (arg == "--user-format") {
      const auto v = value();
      if (!v || v->empty() || !user_format_ok(std::string(*v)))
        return usage_error("--user-format needs a name, or a pattern with one %d");
      opt.user_format = std::string(*v);
    } else if (arg == "--password") {
      const auto v = value();
      if (!v || v->size() > 20) return usage_error("--password needs a password of at most 20 bytes");
      opt.password = std::string(*v);
      opt.have_password = true;
    } else if (arg == "--suite") {
      const auto v = value();
      if (!v || !parse_uint(*v, opt.suite) || (opt.suite != 3 && opt.suite != 17))
        return usage_error("--suite needs 3 or 17");
    } else if (arg == "--privilege") {
      const auto v = value();
      if (v && *v == "user") opt.privilege = ipmikit::cmd::privilege::user;
      else if (v && *v == "operator") opt.privilege = ipmikit::cmd::privilege::operator_;
      else if (v && *v == "administrator") opt.privilege = ipmikit::cmd::privilege::administrator;
      else return usage_error("--privilege needs user, operator or administrator");
    } else if (arg == "--duration") {
      const auto v = value();
      if (!v || !parse_double(*v, opt.duration) || opt.duration <= 0) return usage_error("--duration needs seconds > 0");
    } else if (arg == "--warmup") {
      const auto v = value();
      if (!v || !parse_double(*v, opt.warmup)) return usage_error("--warmup needs seconds");
    } else if (arg == "--timeout") {
      const auto v = value();
      if (!v || !parse_double(*v, opt.timeout) || opt.timeout <= 0) return usage_error("--timeout needs seconds > 0");
    } else if (arg == "--retries") {
      const auto v = value();
      if (!v || !parse_uint(*v, opt.retries) || opt.retries > 100) return usage_error("--retries needs a count up to 100");
    } else if (arg == "--login-timeout") {
      const auto v = value();
      if (!v || !parse_double(*v, opt.login_timeout) || opt.login_timeout <= 0)
        return usage_error("--login-timeout needs seconds > 0");
    } else if (arg == "--request") {
      const auto v = value();
      const auto body = v ? ipmikit_apps::parse_request(*v, 2 + 32) : std::nullopt;
      if (!body) return usage_error("--request needs NETFN:CMD[:HEX] (hex, even NETFN, at most 32 data bytes)");
      opt.request = *body;
    } else if (arg == "--server-pid") {
      const auto v = value();
      if (!v || !parse_uint(*v, opt.server_pid) || opt.server_pid <= 0) return usage_error("--server-pid needs a PID");
    } else {
      return usage_error("unknown option '" + std::string(arg) + "'");
    }
  }
  if (!have_lan) return usage_error("no --lan address");
  if (opt.port == 0 && opt.ports_base == 0) return usage_error("--lan needs a PORT (or give --ports BASE)");
  if (!opt.have_password) return usage_error("no --password");
  const std::size_t vms = opt.vms == 0 ? opt.sessions : opt.vms;
  if (opt.ports_base != 0 && opt.ports_base + vms - 1 > 65535) return usage_error("--ports: BASE + VMS - 1 is past 65535");
  if (user_for(opt.user_format, vms - 1).size() > 16)
    return usage_error("--user-format: '" + user_for(opt.user_format, vms - 1) + "' is longer than 16 bytes");
  ::signal(SIGPIPE, SIG_IGN);
  static load l(opt);  // static: a large object (buffers, histograms)
  return l.run();
}
