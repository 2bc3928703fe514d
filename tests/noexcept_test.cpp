// tests/noexcept_test.cpp — ipmikit in a build without exceptions and without RTTI
// (-fno-exceptions -fno-rtti, as in firmware and many embedded builds): the checksum, message
// vocabulary, encoder and decoder compile and work. A tiny check harness instead of doctest;
// main() returns nonzero on any failure, and first proves that a failing check is counted.
#if defined(__cpp_exceptions) || defined(__EXCEPTIONS)
#error "noexcept_test.cpp must be compiled with -fno-exceptions"
#endif
#if defined(__cpp_rtti) || defined(__GXX_RTTI)
#error "noexcept_test.cpp must be compiled with -fno-rtti"
#endif

#include <array>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <span>
#include <vector>

#include <ipmikit/ipmikit.hpp>

#include "reference_codec.hpp"
#include "session_exchange.hpp"

namespace {

int g_failures = 0;
bool g_quiet = false;

bool check(bool ok, const char* what, int line) {
  if (!ok) {
    ++g_failures;
    if (!g_quiet) std::fprintf(stderr, "noexcept_test.cpp:%d: FAILED: %s\n", line, what);
  }
  return ok;
}
#define CHECK(cond) check((cond), #cond, __LINE__)

using bytes = std::vector<std::uint8_t>;
using namespace ipmikit;

bytes encoded_message(std::uint8_t id, const bytes& body) {
  bytes out(vm::max_message_frame_size(body.size()));
  const auto r = vm::encode_message(out, id, body);
  out.resize(r.size);
  return out;
}

std::vector<test::event> decode(const bytes& stream, std::size_t chunk) {
  vm::decoder d;
  test::event_recorder rec;
  const std::span<const std::uint8_t> s(stream);
  for (std::size_t at = 0; at < s.size(); at += chunk)
    d.feed(s.subspan(at, chunk < s.size() - at ? chunk : s.size() - at), rec);
  return rec.events;
}

void test_checksum() {
  const bytes frame{0x01, 0x1C, 0x01, 0x00, 0x00, 0x03, 0x09, 0x08, 0x02, 0x9F, 0x91,
                    0x12, 0x00, 0x02, 0x0F, 0x00, 0x00, 0x00, 0x00, 0x79};
  CHECK(checksum_ok(frame));
  CHECK(compute_checksum(std::span<const std::uint8_t>(frame).first(frame.size() - 1)) == 0x79);
  CHECK(checksum{}.add(0x18).add(0x01).value() == 0xE7);
  bytes bad = frame;
  bad[5] = static_cast<std::uint8_t>(bad[5] ^ 0x01);
  CHECK(!checksum_ok(bad));
}

void test_message() {
  CHECK(pack_netfn_lun(netfn::app, lun::bmc) == 0x18);
  CHECK(response_netfn(netfn::app) == static_cast<netfn>(0x07));
  CHECK(name(completion_code::timeout) == "timeout");
  CHECK(command_name(netfn::app, 0x01) == "Get Device ID");
  const bytes body{0x1C, 0x01, 0xC1};
  const auto r = response_view::parse(body);
  CHECK(r.has_value() && r->code == completion_code::invalid_command && r->data.empty());
  CHECK(!request_view::parse(std::span<const std::uint8_t>(body).first(1)).has_value());
}

void test_encoder() {
  CHECK((encoded_message(0x00, {0x18, 0x01}) == bytes{0x00, 0x18, 0x01, 0xE7, 0xA0}));
  CHECK((encoded_message(0x01, {0x18, 0x2E, 0x0F}) == bytes{0x01, 0x18, 0x2E, 0x0F, 0xAA, 0xBA, 0xA0}));
  const auto g = vm::make_emulator_greeting(vm::qemu_capabilities);
  CHECK((bytes(g.view().begin(), g.view().end()) == bytes{0xFF, 0x01, 0xA1, 0x08, 0x3F, 0xA1}));

  std::array<std::uint8_t, 4> small{};
  const bytes body{0x18, 0x2E, 0x0F};
  const auto r = vm::encode_message(small, 0x01, body);
  CHECK(r.error == vm::encode_error::buffer_too_small && r.required == 7 && r.size == 0);
  CHECK(vm::encode_message(small, 0x01, std::span<const std::uint8_t>(body).first(1)).error ==
        vm::encode_error::body_too_short);
  const bytes huge(301, 0x00);
  std::vector<std::uint8_t> big(vm::max_message_frame_size(301));
  CHECK(vm::encode_message(big, 0x00, huge).error == vm::encode_error::body_too_long);
  CHECK(vm::encode_command(small, vm::command::version).error == vm::encode_error::wrong_argument_count);

  // Agreement with the reference encoder on bodies dense with special bytes.
  std::uint32_t x = 12345;
  for (int round = 0; round < 200; ++round) {
    bytes b(2 + static_cast<std::size_t>(round) % 40);
    for (auto& v : b) {
      x = x * 1103515245u + 12345u;
      const std::uint8_t pick = static_cast<std::uint8_t>(x >> 16);
      v = (pick & 1u) ? static_cast<std::uint8_t>(0xA0 + (pick >> 1) % 11) : pick;
    }
    const auto id = static_cast<std::uint8_t>(x >> 8);
    CHECK(encoded_message(id, b) == test::reference_message_frame(id, b));
  }
}

void test_decoder() {
  const bytes stream{
      0xFF, 0x01, 0xA1, 0x00, 0xA1,                                            // ipmi_sim greeting
      0x00, 0x18, 0x01, 0xE7, 0xA0,                                            // Get Device ID
      0x01, 0x18, 0x2E, 0x0F, 0xAA, 0xBA, 0xA0,                                // escaped checksum
      0x00, 0x18, 0x01, 0xE8, 0xA0,                                            // checksum_mismatch
      0x00, 0xAA, 0x42, 0xA0,                                                  // invalid_escape
      0x42, 0xA1,                                                              // unknown_command
  };
  const auto expected = [&] {
    test::reference_decoder<> ref;
    test::event_recorder rec;
    ref.feed(stream, rec);
    return rec.events;
  }();
  CHECK(expected.size() == 7);
  for (std::size_t chunk = 1; chunk <= stream.size(); ++chunk) CHECK(decode(stream, chunk) == expected);

  vm::decoder d;
  test::event_recorder rec;
  d.feed(stream, rec);
  CHECK(d.stats().messages == 2);
  CHECK(d.stats().commands == 2);
  CHECK(d.stats().count(vm::decode_error::checksum_mismatch) == 1);
  CHECK(d.stats().count(vm::decode_error::invalid_escape) == 1);
  CHECK(d.stats().count(vm::decode_error::unknown_command) == 1);
  CHECK(rec.events.size() == 7 && rec.events[2].id_or_code == 0x00 && rec.events[2].frame_offset == 5);
}

}  // namespace

struct session_emulator_events {
  std::vector<std::uint8_t> codes;
  std::vector<vm::command> hardware;
  void operator()(const vm::response_event& r) { codes.push_back(r.body[2]); }
  void operator()(const vm::hardware_event& h) { hardware.push_back(h.code); }
  void operator()(const auto&) {}
};
struct session_bmc_events {
  vm::bmc_session<std::chrono::steady_clock>* b;
  void operator()(const vm::request_event& r) {
    const std::uint8_t rsp[] = {0x1C, r.cmd(), 0x00};
    b->set_attention(true);
    b->respond(r.msg_id, rsp);
  }
  void operator()(const auto&) {}
};

// Both session roles joined in memory: greeting, a request with attention, a local timeout.
void test_session() {
  using clk = std::chrono::steady_clock;
  vm::emulator_session<clk> emu;
  vm::bmc_session<clk> bmc;
  session_emulator_events eh;
  session_bmc_events bh{&bmc};
  clk::time_point t{};
  emu.connect(t, eh);
  bmc.connect(t, bh);
  const std::uint8_t req[] = {0x18, 0x01};
  CHECK(emu.send_request(1, req, t, eh) == vm::session_error::ok);
  CHECK(emu.send_request(2, req, t, eh) == vm::session_error::request_outstanding);
  for (int k = 0; k < 8; ++k) {
    test::exchange(emu, eh, bmc, bh, t);
    t += std::chrono::milliseconds(11);
    bmc.poll(t, bh);
  }
  CHECK(eh.codes == bytes{0x00});
  CHECK(eh.hardware.size() == 1 && eh.hardware[0] == vm::command::attention);
  CHECK(emu.send_request(3, req, t, eh) == vm::session_error::ok);
  emu.poll(t + std::chrono::seconds(4), eh);
  CHECK(eh.codes == (bytes{0x00, 0xC3}));
}

// KCS and BT, host ⇄ device, in a build without exceptions and RTTI.
void test_system_interfaces() {
  using clk = std::chrono::steady_clock;
  clk::time_point t{};
  auto now = [&] { return t += std::chrono::milliseconds(1); };
  const std::uint8_t req[] = {0x18, 0x01};
  const std::uint8_t rsp[] = {0x1C, 0x01, 0x00, 0x20};

  struct kcs_bus {
    kcs::device device;
    std::span<const std::uint8_t> answer;
    std::uint8_t read_status() { return device.read_status(); }
    std::uint8_t read_data() { return device.read_data(); }
    void write_command(std::uint8_t v) { device.write_command(v); }
    void write_data(std::uint8_t v) {
      if (device.write_data(v) == kcs::event::request_ready) device.respond(device.pending_request()->id, answer);
    }
  } kb{{}, rsp};
  kcs::host kh;
  CHECK(kh.start(req, t) == kcs::host_error::ok);
  CHECK(kcs::drive(kh, kb, now, 1000) == kcs::outcome::done);
  CHECK(bytes(kh.response().begin(), kh.response().end()) == bytes(std::begin(rsp), std::end(rsp)));

  struct bt_bus {
    bt::device device;
    std::span<const std::uint8_t> answer;
    std::uint8_t read_control() { return device.read_control(); }
    std::uint8_t read_buffer() { return device.read_buffer(); }
    void write_control(std::uint8_t v) {
      if (ipmikit::si::has_new_request(device.write_control(v))) device.respond(device.pending_request()->id, answer);
    }
    void write_buffer(std::uint8_t v) { device.write_buffer(v); }
  } bb{{}, rsp};
  bt::host bh;
  CHECK(bh.start(req, t) == bt::host_error::ok);
  CHECK(bt::drive(bh, bb, now, 1000) == bt::outcome::done);
  CHECK(bytes(bh.response().begin(), bh.response().end()) == bytes(std::begin(rsp), std::end(rsp)));
}

int main() {
  // The harness can fail: a false check is counted (then the count is reset).
  g_quiet = true;
  CHECK(1 + 1 == 3);
  g_quiet = false;
  if (g_failures != 1) {
    std::fprintf(stderr, "the check harness does not count failures\n");
    return 2;
  }
  g_failures = 0;

  test_checksum();
  test_message();
  test_encoder();
  test_decoder();
  test_session();
  test_system_interfaces();
  if (g_failures == 0) std::printf("noexcept_test: all checks passed\n");
  return g_failures == 0 ? 0 : 1;
}
