// fuzz/fuzz_bt_pair.cpp — bt::basic_host driving a bt::basic_device in memory (immediate or
// deferred service), with a BMC behind the device that answers each request with a response
// derived from it — or late, never, with a stale id or a bad length first, followed by a rogue
// response with the wrong Seq — and that holds B_BUSY, resets the device, toggles SMS_ATN and
// OEM0 and jumps the clock in the middle.
//
// Input: 4 setup bytes, then [n] n control bytes, then the data stream.
//   s0: bits 1:0 capacities (host/device): 0, 3 → 256/256, 1 → 32/16 (requests past the
//       device's capacity: overrun, rejected), 2 → 16/32 (responses past the host's:
//       response_too_long); bit 2 deferred device; bits 4:3 max_retries; bit 5
//       detect_absent_device
//   s1: bits 1:0 max_polls 0 / 6 / 10 / 0; bits 3:2 the clock step - 1 (µs); bits 7:4 the
//       first Seq (× 16, so that Seq wraps within a run)
//   s2, s3: busy / response timeout = 3000 + (s & 63) * 32 µs: long enough for a host to read
//       two stale 255-byte responses in a wait at 4 µs per access (the well-behaved guarantee)
//   The control stream is consumed as the run goes; once it is empty the BMC behaves well.
//   Each transaction (at most 6) reads a control byte t: request length t % 32 (0, 1 and past
//   the host's limit are refused by start(); lengths past it + 1 wrap into 2..limit), bit 5
//   "well-behaved" (no faults in this one). The request's cmd byte is the transaction's number.
//   Each request_ready reads a policy byte p: p % 8 = 0,1,2 answer after (p >> 3) % 4 accesses;
//     3 answer once the clock is past the response timeout; 4 never; 5 a stale id first;
//     6 a too-short or too-long response first; 7 answer, and inject a rogue response (the
//     same bytes with another Seq) at the host's next BT_CTRL read;
//     (p >> 5) & 3: the response length 3 / n + 1 / max_body / random.
//   Before each host access the BMC reads a control byte a: in deferred mode service() after
//   0 / 1 / 2 / 8 accesses ((a >> 4) & 3); a % 16: 8 hold B_BUSY for (a >> 4) * 2 + 1 accesses;
//   9 / 10 SMS_ATN on / off; 11 OEM0; 12 device reset(); 13 clock jump of (a >> 4) ms;
//   14 inject a rogue response now; 15 BMC interrupt enable.
//   While the BMC stalls (no answer planned, a late answer, B_BUSY held) the clock runs fast
//   (+ timeout / 16 per access) so that timeouts come in a few dozen accesses.
//
// Invariants (FUZZ_CHECK aborts):
//   * the device hands the BMC exactly a request the host was given, with its Seq (a request
//     the host gave up on may come later); only a device reset in the middle of the host's
//     write can make another one (then the BMC does not answer it);
//   * respond() refuses stale ids and bad lengths, and accepts the pending id;
//   * done ⇒ response() is one of the BMC's responses to this transaction's request (never an
//     older transaction's, never the rogue one); after a device reset in the middle of the
//     read, the same with the bytes read after the reset 0xFF;
//   * failed / hosed ⇒ problem() != none; after failed (and after hosed + reset()) the next
//     transaction on a well-behaved device is done;
//   * no deadlock: every transaction ends within fuzz_bt::access_bound() accesses.
#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <cstdio>

#include "fuzz_bt.hpp"

namespace {

using namespace ipmikit;
using fuzz_machine::fake_clock;
using fuzz_machine::unit;
namespace cb = bt::control_bit;

template <std::size_t HostCap, std::size_t DevCap>
struct harness {
  using host_t = bt::basic_host<fake_clock, HostCap>;
  using device_t = bt::basic_device<DevCap>;
  using time_point = fake_clock::time_point;
  static constexpr std::size_t max_body = device_t::max_body;
  static constexpr std::size_t host_max = std::min<std::size_t>(HostCap - 2, 254);

  typename host_t::config cfg;
  host_t h;
  device_t d;
  bt::basic_device<> rogue;
  bool on_rogue = false;  // the host's accesses go to the rogue device (a read in progress)
  bool rogue_due = false;
  fuzz::reader* c = nullptr;
  fuzz::reader* data = nullptr;
  time_point now{};
  fake_clock::duration step{};
  unsigned number = 0;  // transactions started
  std::uint8_t next_seq = 0;  // the Seq the next accepted start() takes (first Seq + accepted)

  // Every transaction's request (by Seq) and the responses the BMC gave for it.
  struct transaction_record {
    bool used = false;
    std::array<std::uint8_t, 256> request{};
    std::size_t request_length = 0;
    std::array<std::array<std::uint8_t, 256>, 4> given{};
    std::array<std::size_t, 4> given_length{};
    std::size_t given_count = 0;
  };
  std::array<transaction_record, 40> records{};  // 16 transactions + 16 follow-ups at most
  std::size_t record_count = 0;
  std::array<std::uint8_t, 256> record_of{};  // Seq → index + 1 into records (0: none)
  transaction_record none_record{};
  [[nodiscard]] const transaction_record& by_seq(std::uint8_t s) const {
    return record_of[s] ? records[record_of[s] - 1u] : none_record;
  }
  [[nodiscard]] transaction_record& by_seq(std::uint8_t s) {
    return record_of[s] ? records[record_of[s] - 1u] : none_record;
  }
  std::uint8_t seq = 0;  // the current transaction's
  bool well_behaved = false;

  // The BMC.
  fuzz_machine::bmc_plan bmc;
  std::uint8_t request_seq = 0;
  std::array<std::uint8_t, 256> bmc_request{};
  std::size_t bmc_request_length = 0;
  bool rogue_after_answer = false;
  unsigned service_delay = 0;
  unsigned latched_for = 0;
  unsigned busy_for = 0;
  // Host-side facts the checks need.
  bool writing = false;           // between the host's CLR_WR_PTR and H2B_ATN
  bool reset_mid_write = false;   // the device was reset while the host wrote this request
  std::uint64_t dropped_before = 0;  // writes_while_busy before the host's last CLR_WR_PTR
  bool reading = false;           // the host reads a response from the real device
  bool reset_while_read = false;  // … and the device was reset meanwhile

  explicit harness(const std::array<std::uint8_t, 4>& s)
      : cfg(config(s)),
        h(cfg, first_seq(s)),
        d(typename device_t::config{(s[0] & 4u) != 0}),
        step(fuzz_machine::pair_step(s[1])),
        next_seq(first_seq(s)) {}

  /// The host's config from the setup bytes (the header comment).
  static typename host_t::config config(const std::array<std::uint8_t, 4>& s) {
    typename host_t::config c;
    c.max_retries = static_cast<std::uint8_t>((s[0] >> 3) & 3u);
    c.detect_absent_device = (s[0] & 0x20u) != 0;
    static constexpr std::array<std::uint32_t, 4> polls{0, 6, 10, 0};
    c.max_polls = polls[s[1] & 3u];
    c.busy_timeout = (3000u + (s[2] & 63u) * 32u) * unit;
    c.response_timeout = (3000u + (s[3] & 63u) * 32u) * unit;
    return c;
  }
  static std::uint8_t first_seq(const std::array<std::uint8_t, 4>& s) { return static_cast<std::uint8_t>(s[1] & 0xF0u); }

  [[nodiscard]] std::uint8_t ctrl() { return c->u8(); }
  [[nodiscard]] bool faults() const { return !well_behaved && !c->empty(); }
  [[nodiscard]] fake_clock::duration fast() const { return std::max(cfg.busy_timeout, cfg.response_timeout) / 16; }
  [[nodiscard]] bool no_device() const { return h.problem() == bt::problem::no_device; }

  void on_event(bt::event e) {
    if (e == bt::event::request_rejected) {
      // Only a request that did not fit the device, one cut by a device reset, or one whose
      // bytes were partly dropped (a send-anyway retry while a deferred BMC owned HOST2BMC: the
      // BMC may take the old request in the middle, and the rest lands after it).
      FUZZ_CHECK(reset_mid_write || d.written() > DevCap || d.stats().writes_while_busy > dropped_before);
      return;
    }
    if (!ipmikit::si::has_new_request(e)) return;  // request_ready or request_replaced
    const auto p = d.pending_request();
    FUZZ_CHECK(p.has_value());
    const transaction_record& t = by_seq(p->seq);
    const bool known = t.used && p->bytes.size() == t.request_length &&
                       std::equal(p->bytes.begin(), p->bytes.end(), t.request.begin());
    if (!known && !reset_mid_write) {
      std::fprintf(stderr, "the device delivered a request the host never sent (seq %02X)\n", p->seq);
      FUZZ_FAIL("unknown request");
    }
    bmc.take(p->id);
    request_seq = p->seq;
    std::copy(p->bytes.begin(), p->bytes.end(), bmc_request.begin());
    bmc_request_length = p->bytes.size();
    if (!known) {  // cut by a reset: not a request the BMC can make sense of
      bmc.answer = fuzz_machine::bmc_plan::plan::never;
      return;
    }
    const std::uint8_t pol = faults() ? ctrl() : 0;
    bmc.answer_length = fuzz_machine::answer_length(pol, bmc_request_length, max_body, *data);
    if (!faults()) bmc.answer_length = std::min(bmc.answer_length, HostCap - 1);
    rogue_after_answer = false;
    bmc.choose(pol, now + cfg.response_timeout + unit);
    switch (pol % 8u) {
      case 5: fuzz_machine::respond_stale(d, bmc, pol); break;
      case 6: fuzz_machine::respond_bad_length<max_body>(d, bmc, pol); break;
      case 7: rogue_after_answer = true; break;
      default: break;
    }
  }

  void bmc_answer() {
    if (!bmc.due(now)) return;
    std::array<std::uint8_t, 256> r{};
    const std::size_t len = fuzz_machine::make_response(
        std::span<const std::uint8_t>(bmc_request.data(), bmc_request_length), bmc.answer_length, r);
    FUZZ_CHECK(d.respond(bmc.request_id, std::span<const std::uint8_t>(r.data(), len)) == bt::device_error::ok);
    transaction_record& t = by_seq(request_seq);
    if (t.given_count < t.given.size()) {
      t.given[t.given_count] = r;
      t.given_length[t.given_count++] = len;
    }
    bmc.forget();
    if (rogue_after_answer) rogue_due = true;
  }

  // A rogue response in the rogue device: the current request's response with another Seq.
  void arm_rogue() {
    const transaction_record& t = by_seq(seq);
    if (!t.used) return;
    const auto other = static_cast<std::uint8_t>(seq + 1 + data->u8() % 255u);
    rogue.reset();
    (void)rogue.write_control(cb::clr_wr_ptr);
    rogue.write_buffer(static_cast<std::uint8_t>(t.request_length + 1));
    rogue.write_buffer(t.request[0]);
    rogue.write_buffer(other);
    for (std::size_t i = 1; i < t.request_length; ++i) rogue.write_buffer(t.request[i]);
    FUZZ_CHECK(rogue.write_control(cb::h2b_atn) == bt::event::request_ready);
    std::array<std::uint8_t, 256> r{};
    const std::size_t len = fuzz_machine::make_response(
        std::span<const std::uint8_t>(t.request.data(), t.request_length), std::min<std::size_t>(t.request_length + 1, 254), r);
    r[2] = 0xC1;  // a completion code the BMC never gives: accepting it would show
    FUZZ_CHECK(rogue.respond(rogue.pending_request()->id, std::span<const std::uint8_t>(r.data(), len)) ==
               bt::device_error::ok);
    on_rogue = true;
  }

  // The BMC's turn before each host access.
  void bmc_turn() {
    const std::uint8_t a = faults() ? ctrl() : 0;
    if (!faults() && d.peek_control().b_busy()) busy_for = 1;  // a well-behaved BMC lets go
    if (busy_for > 0 && --busy_for == 0) on_event(d.set_busy(false));
    if (d.settings().deferred && d.peek_control().h2b_atn()) {
      static constexpr std::array<unsigned, 4> delays{0, 1, 2, 8};
      if (latched_for == 0 || !faults()) service_delay = faults() ? delays[(a >> 4) & 3u] : 0;
      if (latched_for++ >= service_delay) {
        latched_for = 0;
        on_event(d.service());
      }
    }
    bmc_answer();
    switch (faults() ? a % 16u : 0u) {
      case 8:
        busy_for = (a >> 4) * 2u + 1u;
        on_event(d.set_busy(true));
        break;
      case 9: d.set_attention(true); break;
      case 10: d.set_attention(false); break;
      case 11: d.set_oem0((a & 0x10u) != 0); break;
      case 12:
        if (writing) reset_mid_write = true;
        if (reading) reset_while_read = true;
        d.reset();
        bmc.forget();
        latched_for = 0;
        busy_for = 0;
        break;
      case 13: now += std::chrono::milliseconds(a >> 4); break;
      case 14: rogue_due = true; break;
      case 15: d.set_interrupts_enabled((a & 0x10u) != 0); break;
      default: break;
    }
    // Stalling: time runs fast.
    using plan = fuzz_machine::bmc_plan::plan;
    if (faults() && (bmc.answer == plan::never || bmc.answer == plan::when_late || busy_for > 0)) now += fast();
    if (rogue_due && !on_rogue && h.next().kind == bt::access::read_control) {
      rogue_due = false;
      arm_rogue();
    }
  }

  // Makes the access on the device or, while a rogue response is read, on the rogue device.
  template <class Bus>
  std::uint8_t perform(Bus& bus, const bt::action& a, bool real) {
    switch (a.kind) {
      case bt::access::read_control: return bus.read_control().value;
      case bt::access::read_buffer: return bus.read_buffer();
      case bt::access::write_control: {
        const bt::event e = bus.write_control(a.value);
        if (real) on_event(e);
        return 0;
      }
      case bt::access::write_buffer: bus.write_buffer(a.value); return 0;
      case bt::access::none: FUZZ_FAIL("none while busy");
    }
    return 0;
  }

  // One transaction; returns its outcome.
  bt::outcome transaction(std::size_t n, bool behave) {
    well_behaved = behave;
    fuzz_machine::reset_if_hosed(h, now);
    ++number;
    std::array<std::uint8_t, 256> req{};
    (void)fuzz_machine::transaction_request(n, static_cast<std::uint8_t>(number), *data, req);
    const std::uint8_t s = h.seq();
    const bt::host_error e = h.start(std::span<const std::uint8_t>(req.data(), n), now);
#ifdef FUZZ_BT_TRACE
    std::fprintf(stderr, "start n=%zu behave=%d: %s seq %02X\n", n, behave ? 1 : 0, bt::name(e).data(), h.seq());
#endif
    if (!fuzz_machine::started(e, n, host_max)) {
      FUZZ_CHECK(h.seq() == s);
      return h.outcome();
    }
    seq = h.seq();
    FUZZ_CHECK(seq == next_seq);
    ++next_seq;
    FUZZ_CHECK(record_of[seq] == 0 && record_count < records.size());  // Seq never comes back in a run
    record_of[seq] = static_cast<std::uint8_t>(++record_count);
    transaction_record& t = records[record_count - 1];
    t.used = true;
    std::copy(req.begin(), req.begin() + static_cast<std::ptrdiff_t>(n), t.request.begin());
    t.request_length = n;
    reset_while_read = false;
    const std::uint64_t bound = fuzz_bt::access_bound(cfg, n, step);
    std::uint64_t used = 0;
    while (h.outcome() == bt::outcome::busy) {
      fuzz_machine::within_bound(++used, bound, [] {});
      bmc_turn();
      const bt::action a = h.next();
      const bool was_rogue = on_rogue;
      if (!on_rogue && a.kind == bt::access::write_control && a.value == cb::clr_wr_ptr)
        dropped_before = d.stats().writes_while_busy;
      const std::uint8_t value = on_rogue ? perform(rogue, a, false) : perform(d, a, true);
      if (!was_rogue) {
        if (a.kind == bt::access::write_control && a.value == cb::clr_wr_ptr) {
          writing = true;
          if (d.written() == 0) reset_mid_write = false;  // a fresh buffer (not dropped: H2B_ATN)
        }
        if (a.kind == bt::access::write_control && a.value == cb::h2b_atn) writing = false;
        if (a.kind == bt::access::read_control && bt::control(value).b2h_atn()) {
          reading = true;
          reset_while_read = false;
        }
      }
      now += step;
#ifdef FUZZ_BT_TRACE
      std::fprintf(stderr, "  %s%s %02X -> %02X | ctrl %02X\n", was_rogue ? "rogue " : "", bt::name(a.kind).data(),
                   a.value, value, d.peek_control().value);
#endif
      h.complete(now, value);
      const bt::action nx = h.next();
      const bool in_read = nx.kind == bt::access::read_buffer ||
                           (nx.kind == bt::access::write_control &&
                            (nx.value == cb::h_busy || nx.value == cb::b2h_atn || nx.value == cb::clr_rd_ptr));
      if (!in_read) reading = false;
      if (on_rogue && !in_read) on_rogue = false;  // the rogue response was read (or not at all)
    }
    writing = false;
    on_rogue = false;
    const bt::outcome o = h.outcome();
#ifdef FUZZ_BT_TRACE
    std::fprintf(stderr, "end %s %s\n", bt::name(o).data(), bt::name(h.problem()).data());
#endif
    FUZZ_CHECK(h.next().kind == bt::access::none);
    if (o == bt::outcome::done) {
      const auto r = h.response();
      bool found = false;
      for (std::size_t k = 0; k < t.given_count && !found; ++k) {
        const auto& g = t.given[k];
        if (r.size() != t.given_length[k]) continue;
        if (reset_while_read) {
          // The bytes read after the reset are 0xFF: a prefix of g, then 0xFF.
          std::size_t i = 0;
          while (i < r.size() && r[i] == g[i]) ++i;
          found = std::all_of(r.begin() + static_cast<std::ptrdiff_t>(i), r.end(),
                              [](std::uint8_t b) { return b == 0xFF; });
        } else {
          found = std::equal(r.begin(), r.end(), g.begin());
        }
      }
      if (!found) {
        std::fprintf(stderr, "done with a response of %zu bytes the BMC never gave for seq %02X (%zu given)\n",
                     r.size(), seq, t.given_count);
        FUZZ_FAIL("not the BMC's response to this request");
      }
      FUZZ_CHECK(r[1] == t.request[1] && r[0] == (t.request[0] | 0x04));
    } else {
      fuzz_machine::check_not_done(h, o, bt::problem::none);
      if (o == bt::outcome::hosed) FUZZ_CHECK(h.problem() == bt::problem::busy_timeout);
    }
    return o;
  }

  // After failed or hosed (+ reset()): the next transaction on a well-behaved device is done.
  void follow_up(bool was_hosed) {
    const bt::outcome o = transaction(std::min<std::size_t>(4, host_max), true);
    if (o == bt::outcome::done) return;
    std::fprintf(stderr, "after %s, a well-behaved transaction ended %s (%s)\n", was_hosed ? "hosed" : "failed",
                 bt::name(o).data(), bt::name(h.problem()).data());
    FUZZ_FAIL("a well-behaved transaction failed");
  }

  // Few transactions per input keep an execution short (a transaction can take thousands of
  // accesses: 255-byte responses, polls until a timeout); the fuzzer covers more inputs instead.
  static constexpr int max_transactions = 6;

  void run(fuzz_machine::split_input& in) {
    c = &in.ctrl;
    data = &in.data;
    fuzz_machine::run_transactions(*this, max_transactions, host_max);
  }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  constexpr std::size_t cap = ipmikit::bt::default_capacity;
  return fuzz_machine::pair_target<harness, 4, 32, 16, 16, 32, cap>(data, size);
}
