// fuzz/fuzz_machine.hpp — what the state-machine fuzz targets share (KCS: fuzz_kcs_*, BT:
// fuzz_bt_*): the split input (control stream + data stream), a fake nanosecond clock and its
// unit, FUZZ_FAIL and the reporting of a mismatch by name; and the parts of the drivers that
// read the input the same way on both interfaces:
//
//   device targets   the request ids a device handed out and the respond operation that names
//                    one (right / previous / random) with a length picked from a control byte;
//                    what respond() must return; a model's reset(); the pending request checked
//                    against the model's; the entry (setup byte: capacity, deferred mode)
//   host targets     the clock with its settle step and read pattern (setup bytes), clock jumps,
//                    the request of a start operation, what start() must return and that a
//                    refused start() or a complete() while not busy changes nothing, settling
//                    within the access bound, the entry (capacity by bit 0)
//   pair targets     the BMC's plan for a request (answer after n accesses, late, never, a stale
//                    id or a bad length first), the response data derived from a request, the
//                    transaction's request, its start and end checks, the run of transactions
//                    with a follow-up after a failure, the entry (capacities by s0 & 3)
//
// The models, the invariants and what the operations do stay in each target: they are the
// interface's. Nothing here changes how a target reads its input: the corpora keep their
// meaning.
#pragma once

#include <algorithm>
#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <span>
#include <type_traits>

#include <ipmikit/si/interface.hpp>

#include "fuzz_common.hpp"

/// An unconditional failure with a message.
#define FUZZ_FAIL(what) ::ipmikit::fuzz::fail(__FILE__, __LINE__, what)

namespace fuzz_machine {

using ipmikit::fuzz::reader;
namespace si = ipmikit::si;

/// A clock that only the target moves: the host machines never call now().
struct fake_clock {
  using rep = std::int64_t;
  using period = std::nano;
  using duration = std::chrono::nanoseconds;
  using time_point = std::chrono::time_point<fake_clock, duration>;
  static constexpr bool is_steady = true;
  static time_point now() noexcept { return time_point{}; }
};

/// The time unit of the targets' timeouts and clock steps.
inline constexpr fake_clock::duration unit = std::chrono::microseconds(1);

/// The input after a fixed header: [n] then n control bytes, then the data stream. Both read
/// as 0 / empty past their end.
struct split_input {
  reader ctrl{{}};
  reader data{{}};

  explicit split_input(reader& in) noexcept {
    const std::size_t n = in.u8();
    ctrl = reader(in.take(n));
    data = reader(in.rest());
  }
};

/// ceil(limit / step) for a step > 0; 0 for a limit <= 0.
[[nodiscard]] inline std::uint64_t steps_to(std::int64_t limit_ns, std::int64_t step_ns) noexcept {
  if (limit_ns <= 0) return 0;
  return (static_cast<std::uint64_t>(limit_ns) + static_cast<std::uint64_t>(step_ns) - 1) /
         static_cast<std::uint64_t>(step_ns);
}

/// The first N bytes of the input (the setup; 0 past the end).
template <std::size_t N>
[[nodiscard]] std::array<std::uint8_t, N> setup_bytes(reader& in) noexcept {
  std::array<std::uint8_t, N> s{};
  for (auto& b : s) b = in.u8();
  return s;
}

/// Calls f(std::integral_constant<std::size_t, Small or Default>{}): a target's capacity as a
/// compile-time value.
template <std::size_t Small, std::size_t Default, class F>
void with_capacity(bool small, F&& f) {
  if (small) {
    f(std::integral_constant<std::size_t, Small>{});
  } else {
    f(std::integral_constant<std::size_t, Default>{});
  }
}

/// FUZZ_CHECK(got == want) for a value with a name() (an event, a device_error, a
/// host_error), printing both by name first: "event request_ready, model none".
template <class T>
void expect_same(const char* what, T got, T want) {
  if (got != want) {
    std::fprintf(stderr, "%s %s, model %s\n", what, name(got).data(), name(want).data());
    FUZZ_CHECK(got == want);
  }
}

/// FUZZ_CHECK(got == want) for a register byte, printing both first ("Data_Out 1C, model 00");
/// the byte.
inline std::uint8_t expect_byte(const char* what, std::uint8_t got, std::uint8_t want) {
  if (got != want) {
    std::fprintf(stderr, "%s %02X, model %02X\n", what, got, want);
    FUZZ_CHECK(got == want);
  }
  return got;
}

// ---------------------------------------------------------------------------------------------
// Device targets: a device under random host accesses and BMC calls, against a model

/// The ids the device handed out with its requests, as the target learnt them from
/// pending_request(): the latest one and the one before it (stale once a new request came).
struct request_ids {
  std::uint32_t id = 0;
  bool have = false;
  std::uint32_t previous = 0;

  /// A new request with id `next`.
  void learn(std::uint32_t next) noexcept {
    previous = have ? id : next - 1;
    id = next;
    have = true;
  }

  /// The id a respond operation names, by (o >> 4) & 3: the latest (0, 3), the one before it
  /// (1), or 4 bytes of the data stream (2).
  [[nodiscard]] std::uint32_t pick(unsigned hi, reader& data) const noexcept {
    std::uint32_t rid = id;
    if ((hi & 3u) == 1) rid = previous;
    if ((hi & 3u) == 2) {
      rid = 0;
      for (int i = 0; i < 4; ++i) rid = (rid << 8) | data.u8();
    }
    return rid;
  }
};

/// The length a respond operation asks for, by its control byte l: l % 4 = 0: 0–2 bytes, 1:
/// 3..20 (at most `max`), 2: `max`, 3: max + 1.
[[nodiscard]] inline std::size_t response_length(std::uint8_t l, std::size_t max) noexcept {
  switch (l % 4u) {
    case 0: return (l >> 2) % 3u;
    case 1: return std::min<std::size_t>(3 + (l >> 2) % 18u, max);
    case 2: return max;
    default: return max + 1;
  }
}

/// respond(id, bytes) with `length` (at most Max + 1) bytes from the data stream, 0xA5 ^ i past
/// its end.
template <std::size_t Max, class Respond>
void respond_with(std::uint32_t id, std::size_t length, reader& data, Respond&& respond) {
  std::array<std::uint8_t, Max + 1> buf{};
  const auto src = data.take(length);
  for (std::size_t i = 0; i < length; ++i) buf[i] = i < src.size() ? src[i] : static_cast<std::uint8_t>(0xA5 ^ i);
  respond(id, std::span<const std::uint8_t>(buf.data(), length));
}

/// The respond operation: the id by `hi` (request_ids::pick), then the length by the next
/// control byte (response_length, largest body `Max`), then the bytes.
template <std::size_t Max, class Respond>
void respond_op(unsigned hi, const request_ids& ids, reader& c, reader& data, Respond&& respond) {
  const std::uint32_t rid = ids.pick(hi, data);
  const std::size_t length = response_length(c.u8(), Max);
  respond_with<Max>(rid, length, data, respond);
}

/// What respond() must return, in this order: no_request (none pending), stale_request (not the
/// pending request's id), response_too_short (< 3 bytes), response_too_long (> max).
[[nodiscard]] inline si::device_error expected_response(bool pending, bool right_id, std::size_t size,
                                                        std::size_t max) noexcept {
  if (!pending) return si::device_error::no_request;
  if (!right_id) return si::device_error::stale_request;
  if (size < 3) return si::device_error::response_too_short;
  if (size > max) return si::device_error::response_too_long;
  return si::device_error::ok;
}

/// respond(rid, bytes) on the device, checked: the model's answer (expected_response with
/// `pending` and the latest id); a refused call is counted in `stats` and `unchanged()` checks
/// that it changed nothing. True when the device accepted it.
template <class Device, class Stats, class Unchanged>
bool respond_checked(Device& d, Stats& stats, const request_ids& ids, bool pending, std::size_t max,
                     std::uint32_t rid, std::span<const std::uint8_t> bytes, Unchanged&& unchanged) {
  const bool right = pending && ids.have && rid == ids.id;
  const si::device_error want = expected_response(pending, right, bytes.size(), max);
  const si::device_error got = d.respond(rid, bytes);
  expect_same("respond", got, want);
  if (want == si::device_error::ok) return true;
  ++stats.responses_refused;
  unchanged();
  return false;
}

/// A model's reset(): back to its power-on state, its mode (`deferred`) and statistics kept; a
/// request whose transaction was not over (`had`) is cancelled, and counted.
template <class Model>
si::event reset_model(Model& m, bool had) {
  const auto kept = m.stats;
  const bool d = m.deferred;
  m = Model{};
  m.deferred = d;
  m.stats = kept;
  if (had) ++m.stats.cancelled;
  return had ? si::event::request_cancelled : si::event::none;
}

/// The statistics every device keeps (si::device_stats) are the model's.
[[nodiscard]] inline bool same_device_stats(const si::device_stats& a, const si::device_stats& b) noexcept {
  return a.requests == b.requests && a.responses == b.responses && a.responses_refused == b.responses_refused &&
         a.cancelled == b.cancelled;
}

/// The device's pending request against the model: there exactly when `want`, with the id the
/// target learnt and exactly the model's `bytes`. The request, for the interface's checks.
template <class Device>
auto check_pending(const Device& d, bool want, const request_ids& ids, std::span<const std::uint8_t> bytes) {
  const auto p = d.pending_request();
  FUZZ_CHECK(p.has_value() == want);
  if (p) {
    FUZZ_CHECK(ids.have && p->id == ids.id);
    FUZZ_CHECK(p->bytes.size() == bytes.size());
    FUZZ_CHECK(std::equal(p->bytes.begin(), p->bytes.end(), bytes.begin()));
  }
  return p;
}

/// A device target's input: [setup] then the split input. setup bit 1: the small capacity, bit
/// 0: deferred mode. Runs `Harness<Capacity> h(deferred)`: h.check(), then h.run(split).
template <template <std::size_t> class Harness, std::size_t Small, std::size_t Default>
int device_target(const std::uint8_t* data, std::size_t size) {
  reader in(std::span<const std::uint8_t>(data, size));
  const std::uint8_t setup = in.u8();
  split_input split(in);
  with_capacity<Small, Default>((setup & 2u) != 0, [&](auto capacity) {
    Harness<decltype(capacity)::value> h((setup & 1u) != 0);
    h.check();
    h.run(split);
  });
  return 0;
}

// ---------------------------------------------------------------------------------------------
// Host targets: a host machine fed arbitrary register values and clock jumps

/// A host target's clock: where the target put it, the latest time an access was reported at,
/// and what settling uses: the step per access and the values reads return (cyclically).
struct host_clock {
  using time_point = fake_clock::time_point;

  time_point now{};
  time_point latest{};
  fake_clock::duration step{};
  std::array<std::uint8_t, 4> pattern{};
  std::size_t pattern_length = 1;
  std::size_t pattern_pos = 0;

  /// From the setup bytes: the step (s1 >> 6) + 1 µs, the pattern's length (s4 & 3) + 1 and its
  /// values s5..s8.
  void setup(const std::array<std::uint8_t, 9>& s) noexcept {
    step = ((s[1] >> 6) + 1u) * unit;
    pattern_length = (s[4] & 3u) + 1u;
    for (std::size_t i = 0; i < 4; ++i) pattern[i] = s[5 + i];
  }

  /// An access is reported at `t`.
  void at(time_point t) noexcept {
    now = t;
    if (now > latest) latest = now;
  }
};

/// A clock jump from a control byte j: int8 µs; 0x7F one second forward; with `back_second`
/// 0x80 one second back.
[[nodiscard]] inline fake_clock::duration clock_jump(std::uint8_t j, bool back_second) noexcept {
  const auto second = std::chrono::duration_cast<fake_clock::duration>(std::chrono::seconds(1));
  if (j == 0x7F) return second;
  if (back_second && j == 0x80) return -second;
  return static_cast<std::int8_t>(j) * unit;
}

/// The accesses operation: at most hi + 1 accesses while `busy()`, each reported at now plus a
/// clock jump (a control byte), a read returning the next data byte: access(value, at).
template <class Busy, class Access>
void jump_accesses(unsigned hi, bool back_second, const host_clock& clk, reader& c, reader& data, Busy&& busy,
                   Access&& access) {
  for (unsigned k = 0; k <= hi && busy(); ++k) {
    const auto jump = clock_jump(c.u8(), back_second);
    access(data.u8(), clk.now + jump);
  }
}

/// The request of a start operation, in `buf`: its length by hi = o >> 3 (0..29 that many
/// bytes, 30 `largest`, 31 largest + 1), its bytes from the data stream (i past its end).
template <std::size_t N>
std::span<const std::uint8_t> start_request(unsigned hi, std::size_t largest, reader& data,
                                            std::array<std::uint8_t, N>& buf) {
  const std::size_t n = hi < 30 ? hi : hi == 30 ? largest : largest + 1;
  const auto src = data.take(n);
  for (std::size_t i = 0; i < n; ++i) buf[i] = i < src.size() ? src[i] : static_cast<std::uint8_t>(i);
  return {buf.data(), n};
}

/// What start() must return, in this order: busy, hosed, request_too_short (< 2 bytes),
/// request_too_long (> max).
[[nodiscard]] inline si::host_error expected_start(si::outcome o, std::size_t size, std::size_t max) noexcept {
  if (o == si::outcome::busy) return si::host_error::busy;
  if (o == si::outcome::hosed) return si::host_error::hosed;
  if (size < 2) return si::host_error::request_too_short;
  if (size > max) return si::host_error::request_too_long;
  return si::host_error::ok;
}

/// start(r, now) on the host, checked: what it must return (expected_start with `max`), and a
/// refused start() changes nothing (take() before and after, compared with same()). True when
/// it was accepted.
template <class Host, class Take, class Same>
bool start_checked(Host& h, std::span<const std::uint8_t> r, fake_clock::time_point now, std::size_t max, Take&& take,
                   Same&& same) {
  const si::host_error expect = expected_start(h.outcome(), r.size(), max);
  const auto before = take();
  const si::host_error e = h.start(r, now);
  expect_same("start", e, expect);
  if (e == si::host_error::ok) return true;
  FUZZ_CHECK(same(before, take()));
  return false;
}

/// complete() on a host that is not busy changes nothing.
template <class Host, class Take, class Same>
void complete_not_busy(Host& h, fake_clock::time_point now, std::uint8_t value, Take&& take, Same&& same) {
  const auto before = take();
  h.complete(now, value);
  FUZZ_CHECK(same(before, take()));
}

/// Settling: while `busy()` the clock jumps to the latest time seen, then every access is
/// reported `step` later with the pattern's next value: access(value, at). The host must leave
/// busy within `bound` accesses.
template <class Busy, class Access>
void settle(host_clock& clk, std::uint64_t bound, fake_clock::duration step, Busy&& busy, Access&& access) {
  if (!busy()) return;
  clk.now = clk.latest;
  std::uint64_t used = 0;
  while (busy()) {
    if (++used > bound) {
      std::fprintf(stderr, "the host is still busy after %llu accesses\n", static_cast<unsigned long long>(bound));
      FUZZ_CHECK(used <= bound);
    }
    const std::uint8_t v = clk.pattern[clk.pattern_pos++ % clk.pattern_length];
    access(v, clk.now + step);
  }
}

/// The config fields every host target takes from s0 alike: detect_absent_device (bit 1),
/// max_retries (bits 3:2), max_polls (bits 7:6: 0, 1, 2, 5).
template <class Config>
void host_config(Config& cfg, std::uint8_t s0) noexcept {
  static constexpr std::array<std::uint32_t, 4> polls{0, 1, 2, 5};
  cfg.detect_absent_device = (s0 & 2u) != 0;
  cfg.max_retries = static_cast<std::uint8_t>((s0 >> 2) & 3u);
  cfg.max_polls = polls[s0 >> 6];
}

/// A host target's input: the capacity by bit 0 of the first byte (`Small`, else `Default`), 9
/// setup bytes, then the split input. `Harness<Capacity> h(s)` takes its config from the setup
/// bytes, its clock is set up from them too (host_clock::setup), a `data` member (if it has one)
/// points at the data stream; then h.check(), and for each
/// control byte o h.op(o, control stream, data stream) and h.check(); at the end of the control
/// stream h.settle() and h.check().
template <template <std::size_t> class Harness, std::size_t Small, std::size_t Default>
int host_target(const std::uint8_t* data, std::size_t size) {
  reader in(std::span<const std::uint8_t>(data, size));
  with_capacity<Small, Default>(size > 0 && (data[0] & 1u), [&](auto capacity) {
    const auto s = setup_bytes<9>(in);
    Harness<decltype(capacity)::value> h(s);
    h.clk.setup(s);
    split_input split(in);
    if constexpr (requires { h.data = &split.data; }) h.data = &split.data;  // a bus that reads it (SSIF)
    h.check();
    while (!split.ctrl.empty()) {
      h.op(split.ctrl.u8(), split.ctrl, split.data);
      h.check();
    }
    h.settle();
    h.check();
  });
  return 0;
}

// ---------------------------------------------------------------------------------------------
// Pair targets: a host driving a device in memory, a BMC with faults behind it

/// The data byte i of the BMC's response to `req`.
[[nodiscard]] inline std::uint8_t derived(std::span<const std::uint8_t> req, std::size_t i) noexcept {
  const std::size_t n = req.size();
  return static_cast<std::uint8_t>(req[i % n] ^ (i * 37u) ^ n);
}

/// The BMC's response to `req` in `r`: NetFn with the response bit, Cmd, cc 00, derived data;
/// `length` bytes.
template <std::size_t N>
std::size_t make_response(std::span<const std::uint8_t> req, std::size_t length, std::array<std::uint8_t, N>& r) {
  r[0] = static_cast<std::uint8_t>(req[0] | 0x04);
  r[1] = req[1];
  r[2] = 0x00;
  for (std::size_t i = 3; i < length; ++i) r[i] = derived(req, i);
  return length;
}

/// The BMC's request and its plan for answering it.
struct bmc_plan {
  enum class plan : std::uint8_t { none, after, when_late, never };

  bool have_request = false;
  std::uint32_t request_id = 0;
  std::uint32_t old_id = 0;  // a previous request's id (stale from the device's point of view)
  bool have_old_id = false;
  plan answer = plan::none;
  unsigned wait_accesses = 0;
  fake_clock::time_point late_at{};
  std::size_t answer_length = 3;

  /// The request is gone (answered, cancelled, the device reset): its id is old now.
  void forget() noexcept {
    if (have_request) {
      old_id = request_id;
      have_old_id = true;
    }
    have_request = false;
    answer = plan::none;
  }

  /// The device handed the BMC a new request with `id` (never an old id).
  void take(std::uint32_t id) {
    if (have_old_id) FUZZ_CHECK(id != old_id);
    forget();
    have_request = true;
    request_id = id;
  }

  /// How to answer, by the policy byte p: p % 8 = 0, 1, 2 after (p >> 3) % 4 accesses; 3 once
  /// the clock is at `late` (past the host's response timeout); 4 never; 5, 6, 7 at once (after
  /// what the target does first: a stale id, a bad length, its own fault).
  void choose(std::uint8_t pol, fake_clock::time_point late) noexcept {
    answer = plan::after;
    wait_accesses = 0;
    switch (pol % 8u) {
      case 0:
      case 1:
      case 2: wait_accesses = (pol >> 3) % 4u; break;
      case 3:
        answer = plan::when_late;
        late_at = late;
        break;
      case 4: answer = plan::never; break;
      default: break;
    }
  }

  /// The answer is due now (an `after` plan counts one access down).
  [[nodiscard]] bool due(fake_clock::time_point now) noexcept {
    if (!have_request || answer == plan::none || answer == plan::never) return false;
    if (answer == plan::after && wait_accesses > 0) {
      --wait_accesses;
      return false;
    }
    return !(answer == plan::when_late && now < late_at);
  }
};

/// The answer's length by (p >> 5) & 3: 3, n + 1 (at most max), max, or 3 + a data byte %
/// (max - 2).
[[nodiscard]] inline std::size_t answer_length(std::uint8_t pol, std::size_t n, std::size_t max, reader& data) {
  switch (pol >> 5 & 3u) {
    case 0: return 3;
    case 1: return std::min(n + 1, max);
    case 2: return max;
    default: return 3 + data.u8() % (max - 2);
  }
}

/// Policy 5: the BMC answers with a stale id first (the old request's, or one never handed
/// out): refused.
template <class Device>
void respond_stale(Device& d, const bmc_plan& bmc, std::uint8_t pol) {
  const std::uint32_t stale = bmc.have_old_id ? bmc.old_id : bmc.request_id + 1 + pol;
  const std::array<std::uint8_t, 3> r{0x1C, 0x01, 0x00};
  FUZZ_CHECK(d.respond(stale, r) == si::device_error::stale_request);
}

/// Policy 6: the BMC answers with a bad length first (0–2 bytes, or one more than `max`, by p):
/// refused.
template <std::size_t Max, class Device>
void respond_bad_length(Device& d, const bmc_plan& bmc, std::uint8_t pol) {
  std::array<std::uint8_t, Max + 1> r{};
  const std::size_t bad = (pol & 8u) ? Max + 1 : (pol >> 3) % 3u;
  FUZZ_CHECK(d.respond(bmc.request_id, std::span<const std::uint8_t>(r.data(), bad)) ==
             (bad > Max ? si::device_error::response_too_long : si::device_error::response_too_short));
}

/// The request of a transaction in `buf`: n bytes from the data stream (0x30 + i past its end),
/// the Cmd byte replaced by `number` (so that responses to different requests differ).
template <std::size_t N>
std::span<const std::uint8_t> transaction_request(std::size_t n, std::uint8_t number, reader& data,
                                                  std::array<std::uint8_t, N>& buf) {
  const auto src = data.take(n);
  for (std::size_t i = 0; i < n; ++i) buf[i] = i < src.size() ? src[i] : static_cast<std::uint8_t>(0x30 + i);
  if (n >= 2) buf[1] = number;
  return {buf.data(), n};
}

/// A hosed host refuses start() until reset(); then it is reset.
template <class Host>
void reset_if_hosed(Host& h, fake_clock::time_point now) {
  if (h.outcome() != si::outcome::hosed) return;
  const std::array<std::uint8_t, 2> r{0x18, 0x01};
  FUZZ_CHECK(h.start(r, now) == si::host_error::hosed);
  h.reset();
}

/// start() of a request of n bytes returned `e`: refused when n < 2 or n > max, else ok.
/// True when accepted.
inline bool started(si::host_error e, std::size_t n, std::size_t max) {
  if (n < 2 || n > max) {
    FUZZ_CHECK(e == (n < 2 ? si::host_error::request_too_short : si::host_error::request_too_long));
    return false;
  }
  FUZZ_CHECK(e == si::host_error::ok);
  return true;
}

/// The `used`-th access of a transaction is within `bound`; otherwise the pair deadlocked
/// (detail() prints where the device is).
template <class Detail>
void within_bound(std::uint64_t used, std::uint64_t bound, Detail&& detail) {
  if (used > bound) {
    std::fprintf(stderr, "deadlock: the host is still busy after %llu accesses\n", static_cast<unsigned long long>(bound));
    detail();
    FUZZ_CHECK(used <= bound);
  }
}

/// A transaction that did not end done: failed or hosed, with a problem (not `none`).
template <class Host, class Problem>
void check_not_done(const Host& h, si::outcome o, Problem none) {
  FUZZ_CHECK(o == si::outcome::failed || o == si::outcome::hosed);
  FUZZ_CHECK(h.problem() != none);
}

/// A pair target's run: at most `count` transactions, each by a control byte t: length t % 32
/// (lengths past host_max + 1 wrap into 2..host_max), bit 5 "well-behaved". After a failure
/// (but no_device) or hosed, h.follow_up(was_hosed). Stops when the control stream is empty.
template <class Harness>
void run_transactions(Harness& h, int count, std::size_t host_max) {
  for (int k = 0; k < count; ++k) {
    const std::uint8_t t = h.ctrl();
    std::size_t n = t % 32u;
    if (n > host_max + 1) n = 2 + n % (host_max - 1);
    const si::outcome o = h.transaction(n, (t & 0x20u) != 0);
    if (o == si::outcome::failed && h.no_device()) continue;
    if (o == si::outcome::failed || o == si::outcome::hosed) h.follow_up(o == si::outcome::hosed);
    if (h.c->empty()) break;
  }
}

/// A pair target's input: N setup bytes, then the split input. The capacities (host, device) by
/// s0 & 3: 1 → (H1, D1), 2 → (H2, D2), 0 and 3 → (Default, Default). `Harness<HostCap, DevCap>
/// h(s)` takes its config from the setup bytes, then h.run(split).
template <template <std::size_t, std::size_t> class Harness, std::size_t N, std::size_t H1, std::size_t D1,
          std::size_t H2, std::size_t D2, std::size_t Default>
int pair_target(const std::uint8_t* data, std::size_t size) {
  reader in(std::span<const std::uint8_t>(data, size));
  const auto s = setup_bytes<N>(in);
  split_input split(in);
  switch (s[0] & 3u) {
    case 1: Harness<H1, D1>(s).run(split); break;
    case 2: Harness<H2, D2>(s).run(split); break;
    default: Harness<Default, Default>(s).run(split); break;
  }
  return 0;
}

/// The pair targets' clock step: ((s1 >> 2) & 3) + 1 µs.
[[nodiscard]] inline fake_clock::duration pair_step(std::uint8_t s1) noexcept {
  return (((s1 >> 2) & 3u) + 1u) * unit;
}

}  // namespace fuzz_machine
