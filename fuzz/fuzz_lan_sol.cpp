// fuzz/fuzz_lan_sol.cpp — lan::sol_instance (lan/sol.hpp), the BMC side of one SOL instance,
// driven by a script of operations and checked against a small model of its rules.
//
// Input: a setup byte (b0: Capacity 1000, else 255 — the smallest allowed; b1: start active),
// five settings bytes (accumulate interval × 5 ms, send threshold, retry count, retry interval
// × 10 ms, max characters per packet; sol_instance clamps them), then operations, an op byte
// each (op % 10) and its operands (at most 96 operations):
//   0 raw console packet [n] n bytes (any: malformed ones included)
//   1 console packet [seq] [ack] [accepted] [control] [n] n characters; ack 0xF0: the model's
//     packet in flight (a proper ACK), 0xF1: its number with NACK, else the byte (& 0x1F)
//   2 serial write [hi] [lo]: (hi & 7) << 8 | lo characters of a running counter
//   3 poll at now
//   4 clock jump [mode] [x]: mode % 4 = 0 x ms, 1 x × 10 ms, 2 x s, 3 x × 2^40 ns (~18 min)
//   5 activate
//   6 deactivate
//   7 the sink: [take] [flags]: takes at most `take` characters a call (b0 of flags: it returns
//     take even when more than offered; b1: unavailable)
//   8 configure [5 settings bytes]
//   9 the console ACKs the packet in flight at once with all its characters (a well-behaved one)
//
// Checked after every step (std::abort on failure):
// - buffered() ≤ Capacity; write takes min(offered, space) while active, 0 while inactive;
//   characters_overrun counts the rest;
// - every character taken by write is, exactly once: acknowledged, given up, still buffered,
//   flushed (flush outbound) or dropped by activate/deactivate (the model counts the last two);
// - every packet poll() writes parses, is ≤ 259 bytes, has seq 1..15, no ACK; a new one is
//   numbered one past the last (15 → 1), carries ≤ max_characters characters, exactly the
//   oldest ones not in flight (the model keeps the buffered characters); a retransmission
//   equals the packet in flight byte for byte (its status byte too), comes ≥ retry_interval after the last send and at most retry_count times;
// - poll() before next_deadline() (or with none) writes nothing and changes nothing; at or
//   after it, it writes a packet unless the packet in flight was given up;
// - every answer to a console packet is an ACK of its number (seq 0) with accepted ≤ its
//   characters = what the sink took; a packet with the number of the last one applied is
//   never given to the sink again, and neither is anything while inactive or unavailable; the
//   sink is offered exactly the packet's characters and never an operation with NACK.
#include <algorithm>
#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <optional>
#include <span>
#include <vector>

#include <ipmikit/lan/sol.hpp>

#include "fuzz_common.hpp"

namespace {

using namespace ipmikit;
using clock = fuzz::manual_clock;
using time_point = clock::time_point;
using settings = lan::basic_sol_settings<clock::duration>;

constexpr std::size_t max_operations = 96;

settings settings_from(fuzz::reader& in) {
  settings s;
  s.accumulate_interval = std::chrono::milliseconds(5 * in.u8());
  s.send_threshold = in.u8();
  s.retry_count = in.u8();
  s.retry_interval = std::chrono::milliseconds(10 * in.u8());
  s.max_characters = in.u8();
  return s;
}

/// The serial port: takes at most `take` characters a call; remembers what it got.
struct fuzz_sink {
  std::size_t take = 255;
  bool overstate = false;  // returns `take` even when offered fewer (sol_instance must clamp)
  bool present = true;
  // Set by the harness before each receive: what the packet carries.
  std::span<const std::uint8_t> expected{};
  int calls = 0;
  std::size_t took = 0;
  std::uint64_t total = 0;

  std::size_t characters(std::span<const std::uint8_t> c) {
    FUZZ_CHECK(present);
    FUZZ_CHECK(calls == 0);  // once a packet
    ++calls;
    FUZZ_CHECK(!c.empty() && c.size() == expected.size());
    FUZZ_CHECK(std::equal(c.begin(), c.end(), expected.begin()));
    took = std::min(take, c.size());
    total += took;
    return overstate ? take : took;
  }
  void operation(std::uint8_t bits) {
    FUZZ_CHECK(present);
    FUZZ_CHECK((bits & lan::sol_operation::nack) == 0 && bits != 0);
  }
  [[nodiscard]] bool available() const { return present; }
};

template <std::size_t Capacity>
struct harness {
  using instance = lan::sol_instance<Capacity, clock>;
  instance sol;
  fuzz_sink sink;
  time_point now = time_point{} + std::chrono::hours(1);
  std::array<std::uint8_t, lan::sol_max_payload + 16> out{};
  std::uint8_t counter = 0;  // the serial characters: a running count

  // The model.
  bool active = false;
  std::deque<std::uint8_t> queue;        // buffered characters, oldest first (in flight first)
  std::size_t in_flight = 0;             // characters of the packet in flight (0: none)
  std::vector<std::uint8_t> in_flight_packet;
  std::uint8_t out_seq = 0;              // the last number used
  time_point sent_at{};
  unsigned retries = 0;
  bool paused = false;
  bool seen_in = false;                  // a console packet with characters/operations was applied
  std::uint8_t in_seq = 0;
  std::uint64_t written = 0;             // characters write() took
  std::uint64_t offered = 0;             // characters given to write()
  std::uint64_t dropped = 0;             // by activate/deactivate and flush outbound

  explicit harness(const settings& s) : sol(s) {}

  const settings& cfg() const { return sol.configuration(); }

  void check_invariants() const {
    const lan::sol_stats& st = sol.stats();
    FUZZ_CHECK(sol.active() == active);
    FUZZ_CHECK(sol.buffered() <= Capacity && sol.buffered() == queue.size());
    FUZZ_CHECK(sol.space() == Capacity - sol.buffered());
    FUZZ_CHECK(in_flight <= queue.size());
    FUZZ_CHECK(st.characters_acked + st.characters_given_up + sol.buffered() + dropped == written);
    FUZZ_CHECK(st.characters_overrun == offered - written);
    FUZZ_CHECK(st.characters_received == sink.total);
    const settings& c = cfg();
    FUZZ_CHECK(c.max_characters >= 1 && c.max_characters <= lan::sol_max_characters);
    FUZZ_CHECK(c.send_threshold >= 1 && c.retry_count <= 7);
  }

  void reset_model() {
    dropped += queue.size();
    queue.clear();
    in_flight = 0;
    in_flight_packet.clear();
    out_seq = 0;
    retries = 0;
    paused = false;
    seen_in = false;
    in_seq = 0;
  }

  void activate() {
    sol.activate(now);
    reset_model();
    active = true;
  }
  void deactivate() {
    sol.deactivate();
    reset_model();
    active = false;
  }

  void write(std::size_t n) {
    std::vector<std::uint8_t> chars(n);
    for (auto& c : chars) c = counter++;
    const std::size_t space = sol.space();
    const std::size_t took = sol.write(chars, now);
    offered += active ? n : 0;
    if (!active) {
      FUZZ_CHECK(took == 0);
      return;
    }
    FUZZ_CHECK(took == std::min(n, space));
    written += took;
    queue.insert(queue.end(), chars.begin(), chars.begin() + static_cast<std::ptrdiff_t>(took));
  }

  void poll() {
    const std::optional<time_point> deadline = sol.next_deadline();
    const lan::sol_stats before = sol.stats();
    const std::size_t n = sol.poll(now, out);
    const lan::sol_stats& after = sol.stats();
    FUZZ_CHECK(n <= lan::sol_max_payload);
    if (!deadline || now < *deadline) {  // nothing due: nothing happens
      FUZZ_CHECK(n == 0);
      FUZZ_CHECK(after.packets_sent == before.packets_sent && after.retransmissions == before.retransmissions &&
                 after.characters_given_up == before.characters_given_up);
      if (!active) FUZZ_CHECK(!deadline);
      return;
    }
    FUZZ_CHECK(active);
    // Due: a retransmission, or the packet in flight given up (then perhaps a new one).
    if (in_flight != 0) {
      FUZZ_CHECK(now - sent_at >= cfg().retry_interval);
      if (retries < cfg().retry_count) {
        FUZZ_CHECK(n == in_flight_packet.size() && after.retransmissions == before.retransmissions + 1);
        for (std::size_t i = 0; i < n; ++i) FUZZ_CHECK(out[i] == in_flight_packet[i]);  // byte for byte
        ++retries;
        sent_at = now;
        return;
      }
      FUZZ_CHECK(after.characters_given_up == before.characters_given_up + in_flight);
      queue.erase(queue.begin(), queue.begin() + static_cast<std::ptrdiff_t>(in_flight));
      in_flight = 0;
      in_flight_packet.clear();
      if (n == 0) {
        FUZZ_CHECK(paused || queue.empty());
        return;
      }
    } else {
      FUZZ_CHECK(n != 0);  // due and nothing in flight: a new packet
    }
    // A new packet: the next number, the oldest characters.
    FUZZ_CHECK(!paused && !queue.empty());
    const lan::sol_parse_result r = lan::parse_sol_packet(std::span<const std::uint8_t>(out).first(n));
    FUZZ_CHECK(r);
    const lan::sol_packet& p = r.value;
    FUZZ_CHECK(out[0] == p.sequence && out[1] == 0);
    FUZZ_CHECK(p.sequence == out_seq % lan::sol_last_sequence + 1);
    FUZZ_CHECK(p.ack_sequence == 0 && p.accepted == 0);
    FUZZ_CHECK(p.data.size() == std::min<std::size_t>(queue.size(), cfg().max_characters));
    FUZZ_CHECK(std::equal(p.data.begin(), p.data.end(), queue.begin()));
    FUZZ_CHECK((p.control & ~(lan::sol_status::transmit_overrun)) == 0);
    FUZZ_CHECK(after.packets_sent == before.packets_sent + 1);
    out_seq = p.sequence;
    in_flight = p.data.size();
    in_flight_packet.assign(out.begin(), out.begin() + static_cast<std::ptrdiff_t>(n));
    sent_at = now;
    retries = 0;
  }

  void receive(std::span<const std::uint8_t> payload) {
    const lan::sol_parse_result r = lan::parse_sol_packet(payload);
    const lan::sol_stats before = sol.stats();
    sink.expected = r ? r.value.data : std::span<const std::uint8_t>{};
    sink.calls = 0;
    sink.took = 0;
    const std::size_t queued_before = queue.size();
    const std::size_t n = sol.receive(payload, now, sink, out);
    const lan::sol_stats& after = sol.stats();
    FUZZ_CHECK(n == 0 || n == lan::sol_header_size);
    if (!r) {
      FUZZ_CHECK(n == 0 && sink.calls == 0 && after.malformed == before.malformed + 1);
      FUZZ_CHECK(sol.buffered() == queued_before);
      return;
    }
    const lan::sol_packet& p = r.value;
    if (!active) {
      FUZZ_CHECK(sink.calls == 0);
      FUZZ_CHECK(n == (p.sequence == 0 ? 0u : lan::sol_header_size));
      if (n != 0)
        FUZZ_CHECK(out[0] == 0 && out[1] == p.sequence && out[2] == 0 && out[3] == lan::sol_status::inactive);
      return;
    }
    // The acknowledgement of ours.
    if (p.ack_sequence != 0 && p.ack_sequence == out_seq) {
      if (in_flight != 0) {
        const std::size_t taken = std::min<std::size_t>(p.accepted, in_flight);
        FUZZ_CHECK(after.characters_acked == before.characters_acked + taken);
        queue.erase(queue.begin(), queue.begin() + static_cast<std::ptrdiff_t>(taken));
        in_flight = 0;
        in_flight_packet.clear();
        retries = 0;
        paused = (p.control & lan::sol_operation::nack) != 0;
      } else if (paused && (p.control & lan::sol_operation::nack) == 0) {
        paused = false;
      }
    } else {
      FUZZ_CHECK(after.characters_acked == before.characters_acked);
    }
    if (p.sequence == 0) {
      FUZZ_CHECK(n == 0 && sink.calls == 0);
      FUZZ_CHECK(sol.buffered() == queue.size());
      return;
    }
    FUZZ_CHECK(n == lan::sol_header_size);
    FUZZ_CHECK(out[0] == 0 && out[1] == p.sequence);
    if (seen_in && p.sequence == in_seq) {  // a repeat: acknowledged again, never applied
      FUZZ_CHECK(sink.calls == 0 && after.duplicates == before.duplicates + 1);
      FUZZ_CHECK(sol.buffered() == queue.size());
      return;
    }
    seen_in = true;
    in_seq = p.sequence;
    if (!sink.present) {
      FUZZ_CHECK(sink.calls == 0 && out[2] == 0 && (out[3] & lan::sol_status::transfer_unavailable) != 0);
      FUZZ_CHECK(sol.buffered() == queue.size());
      return;
    }
    FUZZ_CHECK((out[3] & lan::sol_status::transfer_unavailable) == 0);
    FUZZ_CHECK(sink.calls == (p.data.empty() ? 0 : 1));
    FUZZ_CHECK(out[2] == sink.took && out[2] <= p.data.size());
    if ((p.control & lan::sol_operation::flush_outbound) != 0) {  // what waits to go is dropped
      dropped += queue.size() - in_flight;
      queue.resize(in_flight);
    }
    FUZZ_CHECK(sol.buffered() == queue.size());
  }

  void structured(std::uint8_t seq, std::uint8_t ack, std::uint8_t accepted, std::uint8_t control,
                  std::span<const std::uint8_t> data) {
    std::array<std::uint8_t, lan::sol_max_payload> p{};
    std::uint8_t a = static_cast<std::uint8_t>(ack & 0x1F);
    if (ack == 0xF0 || ack == 0xF1) {
      a = out_seq;
      if (ack == 0xF1) control |= lan::sol_operation::nack;
    }
    p[0] = seq;
    p[1] = a;
    p[2] = accepted;
    p[3] = control;
    const std::size_t k = std::min(data.size(), lan::sol_max_characters);
    std::copy_n(data.begin(), k, p.begin() + lan::sol_header_size);
    receive(std::span<const std::uint8_t>(p).first(lan::sol_header_size + k));
  }

  void ack_in_flight() {
    if (in_flight == 0) return;
    const std::array<std::uint8_t, 4> p{0, out_seq, static_cast<std::uint8_t>(in_flight), 0};
    receive(p);
    FUZZ_CHECK(in_flight == 0);
  }

  void jump(std::uint8_t mode, std::uint8_t x) {
    switch (mode % 4u) {
      case 0: now += std::chrono::milliseconds(x); break;
      case 1: now += std::chrono::milliseconds(10 * x); break;
      case 2: now += std::chrono::seconds(x); break;
      default: now += std::chrono::nanoseconds(std::int64_t{x} << 40); break;
    }
  }
};

template <std::size_t Capacity>
void run(fuzz::reader& in, std::uint8_t setup) {
  harness<Capacity> t(settings_from(in));
  if ((setup & 2u) != 0) t.activate();
  t.check_invariants();
  for (std::size_t step = 0; step < max_operations && !in.empty(); ++step) {
    const std::uint8_t op = in.u8();
    switch (op % 10u) {
      case 0: t.receive(in.take(in.u8())); break;
      case 1: {
        const std::uint8_t seq = in.u8();
        const std::uint8_t ack = in.u8();
        const std::uint8_t accepted = in.u8();
        const std::uint8_t control = in.u8();
        t.structured(seq, ack, accepted, control, in.take(in.u8()));
        break;
      }
      case 2: {
        const std::size_t hi = in.u8() & 7u;
        t.write(hi << 8 | in.u8());
        break;
      }
      case 3: t.poll(); break;
      case 4: {
        const std::uint8_t mode = in.u8();
        t.jump(mode, in.u8());
        break;
      }
      case 5: t.activate(); break;
      case 6: t.deactivate(); break;
      case 7: {
        t.sink.take = in.u8();
        const std::uint8_t flags = in.u8();
        t.sink.overstate = (flags & 1u) != 0;
        t.sink.present = (flags & 2u) == 0;
        break;
      }
      case 8: t.sol.configure(settings_from(in)); break;
      default: t.ack_in_flight(); break;
    }
    t.check_invariants();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  fuzz::reader in({data, size});
  const std::uint8_t setup = in.u8();
  if ((setup & 1u) != 0)
    run<1000>(in, setup);
  else
    run<lan::sol_max_characters>(in, setup);
  return 0;
}
