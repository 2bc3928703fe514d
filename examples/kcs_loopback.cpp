// kcs-loopback — a host driver talking to a BMC through every layer ipmikit has, in memory:
//
//   kcs::host ⇄ kcs::device ⇄ si::emulator_bridge ⇄ vm::session<emulator> ⇄ wire ⇄ vm::session<bmc> ⇄ BMC logic
//   (a driver)  (the register   (the glue QEMU has       (what QEMU's ipmi-    (TCP in  (what ipmi_sim  (Get Device ID,
//                file at         between the two)         bmc-extern does)      real     does for a VM)  message flags)
//                0xCA2/0xCA3)                                                   life)
//
// It prints every register access the host makes, every byte on the VM wire and every event,
// on a simulated clock, for: Get Device ID; attention raised by the BMC and answered with Get
// Message Flags; interrupts turned on; a driver that finds the interface in the middle of
// someone else's write and recovers with the GET_STATUS/ABORT sequence; and a BMC that never
// answers (the emulator answers 0xC3 after 4 s).
//
// Usage: kcs-loopback [--quiet]   (exits 0 when every step behaved as expected, 1 otherwise)
#include <ipmikit/ipmikit.hpp>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

namespace {

namespace kcs = ipmikit::kcs;
namespace vm = ipmikit::vm;
using clock_type = std::chrono::steady_clock;
using namespace std::chrono_literals;

bool quiet = false;
int failures = 0;
clock_type::time_point now{};

void expect(bool ok, const char* what) {
  if (!ok) {
    std::fprintf(stderr, "kcs-loopback: unexpected: %s\n", what);
    ++failures;
  }
}

double ms() { return std::chrono::duration<double, std::milli>(now.time_since_epoch()).count(); }

void print_bytes(std::span<const std::uint8_t> bytes) {
  for (std::uint8_t b : bytes) std::printf(" %02X", b);
}

void print_message(std::span<const std::uint8_t> body, bool response) {
  const auto fn = ipmikit::netfn_of(body[0]);
  const auto cmd = ipmikit::command_name(fn, body[1]);
  std::printf("%.*s %.*s", static_cast<int>(ipmikit::name(fn).size()), ipmikit::name(fn).data(),
              static_cast<int>(cmd.size()), cmd.data());
  if (response && body.size() >= 3) {
    const auto cc = ipmikit::name(static_cast<ipmikit::completion_code>(body[2]));
    std::printf(" -> cc %02X %.*s", body[2], static_cast<int>(cc.size()), cc.data());
  }
}

// --- the BMC's logic -------------------------------------------------------------------------

struct bmc_logic {
  bool answering = true;
  bool attention = false;  // a watchdog pre-timeout is pending

  // Returns the response body, or nothing (no answer).
  std::optional<std::vector<std::uint8_t>> handle(const vm::request_event& r) const {
    if (!answering) return std::nullopt;
    const auto rsp_netfn = ipmikit::pack_netfn_lun(ipmikit::response_netfn(r.function()), r.lun());
    if (r.is(ipmikit::commands::get_device_id))
      return std::vector<std::uint8_t>{rsp_netfn, r.cmd(), 0x00, 0x20, 0x81, 0x02, 0x17, 0x02,
                                       0xBF, 0x57, 0x01, 0x00, 0xA0, 0x00, 0x00};
    if (r.is(ipmikit::commands::get_message_flags))
      return std::vector<std::uint8_t>{rsp_netfn, r.cmd(), 0x00,
                                       static_cast<std::uint8_t>(attention ? 0x08 : 0x00)};
    return std::vector<std::uint8_t>{rsp_netfn, r.cmd(), 0xC1};  // invalid command
  }
};

// --- the machine: device, bridge, emulator session, wire, BMC --------------------------------

class machine {
 public:
  machine() {
    bridge_.connect(now);
    bmc_.connect(now, [](const auto&) {});
    pump();
  }

  // kcs::register_bus: what the host's port accesses reach. Each access takes 1 µs.
  std::uint8_t read_status() { return log_read("status", device_.read_status()); }
  std::uint8_t read_data() { return log_read("data", device_.read_data()); }
  void write_command(std::uint8_t v) { log_write("command", v), device_.write_command(v); }
  void write_data(std::uint8_t v) { log_write("data", v), device_.write_data(v); }
  // The host is polling: let the rest of the machine work.
  void idle() {
    polling_ = true;
    pump();
  }
  // Each register access takes 1 µs. Like a real driver, the host polls fast for a while,
  // then sleeps 1 ms between polls.
  clock_type::time_point tick() {
    polls_in_a_row_ = polling_ ? polls_in_a_row_ + 1 : 0;
    polling_ = false;
    return now += polls_in_a_row_ > 20 ? std::chrono::microseconds(1000) : std::chrono::microseconds(1);
  }

  kcs::device& device() { return device_; }
  vm::bmc_session<clock_type>& bmc() { return bmc_; }
  bmc_logic& logic() { return logic_; }

  /// Moves requests, wire bytes, responses and commands until nothing moves (bounded).
  void pump() {
    for (int round = 0; round < 16; ++round) {
      bool moved = forward_request();
      moved = carry(emulator_, "emulator -> bmc", [this](std::span<const std::uint8_t> b) {
                bmc_.receive(b, now, [this](const auto& e) { on_bmc(e); });
              }) || moved;
      moved = carry(bmc_, "bmc -> emulator", [this](std::span<const std::uint8_t> b) {
                bridge_.receive(b, now, [this](const auto& e) { on_emulator(e); });
              }) || moved;
      bridge_.poll(now, [this](const auto& e) { on_emulator(e); });
      if (!moved) break;
    }
  }

  void flush_trace() {
    fold();
    // Printed in lines of at most ~100 characters, broken between accesses.
    for (std::size_t at = 0, line = 0; at < trace_.size() && !quiet; ++line) {
      std::size_t end = std::min(trace_.size(), at + 90);
      if (end < trace_.size()) end = trace_.rfind(' ', end);
      if (end <= at) end = trace_.size();
      std::printf("    %s%.*s\n", line == 0 ? "host registers:" : "               ",
                  static_cast<int>(end - at), trace_.c_str() + at);
      at = end;
    }
    trace_.clear();
    last_.clear();
  }

 private:
  std::uint8_t log_read(const char* reg, std::uint8_t v) {
    char buf[32];
    if (std::strcmp(reg, "status") == 0) {
      const kcs::status s(v);
      std::snprintf(buf, sizeof buf, " st=%02X(%.1s%s)", v, kcs::name(s.state()).data(),
                    s.obf() ? "+" : "");
    } else {
      std::snprintf(buf, sizeof buf, " rd=%02X", v);
    }
    append(buf);
    return v;
  }
  void log_write(const char* reg, std::uint8_t v) {
    char buf[32];
    std::snprintf(buf, sizeof buf, " %s%02X", reg[0] == 'c' ? "CMD=" : "wr=", v);
    append(buf);
  }
  // A run of identical status polls is printed once with its count.
  void append(const char* s) {
    if (last_ == s) {
      ++repeats_;
      return;
    }
    fold();
    trace_ += s;
    last_ = s;
  }
  void fold() {
    if (repeats_ != 0) trace_ += " x" + std::to_string(repeats_ + 1);
    repeats_ = 0;
  }

  // A complete request in the device → the emulator session, through the bridge (which sends
  // each request once, one at a time like QEMU, and routes the answer back to the device).
  bool forward_request() {
    const auto r = device_.pending_request();
    if (!r || bridge_.in_flight() || emulator_.request_outstanding() || r->id == shown_) return false;
    flush_trace();
    if (!quiet) {
      std::printf("  %9.3f ms  device    request complete:", ms());
      print_bytes(r->bytes);
      std::printf("\n");
    }
    shown_ = r->id;
    const bool sent = bridge_.forward(now, [this](const auto& ev) { on_emulator(ev); });
    expect(sent, "the bridge sends the request to the emulator session");
    return sent;
  }

  // One direction of the wire: the sender's outbound bytes, printed, delivered by `deliver`.
  template <class From, class Deliver>
  bool carry(From& from, const char* label, Deliver&& deliver) {
    bool moved = false;
    for (int i = 0; i < 8; ++i) {
      const auto out = from.outbound(now);
      if (out.empty()) break;
      flush_trace();
      if (!quiet) {
        std::printf("  %9.3f ms  wire      %s:", ms(), label);
        print_bytes(out);
        std::printf("\n");
      }
      const std::vector<std::uint8_t> bytes(out.begin(), out.end());
      from.consume(bytes.size(), now);
      deliver(bytes);
      moved = true;
    }
    return moved;
  }

  template <class Event>
  void on_bmc(const Event& e) {
    if constexpr (std::is_same_v<Event, vm::request_event>) {
      if (!quiet) {
        std::printf("  %9.3f ms  bmc       request id=%02X: ", ms(), e.msg_id);
        print_message(e.body, false);
        std::printf("%s\n", logic_.answering ? "" : " (not answering)");
      }
      if (auto rsp = logic_.handle(e)) {
        if (e.is(ipmikit::commands::get_message_flags) && logic_.attention) {  // the flags are read: attention goes away
          expect(bmc_.set_attention(false) == vm::session_error::ok, "clear attention");
          logic_.attention = false;
        }
        expect(bmc_.respond(e.msg_id, *rsp) == vm::session_error::ok, "the BMC responds");
      }
    }
  }

  template <class Event>
  void on_emulator(const Event& e) {
    if constexpr (std::is_same_v<Event, vm::response_event>) {
      flush_trace();
      if (!quiet) {
        std::printf("  %9.3f ms  emulator  response id=%02X%s: ", ms(), e.msg_id,
                    e.local ? " (made by the emulator)" : "");
        print_message(e.body, true);
        std::printf("\n");
      }
      // The bridge has given it to the device (which refuses, and the bridge drops, an answer to
      // a request the host gave up on).
    } else if constexpr (std::is_same_v<Event, vm::hardware_event>) {
      // Attention and interrupt enables are applied to the device by the bridge; power off,
      // reset, NMI and shutdown would be this machine's to carry out.
      if (!quiet)
        std::printf("  %9.3f ms  emulator  BMC command %.*s\n", ms(),
                    static_cast<int>(vm::name(e.code).size()), vm::name(e.code).data());
    }
  }

  kcs::device device_;
  vm::emulator_session<clock_type> emulator_;
  ipmikit::si::emulator_bridge<kcs::device, vm::emulator_session<clock_type>> bridge_{device_, emulator_};
  // The in-memory wire delivers every write on its own, so no gap after a command is needed.
  vm::bmc_session<clock_type> bmc_{vm::bmc_session<clock_type>::config{.command_gap = {}}};
  bmc_logic logic_;
  std::optional<std::uint32_t> shown_;  // the last request printed
  bool polling_ = false;
  unsigned long polls_in_a_row_ = 0;
  std::string trace_, last_;
  unsigned long repeats_ = 0;
};

// Runs one host transaction to its end and reports it.
kcs::outcome transact(kcs::host& host, machine& m, std::span<const std::uint8_t> request) {
  if (!quiet) {
    std::printf("  %9.3f ms  host      start: ", ms());
    print_message(request, false);
    std::printf("\n");
  }
  if (const auto e = host.start(request, now); e != kcs::host_error::ok) {
    std::fprintf(stderr, "kcs-loopback: start refused: %.*s\n",
                 static_cast<int>(kcs::name(e).size()), kcs::name(e).data());
    ++failures;
    return host.outcome();
  }
  const auto before = host.stats().accesses;
  const auto aborts_before = host.stats().aborts;
  const auto outcome = kcs::drive(host, m, [&] { return m.tick(); }, 20'000'000);
  m.flush_trace();
  if (!quiet) {
    std::printf("  %9.3f ms  host      %.*s", ms(), static_cast<int>(kcs::name(outcome).size()),
                kcs::name(outcome).data());
    if (outcome == kcs::outcome::done) {
      std::printf(": ");
      print_message(host.response(), true);
      std::printf(", %zu bytes", host.response().size());
    }
    std::printf(" after %llu register accesses", static_cast<unsigned long long>(host.stats().accesses - before));
    if (host.stats().aborts != aborts_before)
      std::printf(" (%llu abort sequence(s) after: %.*s)",
                  static_cast<unsigned long long>(host.stats().aborts - aborts_before),
                  static_cast<int>(kcs::name(host.problem()).size()), kcs::name(host.problem()).data());
    std::printf("\n");
  }
  return outcome;
}

void title(const char* t) {
  if (!quiet) std::printf("\n%s\n", t);
}

}  // namespace

int main(int argc, char** argv) {
  quiet = argc == 2 && std::strcmp(argv[1], "--quiet") == 0;
  if (argc > 1 && !quiet) {
    std::fprintf(stderr, "usage: kcs-loopback [--quiet]\n");
    return 2;
  }

  machine m;
  kcs::host host;

  title("1. Get Device ID: WRITE_START, the request bytes, WRITE_END, the last byte, then one READ per response byte.");
  expect(transact(host, m, ipmikit::commands::get_device_id.request()) == kcs::outcome::done, "Get Device ID done");
  expect(host.response().size() == 15 && host.response()[2] == 0x00, "Get Device ID answer");

  title("2. The BMC raises attention (SMS_ATN); the driver sees it and reads the message flags.");
  m.logic().attention = true;
  expect(m.bmc().set_attention(true) == vm::session_error::ok, "raise attention");
  m.pump();
  expect(m.device().peek_status().sms_atn(), "SMS_ATN set in the status register");
  expect(transact(host, m, ipmikit::commands::get_message_flags.request()) == kcs::outcome::done && host.response()[3] == 0x08,
         "Get Message Flags says: watchdog pre-timeout");
  m.pump();
  expect(!m.device().peek_status().sms_atn(), "SMS_ATN cleared after the flags were read");

  title("3. The BMC turns interrupts on; the device's interrupt line now follows OBF.");
  expect(m.bmc().enable_irq(true) == vm::session_error::ok, "enable interrupts");
  m.pump();
  expect(m.device().interrupts_enabled(), "interrupts enabled");
  m.device().write_command(kcs::control_code::write_start);  // (a peek at the line)
  expect(m.device().irq(), "the line is high while OBF is set");
  if (!quiet) std::printf("    interrupt line with OBF set: %s\n", m.device().irq() ? "high" : "low");

  title("4. The driver finds the interface in the middle of someone else's write (the WRITE_START\n"
        "   above): it runs GET_STATUS/ABORT, reads the status code, and retries its request.");
  expect(transact(host, m, ipmikit::commands::get_device_id.request()) == kcs::outcome::done, "recovered");
  expect(host.problem() == kcs::problem::unexpected_state && host.attempts() == 2, "one retry");
  expect(host.error_code() == kcs::error_code::aborted_by_command, "status code 01");

  title("5. The BMC stops answering: after 4 s the emulator answers 0xC3 (timeout) itself.");
  m.logic().answering = false;
  expect(transact(host, m, ipmikit::commands::get_device_id.request()) == kcs::outcome::done, "done with the emulator's answer");
  expect(host.response().size() == 3 && host.response()[2] == 0xC3, "cc C3");
  m.logic().answering = true;

  title("6. And the next request works again.");
  expect(transact(host, m, ipmikit::commands::get_device_id.request()) == kcs::outcome::done, "works again");

  if (!quiet) {
    std::printf("\nhost: %llu transactions, %llu register accesses, %llu abort sequences; device: %llu requests, %llu errors\n",
                static_cast<unsigned long long>(host.stats().transactions),
                static_cast<unsigned long long>(host.stats().accesses),
                static_cast<unsigned long long>(host.stats().aborts),
                static_cast<unsigned long long>(m.device().stats().requests),
                static_cast<unsigned long long>(m.device().stats().errors));
  }
  if (failures != 0) {
    std::fprintf(stderr, "kcs-loopback: %d unexpected results\n", failures);
    return 1;
  }
  if (!quiet) std::printf("kcs-loopback: every step behaved as expected\n");
  return 0;
}
