// bt-loopback — a BT host driver talking to a BMC through every layer ipmikit has, in memory:
//
//   bt::host ⇄ bt::device ⇄ si::emulator_bridge ⇄ vm::session<emulator> ⇄ wire ⇄ vm::session<bmc> ⇄ BMC logic
//
// The same machine as kcs-loopback with the other register interface: the bridge is the same
// class, only the device type changes. It runs Get BT Interface Capabilities (and applies the
// answer to the driver), Get Device ID, and a request the BMC answers after the driver gave up
// (the driver resends; the emulator's 0xC3 for the first copy reaches a device that has the
// resend instead, so it is dropped; the resend gets its own answer).
//
// Usage: bt-loopback [--quiet]   (exits 0 when every step behaved as expected, 1 otherwise)
#include <ipmikit/ipmikit.hpp>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <optional>
#include <span>
#include <type_traits>
#include <vector>

namespace {

namespace bt = ipmikit::bt;
namespace si = ipmikit::si;
namespace vm = ipmikit::vm;
using clock_type = std::chrono::steady_clock;
using namespace std::chrono_literals;

bool quiet = false;
int failures = 0;

void expect(bool ok, const char* what) {
  if (!ok) {
    std::fprintf(stderr, "bt-loopback: unexpected: %s\n", what);
    ++failures;
  }
}

class machine {
 public:
  clock_type::time_point now{};
  int ignore = 0;  // requests the BMC leaves unanswered

  machine() {
    bridge_.connect(now);
    bmc_.connect(now, [](const auto&) {});
    pump();
  }

  // bt::register_bus: what the host's port accesses reach.
  std::uint8_t read_control() { return device_.read_control(); }
  std::uint8_t read_buffer() { return device_.read_buffer(); }
  void write_control(std::uint8_t v) { (void)device_.write_control(v); }
  void write_buffer(std::uint8_t v) { device_.write_buffer(v); }
  void idle() { pump(); }  // the host polls: let the rest of the machine work
  clock_type::time_point tick() { return now += 10us; }

  const si::bridge_stats& bridge_stats() const { return bridge_.stats(); }

 private:
  void pump() {
    for (int round = 0; round < 16; ++round) {
      bool moved = bridge_.forward(now);
      for (auto out = emulator_.outbound(now); !out.empty(); out = emulator_.outbound(now)) {
        bmc_.receive(out, now, [this](const auto& e) { on_bmc(e); });
        emulator_.consume(out.size(), now);
        moved = true;
      }
      for (auto out = bmc_.outbound(now); !out.empty(); out = bmc_.outbound(now)) {
        bridge_.receive(out, now);  // the answer goes back to the device
        bmc_.consume(out.size(), now);
        moved = true;
      }
      bridge_.poll(now);
      if (!moved) return;
    }
  }

  // The BMC: Get BT Interface Capabilities, Get Device ID, anything else echoed back; the next
  // `ignore` requests are left unanswered (a BMC that is slow or lost them).
  template <class Event>
  void on_bmc(const Event& e) {
    if constexpr (std::is_same_v<Event, vm::request_event>) {
      if (!quiet) std::printf("  bmc: request id=%02X cmd %02X\n", e.msg_id, e.cmd());
      std::vector<std::uint8_t> rsp{static_cast<std::uint8_t>(e.body[0] | 0x04), e.cmd(), 0x00};
      if (e.is(ipmikit::commands::get_bt_interface_capabilities)) {
        rsp.insert(rsp.end(), {0x01, 0x3F, 0x3F, 0x02, 0x02});  // 1 outstanding, 63-byte buffers, 2 s, 2 retries
      } else if (e.is(ipmikit::commands::get_device_id)) {
        rsp.insert(rsp.end(), {0x20, 0x81, 0x02, 0x17, 0x02, 0xBF, 0x57, 0x01, 0x00, 0xA0, 0x00});
      } else {
        rsp.insert(rsp.end(), e.data().begin(), e.data().end());
      }
      if (ignore > 0) {
        --ignore;
        return;
      }
      expect(bmc_.respond(e.msg_id, rsp) == vm::session_error::ok, "the BMC responds");
    }
  }

  bt::device device_;
  vm::emulator_session<clock_type> emulator_;
  si::emulator_bridge<bt::device, vm::emulator_session<clock_type>> bridge_{device_, emulator_};
  vm::bmc_session<clock_type> bmc_{vm::bmc_session<clock_type>::config{.command_gap = {}}};
};

si::outcome transact(bt::host& host, machine& m, std::span<const std::uint8_t> request, const char* what) {
  if (const auto e = host.start(request, m.now); e != si::host_error::ok) {
    std::fprintf(stderr, "bt-loopback: start refused: %.*s\n", static_cast<int>(si::name(e).size()),
                 si::name(e).data());
    ++failures;
    return host.outcome();
  }
  const auto outcome = bt::drive(host, m, [&] { return m.tick(); }, 10'000'000);
  if (!quiet) {
    std::printf("  host: %s: %.*s, seq %02X, %u attempt(s), response", what,
                static_cast<int>(si::name(outcome).size()), si::name(outcome).data(), host.seq(),
                host.attempts());
    for (std::uint8_t b : host.response()) std::printf(" %02X", b);
    std::printf("\n");
  }
  return outcome;
}

}  // namespace

int main(int argc, char** argv) {
  quiet = argc == 2 && std::strcmp(argv[1], "--quiet") == 0;
  if (argc > 1 && !quiet) {
    std::fprintf(stderr, "usage: bt-loopback [--quiet]\n");
    return 2;
  }
  machine m;
  bt::host host;

  expect(transact(host, m, ipmikit::commands::get_bt_interface_capabilities.request(), "Get BT Interface Capabilities") ==
             si::outcome::done, "capabilities answered");
  if (const auto caps = bt::parse_capabilities(host.response())) {
    host.apply(*caps);  // 2 s response timeout, 2 retries, 63-byte requests
  } else {
    expect(false, "capabilities parse");
  }
  expect(transact(host, m, ipmikit::commands::get_device_id.request(), "Get Device ID") == si::outcome::done &&
             host.response().size() == 14, "Get Device ID answered");

  // The BMC loses a request: the driver resends after 2 s; the resend waits in the device until
  // the emulator gives up on the first copy (0xC3 at 4 s, refused by the device: dropped).
  m.ignore = 1;
  const std::uint8_t oem_echo[] = {0x18, 0x3A, 0x07};  // App 3Ah (no standard command): echoed
  expect(transact(host, m, oem_echo, "a lost request") == si::outcome::done, "the resend answered");
  expect(host.attempts() >= 2 && host.response().size() == 4 && host.response()[2] == 0x00 &&
             host.response()[3] == 0x07, "the driver got the answer to its resend");
  expect(m.bridge_stats().dropped == 1, "the emulator's 0xC3 for the lost copy was dropped");

  if (!quiet)
    std::printf("bridge: %llu requests forwarded, %llu answers delivered, %llu dropped\n",
                static_cast<unsigned long long>(m.bridge_stats().forwarded),
                static_cast<unsigned long long>(m.bridge_stats().delivered),
                static_cast<unsigned long long>(m.bridge_stats().dropped));
  if (failures != 0) {
    std::fprintf(stderr, "bt-loopback: %d unexpected results\n", failures);
    return 1;
  }
  if (!quiet) std::printf("bt-loopback: every step behaved as expected\n");
  return 0;
}
