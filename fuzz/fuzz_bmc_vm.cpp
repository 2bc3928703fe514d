// fuzz/fuzz_bmc_vm.cpp — one ipmikit-bmc VM (apps/ipmikit-bmc/bmc.hpp) driven by arbitrary
// bytes: raw wire bytes from a misbehaving peer, well-formed IPMI requests through a real
// emulator session (to reach the watchdog, flags and event buffer), clock jumps, disconnects,
// reconnects and operator commands (power, SEL list/clear, boot device), in any order.
//
// Checked after every step: the BMC's output stays within its buffer; every response the
// emulator gets to a request it sent carries one of the completion codes the BMC may use; the
// message flags hold only the two this BMC sets; the watchdog's present countdown never exceeds
// its initial one; a running watchdog has a deadline; at most 4 power commands are pending
// (coalesced); the emulator and the BMC settle (no endless exchange).
#include <cstdint>
#include <cstdlib>
#include <iterator>
#include <span>

#include "bmc_rig.hpp"
#include <ipmikit-bmc/control.hpp>

namespace {

void check(bool ok) {
  if (!ok) std::abort();
}

struct reader {
  const std::uint8_t* p;
  const std::uint8_t* end;
  std::uint8_t next() { return p != end ? *p++ : 0; }
  std::span<const std::uint8_t> take(std::size_t n) {
    n = std::min<std::size_t>(n, static_cast<std::size_t>(end - p));
    const std::span<const std::uint8_t> s(p, n);
    p += n;
    return s;
  }
  [[nodiscard]] bool done() const { return p == end; }
};

bool allowed_cc(std::uint8_t cc) {
  switch (cc) {
    case 0x00: case 0x80: case 0xC1: case 0xC2: case 0xC3: case 0xC7: case 0xCC: case 0xD2: case 0xD5: return true;
    // The components' own: boot options 81h/82h, Set Channel Access 83h (access mode not
    // supported), SEL full C4h, reservation C5h, out of range C9h, cannot return the bytes CAh,
    // not present CBh, illegal for the sensor CDh, a null user or disabled authentication D6h,
    // the chassis's request queue full C0h.
    case 0x81: case 0x82: case 0x83: case 0xC4: case 0xC5: case 0xC9: case 0xCA: case 0xCB: case 0xCD: case 0xD6:
    case 0xC0: return true;
    default: return false;  // C3/D2 are the emulator session's own (timeout, disconnected); FFh never
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace ipmikit_bmc;
  using namespace std::chrono_literals;
  reader in{data, data + size};
  vm_config cfg = testing::rig::default_vm();
  const std::uint8_t setup = in.next();
  if ((setup & 1u) != 0) {
    cfg.watchdog.timeout = static_cast<std::uint16_t>(1 + in.next());
    cfg.watchdog.action = static_cast<timeout_action>((setup >> 1) & 3u);
    cfg.watchdog.pretimeout = (setup & 8u) != 0 ? pretimeout_interrupt::messaging : pretimeout_interrupt::nmi;
    cfg.watchdog.pretimeout_seconds = static_cast<std::uint8_t>(in.next() % 4u);
    cfg.watchdog.start_on_connect = (setup & 16u) != 0;
  }
  testing::rig r(cfg, ipmikit::vm::capabilities::from_byte(static_cast<std::uint8_t>(in.next() & 0x3Fu)));
  vm_bmc* const vms[] = {r.bmc.get()};

  for (int step = 0; step < 200 && !in.done(); ++step) {
    switch (in.next() % 7u) {
      case 0:  // raw bytes from the peer, straight into the BMC
        r.bmc->receive(in.take(in.next()), r.now);
        break;
      case 1: {  // a request through the emulator session
        // A request netfn (even), so that these reach the BMC's handlers: a response sent to
        // the BMC is not answered (the raw-bytes step sends those).
        const std::uint8_t netfn = (in.next() & 1u) != 0 ? 0x06 : static_cast<std::uint8_t>(in.next() & 0x3Eu);
        testing::bytes body{static_cast<std::uint8_t>((static_cast<unsigned>(netfn) << 2) | (in.next() % 5u == 0 ? 1u : 0u)), in.next()};
        const auto extra = in.take(in.next() % 8u);
        body.insert(body.end(), extra.begin(), extra.end());
        r.responses.clear();
        const bool was_connected = r.emu.connected();
        if (!r.emu.request_outstanding() &&
            r.emu.send_request(r.next_id++, body, r.now, r.handler()) == ipmikit::vm::session_error::ok) {
          check(r.pump());
          for (const auto& resp : r.responses) check(resp.size() >= 3 && allowed_cc(resp[2]));
          if (was_connected && !r.responses.empty()) check(r.responses.back().size() <= ipmikit::vm::max_message_size);
        }
        break;
      }
      case 2:  // time passes
        r.advance(std::chrono::milliseconds(100 * static_cast<int>(in.next())));
        break;
      case 3:  // the VM goes away, or comes back
        if (r.bmc->connected()) {
          r.bmc->disconnected(r.now, "fuzz");
          r.emu.disconnect(r.now, r.handler());
        } else {
          r.bmc->connected(r.now, "fuzz");
          r.emu.connect(r.now, r.handler());
          check(r.pump());
        }
        break;
      case 4: {  // an operator command
        static constexpr const char* commands[] = {
            "list",          "status vm1",         "power off vm1",     "power reset vm1", "power nmi vm1",
            "power soft vm1", "status nobody",     "help",              "sel list vm1",    "sel list vm1 0x2",
            "sel list vm1 0xFFFF", "sel clear vm1", "boot get vm1",     "boot set vm1 pxe",
            "boot set vm1 disk persistent", "boot set vm1 floppy"};
        const std::string answer = control_command(commands[in.next() % std::size(commands)], vms, r.now);
        check(answer.ends_with("ok\n") || answer.starts_with("ok ") || answer.starts_with("error "));
        break;
      }
      case 5:  // the emulator drains what the BMC sent
        check(r.pump());
        break;
      default:  // the BMC's own clock tick
        r.bmc->poll(r.now);
        break;
    }
    check(r.bmc->session().pending().size() <= 2048);
    check(r.bmc->power_pending() <= 4);  // one in flight + one of each other kind, whatever is asked
    check((r.bmc->message_flags() & ~0x0Au) == 0);
    check(r.bmc->timer().present_countdown(r.now) <= r.bmc->timer().initial_countdown() || !r.bmc->timer().running());
    check(!r.bmc->timer().running() || r.bmc->next_deadline().has_value());
  }
  return 0;
}
