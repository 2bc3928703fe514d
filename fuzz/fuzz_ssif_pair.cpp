// fuzz/fuzz_ssif_pair.cpp — ssif::basic_host driving an ssif::basic_device over an in-memory
// SMBus (ssif::device_bus), with a BMC behind the device that answers each request with a
// response derived from it — at once, after some transfers, late, never, with a stale id or a
// bad length first — and that resets the device mid-transaction, raises attention and jumps the
// clock, on a bus that may corrupt a transfer's PEC.
//
// Input: 4 setup bytes, then [n] n control bytes, then the data stream.
//   s0: bits 1:0 the device's transaction support (0 single-part, 1 start/end, 2-3
//       start/middle/end); bit 2 device PEC; bit 3 the host queries the capabilities (else it
//       assumes the device's); bit 4 the host uses PEC; bit 5 device capacity 40 (else 255);
//       bits 7:6 max_write_retries
//   s1: max_read_retries = 2 + (s1 & 15); bits 5:4 the clock step - 1 (µs)
//   s2: first_read_delay = (s2 & 15) µs; read_retry_interval = 8 + (s2 >> 4) * 4 µs
//   s3: write_retry_interval = (s3 & 63) µs
//   The control stream is consumed as the run goes; once it is empty the BMC and the bus
//   behave well. Each transaction (at most 6) reads a control byte t: request length by t & 63
//   (0..47 that many bytes, then 48 + 13 k: multi-part writes up to 243), bit 7 well-behaved
//   (no faults in this one). The request's Cmd is the transaction's number.
//   Each request the BMC gets reads a policy byte p (fuzz_machine::bmc_plan::choose): answer
//   after (p >> 3) % 4 transfers, late (past the host's read retries), never, a stale id or a
//   bad length first; 7: reset the device instead of answering; (p >> 5) & 3 the length.
//   Before each transfer the BMC reads a control byte a, a % 16: 12 device reset(); 13 clock
//   jump of (a >> 4) ms; 14 the bus corrupts this transfer's PEC (when PEC is on); 15
//   set_attention(a & 0x10).
//
// Invariants (FUZZ_CHECK aborts):
//   * every request the device hands the BMC is exactly the running transaction's request (no
//     other, none cut short), at most once per write attempt of the host;
//   * respond() refuses stale ids and bad lengths, and accepts the pending id;
//   * done ⇒ response() is the BMC's response to this transaction's request;
//   * failed ⇒ problem() != none; after a failure the next transaction on a well-behaved BMC and
//     bus is done;
//   * no deadlock: every transaction ends within a bound from the host's retry limits.
#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <cstdio>

#include "fuzz_ssif.hpp"

namespace {

using namespace ipmikit;
using fuzz_machine::fake_clock;
using fuzz_machine::unit;
using time_point = fake_clock::time_point;

template <std::size_t DevCap>
struct harness {
  using host_t = ssif::basic_host<fake_clock>;
  using device_t = ssif::basic_device<DevCap>;
  static constexpr std::size_t max_body = device_t::max_body;

  device_t d;
  typename host_t::config cfg;
  host_t h;
  ssif::device_bus<device_t> bus{d};
  fuzz::reader* c = nullptr;
  fuzz::reader* data = nullptr;
  time_point now{};
  fake_clock::duration step{};
  unsigned number = 0;
  bool well_behaved = false;
  bool corrupt = false;
  bool reset_due = false;

  // The running transaction.
  std::array<std::uint8_t, 256> request{};
  std::size_t request_length = 0;
  unsigned deliveries = 0;
  std::array<std::array<std::uint8_t, 256>, 4> given{};
  std::array<std::size_t, 4> given_length{};
  std::size_t given_count = 0;

  fuzz_machine::bmc_plan bmc;

  static typename device_t::config device_config(const std::array<std::uint8_t, 4>& s) {
    typename device_t::config dc;
    dc.transactions = fuzz_ssif::transactions(s[0]);
    dc.pec = (s[0] & 4u) != 0;
    return dc;
  }
  static typename host_t::config host_config(const std::array<std::uint8_t, 4>& s, const device_t& dev) {
    typename host_t::config hc;
    hc.query_capabilities = (s[0] & 8u) != 0;
    hc.use_pec = (s[0] & 0x10u) != 0;
    hc.assumed = {dev.settings().transactions, dev.settings().pec, dev.max_request(), dev.max_response()};
    hc.max_write_retries = static_cast<std::uint8_t>(s[0] >> 6);
    hc.max_read_retries = 2u + (s[1] & 15u);
    hc.first_read_delay = (s[2] & 15u) * unit;
    hc.read_retry_interval = (8u + (s[2] >> 4) * 4u) * unit;
    hc.write_retry_interval = (s[3] & 63u) * unit;
    return hc;
  }

  explicit harness(const std::array<std::uint8_t, 4>& s)
      : d(device_config(s)), cfg(host_config(s, d)), h(cfg), step((((s[1] >> 4) & 3u) + 1u) * unit) {}

  [[nodiscard]] bool faults() const { return !well_behaved && !c->empty(); }
  [[nodiscard]] fake_clock::duration fast() const { return cfg.read_retry_interval / 2; }

  void record_answer(std::span<const std::uint8_t> r) {
    if (given_count < given.size()) {
      std::copy(r.begin(), r.end(), given[given_count].begin());
      given_length[given_count++] = r.size();
    }
  }

  void on_event(si::event e) {
    if (!si::has_new_request(e)) return;
    const auto p = d.pending_request();
    FUZZ_CHECK(p.has_value());
    // Exactly the running transaction's request, whole.
    if (p->bytes.size() != request_length || !std::equal(p->bytes.begin(), p->bytes.end(), request.begin())) {
      std::fprintf(stderr, "the device delivered %zu bytes, the host's request has %zu\n", p->bytes.size(),
                   request_length);
      FUZZ_FAIL("a request the host never sent");
    }
    ++deliveries;
    FUZZ_CHECK(deliveries <= h.attempts());
    bmc.take(p->id);
    const std::uint8_t pol = faults() ? c->u8() : 0;
    bmc.answer_length = fuzz_machine::answer_length(pol, request_length, d.max_response(), *data);
    bmc.choose(pol, now + (cfg.max_read_retries + 2u) * cfg.read_retry_interval);
    switch (pol % 8u) {
      case 5: fuzz_machine::respond_stale(d, bmc, pol); break;
      case 6: {
        std::array<std::uint8_t, max_body + 1> r{};
        const std::size_t bad = (pol & 8u) ? d.max_response() + 1 : (pol >> 3) % 3u;
        FUZZ_CHECK(d.respond(bmc.request_id, std::span<const std::uint8_t>(r.data(), bad)) ==
                   (bad > 2 ? si::device_error::response_too_long : si::device_error::response_too_short));
        break;
      }
      case 7:
        bmc.answer = fuzz_machine::bmc_plan::plan::never;
        reset_due = true;
        break;
      default: break;
    }
  }

  void bmc_turn() {
    const std::uint8_t a = faults() ? c->u8() : 0;
    if (bmc.due(now)) {
      std::array<std::uint8_t, 256> r{};
      const std::size_t len = fuzz_machine::make_response(std::span<const std::uint8_t>(request.data(), request_length),
                                                          bmc.answer_length, r);
      FUZZ_CHECK(d.respond(bmc.request_id, std::span<const std::uint8_t>(r.data(), len)) == si::device_error::ok);
      record_answer(std::span<const std::uint8_t>(r.data(), len));
      bmc.forget();
    }
    corrupt = false;
    if (reset_due || (faults() && a % 16u == 12)) {
      reset_due = false;
      const si::event e = d.reset();
      if (bmc.have_request) FUZZ_CHECK(si::cancels_request(e));
      bmc.forget();
    }
    switch (faults() ? a % 16u : 0u) {
      case 13: now += std::chrono::milliseconds(a >> 4); break;
      case 14: corrupt = true; break;
      case 15: d.set_attention((a & 0x10u) != 0); break;
      default: break;
    }
    using plan = fuzz_machine::bmc_plan::plan;
    if (faults() && (bmc.answer == plan::never || bmc.answer == plan::when_late)) now += fast();
  }

  ssif::transfer_result perform(const ssif::action& a) {
    if (corrupt && a.pec && a.kind == ssif::access::block_write) {
      const auto command = static_cast<std::uint8_t>(a.command);
      const std::uint8_t bad = static_cast<std::uint8_t>(fuzz_ssif::write_pec(d.settings().address, command, a.data) ^ 0x5A);
      const ssif::write_result w = d.block_write(command, a.data, bad);
      FUZZ_CHECK(!w.ack && w.fault == ssif::fault::pec_mismatch);
      return {ssif::transfer_status::pec_error, {}};
    }
    ssif::transfer_result r = ssif::perform(bus, a);
    if (corrupt && a.pec && a.kind == ssif::access::block_read && r.status == ssif::transfer_status::ack && !r.data.empty()) {
      bus.block[0] ^= 0x20;  // a bit flipped on the wire: the PEC no longer matches
      r.status = ssif::transfer_status::pec_error;
    }
    return r;
  }

  si::outcome transaction(std::size_t n, bool behave) {
    well_behaved = behave;
    ++number;
    (void)fuzz_machine::transaction_request(n, static_cast<std::uint8_t>(number), *data, request);
    request_length = n;
    deliveries = 0;
    given_count = 0;
    const auto caps = h.capabilities_in_use();
    const std::size_t limit = caps ? std::min<std::size_t>(caps->max_request, 255) : 255;
    const si::host_error e = h.start(std::span<const std::uint8_t>(request.data(), n), now);
    if (!fuzz_machine::started(e, n, limit)) return h.outcome();
    const std::uint64_t wi = fuzz_machine::steps_to(cfg.write_retry_interval.count(), step.count()) + 1;
    const std::uint64_t ri =
        fuzz_machine::steps_to(std::max(cfg.read_retry_interval, cfg.first_read_delay).count(), step.count()) + 1;
    const std::uint64_t bound = 2 * ((cfg.max_write_retries + 1u) * (9 + wi) + (cfg.max_read_retries + 2u) * (ri + 11)) + 16;
    std::uint64_t used = 0;
    while (h.outcome() == si::outcome::busy) {
      fuzz_machine::within_bound(++used, bound, [&] {
        std::fprintf(stderr, "next %s, device writing %d reading %d pending %d\n", ssif::name(h.next().kind).data(),
                     d.writing(), d.reading(), d.pending_request().has_value());
      });
      bmc_turn();
      const ssif::action a = h.next();
      FUZZ_CHECK(a.kind != ssif::access::none);
      const auto before = d.stats().requests;
      const std::uint32_t before_id = d.pending_request() ? d.pending_request()->id : 0;
      const ssif::transfer_result r = perform(a);
      // ssif::perform() keeps the write's event: a new request shows in the device's counters.
      if (d.stats().requests != before) {
        FUZZ_CHECK(d.stats().requests == before + 1 && d.pending_request() && d.pending_request()->id != before_id);
        on_event(si::event::request_ready);
      }
      now += step;
      h.complete(now, r);
    }
    const si::outcome o = h.outcome();
    if (o == si::outcome::done) {
      const auto r = h.response();
      bool found = false;
      for (std::size_t k = 0; k < given_count && !found; ++k)
        found = r.size() == given_length[k] && std::equal(r.begin(), r.end(), given[k].begin());
      if (!found) {
        std::fprintf(stderr, "done with %zu bytes the BMC never gave for request %u (%zu given)\n", r.size(), number,
                     given_count);
        FUZZ_FAIL("not the BMC's response to this request");
      }
    } else {
      fuzz_machine::check_not_done(h, o, ssif::problem::none);
    }
    return o;
  }

  void run(fuzz_machine::split_input& in) {
    c = &in.ctrl;
    data = &in.data;
    for (int k = 0; k < 6; ++k) {
      const std::uint8_t t = c->u8();
      const unsigned l = t & 63u;
      const std::size_t n = l < 48 ? l : 48 + (l - 48) * 13;
      const si::outcome o = transaction(n, (t & 0x80u) != 0);
      if (o == si::outcome::failed && h.problem() != ssif::problem::request_too_long) {
        const si::outcome f = transaction(4, true);
        if (f != si::outcome::done) {
          std::fprintf(stderr, "after a failure, a well-behaved transaction ended %s (%s)\n", si::name(f).data(),
                       ssif::name(h.problem()).data());
          FUZZ_FAIL("a well-behaved transaction failed");
        }
      }
      if (c->empty()) break;
    }
  }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  fuzz::reader in(std::span<const std::uint8_t>(data, size));
  const auto s = fuzz_machine::setup_bytes<4>(in);
  fuzz_machine::split_input split(in);
  if (s[0] & 0x20u) harness<40>(s).run(split);
  else harness<ipmikit::ssif::max_message>(s).run(split);
  return 0;
}
