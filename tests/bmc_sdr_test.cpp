// The BMC core's sdr component (include/ipmikit/bmc/sdr.hpp): ipmitool's `sdr info`, `sdr list
// all` and `sensor list` byte for byte through a dispatcher (with the header-then-chunks reads,
// the chunk shrinking on 0xCA and the re-reservation on 0xC5 of ipmitool's lib/ipmi_sdr.c), every
// refusal by name, the threshold status bits at each boundary, a repository walk that parses
// every record with cmd/sdr.hpp, the watchdog's events as the Watchdog 2 sensor's states, and a
// repository run at compile time.
#include <doctest/doctest.h>

#include <array>
#include <chrono>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include <ipmikit/bmc/dispatcher.hpp>
#include <ipmikit/bmc/sdr.hpp>
#include <ipmikit/bmc/watchdog.hpp>
#include <ipmikit/cmd/app.hpp>
#include <ipmikit/cmd/sdr.hpp>
#include <ipmikit/cmd/sensor.hpp>

#include "bmc_support.hpp"
#include "test_support.hpp"

using namespace ipmikit;
using namespace ipmikit::test::bmc_names;
using test::hex;

namespace {

template <std::size_t N>
using repo_t = bmc::basic_sdr_repository<N, test_clock>;
using rc = completion_code;
namespace tb = cmd::threshold_bit;

constexpr std::uint32_t T0 = 0x5F5E1000;  // seconds since the test clock's epoch
constexpr tp t0 = tp{} + std::chrono::seconds(T0);

// A temperature in whole °C (raw = °C): LC 5, LNC 10, UNC 80, UC 90, UNR 100; no LNR.
constexpr bmc::threshold_sensor cpu_temp{
    .name = "CPU Temp",
    .number = 0x10,
    .thresholds = test::make<cmd::get_sensor_thresholds::response>([](auto& t) {
      t.readable = tb::lower_non_critical | tb::lower_critical | tb::upper_non_critical | tb::upper_critical |
                   tb::upper_non_recoverable;
      t.lower_non_critical = 10;
      t.lower_critical = 5;
      t.lower_non_recoverable = 1;  // not readable: never read, never compared
      t.upper_non_critical = 80;
      t.upper_critical = 90;
      t.upper_non_recoverable = 100;
    }),
    .positive_hysteresis = 2,
    .negative_hysteresis = 2,
};
constexpr std::array<bmc::threshold_sensor, 1> temps{cpu_temp};

// ACPI Power State (IPMI v2.0 §42.2 table 42-3, sensor type 22h): offset 00h S0/G0 working,
// 05h S5/G2 soft-off.
constexpr std::uint8_t acpi_power_state = 0x22;
constexpr std::uint16_t s0_working = 1u << 0;
constexpr std::uint16_t s5_soft_off = 1u << 5;
constexpr std::array<bmc::discrete_sensor, 1> discretes{
    bmc::discrete_sensor{"Power State", 0x20, acpi_power_state, 0x6F, 0x07, 1, s0_working | s5_soft_off}};

constexpr bmc::sdr_config config{.threshold_sensors = temps, .discrete_sensors = discretes};

/// A BMC with an SDR repository, and Get Device ID, which ipmitool asks first: no device SDRs
/// (byte 2 b7 clear), so it reads the SDR repository.
struct my_bmc {
  repo_t<8> sdr;
};

completion_code device_id(my_bmc&, const cmd::no_data&, cmd::get_device_id::response& r, const bmc::request&) {
  r.device_id = 0x20;
  r.firmware_major = 1;
  r.additional_support = 0x0F;  // SEL, SDR repository, FRU inventory, sensor device
  return rc::success;
}

using sdr_dispatcher = bmc::dispatcher<my_bmc, 16>;

/// A BMC built from `config` at t0, its commands registered.
struct bench {
  sdr_dispatcher d;
  my_bmc b;
  bench() {
    REQUIRE(bmc::add_sdr_commands<&my_bmc::sdr>(d) == bmc::add_error::ok);
    REQUIRE(d.add<cmd::get_device_id, &device_id>(bmc::privilege::user) == bmc::add_error::ok);
    REQUIRE(b.sdr.build(config, t0));
  }
  bytes run(const bytes& request, bmc::origin from = {bmc::privilege::user, 1}) {
    return test::dispatch_bytes(d, b, request, from);
  }
};

std::uint8_t lo(std::uint16_t v) { return static_cast<std::uint8_t>(v); }
std::uint8_t hi(std::uint16_t v) { return static_cast<std::uint8_t>(v >> 8); }
std::uint16_t le16(const bytes& b, std::size_t at) { return static_cast<std::uint16_t>(b[at] | (b[at + 1] << 8)); }

/// ipmitool's SDR iterator (lib/ipmi_sdr.c ipmi_sdr_start, ipmi_sdr_get_header,
/// ipmi_sdr_get_record; lib/ipmi_sensor.c ipmi_sensor_list), talking to a dispatcher and
/// keeping every request it sends. `chunk` is its sdr_max_read_len: the interface's largest
/// response data less 2 (lanplus: 34 - 2 = 32), shrunk by 1 on each 0xCA and kept across records.
struct ipmitool {
  explicit ipmitool(bench& b, std::size_t max_read = 32) : bmc(b), chunk(max_read) {}

  bench& bmc;
  std::size_t chunk;
  std::vector<bytes> sent{};
  std::uint16_t reservation = 0;

  bytes send(const bytes& rq) {
    sent.push_back(rq);
    return bmc.run(rq);
  }
  void reserve() {
    const bytes rs = send({0x28, 0x22});
    REQUIRE(rs.size() == 5);
    REQUIRE(rs[2] == 0x00);
    reservation = le16(rs, 3);
  }
  /// ipmi_sdr_start: Get Device ID, Get SDR Repository Info, Reserve SDR Repository.
  void start() {
    const bytes id = send({0x18, 0x01});
    REQUIRE(id[2] == 0x00);
    REQUIRE((id[4] & 0x80) == 0);  // no device SDRs: the repository
    const bytes info = send({0x28, 0x20});
    REQUIRE(info.size() == 3 + 14);
    REQUIRE(info[2] == 0x00);
    reserve();
  }
  /// A Get SDR; on 0xC5 re-reserves and retries (5 tries, as ipmitool).
  bytes get_sdr(std::uint16_t id, std::uint8_t offset, std::uint8_t count) {
    for (int attempt = 0; attempt < 5; ++attempt) {
      const bytes rs = send({0x28, 0x23, lo(reservation), hi(reservation), lo(id), hi(id), offset, count});
      if (rs[2] != 0xC5) return rs;
      reserve();
    }
    FAIL("five reservations cancelled");
    return {};
  }
  /// One record, header then body in chunks at offset 5, 5+n, …; with its next record ID.
  bytes record(std::uint16_t id, std::uint16_t& next) {
    const bytes h = get_sdr(id, 0, 5);
    REQUIRE(h.size() == 3 + 2 + 5);
    REQUIRE(h[2] == 0x00);
    next = le16(h, 3);
    const std::uint16_t record_id = id != 0 ? id : le16(h, 5);  // ipmitool keeps the ID it asked, but for 0000h
    bytes rec(h.begin() + 5, h.end());
    const std::size_t length = h[9];
    for (std::size_t i = 0; i < length;) {
      const std::size_t n = length - i < chunk ? length - i : chunk;
      const bytes rs = get_sdr(record_id, static_cast<std::uint8_t>(5 + i), static_cast<std::uint8_t>(n));
      if (rs[2] == 0xCA) {
        REQUIRE(n > 1);
        chunk = n - 1;
        continue;
      }
      REQUIRE(rs[2] == 0x00);
      REQUIRE(rs.size() == 5 + n);
      rec.insert(rec.end(), rs.begin() + 5, rs.end());
      i += n;
    }
    return rec;
  }
  /// Walks the repository; for each sensor record, Get Sensor Reading, and with `thresholds`
  /// (sensor list) Get Sensor Thresholds for a threshold sensor. Returns the records.
  std::vector<bytes> walk(bool thresholds) {
    std::vector<bytes> records;
    std::uint16_t next = 0x0000;
    do {
      const std::uint16_t id = next;
      const bytes rec = record(id, next);
      records.push_back(rec);
      if (rec[3] == 0x01 || rec[3] == 0x02) {
        const auto lun = static_cast<std::uint8_t>(rec[6] & 0x03);
        const std::uint8_t netfn_lun = static_cast<std::uint8_t>(0x10 | lun);
        REQUIRE(send({netfn_lun, 0x2D, rec[7]})[2] == 0x00);
        if (thresholds && rec[8 + 5] == 0x01) REQUIRE(send({netfn_lun, 0x27, rec[7]})[2] == 0x00);
      }
    } while (next != 0xFFFF);
    return records;
  }
};

std::vector<bytes> hex_lines(std::initializer_list<const char*> lines) {
  std::vector<bytes> out;
  for (const char* l : lines) out.push_back(hex(l));
  return out;
}

std::string dump(const std::vector<bytes>& v) {
  std::string s;
  for (const auto& b : v) s += test::to_hex(b) + "\n";
  return s;
}

}  // namespace

TEST_SUITE("bmc") {
  // --- ipmitool through the dispatcher -------------------------------------------------------

  TEST_CASE("bmc sdr: ipmitool's sdr info sends 0A/20 alone and gets version 51h, 5 records, 3 free slots, the "
            "add time, never erased, Reserve supported") {
    bench t;
    CHECK(t.run({0x28, 0x20}) == bytes{0x2C, 0x20, 0x00, 0x51, 0x05, 0x00, 0xC0, 0x00, 0x00, 0x10, 0x5E, 0x5F,
                                        0xFF, 0xFF, 0xFF, 0xFF, 0x02});
    const bytes rs = t.run({0x28, 0x20});
    const auto info = cmd::get_sdr_repository_info::response::parse(std::span(rs).subspan(3));
    REQUIRE(info);
    CHECK(info.value.record_count == 5);
    CHECK(info.value.free_space == 3 * 64);
    CHECK(info.value.last_add_time == T0);
    CHECK(info.value.last_erase_time == bmc::sdr_time_never);
    CHECK(info.value.update_support == cmd::sdr_update_support::unspecified);
    CHECK(info.value.supports_reserve);
    CHECK_FALSE(info.value.overflow);
    CHECK_FALSE(info.value.supports_delete);  // so ipmitool prints "Most recent Erase: NA"
    CHECK_FALSE(info.value.supports_partial_add);  // and "Most recent Addition: NA"
    CHECK_FALSE(info.value.supports_get_allocation_info);
  }

  TEST_CASE("bmc sdr: ipmitool's sdr list all, over lanplus (32-byte chunks), request by request") {
    bench t;
    ipmitool it{t};
    it.start();
    const auto records = it.walk(false);
    const auto expected = hex_lines({
        "18 01", "28 20", "28 22",
        "28 23 01 00 00 00 00 05", "28 23 01 00 01 00 05 0E",                             // MC locator "BMC"
        "28 23 01 00 02 00 00 05", "28 23 01 00 02 00 05 16",                             // FRU 0 "Builtin FRU"
        "28 23 01 00 03 00 00 05", "28 23 01 00 03 00 05 20", "28 23 01 00 03 00 25 03",  // "Watchdog"
        "10 2D 00",
        "28 23 01 00 04 00 00 05", "28 23 01 00 04 00 05 20", "28 23 01 00 04 00 25 13",  // "CPU Temp"
        "10 2D 10",
        "28 23 01 00 05 00 00 05", "28 23 01 00 05 00 05 20", "28 23 01 00 05 00 25 06",  // "Power State"
        "10 2D 20",
    });
    CHECK_MESSAGE(it.sent == expected, dump(it.sent));
    REQUIRE(records.size() == 5);
    for (std::size_t i = 0; i < records.size(); ++i) {
      const auto whole = t.b.sdr.bytes_at(i);
      CHECK(records[i] == bytes(whole.begin(), whole.end()));
    }
    // The headers, byte for byte: ID, 51h, type, length; the next ID FFFFh after the last.
    CHECK(t.run(hex("28 23 00 00 00 00 00 05")) == hex("2C 23 00 02 00 01 00 51 12 0E"));
    CHECK(t.run(hex("28 23 00 00 05 00 00 05")) == hex("2C 23 00 FF FF 05 00 51 02 26"));
  }

  TEST_CASE("bmc sdr: ipmitool's sensor list adds Get Sensor Thresholds for the threshold sensor only; "
            "in-band (33-byte chunks)") {
    bench t;
    REQUIRE(t.b.sdr.set_reading(0x10, 45) == rc::success);
    ipmitool it{t, 33};
    it.start();
    (void)it.walk(true);
    const auto expected = hex_lines({
        "18 01", "28 20", "28 22",
        "28 23 01 00 00 00 00 05", "28 23 01 00 01 00 05 0E",
        "28 23 01 00 02 00 00 05", "28 23 01 00 02 00 05 16",
        "28 23 01 00 03 00 00 05", "28 23 01 00 03 00 05 21", "28 23 01 00 03 00 26 02",
        "10 2D 00",
        "28 23 01 00 04 00 00 05", "28 23 01 00 04 00 05 21", "28 23 01 00 04 00 26 12",
        "10 2D 10", "10 27 10",
        "28 23 01 00 05 00 00 05", "28 23 01 00 05 00 05 21", "28 23 01 00 05 00 26 05",
        "10 2D 20",
    });
    CHECK_MESSAGE(it.sent == expected, dump(it.sent));
    // What it prints from: CPU Temp 45 (raw = °C), ok; thresholds LC 5, LNC 10, UNC 80, UC 90, UNR 100.
    CHECK(t.run(hex("10 2D 10")) == hex("14 2D 00 2D 40 C0"));
    CHECK(t.run(hex("10 27 10")) == hex("14 27 00 3B 0A 05 00 50 5A 64"));
    // The watchdog (no event yet) and the power state (not set yet: reading unavailable).
    CHECK(t.run(hex("10 2D 00")) == hex("14 2D 00 00 60 00 80"));
    CHECK(t.run(hex("10 2D 20")) == hex("14 2D 00 00 60 00 80"));
    REQUIRE(t.b.sdr.set_states(0x20, s0_working) == rc::success);
    CHECK(t.run(hex("10 2D 20")) == hex("14 2D 00 00 40 01 80"));
  }

  TEST_CASE("bmc sdr: a BMC that returns 20 record bytes at most: ipmitool shrinks its chunk on each 0xCA and "
            "keeps the smaller one") {
    bench t;
    t.b.sdr.set_max_read(20);
    ipmitool it{t};
    it.start();
    (void)it.walk(false);
    const auto expected = hex_lines({
        "18 01", "28 20", "28 22",
        "28 23 01 00 00 00 00 05", "28 23 01 00 01 00 05 0E",
        "28 23 01 00 02 00 00 05", "28 23 01 00 02 00 05 16", "28 23 01 00 02 00 05 15",
        "28 23 01 00 02 00 05 14", "28 23 01 00 02 00 19 02",
        "28 23 01 00 03 00 00 05", "28 23 01 00 03 00 05 14", "28 23 01 00 03 00 19 0F",
        "10 2D 00",
        "28 23 01 00 04 00 00 05", "28 23 01 00 04 00 05 14", "28 23 01 00 04 00 19 14",
        "28 23 01 00 04 00 2D 0B",
        "10 2D 10",
        "28 23 01 00 05 00 00 05", "28 23 01 00 05 00 05 14", "28 23 01 00 05 00 19 12",
        "10 2D 20",
    });
    CHECK_MESSAGE(it.sent == expected, dump(it.sent));
    CHECK(t.run(hex("28 23 00 00 02 00 00 FF")) == hex("2C 23 CA"));  // the whole record is 27 bytes
    CHECK(t.run(hex("28 23 00 00 01 00 00 FF")).size() == 3 + 2 + 19);  // this one is 19
  }

  TEST_CASE("bmc sdr: the repository changes between ipmitool's header and body reads: 0xC5, it re-reserves "
            "and reads on") {
    bench t;
    ipmitool it{t};
    it.start();
    std::uint16_t next = 0;
    (void)it.get_sdr(0, 0, 5);
    // The BMC adds a record: the reservation is cancelled (IPMI v2.0 §33.11).
    REQUIRE(t.b.sdr.add(bmc::threshold_sensor{.name = "Inlet", .number = 0x11}.record(), t0 + 10s));
    const bytes rec = it.record(1, next);
    CHECK(next == 2);
    CHECK(rec.size() == 19);
    const auto expected = hex_lines({
        "18 01", "28 20", "28 22", "28 23 01 00 00 00 00 05",
        "28 23 01 00 01 00 00 05", "28 22", "28 23 02 00 01 00 00 05",  // the header again, re-reserved
        "28 23 02 00 01 00 05 0E",
    });
    CHECK_MESSAGE(it.sent == expected, dump(it.sent));
  }

  // --- refusals --------------------------------------------------------------------------------

  TEST_CASE("bmc sdr: reservations: 0 only at offset 0; a stale one is 0xC5 at any offset; a newer reservation, "
            "an add, an erase, a clear and a build each cancel it") {
    bench t;
    CHECK(t.run(hex("28 23 00 00 01 00 00 05"))[2] == 0x00);  // no reservation at offset 0
    CHECK(t.run(hex("28 23 00 00 01 00 00 FF"))[2] == 0x00);
    CHECK(t.run(hex("28 23 00 00 01 00 05 02")) == hex("2C 23 C5"));  // a partial read needs one
    CHECK(t.run(hex("28 23 01 00 01 00 05 02")) == hex("2C 23 C5"));  // none reserved yet
    CHECK(t.run(hex("28 22")) == hex("2C 22 00 01 00"));
    CHECK(t.run(hex("28 23 01 00 01 00 05 02")) == hex("2C 23 00 02 00 20 00"));
    CHECK(t.run(hex("28 22")) == hex("2C 22 00 02 00"));
    CHECK(t.run(hex("28 23 01 00 01 00 05 02")) == hex("2C 23 C5"));  // replaced
    CHECK(t.run(hex("28 23 01 00 01 00 00 05")) == hex("2C 23 C5"));  // stale at offset 0 too
    CHECK(t.run(hex("28 23 02 00 01 00 05 02"))[2] == 0x00);

    auto& sdr = t.b.sdr;
    std::uint16_t r = sdr.reserve();
    REQUIRE(sdr.add(bmc::threshold_sensor{.name = "A", .number = 0x30}.record(), t0));
    CHECK_FALSE(sdr.reservation_valid(r));
    r = sdr.reserve();
    REQUIRE(sdr.erase(0xFFFF, t0));
    CHECK_FALSE(sdr.reservation_valid(r));
    r = sdr.reserve();
    CHECK_FALSE(sdr.erase(0x0777, t0));  // nothing erased: the reservation stands
    CHECK(sdr.reservation_valid(r));
    CHECK(sdr.set_reading(0x10, 50) == rc::success);  // a reading is not a change to the repository
    CHECK(sdr.reservation_valid(r));
    REQUIRE(sdr.build(config, t0));
    CHECK_FALSE(sdr.reservation_valid(r));
    r = sdr.reserve();
    sdr.clear(t0);
    CHECK_FALSE(sdr.reservation_valid(r));
    CHECK_FALSE(sdr.reservation_valid(0));
  }

  TEST_CASE("bmc sdr: Get SDR refuses by name: 0xCB unknown record, 0xC9 offset past the record, 0xCA past its "
            "end, 0xCC 0 bytes; FFh reads to the end") {
    bench t;
    CHECK(t.run(hex("28 22")) == hex("2C 22 00 01 00"));
    CHECK(t.run(hex("28 23 00 00 99 00 00 FF")) == hex("2C 23 CB"));  // requested record not present
    CHECK(t.run(hex("28 23 01 00 FE FF 00 05")) == hex("2C 23 CB"));
    CHECK(t.run(hex("28 23 01 00 01 00 13 01")) == hex("2C 23 C9"));  // record 1 is 19 bytes: 13h is past it
    CHECK(t.run(hex("28 23 01 00 01 00 FF 01")) == hex("2C 23 C9"));
    CHECK(t.run(hex("28 23 01 00 01 00 12 01")) == hex("2C 23 00 02 00 43"));  // its last byte: 'C' of "BMC"
    CHECK(t.run(hex("28 23 01 00 01 00 12 02")) == hex("2C 23 CA"));  // cannot return requested bytes
    CHECK(t.run(hex("28 23 01 00 01 00 05 0F")) == hex("2C 23 CA"));
    CHECK(t.run(hex("28 23 01 00 01 00 05 00")) == hex("2C 23 CC"));
    CHECK(t.run(hex("28 23 07 00 99 00 FF 00")) == hex("2C 23 CC"));  // 0 bytes is refused before anything else
    CHECK(t.run(hex("28 23 01 00 01 00 0F FF")) == hex("2C 23 00 02 00 C3 42 4D 43"));  // ID type/length, "BMC"
    // FFFFh is the last record; 0000h the first.
    CHECK(t.run(hex("28 23 00 00 FF FF 00 03")) == hex("2C 23 00 FF FF 05 00 51"));
    // An empty repository has no first record.
    t.b.sdr.clear(t0);
    CHECK(t.run(hex("28 23 00 00 00 00 00 05")) == hex("2C 23 CB"));
    CHECK(t.run(hex("28 20"))[4] == 0x00);
  }

  TEST_CASE("bmc sdr: every offset and count of every record reads its slice, or 0xCC (0 bytes, first), 0xC9, "
            "0xCA") {
    bench t;
    const std::uint16_t r = t.b.sdr.reserve();
    for (std::size_t i = 0; i < t.b.sdr.size(); ++i) {
      const auto whole = t.b.sdr.bytes_at(i);
      const std::uint16_t id = t.b.sdr.id_at(i);
      const std::uint16_t next = i + 1 < t.b.sdr.size() ? t.b.sdr.id_at(i + 1) : std::uint16_t{0xFFFF};
      for (unsigned offset = 0; offset <= whole.size(); ++offset) {
        for (unsigned count = 0; count <= whole.size() + 1; ++count) {
          const auto o = static_cast<std::uint8_t>(offset);
          const auto n = static_cast<std::uint8_t>(count == whole.size() + 1 ? 0xFF : count);
          const bytes rs = t.run({0x28, 0x23, lo(r), hi(r), lo(id), hi(id), o, n});
          CAPTURE(offset);
          CAPTURE(count);
          if (n == 0) {  // refused by the request's parse, before the record is looked at
            CHECK(rs == bytes{0x2C, 0x23, 0xCC});
          } else if (offset == whole.size()) {
            CHECK(rs == bytes{0x2C, 0x23, 0xC9});
          } else if (n != 0xFF && offset + n > whole.size()) {
            CHECK(rs == bytes{0x2C, 0x23, 0xCA});
          } else {
            const std::size_t len = n == 0xFF ? whole.size() - offset : n;
            bytes want{0x2C, 0x23, 0x00, lo(next), hi(next)};
            want.insert(want.end(), whole.begin() + offset, whole.begin() + static_cast<std::ptrdiff_t>(offset + len));
            CHECK(rs == want);
          }
        }
      }
    }
  }

  TEST_CASE("bmc sdr: sensor commands refuse by name: 0xCB unknown sensor, 0xCD thresholds of a discrete sensor") {
    bench t;
    CHECK(t.run(hex("10 2D 77")) == hex("14 2D CB"));  // requested sensor not present
    CHECK(t.run(hex("10 27 77")) == hex("14 27 CB"));
    CHECK(t.run(hex("10 27 20")) == hex("14 27 CD"));  // command illegal for this sensor
    CHECK(t.run(hex("10 27 00")) == hex("14 27 CD"));
    CHECK(t.b.sdr.set_reading(0x77, 1) == rc::requested_sensor_not_present);
    CHECK(t.b.sdr.set_states(0x10, 1, 1) == rc::requested_sensor_not_present);  // LUN 1: no such sensor
    CHECK(t.b.sdr.sensor(0x77) == nullptr);
    CHECK(t.b.sdr.sensor(0x10) != nullptr);
  }

  TEST_CASE("bmc sdr: wrong lengths are 0xC7, privileges Appendix G's (user), another LUN 0xC2") {
    bench t;
    CHECK(t.run(hex("28 20 00")) == hex("2C 20 C7"));
    CHECK(t.run(hex("28 22 00")) == hex("2C 22 C7"));
    CHECK(t.run(hex("28 23 00 00 01 00 00")) == hex("2C 23 C7"));
    CHECK(t.run(hex("28 23 00 00 01 00 00 05 00")) == hex("2C 23 C7"));
    CHECK(t.run(hex("10 2D")) == hex("14 2D C7"));
    CHECK(t.run(hex("10 2D 10 00")) == hex("14 2D C7"));
    CHECK(t.run(hex("10 27")) == hex("14 27 C7"));
    const bmc::origin callback{bmc::privilege::callback, 1};
    for (const char* rq : {"28 20", "28 22", "28 23 00 00 00 00 00 05", "10 2D 10", "10 27 10"}) {
      const bytes rs = t.run(hex(rq), callback);
      CHECK(rs.size() == 3);
      CHECK(rs[2] == 0xD4);
    }
    for (const auto& e : t.d.entries())
      if (e.id != cmd::get_device_id::id) CHECK(e.required == bmc::privilege::user);
    CHECK(t.run(hex("11 2D 10")) == hex("15 2D C2"));  // LUN 1 is not served by default
  }

  TEST_CASE("bmc sdr: add_sdr_commands registers all five or none") {
    bmc::dispatcher<my_bmc, 16> d;
    bmc::dispatcher<my_bmc, 4> small;
    test::check_all_or_none(d, small, [](auto& x) { return bmc::add_sdr_commands<&my_bmc::sdr>(x); }, 5);
    CHECK(small.entries().empty());
    static_assert(bmc::sdr_context<my_bmc, &my_bmc::sdr>);
    struct other {
      int sdr = 0;
    };
    static_assert(!bmc::sdr_context<other, &other::sdr>);
  }

  TEST_CASE("bmc sdr: add refuses by name and changes nothing: full (overflow set), bad_record, "
            "duplicate_sensor; build is all or nothing") {
    repo_t<3> sdr;
    REQUIRE(sdr.build({.watchdog = false}, t0));
    REQUIRE(sdr.size() == 2);
    const auto temp = cpu_temp.record();
    CHECK(sdr.add(temp, t0 + 1s) == bmc::sdr_add_result{bmc::sdr_add_error::ok, 3});
    CHECK(sdr.add(bmc::threshold_sensor{.number = 0x10}.record(), t0) ==
          bmc::sdr_add_result{bmc::sdr_add_error::duplicate_sensor, 0});
    CHECK(sdr.add(bmc::threshold_sensor{.number = 0x11}.record(), t0) ==
          bmc::sdr_add_result{bmc::sdr_add_error::full, 0});
    CHECK(sdr.overflow());
    CHECK(sdr.info().overflow);
    CHECK(sdr.info().free_space == 0);
    CHECK(sdr.info().last_add_time == T0 + 1);

    repo_t<4> r;
    std::array<std::uint8_t, 64> b{};
    const auto e = temp.encode(b);
    REQUIRE(e);
    const auto whole = std::span<const std::uint8_t>(b).first(e.size);
    CHECK(r.add(whole.first(4), t0).error == bmc::sdr_add_error::bad_record);  // shorter than a header
    CHECK(r.add(whole.first(e.size - 1), t0).error == bmc::sdr_add_error::bad_record);  // length byte says more
    auto copy = b;
    copy[2] = 0x50;  // not SDR version 51h
    CHECK(r.add(std::span<const std::uint8_t>(copy).first(e.size), t0).error == bmc::sdr_add_error::bad_record);
    copy = b;
    copy[23] = 0x80;  // linearization's reserved bit: not a full sensor record
    CHECK(r.add(std::span<const std::uint8_t>(copy).first(e.size), t0).error == bmc::sdr_add_error::bad_record);
    std::array<std::uint8_t, 70> longer{0x00, 0x00, 0x51, 0xC0, 65};  // an OEM record of 70 bytes: past a slot
    CHECK(r.add(longer, t0).error == bmc::sdr_add_error::bad_record);
    cmd::full_sensor_record bad = temp;
    bad.m = 600;  // does not fit 10 bits
    CHECK(r.add(bad, t0).error == bmc::sdr_add_error::bad_record);
    CHECK(r.empty());
    CHECK(r.info().last_add_time == bmc::sdr_time_never);
    // A small OEM record (type C0h) is taken as it is, with the ID the repository gives it.
    const std::array<std::uint8_t, 8> oem{0xAA, 0xAA, 0x51, 0xC0, 0x03, 0x57, 0x01, 0x00};
    CHECK(r.add(oem, t0) == bmc::sdr_add_result{bmc::sdr_add_error::ok, 1});
    CHECK(bytes(r.bytes_at(0).begin(), r.bytes_at(0).end()) == hex("01 00 51 C0 03 57 01 00"));

    // build: a configuration with two sensors numbered alike changes nothing.
    repo_t<8> s;
    REQUIRE(s.build(config, t0));
    const std::array<bmc::discrete_sensor, 2> twins{bmc::discrete_sensor{"A", 0x40}, bmc::discrete_sensor{"B", 0x40}};
    CHECK(s.build({.discrete_sensors = twins}, t0 + 5s).error == bmc::sdr_add_error::duplicate_sensor);
    CHECK(s.size() == 5);
    CHECK(s.info().last_erase_time == bmc::sdr_time_never);
    const std::array<bmc::discrete_sensor, 5> many{bmc::discrete_sensor{"A", 0x41}, bmc::discrete_sensor{"B", 0x42},
                                                   bmc::discrete_sensor{"C", 0x43}, bmc::discrete_sensor{"D", 0x44},
                                                   bmc::discrete_sensor{"E", 0x45}};
    CHECK(s.build({.threshold_sensors = temps, .discrete_sensors = many}, t0).error == bmc::sdr_add_error::full);
    CHECK(s.size() == 5);
    CHECK_FALSE(s.overflow());
    // The watchdog's number may collide with yours.
    const std::array<bmc::discrete_sensor, 1> zero{bmc::discrete_sensor{"Zero", 0x00}};
    CHECK(s.build({.discrete_sensors = zero}, t0).error == bmc::sdr_add_error::duplicate_sensor);
    CHECK(s.build({.watchdog_number = 0x01, .discrete_sensors = zero}, t0));
    CHECK(bmc::name(bmc::sdr_add_error::duplicate_sensor) == "duplicate_sensor");
    CHECK(bmc::name(bmc::sdr_add_error::full) == "full");
    CHECK(bmc::name(bmc::sdr_add_error::bad_record) == "bad_record");
  }

  TEST_CASE("bmc sdr: record IDs count from 0001h, skip the ones present, never 0000h or FFFFh; erase and clear "
            "set the erase time; build restarts them") {
    repo_t<4> s;
    const auto rec = [](std::uint8_t n) { return bmc::discrete_sensor{"S", n}.record(); };
    CHECK(s.add(rec(1), t0).record_id == 1);
    CHECK(s.add(rec(2), t0).record_id == 2);
    CHECK(s.add(rec(3), t0).record_id == 3);
    CHECK(s.erase(0x0000, t0 + 7s));  // the first
    CHECK_FALSE(s.contains(1));
    CHECK(s.info().last_erase_time == T0 + 7);
    CHECK(s.add(rec(4), t0).record_id == 4);
    CHECK(s.id_at(0) == 2);
    CHECK(s.erase(0xFFFF, t0));  // the last: 4
    CHECK(s.id_at(s.size() - 1) == 3);
    CHECK(s.erase(2, t0));
    CHECK_FALSE(s.contains(0x0000));
    CHECK_FALSE(s.contains(0xFFFF));
    s.clear(t0 + 9s);
    CHECK(s.empty());
    CHECK(s.info().last_erase_time == T0 + 9);
    CHECK_FALSE(s.erase(0x0000, t0));
    CHECK(s.add(rec(1), t0).record_id == 5);  // clear does not restart the count
    REQUIRE(s.build({}, t0));
    CHECK(s.id_at(0) == 1);
    CHECK(s.id_at(2) == 3);
  }

  // --- the sensors --------------------------------------------------------------------------

  TEST_CASE("bmc sdr: threshold status bits at each boundary: at or below a lower threshold, at or above an "
            "upper one, only the thresholds the record compares") {
    bench t;
    struct point {
      std::uint8_t raw;
      std::uint8_t state;
    };
    const point points[] = {
        {0, 0xC3},   {4, 0xC3},   {5, 0xC3},  // ≤ LC 5 and ≤ LNC 10; LNR (1) is not compared
        {6, 0xC1},   {10, 0xC1},              // ≤ LNC
        {11, 0xC0},  {79, 0xC0},              // normal
        {80, 0xC8},  {89, 0xC8},              // ≥ UNC
        {90, 0xD8},  {99, 0xD8},              // ≥ UC
        {100, 0xF8}, {255, 0xF8},             // ≥ UNR
    };
    for (const point& p : points) {
      REQUIRE(t.b.sdr.set_reading(0x10, p.raw) == rc::success);
      CAPTURE(static_cast<int>(p.raw));
      CHECK(t.run({0x10, 0x2D, 0x10}) == bytes{0x14, 0x2D, 0x00, p.raw, 0x40, p.state});
    }
    // Scanning off, events on, reading unavailable: the flags follow; no comparison while unavailable.
    REQUIRE(t.b.sdr.set_scanning(0x10, false) == rc::success);
    REQUIRE(t.b.sdr.set_events(0x10, true) == rc::success);
    CHECK(t.run(hex("10 2D 10")) == hex("14 2D 00 FF 80 F8"));
    REQUIRE(t.b.sdr.set_unavailable(0x10, true) == rc::success);
    CHECK(t.run(hex("10 2D 10")) == hex("14 2D 00 FF A0 C0"));
    const bytes unavailable = t.run(hex("10 2D 10"));
    const auto rs = cmd::get_sensor_reading::response::parse(std::span(unavailable).subspan(3));
    REQUIRE(rs);
    CHECK_FALSE(rs.value.usable());
  }

  TEST_CASE("bmc sdr: a signed sensor compares signed: 2's complement -16 is below a lower threshold of -10, "
            "not above an upper one") {
    repo_t<2> s;
    const bmc::threshold_sensor signed_temp{.name = "Outside",
                                            .number = 0x05,
                                            .format = cmd::analog_format::twos_complement,
                                            .thresholds = test::make<cmd::get_sensor_thresholds::response>([](auto& t) {
                                              t.readable = tb::lower_critical | tb::upper_critical;
                                              t.lower_critical = 0xF6;  // -10
                                              t.upper_critical = 0x20;
                                            })};
    REQUIRE(s.add(signed_temp.record(), t0));
    REQUIRE(s.set_reading(0x05, 0xF0) == rc::success);  // -16
    cmd::get_sensor_reading::response r;
    REQUIRE(s.reading(0x05, 0, r) == rc::success);
    CHECK(r.state == (0xC0 | tb::lower_critical));
    REQUIRE(s.set_reading(0x05, 0x20) == rc::success);
    REQUIRE(s.reading(0x05, 0, r) == rc::success);
    CHECK(r.state == (0xC0 | tb::upper_critical));
    cmd::get_sensor_thresholds::response th;
    REQUIRE(s.thresholds(0x05, 0, th) == rc::success);
    CHECK(th.readable == (tb::lower_critical | tb::upper_critical));
    CHECK(th.lower_critical == 0xF6);
    CHECK(th.upper_critical == 0x20);
    CHECK(th.lower_non_critical == 0);
  }

  TEST_CASE("bmc sdr: discrete states are reported within the record's mask, 0-7 in byte 3 and 8-14 in byte 4") {
    bench t;
    REQUIRE(t.b.sdr.set_states(0x20, 0x7FFF) == rc::success);
    CHECK(t.run(hex("10 2D 20")) == hex("14 2D 00 00 40 21 80"));  // S0 and S5 only
    REQUIRE(t.b.sdr.set_states(0x20, s5_soft_off) == rc::success);
    const bytes rs = t.run(hex("10 2D 20"));
    const auto r = cmd::get_sensor_reading::response::parse(std::span(rs).subspan(3));
    REQUIRE(r);
    CHECK(r.value.discrete_states() == s5_soft_off);
    CHECK(t.b.sdr.sensor(0x20)->states == s5_soft_off);
  }

  TEST_CASE("bmc sdr: the watchdog's events are the Watchdog 2 sensor's states: the pre-timeout 08h, the expiry "
            "its action's offset") {
    bench t;
    bmc::basic_watchdog<test_clock> wd;
    cmd::set_watchdog_timer::request rq;
    rq.timer_use = cmd::watchdog_timer_use::sms_os;
    rq.timeout_action = cmd::watchdog_timeout_action::power_cycle;
    rq.pretimeout_interrupt = cmd::watchdog_pretimeout_interrupt::messaging;
    rq.pretimeout_interval = 1;
    rq.initial_countdown = 20;  // 2 s
    REQUIRE(wd.set(rq, t0) == rc::success);
    REQUIRE(wd.reset(t0) == rc::success);
    const auto log_state = [&](const auto& e) {
      REQUIRE(t.b.sdr.set_states(bmc::watchdog_sensor_number, static_cast<std::uint16_t>(1u << e.event.offset())) ==
              rc::success);
    };
    (void)wd.poll(t0 + 1s, log_state);
    CHECK(t.run(hex("10 2D 00")) == hex("14 2D 00 00 40 00 81"));  // offset 08h: timer interrupt
    (void)wd.poll(t0 + 2s, log_state);
    CHECK(t.run(hex("10 2D 00")) == hex("14 2D 00 00 40 08 80"));  // offset 03h: power cycle
  }

  // --- the records --------------------------------------------------------------------------

  TEST_CASE("bmc sdr: a walk in 7-byte partial reads reassembles every record, and cmd/sdr.hpp parses each as "
            "built") {
    bench t;
    const std::uint16_t r = le16(t.run(hex("28 22")), 3);
    std::vector<bytes> records;
    std::uint16_t id = 0x0000;
    for (int guard = 0; guard < 10 && id != 0xFFFF; ++guard) {
      bytes rec;
      std::uint16_t next = 0;
      std::size_t size = 5;
      for (std::size_t off = 0; off < size;) {
        const auto n = static_cast<std::uint8_t>(size - off < 7 ? size - off : 7);
        const bytes rs = t.run({0x28, 0x23, lo(r), hi(r), lo(id), hi(id), static_cast<std::uint8_t>(off), n});
        REQUIRE(rs[2] == 0x00);
        REQUIRE(rs.size() == 5u + n);
        next = le16(rs, 3);
        rec.insert(rec.end(), rs.begin() + 5, rs.end());
        off += n;
        if (off == 5) size = 5u + rec[4];
      }
      if (id == 0) id = le16(rec, 0);
      CHECK(le16(rec, 0) == id);
      records.push_back(rec);
      id = next;
    }
    REQUIRE(records.size() == 5);

    const auto mc = cmd::mc_device_locator_record::parse(records[0]);
    REQUIRE(mc);
    auto mc_want = config.controller();
    mc_want.record_id = 1;
    CHECK(mc.value == mc_want);
    CHECK(mc.value.id.chars() == "BMC");
    CHECK(mc.value.capabilities == 0x8F);

    const auto fru = cmd::fru_device_locator_record::parse(records[1]);
    REQUIRE(fru);
    CHECK(fru.value.fru_device_id == 0);
    CHECK(fru.value.logical);
    CHECK(fru.value.id.chars() == "Builtin FRU");

    const auto wd = cmd::compact_sensor_record::parse(records[2]);
    REQUIRE(wd);
    CHECK(wd.value.key.sensor_type == 0x23);
    CHECK(wd.value.key.event_reading_type == 0x6F);
    CHECK(wd.value.key.reading_mask == 0x010F);
    CHECK(wd.value.key.sensor_number == 0x00);
    CHECK(wd.value.id.chars() == "Watchdog");

    const auto temp = cmd::full_sensor_record::parse(records[3]);
    REQUIRE(temp);
    auto temp_want = cpu_temp.record();
    temp_want.record_id = 4;
    CHECK(temp.value == temp_want);
    CHECK(temp.value.key.reading_mask == 0x003B);  // readable LNC, LC, UNC, UC, UNR
    CHECK(temp.value.key.assertion_mask == 0x3000);
    CHECK(temp.value.key.deassertion_mask == 0x7000);
    CHECK(temp.value.key.capabilities == 0x37);
    CHECK(temp.value.positive_hysteresis == 2);
    CHECK(cmd::convert_reading(temp.value, 45) == cmd::converted_reading{45, 0});

    const auto power = cmd::compact_sensor_record::parse(records[4]);
    REQUIRE(power);
    CHECK(power.value.key.sensor_type == acpi_power_state);
    CHECK(power.value.key.reading_mask == (s0_working | s5_soft_off));
    CHECK(power.value.id.chars() == "Power State");
  }

  TEST_CASE("bmc sdr: a linear sensor in tenths: M 5, R exp -1 converts raw 100 to 50.0") {
    const bmc::threshold_sensor volts{.name = "12V", .number = 0x30, .base_unit = 0x04, .m = 5, .r_exp = -1};
    const auto rec = volts.record();
    CHECK(cmd::convert_reading(rec, 100) == cmd::converted_reading{500, -1});
    CHECK(rec.key.base_unit == 0x04);
  }

  // --- at compile time ----------------------------------------------------------------------

  TEST_CASE("bmc sdr: build, get, reading and thresholds run in constant evaluation, and so does a dispatch") {
    test::check_at_compile_time([] {
      repo_t<6> s;
      if (!s.build(config, t0) || s.size() != 5) return false;
      cmd::get_sdr::response rs;
      if (s.get({0, 0, 0, 5}, rs) != rc::success || rs.next_record_id != 2 || rs.length != 5) return false;
      if (s.get({0, 4, 5, 4}, rs) != rc::reservation_canceled) return false;
      const auto r = s.reserve();
      if (s.get({r, 4, 5, 4}, rs) != rc::success || rs.data[0] != 0x20 || rs.data[2] != 0x10) return false;
      if (s.get({r, 4, 60, 1}, rs) != rc::parameter_out_of_range) return false;
      if (s.set_reading(0x10, 95) != rc::success) return false;
      cmd::get_sensor_reading::response rd;
      if (s.reading(0x10, 0, rd) != rc::success || rd.state != 0xD8) return false;
      cmd::get_sensor_thresholds::response th;
      if (s.thresholds(0x10, 0, th) != rc::success || th.upper_critical != 90) return false;
      return s.erase(0xFFFF, t0) && s.size() == 4 && !s.reservation_valid(r);
    });

    test::check_at_compile_time([] {
      bmc::dispatcher<my_bmc, 8> d;
      if (bmc::add_sdr_commands<&my_bmc::sdr>(d) != bmc::add_error::ok) return false;
      my_bmc b;
      if (!b.sdr.build(config, t0) || b.sdr.set_reading(0x10, 80) != rc::success) return false;
      std::array<std::uint8_t, 32> out{};
      const std::array<std::uint8_t, 3> read{0x10, 0x2D, 0x10};
      const auto r = d.dispatch(b, read, {}, out);
      return r.size == 6 && out[2] == 0x00 && out[3] == 80 && out[4] == 0x40 && out[5] == 0xC8;
    });
  }
}
