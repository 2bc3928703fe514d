// fuzz/fuzz_kcs_pair.cpp — kcs::basic_host driving a kcs::basic_device in memory (immediate or
// deferred service), with a BMC behind the device that answers each request with a response
// derived from it — or late, never, with a stale id first, with a bad length first — and
// that forces aborts, resets the device and toggles attention and OEM bits in the middle.
//
// Input: 5 setup bytes, then [n] n control bytes, then the data stream.
//   s0: bits 1:0 capacities (host/device): 0, 3 → 272/272, 1 → 16/12 (requests past the device's
//       capacity: length_error), 2 → 12/16 (responses past the host's: response_too_long);
//       bit 2 deferred device; bits 4:3 max_retries; bits 6:5 max_abort_attempts; bit 7
//       detect_absent_device
//   s1: bits 1:0 max_polls 0 / 2 / 5 / 0; bits 3:2 the clock step - 1 (µs)
//   s2, s3, s4: ibf / obf / response timeout = (s & 63) + 1 µs
//   The control stream is consumed as the run goes; once it is empty the BMC behaves well.
//   Each transaction (at most 16) reads a control byte t: request length t % 32 (0, 1 and
//   past the host's capacity are refused by start(); lengths past capacity + 1 wrap into
//   2..capacity), bit 5 "well-behaved" (no faults in this one). The request's cmd byte is the
//   transaction's number, so responses to different requests differ.
//   Each request_ready reads a policy byte p: p % 8 = 0,1,2 answer after (p >> 3) % 4 accesses;
//     3 answer once the clock is past the response timeout; 4 never; 5 a stale id first;
//     6 a too-short or too-long response first; 7 jump the clock past the response timeout,
//     then answer; response length (p >> 5) % 4: 3, n + 1, the device's capacity, a data byte.
//   Each host access reads a BMC byte a: a % 16 = 10/11 attention on/off, 12 OEM bits,
//     13 force_abort (code a >> 4), 14 device reset, 15 clock jump of (a >> 4) ms;
//     (a >> 4) & 3 is also the service delay in deferred mode (0, 1, 2 or 8 accesses).
//
// Invariants (FUZZ_CHECK aborts):
//   * the device hands the BMC exactly the request the host was given (or the previous
//     one, when the host gave up with its last byte still latched in a deferred device);
//   * done ⇒ response() is the response the BMC last gave for *this* request, at least 3
//     bytes. Exception, inherent to KCS: if the BMC reset the device while the host was
//     reading it, the host sees IDLE, which is indistinguishable from the end of a response
//     without the final dummy byte, so response() is a prefix (whose last byte may be the
//     dummy 0x00 a force_abort just before the reset put in Data_Out);
//   * failed / hosed ⇒ problem() != none;
//   * after failed (other than no_device) — and after hosed + reset() — the next transaction
//     on a well-behaved device is done with the right response (see follow_up() for what
//     the BMC's last turn may have left behind);
//   * the device never counts an overrun (the host waits for IBF=0 before every write), in
//     immediate and in deferred mode; respond() refuses stale ids and bad lengths;
//   * no deadlock: every transaction ends within fuzz_kcs::access_bound() accesses.
#include <array>
#include <cstddef>
#include <cstdint>
#include <cstdio>

#include "fuzz_kcs.hpp"

namespace {

using namespace ipmikit;
using fuzz_machine::fake_clock;
using fuzz_machine::unit;

template <std::size_t HostCap, std::size_t DevCap>
struct harness {
  using host_t = kcs::basic_host<fake_clock, HostCap>;
  using device_t = kcs::basic_device<DevCap>;
  using time_point = fake_clock::time_point;

  typename host_t::config cfg;
  host_t h;
  device_t d;
  fuzz::reader* c = nullptr;
  fuzz::reader* data = nullptr;
  time_point now{};
  fake_clock::duration step{};
  std::uint8_t seq = 0;

  // The current transaction.
  std::array<std::uint8_t, HostCap + 1> request{};
  std::size_t request_length = 0;
  std::array<std::uint8_t, HostCap + 1> previous_request{};
  std::size_t previous_length = 0;
  bool well_behaved = false;

  // The BMC.
  fuzz_machine::bmc_plan bmc;
  std::array<std::uint8_t, DevCap> bmc_request{};  // the BMC's copy of the request it answers
  std::size_t bmc_request_length = 0;
  unsigned service_delay = 0;
  unsigned latched_for = 0;
  std::array<std::uint8_t, DevCap + 1> given{};  // the response last accepted by the device
  std::size_t given_length = 0;
  bool given_valid = false;     // given is for the current transaction's request
  bool reset_while_read = false;  // the device was reset while the host read `given`

  explicit harness(const std::array<std::uint8_t, 5>& s)
      : cfg(config(s)), h(cfg), d(typename device_t::config{(s[0] & 4u) != 0}), step(fuzz_machine::pair_step(s[1])) {}

  /// The host's config from the setup bytes (the header comment).
  static typename host_t::config config(const std::array<std::uint8_t, 5>& s) {
    typename host_t::config c;
    c.max_retries = static_cast<std::uint8_t>((s[0] >> 3) & 3u);
    c.max_abort_attempts = static_cast<std::uint8_t>((s[0] >> 5) & 3u);
    c.detect_absent_device = (s[0] & 0x80u) != 0;
    static constexpr std::array<std::uint32_t, 4> polls{0, 2, 5, 0};
    c.max_polls = polls[s[1] & 3u];
    c.ibf_timeout = ((s[2] & 63u) + 1u) * unit;
    c.obf_timeout = ((s[3] & 63u) + 1u) * unit;
    c.response_timeout = ((s[4] & 63u) + 1u) * unit;
    return c;
  }

  [[nodiscard]] std::uint8_t ctrl() { return c->u8(); }
  [[nodiscard]] bool faults() const { return !well_behaved && !c->empty(); }
  [[nodiscard]] bool no_device() const { return h.problem() == kcs::problem::no_device; }

  void on_event(kcs::event e) {
    if (e == kcs::event::request_cancelled) {
      FUZZ_CHECK(bmc.have_request);
      bmc.forget();
    }
    if (e != kcs::event::request_ready) return;
    const auto p = d.pending_request();
    FUZZ_CHECK(p.has_value());
    // The device delivers exactly the request the host was given — or the previous one, when
    // the host gave up (hosed) with its last byte still latched in a deferred device.
    const auto is = [&](const auto& r, std::size_t n) {
      return p->bytes.size() == n && std::equal(p->bytes.begin(), p->bytes.end(), r.begin());
    };
    FUZZ_CHECK(is(request, request_length) || is(previous_request, previous_length));
    bmc.take(p->id);
    std::copy(p->bytes.begin(), p->bytes.end(), bmc_request.begin());
    bmc_request_length = p->bytes.size();
    const std::uint8_t pol = faults() ? ctrl() : 0;
    bmc.answer_length = fuzz_machine::answer_length(pol, request_length, DevCap, *data);
    if (!faults() && well_behaved) bmc.answer_length = std::min(bmc.answer_length, HostCap);
    bmc.choose(pol, now + cfg.response_timeout + unit);
    switch (pol % 8u) {
      case 5: fuzz_machine::respond_stale(d, bmc, pol); break;
      case 6: fuzz_machine::respond_bad_length<DevCap>(d, bmc, pol); break;
      case 7: now += cfg.response_timeout + unit; break;  // the answer comes late
      default: break;
    }
  }

  void bmc_answer() {
    if (!bmc.due(now)) return;
    const std::span<const std::uint8_t> req(bmc_request.data(), bmc_request_length);
    std::array<std::uint8_t, DevCap + 1> r{};
    const std::size_t len = fuzz_machine::make_response(req, bmc.answer_length, r);
    const auto e = d.respond(bmc.request_id, std::span<const std::uint8_t>(r.data(), len));
    FUZZ_CHECK(e == kcs::device_error::ok);
    std::copy(r.begin(), r.begin() + static_cast<std::ptrdiff_t>(len), given.begin());
    given_length = len;
    // Valid for the host only if it answers the current transaction's request.
    given_valid = bmc_request_length == request_length &&
                  std::equal(req.begin(), req.end(), request.begin());
    reset_while_read = false;
    bmc.answer = fuzz_machine::bmc_plan::plan::none;
  }

  // The BMC's turn before each host access.
  void bmc_turn() {
    const std::uint8_t a = faults() ? ctrl() : 0;
    if (d.settings().deferred && d.peek_status().ibf()) {
      static constexpr std::array<unsigned, 4> delays{0, 1, 2, 8};
      if (latched_for == 0 || well_behaved) service_delay = delays[(a >> 4) & 3u];
      if (latched_for++ >= service_delay) {
        latched_for = 0;
        on_event(d.service());
      }
    }
    bmc_answer();
#ifdef FUZZ_KCS_TRACE
    if (a % 16u >= 10) std::fprintf(stderr, "  bmc action %02X\n", a);
#endif
    switch (a % 16u) {
      case 10: d.set_attention(true); break;
      case 11: d.set_attention(false); break;
      case 12: d.set_oem_bits(static_cast<std::uint8_t>(a >> 4)); break;
      case 13: {
        static constexpr std::array<kcs::error_code, 4> why{
            kcs::error_code::unspecified, kcs::error_code::length_error, kcs::error_code::illegal_control_code,
            static_cast<kcs::error_code>(0x41)};
        on_event(d.force_abort(why[(a >> 4) % 4u]));
        break;
      }
      case 14: {
        if (given_valid) reset_while_read = true;
        on_event(d.reset());
        latched_for = 0;
        break;
      }
      case 15: now += std::chrono::milliseconds(a >> 4); break;
      default: break;
    }
  }

  // One transaction; returns its outcome.
  kcs::outcome transaction(std::size_t n, bool behave) {
    well_behaved = behave;
    fuzz_machine::reset_if_hosed(h, now);
    // A late answer to an older request is refused unless the device still waits for that one.
    if (bmc.have_old_id && d.phase() != kcs::device_phase::wait_response) {
      std::array<std::uint8_t, 3> r{0x1C, 0x01, 0x00};
      FUZZ_CHECK(d.respond(bmc.old_id, r) != kcs::device_error::ok);
    }
    ++seq;
    if (request_length >= 2 && request_length <= HostCap) {
      previous_request = request;
      previous_length = request_length;
    }
    request_length = n;
    (void)fuzz_machine::transaction_request(n, seq, *data, request);
    given_valid = false;
    reset_while_read = false;
    const kcs::host_error e = h.start(std::span<const std::uint8_t>(request.data(), n), now);
#ifdef FUZZ_KCS_TRACE
    std::fprintf(stderr, "start n=%zu behave=%d: %s\n", n, behave ? 1 : 0, kcs::name(e).data());
#endif
    if (!fuzz_machine::started(e, n, HostCap)) return h.outcome();
    const std::uint64_t bound = fuzz_kcs::access_bound(cfg, n, HostCap, step);
    std::uint64_t used = 0;
    while (h.outcome() == kcs::outcome::busy) {
      fuzz_machine::within_bound(++used, bound, [this] { std::fprintf(stderr, "device %s\n", kcs::name(d.phase()).data()); });
      bmc_turn();
      const kcs::action a = h.next();
      std::uint8_t value = 0;
      switch (a.kind) {
        case kcs::access::read_status: value = d.read_status().value; break;
        case kcs::access::read_data: value = d.read_data(); break;
        case kcs::access::write_command: on_event(d.write_command(a.value)); break;
        case kcs::access::write_data: on_event(d.write_data(a.value)); break;
        case kcs::access::none: FUZZ_FAIL("none while busy"); break;
      }
      now += step;
#ifdef FUZZ_KCS_TRACE
      std::fprintf(stderr, "  %s %02X -> %02X | device %s err %02X\n", kcs::name(a.kind).data(), a.value, value,
                   kcs::name(d.phase()).data(), static_cast<unsigned>(d.last_error()));
#endif
      h.complete(now, value);
      FUZZ_CHECK(d.stats().overruns == 0);
    }
    const kcs::outcome o = h.outcome();
#ifdef FUZZ_KCS_TRACE
    std::fprintf(stderr, "end %s %s\n", kcs::name(o).data(), kcs::name(h.problem()).data());
#endif
    FUZZ_CHECK(h.next().kind == kcs::access::none);
    if (o == kcs::outcome::done) {
      const auto r = h.response();
      FUZZ_CHECK(r.size() >= 3);
      FUZZ_CHECK(given_valid);
      if (reset_while_read) {
        // A reset mid-read looks like the end of the response; a force_abort just before it
        // may have put the dummy byte where the host expected the last one it read.
        FUZZ_CHECK(r.size() <= given_length);
        FUZZ_CHECK(std::equal(r.begin(), r.end() - 1, given.begin()));
        FUZZ_CHECK(r.back() == given[r.size() - 1] || r.back() == kcs::dummy_byte);
      } else {
        if (r.size() != given_length) {
          std::fprintf(stderr, "response of %zu bytes, the BMC gave %zu\n", r.size(), given_length);
          FUZZ_CHECK(r.size() == given_length);
        }
        FUZZ_CHECK(std::equal(r.begin(), r.end(), given.begin()));
      }
      FUZZ_CHECK(r[1] == request[1] && r[0] == (request[0] | 0x04));
    } else {
      fuzz_machine::check_not_done(h, o, kcs::problem::none);
    }
    return o;
  }

  // After failed or hosed (+ reset()): the next transaction on a well-behaved device works.
  // "Well-behaved" covers what happens from now on; the BMC may have left the device out of
  // step after the host's last status read (a force_abort or a reset on the last turn):
  //  * device idle, no error latched: the next transaction must be done;
  //  * otherwise the host sees a wrong state, aborts and retries, so it must be done too —
  //    except with max_retries = 0 (failed, unexpected_state). A length_error the old
  //    transfer left behind is read by the abort sequence but is not this request's, so the
  //    host retries. Either way the transaction after that must be done.
  void follow_up(bool was_hosed) {
    const bool clean = d.phase() == kcs::device_phase::idle && d.last_error() == kcs::error_code::no_error &&
                       !d.peek_status().ibf();
    const kcs::outcome first = transaction(std::min<std::size_t>(4, HostCap), true);
    if (first == kcs::outcome::done) return;
    const kcs::problem p = h.problem();
    const bool excused = !clean && !was_hosed && cfg.max_retries == 0 && p == kcs::problem::unexpected_state;
    if (!excused) {
      std::fprintf(stderr, "after %s (device %s), a well-behaved transaction ended %s (%s)\n",
                   was_hosed ? "hosed" : "failed", clean ? "clean" : "out of step", kcs::name(first).data(),
                   kcs::name(p).data());
      FUZZ_FAIL("a well-behaved transaction failed");
    }
    const kcs::outcome again = transaction(std::min<std::size_t>(4, HostCap), true);
    if (again != kcs::outcome::done) {
      std::fprintf(stderr, "a second well-behaved transaction ended %s (%s)\n", kcs::name(again).data(),
                   kcs::name(h.problem()).data());
      FUZZ_FAIL("a well-behaved transaction failed");
    }
  }

  void run(fuzz_machine::split_input& in) {
    c = &in.ctrl;
    data = &in.data;
    fuzz_machine::run_transactions(*this, 16, HostCap);
  }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  constexpr std::size_t cap = ipmikit::kcs::default_capacity;
  return fuzz_machine::pair_target<harness, 5, 16, 12, 12, 16, cap>(data, size);
}
