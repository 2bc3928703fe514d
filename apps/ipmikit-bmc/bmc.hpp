// apps/ipmikit-bmc/bmc.hpp — one VM's BMC: the IPMI commands, the watchdog, the message
// flags and event message buffer, the power state, on top of a vm::bmc_session. No sockets
// here: the server (main.cpp) feeds bytes and time in and drains the session's outbound bytes,
// and the unit tests (tests/bmc_fleet_test.cpp) drive it with an emulator session in memory.
//
// Every behaviour is documented in docs/ipmikit-bmc.md ("What it answers", "The watchdog").
#pragma once

#include <ipmikit/ipmikit.hpp>

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "config.hpp"
#include "log.hpp"

namespace ipmikit_bmc {

namespace vm = ipmikit::vm;
using ipmikit::completion_code;
namespace commands = ipmikit::commands;
using tenths = std::chrono::duration<long long, std::deci>;  // the watchdog counts 100 ms

// ---------------------------------------------------------------------------------------------
// IPMI v2.0 numbers this BMC uses.

// The commands it answers are ipmikit::commands:: constants (message.hpp, IPMI v2.0 Appendix G).

// BMC Global Enables (§22.1).
constexpr std::uint8_t enable_receive_message_interrupt = 0x01;
constexpr std::uint8_t enable_event_buffer_full_interrupt = 0x02;
constexpr std::uint8_t enable_event_message_buffer = 0x04;
constexpr std::uint8_t global_enables_reserved = 0x10;
// Message flags (§22.4). Only these two can be set here (no receive queue, no OEM flags).
constexpr std::uint8_t flag_event_buffer_full = 0x02;
constexpr std::uint8_t flag_watchdog_pretimeout = 0x08;
// Command-specific completion codes.
constexpr auto cc_watchdog_not_initialized = static_cast<completion_code>(0x80);  // §27.5
constexpr auto cc_event_buffer_empty = static_cast<completion_code>(0x80);        // §22.8 "data not available"
// The Watchdog 2 sensor (IPMI v2.0 §42.2 table 42-3, sensor type 23h) and its event offsets.
constexpr std::uint8_t sensor_type_watchdog2 = 0x23;
constexpr std::uint8_t watchdog_sensor_number = 0x01;  // this BMC's only sensor
constexpr std::uint8_t watchdog2_timer_interrupt = 0x08;
constexpr std::uint8_t bmc_slave_address = 0x20;  // §5.5: the BMC's IPMB address, generator id

constexpr std::string_view use_key(unsigned use) {  // log values, stable for scripts
  constexpr std::string_view names[] = {"reserved", "bios_frb2", "bios_post", "os_load", "sms_os", "oem"};
  return use < std::size(names) ? names[use] : "reserved";
}
/// The same words as the configuration's watchdog_action.
constexpr std::string_view action_key(timeout_action a) {
  switch (a) {
    case timeout_action::none: return "none";
    case timeout_action::hard_reset: return "reset";
    case timeout_action::power_down: return "power_off";
    case timeout_action::power_cycle: return "power_cycle";
  }
  return "reserved";
}
constexpr std::string_view pretimeout_key(pretimeout_interrupt p) {
  switch (p) {
    case pretimeout_interrupt::none: return "none";
    case pretimeout_interrupt::smi: return "smi";
    case pretimeout_interrupt::nmi: return "nmi";
    case pretimeout_interrupt::messaging: return "messaging";
  }
  return "reserved";
}

// ---------------------------------------------------------------------------------------------
// Types

/// What the BMC can do to the VM: each is one VM command gated by a capability.
enum class power_action : std::uint8_t { none, power_off, reset, nmi, soft_shutdown };

constexpr std::string_view name(power_action a) {
  switch (a) {
    case power_action::none: return "none";
    case power_action::power_off: return "power_off";
    case power_action::reset: return "reset";
    case power_action::nmi: return "nmi";
    case power_action::soft_shutdown: return "soft_shutdown";
  }
  return "none";
}
constexpr vm::capability capability_for(power_action a) {
  switch (a) {
    case power_action::reset: return vm::capability::reset;
    case power_action::nmi: return vm::capability::nmi;
    case power_action::soft_shutdown: return vm::capability::graceful_shutdown;
    default: return vm::capability::power;
  }
}

/// What became of a power request (the operator's, the guest's Chassis Control or the
/// watchdog's). At most one VM command is handed to the connection at a time; the others wait
/// in a queue that holds each action at most once, so a burst of identical requests is one
/// command, and the VM's responses never wait behind more than one command (docs/ipmikit-bmc.md,
/// "Power commands").
enum class power_outcome : std::uint8_t {
  sent,            // handed to the VM connection now (written this loop turn unless it is full)
  queued,          // another VM command is ahead of it; it follows 10 ms after that one
  already_queued,  // the same command waits and was not sent yet: not queued twice
  already_off,     // POWEROFF was sent on this connection: not sent again
  not_connected,
  missing_capability,
};

constexpr std::string_view name(power_outcome o) {
  switch (o) {
    case power_outcome::sent: return "sent";
    case power_outcome::queued: return "queued";
    case power_outcome::already_queued: return "already_queued";
    case power_outcome::already_off: return "already_off";
    case power_outcome::not_connected: return "not_connected";
    case power_outcome::missing_capability: return "missing_capability";
  }
  return "?";
}
constexpr bool accepted(power_outcome o) { return o <= power_outcome::already_off; }

/// The watchdog timer (§27). Times are steady_clock points; counts are 100 ms units.
struct watchdog {
  bool initialized = false;        // a Set Watchdog Timer was accepted (or configured defaults)
  std::uint8_t use = 0;            // Set byte 1 without bit 6: bit 7 don't log, bits 2:0 timer use
  std::uint8_t actions = 0;        // bits 6:4 pre-timeout interrupt, bits 2:0 timeout action
  std::uint8_t pretimeout_s = 0;   // pre-timeout interval, seconds
  std::uint8_t expired = 0;        // timer use expiration flags (Get byte 5)
  std::uint16_t initial = 0;       // initial countdown
  std::uint16_t stopped_count = 0; // the present countdown while stopped
  bool running = false;
  bool pretimeout_done = false;    // this countdown's pre-timeout interrupt has fired
  time_point expires{};

  [[nodiscard]] unsigned timer_use() const { return use & 0x07u; }
  [[nodiscard]] bool dont_log() const { return (use & 0x80u) != 0; }
  [[nodiscard]] pretimeout_interrupt pre() const { return static_cast<pretimeout_interrupt>((actions >> 4) & 0x07u); }
  [[nodiscard]] timeout_action action() const { return static_cast<timeout_action>(actions & 0x07u); }
  [[nodiscard]] time_point pretimeout_at() const { return expires - std::chrono::seconds(pretimeout_s); }
  [[nodiscard]] bool pretimeout_pending() const {
    return running && pre() != pretimeout_interrupt::none && !pretimeout_done;
  }
  void start(time_point now) {
    running = true;
    pretimeout_done = false;
    expires = now + std::chrono::duration_cast<clock_type::duration>(tenths(initial));
  }
  void stop(time_point now) {
    stopped_count = present(now);
    running = false;
  }
  /// The present countdown, rounded up: it reads the initial value right after a reset.
  [[nodiscard]] std::uint16_t present(time_point now) const {
    if (!running) return stopped_count;
    if (now >= expires) return 0;
    const long long left = std::chrono::ceil<tenths>(expires - now).count();
    return static_cast<std::uint16_t>(std::min<long long>(left, 0xFFFF));
  }
  [[nodiscard]] std::optional<time_point> next_deadline() const {
    if (!running) return std::nullopt;
    return pretimeout_pending() ? std::min(pretimeout_at(), expires) : expires;
  }
};

/// A response's completion code and data (at most the 16 bytes of Read Event Message Buffer).
constexpr std::size_t max_reply_data = 16;
struct reply {
  completion_code cc = completion_code::success;
  std::array<std::uint8_t, max_reply_data> data{};
  std::size_t size = 0;

  reply() = default;
  explicit reply(completion_code c) : cc(c) {}
  reply& add(std::uint8_t b) {
    if (size < data.size()) data[size++] = b;
    return *this;
  }
};

/// Counters for `status` on the control socket.
struct vm_stats {
  std::uint64_t connections = 0;
  std::uint64_t requests = 0;
  std::uint64_t unsupported = 0;       // answered C1
  std::uint64_t watchdog_expiries = 0;
  std::uint64_t pretimeouts = 0;
  std::uint64_t power_actions = 0;     // VM commands sent: power off, reset, NMI, soft shutdown
  std::uint64_t power_coalesced = 0;   // power requests answered already_queued / already_off
  std::uint64_t protocol_problems = 0;
  std::uint64_t dropped_responses = 0; // the peer floods and does not read: answers it missed
};

// ---------------------------------------------------------------------------------------------
// The BMC of one VM

class vm_bmc {
 public:
  using session_type = vm::session<vm::role::bmc, clock_type>;

  explicit vm_bmc(const vm_config& cfg) : cfg_(&cfg) {
    if (cfg.watchdog.timeout) {  // configured defaults: as if set with timer use SMS/OS
      wd_.initialized = true;
      wd_.use = 0x04;
      wd_.actions = static_cast<std::uint8_t>((static_cast<unsigned>(cfg.watchdog.pretimeout) << 4) |
                                              static_cast<unsigned>(cfg.watchdog.action));
      wd_.pretimeout_s = cfg.watchdog.pretimeout_seconds;
      wd_.initial = wd_.stopped_count = *cfg.watchdog.timeout;
    }
  }
  vm_bmc(const vm_bmc&) = delete;
  vm_bmc& operator=(const vm_bmc&) = delete;

  [[nodiscard]] const std::string& name() const { return cfg_->name; }
  [[nodiscard]] const vm_config& config() const { return *cfg_; }
  [[nodiscard]] session_type& session() { return session_; }
  [[nodiscard]] const session_type& session() const { return session_; }
  [[nodiscard]] const vm_stats& stats() const { return stats_; }
  [[nodiscard]] const watchdog& timer() const { return wd_; }
  [[nodiscard]] bool connected() const { return session_.connected(); }
  /// Power as this BMC knows it: on while the VM is connected, off once it sent POWEROFF.
  [[nodiscard]] bool power_on() const { return session_.connected() && !powered_off_; }
  [[nodiscard]] std::uint8_t message_flags() const { return message_flags_; }
  [[nodiscard]] bool verbose() const { return verbose_; }
  void set_verbose(bool v) { verbose_ = v; }

  // --- connection and bytes (called by the server) -------------------------------------------

  void connected(time_point now, std::string_view peer) {
    now_ = now;
    attention_ = false;
    powered_off_ = false;
    problems_logged_ = 0;
    connect_offset_ = bytes_in_;
    ++stats_.connections;
    if (admit(log_kind::chatter)) log_event(name(), "event=connected peer=%s", quoted(peer).c_str());
    session_.connect(now, events{*this, now});  // queues VERSION 1
    if (cfg_->watchdog.start_on_connect && wd_.initialized && !wd_.running) {
      wd_.start(now);
      if (admit(log_kind::chatter)) log_event(name(), "event=watchdog_started reason=configured %s", describe_watchdog().c_str());
    }
  }

  void disconnected(time_point now, std::string_view why) {
    now_ = now;
    if (admit(log_kind::chatter)) log_event(name(), "event=disconnected reason=%s", quoted(why).c_str());
    session_.disconnect(now, events{*this, now});
    attention_ = false;
    powered_off_ = false;
    // Power requests still waiting were answered "queued": say that they were not sent.
    if (in_flight_ != power_action::none && admit(log_kind::action))
      log_event(name(), "event=power action=%s reason=%s result=not_sent note=\"disconnected before it was written\"",
                std::string(ipmikit_bmc::name(in_flight_)).c_str(), in_flight_reason_);
    for (std::size_t k = 0; k < queued_count_; ++k)
      if (admit(log_kind::action))
        log_event(name(), "event=power action=%s reason=%s result=not_sent note=\"disconnected while queued\"",
                  std::string(ipmikit_bmc::name(queue_[k].action)).c_str(), queue_[k].reason);
    queued_count_ = 0;
    in_flight_ = power_action::none;
    in_flight_unsent_ = 0;
    // The timeout action could not reach the VM, and must not hit a VM that connects later.
    // The settings stay: the guest's next Reset Watchdog Timer starts it again.
    if (wd_.running) {
      wd_.stop(now);
      if (admit(log_kind::chatter)) log_event(name(), "event=watchdog_stopped reason=disconnected");
    }
  }

  void receive(std::span<const std::uint8_t> bytes, time_point now) {
    now_ = now;
    bytes_in_ += bytes.size();
    session_.receive(bytes, now, events{*this, now});
  }

  /// `n` bytes of session().outbound() were written to the VM (use this, not
  /// session().consume(): it tells when the power command in flight has gone out, so that the
  /// next queued one can follow).
  void consumed(std::size_t n, time_point now) {
    now_ = now;
    session_.consume(n, now);
    if (in_flight_ == power_action::none) return;
    in_flight_unsent_ -= std::min(n, in_flight_unsent_);
    if (in_flight_unsent_ == 0) in_flight_ = power_action::none;
    release_power();
  }

  /// Ends a command gap that is over, fires watchdog events that are due, reports suppressed
  /// log lines that are due.
  void poll(time_point now) {
    now_ = now;
    session_.poll(now, events{*this, now});
    release_power();
    if (wd_.pretimeout_pending() && now >= wd_.pretimeout_at()) fire_pretimeout(now);
    if (wd_.running && now >= wd_.expires) expire(now);
    if (const auto due = limiter_.report_due(); due && now >= *due) report_suppressed();
  }

  /// True when poll(now) would fire the watchdog's pre-timeout or expiry: the server reads what
  /// the VM has sent before that (a pet waiting in the socket must count; docs "Under stress").
  [[nodiscard]] bool watchdog_due(time_point now) const {
    if (!wd_.running) return false;
    return now >= wd_.expires || (wd_.pretimeout_pending() && now >= wd_.pretimeout_at());
  }

  [[nodiscard]] std::optional<time_point> next_deadline() const {
    auto due = session_.next_deadline();
    auto sooner = [&due](std::optional<time_point> t) {
      if (t && (!due || *t < *due)) due = t;
    };
    sooner(wd_.next_deadline());
    sooner(limiter_.report_due());
    return due;
  }

  /// The log budget of this VM (log.hpp): true if a line of kind `k` may be logged now. A line
  /// admitted after some were suppressed is preceded by `event=log_suppressed lines=N`.
  bool admit(log_kind k) {
    if (!limiter_.admit(k, now_)) return false;
    report_suppressed();
    return true;
  }
  [[nodiscard]] const log_limiter& log_budget() const { return limiter_; }
  /// Power commands handed to the connection and not written yet, plus those queued (≤ 4).
  [[nodiscard]] std::size_t power_pending() const { return queued_count_ + (in_flight_ != power_action::none ? 1u : 0u); }
  /// Logs how many lines were suppressed since the last report, if any.
  void report_suppressed() {
    if (const std::uint64_t n = limiter_.take_report())
      log_event(name(), "event=log_suppressed lines=%llu", static_cast<unsigned long long>(n));
  }

  // --- power requests (the control socket, Chassis Control, the watchdog) ---------------------

  /// Asks for the VM command of `a` (see power_outcome): at most one command is handed to the
  /// connection at a time; identical requests that have not gone out yet are one command.
  power_outcome request_power(power_action a, const char* reason) {
    power_outcome o = power_outcome::queued;
    if (!session_.connected()) {
      o = power_outcome::not_connected;
    } else if (!session_.peer_capabilities().has(capability_for(a))) {
      o = power_outcome::missing_capability;
    } else if (a == power_action::power_off && powered_off_) {
      o = power_outcome::already_off;
    } else if (in_flight_ == a || std::any_of(queue_.begin(), queue_.begin() + static_cast<std::ptrdiff_t>(queued_count_),
                                              [a](const queued_power& q) { return q.action == a; })) {
      o = power_outcome::already_queued;
    } else {
      queue_[queued_count_++] = {a, reason};  // room: one entry per action, each at most once
      release_power();
      if (in_flight_ == a) o = power_outcome::sent;
    }
    if (o == power_outcome::already_queued || o == power_outcome::already_off) ++stats_.power_coalesced;
    if (admit(log_kind::action))
      log_event(name(), "event=power action=%s reason=%s result=%s", std::string(ipmikit_bmc::name(a)).c_str(), reason,
                std::string(ipmikit_bmc::name(o)).c_str());
    return o;
  }

  /// The operator's power command. Returns the answer's text after "ok " or "error ".
  power_outcome operator_action(power_action a, std::string& why) {
    const power_outcome o = request_power(a, "control");
    if (o == power_outcome::not_connected) why = "VM not connected";
    if (o == power_outcome::missing_capability)
      why = "the VM does not support " + std::string(ipmikit_bmc::name(a)) + " (capabilities 0x" +
            hex2(session_.peer_capabilities().to_byte()) + ")";
    return o;
  }

  /// `key=value` lines for `status NAME`.
  [[nodiscard]] std::string status(time_point now) const {
    const auto caps = session_.peer_capabilities();
    const unsigned present = wd_.present(now);
    // "no (RESET missing)" when a connected VM cannot carry out the armed watchdog's action.
    const auto missing = connected() ? watchdog_missing() : std::nullopt;
    const std::string enforceable =
        !wd_.initialized || !missing ? std::string("yes") : "no (" + std::string(vm::name(*missing)) + " missing)";
    char buf[1024];
    std::snprintf(buf, sizeof buf,
                  "name=%s\nlisten=%s\nconnected=%s\npower=%s\ncapabilities=0x%02X\n"
                  "watchdog_initialized=%s\nwatchdog_running=%s\nwatchdog_use=%s\nwatchdog_action=%s\n"
                  "watchdog_pretimeout=%s\nwatchdog_pretimeout_seconds=%u\nwatchdog_initial_ms=%u\n"
                  "watchdog_countdown_ms=%u\nwatchdog_expired_flags=0x%02X\nglobal_enables=0x%02X\n"
                  "message_flags=0x%02X\nconnections=%llu\nrequests=%llu\nunsupported=%llu\n"
                  "watchdog_expiries=%llu\npretimeouts=%llu\npower_actions=%llu\nprotocol_problems=%llu\n"
                  "dropped_responses=%llu\nwatchdog_enforceable=%s\npower_pending=%zu\npower_coalesced=%llu\n"
                  "log_suppressed=%llu",
                  name().c_str(), cfg_->listen.text().c_str(), connected() ? "yes" : "no", power_on() ? "on" : "off",
                  caps.to_byte(), wd_.initialized ? "yes" : "no", wd_.running ? "yes" : "no",
                  std::string(use_key(wd_.timer_use())).c_str(), std::string(action_key(wd_.action())).c_str(),
                  std::string(pretimeout_key(wd_.pre())).c_str(), static_cast<unsigned>(wd_.pretimeout_s),
                  static_cast<unsigned>(wd_.initial) * 100u, present * 100u, static_cast<unsigned>(wd_.expired),
                  static_cast<unsigned>(global_enables_), static_cast<unsigned>(message_flags_),
                  ull(stats_.connections), ull(stats_.requests), ull(stats_.unsupported), ull(stats_.watchdog_expiries),
                  ull(stats_.pretimeouts), ull(stats_.power_actions), ull(stats_.protocol_problems),
                  ull(stats_.dropped_responses), enforceable.c_str(), power_pending(),
                  ull(stats_.power_coalesced), ull(limiter_.suppressed_total()));
    return buf;
  }

 private:
  static unsigned long long ull(std::uint64_t v) { return static_cast<unsigned long long>(v); }
  static std::string hex2(unsigned v) {
    char b[4];
    std::snprintf(b, sizeof b, "%02X", v & 0xFFu);
    return b;
  }

  /// The session's event handler for one call: forwards to the BMC with the call's time.
  struct events {
    vm_bmc& b;
    time_point now;
    void operator()(const vm::request_event& r) const { b.on_request(r, now); }
    void operator()(const vm::capabilities_event& c) const { b.on_capabilities(c); }
    void operator()(const vm::version_event& v) const {
      if (v.version != 1 && b.admit(log_kind::chatter)) log_event(b.name(), "event=version_mismatch version=%u", static_cast<unsigned>(v.version));
    }
    void operator()(const vm::hardware_event& h) const {
      // RESET is the only command an emulator sends a BMC: "the machine was reset".
      if (b.admit(log_kind::chatter)) log_event(b.name(), "event=vm_reports command=%s", std::string(vm::name(h.code)).c_str());
    }
    void operator()(const vm::protocol_event& p) const { b.on_problem(p); }
  };

  // --- session events ------------------------------------------------------------------------

  void on_request(const vm::request_event& r, time_point now) {
    ++stats_.requests;
    bool after = false;
    power_action act = power_action::none;
    const reply rep = dispatch(r, now, act, after);
    if (rep.cc == completion_code::invalid_command) ++stats_.unsupported;

    // netfn|1 and the request's LUN, command, completion code, data.
    std::array<std::uint8_t, 3 + max_reply_data> body{};
    body[0] = ipmikit::pack_netfn_lun(ipmikit::response_netfn(r.function()), r.lun());
    body[1] = r.cmd();
    body[2] = static_cast<std::uint8_t>(rep.cc);
    std::copy_n(rep.data.begin(), rep.size, body.begin() + 3);
    if (verbose_ && admit(log_kind::verbose))
      log_event(name(), "event=request id=0x%02X netfn=0x%02X cmd=0x%02X data_len=%zu cc=0x%02X",
                r.msg_id, static_cast<unsigned>(r.function()), r.cmd(), r.data().size(), static_cast<unsigned>(rep.cc));
    const auto e = session_.respond(r.msg_id, std::span<const std::uint8_t>(body.data(), 3 + rep.size));
    if (e != vm::session_error::ok) {
      // Only a peer that sends without reading gets here (the server stops reading a VM whose
      // output is backed up): the request is forgotten, the peer times it out itself.
      (void)session_.discard(r.msg_id);
      if (stats_.dropped_responses++ == 0 && admit(log_kind::chatter))
        log_event(name(), "event=response_dropped reason=%s note=\"peer does not read; further drops counted only\"",
                  std::string(vm::name(e)).c_str());
    }
    if (after) request_power(act, "chassis_control");
  }

  void on_capabilities(const vm::capabilities_event& c) {
    std::string names;
    for (const vm::capability cap : vm::all_capabilities_list) {
      if (!c.caps.has(cap)) continue;
      if (!names.empty()) names += ',';
      names += vm::name(cap);
    }
    if (admit(log_kind::chatter)) log_event(name(), "event=capabilities caps=0x%02X names=%s", c.caps.to_byte(), names.empty() ? "none" : names.c_str());
    // A VM that withdraws what its armed watchdog needs: the watchdog keeps its settings (the
    // guest chose them, and may announce the capability again), but the operator is told now,
    // not at expiry, and `status` shows it until it is fixed.
    if (const auto missing = watchdog_missing(); wd_.initialized && missing && admit(log_kind::action))
      log_event(name(), "event=watchdog_unenforceable action=%s missing=%s running=%s note=%s",
                std::string(action_key(wd_.action())).c_str(), std::string(vm::name(*missing)).c_str(),
                wd_.running ? "yes" : "no", quoted("the VM no longer announces what the watchdog needs").c_str());
    // QEMU drops SMS attention when the connection closes; raise it again if a flag is set.
    update_attention();
  }

  /// The capability the watchdog's timeout action or pre-timeout interrupt needs and the VM
  /// does not announce, if any (checked at Set Watchdog Timer, and when CAPABILITIES changes).
  [[nodiscard]] std::optional<vm::capability> watchdog_missing() const {
    return missing_capability(wd_.pre(), wd_.action(), session_.peer_capabilities());
  }
  static std::optional<vm::capability> missing_capability(pretimeout_interrupt pre, timeout_action action,
                                                          vm::capabilities caps) {
    std::optional<vm::capability> need;
    if (action == timeout_action::hard_reset) need = vm::capability::reset;
    if (action == timeout_action::power_down || action == timeout_action::power_cycle) need = vm::capability::power;
    if (need && !caps.has(*need)) return need;
    if (pre == pretimeout_interrupt::nmi && !caps.has(vm::capability::nmi)) return vm::capability::nmi;
    if (pre == pretimeout_interrupt::messaging && !caps.has(vm::capability::attention)) return vm::capability::attention;
    return std::nullopt;
  }

  void on_problem(const vm::protocol_event& p) {
    ++stats_.protocol_problems;
    // Garbage must not flood the log: the first few per connection, then a count in `status`.
    constexpr unsigned logged_per_connection = 5;
    if (problems_logged_ >= logged_per_connection) return;
    ++problems_logged_;
    if (!admit(log_kind::chatter)) return;
    std::string what(vm::name(p.problem));
    if (p.problem == vm::protocol_problem::malformed_frame) what += ":" + std::string(vm::name(p.decode));
    // The decoder counts over every connection; the log counts from this connection's start.
    log_event(name(), "event=protocol_problem problem=%s offset=%llu%s", what.c_str(),
              static_cast<unsigned long long>(p.offset - std::min(p.offset, connect_offset_)),
              problems_logged_ == logged_per_connection ? " note=\"further problems on this connection counted only\"" : "");
  }

  // --- dispatch ------------------------------------------------------------------------------

  reply dispatch(const vm::request_event& r, time_point now, power_action& act, bool& after) {
    // Every command here belongs to the BMC's LUN 0; other LUNs have no commands at all.
    if (r.lun() != ipmikit::lun::bmc) return reply(completion_code::invalid_command_for_lun);
    const std::span<const std::uint8_t> data = r.data();
    if (r.function() == ipmikit::netfn::app) {
      switch (r.cmd()) {
        case commands::get_device_id.code: return get_device_id(data);
        case commands::get_self_test_results.code: return get_self_test_results(data);
        case commands::reset_watchdog_timer.code: return reset_watchdog_timer(data, now);
        case commands::set_watchdog_timer.code: return set_watchdog_timer(data, now);
        case commands::get_watchdog_timer.code: return get_watchdog_timer(data, now);
        case commands::set_bmc_global_enables.code: return set_global_enables(data);
        case commands::get_bmc_global_enables.code: return get_global_enables(data);
        case commands::clear_message_flags.code: return clear_message_flags(data);
        case commands::get_message_flags.code: return get_message_flags(data);
        case commands::read_event_message_buffer.code: return read_event_message_buffer(data);
        default: break;
      }
    } else if (r.function() == ipmikit::netfn::chassis) {
      switch (r.cmd()) {
        case commands::get_chassis_status.code: return get_chassis_status(data);
        case commands::chassis_control.code: return chassis_control(data, act, after);
        default: break;
      }
    }
    return reply(completion_code::invalid_command);
  }

  static reply length_invalid() { return reply(completion_code::request_data_length_invalid); }

  // --- App: device (§20) ---------------------------------------------------------------------

  reply get_device_id(std::span<const std::uint8_t> data) const {
    if (!data.empty()) return length_invalid();
    const identity& id = cfg_->id;
    const auto bcd = static_cast<std::uint8_t>(((id.firmware_minor / 10u) << 4) | (id.firmware_minor % 10u));
    return reply()
        .add(id.device_id)
        .add(static_cast<std::uint8_t>(id.device_revision & 0x0Fu))  // bit 7 = 0: no device SDRs
        .add(static_cast<std::uint8_t>(id.firmware_major & 0x7Fu))   // bit 7 = 0: device available
        .add(bcd)
        .add(0x02)  // IPMI version 2.0 (BCD, minor digit in the high nibble)
        .add(0x80)  // additional device support: chassis device only
        .add(static_cast<std::uint8_t>(id.manufacturer & 0xFFu))
        .add(static_cast<std::uint8_t>((id.manufacturer >> 8) & 0xFFu))
        .add(static_cast<std::uint8_t>((id.manufacturer >> 16) & 0x0Fu))
        .add(static_cast<std::uint8_t>(id.product & 0xFFu))
        .add(static_cast<std::uint8_t>(id.product >> 8));
  }

  static reply get_self_test_results(std::span<const std::uint8_t> data) {
    if (!data.empty()) return length_invalid();
    return reply().add(0x55).add(0x00);  // 55h: no error; 00h: no failure bits
  }

  // --- App: global enables, message flags, event message buffer (§22) -------------------------

  reply set_global_enables(std::span<const std::uint8_t> data) {
    if (data.size() != 1) return length_invalid();
    if ((data[0] & global_enables_reserved) != 0) return reply(completion_code::invalid_data_field);
    const std::uint8_t before = global_enables_;
    global_enables_ = data[0];
    // The receive message queue interrupt is the VM interface's interrupt: tell QEMU before the
    // response, so the response itself already raises it (as ipmi_sim does).
    const bool irq = (global_enables_ & enable_receive_message_interrupt) != 0;
    if (irq != ((before & enable_receive_message_interrupt) != 0)) {
      const auto e = session_.enable_irq(irq);
      if (admit(log_kind::chatter)) log_event(name(), "event=%s result=%s", irq ? "enable_irq" : "disable_irq", std::string(vm::name(e)).c_str());
    }
    // Disabling the event message buffer empties it (§22.1: the buffer is not used while off).
    if ((global_enables_ & enable_event_message_buffer) == 0 && (message_flags_ & flag_event_buffer_full) != 0) {
      message_flags_ = static_cast<std::uint8_t>(message_flags_ & ~flag_event_buffer_full);
      update_attention();
    }
    return reply();
  }

  reply get_global_enables(std::span<const std::uint8_t> data) const {
    if (!data.empty()) return length_invalid();
    return reply().add(global_enables_);
  }

  reply get_message_flags(std::span<const std::uint8_t> data) const {
    if (!data.empty()) return length_invalid();
    return reply().add(message_flags_);
  }

  reply clear_message_flags(std::span<const std::uint8_t> data) {
    if (data.size() != 1) return length_invalid();
    // Bits for queues this BMC does not have clear nothing; that is not an error.
    message_flags_ = static_cast<std::uint8_t>(message_flags_ & ~data[0]);
    update_attention();  // before the response: the guest sees SMS_ATN clear once it has it
    return reply();
  }

  reply read_event_message_buffer(std::span<const std::uint8_t> data) {
    if (!data.empty()) return length_invalid();
    if ((message_flags_ & flag_event_buffer_full) == 0) return reply(cc_event_buffer_empty);
    reply rep;
    for (const std::uint8_t b : event_) rep.add(b);
    message_flags_ = static_cast<std::uint8_t>(message_flags_ & ~flag_event_buffer_full);
    update_attention();
    return rep;
  }

  /// Puts a Watchdog 2 sensor event (§32.1 SEL record format) in the event message buffer,
  /// when the guest enabled it and the timer's "don't log" bit is clear. A full buffer keeps
  /// its first event (§22.8: the buffer holds one message until it is read).
  void post_watchdog_event(std::uint8_t offset) {
    if (wd_.dont_log() || (global_enables_ & enable_event_message_buffer) == 0) return;
    if ((message_flags_ & flag_event_buffer_full) != 0) return;
    ++record_id_;
    const auto stamp = static_cast<std::uint32_t>(
        std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count());
    event_ = {static_cast<std::uint8_t>(record_id_ & 0xFFu), static_cast<std::uint8_t>(record_id_ >> 8),
              0x02,  // record type: system event record
              static_cast<std::uint8_t>(stamp), static_cast<std::uint8_t>(stamp >> 8),
              static_cast<std::uint8_t>(stamp >> 16), static_cast<std::uint8_t>(stamp >> 24),
              bmc_slave_address, 0x00,  // generator id: the BMC, channel 0, LUN 0
              0x04,                     // event message format revision (IPMI v1.5 and later)
              sensor_type_watchdog2, watchdog_sensor_number,
              0x6F,  // assertion, sensor-specific event type
              static_cast<std::uint8_t>(0xC0u | offset),  // data 2 is a sensor-specific extension
              static_cast<std::uint8_t>((static_cast<unsigned>(wd_.pre()) << 4) | wd_.timer_use()),
              0xFF};  // data 3 unspecified
    message_flags_ = static_cast<std::uint8_t>(message_flags_ | flag_event_buffer_full);
    update_attention();
  }

  /// SMS attention follows the message flags: on while any is set. The interrupt is requested
  /// when the guest enabled the matching interrupt (receive message queue for the pre-timeout
  /// flag, event message buffer full for the event) and the VM has one.
  void update_attention() {
    const bool want = message_flags_ != 0;
    if (want == attention_ || !session_.connected()) return;
    const bool irq_enabled =
        ((message_flags_ & flag_watchdog_pretimeout) != 0 && (global_enables_ & enable_receive_message_interrupt) != 0) ||
        ((message_flags_ & flag_event_buffer_full) != 0 && (global_enables_ & enable_event_buffer_full_interrupt) != 0);
    const bool irq = want && irq_enabled && session_.peer_capabilities().has(vm::capability::irq);
    const auto e = session_.set_attention(want, irq);
    if (e == vm::session_error::ok) attention_ = want;
    if (admit(log_kind::chatter)) log_event(name(), "event=attention on=%s irq=%s flags=0x%02X result=%s", want ? "yes" : "no", irq ? "yes" : "no",
              static_cast<unsigned>(message_flags_), std::string(vm::name(e)).c_str());
  }

  // --- App: watchdog (§27) -------------------------------------------------------------------

  reply reset_watchdog_timer(std::span<const std::uint8_t> data, time_point now) {
    if (!data.empty()) return length_invalid();
    if (!wd_.initialized) return reply(cc_watchdog_not_initialized);
    // §27.5: once the pre-timeout interrupt has fired, only Set Watchdog Timer can stop the
    // countdown; a reset does not restart it.
    if (wd_.running && wd_.pretimeout_done) return reply(completion_code::not_supported_in_present_state);
    const bool was_running = wd_.running;
    wd_.start(now);
    if (!was_running && admit(log_kind::chatter)) log_event(name(), "event=watchdog_started %s", describe_watchdog().c_str());
    return reply();
  }

  reply set_watchdog_timer(std::span<const std::uint8_t> data, time_point now) {
    if (data.size() != 6) return length_invalid();
    const unsigned use = data[0] & 0x07u;
    const auto pre = static_cast<pretimeout_interrupt>((data[1] >> 4) & 0x07u);
    const auto action = static_cast<timeout_action>(data[1] & 0x07u);
    // Reserved values are invalid; SMI is valid IPMI but a VM has no SMI to raise. Reserved
    // bits (byte 1 bits 5:3, byte 2 bits 7 and 3, byte 4 bits 7, 6, 0) are ignored.
    if (use == 0 || use > 5 || pre > pretimeout_interrupt::messaging || pre == pretimeout_interrupt::smi ||
        action > timeout_action::power_cycle)
      return reply(completion_code::invalid_data_field);
    // Valid values this VM cannot carry out: refused now rather than failing at expiry.
    if (missing_capability(pre, action, session_.peer_capabilities()))
      return reply(completion_code::not_supported_in_present_state);

    const bool keep_running = (data[0] & 0x40u) != 0 && wd_.running;  // "don't stop" (§27.6)
    wd_.initialized = true;
    wd_.use = static_cast<std::uint8_t>(data[0] & 0x87u);
    wd_.actions = static_cast<std::uint8_t>(data[1] & 0x77u);
    wd_.pretimeout_s = data[2];
    wd_.expired = static_cast<std::uint8_t>(wd_.expired & ~(data[3] & 0x3Eu));
    wd_.initial = static_cast<std::uint16_t>(data[4] | (data[5] << 8));
    if (keep_running) {
      wd_.start(now);  // the new countdown continues from the new value
    } else {
      wd_.running = false;
      wd_.pretimeout_done = false;
      wd_.stopped_count = wd_.initial;
    }
    // Set Watchdog Timer clears the pre-timeout flag, running or not.
    if ((message_flags_ & flag_watchdog_pretimeout) != 0) {
      message_flags_ = static_cast<std::uint8_t>(message_flags_ & ~flag_watchdog_pretimeout);
      update_attention();
    }
    if (admit(log_kind::chatter)) log_event(name(), "event=watchdog_set %s running=%s", describe_watchdog().c_str(), keep_running ? "yes" : "no");
    return reply();
  }

  reply get_watchdog_timer(std::span<const std::uint8_t> data, time_point now) const {
    if (!data.empty()) return length_invalid();
    const std::uint16_t present = wd_.present(now);
    return reply()
        .add(static_cast<std::uint8_t>(wd_.use | (wd_.running ? 0x40u : 0x00u)))  // bit 6: running
        .add(wd_.actions)
        .add(wd_.pretimeout_s)
        .add(wd_.expired)
        .add(static_cast<std::uint8_t>(wd_.initial & 0xFFu))
        .add(static_cast<std::uint8_t>(wd_.initial >> 8))
        .add(static_cast<std::uint8_t>(present & 0xFFu))
        .add(static_cast<std::uint8_t>(present >> 8));
  }

  [[nodiscard]] std::string describe_watchdog() const {
    char buf[160];
    std::snprintf(buf, sizeof buf, "use=%s action=%s pretimeout=%s pretimeout_s=%u countdown_s=%u.%u dont_log=%s",
                  std::string(use_key(wd_.timer_use())).c_str(), std::string(action_key(wd_.action())).c_str(),
                  std::string(pretimeout_key(wd_.pre())).c_str(), static_cast<unsigned>(wd_.pretimeout_s),
                  wd_.initial / 10u, wd_.initial % 10u, wd_.dont_log() ? "yes" : "no");
    return buf;
  }

  void fire_pretimeout(time_point now) {
    wd_.pretimeout_done = true;
    ++stats_.pretimeouts;
    const double left = std::max(0.0, std::chrono::duration<double>(wd_.expires - now).count());
    if (admit(log_kind::action)) log_event(name(), "event=watchdog_pretimeout interrupt=%s seconds_left=%.1f",
              std::string(pretimeout_key(wd_.pre())).c_str(), left);
    switch (wd_.pre()) {
      case pretimeout_interrupt::nmi: request_power(power_action::nmi, "watchdog_pretimeout"); break;
      case pretimeout_interrupt::messaging:
        message_flags_ = static_cast<std::uint8_t>(message_flags_ | flag_watchdog_pretimeout);
        update_attention();
        break;
      default: break;
    }
    post_watchdog_event(watchdog2_timer_interrupt);
  }

  void expire(time_point now) {
    wd_.stop(now);
    wd_.stopped_count = 0;
    wd_.expired = static_cast<std::uint8_t>(wd_.expired | (1u << wd_.timer_use()));
    ++stats_.watchdog_expiries;
    if (admit(log_kind::action)) log_event(name(), "event=watchdog_expired action=%s use=%s dont_log=%s",
              std::string(action_key(wd_.action())).c_str(), std::string(use_key(wd_.timer_use())).c_str(),
              wd_.dont_log() ? "yes" : "no");
    // Watchdog 2 offsets (table 42-3): 00h expired (no action), 01h hard reset, 02h power
    // down, 03h power cycle — the same numbers as the timeout actions.
    post_watchdog_event(static_cast<std::uint8_t>(wd_.action()));
    switch (wd_.action()) {
      case timeout_action::hard_reset: request_power(power_action::reset, "watchdog"); break;
      case timeout_action::power_down: request_power(power_action::power_off, "watchdog"); break;
      case timeout_action::power_cycle:  // QEMU has no power-on: off, a supervisor restarts it
        request_power(power_action::power_off, "watchdog_power_cycle");
        break;
      case timeout_action::none: break;
    }
  }

  // --- Chassis (§28) -------------------------------------------------------------------------

  reply get_chassis_status(std::span<const std::uint8_t> data) const {
    if (!data.empty()) return length_invalid();
    // Power state bit 0 tracks the VM connection. Restore policy "unknown" (bits 6:5 = 11b):
    // QEMU cannot power a VM on, so there is no policy to report.
    const auto power = static_cast<std::uint8_t>(0x60u | (power_on() ? 0x01u : 0x00u));
    return reply().add(power).add(0x00).add(0x00);  // last power event, misc chassis state: none
  }

  reply chassis_control(std::span<const std::uint8_t> data, power_action& act, bool& after) const {
    if (data.size() != 1) return length_invalid();
    switch (data[0]) {  // bits 7:4 are reserved; a value with them set is invalid too
      case 0x00: act = power_action::power_off; break;
      case 0x01: return reply();  // power up: a VM that can send requests is already on
      case 0x02: act = power_action::power_off; break;  // power cycle: QEMU cannot power on
      case 0x03: act = power_action::reset; break;
      case 0x04: act = power_action::nmi; break;
      case 0x05: act = power_action::soft_shutdown; break;
      default: return reply(completion_code::invalid_data_field);
    }
    if (!session_.peer_capabilities().has(capability_for(act)))
      return reply(completion_code::not_supported_in_present_state);
    after = true;  // §28.3: answer first, then act (QEMU takes the response before it resets)
    return reply();
  }

  /// Hands the first queued power command to the session when none is in flight. A full
  /// outbound buffer leaves it queued: consumed() and poll() try again.
  void release_power() {
    while (in_flight_ == power_action::none && queued_count_ > 0) {
      const queued_power q = queue_[0];
      vm::session_error e = vm::session_error::ok;
      switch (q.action) {
        case power_action::power_off: e = session_.power_off(); break;
        case power_action::reset: e = session_.send_reset(); break;
        case power_action::nmi: e = session_.send_nmi(); break;
        case power_action::soft_shutdown: e = session_.graceful_shutdown(); break;
        case power_action::none: break;
      }
      if (e == vm::session_error::would_block) return;
      std::copy(queue_.begin() + 1, queue_.begin() + static_cast<std::ptrdiff_t>(queued_count_), queue_.begin());
      --queued_count_;
      if (e != vm::session_error::ok) {  // checked when queued; only a lost capability gets here
        if (admit(log_kind::action))
          log_event(name(), "event=power action=%s reason=%s result=not_sent note=%s",
                    std::string(ipmikit_bmc::name(q.action)).c_str(), q.reason, std::string(vm::name(e)).c_str());
        continue;
      }
      ++stats_.power_actions;
      if (q.action == power_action::power_off) powered_off_ = true;
      in_flight_ = q.action;
      in_flight_reason_ = q.reason;
      in_flight_unsent_ = session_.pending().size();  // the command is the last byte appended
    }
  }

  /// A power request waiting for the command ahead of it.
  struct queued_power {
    power_action action = power_action::none;
    const char* reason = "";
  };

  const vm_config* cfg_;
  session_type session_;
  watchdog wd_;
  vm_stats stats_;
  std::array<std::uint8_t, 16> event_{};  // the event message buffer (valid while its flag is set)
  std::uint16_t record_id_ = 0;
  std::uint8_t global_enables_ = 0x00;
  std::uint8_t message_flags_ = 0x00;
  std::uint8_t problems_logged_ = 0;
  log_limiter limiter_;
  time_point now_{};                 // the latest time the server passed in (for the log budget)
  std::uint64_t bytes_in_ = 0;       // bytes received over every connection
  std::uint64_t connect_offset_ = 0; // bytes_in_ when this connection began (logged offsets count from it)
  std::array<queued_power, 4> queue_{};  // one entry per power_action at most
  std::size_t queued_count_ = 0;
  power_action in_flight_ = power_action::none;  // handed to the session, not written yet
  const char* in_flight_reason_ = "";
  std::size_t in_flight_unsent_ = 0;             // session bytes up to and including it
  bool attention_ = false;     // SMS attention as last sent to this connection
  bool powered_off_ = false;   // POWEROFF sent on this connection
  bool verbose_ = false;
};

}  // namespace ipmikit_bmc
