// apps/ipmikit-bmc/qmp.hpp — QEMU's QMP (the QEMU Machine Protocol) as the truth about a VM's
// power, without the socket: bytes in, command lines out, the run state QEMU reports.
//
// QEMU runs with `-no-shutdown -qmp unix:PATH,server=on,wait=off`: it is the QMP server, and
// stays alive when the guest (or the VM protocol's POWEROFF) shuts the machine down — its run
// state becomes "shutdown". ipmikit-bmc is the client (main.cpp owns the socket, connects
// without blocking and retries every second while it is down). The conversation:
//
//   QEMU  {"QMP":{"version":…,"capabilities":[…]}}           the greeting
//   us    {"execute":"qmp_capabilities","id":1}               leave negotiation mode
//   QEMU  {"return":{},"id":1}
//   us    {"execute":"query-status","id":2}
//   QEMU  {"return":{"status":"running","running":true,…},"id":2}
//   QEMU  {"event":"SHUTDOWN"|"STOP"|"RESUME"|"RESET"|"POWERDOWN",…}   at any time
//
// Power (docs/ipmikit-bmc.md, "Power"): the VM is off while its run state is "shutdown" (the
// guest or POWEROFF turned it off; -no-shutdown keeps QEMU) or "prelaunch" (reset and not
// started: -S, or our power off), and while QMP is not connected (no QEMU); every other state
// is on (running, and "paused" & co.: the machine has power, something else holds it).
//   power on    system_reset, cont                  (from shutdown/prelaunch to running)
//   power off   stop, system_reset                  (to prelaunch: the machine state is gone)
//   power cycle power off, then 1 s later power on  (IPMI v2.0 §28.3: at least 1 s off)
//   reset       system_reset                        soft: system_powerdown (ACPI power button)
// Each sequence ends with a query-status; until its answer the operation is pending: the state
// it aims at decides the next request (two quick "power on" are one system_reset, not two).
// An event updates the state at once (SHUTDOWN → shutdown, RESUME → running, STOP → paused)
// and is followed by a query-status (one outstanding at a time, one more queued at most).
//
// Bounds: a line over 64 KiB, a line that is not JSON or not QMP, or no greeting within 5 s
// closes the connection (the caller logs it and reconnects a second later).
#pragma once

#include <nlohmann/json.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "log.hpp"

namespace ipmikit_bmc {

// ---------------------------------------------------------------------------------------------
// Types

/// A power operation carried out over QMP.
enum class qmp_op : std::uint8_t { none, power_on, power_off, power_cycle, reset, powerdown };

constexpr std::string_view name(qmp_op o) {
  switch (o) {
    case qmp_op::none: return "none";
    case qmp_op::power_on: return "power_on";
    case qmp_op::power_off: return "power_off";
    case qmp_op::power_cycle: return "power_cycle";
    case qmp_op::reset: return "reset";
    case qmp_op::powerdown: return "soft_shutdown";
  }
  return "none";
}

/// Where the connection is.
enum class qmp_phase : std::uint8_t { disconnected, greeting, negotiating, ready };

/// What a batch of received bytes did, for the caller to log and act on.
struct qmp_feed_result {
  bool power_changed = false;         // on() differs from before the bytes
  std::vector<std::string> events;    // the events' names, in order
  std::vector<std::string> errors;    // QMP error answers ("Class: desc"), in order
  std::optional<std::string> close;   // the connection must be closed, and why
};

/// A run state that means "no power" (see the top of this file).
constexpr bool off_status(std::string_view s) { return s == "shutdown" || s == "prelaunch"; }

// ---------------------------------------------------------------------------------------------
// The machine

class qmp_machine {
 public:
  static constexpr std::size_t max_line = 64u << 10;                  // longest line accepted
  static constexpr auto retry_interval = std::chrono::seconds(1);     // reconnect while down
  static constexpr auto greeting_timeout = std::chrono::seconds(5);   // connected, no greeting
  static constexpr auto cycle_off_time = std::chrono::seconds(1);     // IPMI v2.0 §28.3: ≥ 1 s off

  // --- connection ------------------------------------------------------------------------------

  /// True when the caller should try to connect now.
  [[nodiscard]] bool connect_due(time_point now) const { return phase_ == qmp_phase::disconnected && now >= retry_at_; }
  /// The socket is connected: wait for the greeting.
  void connected(time_point now) {
    reset_state();
    phase_ = qmp_phase::greeting;
    greeting_by_ = now + greeting_timeout;
  }
  /// A connect that failed, or a connection that ended: off, try again in a second.
  void disconnected(time_point now) {
    reset_state();
    phase_ = qmp_phase::disconnected;
    retry_at_ = now + retry_interval;
  }

  [[nodiscard]] qmp_phase phase() const { return phase_; }
  [[nodiscard]] bool ready() const { return phase_ == qmp_phase::ready; }
  /// The run state QEMU reported last ("running", "shutdown", …), empty before the first.
  [[nodiscard]] const std::string& status() const { return status_; }
  /// Power as QMP says: connected, a run state known, and not an off state.
  [[nodiscard]] bool on() const { return ready() && !status_.empty() && !off_status(status_); }
  /// The state the pending operation aims at, else on(): what a new request is judged against.
  [[nodiscard]] bool intended_on() const { return pending_ != qmp_op::none ? target_on_ : on(); }
  [[nodiscard]] qmp_op pending() const { return pending_; }

  // --- bytes -----------------------------------------------------------------------------------

  /// Received bytes, any split: each complete line is read in order.
  qmp_feed_result receive(std::span<const char> bytes) {
    qmp_feed_result r;
    const bool was_on = on();
    for (const char c : bytes) {
      if (c != '\n') {
        if (line_.size() >= max_line) {
          r.close = "a QMP line longer than 64 KiB";
          break;
        }
        line_ += c;
        continue;
      }
      read_line(line_, r);
      line_.clear();
      if (r.close) break;
    }
    r.power_changed = on() != was_on;
    return r;
  }

  /// The commands not written yet; consume(n) once n bytes of them are.
  [[nodiscard]] std::string_view outbound() const { return out_; }
  void consume(std::size_t n) { out_.erase(0, n); }

  // --- power -----------------------------------------------------------------------------------

  /// Queues the commands of `op` (see the top of this file); false when QMP is not ready.
  /// The caller decides whether the operation is needed (intended_on()).
  bool request(qmp_op op, time_point now) {
    if (!ready() || op == qmp_op::none) return false;
    cycle_on_at_.reset();
    switch (op) {
      case qmp_op::power_on:
        execute("system_reset");
        execute("cont");
        target_on_ = true;
        break;
      case qmp_op::power_off:
        execute("stop");
        execute("system_reset");
        target_on_ = false;
        break;
      case qmp_op::power_cycle:
        if (on()) {
          execute("stop");
          execute("system_reset");
          cycle_on_at_ = now + cycle_off_time;
        } else {
          execute("system_reset");
          execute("cont");
        }
        target_on_ = true;
        break;
      case qmp_op::reset:
        execute("system_reset");
        target_on_ = true;
        break;
      case qmp_op::powerdown:
        execute("system_powerdown");
        target_on_ = on();  // the guest decides, later: no change to wait for
        break;
      case qmp_op::none: break;
    }
    pending_ = op;
    op_query_ = query_status();
    return true;
  }

  /// The second half of a power cycle, when its off time is over.
  void poll(time_point now) {
    if (cycle_on_at_ && now >= *cycle_on_at_) {
      cycle_on_at_.reset();
      if (!ready()) return;
      execute("system_reset");
      execute("cont");
      op_query_ = query_status();
    }
  }

  /// Whether the connection has been waiting for its greeting too long.
  [[nodiscard]] bool greeting_overdue(time_point now) const {
    return (phase_ == qmp_phase::greeting || phase_ == qmp_phase::negotiating) && now >= greeting_by_;
  }

  [[nodiscard]] std::optional<time_point> next_deadline() const {
    switch (phase_) {
      case qmp_phase::disconnected: return retry_at_;
      case qmp_phase::greeting:
      case qmp_phase::negotiating: return greeting_by_;
      case qmp_phase::ready: return cycle_on_at_;
    }
    return std::nullopt;
  }

 private:
  using json = nlohmann::json;

  void reset_state() {
    line_.clear();
    out_.clear();
    status_.clear();
    pending_ = qmp_op::none;
    cycle_on_at_.reset();
    query_outstanding_ = false;
    requery_ = false;
    op_query_ = 0;
  }

  /// Appends `{"execute":"NAME","id":N}`; returns N.
  std::uint64_t execute(std::string_view command) {
    const std::uint64_t id = ++next_id_;
    out_ += "{\"execute\":\"";
    out_ += command;
    out_ += "\",\"id\":" + std::to_string(id) + "}\n";
    return id;
  }
  std::uint64_t query_status() {
    query_outstanding_ = true;
    requery_ = false;
    return execute("query-status");
  }
  /// After an event: a query now, or once the one outstanding is answered.
  void want_status() {
    if (query_outstanding_) requery_ = true;
    else (void)query_status();
  }

  void read_line(std::string_view text, qmp_feed_result& r) {
    if (!text.empty() && text.back() == '\r') text.remove_suffix(1);
    if (text.empty()) return;
    const json j = json::parse(text, nullptr, false);
    if (j.is_discarded() || !j.is_object()) {
      r.close = "a QMP line that is not a JSON object";
      return;
    }
    if (phase_ == qmp_phase::greeting) {
      if (!j.contains("QMP")) {
        r.close = "no QMP greeting (is the path QEMU's -qmp socket?)";
        return;
      }
      cap_id_ = execute("qmp_capabilities");
      phase_ = qmp_phase::negotiating;
      return;
    }
    if (const auto e = j.find("event"); e != j.end()) {
      if (!e->is_string()) return;
      const std::string& ev = e->get_ref<const std::string&>();
      r.events.push_back(ev);
      if (ev == "SHUTDOWN") status_ = "shutdown";
      else if (ev == "RESUME") status_ = "running";
      else if (ev == "STOP" && status_ == "running") status_ = "paused";
      if (ev == "SHUTDOWN" || ev == "STOP" || ev == "RESUME" || ev == "RESET" || ev == "POWERDOWN") want_status();
      return;
    }
    std::uint64_t id = 0;
    if (const auto i = j.find("id"); i != j.end() && i->is_number_unsigned()) id = i->get<std::uint64_t>();
    if (const auto err = j.find("error"); err != j.end()) {
      std::string text_of = "error";
      if (err->is_object()) {
        const auto cls = err->find("class");
        const auto desc = err->find("desc");
        text_of = (cls != err->end() && cls->is_string() ? cls->get<std::string>() : std::string("Error")) + ": " +
                  (desc != err->end() && desc->is_string() ? desc->get<std::string>() : std::string());
      }
      r.errors.push_back(std::move(text_of));
      if (id == cap_id_ && phase_ == qmp_phase::negotiating) r.close = "qmp_capabilities refused";
      return;
    }
    const auto ret = j.find("return");
    if (ret == j.end()) return;  // neither event nor answer: ignored (QMP may grow)
    if (phase_ == qmp_phase::negotiating && id == cap_id_) {
      phase_ = qmp_phase::ready;
      (void)query_status();
      return;
    }
    if (ret->is_object()) {
      if (const auto s = ret->find("status"); s != ret->end() && s->is_string()) {
        status_ = s->get<std::string>();
        query_outstanding_ = false;
        if (pending_ != qmp_op::none && id >= op_query_ && !cycle_on_at_) pending_ = qmp_op::none;
        if (requery_) (void)query_status();
      }
    }
  }

  qmp_phase phase_ = qmp_phase::disconnected;
  std::string line_;  // the line being received (≤ max_line)
  std::string out_;   // commands not written yet
  std::string status_;
  time_point retry_at_{};  // the first attempt is at once
  time_point greeting_by_{};
  std::optional<time_point> cycle_on_at_;
  std::uint64_t next_id_ = 0;
  std::uint64_t cap_id_ = 0;
  std::uint64_t op_query_ = 0;  // the query-status that ends the pending operation
  qmp_op pending_ = qmp_op::none;
  bool target_on_ = false;
  bool query_outstanding_ = false;
  bool requery_ = false;
};

}  // namespace ipmikit_bmc
