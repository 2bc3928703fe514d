// tests/interop/session_support.hpp — what the vm::session real-peer tests share beyond
// check.hpp: a log of everything a session reported (each entry time-stamped with
// steady_clock, owning its bytes).
//
// Used by session_ipmi_sim_test.cpp (emulator session ⇄ ipmi_sim) and bmc_link.hpp (QEMU ⇄
// BMC session). The socket loops that drive a session live there: the emulator one is
// single-threaded, the BMC one runs on its own thread next to the qtest host (or is pumped).
#pragma once

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <initializer_list>
#include <string>
#include <vector>

#include <ipmikit/vm/session.hpp>

#include "check.hpp"
#include "common.hpp"

namespace ipmikit::interop {

using bytes = std::vector<std::uint8_t>;

// ---------------------------------------------------------------------------------------------
// A log of session events

struct session_record {
  enum class kind : std::uint8_t {
    connected,     // the driver called connect() (a new TCP connection)
    disconnected,  // the driver called disconnect() (EOF, error, or the test closed it)
    request,       // request_event
    response,      // response_event
    hardware,      // hardware_event
    version,       // version_event
    capabilities,  // capabilities_event
    problem,       // protocol_event
  };

  kind what = kind::problem;
  steady::time_point at{};
  std::uint8_t msg_id = 0;  // request / response
  bytes body;               // request / response
  bool local = false;       // response
  vm::command code{};       // hardware
  std::uint8_t value = 0;   // version / capabilities byte
  vm::protocol_event problem{};

  [[nodiscard]] bool is_hardware(vm::command c) const noexcept {
    return what == kind::hardware && code == c;
  }

  [[nodiscard]] std::string describe() const {
    const std::string t = "[" + std::to_string(ms_between(g_test_start, at)) + " ms] ";
    switch (what) {
      case kind::connected: return t + "connected";
      case kind::disconnected: return t + "disconnected";
      case kind::request: return t + "request msg_id " + hex(msg_id) + " [" + hex(body) + "]";
      case kind::response:
        return t + "response msg_id " + hex(msg_id) + " [" + hex(body) + "]" + (local ? " (local)" : "");
      case kind::hardware: return t + std::string(vm::name(code));
      case kind::version: return t + "VERSION " + std::to_string(value);
      case kind::capabilities: return t + "CAPABILITIES " + hex(value);
      case kind::problem: {
        std::string s = t + "protocol problem " + std::string(vm::name(problem.problem));
        if (problem.problem == vm::protocol_problem::malformed_frame)
          s += " (" + std::string(vm::name(problem.decode)) + ")";
        return s + " at offset " + std::to_string(problem.offset);
      }
    }
    return t + "?";
  }
};

/// Everything one session reported, in order.
class session_log {
 public:
  void mark(session_record::kind k) {
    session_record r;
    r.what = k;
    r.at = steady::now();
    events_.push_back(std::move(r));
  }
  void add(const vm::request_event& e) {
    session_record r = stamp(session_record::kind::request);
    r.msg_id = e.msg_id;
    r.body.assign(e.body.begin(), e.body.end());
    events_.push_back(std::move(r));
  }
  void add(const vm::response_event& e) {
    session_record r = stamp(session_record::kind::response);
    r.msg_id = e.msg_id;
    r.body.assign(e.body.begin(), e.body.end());
    r.local = e.local;
    events_.push_back(std::move(r));
  }
  void add(const vm::hardware_event& e) {
    session_record r = stamp(session_record::kind::hardware);
    r.code = e.code;
    events_.push_back(std::move(r));
  }
  void add(const vm::version_event& e) {
    session_record r = stamp(session_record::kind::version);
    r.value = e.version;
    events_.push_back(std::move(r));
  }
  void add(const vm::capabilities_event& e) {
    session_record r = stamp(session_record::kind::capabilities);
    r.value = e.caps.to_byte();
    events_.push_back(std::move(r));
  }
  void add(const vm::protocol_event& e) {
    session_record r = stamp(session_record::kind::problem);
    r.problem = e;
    events_.push_back(std::move(r));
  }

  [[nodiscard]] const std::vector<session_record>& events() const noexcept { return events_; }
  [[nodiscard]] std::size_t size() const noexcept { return events_.size(); }

  /// The entries from index `from` on, one per line, for progress output.
  [[nodiscard]] std::string describe(std::size_t from = 0, std::string_view indent = "    ") const {
    std::string s;
    for (std::size_t i = from; i < events_.size(); ++i) {
      if (!s.empty()) s += '\n';
      s += indent;
      s += events_[i].describe();
    }
    return s.empty() ? std::string(indent) + "(nothing)" : s;
  }

  /// Entries from index `from` on that satisfy `pred`.
  template <class Pred>
  [[nodiscard]] std::vector<session_record> select(std::size_t from, Pred pred) const {
    std::vector<session_record> out;
    for (std::size_t i = from; i < events_.size(); ++i)
      if (pred(events_[i])) out.push_back(events_[i]);
    return out;
  }
  /// Hardware events from index `from` on.
  [[nodiscard]] std::vector<session_record> hardware_since(std::size_t from) const {
    return select(from, [](const session_record& r) { return r.what == session_record::kind::hardware; });
  }
  [[nodiscard]] std::size_t problems() const {
    return select(0, [](const session_record& r) { return r.what == session_record::kind::problem; }).size();
  }

 private:
  static session_record stamp(session_record::kind k) {
    session_record r;
    r.what = k;
    r.at = steady::now();
    return r;
  }
  std::vector<session_record> events_;
};

/// "A, B, C" from a list of hardware records.
[[nodiscard]] inline std::string command_names(const std::vector<session_record>& records) {
  std::string s;
  for (const auto& r : records) {
    if (r.what != session_record::kind::hardware) continue;
    if (!s.empty()) s += ", ";
    s += vm::name(r.code);
  }
  return s.empty() ? "none" : s;
}

}  // namespace ipmikit::interop
