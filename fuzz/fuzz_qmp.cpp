// fuzz/fuzz_qmp.cpp — ipmikit-bmc's QMP machine (apps/ipmikit-bmc/qmp.hpp): QEMU's bytes in
// any split, power operations at any time, clock jumps and timer polls, against a model of the
// rules at the top of qmp.hpp.
//
// Input: operations, an op byte (% 10) and its arguments; past the end of the input every read
// is 0 and the run stops.
//   0 [f]       connect: when connect_due() (f odd: the connect fails, disconnected())
//   1           the connection ends (disconnected()), when connected
//   2 [n] n     raw bytes from QEMU
//   3 [k] ...   a piece of QEMU's text appended to the stage (see piece() for k and its bytes)
//   4 [n]       the first n bytes of the stage delivered (0: all of it)
//   5 [o]       request(o % 6) — the machine's own call, not ipmikit-bmc's gate in front of it
//   6 [u] [v]   the clock moves v × (1 ms, 100 ms, 1 s, 1 min)[u % 4]
//   7           the caller's tick: poll(); greeting_overdue() drops; connect_due() connects
//   8 [n]       n × 7 bytes of the commands written (consume())
//   9 [k] ...   a piece delivered at once, split at a point [s]
// A close the machine reports is followed by disconnected(), as ipmikit-bmc does.
//
// Checked after every call (and no exception ever leaves the machine):
//   - phase(), status(), pending(), intended_on() and the commands emitted equal the model's:
//     greeting → qmp_capabilities; its answer → ready + query-status; an event updates the
//     state and asks for a query-status only when none is outstanding (else one is queued, sent
//     when the outstanding one is answered: one outstanding + one queued at most); request()
//     emits exactly the documented sequence plus its query-status; a cycle's second half only
//     at its deadline;
//   - every line in outbound() is one line of JSON, an object of exactly "execute" (a command
//     the machine knows) and "id" (unsigned, strictly increasing over the whole run);
//   - the partial line the machine holds never exceeds max_line: a line one byte longer closes
//     the connection with the "longer than 64 KiB" reason, and that reason only then;
//   - on() only when ready and the status is not an off state: off whenever disconnected;
//     power_changed says whether on() changed over the bytes;
//   - deadlines: next_deadline() is the retry time / the greeting deadline / the cycle's second
//     half; connect_due() and greeting_overdue() exactly at or after it; a poll before it
//     emits nothing; request() refused (false, nothing emitted) unless ready.
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <exception>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include <ipmikit-bmc/qmp.hpp>

#include "fuzz_common.hpp"

namespace {

using namespace ipmikit_bmc;
using json = nlohmann::json;
using command = std::pair<std::string, std::uint64_t>;

constexpr std::string_view greeting_text =
    R"({"QMP": {"version": {"qemu": {"micro": 22, "minor": 2, "major": 7}, "package": "Debian 1:7.2+dfsg-7"}, "capabilities": ["oob"]}})";

constexpr std::string_view known_commands[] = {"qmp_capabilities", "query-status", "system_reset", "cont",
                                               "stop", "system_powerdown"};

/// The machine as the top of qmp.hpp describes it, a line at a time.
struct model {
  qmp_phase phase = qmp_phase::disconnected;
  std::string line;
  std::string status;
  qmp_op pending = qmp_op::none;
  bool target_on = false;
  bool outstanding = false;
  bool requery = false;
  std::uint64_t next_id = 0;
  std::uint64_t cap_id = 0;
  std::uint64_t op_query = 0;
  time_point retry_at{};
  time_point greeting_by{};
  std::optional<time_point> cycle_at;
  std::vector<command> emitted;  // since the last comparison

  [[nodiscard]] bool on() const { return phase == qmp_phase::ready && !status.empty() && !off_status(status); }

  void reset() {
    line.clear();
    status.clear();
    pending = qmp_op::none;
    cycle_at.reset();
    outstanding = requery = false;
    op_query = 0;
  }
  std::uint64_t emit(std::string name) {
    emitted.emplace_back(std::move(name), ++next_id);
    return next_id;
  }
  std::uint64_t query() {
    outstanding = true;
    requery = false;
    return emit("query-status");
  }

  struct batch {
    std::size_t events = 0;
    std::size_t errors = 0;
    std::optional<std::string> close;
  };

  void read_line(std::string_view text, batch& b) {
    if (!text.empty() && text.back() == '\r') text.remove_suffix(1);
    if (text.empty()) return;
    const json j = json::parse(text, nullptr, false);
    if (j.is_discarded() || !j.is_object()) {
      b.close = "not an object";
      return;
    }
    if (phase == qmp_phase::greeting) {
      if (!j.contains("QMP")) {
        b.close = "no greeting";
        return;
      }
      cap_id = emit("qmp_capabilities");
      phase = qmp_phase::negotiating;
      return;
    }
    if (j.contains("event")) {
      const json& e = j["event"];
      if (!e.is_string()) return;
      const auto ev = e.get<std::string>();
      ++b.events;
      if (ev == "SHUTDOWN") status = "shutdown";
      if (ev == "RESUME") status = "running";
      if (ev == "STOP" && status == "running") status = "paused";
      if (ev == "SHUTDOWN" || ev == "STOP" || ev == "RESUME" || ev == "RESET" || ev == "POWERDOWN") {
        if (outstanding) requery = true;
        else (void)query();
      }
      return;
    }
    const std::uint64_t id = j.contains("id") && j["id"].is_number_unsigned() ? j["id"].get<std::uint64_t>() : 0;
    if (j.contains("error")) {
      ++b.errors;
      if (phase == qmp_phase::negotiating && id == cap_id) b.close = "capabilities refused";
      return;
    }
    if (!j.contains("return")) return;
    if (phase == qmp_phase::negotiating && id == cap_id) {
      phase = qmp_phase::ready;
      (void)query();
      return;
    }
    const json& r = j["return"];
    if (r.is_object() && r.contains("status") && r["status"].is_string()) {
      status = r["status"].get<std::string>();
      outstanding = false;
      if (pending != qmp_op::none && id >= op_query && !cycle_at) pending = qmp_op::none;
      if (requery) (void)query();
    }
  }

  /// The bytes, as the machine reads them; `long_line` says whether a line outgrew max_line.
  batch receive(std::string_view bytes, bool& long_line) {
    batch b;
    long_line = false;
    for (const char c : bytes) {
      if (c != '\n') {
        if (line.size() >= qmp_machine::max_line) {
          long_line = true;
          b.close = "long";
          break;
        }
        line += c;
        continue;
      }
      read_line(line, b);
      line.clear();
      if (b.close) break;
    }
    return b;
  }
};

struct rig {
  qmp_machine m;
  model mod;
  time_point now = time_point{} + std::chrono::hours(1);
  std::string stage;                 // QEMU's text not delivered yet
  std::size_t checked = 0;           // bytes of outbound() already compared
  std::uint64_t last_id = 0;         // the last command id seen (strictly increasing)
  std::uint64_t last_query_id = 0;   // for answers

  /// Compares everything observable with the model; parses every new command line.
  void compare() {
    FUZZ_CHECK(m.phase() == mod.phase);
    FUZZ_CHECK(m.status() == mod.status);
    FUZZ_CHECK(m.pending() == mod.pending);
    FUZZ_CHECK(m.on() == mod.on());
    FUZZ_CHECK(m.ready() == (mod.phase == qmp_phase::ready));
    FUZZ_CHECK(m.intended_on() == (mod.pending != qmp_op::none ? mod.target_on : mod.on()));
    if (m.phase() != qmp_phase::ready) FUZZ_CHECK(!m.on());
    if (!m.ready()) FUZZ_CHECK(m.pending() == qmp_op::none);

    const std::string_view out = m.outbound();
    FUZZ_CHECK(checked <= out.size());
    std::string_view fresh = out.substr(checked);
    std::size_t k = 0;
    while (!fresh.empty()) {
      const auto nl = fresh.find('\n');
      FUZZ_CHECK(nl != std::string_view::npos);  // whole lines only
      const std::string_view text = fresh.substr(0, nl);
      fresh.remove_prefix(nl + 1);
      const json j = json::parse(text, nullptr, false);
      FUZZ_CHECK(!j.is_discarded() && j.is_object() && j.size() == 2);
      FUZZ_CHECK(j.contains("execute") && j["execute"].is_string());
      FUZZ_CHECK(j.contains("id") && j["id"].is_number_unsigned());
      const auto name = j["execute"].get<std::string>();
      bool known = false;
      for (const auto c : known_commands) known = known || c == name;
      FUZZ_CHECK(known);
      const auto id = j["id"].get<std::uint64_t>();
      FUZZ_CHECK(id > last_id);
      last_id = id;
      if (name == "query-status") last_query_id = id;
      FUZZ_CHECK(k < mod.emitted.size());
      FUZZ_CHECK(mod.emitted[k].first == name && mod.emitted[k].second == id);
      ++k;
    }
    FUZZ_CHECK(k == mod.emitted.size());
    mod.emitted.clear();
    checked = out.size();

    // Deadlines.
    const auto d = m.next_deadline();
    switch (mod.phase) {
      case qmp_phase::disconnected:
        FUZZ_CHECK(d && *d == mod.retry_at);
        FUZZ_CHECK(m.connect_due(now) == (now >= mod.retry_at));
        FUZZ_CHECK(!m.greeting_overdue(now));
        break;
      case qmp_phase::greeting:
      case qmp_phase::negotiating:
        FUZZ_CHECK(d && *d == mod.greeting_by);
        FUZZ_CHECK(m.greeting_overdue(now) == (now >= mod.greeting_by));
        FUZZ_CHECK(!m.connect_due(now));
        break;
      case qmp_phase::ready:
        FUZZ_CHECK(d == mod.cycle_at);
        FUZZ_CHECK(!m.connect_due(now) && !m.greeting_overdue(now));
        break;
    }
  }

  void connected() {
    m.connected(now);
    mod.reset();
    mod.phase = qmp_phase::greeting;
    mod.greeting_by = now + qmp_machine::greeting_timeout;
    FUZZ_CHECK(m.outbound().empty());
    checked = 0;
  }
  void disconnected() {
    m.disconnected(now);
    mod.reset();
    mod.phase = qmp_phase::disconnected;
    mod.retry_at = now + qmp_machine::retry_interval;
    FUZZ_CHECK(m.outbound().empty());
    FUZZ_CHECK(!m.on());
    checked = 0;
    stage.clear();  // QEMU's unsent text goes with the connection
  }

  void receive(std::string_view bytes) {
    if (m.phase() == qmp_phase::disconnected) return;  // no socket, no bytes
    const bool was_on = m.on();
    const std::size_t line_before = mod.line.size();
    const qmp_feed_result r = m.receive(std::span<const char>(bytes.data(), bytes.size()));
    bool long_line = false;
    const model::batch b = mod.receive(bytes, long_line);
    FUZZ_CHECK(r.power_changed == (m.on() != was_on));
    FUZZ_CHECK(r.events.size() == b.events);
    FUZZ_CHECK(r.errors.size() == b.errors);
    FUZZ_CHECK(r.close.has_value() == b.close.has_value());
    FUZZ_CHECK(!r.close || !r.close->empty());
    const bool long_reason = r.close && *r.close == "a QMP line longer than 64 KiB";
    FUZZ_CHECK(long_reason == long_line);
    if (long_line) {  // some line in these bytes (with the held part) had more than max_line
      std::size_t run = line_before, longest = 0;
      for (const char c : bytes) {
        run = c == '\n' ? 0 : run + 1;
        longest = run > longest ? run : longest;
      }
      FUZZ_CHECK(longest > qmp_machine::max_line);
    }
    FUZZ_CHECK(mod.line.size() <= qmp_machine::max_line);
    compare();
    if (r.close) {
      disconnected();
      compare();
    }
  }

  void request(qmp_op op) {
    const bool ready = mod.phase == qmp_phase::ready;
    const bool was_on = mod.on();
    const bool accepted = m.request(op, now);
    FUZZ_CHECK(accepted == (ready && op != qmp_op::none));
    if (accepted) {
      mod.cycle_at.reset();
      switch (op) {
        case qmp_op::power_on:
          mod.emit("system_reset"), mod.emit("cont"), mod.target_on = true;
          break;
        case qmp_op::power_off:
          mod.emit("stop"), mod.emit("system_reset"), mod.target_on = false;
          break;
        case qmp_op::power_cycle:
          if (was_on) {
            mod.emit("stop"), mod.emit("system_reset");
            mod.cycle_at = now + qmp_machine::cycle_off_time;
          } else {
            mod.emit("system_reset"), mod.emit("cont");
          }
          mod.target_on = true;
          break;
        case qmp_op::reset:
          mod.emit("system_reset"), mod.target_on = true;
          break;
        case qmp_op::powerdown:
          mod.emit("system_powerdown"), mod.target_on = was_on;
          break;
        case qmp_op::none: break;
      }
      mod.pending = op;
      mod.op_query = mod.query();
    }
    compare();
  }

  /// ipmikit-bmc's timer: the cycle's second half, the greeting deadline, the reconnect.
  void tick() {
    const auto d = m.next_deadline();
    const bool before = !d || now < *d;
    const std::size_t out_before = m.outbound().size();
    m.poll(now);
    if (mod.cycle_at && now >= *mod.cycle_at) {
      mod.cycle_at.reset();
      mod.emit("system_reset"), mod.emit("cont");
      mod.op_query = mod.query();
    }
    if (before) FUZZ_CHECK(m.outbound().size() == out_before);  // nothing due, nothing done
    compare();
    if (m.greeting_overdue(now)) {
      FUZZ_CHECK(!before);
      disconnected();
      compare();
    }
    if (m.connect_due(now)) {
      FUZZ_CHECK(!before);
      connected();
      compare();
    }
  }

  void jump(std::uint8_t unit, std::uint8_t amount) {
    static constexpr std::chrono::milliseconds units[] = {std::chrono::milliseconds(1), std::chrono::milliseconds(100),
                                                          std::chrono::seconds(1), std::chrono::minutes(1)};
    now += units[unit % 4] * amount;
  }
};

/// A status string QEMU might report (RunState), or not.
std::string status_of(std::uint8_t s) {
  static constexpr std::string_view states[] = {"running", "paused", "shutdown", "prelaunch", "inmigrate",
                                                "internal-error", "io-error", "suspended", "",
                                                "guest-panicked", "Shutdown", "shutdown "};
  return std::string(states[s % std::size(states)]);
}

/// An id for an answer: the last query-status, the capabilities', the last command's, one off,
/// absent, or not an unsigned number.
std::string id_of(const rig& r, std::uint8_t k) {
  switch (k % 8) {
    case 0: return ", \"id\": " + std::to_string(r.last_query_id);
    case 1: return ", \"id\": " + std::to_string(r.mod.cap_id);
    case 2: return ", \"id\": " + std::to_string(r.last_id);
    case 3: return ", \"id\": " + std::to_string(r.last_query_id + 1);
    case 4: return "";
    case 5: return ", \"id\": -1";
    case 6: return ", \"id\": \"" + std::to_string(r.last_query_id) + "\"";
    default: return ", \"id\": 18446744073709551615";
  }
}

/// A piece of QEMU's text: k % 12 picks what, the following bytes its details.
std::string piece(rig& r, ipmikit::fuzz::reader& in) {
  const std::uint8_t k = in.u8();
  switch (k % 12) {
    case 0: return std::string(greeting_text) + (k & 0x80 ? "\r\n" : "\n");
    case 1: return "{\"return\": {}" + id_of(r, in.u8()) + "}\n";  // the capabilities' answer, or any
    case 2: {
      const std::string s = status_of(in.u8());
      return R"({"return": {"status": ")" + s + R"(", "singlestep": false, "running": )" +
             (s == "running" ? "true" : "false") + "}" + id_of(r, in.u8()) + "}\n";
    }
    case 3: {
      static constexpr std::string_view events[] = {"SHUTDOWN", "STOP", "RESUME", "RESET", "POWERDOWN",
                                                    "NIC_RX_FILTER_CHANGED", "RTC_CHANGE", "stop"};
      const std::uint8_t e = in.u8();
      return R"({"timestamp": {"seconds": 1733400000, "microseconds": 123456}, "event": ")" +
             std::string(events[e % std::size(events)]) +
             (e & 0x80 ? R"(", "data": {"guest": true, "reason": "guest-shutdown"}})" : "\"}") + "\n";
    }
    case 4: {
      const std::uint8_t e = in.u8();
      if (e % 3 == 0) return "{\"error\": \"plain\"" + id_of(r, in.u8()) + "}\n";
      if (e % 3 == 1) return "{\"error\": {\"class\": 7, \"desc\": null}" + id_of(r, in.u8()) + "}\n";
      return R"({"error": {"class": "CommandNotFound", "desc": "The command query-status has not been found"})" +
             id_of(r, in.u8()) + "}\n";
    }
    case 5: {  // a line around max_line
      const std::uint8_t v = in.u8();
      const std::size_t n = qmp_machine::max_line - 2 + v % 5;
      std::string s = v & 0x40 ? "{\"x\": \"" + std::string(n > 10 ? n - 10 : 0, 'a') + "\"}" : std::string(n, ' ');
      s.resize(n, ' ');
      if (!(v & 0x80)) s += '\n';
      return s;
    }
    case 6: {  // deep nesting
      const std::size_t depth = 1 + std::size_t{in.u8()} * 200;
      return std::string(depth, '[') + std::string(in.u8() & 1 ? depth : 0, ']') + "\n";
    }
    case 7: {
      static constexpr std::string_view odd[] = {
          "[]", "42", "null", "\"QMP\"", "{}", "{\"QMP\": null}", "{\"event\": 5}", "{\"event\": null, \"return\": {}}",
          "{\"return\": {\"status\": 5}}", "{\"return\": [\"status\"]}", "{\"return\": {}, \"id\": 2.0}",
          "{\"a\": \"\\u0000\"}", "{\"a\": \"\xC3\x28\"}", "{\"return\": {\"status\": \"\\ud800\"}}", "{", "\r",
          "{\"return\": {}, \"id\": 1e3}", "{\"event\": \"SHUTDOWN\", \"event\": \"RESUME\"}"};
      return std::string(odd[in.u8() % std::size(odd)]) + "\n";
    }
    case 8: {  // a line of the input's bytes
      const auto b = in.take(in.u8());
      return std::string(b.begin(), b.end()) + "\n";
    }
    case 9: return "\n";
    case 10: return "{\"return\": {}" + id_of(r, in.u8()) + "}\n";
    default:  // QEMU's answer to the last query-status, as 7.2 gives it
      return R"({"return": {"status": "running", "singlestep": false, "running": true})" + id_of(r, 0) + "}\n";
  }
}

void run(std::span<const std::uint8_t> data) {
  ipmikit::fuzz::reader in(data);
  rig r;
  r.compare();
  for (int steps = 0; steps < 4000 && !in.empty(); ++steps) {
    switch (in.u8() % 10) {
      case 0:
        if (in.u8() & 1) {
          if (r.m.phase() == qmp_phase::disconnected) r.disconnected();
        } else if (r.m.connect_due(r.now)) {
          r.connected();
        }
        r.compare();
        break;
      case 1:
        if (r.m.phase() != qmp_phase::disconnected) r.disconnected();
        r.compare();
        break;
      case 2: {
        const auto b = in.take(in.u8());
        r.receive(std::string_view(reinterpret_cast<const char*>(b.data()), b.size()));
        break;
      }
      case 3:
        r.stage += piece(r, in);
        if (r.stage.size() > 4 * qmp_machine::max_line) r.stage.erase(0, r.stage.size() - 4 * qmp_machine::max_line);
        break;
      case 4: {
        const std::size_t n = in.u8();
        const std::size_t k = n == 0 || n > r.stage.size() ? r.stage.size() : n;
        const std::string part = r.stage.substr(0, k);
        r.stage.erase(0, k);
        r.receive(part);
        break;
      }
      case 5: r.request(static_cast<qmp_op>(in.u8() % 6)); break;
      case 6: {
        const std::uint8_t u = in.u8();
        r.jump(u, in.u8());
        r.compare();
        break;
      }
      case 7: r.tick(); break;
      case 8: {
        const std::size_t n = std::size_t{in.u8()} * 7;
        const std::size_t k = n < r.m.outbound().size() ? n : r.m.outbound().size();
        r.m.consume(k);
        r.checked -= k;
        r.compare();
        break;
      }
      default: {
        const std::string p = piece(r, in);
        const std::size_t split = in.u8() % (p.size() + 1);
        r.receive(std::string_view(p).substr(0, split));
        r.receive(std::string_view(p).substr(split));
        break;
      }
    }
  }
#ifdef FUZZ_QMP_TRACE  // the end of a run, e.g. to see where a seed leads
  std::fprintf(stderr, "phase=%d status=%s on=%d pending=%.*s last_id=%llu\n", static_cast<int>(r.m.phase()),
               r.m.status().c_str(), r.m.on() ? 1 : 0, static_cast<int>(name(r.m.pending()).size()),
               name(r.m.pending()).data(), static_cast<unsigned long long>(r.last_id));
#endif
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  try {
    run(std::span<const std::uint8_t>(data, size));
  } catch (const std::exception& e) {
    std::fprintf(stderr, "exception: %s\n", e.what());
    ipmikit::fuzz::fail(__FILE__, __LINE__, "an exception left the QMP machine");
  } catch (...) {
    ipmikit::fuzz::fail(__FILE__, __LINE__, "an exception left the QMP machine");
  }
  return 0;
}
