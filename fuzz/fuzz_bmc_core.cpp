// fuzz/fuzz_bmc_core.cpp — the BMC core (bmc/dispatcher.hpp) with every component behind it
// (controller and event receiver, watchdog, chassis, SEL, SDR and sensors, FRU, GUIDs, users,
// channels, LAN and SOL parameters), driven by arbitrary bytes: requests of any length, netfn,
// LUN, command and privilege, clock jumps forward and back, the watchdog's events delivered to
// the SEL and the event buffer as an application does, sensor readings changing, power
// changes reported to the chassis, and save/load of every component's durable state.
//
// Checked after every step:
// - a request is answered unless it is not one (under 2 bytes, or a response's netfn); the
//   answer is the request's netfn + 1 and LUN, its command, and a completion code; data only
//   with success; never more than the output buffer;
// - the SEL never holds more than its capacity; Get SEL Info agrees with the SEL; a reservation
//   the BMC just gave is valid, and the one before it is not;
// - the watchdog's present countdown never exceeds its initial countdown;
// - the chassis never queues more than its bound;
// - save() of each component loads back into a fresh one, and what loads is a fixed point;
// and at the end, a walk of the SEL with Get SEL Entry from the first record reaches exactly
// the records Get SEL Info counts, in at most that many steps.
#include <array>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <span>

#include <ipmikit/bmc/chassis.hpp>
#include <ipmikit/bmc/controller.hpp>
#include <ipmikit/bmc/dispatcher.hpp>
#include <ipmikit/bmc/fru.hpp>
#include <ipmikit/bmc/sdr.hpp>
#include <ipmikit/bmc/sel.hpp>
#include <ipmikit/bmc/users.hpp>
#include <ipmikit/bmc/watchdog.hpp>

#include "fuzz_common.hpp"

namespace {

using namespace ipmikit;

void check(bool ok) {
  if (!ok) std::abort();
}

using fuzz_clock = fuzz::manual_clock;  // time comes from the input
using time_point = fuzz_clock::time_point;

constexpr std::size_t sel_capacity = 16;  // small, so the fuzzer fills it and reaches the overflow paths

struct core {
  bmc::controller mc{};
  bmc::basic_watchdog<fuzz_clock> watchdog{bmc::watchdog_support{}};
  bmc::basic_chassis<fuzz_clock> chassis{};
  bmc::basic_sel<sel_capacity, fuzz_clock> sel{};
  bmc::basic_fru_inventory<256> fru{};
  bmc::guids ids{};
  bmc::basic_sdr_repository<8, fuzz_clock> sdr{};
  bmc::users users{};
  time_point clock = time_point{} + std::chrono::hours(1);
  [[nodiscard]] constexpr time_point now() const { return clock; }
};

using core_dispatcher = bmc::dispatcher<core, 96>;

struct input {
  const std::uint8_t* p;
  const std::uint8_t* end;
  std::uint8_t next() { return p != end ? *p++ : 0; }
  [[nodiscard]] bool done() const { return p == end; }
};

/// The response to one request message, checked for shape; returns its completion code.
std::uint8_t exchange(core_dispatcher& d, core& c, std::span<const std::uint8_t> request, bmc::origin from,
                      std::span<std::uint8_t> data_out = {}) {
  std::array<std::uint8_t, 300> out{};
  const auto r = d.dispatch(c, request, from, out);
  const bool is_request = request.size() >= 2 && ((request[0] >> 2) & 1u) == 0;
  check(static_cast<bool>(r) == is_request);
  if (!r) return 0xFF;
  check(r.size >= 3 && r.size <= out.size());
  check(out[0] == static_cast<std::uint8_t>(request[0] | 0x04u));  // netfn + 1, same LUN
  check(out[1] == request[1]);
  check(out[2] == static_cast<std::uint8_t>(r.code));
  if (r.code != completion_code::success) check(r.size == 3);
  const std::size_t n = std::min(data_out.size(), r.size - 3);
  std::copy_n(out.begin() + 3, n, data_out.begin());
  return out[2];
}

/// save() loads into a fresh component, and the state it loads is a fixed point: saved again,
/// loaded again, saved again, the bytes are the same. (Not always the first bytes: a chassis
/// drops the valid bit of boot flags that are not persistent when it loads.)
template <class Component>
void check_save_load(const Component& c) {
  std::array<std::uint8_t, 1024> first{}, second{}, third{};
  const std::size_t n = c.save(first);
  check(n > 0 && n <= first.size());
  Component once{}, twice{};
  check(once.load(std::span(first).first(n)) == decltype(once.load(first)){});
  const std::size_t m = once.save(second);
  check(m == n);
  check(twice.load(std::span(second).first(m)) == decltype(twice.load(second)){});
  check(twice.save(third) == m);
  check(std::equal(second.begin(), second.begin() + static_cast<std::ptrdiff_t>(m), third.begin()));
}

void check_sel(core_dispatcher& d, core& c) {
  check(c.sel.size() <= sel_capacity);
  std::array<std::uint8_t, 14> info{};
  check(exchange(d, c, std::array<std::uint8_t, 2>{0x28, 0x40}, {}, info) == 0);
  check((info[1] | info[2] << 8) == static_cast<int>(c.sel.size()));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static core_dispatcher d = [] {
    core_dispatcher x;
    check(bmc::add_watchdog_commands<&core::watchdog>(x) == bmc::add_error::ok);
    check(bmc::add_chassis_commands<&core::chassis>(x) == bmc::add_error::ok);
    check(bmc::add_sel_commands<&core::sel>(x) == bmc::add_error::ok);
    check(bmc::add_fru_commands<&core::fru>(x) == bmc::add_error::ok);
    check(bmc::add_guid_commands<&core::ids>(x) == bmc::add_error::ok);
    check(bmc::add_controller_commands<&core::mc, &core::watchdog>(x) == bmc::add_error::ok);
    check(bmc::add_event_receiver_commands<&core::mc, &core::sel>(x) == bmc::add_error::ok);
    check(bmc::add_sdr_commands<&core::sdr>(x) == bmc::add_error::ok);
    check(bmc::add_user_commands<&core::users>(x) == bmc::add_error::ok);
    check(bmc::add_channel_commands<&core::users>(x) == bmc::add_error::ok);
    check(bmc::add_lan_commands<&core::users>(x) == bmc::add_error::ok);
    return x;
  }();
  core c;
  bmc::fru_config fru_cfg{};
  fru_cfg.board_product = "fuzz";
  check(static_cast<bool>(c.fru.build(fru_cfg)));
  static constexpr bmc::threshold_sensor temperature = [] {
    bmc::threshold_sensor t;
    t.name = "Temp";
    t.number = 0x02;
    t.thresholds.readable = cmd::threshold_bit::upper_non_critical;
    t.thresholds.upper_non_critical = 40;
    return t;
  }();
  bmc::sdr_config sdr_cfg{};
  sdr_cfg.threshold_sensors = std::span(&temperature, 1);
  check(static_cast<bool>(c.sdr.build(sdr_cfg, c.now())));

  input in{data, data + size};
  std::uint16_t last_reservation = 0;
  std::array<std::uint8_t, 64> request{};
  for (unsigned step = 0; step < 256 && !in.done(); ++step) {
    const std::uint8_t op = in.next();
    switch (op % 6) {
      case 0:
      case 1: {  // a request: netfn/LUN byte, command, data; sent at a privilege
        const std::size_t n = std::min<std::size_t>(in.next() % 40u, request.size());
        for (std::size_t i = 0; i < n; ++i) request[i] = in.next();
        const bmc::origin from{static_cast<bmc::privilege>(in.next() % 6u), 0x0F};
        exchange(d, c, std::span(request).first(n), from);
        break;
      }
      case 2: {  // a request to the netfns the components serve: chassis, app, storage, sensor, transport
        static constexpr std::array<std::uint8_t, 5> netfns{0x00 << 2, 0x06 << 2, 0x0A << 2, 0x04 << 2, 0x0C << 2};
        request[0] = netfns[in.next() % netfns.size()];
        request[1] = in.next();
        const std::size_t n = 2 + in.next() % 18u;
        for (std::size_t i = 2; i < n; ++i) request[i] = in.next();
        exchange(d, c, std::span(request).first(n), {});
        break;
      }
      case 3: {  // the clock jumps, mostly forward, sometimes back
        const auto amount = std::chrono::milliseconds((in.next() << 8 | in.next()) * 37);
        c.clock = (op & 0x80u) != 0 ? c.clock - amount : c.clock + amount;
        c.watchdog.poll(c.now(), [&](const auto& e) {
          (void)c.sdr.set_states(bmc::watchdog_sensor_number, static_cast<std::uint16_t>(1u << e.event.offset()));
          if (!e.dont_log) (void)bmc::deliver_event(c.mc, c.sel, e.event.sel_record(0, 0, 0), c.now());
        });
        (void)c.sdr.set_reading(0x02, in.next());
        (void)c.chassis.poll(c.now());
        break;
      }
      case 4: {  // the application carries out a chassis request and reports the power change
        if (const auto r = c.chassis.take_request()) {
          const bool on = r->action != cmd::chassis_action::power_down;
          (void)c.chassis.power_changed(on, cmd::restart_cause::chassis_control, c.now());
        }
        break;
      }
      case 5: {  // Reserve SEL: the new reservation is valid, the old one is not
        std::array<std::uint8_t, 2> id{};
        check(exchange(d, c, std::array<std::uint8_t, 2>{0x28, 0x42}, {}, id) == 0);
        const auto r = static_cast<std::uint16_t>(id[0] | id[1] << 8);
        check(c.sel.reservation_valid(r));
        if (last_reservation != 0 && last_reservation != r) check(!c.sel.reservation_valid(last_reservation));
        last_reservation = r;
        break;
      }
      default: break;
    }
    check(c.watchdog.present_countdown(c.now()) <= c.watchdog.initial_countdown());
    check(c.chassis.pending_requests() <= bmc::chassis_queue_capacity);
    check_sel(d, c);
  }
  check_save_load(c.sel);
  check_save_load(c.chassis);
  check_save_load(c.fru);
  check_save_load(c.users);

  // Walk the SEL as ipmitool's `sel list` does: Get SEL Entry from 0000h (first) until FFFFh.
  std::uint16_t next = 0x0000;
  std::size_t seen = 0;
  while (c.sel.size() != 0 && next != 0xFFFF) {
    check(seen < c.sel.size());
    const std::array<std::uint8_t, 8> get{0x28, 0x43, 0, 0, static_cast<std::uint8_t>(next),
                                          static_cast<std::uint8_t>(next >> 8), 0, 0xFF};
    std::array<std::uint8_t, 18> entry{};
    check(exchange(d, c, get, {}, entry) == 0);
    next = static_cast<std::uint16_t>(entry[0] | entry[1] << 8);
    ++seen;
  }
  check(seen == c.sel.size());
  return 0;
}
