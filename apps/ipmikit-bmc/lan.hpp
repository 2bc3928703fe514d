// apps/ipmikit-bmc/lan.hpp — IPMI over LAN for every VM: the UDP sockets (each VM's own
// `lan` address, and the shared [bmc] `lan` address where the user name picks the VM), one
// lan::server for all of them (one session table, one failure throttle), and the handler that
// routes a login to a VM's users and a session's requests to that VM's BMC core
// (vm_bmc::lan_request). The server (main.cpp) watches the sockets in its epoll loop and calls
// readable() and poll().
//
// Serial over LAN: a VM with a serial console (serial.hpp) has one SOL instance; a session of
// that VM with at least SOL parameter 2's privilege activates it (ipmitool sol activate), its
// SOL packets go to the console, and pump_sol() sends what the console has for it.
//
// Routing (docs/ipmikit-bmc.md, "IPMI over LAN"):
//   - on a VM's own address, a user name is that VM's user;
//   - on the shared address, "USER@VM" is user USER of VM VM (split at the last '@'), and a
//     bare "VM" is the VM's first user that may log in (for tools with one name field, such as
//     Ironic's ipmi_username). The RMCP+ name field holds 16 bytes: USER@VM must fit.
//   - session-less discovery (Get Channel Authentication Capabilities, Get Channel Cipher
//     Suites) is answered by the VM of the address, and on the shared one by the first VM.
#pragma once

#include <ipmikit/lan/openssl.hpp>
#include <ipmikit/lan/server.hpp>

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstring>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "bmc.hpp"
#include "config.hpp"
#include "log.hpp"
#include "serial.hpp"

namespace ipmikit_bmc {

namespace lan = ipmikit::lan;

/// The most sessions open at once, over every VM (a session is about 260 bytes).
constexpr std::size_t lan_max_sessions = 2048;
/// Datagrams read from one socket per loop turn (the others get their turn).
constexpr std::size_t lan_reads_per_turn = 64;
/// The receive buffer asked for on each LAN socket: a burst of datagrams from many consoles
/// (1,000 sessions each with a request outstanding) must wait there, not be dropped; the default
/// (net.core.rmem_default, 208 KiB) holds about 300 small datagrams. The kernel caps the request
/// at net.core.rmem_max.
constexpr int lan_receive_buffer = 4 << 20;
/// How often idle sessions are looked for (their timeout is whole seconds).
constexpr auto lan_poll_interval = std::chrono::seconds(1);

using lan_server = lan::server<lan::openssl_crypto, lan_max_sessions, clock_type>;

/// Counters for `status` and the tests.
struct lan_stats {
  std::uint64_t received = 0;
  std::uint64_t answered = 0;
  std::uint64_t send_failed = 0;  // the reply could not be sent (the socket's buffer full): the client retries
  std::uint64_t sol_sent = 0;     // SOL packets with serial output sent
};

class lan_side {
 public:
  /// One UDP socket: the shared address (vm empty) or a VM's own.
  struct udp_socket {
    int fd = -1;
    std::optional<std::size_t> vm;
    listen_address where;
  };

  lan_side(const config& cfg, const std::vector<vm_bmc*>& vms)
      : cfg_(cfg), vms_(vms) {
    for (std::size_t i = 0; i < vms.size(); ++i) by_name_.emplace(cfg.vms[i].name, i);
    sessions_per_vm_.assign(vms.size(), 0);
    if (cfg.lan) sockets_.push_back({-1, std::nullopt, *cfg.lan});
    for (std::size_t i = 0; i < cfg.vms.size(); ++i)
      if (cfg.vms[i].lan) sockets_.push_back({-1, i, *cfg.vms[i].lan});
    // The session table (about half a MiB) only when something serves the LAN.
    if (!sockets_.empty()) server_ = std::make_unique<lan_server>(lan::openssl_crypto{}, server_config(cfg));
    failure_log_.burst = 20;  // authentication failures: 20 lines at once, then one a second
    failure_log_.per_second = 1;
    failure_log_.tokens = failure_log_.burst;
  }
  lan_side(const lan_side&) = delete;
  lan_side& operator=(const lan_side&) = delete;
  ~lan_side() {
    for (const udp_socket& s : sockets_)
      if (s.fd >= 0) ::close(s.fd);
  }

  [[nodiscard]] bool enabled() const { return !sockets_.empty(); }
  [[nodiscard]] const std::vector<udp_socket>& sockets() const { return sockets_; }
  /// The session table; only when enabled().
  [[nodiscard]] const lan_server& server() const { return *server_; }
  [[nodiscard]] const lan_stats& stats() const { return stats_; }

  /// Binds every socket; an error's text on the first that fails.
  std::optional<std::string> open() {
    for (udp_socket& s : sockets_) {
      std::string why;
      s.fd = bind_udp(s.where, why);
      if (s.fd < 0) return "cannot listen on UDP " + s.where.text() + " (lan): " + why;
      if (s.vm) log_event(cfg_.vms[*s.vm].name, "event=lan_listening address=%s", quoted(s.where.text()).c_str());
      else log_event({}, "event=lan_listening address=%s shared=yes", quoted(s.where.text()).c_str());
    }
    return std::nullopt;
  }

  /// Reads and answers what waits on socket `index` (at most lan_reads_per_turn datagrams).
  void readable(std::size_t index, time_point now) {
    const udp_socket& s = sockets_[index];
    now_ = now;
    std::array<std::uint8_t, lan::max_packet_size + 1> in{};
    std::array<std::uint8_t, lan::max_packet_size> out{};
    for (std::size_t k = 0; k < lan_reads_per_turn; ++k) {
      sockaddr_storage from{};
      socklen_t len = sizeof from;
      const ssize_t n = ::recvfrom(s.fd, in.data(), in.size(), MSG_DONTWAIT, reinterpret_cast<sockaddr*>(&from), &len);
      if (n < 0) return;  // EAGAIN: drained (other errors on UDP, e.g. ICMP refusals, are not ours to act on)
      ++stats_.received;
      if (static_cast<std::size_t>(n) > lan::max_packet_size) continue;  // larger than any IPMI packet
      handler h{*this, index};
      const std::size_t size =
          server_->receive(std::span<const std::uint8_t>(in.data(), static_cast<std::size_t>(n)), endpoint_of(from),
                           static_cast<std::uint32_t>(index), now, h, out);
      if (size != 0) {
        if (::sendto(s.fd, out.data(), size, MSG_DONTWAIT, reinterpret_cast<const sockaddr*>(&from), len) < 0)
          ++stats_.send_failed;
        else
          ++stats_.answered;
      }
      // An ACK may have made room, typed characters may be waiting for the VM.
      for (const std::size_t vm : sol_touched_) {  // cleared, not moved out: no allocation per datagram
        pump_sol(vm, now);
        touched_serial_.push_back(vm);
      }
      sol_touched_.clear();
    }
  }

  /// The VMs whose serial console may have characters to write or a new deadline, since
  /// clear_touched_serial().
  [[nodiscard]] const std::vector<std::size_t>& touched_serial() const { return touched_serial_; }
  void clear_touched_serial() { touched_serial_.clear(); }

  /// The VMs' serial consoles (index: the VM; null: none), for SOL.
  void attach_serial(std::vector<std::unique_ptr<serial_console>>* consoles) { serial_ = consoles; }

  /// Sends what VM `vm`'s SOL instance has due at `now` (a new packet or a retry).
  void pump_sol(std::size_t vm, time_point now) {
    serial_console* c = console(vm);
    if (c == nullptr || c->sol() == nullptr || !server_) return;
    std::array<std::uint8_t, lan::sol_max_payload> payload{};
    std::array<std::uint8_t, lan::max_packet_size> out{};
    for (int k = 0; k < 2; ++k) {  // at most one packet is in flight: a retry or a give-up, then a new one
      const std::size_t n = c->sol()->poll(now, payload);
      if (n == 0) return;
      const lan::outbound o = server_->encode_sol(c->sol_session(), std::span(payload).first(n), out);
      if (o.size == 0 || o.local >= sockets_.size()) return;
      sockaddr_storage to{};
      const socklen_t len = sockaddr_of(o.to, to);
      if (::sendto(sockets_[o.local].fd, out.data(), o.size, MSG_DONTWAIT, reinterpret_cast<const sockaddr*>(&to), len) < 0)
        ++stats_.send_failed;  // the retry timer sends it again
      else
        ++stats_.sol_sent;
    }
  }

  /// Closes idle sessions; call when next_poll() is due.
  void poll(time_point now) {
    now_ = now;
    handler h{*this, 0};
    server_->poll(now, h);
    next_poll_ = now + lan_poll_interval;
  }
  [[nodiscard]] std::optional<time_point> next_poll() const {
    if (!enabled()) return std::nullopt;
    return next_poll_;
  }

  /// The VMs a LAN request went to since the last call (their connection may have output to
  /// flush: a power command, attention).
  std::vector<std::size_t> take_touched() { return std::exchange(touched_, {}); }

  /// The login a name selects on socket `index`, or nothing (unknown, or may not log in): the
  /// routing rules above.
  [[nodiscard]] std::optional<lan::login> find_login(std::string_view name, std::uint32_t index) const {
    const udp_socket& s = sockets_[index];
    std::size_t vm = 0;
    std::string_view user = name;
    bool first_user = false;
    if (s.vm) {
      vm = *s.vm;
    } else {
      const std::size_t at = name.rfind('@');
      const std::string_view vm_name = at == std::string_view::npos ? name : name.substr(at + 1);
      const auto it = by_name_.find(std::string(vm_name));
      if (it == by_name_.end()) return std::nullopt;
      vm = it->second;
      first_user = at == std::string_view::npos;
      user = at == std::string_view::npos ? std::string_view{} : name.substr(0, at);
    }
    const ipmikit::bmc::users& u = vms_[vm]->users();
    std::optional<std::uint8_t> id;
    if (first_user) {
      for (std::uint8_t i = 2; i <= ipmikit::bmc::users::max_users && !id; ++i)
        if (u.can_log_in(i)) id = i;
    } else if (!user.empty()) {
      id = u.find_user(user);
    }
    if (!id || !u.can_log_in(*id)) return std::nullopt;
    return lan::login{static_cast<std::uint32_t>(vm), *id, u.login_limit(*id), u.password_key(*id)};
  }


 private:
  /// The lan::server_handler: routes by socket and user name.
  struct handler {
    lan_side& side;
    std::size_t socket;

    std::optional<lan::login> lookup(std::span<const std::uint8_t> name, std::uint32_t local) {
      return side.find_login(std::string_view(reinterpret_cast<const char*>(name.data()), name.size()), local);
    }
    std::array<std::uint8_t, 16> guid(std::uint32_t local) {
      const auto& s = side.sockets_[local];
      return s.vm ? side.vms_[*s.vm]->components().ids.device() : std::array<std::uint8_t, 16>{};
    }
    ipmikit::bmc::dispatch_result dispatch(std::uint32_t target, ipmikit::bmc::origin o,
                                           std::span<const std::uint8_t> in, std::span<std::uint8_t> out) {
      side.touched_.push_back(target);
      return side.vms_[target]->lan_request(o, in, out, side.now_);
    }
    ipmikit::bmc::dispatch_result dispatch_sessionless(std::uint32_t local, ipmikit::bmc::origin o,
                                                       std::span<const std::uint8_t> in, std::span<std::uint8_t> out) {
      const auto& s = side.sockets_[local];
      side.touched_.push_back(s.vm.value_or(0));
      return side.vms_[s.vm.value_or(0)]->lan_request(o, in, out, side.now_);
    }
    void on_event(const lan::server_event& e) {
      if (e.kind == lan::event_kind::sol_activated || e.kind == lan::event_kind::sol_deactivated)
        side.sol_changed(e);
      side.log(e);
    }
    /// SOL may be activated when the VM has a serial console, SOL is enabled (parameter 1) and
    /// the session has parameter 2's privilege; the console is told this socket's port.
    lan::sol_grant sol_activation(std::uint32_t target, ipmikit::bmc::origin o) {
      const auto& params = side.vms_[target]->users().sol_parameters();
      const auto& enable = params.get<ipmikit::cmd::sol::enable>();
      const auto& auth = params.get<ipmikit::cmd::sol::authentication>();
      if (side.console(target) == nullptr || !enable.enabled) return {lan::payload_disabled, 0};
      if (static_cast<std::uint8_t>(o.level) < static_cast<std::uint8_t>(auth.min_privilege))
        return {ipmikit::completion_code::insufficient_privilege, 0};
      return {ipmikit::completion_code::success, side.sockets_[socket].where.port};
    }
    std::size_t sol_payload(std::uint32_t target, std::span<const std::uint8_t> payload, time_point now,
                            std::span<std::uint8_t> reply) {
      serial_console* c = side.console(target);
      if (c == nullptr || c->sol() == nullptr) return 0;
      side.sol_touched_.push_back(target);
      return c->sol()->receive(payload, now, *c, reply);
    }
  };

  [[nodiscard]] serial_console* console(std::size_t vm) const {
    return serial_ != nullptr && vm < serial_->size() ? (*serial_)[vm].get() : nullptr;
  }

  void sol_changed(const lan::server_event& e) {
    serial_console* c = console(e.target);
    if (c == nullptr) return;
    if (e.kind == lan::event_kind::sol_deactivated) {
      c->deactivate();
      return;
    }
    const auto& params = vms_[e.target]->users().sol_parameters();
    c->activate(now_,
                lan::sol_settings_from<clock_type::duration>(params.get<ipmikit::cmd::sol::character_accumulate>(),
                                                             params.get<ipmikit::cmd::sol::retry>()),
                e.session_id);
    sol_touched_.push_back(e.target);  // the history goes out at once
  }

  static lan_server::config server_config(const config& cfg) {
    lan_server::config c;
    c.channel = ipmikit::bmc::default_lan_channel;
    c.session_timeout = std::chrono::seconds(cfg.lan_session_timeout_s);
    c.failure_burst = static_cast<std::uint8_t>(cfg.lan_auth_failures);
    c.failure_refill = std::chrono::seconds(cfg.lan_auth_refill_s);
    return c;
  }

  void log(const lan::server_event& e) {
    const char* what = nullptr;
    switch (e.kind) {
      case lan::event_kind::session_opened: what = "lan_session_opened"; break;
      case lan::event_kind::session_closed: what = "lan_session_closed"; break;
      case lan::event_kind::session_timed_out: what = "lan_session_timed_out"; break;
      case lan::event_kind::auth_failed: what = "lan_auth_failed"; break;
      case lan::event_kind::throttled: what = "lan_throttled"; break;
      case lan::event_kind::session_evicted: what = "lan_session_evicted"; break;
      case lan::event_kind::sol_activated: what = "sol_activated"; break;
      case lan::event_kind::sol_deactivated: what = "sol_deactivated"; break;
    }
    const bool sol = e.kind == lan::event_kind::sol_activated || e.kind == lan::event_kind::sol_deactivated;
    const bool session = sol || e.kind == lan::event_kind::session_opened || e.kind == lan::event_kind::session_closed ||
                         e.kind == lan::event_kind::session_timed_out;
    if (session && !sol) {  // Get Channel Info's count of the VM's sessions
      std::size_t& n = sessions_per_vm_[e.target];
      n = e.kind == lan::event_kind::session_opened ? n + 1 : (n == 0 ? 0 : n - 1);
      vms_[e.target]->set_lan_sessions(n);
    }
    // Failures are what a guesser makes many of: a budget, then a count.
    if (!session && !failure_log_.take(now_)) {
      ++failures_unlogged_;
      return;
    }
    const std::string vm = e.target < vms_.size() && (session || e.known_user) ? cfg_.vms[e.target].name : std::string("-");
    char extra[64] = "";
    if (failures_unlogged_ != 0 && !session) {
      std::snprintf(extra, sizeof extra, " suppressed=%llu", static_cast<unsigned long long>(failures_unlogged_));
      failures_unlogged_ = 0;
    }
    // The user name only when it is a user's: an unknown name may be a password typed in the wrong field.
    log_event(vm, "event=%s user=%s source=%s suite=%u privilege=%s max=%s session=0x%08X%s%s%s", what,
              e.known_user ? quoted(e.user_name()).c_str() : "(unknown)", endpoint_text(e.from).c_str(),
              static_cast<unsigned>(e.suite), std::string(ipmikit::cmd::name(e.privilege)).c_str(),
              std::string(ipmikit::cmd::name(e.max_privilege)).c_str(),
              static_cast<unsigned>(e.session_id), e.failure != lan::auth_failure::none ? " reason=" : "",
              e.failure != lan::auth_failure::none ? std::string(lan::name(e.failure)).c_str() : "", extra);
  }

  static lan::endpoint endpoint_of(const sockaddr_storage& a) {
    lan::endpoint e;
    if (a.ss_family == AF_INET) {
      const auto& v4 = reinterpret_cast<const sockaddr_in&>(a);
      e.address[10] = e.address[11] = 0xFF;
      std::memcpy(&e.address[12], &v4.sin_addr, 4);
      e.port = ntohs(v4.sin_port);
    } else if (a.ss_family == AF_INET6) {
      const auto& v6 = reinterpret_cast<const sockaddr_in6&>(a);
      std::memcpy(e.address.data(), &v6.sin6_addr, 16);
      e.port = ntohs(v6.sin6_port);
    }
    return e;
  }

  /// The socket address of `e` (an IPv4-mapped address as sockaddr_in, for IPv4 sockets).
  static socklen_t sockaddr_of(const lan::endpoint& e, sockaddr_storage& out) {
    if (v4_mapped(e)) {
      auto& a = reinterpret_cast<sockaddr_in&>(out);
      a.sin_family = AF_INET;
      a.sin_port = htons(e.port);
      std::memcpy(&a.sin_addr, &e.address[12], 4);
      return sizeof(sockaddr_in);
    }
    auto& a = reinterpret_cast<sockaddr_in6&>(out);
    a.sin6_family = AF_INET6;
    a.sin6_port = htons(e.port);
    std::memcpy(&a.sin6_addr, e.address.data(), 16);
    return sizeof(sockaddr_in6);
  }

  /// An IPv4 address as endpoint_of() stores it (::ffff:a.b.c.d).
  static bool v4_mapped(const lan::endpoint& e) {
    return std::all_of(e.address.begin(), e.address.begin() + 10, [](std::uint8_t b) { return b == 0; }) &&
           e.address[10] == 0xFF && e.address[11] == 0xFF;
  }

  static std::string endpoint_text(const lan::endpoint& e) {
    char host[INET6_ADDRSTRLEN] = "?";
    const bool v4 = v4_mapped(e);
    ::inet_ntop(v4 ? AF_INET : AF_INET6, v4 ? &e.address[12] : e.address.data(), host, sizeof host);
    char text[INET6_ADDRSTRLEN + 16];
    std::snprintf(text, sizeof text, v4 ? "%s:%u" : "[%s]:%u", host, static_cast<unsigned>(e.port));
    return text;
  }

  static int bind_udp(const listen_address& where, std::string& why) {
    addrinfo hints{};
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_DGRAM;
    hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
    addrinfo* found = nullptr;
    const std::string port = std::to_string(where.port);
    if (const int rc = ::getaddrinfo(where.host.c_str(), port.c_str(), &hints, &found); rc != 0) {
      why = std::string("cannot resolve '") + where.host + "': " + ::gai_strerror(rc);
      return -1;
    }
    const int fd = ::socket(found->ai_family, found->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, found->ai_protocol);
    const bool ok = fd >= 0 && ::bind(fd, found->ai_addr, found->ai_addrlen) == 0;
    if (ok) {  // best effort: a smaller buffer only means more retransmissions under a burst
      const int size = lan_receive_buffer;
      (void)::setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof size);
    }
    if (!ok) why = std::strerror(errno);
    ::freeaddrinfo(found);
    if (!ok) {
      if (fd >= 0) ::close(fd);
      return -1;
    }
    return fd;
  }

  const config& cfg_;
  const std::vector<vm_bmc*>& vms_;
  std::unique_ptr<lan_server> server_;
  std::vector<udp_socket> sockets_;
  std::unordered_map<std::string, std::size_t> by_name_;
  std::vector<std::size_t> touched_;
  std::vector<std::unique_ptr<serial_console>>* serial_ = nullptr;
  std::vector<std::size_t> sol_touched_;     // SOL instances to pump after this datagram
  std::vector<std::size_t> touched_serial_;  // consoles that may have characters for their VM
  std::vector<std::size_t> sessions_per_vm_;  // active sessions, from the events (no table scan)
  time_point now_{};
  time_point next_poll_{};
  lan_stats stats_;
  log_bucket failure_log_;
  std::uint64_t failures_unlogged_ = 0;
};

}  // namespace ipmikit_bmc
