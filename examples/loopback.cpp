// loopback — both ends of the VM protocol in one process, joined by an in-memory pipe.
//
// An emulator session (what QEMU's ipmi-bmc-extern does) talks to a BMC session (what an
// external BMC such as OpenIPMI's ipmi_sim does). Every byte that crosses the pipe is printed
// with what it means, on a simulated clock, so the whole protocol can be watched in one run:
// the greetings, requests and responses, attention, the local answers an emulator gives
// (too short, timeout, disconnected), a capability refusal, and a power-off.
//
// Usage: loopback            (no arguments; exits 0 when every step behaved as expected)
#include <ipmikit/ipmikit.hpp>

#include <chrono>
#include <cinttypes>
#include <cstdio>
#include <span>
#include <string_view>
#include <vector>

namespace {

namespace vm = ipmikit::vm;
using clock_type = std::chrono::steady_clock;
using namespace std::chrono_literals;

clock_type::time_point now{};  // the simulated clock
int failures = 0;

void expect(bool ok, const char* what) {
  if (!ok) {
    std::fprintf(stderr, "loopback: unexpected: %s\n", what);
    ++failures;
  }
}

double seconds() { return std::chrono::duration<double>(now.time_since_epoch()).count(); }

void print_bytes(std::span<const std::uint8_t> bytes) {
  for (std::uint8_t b : bytes) std::printf(" %02X", b);
}

void print_body(std::span<const std::uint8_t> body, bool response) {
  const auto fn = ipmikit::netfn_of(body[0]);
  const std::string_view cmd_name = ipmikit::command_name(fn, body[1]);
  std::printf("%.*s ", static_cast<int>(ipmikit::name(fn).size()), ipmikit::name(fn).data());
  if (cmd_name.empty()) {
    std::printf("command 0x%02X", body[1]);
  } else {
    std::printf("%.*s", static_cast<int>(cmd_name.size()), cmd_name.data());
  }
  if (response && body.size() >= 3) {
    const auto cc = static_cast<ipmikit::completion_code>(body[2]);
    const auto cc_name = ipmikit::name(cc);
    std::printf(" -> cc 0x%02X %.*s", body[2], static_cast<int>(cc_name.size()), cc_name.data());
  }
}

// --- what each side saw --------------------------------------------------------------------

struct emulator_side {
  std::vector<std::uint8_t> last_cc;
  std::vector<vm::command> hardware;
  int problems = 0;

  void operator()(const vm::response_event& r) {
    std::printf("  %7.3fs  emulator  response id=0x%02X%s: ", seconds(), r.msg_id,
                r.local ? " (answered locally)" : "");
    print_body(r.body, true);
    std::printf("\n");
    last_cc.push_back(r.body[2]);
  }
  void operator()(const vm::hardware_event& h) {
    std::printf("  %7.3fs  emulator  BMC command %.*s\n", seconds(),
                static_cast<int>(vm::name(h.code).size()), vm::name(h.code).data());
    hardware.push_back(h.code);
  }
  void operator()(const vm::version_event& v) {
    std::printf("  %7.3fs  emulator  BMC speaks protocol version %u\n", seconds(), v.version);
  }
  void operator()(const vm::protocol_event& p) {
    std::printf("  %7.3fs  emulator  protocol problem: %.*s\n", seconds(),
                static_cast<int>(vm::name(p.problem).size()), vm::name(p.problem).data());
    ++problems;
  }
};

struct bmc_side {
  vm::bmc_session<clock_type>* session = nullptr;
  bool answer = true;  // switched off to show the emulator's timeout
  bool attention = false;
  int problems = 0;

  void operator()(const vm::request_event& r) {
    std::printf("  %7.3fs  bmc       request id=0x%02X: ", seconds(), r.msg_id);
    print_body(r.body, false);
    std::printf("\n");
    if (!answer) return;
    const std::uint8_t rsp_netfn = ipmikit::pack_netfn_lun(ipmikit::response_netfn(r.function()), r.lun());
    if (r.is(ipmikit::commands::get_device_id)) {
      const std::uint8_t rsp[] = {rsp_netfn, r.cmd(), 0x00, 0x20, 0x81, 0x02, 0x17, 0x02, 0xBF,
                                  0x57, 0x01, 0x00, 0xA0, 0x00};
      expect(session->respond(r.msg_id, rsp) == vm::session_error::ok, "respond to Get Device ID");
    } else if (r.is(ipmikit::commands::get_message_flags)) {
      const std::uint8_t flags = attention ? 0x08 : 0x00;  // watchdog pre-timeout
      const std::uint8_t rsp[] = {rsp_netfn, r.cmd(), 0x00, flags};
      // Clearing attention is a command; the session keeps it in a write of its own.
      expect(session->set_attention(false) == vm::session_error::ok, "clear attention");
      attention = false;
      expect(session->respond(r.msg_id, rsp) == vm::session_error::ok, "respond to Get Message Flags");
    } else {
      const std::uint8_t rsp[] = {rsp_netfn, r.cmd(), 0xC1};  // invalid command
      expect(session->respond(r.msg_id, rsp) == vm::session_error::ok, "respond with 0xC1");
    }
  }
  void operator()(const vm::capabilities_event& c) {
    std::printf("  %7.3fs  bmc       emulator capabilities 0x%02X:", seconds(), c.caps.to_byte());
    for (auto cap : vm::all_capabilities_list)
      if (c.caps.has(cap)) std::printf(" %.*s", static_cast<int>(vm::name(cap).size()), vm::name(cap).data());
    std::printf("\n");
  }
  void operator()(const vm::hardware_event& h) {
    std::printf("  %7.3fs  bmc       emulator says %.*s\n", seconds(),
                static_cast<int>(vm::name(h.code).size()), vm::name(h.code).data());
  }
  void operator()(const vm::version_event& v) {
    std::printf("  %7.3fs  bmc       emulator speaks protocol version %u\n", seconds(), v.version);
  }
  void operator()(const vm::protocol_event& p) {
    std::printf("  %7.3fs  bmc       protocol problem: %.*s\n", seconds(),
                static_cast<int>(vm::name(p.problem).size()), vm::name(p.problem).data());
    ++problems;
  }
};

// --- the pipe ------------------------------------------------------------------------------

vm::emulator_session<clock_type> emulator;
vm::bmc_session<clock_type> bmc;
emulator_side emu_events;
bmc_side bmc_events;

// Moves bytes both ways, one write at a time, advancing the clock 1 ms per round, until both
// sides are quiet (bounded).
void pump() {
  // One write from `from` to `to`, shown on the way; false when `from` had nothing to send.
  const auto send = [](auto& from, const char* from_name, auto& to, auto& to_events) {
    const auto chunk = from.outbound(now);
    if (chunk.empty()) return false;
    const std::vector<std::uint8_t> bytes(chunk.begin(), chunk.end());
    std::printf("  %7.3fs  %-8s ->", seconds(), from_name);
    print_bytes(bytes);
    std::printf("\n");
    from.consume(bytes.size(), now);
    to.receive(bytes, now, to_events);
    return true;
  };
  for (int round = 0; round < 200; ++round) {
    const bool from_emulator = send(emulator, "emulator", bmc, bmc_events);
    const bool moved = send(bmc, "bmc", emulator, emu_events) || from_emulator;
    const bool waiting = bmc.next_deadline().has_value() || !bmc.pending().empty();
    if (!moved && !waiting) return;
    now += 1ms;
    bmc.poll(now, bmc_events);
    emulator.poll(now, emu_events);
  }
}

void step(const char* title) { std::printf("\n%s\n", title); }

}  // namespace

int main() {
  bmc_events.session = &bmc;

  step("1. Both sides connect and greet each other (the emulator announces QEMU's capabilities).");
  emulator.connect(now, emu_events);
  bmc.connect(now, bmc_events);
  pump();
  expect(bmc.peer_capabilities() == vm::qemu_capabilities, "capabilities arrive");

  step("2. The guest asks for the device id; message id 0.");
  const auto get_device_id = ipmikit::commands::get_device_id.request();
  expect(emulator.send_request(0x00, get_device_id, now, emu_events) == vm::session_error::ok, "send");
  pump();
  expect(emu_events.last_cc.size() == 1 && emu_events.last_cc.back() == 0x00, "device id answered");

  step("3. The BMC raises attention with an interrupt; the guest reads its message flags.");
  expect(bmc.set_attention(true, true) == vm::session_error::ok, "raise attention");
  bmc_events.attention = true;
  pump();
  const auto get_message_flags = ipmikit::commands::get_message_flags.request();
  emulator.send_request(0x01, get_message_flags, now, emu_events);
  pump();

  step("4. A request too short to hold a command is answered by the emulator itself (0xC7).");
  const std::uint8_t too_short[] = {0x18};
  emulator.send_request(0x02, too_short, now, emu_events);
  expect(emu_events.last_cc.back() == 0xC7, "0xC7");

  step("5. The BMC stays silent: after 4 s the emulator answers 0xC3 (timeout).");
  bmc_events.answer = false;
  emulator.send_request(0x03, get_device_id, now, emu_events);
  pump();
  if (const auto deadline = emulator.next_deadline()) now = *deadline;
  emulator.poll(now, emu_events);
  expect(emu_events.last_cc.back() == 0xC3, "0xC3");
  bmc_events.answer = true;

  step("6. The BMC may only power off what announced POWER; the guest is powered off.");
  expect(bmc.power_off() == vm::session_error::ok, "power off");
  pump();
  expect(!emu_events.hardware.empty() && emu_events.hardware.back() == vm::command::power_off,
         "POWEROFF arrives");

  step("7. The connection drops with a request outstanding: the emulator answers 0xD2.");
  emulator.send_request(0x04, get_device_id, now, emu_events);
  emulator.disconnect(now, emu_events);
  expect(emu_events.last_cc.back() == 0xD2, "0xD2");

  std::printf("\nemulator: %" PRIu64 " requests, %" PRIu64 " responses (%" PRIu64
              " local); bmc: %" PRIu64 " requests, %" PRIu64 " commands sent\n",
              emulator.stats().requests, emulator.stats().responses, emulator.stats().local_responses,
              bmc.stats().requests, bmc.stats().commands_out);
  expect(emu_events.problems == 0 && bmc_events.problems == 0, "no protocol problems");
  if (failures != 0) {
    std::fprintf(stderr, "loopback: %d step(s) went wrong\n", failures);
    return 1;
  }
  return 0;
}
