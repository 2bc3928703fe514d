// tests/no_alloc_test.cpp — proves that the encoder, the decoder (zero-copy and copying paths,
// every error) and the checksum never allocate.
//
// Every global operator new / new[] (plain, nothrow, aligned, aligned nothrow) is replaced by a
// counting version; each section compares the count before and after. The test first proves
// the counter sees a std::vector allocation and the aligned and nothrow forms, so it can fail.
//
// Under AddressSanitizer: the replacements are ordinary definitions in this executable, so they
// win over ASan's own operator new (which lives in a separate archive member that is then not
// linked); they call malloc / aligned_alloc / free, which ASan still intercepts, so ASan keeps
// checking every access and the counts stay exact. The counter self-test below would fail if
// ASan's operator new were used instead of ours.
#include <algorithm>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <new>
#include <span>
#include <vector>

#include <ipmikit/ipmikit.hpp>

#include "session_exchange.hpp"

// ---------------------------------------------------------------------------------------------
// Counting allocation functions

namespace {

std::size_t g_allocations = 0;

void* counted_alloc(std::size_t size) noexcept {
  ++g_allocations;
  return std::malloc(size == 0 ? 1 : size);
}

void* counted_aligned_alloc(std::size_t size, std::align_val_t align) noexcept {
  ++g_allocations;
  const auto a = static_cast<std::size_t>(align);
  const std::size_t rounded = ((size == 0 ? 1 : size) + a - 1) / a * a;  // aligned_alloc wants a multiple
  return std::aligned_alloc(a, rounded);
}

}  // namespace

void* operator new(std::size_t size) {
  if (void* p = counted_alloc(size)) return p;
  throw std::bad_alloc();
}
void* operator new[](std::size_t size) {
  if (void* p = counted_alloc(size)) return p;
  throw std::bad_alloc();
}
void* operator new(std::size_t size, const std::nothrow_t&) noexcept { return counted_alloc(size); }
void* operator new[](std::size_t size, const std::nothrow_t&) noexcept { return counted_alloc(size); }
void* operator new(std::size_t size, std::align_val_t align) {
  if (void* p = counted_aligned_alloc(size, align)) return p;
  throw std::bad_alloc();
}
void* operator new[](std::size_t size, std::align_val_t align) {
  if (void* p = counted_aligned_alloc(size, align)) return p;
  throw std::bad_alloc();
}
void* operator new(std::size_t size, std::align_val_t align, const std::nothrow_t&) noexcept {
  return counted_aligned_alloc(size, align);
}
void* operator new[](std::size_t size, std::align_val_t align, const std::nothrow_t&) noexcept {
  return counted_aligned_alloc(size, align);
}

// Every replaced operator new above allocates with malloc/aligned_alloc (counted_alloc), so
// free() is the matching release. GCC's -Wmismatched-new-delete (on at -O2 through inlining)
// assumes the library's operator new and cannot see the replacement: silenced for exactly these
// definitions.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
#endif
void operator delete(void* p) noexcept { std::free(p); }
void operator delete[](void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t) noexcept { std::free(p); }
void operator delete(void* p, const std::nothrow_t&) noexcept { std::free(p); }
void operator delete[](void* p, const std::nothrow_t&) noexcept { std::free(p); }
void operator delete(void* p, std::align_val_t) noexcept { std::free(p); }
void operator delete[](void* p, std::align_val_t) noexcept { std::free(p); }
void operator delete(void* p, std::size_t, std::align_val_t) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t, std::align_val_t) noexcept { std::free(p); }
void operator delete(void* p, std::align_val_t, const std::nothrow_t&) noexcept { std::free(p); }
void operator delete[](void* p, std::align_val_t, const std::nothrow_t&) noexcept { std::free(p); }
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic pop
#endif

// ---------------------------------------------------------------------------------------------
// A tiny harness (no test framework: it could allocate between the counts)

namespace {

int g_failures = 0;

void expect(bool ok, const char* what, int line) {
  if (!ok) {
    ++g_failures;
    std::fprintf(stderr, "no_alloc_test.cpp:%d: FAILED: %s\n", line, what);
  }
}
#define EXPECT(cond) expect((cond), #cond, __LINE__)

/// Runs `f` and reports how many allocations it made.
template <class F>
std::size_t allocations_in(F&& f) {
  const std::size_t before = g_allocations;
  f();
  return g_allocations - before;
}

// Sinks the optimiser cannot see through, so nothing below is elided.
void* volatile g_sink_ptr = nullptr;
volatile std::size_t g_sink = 0;

struct alignas(64) over_aligned {
  unsigned char bytes[64];
};

/// A handler that counts and never allocates.
struct counting_handler {
  std::size_t messages = 0;
  std::size_t commands = 0;
  std::size_t errors = 0;
  std::size_t zero_copy = 0;
  std::size_t body_bytes = 0;
  std::size_t error_kinds[ipmikit::vm::decode_error_count + 1] = {};

  void operator()(const ipmikit::vm::message_event& m) {
    ++messages;
    zero_copy += m.zero_copy ? 1u : 0u;
    body_bytes += m.body.size();
  }
  void operator()(const ipmikit::vm::command_event& c) {
    ++commands;
    body_bytes += c.arguments.size();
  }
  void operator()(const ipmikit::vm::error_event& e) {
    ++errors;
    ++error_kinds[static_cast<std::size_t>(e.error)];
  }
};

using session_clock = std::chrono::steady_clock;

/// Session handlers that count and never allocate.
struct emulator_events {
  std::size_t* round_trips;
  void operator()(const ipmikit::vm::response_event& r) { *round_trips += r.local ? 0u : 1u; }
  void operator()(const auto&) {}
};
struct bmc_events {
  ipmikit::vm::bmc_session<session_clock>* b;
  void operator()(const ipmikit::vm::request_event& r) {
    const std::uint8_t rsp[] = {0x1C, r.cmd(), 0x00, 0x20};
    b->set_attention(true, true);
    b->respond(r.msg_id, rsp);
  }
  void operator()(const auto&) {}
};

}  // namespace

int main(int argc, char**) {
  using namespace ipmikit;

  // 1. The counter works: a vector, a nothrow new, an over-aligned new, new[] are all counted.
  EXPECT(allocations_in([] {
           std::vector<int> v(16);
           g_sink_ptr = v.data();
         }) == 1);
  EXPECT(allocations_in([] {
           auto* p = new (std::nothrow) int(7);
           g_sink_ptr = p;
           delete p;
         }) == 1);
  EXPECT(allocations_in([] {
           auto* p = new over_aligned;
           g_sink_ptr = p;
           delete p;
         }) == 1);
  EXPECT(allocations_in([] {
           auto* p = new char[33];
           g_sink_ptr = p;
           delete[] p;
         }) == 1);
  EXPECT(allocations_in([] {
           auto* p = new (std::nothrow) over_aligned[2];
           g_sink_ptr = p;
           delete[] p;
         }) == 1);
  if (g_failures != 0) {
    std::fprintf(stderr, "the allocation counter does not work; the rest would prove nothing\n");
    return 1;
  }
#if defined(__SANITIZE_ADDRESS__)
  std::printf("no_alloc_test: under AddressSanitizer; the counting operator new is in use\n");
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
  std::printf("no_alloc_test: under AddressSanitizer; the counting operator new is in use\n");
#endif
#endif

  // Inputs built before counting (building them allocates), from argc so they are not constants.
  const auto seed = static_cast<std::uint8_t>(argc);
  std::vector<std::uint8_t> body(vm::max_message_size);
  for (std::size_t i = 0; i < body.size(); ++i) body[i] = static_cast<std::uint8_t>(i * 7 + seed);
  std::vector<std::uint8_t> special(64);
  for (std::size_t i = 0; i < special.size(); ++i) special[i] = (i % 3 == 0) ? 0xA0 : (i % 3 == 1) ? 0xAA : 0xA1;
  std::vector<std::uint8_t> out(vm::max_message_frame_size(vm::max_message_size) + 16);

  // 2. Checksum.
  EXPECT(allocations_in([&] {
           checksum c;
           c.add(std::span<const std::uint8_t>(body));
           c.add(seed);
           g_sink = c.value() + compute_checksum(body) + (checksum_ok(special) ? 1u : 0u) + (c.valid() ? 1u : 0u);
         }) == 0);

  // 3. Encoder: both paths of encode_message (fast with a worst-case buffer, checked with an
  //    exact one), the field overload, too-small buffers, invalid bodies, encode_frame,
  //    encode_command, the greeting, the size functions.
  std::size_t frame_size = 0;
  EXPECT(allocations_in([&] {
           const auto fast = vm::encode_message(out, seed, body);
           const std::size_t exact = vm::message_frame_size(seed, body);
           const auto checked = vm::encode_message(std::span<std::uint8_t>(out).first(exact), seed, body);
           const auto small = vm::encode_message(std::span<std::uint8_t>(out).first(3), seed, body);
           const auto fields = vm::encode_message(out, seed, 0x18, 0x01, std::span<const std::uint8_t>(body).first(20));
           const auto short_body = vm::encode_message(out, seed, std::span<const std::uint8_t>(body).first(1));
           frame_size = fast.size;
           g_sink = fast.size + checked.size + small.required + fields.size + static_cast<std::size_t>(short_body.error);
         }) == 0);
  EXPECT(frame_size > vm::max_message_size);
  EXPECT(allocations_in([&] {
           const auto f = vm::encode_frame(out, special, vm::end_of_message);
           const auto g = vm::encode_frame(std::span<std::uint8_t>(out).first(special.size() + 1), special, vm::end_of_command);
           const auto c1 = vm::encode_command(out, vm::command::version, seed);
           const auto c2 = vm::encode_command(out, vm::command::attention);
           const auto c3 = vm::encode_command(out, vm::command::reset, special);  // wrong_argument_count
           const auto c4 = vm::encode_command(std::span<std::uint8_t>(out).first(1), vm::command::capabilities, 0xAA);
           const auto greeting = vm::make_emulator_greeting(vm::capabilities::from_byte(seed));
           g_sink = f.size + g.required + c1.size + c2.size + static_cast<std::size_t>(c3.error) + c4.required + greeting.size;
         }) == 0);

  // 4. Decoder. A stream with every kind of frame, good and bad, built before counting.
  std::vector<std::uint8_t> stream;
  auto append = [&](std::span<const std::uint8_t> b) { stream.insert(stream.end(), b.begin(), b.end()); };
  {
    const auto n = vm::encode_message(out, seed, body).size;  // a 300-byte body, unescaped or not
    append(std::span<const std::uint8_t>(out).first(n));
    const std::uint8_t fixed[] = {
        0x00, 0x18, 0x01, 0xE7, 0xA0,                    // good message, zero-copy when whole
        0x01, 0x18, 0x2E, 0x0F, 0xAA, 0xBA, 0xA0,        // good message with an escape
        0xFF, 0x01, 0xA1, 0x08, 0x3F, 0xA1,              // good commands
        0xA0,                                            // message_too_short
        0x00, 0x18, 0x01, 0xE8, 0xA0,                    // checksum_mismatch
        0x00, 0x18, 0xAA, 0xA0,                          // escape_before_terminator
        0x00, 0xAA, 0x42, 0x18, 0x01, 0xE7, 0xA0,        // invalid_escape
        0xAA, 0xAA, 0xA1,                                // invalid_escape
        0xA1,                                            // empty_command
        0x42, 0xA1,                                      // unknown_command
        0x00, 0x00, 0xA1,                                // wrong_argument_count
    };
    append(fixed);
    std::vector<std::uint8_t> too_long(vm::max_message_size + 40, 0x11);  // frame_too_long
    too_long.push_back(0xA0);
    append(too_long);
  }

  counting_handler whole, bytewise, chunked, small;
  EXPECT(allocations_in([&] {
           vm::decoder d;
           d.feed(stream, whole);
           g_sink = d.stats().total_errors();
         }) == 0);
  EXPECT(allocations_in([&] {
           vm::decoder d;
           for (std::size_t i = 0; i < stream.size(); ++i)
             d.feed(std::span<const std::uint8_t>(stream).subspan(i, 1), bytewise);
           d.reset();
           g_sink = d.stats().messages;
         }) == 0);
  EXPECT(allocations_in([&] {
           vm::decoder d(vm::min_response_frame);
           const std::span<const std::uint8_t> s(stream);
           for (std::size_t at = 0; at < s.size(); at += 7) d.feed(s.subspan(at, std::min<std::size_t>(7, s.size() - at)), chunked);
           g_sink = d.offset();
         }) == 0);
  EXPECT(allocations_in([&] {
           vm::basic_decoder<8> d;
           d.feed(stream, small);
           g_sink = d.stats().count(vm::decode_error::frame_too_long);
         }) == 0);

  // The paths were really taken: zero-copy and copied messages, commands, every error kind.
  EXPECT(whole.messages == 3);
  EXPECT(whole.zero_copy == 1);  // 00 18 01 E7; the 300-byte body has escapes
  EXPECT(whole.commands == 2);
  EXPECT(bytewise.messages == 3 && bytewise.zero_copy == 0);
  EXPECT(chunked.messages >= 1);
  for (std::size_t k = 1; k <= vm::decode_error_count; ++k) EXPECT(whole.error_kinds[k] >= 1);
  EXPECT(small.error_kinds[static_cast<std::size_t>(vm::decode_error::frame_too_long)] >= 2);

  // 5. The message vocabulary.
  EXPECT(allocations_in([&] {
           const auto r = request_view::parse(body);
           const auto p = response_view::parse(body);
           g_sink = (r ? r->data.size() : 0) + (p ? p->data.size() : 0) + name(completion_code::timeout).size() +
                    describe(static_cast<completion_code>(seed)).size() + command_name(netfn::app, 0x01).size();
         }) == 0);

  // 5. Sessions: connect, a request and its response with attention, a timeout, errors from
  //    the peer, refused calls, disconnect — both roles, objects on the stack.
  std::size_t round_trips = 0;
  EXPECT(allocations_in([&] {
           using clk = session_clock;
           vm::emulator_session<clk> emu;
           vm::bmc_session<clk> bmc;
           emulator_events eh{&round_trips};
           bmc_events bh{&bmc};
           clk::time_point t{};
           emu.connect(t, eh);
           bmc.connect(t, bh);
           const std::uint8_t req[] = {0x18, 0x01};
           for (int i = 0; i < 4; ++i) {
             emu.send_request(static_cast<std::uint8_t>(i), req, t, eh);
             for (int k = 0; k < 6; ++k) {
               test::exchange(emu, eh, bmc, bh, t);
               t += std::chrono::milliseconds(11);
               bmc.poll(t, bh);
               emu.poll(t, eh);
             }
           }
           emu.receive(special, t, eh);  // garbage from the peer
           emu.send_request(9, req, t, eh);
           emu.poll(t + std::chrono::seconds(5), eh);  // a local 0xC3
           g_sink = static_cast<std::size_t>(bmc.respond(200, req)) + static_cast<std::size_t>(bmc.send_reset());
           emu.disconnect(t, eh);
           bmc.disconnect(t, bh);
         }) == 0);
  EXPECT(round_trips == 4);

  // 8. KCS and BT: host ⇄ device transactions, including a length error and an abort (KCS),
  //    a resend and a dropped response (BT), and the device's refusals.
  std::size_t kcs_done = 0, bt_done = 0;
  EXPECT(allocations_in([&] {
           using clk = std::chrono::steady_clock;
           clk::time_point t{};
           auto now = [&] { return t += std::chrono::milliseconds(1); };
           struct kcs_bus {
             kcs::basic_device<16> device;
             std::uint8_t read_status() { return device.read_status(); }
             std::uint8_t read_data() { return device.read_data(); }
             void write_command(std::uint8_t v) { device.write_command(v); }
             void write_data(std::uint8_t v) {
               if (device.write_data(v) == kcs::event::request_ready) {
                 const auto r = *device.pending_request();
                 (void)device.respond(r.id, r.bytes.size() >= 3 ? r.bytes : std::span<const std::uint8_t>(r.bytes.data(), 0));
               }
             }
           } kb;
           kcs::host kh;
           for (std::size_t n : {std::size_t{3}, std::size_t{12}, std::size_t{20}}) {
             (void)kh.start(std::span<const std::uint8_t>(body.data(), n), t);
             if (kcs::drive(kh, kb, now, 10000) == kcs::outcome::done) ++kcs_done;
           }
           kb.device.write_command(0x61);  // leave it mid-write: the host aborts and retries
           (void)kh.start(std::span<const std::uint8_t>(body.data(), 4), t);
           if (kcs::drive(kh, kb, now, 10000) == kcs::outcome::done) ++kcs_done;

           struct bt_bus {
             bt::device device;
             int skip = 1;
             std::uint8_t read_control() { return device.read_control(); }
             std::uint8_t read_buffer() { return device.read_buffer(); }
             void write_control(std::uint8_t v) {
               if (ipmikit::si::has_new_request(device.write_control(v)) && skip-- <= 0) {
                 const auto r = *device.pending_request();
                 (void)device.respond(r.id, r.bytes.size() >= 3 ? r.bytes : std::span<const std::uint8_t>(r.bytes.data(), 0));
               }
             }
             void write_buffer(std::uint8_t v) { device.write_buffer(v); }
           } bb;
           bt::host::config cfg;
           cfg.response_timeout = std::chrono::milliseconds(20);
           bt::host bh(cfg);
           for (std::size_t n : {std::size_t{3}, std::size_t{40}, std::size_t{200}}) {
             (void)bh.start(std::span<const std::uint8_t>(body.data(), n), t);
             if (bt::drive(bh, bb, now, 10000) == bt::outcome::done) ++bt_done;
           }
         }) == 0);
  EXPECT(kcs_done == 3);  // the 20-byte request is a length error for a 16-byte device
  EXPECT(bt_done == 3);

  if (g_failures == 0) std::printf("no_alloc_test: all checks passed\n");
  return g_failures == 0 ? 0 : 1;
}
