// fuzz/fuzz_kcs_host.cpp — kcs::basic_host over a fake clock, fed arbitrary status and data
// values and arbitrary clock jumps (backwards too), checked against an observer of the
// protocol it writes and against a computed bound on its accesses.
//
// Input: 9 setup bytes, then [n] n control bytes, then the data stream (read values, request
// bytes).
//   s0: bit 0 capacity 8 (else 272); bit 1 detect_absent_device; bits 3:2 max_retries;
//       bits 5:4 max_abort_attempts; bits 7:6 max_polls 0 / 1 / 2 / 5
//   s1, s2, s3: ibf / obf / response timeout = (s & 63) µs; s1 >> 6: the settle step - 1 (µs)
//   s4: settle pattern length - 1 (bits 1:0); s5..s8: the pattern
//   Control bytes o, o % 8:
//     0 start(): length o >> 3 (0..29 → that many bytes, 30 → capacity, 31 → capacity + 1),
//       bytes from the data stream
//     1..4 make (o >> 3) + 1 accesses: for each, a control byte is a clock jump of
//       int8 µs (0x7F: +1 s), and a read's value is the next data byte
//     5 reset()      6 misuse: start() while busy / complete() while not busy
//     7 settle: run to the end with a monotonic clock (see below)
//   At the end of the input the host is settled too.
// Settling: the clock jumps to the latest time seen, then advances by the settle step per
// access, and reads return the settle pattern cyclically. The host must leave busy within
// fuzz_kcs::access_bound() accesses (derivation in fuzz_kcs.hpp).
//
// Invariants (FUZZ_CHECK aborts):
//   * start() returns busy / hosed / request_too_short / request_too_long in that order of
//     precedence, and a refused start() changes nothing (outcome, next(), problem(), response,
//     attempts, statistics); complete() while not busy changes nothing;
//   * next().kind == none exactly when outcome() != busy; next_deadline() exactly while busy
//     waiting on a status read;
//   * every write is what the protocol allows at that point: WRITE_START at the start or after
//     a finished abort sequence; request bytes in order at their position, WRITE_END exactly
//     before the last; in the read phase only READ (0x68), right after a Data_Out read; in the
//     abort sequence GET_STATUS/ABORT (any time), then 0x00, then READ after the code is read;
//   * done ⇒ response().size() >= 3 and response() = the bytes read before each READ of the
//     read phase; failed / hosed ⇒ problem() != none;
//   * hosed ⇒ start() is refused with host_error::hosed until reset();
//   * stats(): transactions, done, failed, hosed, accesses as counted here.
#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <cstdio>

#include "fuzz_kcs.hpp"

namespace {

using namespace ipmikit;
using fuzz_machine::fake_clock;
using fuzz_machine::unit;
using kcs::access;

// Follows the writes the host makes and says whether each is allowed.
struct observer {
  enum class where : std::uint8_t { fresh, write, read, abort0, abort1, abort2 };
  where at = where::fresh;
  std::size_t pos = 0;
  bool end_sent = false;
  bool last_was_data_read = false;
  std::uint8_t last_data = 0;
  std::array<std::uint8_t, 512> response{};
  std::size_t response_length = 0;

  void begin() { *this = observer{}; }

  void on_access(access kind, std::uint8_t value, std::span<const std::uint8_t> request) {
    const std::size_t n = request.size();
    const bool was_data_read = last_was_data_read;
    last_was_data_read = kind == access::read_data;
    if (kind == access::read_data) last_data = value;
    if (kind == access::write_command) {
      switch (value) {
        case 0x60: at = where::abort0; return;
        case 0x61:
          FUZZ_CHECK(at == where::fresh || at == where::abort2);
          at = where::write;
          pos = 0;
          end_sent = false;
          response_length = 0;
          return;
        case 0x62:
          FUZZ_CHECK(at == where::write && pos + 1 == n && !end_sent);
          end_sent = true;
          return;
        default: FUZZ_FAIL("a control code the host never writes");
      }
    }
    if (kind != access::write_data) return;
    switch (at) {
      case where::write:
        FUZZ_CHECK(pos < n);
        FUZZ_CHECK(pos + 1 < n || end_sent);  // WRITE_END comes before the last byte
        FUZZ_CHECK(value == request[pos]);
        if (++pos == n) at = where::read;
        return;
      case where::read:
        FUZZ_CHECK(value == 0x68 && was_data_read);
        FUZZ_CHECK(response_length < response.size());
        response[response_length++] = last_data;
        return;
      case where::abort0:
        FUZZ_CHECK(value == 0x00);
        at = where::abort1;
        return;
      case where::abort1:
        FUZZ_CHECK(value == 0x68 && was_data_read);
        at = where::abort2;
        return;
      default: FUZZ_FAIL("a data write outside the write, read and abort steps");
    }
  }
};

template <std::size_t Capacity>
struct harness {
  using host_t = kcs::basic_host<fake_clock, Capacity>;
  using time_point = fake_clock::time_point;

  typename host_t::config cfg;
  host_t h;
  fuzz_machine::host_clock clk;
  observer obs;
  std::array<std::uint8_t, Capacity + 1> request{};
  std::size_t request_length = 0;
  kcs::host_stats want{};  // transactions, done, failed, hosed, accesses

  explicit harness(const std::array<std::uint8_t, 9>& s) : cfg(config(s)), h(cfg) {}

  /// The config from the setup bytes (the header comment).
  static typename host_t::config config(const std::array<std::uint8_t, 9>& s) {
    typename host_t::config c;
    fuzz_machine::host_config(c, s[0]);
    c.max_abort_attempts = static_cast<std::uint8_t>((s[0] >> 4) & 3u);
    c.ibf_timeout = (s[1] & 63u) * unit;
    c.obf_timeout = (s[2] & 63u) * unit;
    c.response_timeout = (s[3] & 63u) * unit;
    return c;
  }

  [[nodiscard]] std::span<const std::uint8_t> req() const { return {request.data(), request_length}; }

  void check() {
    const bool busy = h.outcome() == kcs::outcome::busy;
    FUZZ_CHECK((h.next().kind == access::none) == !busy);
    FUZZ_CHECK(h.next_deadline().has_value() == (busy && h.next().kind == access::read_status));
    if (!busy) FUZZ_CHECK(!h.next().repeat && h.next().value == 0);
    const auto& s = h.stats();
    FUZZ_CHECK(s.transactions == want.transactions && s.accesses == want.accesses);
    FUZZ_CHECK(s.done == want.done && s.failed == want.failed && s.hosed == want.hosed);
    FUZZ_CHECK(s.done + s.failed + s.hosed <= s.transactions);
    if (h.outcome() == kcs::outcome::failed || h.outcome() == kcs::outcome::hosed)
      FUZZ_CHECK(h.problem() != kcs::problem::none);
  }

  struct snapshot {
    kcs::outcome outcome;
    kcs::action next;
    kcs::problem problem;
    kcs::error_code code;
    unsigned attempts;
    std::uint8_t status;
    std::array<std::uint8_t, Capacity> response;
    std::size_t response_length;
    kcs::host_stats stats;
  };
  snapshot take() const {
    snapshot s{h.outcome(), h.next(), h.problem(), h.error_code(), h.attempts(), h.last_status().value, {}, 0,
               h.stats()};
    const auto r = h.response();
    std::copy(r.begin(), r.end(), s.response.begin());
    s.response_length = r.size();
    return s;
  }
  static bool same(const snapshot& a, const snapshot& b) {
    return a.outcome == b.outcome && a.next == b.next && a.problem == b.problem && a.code == b.code &&
           a.attempts == b.attempts && a.status == b.status && a.response_length == b.response_length &&
           std::equal(a.response.begin(), a.response.begin() + static_cast<std::ptrdiff_t>(a.response_length),
                      b.response.begin()) &&
           a.stats.transactions == b.stats.transactions && a.stats.accesses == b.stats.accesses &&
           a.stats.retries == b.stats.retries && a.stats.aborts == b.stats.aborts &&
           a.stats.polls == b.stats.polls;
  }

  void start(std::span<const std::uint8_t> r) {
    if (!fuzz_machine::start_checked(h, r, clk.now, Capacity, [this] { return take(); }, same)) return;
    ++want.transactions;
    std::copy(r.begin(), r.end(), request.begin());
    request_length = r.size();
    obs.begin();
    FUZZ_CHECK(h.outcome() == kcs::outcome::busy);
    FUZZ_CHECK(h.next().kind == access::read_status);
  }

  // One access: `value` is what a read returns; the clock is set to `at` when it is reported.
  void access_once(std::uint8_t value, time_point at) {
    const kcs::action a = h.next();
    FUZZ_CHECK(a.kind != access::none);
    clk.at(at);
    const bool is_read = a.kind == access::read_status || a.kind == access::read_data;
    obs.on_access(a.kind, is_read ? value : a.value, req());
    ++want.accesses;
    h.complete(clk.now, value);
#ifdef FUZZ_KCS_TRACE
    std::fprintf(stderr, "  %s %02X <- %02X at %lld: %s %s\n", kcs::name(a.kind).data(), a.value, value,
                 static_cast<long long>(clk.now.time_since_epoch().count()), kcs::name(h.outcome()).data(),
                 kcs::name(h.problem()).data());
#endif
    switch (h.outcome()) {
      case kcs::outcome::busy: break;
      case kcs::outcome::done:
        ++want.done;
        FUZZ_CHECK(h.response().size() >= 3);
        FUZZ_CHECK(obs.at == observer::where::read);
        FUZZ_CHECK(h.response().size() == obs.response_length);
        FUZZ_CHECK(std::equal(h.response().begin(), h.response().end(), obs.response.begin()));
        break;
      case kcs::outcome::failed: ++want.failed; break;
      case kcs::outcome::hosed: ++want.hosed; break;
      case kcs::outcome::idle: FUZZ_FAIL("idle after an access"); break;
    }
    check();
    if (h.outcome() == kcs::outcome::hosed) {
      // Hosed: every start() is refused until reset().
      start(req());
      FUZZ_CHECK(h.outcome() == kcs::outcome::hosed);
    }
  }

  [[nodiscard]] bool busy() const { return h.outcome() == kcs::outcome::busy; }
  /// access_once(), for fuzz_machine's drivers.
  auto accessor() {
    return [this](std::uint8_t value, time_point at) { access_once(value, at); };
  }

  void settle() {
    fuzz_machine::settle(clk, fuzz_kcs::access_bound(cfg, request_length, Capacity, clk.step), clk.step,
                         [this] { return busy(); }, accessor());
  }

  // One operation (fuzz_machine::host_target runs them and check()s after each).
  void op(std::uint8_t o, fuzz::reader& c, fuzz::reader& data) {
    const unsigned hi = o >> 3;
    switch (o % 8u) {
      case 0: {
        std::array<std::uint8_t, std::max<std::size_t>(Capacity + 1, 32)> r{};
        start(fuzz_machine::start_request(hi, Capacity, data, r));
        break;
      }
      case 1:
      case 2:
      case 3:
      case 4:  // no backward second: 0x80 is -128 µs
        fuzz_machine::jump_accesses(hi, false, clk, c, data, [this] { return busy(); }, accessor());
        break;
      case 5:
        h.reset();
        FUZZ_CHECK(h.outcome() == kcs::outcome::idle);
        check();
        break;
      case 6:
        if (busy()) {
          start(req());
        } else {
          fuzz_machine::complete_not_busy(h, clk.now, data.u8(), [this] { return take(); }, same);
        }
        break;
      default: settle(); break;
    }
  }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  return fuzz_machine::host_target<harness, 8, ipmikit::kcs::default_capacity>(data, size);
}
