// fuzz/fuzz_bt_host.cpp — bt::basic_host over a fake clock, fed arbitrary BT_CTRL and buffer
// values and arbitrary clock jumps (backwards too), with random configs, requests, apply(),
// cancel() and reset(), checked against a model of the theory of operation at the top of
// include/ipmikit/bt/host.hpp and against a computed bound on its accesses.
//
// Input: 9 setup bytes, then [n] n control bytes, then the data stream (read values, request
// bytes, capabilities).
//   s0: bit 0 capacity 16 (else 256); bit 1 detect_absent_device; bits 3:2 max_retries;
//       bits 7:6 max_polls 0 / 1 / 2 / 5
//   s1: busy_timeout = (s1 & 63) µs; s1 >> 6: the settle step - 1 (µs)
//   s2: response_timeout = (s2 & 63) µs
//   s3: the first Seq
//   s4: settle pattern length - 1 (bits 1:0); s5..s8: the pattern (the values reads return)
//   Control bytes o, o % 8:
//     0 start(): length o >> 3 (0..29 → that many bytes, 30 → the largest allowed, 31 → one
//       more), bytes from the data stream
//     1..3 make (o >> 3) + 1 accesses: for each, a control byte is a clock jump of int8 µs
//       (0x7F: +1 s, 0x80: -1 s), and a read's value is the next data byte
//     4 cancel()     5 reset()
//     6 (o >> 3) % 4: 0 misuse (start() while busy, complete() while not busy), 1 apply()
//       capabilities from 5 data bytes (retries % 8), 2 take_attention(), 3 settle
//     7 settle: run to the end with a monotonic clock (see below)
//   At the end of the input the host is settled too.
// Settling: the clock jumps to the latest time seen, then advances by the settle step per
// access (at least the longest timeout / 64, so that the 1–255 s timeouts of apply() settle in
// a few hundred accesses), and reads return the settle pattern cyclically. The host must leave
// busy within fuzz_bt::access_bound() accesses (derivation in fuzz_bt.hpp).
//
// Invariants (FUZZ_CHECK aborts):
//   * start() returns busy / hosed / request_too_short / request_too_long (past Capacity - 2,
//     254 or what apply() allows) in that order of precedence, and a refused start() changes
//     nothing; complete() while not busy changes nothing; hosed refuses start() until reset();
//     an accepted start() takes the next Seq (first Seq + accepted starts, mod 256);
//   * next() equals the model's action after every call (so next().kind == none exactly when
//     not busy, and every write is the one the protocol allows at that point: CLR_WR_PTR after
//     a BT_CTRL read showing B_BUSY = H2B_ATN = B2H_ATN = SMS_ATN = H_BUSY = 0, or a busy
//     timeout; then exactly Length, NetFn, Seq, Cmd, Data of the request; then H2B_ATN; SMS_ATN
//     only after a read showing it; H_BUSY only when the host's view (the last BT_CTRL read,
//     toggled by its own H_BUSY writes) is the other state: set after a read showing B2H_ATN,
//     clear after the response's last byte or a read showing a stray H_BUSY; B2H_ATN then
//     CLR_RD_PTR before reading Length; exactly Length bytes read);
//   * next_deadline() = the model's wait start + the wait's limit, exactly while polling;
//   * a wait ends by timing out exactly when the model's wait is expired (clock since the wait
//     began, clamped at 0 for backward jumps, or max_polls reads);
//   * done ⇒ the bytes read had our Seq, Cmd and NetFn (response bit and LUN ignored) and
//     response() = NetFn, Cmd, cc, data of them (no Length, no Seq); failed ⇒ problem() is the
//     model's (no_device, response_timeout, response_too_long with the part that fitted,
//     cancelled); hosed ⇒ busy_timeout (the retry policy — forced writes after a busy timeout,
//     max(1, max_retries) of them, resends after a response timeout — is host.hpp's header's);
//   * stats(): transactions, done, failed, hosed, retries, dropped, attentions, accesses, polls.
#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <cstdio>

#include "fuzz_bt.hpp"

namespace {

using namespace ipmikit;
using bt::access;
using fuzz_machine::fake_clock;
using fuzz_machine::unit;
namespace cb = bt::control_bit;

template <std::size_t Capacity>
struct model {
  using time_point = fake_clock::time_point;
  using duration = fake_clock::duration;
  enum class stage : std::uint8_t {
    none,
    poll,          // reading BT_CTRL in a wait
    fix,           // clearing SMS_ATN or a stray H_BUSY
    clear_wr,      // CLR_WR_PTR
    write,         // request bytes
    h2b,           // H2B_ATN
    set_h_busy,    // H_BUSY (set)
    clear_b2h,     // B2H_ATN (clear)
    clear_rd,      // CLR_RD_PTR
    read_length,   // Length
    read_byte,     // response bytes
    clear_h_busy,  // H_BUSY (clear)
  };

  bt::outcome outcome = bt::outcome::idle;
  bt::problem problem = bt::problem::none;
  bt::action next{};
  stage at = stage::none;
  bool busy_wait = true;  // the start wait (busy_timeout) or the response wait
  time_point since{};
  std::uint32_t polls = 0;
  unsigned attempts = 0;
  unsigned forced_writes = 0;     // requests written while the BMC looked busy, this transaction
  bool last_write_forced = false;  // the attempt's request was a forced write
  bool first_read = false;
  bool cancelling = false;
  bool attention = false;
  bool view_h_busy = false;  // the host's view of H_BUSY: the last read, toggled by its writes
  // The request as it goes on the wire: Length, NetFn, Seq, Cmd, Data.
  std::array<std::uint8_t, 258> wire{};
  std::size_t wire_length = 0;
  std::size_t written = 0;
  // The response being read (NetFn, Seq, Cmd, cc, data…; Length not kept).
  std::array<std::uint8_t, 256> in{};
  std::size_t in_length = 0;
  std::size_t left = 0;
  // The result.
  std::array<std::uint8_t, 256> response{};
  std::size_t response_length = 0;
  bt::host_stats stats{};

  void act(stage s, access kind, std::uint8_t value = 0, bool repeat = false) {
    at = s;
    next = bt::action{kind, value, repeat};
  }
  void finish(bt::outcome o) {
    outcome = o;
    next = {};
    at = stage::none;
    cancelling = false;
    if (o == bt::outcome::done) ++stats.done;
    if (o == bt::outcome::failed) ++stats.failed;
    if (o == bt::outcome::hosed) ++stats.hosed;
  }
  void cancelled() {
    problem = bt::problem::cancelled;
    finish(bt::outcome::failed);
  }
  void wait(bool busy, time_point now) {
    busy_wait = busy;
    since = now;
    polls = 0;
    act(stage::poll, access::read_control);
  }
  void begin_write() {
    written = 0;
    act(stage::clear_wr, access::write_control, cb::clr_wr_ptr);
  }

  template <class Config>
  [[nodiscard]] duration limit(const Config& cfg) const {
    return busy_wait ? cfg.busy_timeout : cfg.response_timeout;
  }

  template <class Config>
  void start(std::span<const std::uint8_t> request, std::uint8_t seq, time_point now, const Config&) {
    wire[0] = static_cast<std::uint8_t>(request.size() + 1);
    wire[1] = request[0];
    wire[2] = seq;
    std::copy(request.begin() + 1, request.end(), wire.begin() + 3);
    wire_length = request.size() + 2;
    response_length = 0;
    problem = bt::problem::none;
    attempts = 1;
    forced_writes = 0;
    first_read = true;
    cancelling = false;
    outcome = bt::outcome::busy;
    ++stats.transactions;
    begin_attempt(now);
  }
  void begin_attempt(time_point now) {
    last_write_forced = false;
    wait(true, now);
  }

  // A BT_CTRL read in a wait: the decision point of the protocol.
  template <class Config>
  void on_control(bt::control c, time_point now, const Config& cfg) {
    view_h_busy = c.h_busy();
    if (first_read) {
      first_read = false;
      if (cfg.detect_absent_device && c.value == 0xFF) {
        problem = bt::problem::no_device;
        return finish(bt::outcome::failed);
      }
    }
    ++polls;
    if (cancelling && !c.b2h_atn()) return cancelled();
    const duration elapsed = now > since ? now - since : duration::zero();
    const bool expired = elapsed >= limit(cfg) || (cfg.max_polls != 0 && polls >= cfg.max_polls);
    if (c.b2h_atn() && !expired) {  // a response: read it (ours or not)
      if (c.h_busy()) return act(stage::clear_b2h, access::write_control, cb::b2h_atn);
      return act(stage::set_h_busy, access::write_control, cb::h_busy);
    }
    if (expired) {
      if (busy_wait) {
        // Send anyway, max(1, max_retries) times per transaction; then hosed.
        problem = bt::problem::busy_timeout;
        if (forced_writes >= std::max<unsigned>(1, cfg.max_retries)) return finish(bt::outcome::hosed);
        ++forced_writes;
        ++attempts;
        ++stats.retries;
        last_write_forced = true;
        return begin_write();
      }
      // No answer: resend after a new start wait; no answer to a forced write: still busy.
      problem = last_write_forced ? bt::problem::busy_timeout : bt::problem::response_timeout;
      if (attempts > cfg.max_retries) return finish(last_write_forced ? bt::outcome::hosed : bt::outcome::failed);
      ++attempts;
      ++stats.retries;
      return begin_attempt(now);
    }
    if (c.sms_atn()) {
      attention = true;
      ++stats.attentions;
      return act(stage::fix, access::write_control, cb::sms_atn);
    }
    if (busy_wait) {
      if (c.h_busy()) return act(stage::fix, access::write_control, cb::h_busy);
      if (!c.b_busy() && !c.h2b_atn()) return begin_write();
    }
    ++stats.polls;
    act(stage::poll, access::read_control, 0, true);
  }

  template <class Config>
  void on_buffer(std::uint8_t v, const Config&) {
    if (at == stage::read_length) {
      left = v;
      in_length = 0;
      if (v == 0) return act(stage::clear_h_busy, access::write_control, cb::h_busy);
      return act(stage::read_byte, access::read_buffer);
    }
    FUZZ_CHECK(at == stage::read_byte);
    if (in_length < in.size()) in[in_length++] = v;
    if (--left != 0) return act(stage::read_byte, access::read_buffer);
    act(stage::clear_h_busy, access::write_control, cb::h_busy);
  }

  void on_written(time_point now, std::size_t host_capacity) {
    switch (at) {
      case stage::fix:
        if (next.value == cb::h_busy) view_h_busy = !view_h_busy;
        return act(stage::poll, access::read_control);
      case stage::clear_wr:
        if (cancelling) return cancelled();
        return act(stage::write, access::write_buffer, wire[0]);
      case stage::write:
        if (cancelling) return cancelled();
        if (++written < wire_length) return act(stage::write, access::write_buffer, wire[written]);
        return act(stage::h2b, access::write_control, cb::h2b_atn);
      case stage::h2b: return wait(false, now);
      case stage::set_h_busy:
        view_h_busy = true;
        return act(stage::clear_b2h, access::write_control, cb::b2h_atn);
      case stage::clear_b2h: return act(stage::clear_rd, access::write_control, cb::clr_rd_ptr);
      case stage::clear_rd: return act(stage::read_length, access::read_buffer);
      case stage::clear_h_busy: {
        view_h_busy = false;
        // Ours: Seq, Cmd and NetFn (response bit and LUN ignored) are the request's.
        const bool ours = in_length >= 4 && in[1] == wire[2] && in[2] == wire[3] && (in[0] >> 3) == (wire[1] >> 3);
        if (!ours || cancelling) {
          ++stats.responses_dropped;
          if (cancelling) return cancelled();
          return act(stage::poll, access::read_control);  // the same wait, the same deadline
        }
        const std::size_t kept = std::min(in_length, host_capacity);
        response[0] = in[0];
        std::copy(in.begin() + 2, in.begin() + static_cast<std::ptrdiff_t>(kept), response.begin() + 1);
        response_length = kept - 1;
        if (in_length > host_capacity) {
          problem = bt::problem::response_too_long;
          return finish(bt::outcome::failed);
        }
        return finish(bt::outcome::done);
      }
      default: FUZZ_FAIL("a write the model does not expect");
    }
  }

  void cancel() {
    if (outcome != bt::outcome::busy) return;
    cancelling = true;
    if (at == stage::poll) cancelled();
  }

  void reset() {
    outcome = bt::outcome::idle;
    next = {};
    at = stage::none;
    cancelling = false;
  }
};

template <std::size_t Capacity>
struct harness {
  using host_t = bt::basic_host<fake_clock, Capacity>;
  using time_point = fake_clock::time_point;

  typename host_t::config cfg0;
  host_t h;
  model<Capacity> m;
  fuzz_machine::host_clock clk;
  std::uint8_t seq = 0;  // the Seq the next accepted start() must take
  std::array<std::uint8_t, 256> request{};
  std::size_t request_length = 0;

  explicit harness(const std::array<std::uint8_t, 9>& s) : cfg0(config(s)), h(cfg0, s[3]), seq(s[3]) {}

  /// The config from the setup bytes (the header comment); s3 is the first Seq.
  static typename host_t::config config(const std::array<std::uint8_t, 9>& s) {
    typename host_t::config c;
    fuzz_machine::host_config(c, s[0]);
    c.busy_timeout = (s[1] & 63u) * unit;
    c.response_timeout = (s[2] & 63u) * unit;
    return c;
  }

  [[nodiscard]] std::size_t max_request() const {
    return std::min<std::size_t>({Capacity - 2, 254, h.settings().max_request});
  }

  static bool same_stats(const bt::host_stats& a, const bt::host_stats& b) {
    return a.transactions == b.transactions && a.done == b.done && a.failed == b.failed && a.hosed == b.hosed &&
           a.retries == b.retries && a.responses_dropped == b.responses_dropped && a.attentions == b.attentions &&
           a.accesses == b.accesses && a.polls == b.polls;
  }

  void check() {
    const bool busy = h.outcome() == bt::outcome::busy;
    FUZZ_CHECK(h.outcome() == m.outcome);
    if (!(h.next() == m.next)) {
      std::fprintf(stderr, "next %s %02X%s, model %s %02X%s\n", bt::name(h.next().kind).data(), h.next().value,
                   h.next().repeat ? " (repeat)" : "", bt::name(m.next.kind).data(), m.next.value,
                   m.next.repeat ? " (repeat)" : "");
      FUZZ_CHECK(h.next() == m.next);
    }
    FUZZ_CHECK((h.next().kind == access::none) == !busy);
    const bool polling = busy && h.next().kind == access::read_control;
    FUZZ_CHECK(h.next_deadline().has_value() == polling);
    if (polling) FUZZ_CHECK(*h.next_deadline() == m.since + m.limit(h.settings()));
    FUZZ_CHECK(h.problem() == m.problem);
    if (h.outcome() == bt::outcome::failed) FUZZ_CHECK(h.problem() != bt::problem::none);
    if (h.outcome() == bt::outcome::hosed) FUZZ_CHECK(h.problem() == bt::problem::busy_timeout);
    FUZZ_CHECK(h.attempts() == m.attempts);
    FUZZ_CHECK(h.attention() == m.attention);
    FUZZ_CHECK(same_stats(h.stats(), m.stats));
    const auto r = h.response();
    FUZZ_CHECK(r.size() == m.response_length);
    FUZZ_CHECK(std::equal(r.begin(), r.end(), m.response.begin()));
  }

  struct snapshot {
    bt::outcome outcome;
    bt::action next;
    bt::problem problem;
    unsigned attempts;
    std::uint8_t seq;
    std::uint8_t control;
    bool attention;
    std::size_t response_length;
    bt::host_stats stats;
  };
  snapshot take() const {
    return {h.outcome(), h.next(), h.problem(), h.attempts(), h.seq(), h.last_control().value, h.attention(),
            h.response().size(), h.stats()};
  }
  static bool same(const snapshot& a, const snapshot& b) {
    return a.outcome == b.outcome && a.next == b.next && a.problem == b.problem && a.attempts == b.attempts &&
           a.seq == b.seq && a.control == b.control && a.attention == b.attention &&
           a.response_length == b.response_length && same_stats(a.stats, b.stats);
  }

  void start(std::span<const std::uint8_t> r) {
    if (!fuzz_machine::start_checked(h, r, clk.now, max_request(), [this] { return take(); }, same)) {
      check();
      return;
    }
    FUZZ_CHECK(h.seq() == seq);  // one more per accepted start
    m.start(r, seq, clk.now, h.settings());
    ++seq;
    std::copy(r.begin(), r.end(), request.begin());
    request_length = r.size();
    FUZZ_CHECK(h.outcome() == bt::outcome::busy);
    FUZZ_CHECK(h.next().kind == access::read_control);
    check();
  }

  // Independent protocol checks of one access, on top of the model's next().
  void observe(const bt::action& a, std::uint8_t value) {
    if (a.kind == access::write_control) {
      FUZZ_CHECK(!bt::control_bit_name(a.value).empty());  // one action per write
      FUZZ_CHECK(a.value != cb::b_busy && a.value != cb::oem0);
      if (a.value == cb::h_busy) {
        // H_BUSY toggles: set only when the host's view is clear, clear only when it is set.
        if (m.at == model<Capacity>::stage::set_h_busy) FUZZ_CHECK(!m.view_h_busy);
        else FUZZ_CHECK(m.view_h_busy);
      }
    }
    if (a.kind == access::write_buffer) {
      FUZZ_CHECK(m.written < m.wire_length);
      const std::size_t i = m.written;
      // Length, NetFn, Seq, Cmd, Data: from the request as given to start().
      const std::uint8_t want = i == 0 ? static_cast<std::uint8_t>(request_length + 1)
                                : i == 1 ? request[0]
                                : i == 2 ? h.seq()
                                         : request[i - 2];
      FUZZ_CHECK(a.value == want);
    }
    (void)value;
  }

  // One access: `value` is what a read returns; the clock is set to `at` when it is reported.
  void access_once(std::uint8_t value, time_point at) {
    const bt::action a = h.next();
    FUZZ_CHECK(a.kind != access::none);
    clk.at(at);
    const bool is_read = a.kind == access::read_control || a.kind == access::read_buffer;
    if (!is_read) value = a.value;
    observe(a, value);
    const auto retries_before = m.stats.retries;
    ++m.stats.accesses;
    switch (a.kind) {
      case access::read_control: m.on_control(bt::control(value), clk.now, h.settings()); break;
      case access::read_buffer: m.on_buffer(value, h.settings()); break;
      default: m.on_written(clk.now, Capacity); break;
    }
    h.complete(clk.now, is_read ? value : 0);
#ifdef FUZZ_BT_TRACE
    std::fprintf(stderr, "  %s %02X <- %02X at %lld: %s %s\n", bt::name(a.kind).data(), a.value, value,
                 static_cast<long long>(clk.now.time_since_epoch().count()), bt::name(h.outcome()).data(),
                 bt::name(h.problem()).data());
#endif
    // CLR_WR_PTR only after a clean BT_CTRL read, or as the send-anyway retry of a busy timeout.
    if (h.next().kind == access::write_control && h.next().value == cb::clr_wr_ptr) {
      FUZZ_CHECK(a.kind == access::read_control);
      const bool clean = (value & (cb::b_busy | cb::h2b_atn | cb::b2h_atn | cb::sms_atn | cb::h_busy)) == 0;
      FUZZ_CHECK(clean || m.stats.retries == retries_before + 1);
    }
    if (h.outcome() == bt::outcome::done) {
      // Ours: Seq, Cmd, NetFn of what was read match the request; response() drops Length, Seq.
      FUZZ_CHECK(m.in_length >= 4 && m.in[1] == h.seq() && m.in[2] == request[1]);
      FUZZ_CHECK((m.in[0] >> 3) == (request[0] >> 3));
      const auto r = h.response();
      FUZZ_CHECK(r.size() + 1 == m.in_length && r[0] == m.in[0]);
      FUZZ_CHECK(std::equal(r.begin() + 1, r.end(), m.in.begin() + 2));
    }
    check();
    if (h.outcome() == bt::outcome::hosed) {
      // Hosed: every start() is refused until reset().
      start(std::span<const std::uint8_t>(request.data(), std::max<std::size_t>(request_length, 2)));
      FUZZ_CHECK(h.outcome() == bt::outcome::hosed);
    }
  }

  [[nodiscard]] bool busy() const { return h.outcome() == bt::outcome::busy; }
  /// access_once(), for fuzz_machine's drivers.
  auto accessor() {
    return [this](std::uint8_t value, time_point at) { access_once(value, at); };
  }

  // The step is at least the longest timeout / 64, so that apply()'s 1–255 s settle in a few
  // hundred accesses.
  void settle() {
    const auto& cfg = h.settings();
    const auto longest = std::max(cfg.busy_timeout, cfg.response_timeout);
    const auto s = std::max(clk.step, longest / 64);
    fuzz_machine::settle(clk, fuzz_bt::access_bound(cfg, request_length, s), s, [this] { return busy(); },
                         accessor());
  }

  // One operation (fuzz_machine::host_target runs them and check()s after each).
  void op(std::uint8_t o, fuzz::reader& c, fuzz::reader& data) {
    const unsigned hi = o >> 3;
    switch (o % 8u) {
      case 0: {
        std::array<std::uint8_t, 258> r{};
        start(fuzz_machine::start_request(hi, max_request(), data, r));
        break;
      }
      case 1:
      case 2:
      case 3:  // 0x80: one second back
        fuzz_machine::jump_accesses(hi, true, clk, c, data, [this] { return busy(); }, accessor());
        break;
      case 4:
        m.cancel();
        h.cancel(clk.now);
        break;
      case 5:
        h.reset();
        m.reset();
        FUZZ_CHECK(h.outcome() == bt::outcome::idle);
        break;
      case 6:
        switch (hi % 4u) {
          case 0:
            if (busy()) {
              start(std::span<const std::uint8_t>(request.data(), request_length));
            } else {
              fuzz_machine::complete_not_busy(h, clk.now, data.u8(), [this] { return take(); }, same);
            }
            break;
          case 1: {
            bt::interface_capabilities caps;
            caps.outstanding_requests = data.u8();
            caps.input_buffer_size = data.u8();
            caps.output_buffer_size = data.u8();
            caps.response_time_seconds = data.u8();
            caps.retries = static_cast<std::uint8_t>(data.u8() % 8u);
            h.apply(caps);
            const auto& s = h.settings();
            FUZZ_CHECK(s.response_timeout ==
                       std::chrono::seconds(std::max<unsigned>(1, caps.response_time_seconds)));
            FUZZ_CHECK(s.max_retries == caps.retries);
            // NetFn, Seq, Cmd, Data fit the BMC's input buffer (Length excluded).
            FUZZ_CHECK(s.max_request == (caps.input_buffer_size >= 3 ? caps.input_buffer_size - 1u : 2u));
            FUZZ_CHECK(s.busy_timeout == cfg0.busy_timeout && s.max_polls == cfg0.max_polls);
            break;
          }
          case 2:
            FUZZ_CHECK(h.take_attention() == m.attention);
            m.attention = false;
            break;
          default: settle(); break;
        }
        break;
      default: settle(); break;
    }
  }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  return fuzz_machine::host_target<harness, 16, ipmikit::bt::default_capacity>(data, size);
}
