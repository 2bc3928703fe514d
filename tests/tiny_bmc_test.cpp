// tests/tiny_bmc_test.cpp — examples/tiny_bmc.cpp as a user runs it: the program on two pipes,
// this test in QEMU's place with vm::emulator_session. The greeting; Get Device ID and Get Self
// Test Results from its controller; Get System GUID from the UUID on its command line (and a
// bad UUID refused with exit status 2); a command it does not serve (C1) and a request of the
// wrong length (C7) answered by the dispatcher; its watchdog armed for 1 s with a hard reset,
// which sends RESET to the VM and logs the expiry in its SEL; then end of input: it exits 0.
// Every wait is bounded; the child is stopped by its PID if it outlives the test.
//
//   tiny_bmc_test PATH/TO/tiny-bmc        exit 0 passed, 1 a check failed, 2 usage
#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <optional>
#include <string>
#include <type_traits>
#include <vector>

#include <fcntl.h>
#include <signal.h>
#include <poll.h>
#include <unistd.h>

#include <ipmikit/bmc/fru.hpp>
#include <ipmikit/vm/session.hpp>

#include "interop/check.hpp"
#include "interop/common.hpp"
#include "interop/process.hpp"

namespace {

using namespace ipmikit;
using namespace ipmikit::interop;
using bytes = std::vector<std::uint8_t>;
using emulator = vm::emulator_session<steady>;

/// What the emulator session reported.
struct recorder {
  struct response {
    std::uint8_t msg_id;
    bool local;  // answered by the session itself, not by tiny-bmc
    bytes body;
  };
  std::vector<std::uint8_t> versions;
  std::vector<response> responses;
  std::vector<std::string> problems;
  std::vector<vm::command> hardware;  // RESET, POWEROFF, attention, ...

  void operator()(const vm::version_event& v) { versions.push_back(v.version); }
  void operator()(const vm::response_event& r) { responses.push_back({r.msg_id, r.local, {r.body.begin(), r.body.end()}}); }
  void operator()(const vm::protocol_event& p) { problems.push_back(std::string(vm::name(p.problem))); }
  void operator()(const vm::hardware_event& h) { hardware.push_back(h.code); }
  void operator()(const auto&) {}  // capabilities: not expected, not needed
};

/// The test's ends of the two pipes to tiny-bmc, and the session that speaks over them.
struct emulator_link {
  unique_fd to_bmc;
  unique_fd from_bmc;
  emulator session;
  recorder seen;

  /// Moves bytes both ways until `done()` or `timeout`; false on timeout or an I/O error.
  template <class Done>
  bool pump_until(Done done, millis timeout) {
    const deadline d(timeout);
    while (!done()) {
      for (auto o = session.outbound(steady::now()); !o.empty(); o = session.outbound(steady::now())) {
        const ssize_t n = ::write(to_bmc.get(), o.data(), o.size());
        if (n <= 0) return false;
        session.consume(static_cast<std::size_t>(n), steady::now());
      }
      if (d.expired()) return false;
      pollfd p{from_bmc.get(), POLLIN, 0};
      const int wait_ms = session.pending().empty() ? std::min(d.remaining_ms(), 50) : 1;
      if (::poll(&p, 1, wait_ms) > 0) {
        std::uint8_t in[512];
        const ssize_t n = ::read(from_bmc.get(), in, sizeof in);
        if (n <= 0) return false;
        session.receive(std::span(in, static_cast<std::size_t>(n)), steady::now(), seen);
      }
      session.poll(steady::now(), seen);
    }
    return true;
  }

  /// Sends `request` as `msg_id` and waits (at most 5 s) for its response body.
  std::optional<bytes> ask(std::uint8_t msg_id, const bytes& request) {
    const std::size_t before = seen.responses.size();
    if (session.send_request(msg_id, request, steady::now(), seen) != vm::session_error::ok) return std::nullopt;
    if (!pump_until([&] { return seen.responses.size() > before; }, millis(5000))) return std::nullopt;
    const recorder::response& r = seen.responses.back();
    if (r.msg_id != msg_id || r.local) return std::nullopt;
    return r.body;
  }
};

constexpr std::string_view uuid = "12345678-9abc-def0-1122-334455667788";

int run(const std::string& binary) {
  checker c;
  {  // a bad UUID: exit status 2 before it speaks
    auto bad = process::spawn({binary, "not-a-uuid"}, spawn_options{});
    if (c.check_ok(bad, "started " + binary + " not-a-uuid")) {
      const auto ended = bad->wait_exit(millis(5000));
      c.check(ended.has_value() && ended->exited && ended->code == 2,
              "tiny-bmc exits 2 on a bad UUID", ended ? ended->describe() : std::string("still running after 5 s"));
      if (!ended) (void)bad->stop();
    }
  }
  int to_child[2];
  int from_child[2];
  if (!c.check(::pipe2(to_child, O_CLOEXEC) == 0 && ::pipe2(from_child, O_CLOEXEC) == 0, "pipes"))
    return c.failures();
  emulator_link link{unique_fd(to_child[1]), unique_fd(from_child[0]), {}, {}};
  unique_fd child_in(to_child[0]);
  unique_fd child_out(from_child[1]);
  spawn_options opts;
  opts.input_fd = child_in.get();
  opts.output_fd = child_out.get();
  opts.error_fd = STDERR_FILENO;  // its messages go to the test's log
  auto bmc = process::spawn({binary, std::string(uuid)}, opts);
  if (!c.check_ok(bmc, "started " + binary)) return c.failures();
  say("  tiny-bmc pid " + std::to_string(bmc->pid()));
  child_in.reset();  // the child holds its ends now: EOF reaches each side when the other closes
  child_out.reset();

  link.session.connect(steady::now(), link.seen);
  c.check(link.pump_until([&] { return !link.seen.versions.empty(); }, millis(5000)) && link.seen.versions[0] == 1,
          "tiny-bmc greets with VERSION 1");

  // Get Device ID: the controller's default identity (device 00h, firmware 0.00, IPMI 2.0).
  const auto id = link.ask(0x01, {0x18, 0x01});
  c.check(id.has_value(), "Get Device ID answered");
  if (id) c.check_bytes(*id, {0x1C, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00}, "Get Device ID");
  const auto self_test = link.ask(0x05, {0x18, 0x04});
  c.check(self_test.has_value(), "Get Self Test Results answered");
  if (self_test) c.check_bytes(*self_test, {0x1C, 0x04, 0x00, 0x55, 0x00}, "Get Self Test Results: passed");

  // Get System GUID: the UUID of the command line, in IPMI's byte order.
  const auto guid = link.ask(0x02, {0x18, 0x37});
  const auto expected = bmc::guid_from_text(uuid);
  c.check(guid.has_value() && static_cast<bool>(expected), "Get System GUID answered");
  if (guid && expected) {
    bytes want{0x1C, 0x37, 0x00};
    want.insert(want.end(), expected.value.begin(), expected.value.end());
    c.check_bytes(*guid, want, "Get System GUID");
  }

  // Get Chassis Status: a real command tiny-bmc does not serve (it has no chassis).
  const auto unknown = link.ask(0x03, {0x00, 0x01});
  c.check(unknown.has_value(), "an unknown command answered");
  if (unknown) c.check_bytes(*unknown, {0x04, 0x01, 0xC1}, "unknown command: C1");

  // Get Device ID takes no data: one byte too many.
  const auto too_long = link.ask(0x04, {0x18, 0x01, 0x00});
  c.check(too_long.has_value(), "a request of the wrong length answered");
  if (too_long) c.check_bytes(*too_long, {0x1C, 0x01, 0xC7}, "wrong length: C7");

  // Set Watchdog Timer: SMS/OS, hard reset, no pre-timeout, 1 s (10 × 100 ms); then Reset
  // Watchdog Timer starts it. Within 3 s tiny-bmc sends RESET, and the SEL holds one record.
  const auto set = link.ask(0x06, {0x18, 0x24, 0x04, 0x01, 0x00, 0x00, 0x0A, 0x00});
  c.check(set.has_value(), "Set Watchdog Timer answered");
  if (set) c.check_bytes(*set, {0x1C, 0x24, 0x00}, "Set Watchdog Timer");
  const auto start = link.ask(0x07, {0x18, 0x22});
  if (start) c.check_bytes(*start, {0x1C, 0x22, 0x00}, "Reset Watchdog Timer");
  const auto reset_seen = [&] {
    return std::find(link.seen.hardware.begin(), link.seen.hardware.end(), vm::command::reset) != link.seen.hardware.end();
  };
  c.check(link.pump_until(reset_seen, millis(3000)), "the watchdog's expiry sends RESET within 3 s");
  const auto sel_info = link.ask(0x08, {0x28, 0x40});
  c.check(sel_info.has_value() && sel_info->size() >= 6 && (*sel_info)[2] == 0x00, "Get SEL Info answered");
  if (sel_info && sel_info->size() >= 6)
    c.check((*sel_info)[4] == 1 && (*sel_info)[5] == 0, "the SEL holds the expiry: 1 entry");
  const auto watchdog = link.ask(0x09, {0x18, 0x25});
  c.check(watchdog.has_value() && watchdog->size() == 11 && (*watchdog)[2] == 0x00 && ((*watchdog)[6] & 0x10) != 0,
          "Get Watchdog Timer: the SMS/OS expiration flag is set");

  c.check(link.seen.problems.empty(), "no protocol problem", join(link.seen.problems));

  // End of input: the emulator hung up, so tiny-bmc exits 0.
  link.to_bmc.reset();
  const auto ended = bmc->wait_exit(millis(5000));
  c.check(ended.has_value() && ended->success(), "tiny-bmc exits 0 at the end of its input",
          ended ? ended->describe() : std::string("still running after 5 s"));
  if (!ended) (void)bmc->stop();  // SIGTERM, then SIGKILL, to its PID
  return c.failures();
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s PATH/TO/tiny-bmc\n", argv[0]);
    return 2;
  }
  ::signal(SIGPIPE, SIG_IGN);  // a tiny-bmc that died early is a failed write, not our death
  return pass_or_fail(run(argv[1]));
}
