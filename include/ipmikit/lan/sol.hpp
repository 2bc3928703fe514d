// ipmikit/lan/sol.hpp — Serial over LAN (IPMI v2.0 §15): the SOL payload's bytes, and the BMC
// side of one SOL instance as a sans-IO machine: characters from the serial port go out in
// numbered packets, one at a time, retried until acknowledged; characters from the console are
// handed to the serial port and acknowledged with the count it took; a repeated packet is
// acknowledged again but never applied twice.
//
//   lan::sol_instance<4096> sol(lan::sol_settings_from(accumulate, retry));
//   sol.activate(now);                                  // Activate Payload succeeded
//   sol.write(serial_bytes, now);                       // what the serial port printed
//   std::size_t n = sol.poll(now, packet);              // a packet to send, when one is due
//   n = sol.receive(payload, now, serial_sink, packet); // a packet from the console: its ACK
//   ... sol.next_deadline() says when poll() has work next.
//
// The RMCP+ session, Activate/Deactivate Payload and who may do them are lan/server.hpp's;
// this header knows only the payload. Sans-IO: no I/O, no clock (every call takes `now`), no
// heap, no exceptions; everything is constexpr.
#pragma once

#include <algorithm>
#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

#include "../cmd/transport.hpp"
#include "../detail/enum_name.hpp"

namespace ipmikit::lan {

// ---------------------------------------------------------------------------------------------
// Numbers

inline constexpr std::size_t sol_header_size = 4;        // sol.md §1: sequence, ACK sequence, accepted count, operation/status
inline constexpr std::size_t sol_max_characters = 255;   // sol.md §1: the accepted count is one byte
inline constexpr std::size_t sol_max_payload = sol_header_size + sol_max_characters;
inline constexpr std::uint8_t sol_last_sequence = 15;    // sol.md §1: 1…15, then 1 again; 0 means "no data"
inline constexpr std::uint8_t sol_sequence_mask = 0x0F;  // sol.md §1: bits [3:0]; [7:4] reserved

/// Byte 3 from the console: what it asks of the serial port (IPMI v2.0 §15.9, sol.md §1).
namespace sol_operation {
inline constexpr std::uint8_t nack = 0x40;            // the console cannot take the ACKed packet's characters now
inline constexpr std::uint8_t ring_wor = 0x20;        // assert RI
inline constexpr std::uint8_t generate_break = 0x10;  // send a serial BREAK
inline constexpr std::uint8_t cts_pause = 0x08;       // deassert CTS
inline constexpr std::uint8_t drop_dcd_dsr = 0x04;
inline constexpr std::uint8_t flush_inbound = 0x02;   // drop what waits to go to the serial port
inline constexpr std::uint8_t flush_outbound = 0x01;  // drop what waits to go to the console
}  // namespace sol_operation

/// Byte 3 from the BMC (IPMI v2.0 §15.9, sol.md §1; ipmitool reads the same bits).
namespace sol_status {
inline constexpr std::uint8_t nack = 0x40;                  // the BMC could not take the ACKed packet's characters
inline constexpr std::uint8_t transfer_unavailable = 0x20;  // the serial port is not there (nothing taken)
inline constexpr std::uint8_t inactive = 0x10;              // SOL is deactivated or deactivating
inline constexpr std::uint8_t transmit_overrun = 0x08;      // serial characters were dropped before this packet
inline constexpr std::uint8_t break_detected = 0x04;
}  // namespace sol_status

// ---------------------------------------------------------------------------------------------
// The payload

/// One SOL payload, either direction.
struct sol_packet {
  std::uint8_t sequence = 0;       // 1…15; 0: carries no characters (an ACK or NACK only)
  std::uint8_t ack_sequence = 0;   // the packet acknowledged, 0 for none
  std::uint8_t accepted = 0;       // characters of that packet taken
  std::uint8_t control = 0;        // sol_operation bits (from the console), sol_status bits (from the BMC)
  std::span<const std::uint8_t> data{};
};

enum class sol_error : std::uint8_t {
  ok = 0,
  too_short = 1,              // fewer than the 4 header bytes
  too_long = 2,               // more than 255 characters
  data_without_sequence = 3,  // characters in a packet numbered 0: they could never be acknowledged
};

[[nodiscard]] constexpr std::string_view name(sol_error e) noexcept {
  return detail::enum_name<sol_error, 4>(e, {"ok", "too_short", "too_long", "data_without_sequence"});
}

struct sol_parse_result {
  sol_packet value{};
  sol_error error = sol_error::ok;
  [[nodiscard]] constexpr explicit operator bool() const noexcept { return error == sol_error::ok; }
};

/// Parses a payload of type SOL; the data is a view into `payload`. The reserved bits [7:4] of
/// the sequence numbers are ignored, as receivers ignore reserved bits.
[[nodiscard]] constexpr sol_parse_result parse_sol_packet(std::span<const std::uint8_t> payload) noexcept {
  sol_parse_result r;
  if (payload.size() < sol_header_size) {
    r.error = sol_error::too_short;
    return r;
  }
  if (payload.size() > sol_max_payload) {
    r.error = sol_error::too_long;
    return r;
  }
  r.value.sequence = payload[0] & sol_sequence_mask;
  r.value.ack_sequence = payload[1] & sol_sequence_mask;
  r.value.accepted = payload[2];
  r.value.control = payload[3];
  r.value.data = payload.subspan(sol_header_size);
  if (r.value.sequence == 0 && !r.value.data.empty()) r.error = sol_error::data_without_sequence;
  return r;
}

/// Writes `p` to `out`; returns its size, or 0 (nothing written) when it does not fit, carries
/// more than 255 characters, or a sequence number above 15.
constexpr std::size_t encode_sol_packet(const sol_packet& p, std::span<std::uint8_t> out) noexcept {
  const std::size_t n = sol_header_size + p.data.size();
  if (p.data.size() > sol_max_characters || out.size() < n || p.sequence > sol_last_sequence ||
      p.ack_sequence > sol_last_sequence)
    return 0;
  out[0] = p.sequence;
  out[1] = p.ack_sequence;
  out[2] = p.accepted;
  out[3] = p.control;
  std::copy(p.data.begin(), p.data.end(), out.begin() + sol_header_size);
  return n;
}

// ---------------------------------------------------------------------------------------------
// The BMC side of one instance

/// When characters go out and how often a packet is tried (SOL parameters 3 and 4).
template <class Duration>
struct basic_sol_settings {
  Duration accumulate_interval = std::chrono::duration_cast<Duration>(std::chrono::milliseconds(60));  // parameter 3 byte 1 (× 5 ms)
  std::uint8_t send_threshold = 96;   // parameter 3 byte 2: send at once when this many wait
  std::uint8_t retry_count = 7;       // parameter 4 byte 1 [2:0]: resends before a packet is given up
  Duration retry_interval = std::chrono::duration_cast<Duration>(std::chrono::milliseconds(500));      // parameter 4 byte 2 (× 10 ms)
  std::uint8_t max_characters = sol_max_characters;  // per packet (at most 255)
};

/// Settings from SOL configuration parameters 3 and 4 (IPMI v2.0 §26.3: the interval is in
/// 5 ms units, the retry interval in 10 ms units; a threshold of 0 is taken as 1).
template <class Duration>
[[nodiscard]] constexpr basic_sol_settings<Duration> sol_settings_from(const cmd::sol::character_accumulate& a,
                                                                       const cmd::sol::retry& r) noexcept {
  basic_sol_settings<Duration> s;
  s.accumulate_interval = std::chrono::duration_cast<Duration>(std::chrono::milliseconds(5 * int{a.interval}));
  s.send_threshold = a.threshold == 0 ? std::uint8_t{1} : a.threshold;
  s.retry_count = static_cast<std::uint8_t>(r.count & 0x07u);
  s.retry_interval = std::chrono::duration_cast<Duration>(std::chrono::milliseconds(10 * int{r.interval}));
  return s;
}

/// Counters, for a status display and the tests.
struct sol_stats {
  std::uint64_t packets_sent = 0;       // new packets with characters (retransmissions not counted)
  std::uint64_t retransmissions = 0;
  std::uint64_t characters_acked = 0;   // serial → console, acknowledged
  std::uint64_t characters_given_up = 0;// serial → console, dropped after retry_count resends
  std::uint64_t characters_overrun = 0; // serial → console, dropped because the buffer was full
  std::uint64_t characters_received = 0;// console → serial, taken by the sink
  std::uint64_t duplicates = 0;         // console packets seen before: acknowledged again, not applied
  std::uint64_t malformed = 0;          // parse_sol_packet refused
  std::uint64_t nacks = 0;              // the console NACKed a packet
};

/// What a sink takes characters from the console with:
///   characters(span) -> std::size_t: hands characters to the serial port; returns how many it
///     took (the rest the console sends again; fewer than offered is flow control).
/// Optionally:
///   operation(std::uint8_t sol_operation bits): BREAK, flushes, line bits (never NACK).
///   available() -> bool: false when there is no serial port to take anything (answered with
///     sol_status::transfer_unavailable, nothing taken).
template <class S>
concept sol_sink = requires(S& s, std::span<const std::uint8_t> c) {
  { s.characters(c) } -> std::convertible_to<std::size_t>;
};

/// One SOL instance, the BMC's side. `Capacity` bytes of serial output wait for the console;
/// what arrives when they are full is dropped and reported (sol_status::transmit_overrun), so a
/// slow or gone console never holds up the serial port.
template <std::size_t Capacity = 4096, class Clock = std::chrono::steady_clock>
class sol_instance {
  static_assert(Capacity >= sol_max_characters, "room for at least one full packet");

 public:
  using clock = Clock;
  using time_point = typename Clock::time_point;
  using duration = typename Clock::duration;
  using settings = basic_sol_settings<duration>;
  static constexpr std::size_t capacity = Capacity;

  constexpr sol_instance() noexcept = default;
  constexpr explicit sol_instance(const settings& s) noexcept : settings_(clamped(s)) {}

  /// New settings; they apply from the next packet.
  constexpr void configure(const settings& s) noexcept { settings_ = clamped(s); }
  [[nodiscard]] constexpr const settings& configuration() const noexcept { return settings_; }
  [[nodiscard]] constexpr const sol_stats& stats() const noexcept { return stats_; }

  /// Starts the instance (Activate Payload): sequence numbers from 1, nothing buffered.
  constexpr void activate(time_point now) noexcept {
    reset_transfer();
    active_ = true;
    first_at_ = now;
  }
  /// Stops it (Deactivate Payload, the session ended): drops what is buffered.
  constexpr void deactivate() noexcept {
    reset_transfer();
    active_ = false;
  }
  [[nodiscard]] constexpr bool active() const noexcept { return active_; }

  /// Whether the console is keeping up: no packet of ours waits for a retransmission and it
  /// has not NACKed. A caller may hold the serial port back while the buffer is full and the
  /// console keeps up (flow control, as a UART's), and must stop holding it once it does not.
  [[nodiscard]] constexpr bool console_keeping_up() const noexcept {
    return active_ && !paused_ && (outstanding_ == 0 || retries_ == 0);
  }

  /// Characters waiting for the console (sent and not yet acknowledged included).
  [[nodiscard]] constexpr std::size_t buffered() const noexcept { return size_; }
  [[nodiscard]] constexpr std::size_t space() const noexcept { return Capacity - size_; }

  /// Serial output for the console. Takes what fits and returns how many; the rest is dropped
  /// and counted, and the next packet says so. Nothing is taken while inactive.
  constexpr std::size_t write(std::span<const std::uint8_t> characters, time_point now) noexcept {
    if (!active_) return 0;
    if (unsent() == 0) first_at_ = now;
    const std::size_t n = std::min(characters.size(), space());
    const std::size_t tail = (head_ + size_) % Capacity;
    const std::size_t first = std::min(n, Capacity - tail);
    std::copy_n(characters.begin(), first, buffer_.begin() + static_cast<std::ptrdiff_t>(tail));
    std::copy_n(characters.begin() + static_cast<std::ptrdiff_t>(first), n - first, buffer_.begin());
    size_ += n;
    if (n < characters.size()) {
      stats_.characters_overrun += characters.size() - n;
      overrun_ = true;
    }
    return n;
  }

  /// A packet from the console: its acknowledgement of ours is applied, its characters go to
  /// `sink`, and the answer (an ACK of its characters) is written to `out` (at least
  /// sol_header_size; sol_max_payload fits); returns the answer's size, 0 when none is due.
  /// An `out` too small for an answer changes nothing. Call poll() afterwards: an ACK may have
  /// made room for the next packet.
  template <sol_sink Sink>
  constexpr std::size_t receive(std::span<const std::uint8_t> payload, time_point now, Sink& sink,
                                std::span<std::uint8_t> out) noexcept {
    (void)now;
    if (out.size() < sol_header_size) return 0;
    const sol_parse_result r = parse_sol_packet(payload);
    if (!r) {
      ++stats_.malformed;
      return 0;
    }
    const sol_packet& p = r.value;
    if (!active_) {  // late packets after Deactivate: say so, take nothing
      if (p.sequence == 0) return 0;
      return encode_sol_packet(sol_packet{0, p.sequence, 0, sol_status::inactive, {}}, out);
    }
    if (p.ack_sequence != 0 && p.ack_sequence == out_seq_) {
      if (outstanding_ != 0)
        acknowledge(p);
      else if (paused_ && (p.control & sol_operation::nack) == 0)
        paused_ = false;  // the console takes characters again (an ACK without NACK)
    }
    if (p.sequence == 0) return 0;  // an ACK only, or an empty keepalive

    if (seen_in_ && p.sequence == in_seq_) {  // sent again: our ACK was lost; never apply twice
      ++stats_.duplicates;
      return encode_sol_packet(sol_packet{0, p.sequence, in_accepted_, status(), {}}, out);
    }
    std::uint8_t taken = 0;
    std::uint8_t flags = 0;
    if (!available(sink)) {
      flags = sol_status::transfer_unavailable;
    } else {
      const std::uint8_t ops = p.control & static_cast<std::uint8_t>(~sol_operation::nack);
      if ((ops & sol_operation::flush_outbound) != 0) flush_to_console();
      if constexpr (requires { sink.operation(std::uint8_t{}); })
        if (ops != 0) sink.operation(ops);
      if (!p.data.empty()) {
        const std::size_t took = std::min<std::size_t>(sink.characters(p.data), p.data.size());
        taken = static_cast<std::uint8_t>(took);
        stats_.characters_received += took;
      }
    }
    seen_in_ = true;
    in_seq_ = p.sequence;
    in_accepted_ = taken;
    return encode_sol_packet(sol_packet{0, p.sequence, taken, static_cast<std::uint8_t>(status() | flags), {}}, out);
  }

  /// The packet due at `now`, if any: a retransmission of the unacknowledged one after
  /// retry_interval (given up after retry_count resends), else new characters once
  /// send_threshold wait or the oldest has waited accumulate_interval. Writes it to `out`
  /// (sol_max_payload fits) and returns its size; 0 when nothing is due. An `out` too small
  /// for the packet due changes nothing. A retransmission is the same bytes as the first.
  constexpr std::size_t poll(time_point now, std::span<std::uint8_t> out) noexcept {
    if (!active_ || out.size() < sol_header_size + std::min<std::size_t>(size_, settings_.max_characters)) return 0;
    if (outstanding_ != 0) {
      if (now - sent_at_ < settings_.retry_interval) return 0;
      if (retries_ < settings_.retry_count) {
        ++retries_;
        ++stats_.retransmissions;
        sent_at_ = now;
        return encode_outstanding(out);
      }
      stats_.characters_given_up += outstanding_;  // the console is gone or deaf: move on
      consume(outstanding_);
      outstanding_ = 0;
      if (unsent() != 0) due_ = true;
    }
    if (paused_ || unsent() == 0) return 0;
    if (unsent() < settings_.send_threshold && !due_ && now - first_at_ < settings_.accumulate_interval) return 0;
    outstanding_ = std::min<std::size_t>(unsent(), settings_.max_characters);
    out_seq_ = static_cast<std::uint8_t>(out_seq_ % sol_last_sequence + 1);
    retries_ = 0;
    sent_at_ = now;
    due_ = unsent() != 0;  // what is left has waited already: it goes as soon as this is ACKed
    ++stats_.packets_sent;
    out_status_ = status();
    overrun_ = false;  // said once
    return encode_outstanding(out);
  }

  /// When poll() has work next (now or earlier: at once), or nothing.
  [[nodiscard]] constexpr std::optional<time_point> next_deadline() const noexcept {
    if (!active_) return std::nullopt;
    if (outstanding_ != 0) return sent_at_ + settings_.retry_interval;
    if (paused_ || unsent() == 0) return std::nullopt;
    if (unsent() >= settings_.send_threshold || due_) return first_at_;
    return first_at_ + settings_.accumulate_interval;
  }

 private:
  static constexpr settings clamped(settings s) noexcept {
    if (s.max_characters == 0 || s.max_characters > sol_max_characters) s.max_characters = sol_max_characters;
    if (s.send_threshold == 0) s.send_threshold = 1;
    s.retry_count &= 0x07u;  // IPMI v2.0 §26.3: [2:0]
    return s;
  }

  template <class Sink>
  static constexpr bool available(Sink& sink) noexcept {
    if constexpr (requires { { sink.available() } -> std::convertible_to<bool>; })
      return static_cast<bool>(sink.available());
    else
      return true;
  }

  [[nodiscard]] constexpr std::size_t unsent() const noexcept { return size_ - outstanding_; }
  [[nodiscard]] constexpr std::uint8_t status() const noexcept { return overrun_ ? sol_status::transmit_overrun : 0; }

  constexpr void acknowledge(const sol_packet& p) noexcept {
    const std::size_t taken = std::min<std::size_t>(p.accepted, outstanding_);
    paused_ = (p.control & sol_operation::nack) != 0;
    if (paused_) ++stats_.nacks;
    stats_.characters_acked += taken;
    consume(taken);
    outstanding_ = 0;
    retries_ = 0;
    if (unsent() != 0) due_ = true;  // the part not taken goes again, under a new number
  }

  constexpr void consume(std::size_t n) noexcept {
    head_ = (head_ + n) % Capacity;
    size_ -= n;
    if (size_ == 0) {
      head_ = 0;
      due_ = false;
    }
  }

  constexpr void flush_to_console() noexcept {  // keeps the packet in flight: it may be ACKed
    size_ = outstanding_;
    due_ = false;
    if (size_ == 0) head_ = 0;
  }

  constexpr std::size_t encode_outstanding(std::span<std::uint8_t> out) const noexcept {
    if (out.size() < sol_header_size + outstanding_) return 0;
    out[0] = out_seq_;
    out[1] = 0;
    out[2] = 0;
    out[3] = out_status_;
    const std::size_t first = std::min(outstanding_, Capacity - head_);
    std::copy_n(buffer_.begin() + static_cast<std::ptrdiff_t>(head_), first, out.begin() + sol_header_size);
    std::copy_n(buffer_.begin(), outstanding_ - first,
                out.begin() + static_cast<std::ptrdiff_t>(sol_header_size + first));
    return sol_header_size + outstanding_;
  }

  constexpr void reset_transfer() noexcept {
    head_ = size_ = outstanding_ = 0;
    out_seq_ = 0;
    retries_ = 0;
    out_status_ = 0;
    paused_ = due_ = overrun_ = seen_in_ = false;
    in_seq_ = in_accepted_ = 0;
  }

  settings settings_ = clamped(settings{});
  sol_stats stats_{};
  std::array<std::uint8_t, Capacity> buffer_{};
  std::size_t head_ = 0;         // the oldest character waiting (the packet in flight starts here)
  std::size_t size_ = 0;         // characters waiting, in flight included
  std::size_t outstanding_ = 0;  // characters of the packet in flight (0: none)
  time_point sent_at_{};
  time_point first_at_{};        // when the oldest unsent character arrived
  std::uint8_t out_seq_ = 0;     // the last number used
  std::uint8_t retries_ = 0;
  std::uint8_t out_status_ = 0;  // the packet in flight's status byte (its resends are the same)
  std::uint8_t in_seq_ = 0;      // the console's last packet
  std::uint8_t in_accepted_ = 0; // and what we took of it
  bool seen_in_ = false;
  bool active_ = false;
  bool paused_ = false;          // the console NACKed: wait for an ACK without NACK
  bool due_ = false;             // unsent characters have waited already
  bool overrun_ = false;         // characters dropped since the last new packet
};

}  // namespace ipmikit::lan
