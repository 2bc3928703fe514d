// fuzz/fuzz_ssif_host.cpp — ssif::basic_host over a fake clock, against an adversarial SMBus
// driven by the input (ack / NAK / PEC error, arbitrary read blocks, clock jumps backwards too),
// with random configs, requests, cancel() and reset(), checked against a model of the theory of
// operation at the top of include/ipmikit/ssif/host.hpp and against a bound on its transfers.
//
// Input: 9 setup bytes, then [n] n control bytes, then the data stream.
//   s0: bit 0 capacity 40 (else 255); bit 1 query_capabilities; bit 2 use_pec; bits 4:3 the
//       assumed transaction support; bit 5 assumed PEC; bits 7:6 max_write_retries
//   s1: first_read_delay = (s1 & 63) µs; s1 >> 6: the settle step - 1 (µs)
//   s2: read_retry_interval = (s2 & 63) µs; s2 >> 6: max_read_retries 0 / 1 / 3 / 8
//   s3: write_retry_interval = (s3 & 63) µs; s3 >> 6: the assumed max_request 32 / 63 / 64 / 255
//   s4: settle pattern length - 1 (bits 1:0); s5..s8: the pattern (one bus byte per transfer)
//   Control bytes o, o % 8:
//     0 start(): length o >> 3 (0..29 that many bytes, 30 the largest allowed, 31 one more)
//     1..3 make (o >> 3) + 1 transfers: for each a control byte is a clock jump (int8 µs; 0x7F
//       +1 s, 0x80 -1 s) and a data byte b the bus's answer (below)
//     4 cancel()   5 reset()   6 misuse: start() while busy, complete() while not busy
//     7 settle: run to the end, the clock + max(step, longest interval) per transfer, the bus
//       answering with the pattern's bytes in turn
//   At the end of the input the host is settled too.
//   A bus byte b: status b % 4 (0, 3 ack, 1 NAK, 2 PEC error); a read's block by (b >> 2) % 8:
//     0 the right block of a well-formed response to the message being sent (its length from a
//     data byte; a Get System Interface Capabilities answer from 3 data bytes while probing);
//     1 arbitrary bytes (0–40, from the data stream); 2 00 01 + 30 bytes; 3 FF + 0–31 bytes;
//     4 a middle block with the number the host expects; 5 with another number; 6 empty;
//     7 a 3-byte response with the message's NetFn + 1 and Cmd.
//
// Invariants (FUZZ_CHECK aborts):
//   * start() returns busy / hosed / request_too_short / request_too_long (past the probed or
//     assumed max_request and Capacity) in that order, and a refused start() changes nothing;
//     complete() while not busy changes nothing;
//   * next() is the model's after every call: a Block Write with 02h and the whole message
//     (≤ 32 bytes), or 06h, 07h…, 08h with its 32-byte parts in order (the last 1–32 bytes);
//     the probe (App 57h, type SSIF) first when asked; PEC exactly when the capabilities offer it
//     and use_pec; a Block Read 03h after a wait, 09h only within a multi-part read whose blocks
//     followed ssif.md §2; a wait only with next_deadline() set (and only then);
//   * the machine leaves busy within a bound computed from its retry limits;
//   * done ⇒ response() = the reassembled blocks, ≥ 3 bytes, the request's Cmd, its NetFn | 1;
//     failed ⇒ problem() is the model's (never none or not_ours);
//   * stats(): transactions, done, failed, accesses, polls, retries, writes, reads, nacks,
//     pec_errors, multipart reads and writes, responses_dropped, probes.
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
using ssif::problem;
using tsupport = cmd::ssif_transaction_support;
using time_point = fake_clock::time_point;

constexpr std::array<std::uint8_t, 3> probe{0x18, 0x57, 0x00};

// The model: what host.hpp's theory of operation says the machine does.
template <std::size_t Capacity>
struct model {
  enum class stage : std::uint8_t { none, writing, wait_write, wait_read, reading, reading_next };

  typename ssif::basic_host<fake_clock, Capacity>::config cfg;
  si::outcome outcome = si::outcome::idle;
  stage st = stage::none;
  bool probing = false;
  std::optional<ssif::capabilities> caps;
  std::array<std::uint8_t, 256> request{};
  std::size_t request_length = 0;
  std::size_t part = 0;
  unsigned attempts = 0;
  std::uint32_t reads = 0;
  time_point deadline{};
  fuzz_ssif::reassembler ra;
  problem prob = problem::none;
  std::array<std::uint8_t, Capacity> response{};
  std::size_t response_length = 0;
  ssif::host_stats stats{};

  [[nodiscard]] std::span<const std::uint8_t> message() const {
    if (probing) return probe;
    return {request.data(), request_length};
  }
  [[nodiscard]] bool pec() const { return caps && caps->pec && cfg.use_pec; }
  [[nodiscard]] std::size_t max_request() const {
    return std::min<std::size_t>(caps ? caps->max_request : 255, Capacity);
  }

  [[nodiscard]] ssif::action next() const {
    ssif::action a;
    if (outcome != si::outcome::busy) return a;
    switch (st) {
      case stage::writing: {
        const auto m = message();
        const std::size_t from = part * 32, left = m.size() - from;
        a.kind = ssif::access::block_write;
        a.command = m.size() <= 32 ? ssif::smbus_command::write_single
                    : part == 0    ? ssif::smbus_command::write_start
                    : left > 32    ? ssif::smbus_command::write_middle
                                   : ssif::smbus_command::write_end;
        a.data = m.subspan(from, std::min<std::size_t>(left, 32));
        a.pec = pec();
        break;
      }
      case stage::wait_write:
      case stage::wait_read:
        a.kind = ssif::access::wait;
        a.repeat = true;
        break;
      case stage::reading:
        a.kind = ssif::access::block_read;
        a.command = ssif::smbus_command::read_start;
        a.pec = pec();
        a.repeat = reads > 0;
        break;
      case stage::reading_next:
        a.kind = ssif::access::block_read;
        a.command = ssif::smbus_command::read_next;
        a.pec = pec();
        break;
      case stage::none: break;
    }
    return a;
  }

  void finish(si::outcome o) {
    outcome = o;
    st = stage::none;
    if (o == si::outcome::done) ++stats.done;
    if (o == si::outcome::failed) ++stats.failed;
  }
  void wait(stage s, time_point until) {
    st = s;
    deadline = until;
  }
  void begin_write() {
    reads = 0;
    part = 0;
    st = stage::writing;
  }

  void start(std::span<const std::uint8_t> r) {
    std::copy(r.begin(), r.end(), request.begin());
    request_length = r.size();
    response_length = 0;
    prob = problem::none;
    attempts = 1;
    outcome = si::outcome::busy;
    ++stats.transactions;
    probing = !caps;
    if (probing) ++stats.probes;
    begin_write();
  }

  void cancel() {
    if (outcome != si::outcome::busy) return;
    prob = problem::cancelled;
    finish(si::outcome::failed);
  }
  void reset() {
    outcome = si::outcome::idle;
    st = stage::none;
  }

  void failure(ssif::transfer_status s) {
    if (s == ssif::transfer_status::pec_error) ++stats.pec_errors;
    else ++stats.nacks;
  }

  void read_again(time_point now) {
    if (reads >= cfg.max_read_retries) {
      if (prob == problem::none || prob == problem::write_refused || prob == problem::not_ours)
        prob = problem::response_timeout;
      return finish(si::outcome::failed);
    }
    ++reads;
    wait(stage::wait_read, now + cfg.read_retry_interval);
  }

  void probed(std::span<const std::uint8_t> answer) {
    const auto parsed = cmd::get_system_interface_capabilities::response::parse(answer.subspan(3));
    ssif::capabilities c{};
    if (answer[2] == 0 && parsed && parsed->ssif) {
      c = {parsed->transaction_support, parsed->pec_supported, parsed->max_input_size, parsed->max_output_size};
      if (c.transactions == tsupport::single_part) c.max_request = c.max_response = 32;
      if (c.transactions == tsupport::start_end) {
        c.max_request = std::min<std::size_t>(c.max_request, 64);
        c.max_response = std::min<std::size_t>(c.max_response, 61);
      }
      c.max_request = std::max<std::size_t>(c.max_request, 2);
    }
    caps = c;
    probing = false;
    prob = problem::none;
    attempts = 1;  // the caller's request's writes from here
    if (request_length > c.max_request) {
      prob = problem::request_too_long;
      return finish(si::outcome::failed);
    }
    begin_write();
  }

  void whole(time_point now, bool multipart) {
    const auto a = ra.message();
    const auto m = message();
    const bool ours = a.size() >= 3 && a[1] == m[1] && (a[0] >> 2) == (((m[0] >> 2) | 1u) & 0x3Fu);
    if (!ours) {
      ++stats.responses_dropped;
      prob = problem::not_ours;
      return read_again(now);
    }
    if (multipart) ++stats.multipart_reads;
    const std::size_t kept = std::min(a.size(), Capacity);
    if (probing) return probed(a.first(kept));
    std::copy_n(a.begin(), kept, response.begin());
    response_length = kept;
    if (a.size() > Capacity) {
      prob = problem::response_too_long;
      return finish(si::outcome::failed);
    }
    finish(si::outcome::done);
  }

  void complete(time_point now, const ssif::transfer_result& r) {
    if (outcome != si::outcome::busy) return;
    ++stats.accesses;
    switch (st) {
      case stage::writing:
        if (r.status != ssif::transfer_status::ack) {
          failure(r.status);
          prob = r.status == ssif::transfer_status::pec_error ? problem::pec_error : problem::write_refused;
          if (attempts > cfg.max_write_retries) {
            prob = problem::write_refused;
            return finish(si::outcome::failed);
          }
          ++attempts;
          ++stats.retries;
          return wait(stage::wait_write, now + cfg.write_retry_interval);
        }
        ++stats.writes;
        if ((part + 1) * 32 < message().size()) {
          ++part;
          return;
        }
        if (part > 0) ++stats.multipart_writes;
        return wait(stage::wait_read, now + cfg.first_read_delay);
      case stage::wait_write:
        if (now < deadline) {
          ++stats.polls;
          return;
        }
        part = 0;
        st = stage::writing;
        return;
      case stage::wait_read:
        if (now < deadline) {
          ++stats.polls;
          return;
        }
        st = stage::reading;
        return;
      case stage::reading:
      case stage::reading_next: {
        if (r.status != ssif::transfer_status::ack) {
          failure(r.status);
          if (r.status == ssif::transfer_status::pec_error) prob = problem::pec_error;
          return read_again(now);
        }
        ++stats.reads;
        const auto block = r.data.first(std::min<std::size_t>(r.data.size(), 32));
        if (st == stage::reading) {
          if (ra.first(block) == fuzz_ssif::reassembler::state::more) {
            st = stage::reading_next;
            return;
          }
          return whole(now, false);
        }
        switch (ra.next(block)) {
          case fuzz_ssif::reassembler::state::whole: return whole(now, true);
          case fuzz_ssif::reassembler::state::more:
            if (ra.length > ssif::max_message) {  // longer than any SSIF response (Linux: -E2BIG)
              prob = problem::response_too_long;
              return finish(si::outcome::failed);
            }
            return;
          default:
            prob = problem::bad_multipart;
            ++stats.responses_dropped;
            return read_again(now);
        }
      }
      case stage::none: break;
    }
  }
};

template <std::size_t Capacity>
struct harness {
  using host_t = ssif::basic_host<fake_clock, Capacity>;

  typename host_t::config cfg0;
  host_t h;
  model<Capacity> m;
  fuzz_machine::host_clock clk;
  fuzz::reader* data = nullptr;
  // The bus's well-formed response to the message being sent (bus byte kind 0).
  std::array<std::uint8_t, 300> served{};
  std::size_t served_length = 0;
  std::size_t served_offset = 0;
  std::uint8_t served_number = 0;
  std::array<std::uint8_t, 40> block{};
  std::uint64_t abandoned = 0;  // transactions reset() dropped while busy

  static typename host_t::config config(const std::array<std::uint8_t, 9>& s) {
    typename host_t::config c;
    static constexpr std::array<std::uint32_t, 4> read_retries{0, 1, 3, 8};
    static constexpr std::array<std::size_t, 4> max_requests{32, 63, 64, 255};
    c.query_capabilities = (s[0] & 2u) != 0;
    c.use_pec = (s[0] & 4u) != 0;
    c.assumed = {fuzz_ssif::transactions(s[0] >> 3), (s[0] & 0x20u) != 0, max_requests[s[3] >> 6], 255};
    c.max_write_retries = static_cast<std::uint8_t>(s[0] >> 6);
    c.first_read_delay = (s[1] & 63u) * unit;
    c.read_retry_interval = (s[2] & 63u) * unit;
    c.max_read_retries = read_retries[s[2] >> 6];
    c.write_retry_interval = (s[3] & 63u) * unit;
    return c;
  }

  explicit harness(const std::array<std::uint8_t, 9>& s) : cfg0(config(s)), h(cfg0) {
    m.cfg = cfg0;
    if (!cfg0.query_capabilities) m.caps = cfg0.assumed;
  }

  [[nodiscard]] bool busy() const { return h.outcome() == si::outcome::busy; }

  static bool same_stats(const ssif::host_stats& a, const ssif::host_stats& b) {
    return a.transactions == b.transactions && a.done == b.done && a.failed == b.failed && a.hosed == b.hosed &&
           a.retries == b.retries && a.accesses == b.accesses && a.polls == b.polls && a.writes == b.writes &&
           a.reads == b.reads && a.nacks == b.nacks && a.pec_errors == b.pec_errors &&
           a.multipart_reads == b.multipart_reads && a.multipart_writes == b.multipart_writes &&
           a.responses_dropped == b.responses_dropped && a.probes == b.probes;
  }

  void check() {
    if (h.outcome() != m.outcome) {
      std::fprintf(stderr, "outcome %s (%s), model %s (%s), stage %d, %zu bytes read\n", si::name(h.outcome()).data(),
                   ssif::name(h.problem()).data(), si::name(m.outcome).data(), ssif::name(m.prob).data(),
                   static_cast<int>(m.st), m.ra.length);
      FUZZ_CHECK(h.outcome() == m.outcome);
    }
    const ssif::action a = h.next();
    const ssif::action w = m.next();
    const bool same = a.kind == w.kind && a.command == w.command && a.pec == w.pec && a.repeat == w.repeat &&
                      a.data.size() == w.data.size() && std::equal(a.data.begin(), a.data.end(), w.data.begin());
    if (!same) {
      std::fprintf(stderr, "next %s %s (%zu bytes)%s%s, model %s %s (%zu bytes)%s%s\n", ssif::name(a.kind).data(),
                   ssif::name(a.command).data(), a.data.size(), a.pec ? " pec" : "", a.repeat ? " repeat" : "",
                   ssif::name(w.kind).data(), ssif::name(w.command).data(), w.data.size(), w.pec ? " pec" : "",
                   w.repeat ? " repeat" : "");
      FUZZ_CHECK(same);
    }
    // Legal transfers only.
    if (a.kind == ssif::access::block_write) FUZZ_CHECK(!a.data.empty() && a.data.size() <= 32);
    if (a.kind == ssif::access::block_read)
      FUZZ_CHECK(a.command == ssif::smbus_command::read_start || a.command == ssif::smbus_command::read_next);
    FUZZ_CHECK(h.next_deadline().has_value() == (a.kind == ssif::access::wait));
    if (a.kind == ssif::access::wait) FUZZ_CHECK(*h.next_deadline() == m.deadline);
    FUZZ_CHECK(h.probing() == (m.probing && busy()));
    FUZZ_CHECK(h.capabilities_in_use().has_value() == m.caps.has_value());
    if (h.outcome() != si::outcome::busy && h.outcome() != si::outcome::idle) {
      if (h.problem() != m.prob) {
        std::fprintf(stderr, "problem %s, model %s\n", ssif::name(h.problem()).data(), ssif::name(m.prob).data());
        FUZZ_CHECK(h.problem() == m.prob);
      }
    }
    if (h.outcome() == si::outcome::done) {
      const auto r = h.response();
      const auto q = std::span<const std::uint8_t>(m.request.data(), m.request_length);
      FUZZ_CHECK(r.size() >= 3 && r[1] == q[1] && (r[0] >> 2) == (((q[0] >> 2) | 1u) & 0x3Fu));
      FUZZ_CHECK(r.size() == m.response_length && std::equal(r.begin(), r.end(), m.response.begin()));
    }
    if (h.outcome() == si::outcome::failed)
      FUZZ_CHECK(h.problem() != problem::none && h.problem() != problem::not_ours);
    // Every transaction is done, failed, dropped by reset() or still running.
    FUZZ_CHECK(h.stats().transactions == h.stats().done + h.stats().failed + abandoned + (busy() ? 1u : 0u));
    FUZZ_CHECK(same_stats(h.stats(), m.stats));
  }

  // The bus's answer to the transfer `a` by the bus byte b; the block in `block`.
  ssif::transfer_result answer(const ssif::action& a, std::uint8_t b) {
    ssif::transfer_result r;
    r.status = b % 4u == 1 ? ssif::transfer_status::nack
               : b % 4u == 2 ? ssif::transfer_status::pec_error
                             : ssif::transfer_status::ack;
    if (a.kind != ssif::access::block_read) return r;
    const auto msg = m.message();
    std::size_t n = 0;
    switch ((b >> 2) % 8u) {
      case 0:
        if (a.command == ssif::smbus_command::read_start) {
          served[0] = static_cast<std::uint8_t>(msg[0] | 4u);
          served[1] = msg[1];
          served[2] = 0;
          if (m.probing) {
            served[3] = 0x00;
            served[4] = data->u8();
            served[5] = data->u8();
            served[6] = data->u8();
            served_length = 7;
          } else {
            served_length = 3 + data->u8() % 253u;
            for (std::size_t i = 3; i < served_length; ++i) served[i] = static_cast<std::uint8_t>(i * 7u);
          }
          served_number = 0;
          if (served_length <= 32) {
            std::copy_n(served.begin(), served_length, block.begin());
            n = served_length;
          } else {
            block[0] = 0;
            block[1] = 1;
            std::copy_n(served.begin(), 30, block.begin() + 2);
            served_offset = 30;
            n = 32;
          }
        } else {
          const std::size_t left = served_length > served_offset ? served_length - served_offset : 0;
          const std::size_t k = std::min<std::size_t>(left, 31);
          block[0] = left > 31 ? served_number++ : 0xFF;
          std::copy_n(served.begin() + static_cast<std::ptrdiff_t>(served_offset), k, block.begin() + 1);
          served_offset += k;
          n = k + 1;
        }
        break;
      case 1: {
        n = data->u8() % 41u;
        const auto src = data->take(n);
        for (std::size_t i = 0; i < n; ++i) block[i] = i < src.size() ? src[i] : static_cast<std::uint8_t>(i);
        break;
      }
      case 2:
        block[0] = 0;
        block[1] = 1;
        for (std::size_t i = 2; i < 32; ++i) block[i] = data->u8();
        n = 32;
        break;
      case 3:
        n = 1 + data->u8() % 32u;
        block[0] = 0xFF;
        for (std::size_t i = 1; i < n; ++i) block[i] = data->u8();
        break;
      case 4:
      case 5:
        block[0] = static_cast<std::uint8_t>(m.ra.next_number + ((b >> 2) % 8u == 5 ? 1 + data->u8() % 255u : 0));
        for (std::size_t i = 1; i < 32; ++i) block[i] = static_cast<std::uint8_t>(i);
        n = 32;
        break;
      case 6: n = 0; break;
      default:
        block[0] = static_cast<std::uint8_t>(msg[0] | 4u);
        block[1] = msg[1];
        block[2] = data->u8();
        n = 3;
        break;
    }
    r.data = std::span<const std::uint8_t>(block.data(), n);
    return r;
  }

  void transfer(std::uint8_t b, time_point at) {
    clk.at(at);
    const ssif::action a = h.next();
    const ssif::transfer_result r = answer(a, b);
    m.complete(at, r);
    h.complete(at, r);
    check();
  }

  std::uint64_t bound() const {
    const std::uint64_t w = m.cfg.max_write_retries + 1u, rr = m.cfg.max_read_retries + 1u;
    return 2 * (w * 10 + rr * 12 + 2) + 8;
  }

  void settle() {
    const auto& c = m.cfg;
    const auto s = std::max({clk.step, c.first_read_delay, c.read_retry_interval, c.write_retry_interval});
    fuzz_machine::settle(clk, bound(), s, [this] { return busy(); },
                         [this](std::uint8_t v, time_point at) { transfer(v, at); });
  }

  void start(std::span<const std::uint8_t> r) {
    const bool ok = fuzz_machine::start_checked(
        h, r, clk.now, m.max_request(), [this] { return std::make_pair(h.outcome(), h.stats().transactions); },
        [](auto x, auto y) { return x == y; });
    if (ok) m.start(r);
  }

  void op(std::uint8_t o, fuzz::reader& c, fuzz::reader& d) {
    data = &d;
    const unsigned hi = o >> 3;
    switch (o % 8u) {
      case 0: {
        std::array<std::uint8_t, 257> r{};
        start(fuzz_machine::start_request(hi, m.max_request(), d, r));
        break;
      }
      case 1:
      case 2:
      case 3:
        for (unsigned k = 0; k <= hi && busy(); ++k) {
          const auto jump = fuzz_machine::clock_jump(c.u8(), true);
          transfer(d.u8(), clk.now + jump);
        }
        break;
      case 4:
        m.cancel();
        h.cancel(clk.now);
        break;
      case 5:
        if (busy()) ++abandoned;
        m.reset();
        h.reset();
        FUZZ_CHECK(h.outcome() == si::outcome::idle);
        break;
      case 6:
        if (busy()) {
          start(std::span<const std::uint8_t>(m.request.data(), m.request_length));
        } else {
          const auto before = std::make_pair(h.outcome(), h.stats().accesses);
          h.complete(clk.now, ssif::transfer_result{});
          FUZZ_CHECK(before == std::make_pair(h.outcome(), h.stats().accesses));
        }
        break;
      default: settle(); break;
    }
  }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  return fuzz_machine::host_target<harness, 40, ipmikit::ssif::max_message>(data, size);
}
