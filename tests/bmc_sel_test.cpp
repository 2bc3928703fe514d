// The BMC core's sel component (include/ipmikit/bmc/sel.hpp): ipmitool's `sel list`, `sel info`
// and `sel clear` byte for byte through a dispatcher, every refusal by name, the overflow flag,
// record IDs, the SEL time, reservations, the saved format and each load error, the watchdog's
// events logged, and a SEL run at compile time.
#include <doctest/doctest.h>

#include <array>
#include <chrono>
#include <cstdint>
#include <span>
#include <vector>

#include <ipmikit/bmc/dispatcher.hpp>
#include <ipmikit/bmc/sel.hpp>
#include <ipmikit/bmc/watchdog.hpp>
#include <ipmikit/cmd/sel.hpp>

#include "bmc_support.hpp"
#include "test_support.hpp"

using namespace ipmikit;
using namespace ipmikit::test::bmc_names;

namespace {

template <std::size_t N>
using sel_t = bmc::basic_sel<N, test_clock>;
using rc = completion_code;

constexpr std::uint32_t T0 = 0x01020304;     // seconds since the test clock's epoch
constexpr tp t0 = tp{} + std::chrono::seconds(T0);

/// A system event record (what the BMC or Add SEL Entry logs); the SEL sets ID and time.
constexpr cmd::sel_record event(std::uint8_t sensor_number, std::uint8_t data1 = 0x01) {
  cmd::sel_record r;
  r.record_id = 0x7777;  // ignored
  r.timestamp = 0xAAAAAAAA;  // replaced
  r.generator_address = 0x40;
  r.software_generator = true;  // system software ID 20h: 41h on the wire
  r.sensor_type = 0x07;  // processor
  r.sensor_number = sensor_number;
  r.event_type = 0x6F;
  r.event_data = {data1, 0xFF, 0xFF};
  return r;
}

/// The 16 bytes Get SEL Entry returns for event(sensor, data1) stored with `id` at `time`.
bytes event_bytes(std::uint16_t id, std::uint32_t time, std::uint8_t sensor_number, std::uint8_t data1 = 0x01) {
  return {static_cast<std::uint8_t>(id), static_cast<std::uint8_t>(id >> 8), 0x02,
          static_cast<std::uint8_t>(time), static_cast<std::uint8_t>(time >> 8), static_cast<std::uint8_t>(time >> 16),
          static_cast<std::uint8_t>(time >> 24), 0x41, 0x00, 0x04, 0x07, sensor_number, 0x6F, data1, 0xFF, 0xFF};
}

bytes cat(bytes a, const bytes& b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

constexpr cmd::get_sel_entry::request read(std::uint16_t id, std::uint16_t reservation = 0, std::uint8_t offset = 0,
                                           std::uint8_t count = 0xFF) {
  cmd::get_sel_entry::request r;
  r.reservation_id = reservation;
  r.record_id = id;
  r.offset = offset;
  r.bytes_to_read = count;
  return r;
}
constexpr cmd::delete_sel_entry::request del(std::uint16_t reservation, std::uint16_t id) {
  cmd::delete_sel_entry::request r;
  r.reservation_id = reservation;
  r.record_id = id;
  return r;
}
constexpr cmd::clear_sel::request clr(std::uint16_t reservation,
                                      cmd::clear_sel_action a = cmd::clear_sel_action::initiate_erase) {
  cmd::clear_sel::request r;
  r.reservation_id = reservation;
  r.action = a;
  return r;
}

/// The bytes of the i-th record, as Get SEL Entry returns them.
template <class Sel>
bytes stored(const Sel& s, std::size_t i) {
  const auto& b = s.bytes_at(i);
  return bytes(b.begin(), b.end());
}

template <class Sel>
bytes saved(const Sel& s) {
  bytes out(Sel::max_saved_size);
  out.resize(s.save(out));
  return out;
}

/// A BMC whose Context holds the SEL and says what time it is.
struct my_bmc {
  sel_t<4> log;
  tp clock = t0;
  [[nodiscard]] constexpr tp now() const { return clock; }
};

/// A SEL whose records live in a vector that grows with them (what a fleet BMC uses).
template <std::size_t N>
using growing_sel = bmc::basic_sel<N, test_clock, std::vector<bmc::sel_entry>>;

using sel_dispatcher = bmc::dispatcher<my_bmc, 12>;

sel_dispatcher make_dispatcher() {
  sel_dispatcher d;
  REQUIRE(bmc::add_sel_commands<&my_bmc::log>(d) == bmc::add_error::ok);
  return d;
}


std::uint8_t lo(std::uint16_t v) { return static_cast<std::uint8_t>(v); }
std::uint8_t hi(std::uint16_t v) { return static_cast<std::uint8_t>(v >> 8); }

}  // namespace

TEST_SUITE("bmc") {
  // --- ipmitool through the dispatcher -------------------------------------------------------

  TEST_CASE("bmc sel: ipmitool's sel list loop reads every record byte for byte until the next ID is FFFFh") {
    sel_dispatcher d = make_dispatcher();
    my_bmc b;
    // Two records added by Add SEL Entry, one by the BMC itself, a second apart each.
    CHECK(dispatch_bytes(d, b, cat({0x28, 0x44}, event_bytes(0x7777, 0, 0x10))) == bytes{0x2C, 0x44, 0x00, 0x01, 0x00});
    b.clock = t0 + 1s;
    CHECK(dispatch_bytes(d, b, cat({0x28, 0x44}, event_bytes(0, 0, 0x11, 0x02))) == bytes{0x2C, 0x44, 0x00, 0x02, 0x00});
    REQUIRE(b.log.add(event(0x12), t0 + 2s) == bmc::sel_result{rc::success, 3});

    std::vector<bytes> seen;
    std::uint16_t id = 0x0000;
    for (int guard = 0; guard < 10; ++guard) {
      const bytes rs = dispatch_bytes(d, b, {0x28, 0x43, 0x00, 0x00, lo(id), hi(id), 0x00, 0xFF});
      REQUIRE(rs.size() == 3 + 2 + 16);
      REQUIRE(rs[2] == 0x00);
      seen.push_back(rs);
      id = static_cast<std::uint16_t>(rs[3] | (rs[4] << 8));
      if (id == 0xFFFF) break;
    }
    REQUIRE(seen.size() == 3);
    CHECK(seen[0] == cat({0x2C, 0x43, 0x00, 0x02, 0x00}, event_bytes(1, T0, 0x10)));
    CHECK(seen[1] == cat({0x2C, 0x43, 0x00, 0x03, 0x00}, event_bytes(2, T0 + 1, 0x11, 0x02)));
    CHECK(seen[2] == cat({0x2C, 0x43, 0x00, 0xFF, 0xFF}, event_bytes(3, T0 + 2, 0x12)));
    // FFFFh is the last record; its own ID reads the same.
    CHECK(dispatch_bytes(d, b, {0x28, 0x43, 0x00, 0x00, 0xFF, 0xFF, 0x00, 0xFF}) == seen[2]);
    CHECK(dispatch_bytes(d, b, {0x28, 0x43, 0x00, 0x00, 0x03, 0x00, 0x00, 0xFF}) == seen[2]);
    CHECK(dispatch_bytes(d, b, {0x28, 0x43, 0x00, 0x00, 0x02, 0x00, 0x00, 0x10}) == seen[1]);  // 16 bytes: whole too
  }

  TEST_CASE("bmc sel: ipmitool's sel info gets exactly 14 bytes: version 51h, entries, free bytes, times, "
            "Delete and Reserve supported") {
    sel_dispatcher d = make_dispatcher();
    my_bmc b;
    // Empty: 0 entries, 4 x 16 free, never added, never erased.
    CHECK(dispatch_bytes(d, b, {0x28, 0x40}) == bytes{0x2C, 0x40, 0x00, 0x51, 0x00, 0x00, 0x40, 0x00, 0xFF, 0xFF, 0xFF, 0xFF,
                                           0xFF, 0xFF, 0xFF, 0xFF, 0x0A});
    REQUIRE(b.log.add(event(1), t0 + 5s));
    REQUIRE(b.log.add(event(2), t0 + 6s));
    const std::uint32_t added = T0 + 6;
    bytes rs = dispatch_bytes(d, b, {0x28, 0x40});
    REQUIRE(rs.size() == 3 + 14);
    CHECK(rs == bytes{0x2C, 0x40, 0x00, 0x51, 0x02, 0x00, 0x20, 0x00, lo(static_cast<std::uint16_t>(added)),
                      hi(static_cast<std::uint16_t>(added)), 0x02, 0x01, 0xFF, 0xFF, 0xFF, 0xFF, 0x0A});
    const auto info = cmd::get_sel_info::response::parse(std::span(rs).subspan(3));
    REQUIRE(info);
    CHECK(info.value.entries == 2);
    CHECK(info.value.free_bytes == 32);
    CHECK(info.value.last_add_time == added);
    CHECK(info.value.last_erase_time == bmc::sel_time_never);
    CHECK_FALSE(info.value.overflow);
    CHECK(info.value.supports_delete);
    CHECK(info.value.supports_reserve);
    CHECK_FALSE(info.value.supports_partial_add);
    CHECK_FALSE(info.value.supports_get_allocation_info);
    // A big SEL reports FFFFh: 65535 bytes or more.
    static bmc::basic_sel<5000, test_clock> big;
    CHECK(big.info().free_bytes == 0xFFFF);
    CHECK(bmc::basic_sel<4095, test_clock>::max_saved_size == 26 + 4095 * 16);
  }

  TEST_CASE("bmc sel: ipmitool's sel clear reserves, sends CLR AAh once, and the status reads erase completed") {
    sel_dispatcher d = make_dispatcher();
    my_bmc b;
    REQUIRE(b.log.add(event(1), t0));
    REQUIRE(b.log.add(event(2), t0));
    CHECK(dispatch_bytes(d, b, {0x28, 0x42}) == bytes{0x2C, 0x42, 0x00, 0x01, 0x00});
    b.clock = t0 + 30s;
    CHECK(dispatch_bytes(d, b, {0x28, 0x47, 0x01, 0x00, 0x43, 0x4C, 0x52, 0xAA}) == bytes{0x2C, 0x47, 0x00, 0x01});
    // The erase cancelled the reservation, but the status may be asked with it.
    CHECK(dispatch_bytes(d, b, {0x28, 0x47, 0x01, 0x00, 0x43, 0x4C, 0x52, 0x00}) == bytes{0x2C, 0x47, 0x00, 0x01});
    CHECK(dispatch_bytes(d, b, {0x28, 0x47, 0x01, 0x00, 0x43, 0x4C, 0x52, 0xAA}) == bytes{0x2C, 0x47, 0xC5});  // not twice
    const std::uint32_t erased = T0 + 30;
    CHECK(dispatch_bytes(d, b, {0x28, 0x40}) == bytes{0x2C, 0x40, 0x00, 0x51, 0x00, 0x00, 0x40, 0x00, 0x04, 0x03, 0x02, 0x01,
                                           lo(static_cast<std::uint16_t>(erased)),
                                           hi(static_cast<std::uint16_t>(erased)), 0x02, 0x01, 0x0A});
    CHECK(dispatch_bytes(d, b, {0x28, 0x43, 0x00, 0x00, 0x00, 0x00, 0x00, 0xFF}) == bytes{0x2C, 0x43, 0xCB});  // empty
    // A new reservation replaces the eraser's: the status then needs the new one.
    CHECK(dispatch_bytes(d, b, {0x28, 0x42}) == bytes{0x2C, 0x42, 0x00, 0x02, 0x00});
    CHECK(dispatch_bytes(d, b, {0x28, 0x47, 0x02, 0x00, 0x43, 0x4C, 0x52, 0x00}) == bytes{0x2C, 0x47, 0x00, 0x01});
    CHECK(dispatch_bytes(d, b, {0x28, 0x47, 0x01, 0x00, 0x43, 0x4C, 0x52, 0x00}) == bytes{0x2C, 0x47, 0x00, 0x01});
    CHECK(b.log.stats().clears == 1);
  }

  TEST_CASE("bmc sel: Get SEL Time and Set SEL Time through the dispatcher; the time advances with the clock") {
    sel_dispatcher d = make_dispatcher();
    my_bmc b;
    CHECK(dispatch_bytes(d, b, {0x28, 0x48}) == bytes{0x2C, 0x48, 0x00, 0x04, 0x03, 0x02, 0x01});
    CHECK(dispatch_bytes(d, b, {0x28, 0x49, 0x00, 0x00, 0x00, 0x65}) == bytes{0x2C, 0x49, 0x00});  // 65000000h
    CHECK(dispatch_bytes(d, b, {0x28, 0x48}) == bytes{0x2C, 0x48, 0x00, 0x00, 0x00, 0x00, 0x65});
    b.clock = t0 + 61s + 900ms;
    CHECK(dispatch_bytes(d, b, {0x28, 0x48}) == bytes{0x2C, 0x48, 0x00, 0x3D, 0x00, 0x00, 0x65});
    CHECK(b.log.time_offset() == 0x65000000 - std::int64_t{T0});
    // An add takes the SEL time.
    CHECK(dispatch_bytes(d, b, cat({0x28, 0x44}, event_bytes(0, 0, 0x10))) == bytes{0x2C, 0x44, 0x00, 0x01, 0x00});
    CHECK(stored(b.log, 0) == event_bytes(1, 0x6500003D, 0x10));
  }

  TEST_CASE("bmc sel: privileges are Appendix G's; wrong lengths are 0xC7") {
    sel_dispatcher d;
    REQUIRE(bmc::add_sel_commands<&my_bmc::log>(d) == bmc::add_error::ok);
    using p = bmc::privilege;
    test::check_registered(d, {{netfn::storage, 0x40, p::user}, {netfn::storage, 0x42, p::user},
                               {netfn::storage, 0x43, p::user}, {netfn::storage, 0x48, p::user},
                               {netfn::storage, 0x44, p::operator_}, {netfn::storage, 0x46, p::operator_},
                               {netfn::storage, 0x47, p::operator_}, {netfn::storage, 0x49, p::operator_}});
    CHECK(d.find(netfn::storage, 0x41) == nullptr);  // Get SEL Allocation Info: not supported (byte 14 b0)
    my_bmc b;
    const bmc::origin user{bmc::privilege::user, 1};
    const bmc::origin callback{bmc::privilege::callback, 1};
    const bmc::origin op{bmc::privilege::operator_, 1};
    CHECK(dispatch_bytes(d, b, {0x28, 0x40}, user)[2] == 0x00);
    CHECK(dispatch_bytes(d, b, {0x28, 0x40}, callback) == bytes{0x2C, 0x40, 0xD4});
    CHECK(dispatch_bytes(d, b, {0x28, 0x42}, user)[2] == 0x00);
    CHECK(dispatch_bytes(d, b, {0x28, 0x48}, user)[2] == 0x00);
    CHECK(dispatch_bytes(d, b, cat({0x28, 0x44}, event_bytes(0, 0, 1)), user) == bytes{0x2C, 0x44, 0xD4});
    CHECK(dispatch_bytes(d, b, {0x28, 0x46, 0x01, 0x00, 0x00, 0x00}, user) == bytes{0x2C, 0x46, 0xD4});
    CHECK(dispatch_bytes(d, b, {0x28, 0x47, 0x01, 0x00, 0x43, 0x4C, 0x52, 0xAA}, user) == bytes{0x2C, 0x47, 0xD4});
    CHECK(dispatch_bytes(d, b, {0x28, 0x49, 0, 0, 0, 0}, user) == bytes{0x2C, 0x49, 0xD4});
    CHECK(b.log.empty());
    CHECK(b.log.time_offset() == 0);
    CHECK(dispatch_bytes(d, b, cat({0x28, 0x44}, event_bytes(0, 0, 1)), op)[2] == 0x00);
    // Lengths.
    CHECK(dispatch_bytes(d, b, {0x28, 0x40, 0x00}) == bytes{0x2C, 0x40, 0xC7});
    CHECK(dispatch_bytes(d, b, {0x28, 0x43, 0x00, 0x00, 0x00, 0x00, 0x00}) == bytes{0x2C, 0x43, 0xC7});
    CHECK(dispatch_bytes(d, b, {0x28, 0x44, 0x00}) == bytes{0x2C, 0x44, 0xC7});
    CHECK(dispatch_bytes(d, b, {0x28, 0x47, 0x01, 0x00, 0x43, 0x4C, 0x52}) == bytes{0x2C, 0x47, 0xC7});
    CHECK(dispatch_bytes(d, b, {0x28, 0x49, 0x00}) == bytes{0x2C, 0x49, 0xC7});
  }

  TEST_CASE("bmc sel: add_sel_commands registers all eight or none, with the dispatcher's error") {
    sel_dispatcher d;
    REQUIRE(bmc::add_sel_commands<&my_bmc::log>(d) == bmc::add_error::ok);
    CHECK(bmc::add_sel_commands<&my_bmc::log>(d) == bmc::add_error::duplicate);
    CHECK(d.entries().size() == 8);
    bmc::dispatcher<my_bmc, 8> small;
    test::take_a_place(small, commands::get_device_id);
    CHECK(bmc::add_sel_commands<&my_bmc::log>(small) == bmc::add_error::full);
    CHECK(small.entries().size() == 1);
  }

  // --- refusals by name -----------------------------------------------------------------------

  TEST_CASE("bmc sel: a reservation is cancelled by an add, a delete, a clear and a newer reservation: 0xC5") {
    sel_t<8> s;
    REQUIRE(s.add(event(1), t0));
    REQUIRE(s.add(event(2), t0));
    REQUIRE(s.add(event(3), t0));
    SUBCASE("an add") {
      const auto r = s.reserve();
      REQUIRE(s.add(event(4), t0));
      CHECK_FALSE(s.reservation_valid(r));
      CHECK(s.remove(del(r, 1), t0) == bmc::sel_result{rc::reservation_canceled, 0});
      CHECK(s.clear(clr(r), t0) == rc::reservation_canceled);
      cmd::get_sel_entry::response rs;
      CHECK(s.get(read(1, r, 2, 4), rs) == rc::reservation_canceled);
      CHECK(s.size() == 4);
    }
    SUBCASE("a delete") {
      const auto r = s.reserve();
      CHECK(s.remove(del(r, 2), t0) == bmc::sel_result{rc::success, 2});
      CHECK(s.remove(del(r, 3), t0).code == rc::reservation_canceled);
      CHECK(s.size() == 2);
    }
    SUBCASE("a clear") {
      const auto r = s.reserve();
      CHECK(s.clear(clr(r), t0) == rc::success);
      REQUIRE(s.add(event(4), t0));
      CHECK(s.clear(clr(r), t0) == rc::reservation_canceled);
      CHECK(s.size() == 1);
    }
    SUBCASE("a newer reservation") {
      const auto r1 = s.reserve();
      const auto r2 = s.reserve();
      CHECK(r1 != r2);
      CHECK(s.remove(del(r1, 1), t0).code == rc::reservation_canceled);
      CHECK(s.remove(del(r2, 1), t0) == bmc::sel_result{rc::success, 1});
    }
    SUBCASE("none at all: reservation 0, or never reserved") {
      CHECK(s.remove(del(0, 1), t0).code == rc::reservation_canceled);
      CHECK(s.remove(del(1, 1), t0).code == rc::reservation_canceled);
      CHECK(s.clear(clr(0), t0) == rc::reservation_canceled);
      CHECK(s.clear(clr(0, cmd::clear_sel_action::get_status), t0) == rc::reservation_canceled);
      CHECK(s.size() == 3);
    }
    CHECK(s.stats().refused >= 1);
  }

  TEST_CASE("bmc sel: 0xC5 on the wire for a delete with the reservation an add cancelled") {
    sel_dispatcher d = make_dispatcher();
    my_bmc b;
    REQUIRE(b.log.add(event(1), t0));
    CHECK(dispatch_bytes(d, b, {0x28, 0x42}) == bytes{0x2C, 0x42, 0x00, 0x01, 0x00});
    CHECK(dispatch_bytes(d, b, cat({0x28, 0x44}, event_bytes(0, 0, 2)))[2] == 0x00);
    CHECK(dispatch_bytes(d, b, {0x28, 0x46, 0x01, 0x00, 0x01, 0x00}) == bytes{0x2C, 0x46, 0xC5});
    CHECK(dispatch_bytes(d, b, {0x28, 0x43, 0x01, 0x00, 0x01, 0x00, 0x00, 0xFF}) == bytes{0x2C, 0x43, 0xC5});
    CHECK(dispatch_bytes(d, b, {0x28, 0x42}) == bytes{0x2C, 0x42, 0x00, 0x02, 0x00});
    CHECK(dispatch_bytes(d, b, {0x28, 0x46, 0x02, 0x00, 0x01, 0x00}) == bytes{0x2C, 0x46, 0x00, 0x01, 0x00});
    CHECK(b.log.size() == 1);
    CHECK_FALSE(b.log.contains(1));
  }

  TEST_CASE("bmc sel: an unknown record ID is 0xCB requested record not present, for Get and Delete") {
    sel_t<4> s;
    cmd::get_sel_entry::response rs;
    CHECK(s.get(read(0x0000), rs) == rc::requested_sensor_not_present);  // empty: no first
    CHECK(s.get(read(0xFFFF), rs) == rc::requested_sensor_not_present);  // nor last
    CHECK(static_cast<unsigned>(rc::requested_sensor_not_present) == 0xCB);
    REQUIRE(s.add(event(1), t0));
    CHECK(s.get(read(0x0002), rs) == rc::requested_sensor_not_present);
    const auto r = s.reserve();
    CHECK(s.remove(del(r, 0x0002), t0) == bmc::sel_result{rc::requested_sensor_not_present, 0});
    CHECK(s.reservation_valid(r));  // a refusal changes nothing
    CHECK(s.remove(del(r, 0x0001), t0) == bmc::sel_result{rc::success, 1});
    CHECK(s.remove(del(s.reserve(), 0x0000), t0).code == rc::requested_sensor_not_present);
    CHECK(s.remove(del(s.reserve(), 0xFFFF), t0).code == rc::requested_sensor_not_present);
  }

  TEST_CASE("bmc sel: partial reads: 0xCA past the record's end, 0xC9 an offset past it, 0xCC 0 bytes, "
            "0xC5 without a reservation") {
    sel_dispatcher d = make_dispatcher();
    my_bmc b;
    REQUIRE(b.log.add(event(0x10), t0));
    REQUIRE(b.log.add(event(0x11), t0));
    const bytes rec = event_bytes(1, T0, 0x10);
    CHECK(dispatch_bytes(d, b, {0x28, 0x42}) == bytes{0x2C, 0x42, 0x00, 0x01, 0x00});
    // With the reservation: any slice of the 16 bytes.
    CHECK(dispatch_bytes(d, b, {0x28, 0x43, 0x01, 0x00, 0x01, 0x00, 0x00, 0x05}) ==
          cat({0x2C, 0x43, 0x00, 0x02, 0x00}, bytes(rec.begin(), rec.begin() + 5)));
    CHECK(dispatch_bytes(d, b, {0x28, 0x43, 0x01, 0x00, 0x01, 0x00, 0x05, 0x0B}) ==
          cat({0x2C, 0x43, 0x00, 0x02, 0x00}, bytes(rec.begin() + 5, rec.end())));
    CHECK(dispatch_bytes(d, b, {0x28, 0x43, 0x01, 0x00, 0x01, 0x00, 0x0F, 0x01}) == bytes{0x2C, 0x43, 0x00, 0x02, 0x00, 0xFF});
    CHECK(dispatch_bytes(d, b, {0x28, 0x43, 0x01, 0x00, 0x01, 0x00, 0x0A, 0xFF}) ==  // FFh from an offset: to the end
          cat({0x2C, 0x43, 0x00, 0x02, 0x00}, bytes(rec.begin() + 10, rec.end())));
    // Refusals.
    CHECK(dispatch_bytes(d, b, {0x28, 0x43, 0x01, 0x00, 0x01, 0x00, 0x0A, 0x08}) == bytes{0x2C, 0x43, 0xCA});
    CHECK(dispatch_bytes(d, b, {0x28, 0x43, 0x01, 0x00, 0x01, 0x00, 0x00, 0x11}) == bytes{0x2C, 0x43, 0xCA});
    CHECK(dispatch_bytes(d, b, {0x28, 0x43, 0x01, 0x00, 0x01, 0x00, 0x10, 0x01}) == bytes{0x2C, 0x43, 0xC9});
    CHECK(dispatch_bytes(d, b, {0x28, 0x43, 0x01, 0x00, 0x01, 0x00, 0x10, 0xFF}) == bytes{0x2C, 0x43, 0xC9});
    CHECK(dispatch_bytes(d, b, {0x28, 0x43, 0x01, 0x00, 0x01, 0x00, 0x00, 0x00}) == bytes{0x2C, 0x43, 0xCC});
    CHECK(dispatch_bytes(d, b, {0x28, 0x43, 0x00, 0x00, 0x01, 0x00, 0x00, 0x05}) == bytes{0x2C, 0x43, 0xC5});
    CHECK(dispatch_bytes(d, b, {0x28, 0x43, 0x00, 0x00, 0x01, 0x00, 0x05, 0xFF}) == bytes{0x2C, 0x43, 0xC5});
    CHECK(dispatch_bytes(d, b, {0x28, 0x43, 0x09, 0x00, 0x01, 0x00, 0x00, 0xFF}) == bytes{0x2C, 0x43, 0xC5});
    // By name, on the object.
    cmd::get_sel_entry::response rs;
    CHECK(b.log.get(read(1, 1, 10, 8), rs) == rc::cannot_return_requested_bytes);
    CHECK(b.log.get(read(1, 1, 16, 1), rs) == rc::parameter_out_of_range);
    CHECK(b.log.get(read(1, 1, 0, 0), rs) == rc::invalid_data_field);
    CHECK(b.log.get(read(1, 0, 1, 0xFF), rs) == rc::reservation_canceled);
    CHECK(b.log.get(read(2, 1, 14, 2), rs) == rc::success);
    CHECK(rs.next_record_id == 0xFFFF);
    CHECK(rs.bytes().size() == 2);
  }

  TEST_CASE("bmc sel: a full SEL refuses with 0xC4 out of space, sets the overflow flag, and Clear SEL resets it") {
    sel_t<3> s;
    for (std::uint8_t i = 1; i <= 3; ++i) REQUIRE(s.add(event(i), t0 + std::chrono::seconds(i)));
    CHECK(s.full());
    CHECK_FALSE(s.info().overflow);
    CHECK(s.info().free_bytes == 0);
    const auto g = s.generation();
    const auto r = s.reserve();
    CHECK(s.add(event(4), t0 + 10s) == bmc::sel_result{rc::out_of_space, 0});
    CHECK(static_cast<unsigned>(rc::out_of_space) == 0xC4);
    CHECK(s.overflow());
    CHECK(s.info().overflow);
    CHECK(s.info().last_add_time == T0 + 3);  // the refused add is no add
    CHECK(s.info().entries == 3);
    CHECK(s.generation() != g);  // the flag is durable
    CHECK(s.reservation_valid(r));  // nothing was added
    const auto g2 = s.generation();
    CHECK(s.add(event(5), t0 + 11s).code == rc::out_of_space);
    CHECK(s.generation() == g2);
    CHECK(s.stats().dropped == 2);
    CHECK(s.stats().adds == 3);
    // The oldest record is still there: no overwrite.
    CHECK(s.at(0).sensor_number == 1);
    // A delete makes room but keeps the flag; a clear resets it.
    CHECK(s.remove(del(r, 0x0000), t0 + 12s));
    CHECK(s.overflow());
    CHECK(s.add(event(6), t0 + 13s) == bmc::sel_result{rc::success, 4});
    CHECK(s.clear(clr(s.reserve()), t0 + 14s) == rc::success);
    CHECK_FALSE(s.overflow());
    CHECK_FALSE(s.info().overflow);
    CHECK(s.info().entries == 0);
    CHECK(s.info().free_bytes == 48);
  }

  TEST_CASE("bmc sel: Clear SEL refuses a wrong CLR signature and an unknown action with 0xCC, nothing erased") {
    sel_dispatcher d = make_dispatcher();
    my_bmc b;
    REQUIRE(b.log.add(event(1), t0));
    CHECK(dispatch_bytes(d, b, {0x28, 0x42}) == bytes{0x2C, 0x42, 0x00, 0x01, 0x00});
    CHECK(dispatch_bytes(d, b, {0x28, 0x47, 0x01, 0x00, 0x43, 0x4C, 0x53, 0xAA}) == bytes{0x2C, 0x47, 0xCC});
    CHECK(dispatch_bytes(d, b, {0x28, 0x47, 0x01, 0x00, 0x63, 0x6C, 0x72, 0xAA}) == bytes{0x2C, 0x47, 0xCC});  // 'clr'
    CHECK(dispatch_bytes(d, b, {0x28, 0x47, 0x01, 0x00, 0x43, 0x4C, 0x52, 0x55}) == bytes{0x2C, 0x47, 0xCC});
    CHECK(b.log.size() == 1);
    CHECK(b.log.reservation_valid(1));
    // On the object, an action a typed request holds only by a cast.
    CHECK(b.log.clear(clr(1, static_cast<cmd::clear_sel_action>(0x55)), t0) == rc::invalid_data_field);
    CHECK(b.log.size() == 1);
    CHECK(dispatch_bytes(d, b, {0x28, 0x47, 0x01, 0x00, 0x43, 0x4C, 0x52, 0xAA}) == bytes{0x2C, 0x47, 0x00, 0x01});
    CHECK(b.log.empty());
  }

  TEST_CASE("bmc sel: Add SEL Entry refuses a reserved record type with 0xCC; OEM records keep what they carry") {
    sel_dispatcher d = make_dispatcher();
    my_bmc b;
    bytes reserved_type = event_bytes(0, 0, 1);
    reserved_type[2] = 0x03;
    CHECK(dispatch_bytes(d, b, cat({0x28, 0x44}, reserved_type)) == bytes{0x2C, 0x44, 0xCC});
    cmd::sel_record bad = event(1);
    bad.record_type = 0x10;
    CHECK(b.log.add(bad, t0) == bmc::sel_result{rc::invalid_data_field, 0});
    CHECK(b.log.empty());
    CHECK(b.log.info().last_add_time == bmc::sel_time_never);
    // OEM timestamped (C0h): the SEL stamps it; OEM non-timestamped (E0h): all 13 bytes kept.
    const bytes oem_ts{0x00, 0x00, 0xC1, 0x11, 0x22, 0x33, 0x44, 0x57, 0x01, 0x00, 1, 2, 3, 4, 5, 6};
    CHECK(dispatch_bytes(d, b, cat({0x28, 0x44}, oem_ts)) == bytes{0x2C, 0x44, 0x00, 0x01, 0x00});
    CHECK(stored(b.log, 0) == bytes{0x01, 0x00, 0xC1, 0x04, 0x03, 0x02, 0x01, 0x57, 0x01, 0x00, 1, 2, 3, 4, 5, 6});
    const bytes oem{0x00, 0x00, 0xE0, 0x11, 0x22, 0x33, 0x44, 0x57, 0x01, 0x00, 1, 2, 3, 4, 5, 6};
    CHECK(dispatch_bytes(d, b, cat({0x28, 0x44}, oem)) == bytes{0x2C, 0x44, 0x00, 0x02, 0x00});
    CHECK(stored(b.log, 1) == bytes{0x02, 0x00, 0xE0, 0x11, 0x22, 0x33, 0x44, 0x57, 0x01, 0x00, 1, 2, 3, 4, 5, 6});
    CHECK(b.log.stats().refused == 1);
  }

  // --- record IDs ----------------------------------------------------------------------------

  TEST_CASE("bmc sel: record IDs are never 0000h or FFFFh and never reused while their record exists, across the "
            "wrap-around") {
    sel_t<4> s;
    REQUIRE(s.add(event(1), t0) == bmc::sel_result{rc::success, 1});  // kept throughout
    REQUIRE(s.add(event(2), t0) == bmc::sel_result{rc::success, 2});  // kept throughout
    std::uint16_t previous = 2;
    bool wrapped = false;
    for (int i = 0; i < 0x1'0010; ++i) {
      const auto a = s.add(event(3), t0);
      REQUIRE(a);
      REQUIRE(a.record_id != 0x0000);
      REQUIRE(a.record_id != 0xFFFF);
      REQUIRE(a.record_id != 1);
      REQUIRE(a.record_id != 2);
      if (a.record_id < previous) {
        wrapped = true;
        CHECK(previous == 0xFFFE);
        CHECK(a.record_id == 3);  // 0001h and 0002h are taken
      }
      previous = a.record_id;
      REQUIRE(s.remove(del(s.reserve(), a.record_id), t0));
    }
    CHECK(wrapped);
    CHECK(s.contains(1));
    CHECK(s.contains(2));
    CHECK_FALSE(s.contains(0));
    CHECK_FALSE(s.contains(0xFFFF));
    // A deleted record's ID is free again only once the counter comes round; the next one now:
    CHECK(s.next_record_id() == static_cast<std::uint16_t>(previous + 1));
  }

  TEST_CASE("bmc sel: an empty SEL wraps its record IDs from FFFEh to 0001h") {
    sel_t<2> s;
    std::uint16_t previous = 0;
    for (int i = 0; i < 0xFFFE; ++i) {
      const auto a = s.add(event(1), t0);
      REQUIRE(a.record_id == static_cast<std::uint16_t>(previous + 1));
      previous = a.record_id;
      REQUIRE(s.remove(del(s.reserve(), a.record_id), t0));
    }
    CHECK(previous == 0xFFFE);
    CHECK(s.empty());
    CHECK(s.next_record_id() == 0x0001);
    CHECK(s.add(event(1), t0).record_id == 0x0001);
  }

  TEST_CASE("bmc sel: deleting keeps the others' order and IDs; 0000h deletes the first, FFFFh the last") {
    sel_t<8> s;
    for (std::uint8_t i = 1; i <= 5; ++i) REQUIRE(s.add(event(i), t0));
    CHECK(s.remove(del(s.reserve(), 0x0000), t0 + 1s) == bmc::sel_result{rc::success, 1});
    CHECK(s.remove(del(s.reserve(), 0xFFFF), t0 + 2s) == bmc::sel_result{rc::success, 5});
    CHECK(s.remove(del(s.reserve(), 0x0003), t0 + 3s) == bmc::sel_result{rc::success, 3});
    REQUIRE(s.size() == 2);
    CHECK(s.at(0).record_id == 2);
    CHECK(s.at(1).record_id == 4);
    CHECK(s.info().last_erase_time == T0 + 3);
    CHECK(s.info().last_add_time == T0);
    cmd::get_sel_entry::response rs;
    REQUIRE(s.get(read(0), rs) == rc::success);
    CHECK(rs.next_record_id == 4);
    CHECK(s.stats().deletes == 3);
    CHECK(s.add(event(6), t0).record_id == 6);  // IDs go on
  }

  // --- time ----------------------------------------------------------------------------------

  TEST_CASE("bmc sel: the SEL time is the clock's whole seconds plus the offset Set SEL Time stored, held to 32 "
            "bits") {
    sel_t<4> s;
    CHECK(s.time(t0) == T0);
    CHECK(s.time(t0 + 999ms) == T0);
    CHECK(s.time(t0 + 1s) == T0 + 1);
    const auto g = s.generation();
    s.set_time(0x60000000, t0 + 500ms);
    CHECK(s.generation() != g);
    CHECK(s.time_offset() == 0x60000000 - std::int64_t{T0});
    CHECK(s.time(t0) == 0x60000000);
    CHECK(s.time(t0 + 1h) == 0x60000000 + 3600);
    CHECK(s.time(t0 - 10s) == 0x60000000 - 10);  // a clock that goes back takes the SEL time with it
    // The same time again: the same offset, no durable change.
    const auto g2 = s.generation();
    s.set_time(0x60000000 + 7, t0 + 7s);
    CHECK(s.generation() == g2);
    // Back before the clock's epoch: a negative offset.
    s.set_time(5, t0);
    CHECK(s.time_offset() == 5 - std::int64_t{T0});
    CHECK(s.time(t0 + 2s) == 7);
    CHECK(s.time(t0 - 10s) == 0);  // held at 0
    s.set_time(0xFFFFFFF0, t0);
    CHECK(s.time(t0 + 15s) == 0xFFFFFFFF);
    CHECK(s.time(t0 + 1h) == 0xFFFFFFFF);  // held at the top
    // A clock before its epoch: floor, not truncation.
    sel_t<4> u;
    u.set_time(100, tp{});
    CHECK(u.time(tp{} - 1ns) == 99);
    CHECK(u.time(tp{} - 1s) == 99);
    CHECK(u.time(tp{} - 1s - 1ns) == 98);
    // Timestamps of adds, deletes, clears follow the SEL time.
    s.set_time(1000, t0);
    REQUIRE(s.add(event(1), t0 + 3s));
    CHECK(s.at(0).timestamp == 1003);
    CHECK(s.info().last_add_time == 1003);
    CHECK(s.clear(clr(s.reserve()), t0 + 9s) == rc::success);
    CHECK(s.info().last_erase_time == 1009);
  }

  TEST_CASE("bmc sel: the default clock is system_clock, so the SEL time is UTC seconds since 1970 until set") {
    bmc::sel<2> s;
    const std::chrono::sys_seconds then = std::chrono::sys_days{std::chrono::year{2024} / 1 / 1};
    CHECK(s.time(then) == 1704067200);
    s.set_time(0x12345678, then);
    CHECK(s.time(then + 10s) == 0x12345678 + 10);
  }

  // --- the watchdog's events -----------------------------------------------------------------

  TEST_CASE("bmc sel: the watchdog's expiry is logged by add(): the SEL gives it its ID and time") {
    bmc::basic_watchdog<test_clock> wd;
    sel_t<4> s;
    cmd::set_watchdog_timer::request rq;
    rq.timer_use = cmd::watchdog_timer_use::sms_os;
    rq.timeout_action = cmd::watchdog_timeout_action::hard_reset;
    rq.initial_countdown = 10;
    REQUIRE(wd.set(rq, t0) == rc::success);
    REQUIRE(wd.reset(t0) == rc::success);
    int logged = 0;
    CHECK(wd.poll(t0 + 1s, [&](const auto& e) {
      if (!e.dont_log && s.add(e.event.sel_record(0, 0, 0x42), e.due)) ++logged;
    }) == 1);
    CHECK(logged == 1);
    const auto r = s.at(0);
    CHECK(r.record_id == 1);
    CHECK(r.timestamp == T0 + 1);
    CHECK(stored(s, 0) == bytes{0x01, 0x00, 0x02, 0x05, 0x03, 0x02, 0x01, 0x20, 0x00, 0x04, 0x23, 0x42, 0x6F, 0xC1,
                                0x04, 0xFF});
  }

  TEST_CASE("bmc sel: a Context with a watchdog and a SEL on two clocks: now() converts to both") {
    struct instant {
      std::chrono::steady_clock::time_point steady;
      test_clock::time_point wall;
      constexpr operator std::chrono::steady_clock::time_point() const { return steady; }
      constexpr operator test_clock::time_point() const { return wall; }
    };
    struct two_clocks {
      bmc::watchdog wd;
      sel_t<4> log;
      instant at{std::chrono::steady_clock::time_point{} + 5s, t0};
      [[nodiscard]] constexpr instant now() const { return at; }
    };
    static_assert(bmc::sel_context<two_clocks, &two_clocks::log>);
    static_assert(bmc::watchdog_context<two_clocks, &two_clocks::wd>);
    static_assert(!bmc::sel_context<my_bmc, &two_clocks::log>);
    bmc::dispatcher<two_clocks, 16> d;
    REQUIRE(bmc::add_watchdog_commands<&two_clocks::wd>(d) == bmc::add_error::ok);
    REQUIRE(bmc::add_sel_commands<&two_clocks::log>(d) == bmc::add_error::ok);
    two_clocks b;
    std::array<std::uint8_t, 32> out{};
    const std::array<std::uint8_t, 2> get_time{0x28, 0x48};
    const auto r = d.dispatch(b, get_time, {}, out);
    CHECK(r.size == 7);
    CHECK(bytes(out.begin() + 3, out.begin() + 7) == bytes{0x04, 0x03, 0x02, 0x01});
  }

  TEST_CASE("bmc sel: set_limit() holds fewer records than the Capacity: full, info, load refuse past it") {
    sel_t<8> s;
    CHECK_FALSE(s.set_limit(0));
    CHECK_FALSE(s.set_limit(9));
    CHECK(s.limit() == 8);
    REQUIRE(s.set_limit(2));
    REQUIRE(s.add(event(1), t0));
    CHECK(s.info().free_bytes == 16);
    REQUIRE(s.add(event(2), t0));
    CHECK(s.full());
    CHECK(s.add(event(3), t0).code == rc::out_of_space);
    CHECK(s.info().overflow);
    CHECK(s.info().free_bytes == 0);
    sel_t<8> bigger;
    REQUIRE(bigger.add(event(1), t0));
    REQUIRE(bigger.add(event(2), t0));
    REQUIRE(bigger.add(event(3), t0));
    sel_t<8> small;
    REQUIRE(small.set_limit(2));
    CHECK(small.load(saved(bigger)) == bmc::sel_load_error::too_many_entries);
    CHECK(small.empty());
    REQUIRE(small.set_limit(3));
    CHECK(small.load(saved(bigger)) == bmc::sel_load_error::ok);
    REQUIRE(small.set_limit(1));  // lowered under the count: the records stay, adds are refused
    CHECK(small.size() == 3);
    CHECK(small.info().free_bytes == 0);
    CHECK(small.add(event(4), t0).code == rc::out_of_space);
  }

  // --- durable state -------------------------------------------------------------------------

  TEST_CASE("bmc sel: generation() changes with every durable change and nothing else") {
    sel_t<2> s;
    auto g = s.generation();
    auto changed = [&] {
      const bool c = s.generation() != g;
      g = s.generation();
      return c;
    };
    const auto r = s.reserve();
    CHECK_FALSE(changed());
    cmd::get_sel_entry::response rs;
    (void)s.get(read(0), rs);
    (void)s.info();
    (void)s.time(t0);
    CHECK_FALSE(changed());
    REQUIRE(s.add(event(1), t0));
    CHECK(changed());
    CHECK(s.remove(del(r, 1), t0).code == rc::reservation_canceled);
    CHECK_FALSE(changed());
    REQUIRE(s.remove(del(s.reserve(), 1), t0));
    CHECK(changed());
    s.set_time(99, t0);
    CHECK(changed());
    REQUIRE(s.clear(clr(s.reserve()), t0) == rc::success);
    CHECK(changed());
    CHECK(s.clear(clr(s.reserve(), cmd::clear_sel_action::get_status), t0) == rc::success);
    CHECK_FALSE(changed());
    REQUIRE(s.add(event(1), t0));
    REQUIRE(s.add(event(2), t0));
    CHECK(changed());
    CHECK_FALSE(s.add(event(3), t0));  // full: the overflow flag is set
    CHECK(changed());
    CHECK_FALSE(s.add(event(3), t0));  // already set
    CHECK_FALSE(changed());
    const auto b = saved(s);
    CHECK(s.load(b) == bmc::sel_load_error::ok);
    CHECK(changed());
  }

  TEST_CASE("bmc sel: load(save()) reproduces Get SEL Info, every entry, the SEL time and the next add's ID") {
    sel_t<6> a;
    a.set_time(0x61000000, t0);
    for (std::uint8_t i = 1; i <= 6; ++i) REQUIRE(a.add(event(i), t0 + std::chrono::seconds(i)));
    CHECK_FALSE(a.add(event(7), t0 + 7s));  // the overflow flag
    REQUIRE(a.remove(del(a.reserve(), 2), t0 + 8s));
    REQUIRE(a.remove(del(a.reserve(), 0xFFFF), t0 + 9s));
    const bytes b = saved(a);
    REQUIRE(b.size() == a.saved_size());
    CHECK(b.size() == 26 + 4 * 16);
    CHECK(bytes(b.begin(), b.begin() + 6) == bytes{0x69, 0x53, 0x45, 0x4C, 0x01, 0x01});

    sel_t<6> c;
    CHECK(c.load(b) == bmc::sel_load_error::ok);
    CHECK(c.info() == a.info());
    CHECK(c.info().overflow);
    REQUIRE(c.size() == a.size());
    for (const std::uint16_t id : {std::uint16_t{0}, std::uint16_t{1}, std::uint16_t{3}, std::uint16_t{4},
                                   std::uint16_t{5}, std::uint16_t{0xFFFF}}) {
      INFO("record ", id);
      cmd::get_sel_entry::response ra, rb;
      REQUIRE(a.get(read(id), ra) == rc::success);
      REQUIRE(c.get(read(id), rb) == rc::success);
      CHECK(ra == rb);
    }
    CHECK(c.time(t0 + 1h) == a.time(t0 + 1h));
    CHECK(c.time_offset() == a.time_offset());
    CHECK(c.next_record_id() == a.next_record_id());
    CHECK(c.add(event(8), t0).record_id == a.add(event(8), t0).record_id);
    CHECK(c.add(event(8), t0).record_id == 8);
    CHECK(a.add(event(8), t0).record_id == 8);
    CHECK(saved(c) == saved(a));
    // Into a bigger SEL as well; an empty SEL round-trips.
    sel_t<64> big;
    CHECK(big.load(b) == bmc::sel_load_error::ok);
    CHECK(big.info().entries == 4);
    CHECK(big.info().free_bytes == 60 * 16);
    sel_t<1> empty, e2;
    const bytes eb = saved(empty);
    CHECK(eb.size() == 26);
    CHECK(e2.load(eb) == bmc::sel_load_error::ok);
    CHECK(e2.info() == empty.info());
    // Too small a buffer: nothing written.
    std::array<std::uint8_t, 40> small{};
    CHECK(a.save(small) == 0);
  }

  TEST_CASE("bmc sel: load refuses each kind of bad input by name and leaves the SEL unchanged") {
    sel_t<3> a;
    REQUIRE(a.add(event(1), t0));
    REQUIRE(a.add(event(2), t0));
    a.set_time(0x62000000, t0);
    const bytes good = saved(a);
    REQUIRE(good.size() == 26 + 32);

    sel_t<3> s;  // the victim: its own content, which must survive
    REQUIRE(s.add(event(9), t0 + 5s));
    const auto r = s.reserve();
    const bytes before = saved(s);
    const auto info_before = s.info();
    const auto g = s.generation();

    struct bad_case {
      const char* what;
      bytes data;
      bmc::sel_load_error error;
    };
    auto with = [&](std::size_t at, std::uint8_t v) {
      bytes b = good;
      b[at] = v;
      return b;
    };
    bytes three = good;  // announce 4 entries into a SEL of 3
    three[24] = 4;
    bytes four_entries = good;
    four_entries[24] = 4;
    for (int i = 0; i < 2; ++i) four_entries.insert(four_entries.end(), good.begin() + 26, good.begin() + 42);
    bytes dup = good;  // the second entry takes the first one's ID
    dup[26 + 16] = dup[26];
    dup[26 + 17] = dup[27];
    bytes big_offset = good;
    for (std::size_t i = 8; i < 16; ++i) big_offset[i] = 0x00;
    big_offset[15] = 0x40;  // +2^62 is the largest accepted...
    big_offset[8] = 0x01;   // ...and one more is not
    bytes neg_offset = good;
    for (std::size_t i = 8; i < 16; ++i) neg_offset[i] = 0xFF;
    neg_offset[15] = 0x80;  // INT64_MIN
    const bad_case cases[] = {
        {"empty", {}, bmc::sel_load_error::truncated},
        {"header cut", bytes(good.begin(), good.begin() + 25), bmc::sel_load_error::truncated},
        {"entry cut", bytes(good.begin(), good.end() - 1), bmc::sel_load_error::truncated},
        {"bad magic", with(0, 0x49), bmc::sel_load_error::bad_magic},
        {"version 2", with(4, 2), bmc::sel_load_error::bad_version},
        {"version 0", with(4, 0), bmc::sel_load_error::bad_version},
        {"flag bit 1", with(5, 0x02), bmc::sel_load_error::reserved_flags},
        {"next ID 0000h", [&] { bytes b = with(6, 0); b[7] = 0; return b; }(), bmc::sel_load_error::bad_next_id},
        {"next ID FFFFh", [&] { bytes b = with(6, 0xFF); b[7] = 0xFF; return b; }(), bmc::sel_load_error::bad_next_id},
        {"offset 2^62 + 1", big_offset, bmc::sel_load_error::bad_time_offset},
        {"offset INT64_MIN", neg_offset, bmc::sel_load_error::bad_time_offset},
        {"4 entries in a SEL of 3", four_entries, bmc::sel_load_error::too_many_entries},
        {"4 entries announced, 2 there", three, bmc::sel_load_error::too_many_entries},
        {"entry ID 0000h", [&] { bytes b = with(26, 0); b[27] = 0; return b; }(), bmc::sel_load_error::bad_record_id},
        {"entry ID FFFFh", [&] { bytes b = with(42, 0xFF); b[43] = 0xFF; return b; }(),
         bmc::sel_load_error::bad_record_id},
        {"duplicate ID", dup, bmc::sel_load_error::duplicate_record_id},
        {"reserved record type", with(28, 0x03), bmc::sel_load_error::bad_record},
        {"reserved generator bits", with(26 + 8, 0x0C), bmc::sel_load_error::bad_record},
        {"a byte too many", [&] { bytes b = good; b.push_back(0); return b; }(), bmc::sel_load_error::trailing_bytes},
    };
    for (const auto& c : cases) {
      INFO(c.what);
      const auto e = s.load(c.data);
      CHECK(e == c.error);
      CHECK(bmc::name(e) == bmc::name(c.error));
      CHECK(saved(s) == before);
      CHECK(s.info() == info_before);
      CHECK(s.generation() == g);
      CHECK(s.reservation_valid(r));
    }
    // The largest offset accepted, either way.
    bytes edge = big_offset;
    edge[8] = 0x00;
    CHECK(s.load(edge) == bmc::sel_load_error::ok);
    CHECK(s.time_offset() == bmc::sel_max_time_offset);
    CHECK(s.time(t0) == 0xFFFFFFFF);
    CHECK_FALSE(s.reservation_valid(r));  // a load cancels the reservation
    CHECK(s.load(good) == bmc::sel_load_error::ok);
    CHECK(saved(s) == good);
    CHECK(bmc::name(bmc::sel_load_error::duplicate_record_id) == "duplicate_record_id");
  }

  // --- at compile time ----------------------------------------------------------------------

  TEST_CASE("bmc sel: add, get, delete, clear, save and load run in constant evaluation") {
    test::check_at_compile_time([] {
      sel_t<4> s;
      if (s.add(event(1), t0) != bmc::sel_result{rc::success, 1}) return false;
      if (s.add(event(2), t0 + 1s) != bmc::sel_result{rc::success, 2}) return false;
      cmd::get_sel_entry::response rs;
      if (s.get(read(0), rs) != rc::success || rs.next_record_id != 2 || rs.length != 16) return false;
      if (rs.data[0] != 1 || rs.data[3] != 0x04 || rs.data[11] != 1) return false;
      if (s.get(read(2, 0, 0, 4), rs) != rc::reservation_canceled) return false;
      const auto r = s.reserve();
      if (s.get(read(2, r, 3, 4), rs) != rc::success || rs.length != 4 || rs.data[0] != 0x05) return false;
      if (s.get(read(2, r, 10, 8), rs) != rc::cannot_return_requested_bytes) return false;
      if (s.remove(del(r, 1), t0) != bmc::sel_result{rc::success, 1}) return false;
      std::array<std::uint8_t, sel_t<4>::max_saved_size> buf{};
      const std::size_t n = s.save(buf);
      sel_t<4> c;
      if (c.load(std::span(buf).first(n)) != bmc::sel_load_error::ok) return false;
      if (c.add(event(3), t0).record_id != 3 || c.info().entries != 2) return false;
      return c.clear(clr(c.reserve()), t0) == rc::success && c.empty();
    });

    test::check_at_compile_time([] {
      bmc::dispatcher<my_bmc, 8> d;
      if (bmc::add_sel_commands<&my_bmc::log>(d) != bmc::add_error::ok) return false;
      my_bmc b;
      if (!b.log.add(event(7), t0)) return false;
      std::array<std::uint8_t, 32> out{};
      const std::array<std::uint8_t, 8> get{0x28, 0x43, 0x00, 0x00, 0x00, 0x00, 0x00, 0xFF};
      const auto r = d.dispatch(b, get, {}, out);
      return r.size == 21 && out[2] == 0x00 && out[3] == 0xFF && out[4] == 0xFF && out[5] == 0x01 && out[16] == 7;
    });
  }

  // --- growable storage -----------------------------------------------------------------------

  TEST_CASE("bmc sel: a vector-backed SEL answers every step as the fixed one and holds only its records") {
    // 3,000 pseudo-random steps (fixed seed) of add, delete, clear, set time, reserve and
    // save/load on both; every answer, the info, each record and the saved bytes must agree.
    sel_t<6> fixed;
    growing_sel<6> grows;
    std::uint32_t x = 12345;
    auto next = [&x](std::uint32_t n) {
      x = x * 1103515245u + 12345u;  // a linear congruential generator: the same steps every run
      return (x >> 16) % n;
    };
    std::size_t adds = 0, deletes = 0, clears = 0, loads = 0;
    for (int step = 0; step < 3000; ++step) {
      INFO("step ", step);
      const tp now = t0 + std::chrono::seconds(step);
      switch (next(7)) {
        case 0:
        case 1: {
          const auto e = event(static_cast<std::uint8_t>(next(250)));
          const auto a = fixed.add(e, now);
          CHECK(grows.add(e, now) == a);
          if (a) ++adds;
          break;
        }
        case 2: {
          const auto id = static_cast<std::uint16_t>(next(4) == 0 ? 0xFFFF : next(12));
          const auto r = fixed.remove(del(fixed.reserve(), id), now);
          CHECK(grows.remove(del(grows.reserve(), id), now) == r);
          if (r) ++deletes;
          break;
        }
        case 3:
          if (next(4) == 0) {
            CHECK(fixed.clear(clr(fixed.reserve()), now) == rc::success);
            CHECK(grows.clear(clr(grows.reserve()), now) == rc::success);
            CHECK(grows.entries().capacity() == 0);  // the memory went back
            ++clears;
          }
          break;
        case 4: {
          const auto t = static_cast<std::uint32_t>(next(1u << 30));
          fixed.set_time(t, now);
          grows.set_time(t, now);
          break;
        }
        case 5: {
          const auto id = static_cast<std::uint16_t>(next(12));
          cmd::get_sel_entry::response a, b;
          const auto ca = fixed.get(read(id), a);
          CHECK(grows.get(read(id), b) == ca);
          CHECK(a == b);
          break;
        }
        default: {  // each loads the other's saved state
          const bytes fs = saved(fixed);
          CHECK(saved(grows) == fs);
          CHECK(grows.load(fs) == bmc::sel_load_error::ok);
          CHECK(fixed.load(saved(grows)) == bmc::sel_load_error::ok);
          ++loads;
          break;
        }
      }
      CHECK(grows.info() == fixed.info());
      REQUIRE(grows.size() == fixed.size());
      CHECK(grows.entries().size() == grows.size());  // exactly its records, no reserve
      for (std::size_t i = 0; i < fixed.size(); ++i) CHECK(stored(grows, i) == stored(fixed, i));
      CHECK(grows.generation() == fixed.generation());
    }
    // Every kind of step ran, and the SEL was full at times (the overflow path).
    CHECK(adds > 100);
    CHECK(deletes > 50);
    CHECK(clears > 20);
    CHECK(loads > 100);
    CHECK(fixed.stats().dropped > 0);
    CHECK(grows.stats() == fixed.stats());
  }

  TEST_CASE("bmc sel: a vector-backed SEL refuses a bad saved state unchanged, and serves the dispatcher") {
    growing_sel<4> s;
    REQUIRE(s.add(event(1), t0));
    REQUIRE(s.add(event(2), t0));
    bytes b = saved(s);
    b.push_back(0x00);
    CHECK(s.load(b) == bmc::sel_load_error::trailing_bytes);
    b.resize(b.size() - 17);
    CHECK(s.load(b) == bmc::sel_load_error::truncated);
    CHECK(s.size() == 2);
    CHECK(s.entries().size() == 2);
    CHECK(stored(s, 1) == event_bytes(2, T0, 2));

    struct fleet_vm {
      growing_sel<1024> log;
      [[nodiscard]] tp now() const { return t0; }
    };
    bmc::dispatcher<fleet_vm, 8> d;
    REQUIRE(bmc::add_sel_commands<&fleet_vm::log>(d) == bmc::add_error::ok);
    fleet_vm vm;
    CHECK(vm.log.entries().empty());
    std::array<std::uint8_t, 32> out{};
    const std::array<std::uint8_t, 18> add{0x28, 0x44, 0x00, 0x00, 0x02, 0, 0, 0, 0, 0x41, 0x00, 0x04, 0x07, 0x09, 0x6F, 0x01, 0xFF, 0xFF};
    auto r = d.dispatch(vm, add, {}, out);
    REQUIRE(r.size == 5);
    CHECK(out[2] == 0x00);
    CHECK(vm.log.entries().size() == 1);
    const std::array<std::uint8_t, 8> get{0x28, 0x43, 0x00, 0x00, 0x00, 0x00, 0x00, 0xFF};
    r = d.dispatch(vm, get, {}, out);
    REQUIRE(r.size == 21);
    CHECK(bytes(out.begin() + 5, out.begin() + 21) == event_bytes(1, T0, 9));
  }
}
