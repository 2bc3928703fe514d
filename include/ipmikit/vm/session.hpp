// ipmikit/vm/session.hpp — the sans-IO VM protocol session, one template, two roles.
//
// One object per connection. It owns the protocol state and never touches a socket, a clock or
// the heap: the caller feeds received bytes (`receive`), drains a bounded outbound buffer
// (`outbound` / `consume`), reports `connect` / `disconnect`, and passes `now`, a time point of
// the caller's clock; `next_deadline()` says when to call `poll(now)` at the latest. Events go
// to a handler passed to each call that can produce them.
//
//   role::emulator — what QEMU's ipmi-bmc-extern does: sends requests, gets responses and the
//                    BMC's hardware commands (attention, power off, reset, interrupts, NMI…).
//   role::bmc      — what OpenIPMI's lanserv does for a VM: gets requests, sends responses,
//                    attention and hardware commands, each gated by the peer's capabilities.
//
// ## Theory of operation
//
// Inbound bytes go through a vm::decoder; every frame becomes exactly one event. Malformed
// frames (see decoder.hpp) and frames that break the protocol (a response nobody asked for, a
// command this role never receives, a peer of another version) become a `protocol_event`,
// counted in `stats()`; the session stays usable.
// BMC role: a message with an odd netfn (a response) is `unexpected_response`, never a request.
//
// Outbound frames are appended to a buffer of `OutboundCapacity` bytes. A frame that does not
// fit is refused with `session_error::would_block`; nothing is ever dropped or overrun. The
// buffer is a std::array by default (no heap); a growable `OutboundStorage` such as
// std::vector<std::uint8_t> holds the bytes only while output waits, so an idle session keeps
// no buffer (a server of thousands of idle VMs).
// `outbound(now)` returns the next bytes to write **in one write call**: everything up to and
// including the first VM command frame. QEMU's receive() executes a command and returns without
// parsing the rest of the buffer it was handed (QEMU ipmi_bmc_extern), so a command must never
// be followed by other bytes in one delivery. Separate writes can be coalesced by TCP, so after
// a chunk that ends in a command the session also holds further output back for `command_gap`
// (default 10 ms in the BMC role, 0 in the emulator role); the gap's end is part of
// next_deadline(). Message frames never wait: several go out in one write.
//
// Measured against QEMU 7.2 (tests/interop/session_qemu_test.cpp): its can_receive() returns 1,
// so the chardev hands receive() one byte per call and even a command and a response in one
// write() both arrive. The chunking and the gap are therefore a defence for other builds and
// versions, at the price of up to `command_gap` of latency after a command; set it to zero
// where that matters more.
//
// The emulator role answers locally, as QEMU does (QEMU ipmi_bmc_extern_handle_command):
// a request shorter than netfn+cmd with 0xC7, longer than 300 bytes with 0xC6, while
// disconnected with 0xD2; an outstanding request gets 0xC3 when its deadline (default 4 s from
// send_request) passes and 0xD2 when the connection drops. A response frame too long for the
// decoder whose header matches the outstanding request becomes 0xC6. Local answers are
// ordinary `response_event`s with `local == true`.
#pragma once

#include <algorithm>
#include <array>
#include <chrono>
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <optional>
#include <span>
#include <string_view>
#include <type_traits>

#include "../detail/enum_name.hpp"
#include "../message.hpp"
#include "decoder.hpp"
#include "encoder.hpp"
#include "protocol.hpp"

namespace ipmikit::vm {

// ---------------------------------------------------------------------------------------------
// Types

enum class role : std::uint8_t { emulator, bmc };

[[nodiscard]] constexpr std::string_view name(role r) noexcept {
  return r == role::emulator ? "emulator" : "bmc";
}

/// Why a call was refused (local errors: the caller misused the API). Zero is success.
enum class session_error : std::uint8_t {
  ok = 0,
  not_connected = 1,        // there is no connection to send on
  request_outstanding = 2,  // emulator: a request is already waiting for its response
  would_block = 3,          // the outbound buffer has no room for the frame; drain and retry
  unknown_message_id = 4,   // bmc: no unanswered request has this message id
  invalid_response = 5,     // bmc: a response needs netfn/LUN, cmd and completion code, ≤ 300 bytes
  missing_capability = 6,   // bmc: the peer did not announce the capability this needs
};

[[nodiscard]] constexpr std::string_view name(session_error e) noexcept {
  return ipmikit::detail::enum_name<session_error, 7>(
      e, {"ok", "not_connected", "request_outstanding", "would_block", "unknown_message_id", "invalid_response",
          "missing_capability"});
}

/// What the peer did wrong (remote errors). Counted in session_stats::problems.
enum class protocol_problem : std::uint8_t {
  malformed_frame = 1,      // the decoder rejected a frame; `decode` says why
  unexpected_response = 2,  // emulator: a response while none is outstanding; bmc: any response
                            // (an odd netfn), since a BMC never receives one
  mismatched_response = 3,  // emulator: a response whose message id is not the outstanding one
  unexpected_command = 4,   // a command this role never receives (e.g. ATTN sent to a BMC)
  version_mismatch = 5,     // the peer announced a protocol version other than 1
};
inline constexpr std::size_t protocol_problem_count = 5;

[[nodiscard]] constexpr std::string_view name(protocol_problem p) noexcept {
  return ipmikit::detail::enum_name<protocol_problem, 5>(
      p, {"malformed_frame", "unexpected_response", "mismatched_response", "unexpected_command",
          "version_mismatch"}, 1);
}

// ---------------------------------------------------------------------------------------------
// Events. Spans are valid only during the handler call.

/// Emulator role: the answer to the outstanding request.
struct response_event {
  std::uint8_t msg_id = 0;
  std::span<const std::uint8_t> body;  // netfn<<2|lun, cmd, completion code, data…
  bool local = false;                  // made by the session (0xC3, 0xC6, 0xC7, 0xD2), not the BMC

  [[nodiscard]] constexpr completion_code code() const noexcept {
    return static_cast<completion_code>(body[2]);
  }
};

/// BMC role: a request from the emulator. Answer it with respond(msg_id, …).
struct request_event {
  std::uint8_t msg_id = 0;
  std::span<const std::uint8_t> body;  // netfn<<2|lun, cmd, data…

  [[nodiscard]] constexpr ipmikit::netfn function() const noexcept { return netfn_of(body[0]); }
  [[nodiscard]] constexpr ipmikit::lun lun() const noexcept { return lun_of(body[0]); }
  [[nodiscard]] constexpr std::uint8_t cmd() const noexcept { return body[1]; }
  [[nodiscard]] constexpr std::span<const std::uint8_t> data() const noexcept { return body.subspan(2); }
  /// True for the standard command `c` (e.g. `e.is(commands::get_device_id)`).
  [[nodiscard]] constexpr bool is(command_id c) const noexcept { return c.matches(body[0], body[1]); }
};

/// Emulator role: a hardware command from the BMC (attention, power off, reset, interrupt
/// enable, NMI, graceful shutdown). BMC role: RESET from the emulator ("the machine was reset").
struct hardware_event {
  command code{};
};

/// The peer's VERSION. A version other than 1 is also reported as version_mismatch; the session
/// goes on speaking version 1 (the only one defined; QEMU and OpenIPMI ignore the number).
struct version_event {
  std::uint8_t version = 0;
};

/// BMC role: the emulator's CAPABILITIES; the new set replaces the old one.
struct capabilities_event {
  capabilities caps;
};

struct protocol_event {
  protocol_problem problem{};
  decode_error decode{};      // for malformed_frame
  std::uint8_t msg_id = 0;    // for unexpected/mismatched responses
  std::uint8_t code = 0;      // for unexpected_command: the command code
  std::uint64_t offset = 0;   // stream offset of the frame (since connect)
};

struct session_stats {
  std::uint64_t connects = 0;
  std::uint64_t requests = 0;         // sent (emulator) or received (bmc)
  std::uint64_t responses = 0;        // received (emulator, incl. local) or sent (bmc)
  std::uint64_t local_responses = 0;  // emulator: answered by the session itself
  std::uint64_t commands_in = 0;
  std::uint64_t commands_out = 0;
  std::uint64_t would_block = 0;      // frames refused for lack of outbound room
  std::array<std::uint64_t, protocol_problem_count + 1> problems{};  // by protocol_problem

  [[nodiscard]] constexpr std::uint64_t count(protocol_problem p) const noexcept {
    return problems[static_cast<std::size_t>(p)];
  }
};

// ---------------------------------------------------------------------------------------------
// The session

namespace detail {
/// A set of message ids (std::bitset is not constexpr before C++23).
class id_set {
 public:
  constexpr void set(std::uint8_t id) noexcept { words_[id >> 6] |= bit(id); }
  constexpr void reset(std::uint8_t id) noexcept { words_[id >> 6] &= ~bit(id); }
  constexpr void reset() noexcept { words_ = {}; }
  [[nodiscard]] constexpr bool test(std::uint8_t id) const noexcept { return (words_[id >> 6] & bit(id)) != 0; }

 private:
  static constexpr std::uint64_t bit(std::uint8_t id) noexcept { return std::uint64_t{1} << (id & 63u); }
  std::array<std::uint64_t, 4> words_{};
};
}  // namespace detail

/// Where a session keeps its outbound bytes: std::array<std::uint8_t, OutboundCapacity> (the
/// default; no heap), or a growable container of bytes — std::vector<std::uint8_t> — that the
/// session sizes to OutboundCapacity when it queues output and empties (giving the memory back)
/// when the peer has taken all of it. A growable storage's allocation failure is the
/// container's (the session's members are noexcept: std::vector's bad_alloc ends the program).
template <class S>
concept outbound_storage = std::default_initializable<S> && requires(S& s, const S& c) {
  { s.data() } -> std::same_as<std::uint8_t*>;
  { c.data() } -> std::same_as<const std::uint8_t*>;
  { c.size() } -> std::convertible_to<std::size_t>;
};
template <class S>
concept growable_outbound_storage = outbound_storage<S> && requires(S& s, std::size_t n) {
  s.resize(n);
  s.clear();
  s.shrink_to_fit();
};

template <role Role, class Clock = std::chrono::steady_clock, std::size_t OutboundCapacity = 2048,
          outbound_storage OutboundStorage = std::array<std::uint8_t, OutboundCapacity>>
class session {
  static_assert(OutboundCapacity >= max_message_frame_size(max_message_size),
                "the outbound buffer must hold at least one largest frame");
  static_assert(growable_outbound_storage<OutboundStorage> ||
                    std::is_same_v<OutboundStorage, std::array<std::uint8_t, OutboundCapacity>>,
                "the outbound storage is std::array<std::uint8_t, OutboundCapacity> or growable");

 public:
  using clock = Clock;
  using time_point = typename Clock::time_point;
  using duration = typename Clock::duration;

  struct config {
    /// Emulator: what the emulated machine can do, announced on connect.
    capabilities caps = qemu_capabilities;
    /// Emulator: how long a request waits for its response (QEMU ipmi_bmc_extern: 4 s).
    duration response_timeout = std::chrono::duration_cast<duration>(std::chrono::seconds(4));
    /// Time to hold output back after a chunk that ends in a command (see the header comment).
    duration command_gap = std::chrono::duration_cast<duration>(
        Role == role::bmc ? std::chrono::milliseconds(10) : std::chrono::milliseconds(0));
    /// BMC: capabilities assumed before (and on top of) the peer's CAPABILITIES. OpenIPMI
    /// assumes POWER; the default here assumes nothing.
    capabilities assumed_caps{};
  };

  constexpr session() noexcept : session(config{}) {}
  constexpr explicit session(const config& cfg) noexcept
      : cfg_(cfg), decoder_(Role == role::emulator ? min_response_frame : min_request_frame) {}

  // --- connection ----------------------------------------------------------------------------

  /// A connection is up. Clears the outbound buffer and any partial inbound frame, then queues
  /// the greeting: VERSION 1 and CAPABILITIES (emulator), VERSION 1 (bmc, like lanserv). On a
  /// session that is still connected this is a reconnect: disconnect() happens first.
  template <class Handler>
  constexpr void connect(time_point now, Handler&& handler) {
    if (connected_) disconnect(now, handler);
    connected_ = true;
    ++stats_.connects;
    drop_output();
    gap_until_.reset();
    decoder_.reset();
    peer_version_.reset();
    peer_caps_ = capabilities{};
    unanswered_.reset();
    queue_command(command::version, protocol_version);
    if constexpr (Role == role::emulator) queue_command(command::capabilities, cfg_.caps.to_byte());
  }

  /// The connection is gone. Unsent output is discarded; an outstanding request (emulator) is
  /// answered locally with 0xD2; unanswered requests (bmc) are forgotten.
  template <class Handler>
  constexpr void disconnect(time_point now, Handler&& handler) {
    (void)now;
    connected_ = false;
    drop_output();
    gap_until_.reset();
    decoder_.reset();
    unanswered_.reset();
    if constexpr (Role == role::emulator) {
      if (outstanding_) answer_locally(completion_code::bmc_initialization_in_progress, handler);
    }
  }

  [[nodiscard]] constexpr bool connected() const noexcept { return connected_; }

  // --- inbound -------------------------------------------------------------------------------

  /// Bytes received from the peer, in any chunking.
  template <class Handler>
  constexpr void receive(std::span<const std::uint8_t> bytes, time_point now, Handler&& handler) {
    (void)now;
    if (!connected_) return;  // nothing can arrive on a closed connection; ignore stray calls
    decoder_.feed(bytes, inbound_handler<Handler>{*this, handler});
  }

  /// Fires what is due at `now`: the response deadline (emulator: a local 0xC3).
  template <class Handler>
  constexpr void poll(time_point now, Handler&& handler) {
    if (gap_until_ && now >= *gap_until_) gap_until_.reset();
    if constexpr (Role == role::emulator) {
      if (outstanding_ && now >= deadline_) answer_locally(completion_code::timeout, handler);
    }
  }

  /// The earliest time poll() has something to do, or nothing. It may lie in the past until
  /// poll() is called with a `now` at or after it.
  [[nodiscard]] constexpr std::optional<time_point> next_deadline() const noexcept {
    std::optional<time_point> t;
    if (gap_until_ && out_head_ != out_tail_) t = gap_until_;
    if constexpr (Role == role::emulator) {
      if (outstanding_ && (!t || deadline_ < *t)) t = deadline_;
    }
    return t;
  }

  // --- outbound ------------------------------------------------------------------------------

  /// The bytes to write next, in one write call: up to and including the first command frame.
  /// Empty when there is nothing to send or a command gap is running.
  [[nodiscard]] constexpr std::span<const std::uint8_t> outbound(time_point now) const noexcept {
    if (gap_until_ && now < *gap_until_) return {};
    const std::span<const std::uint8_t> pending(out_.data() + out_head_, out_tail_ - out_head_);
    // A raw 0xA1 inside the buffer can only be a command terminator: frames escape theirs.
    if (std::is_constant_evaluated()) {
      for (std::size_t i = 0; i < pending.size(); ++i) {
        if (pending[i] == end_of_command) return pending.first(i + 1);
      }
      return pending;
    }
    const void* cmd_end = pending.empty() ? nullptr : std::memchr(pending.data(), end_of_command, pending.size());
    if (cmd_end == nullptr) return pending;
    return pending.first(static_cast<std::size_t>(static_cast<const std::uint8_t*>(cmd_end) - pending.data()) + 1);
  }

  /// All unsent bytes, ignoring chunking and the command gap (for peers that parse every byte,
  /// such as OpenIPMI, or for tests).
  [[nodiscard]] constexpr std::span<const std::uint8_t> pending() const noexcept {
    return {out_.data() + out_head_, out_tail_ - out_head_};
  }

  /// `n` bytes from the front of outbound() were written. Finishing a chunk that ends in a
  /// command starts the command gap.
  constexpr void consume(std::size_t n, time_point now) noexcept {
    n = std::min(n, out_tail_ - out_head_);
    if (n == 0) return;
    const bool ends_command = out_[out_head_ + n - 1] == end_of_command;
    out_head_ += n;
    if (out_head_ == out_tail_) drop_output();
    if (ends_command && cfg_.command_gap > duration::zero()) gap_until_ = now + cfg_.command_gap;
  }

  /// The outbound storage itself (read-only): with a growable one, whether it holds memory.
  [[nodiscard]] constexpr const OutboundStorage& outbound_storage_in_use() const noexcept { return out_; }

  /// Free room in the outbound buffer, in bytes.
  [[nodiscard]] constexpr std::size_t outbound_room() const noexcept {
    return OutboundCapacity - (out_tail_ - out_head_);
  }

  // --- emulator role -------------------------------------------------------------------------

  /// Sends a request (netfn<<2|lun, cmd, data…) as `msg_id`. Answered locally, as QEMU does,
  /// when it is too short (0xC7), too long (0xC6) or there is no connection (0xD2).
  template <class Handler>
    requires(Role == role::emulator)
  constexpr session_error send_request(std::uint8_t msg_id, std::span<const std::uint8_t> body,
                                       time_point now, Handler&& handler) {
    if (outstanding_) return session_error::request_outstanding;
    outstanding_msg_id_ = msg_id;
    outstanding_netfn_lun_ = body.empty() ? std::uint8_t{0} : body[0];
    outstanding_cmd_ = body.size() < 2 ? std::uint8_t{0} : body[1];
    ++stats_.requests;
    if (body.size() < request_view::min_size) {
      outstanding_ = true;
      answer_locally(completion_code::request_data_length_invalid, handler);
    } else if (body.size() > max_message_size) {
      outstanding_ = true;
      answer_locally(completion_code::request_data_truncated, handler);
    } else if (!connected_) {
      outstanding_ = true;
      answer_locally(completion_code::bmc_initialization_in_progress, handler);
    } else {
      if (!append([&](std::span<std::uint8_t> out) { return encode_message(out, msg_id, body); })) {
        --stats_.requests;
        return session_error::would_block;
      }
      outstanding_ = true;
      deadline_ = now + cfg_.response_timeout;
    }
    return session_error::ok;
  }

  /// The emulated machine was reset: tells the BMC with RESET, queued behind what is in flight.
  /// (QEMU has this path but 7.2 was never seen using it; ipmi_sim ignores it.)
  constexpr session_error notify_reset() noexcept
    requires(Role == role::emulator)
  {
    return send_command(command::reset);
  }

  /// True while a request waits for its response.
  [[nodiscard]] constexpr bool request_outstanding() const noexcept
    requires(Role == role::emulator)
  {
    return outstanding_;
  }

  // --- bmc role ------------------------------------------------------------------------------

  /// Answers the request `msg_id` with `body` (netfn<<2|lun, cmd, completion code, data…).
  /// Only ids received and not yet answered are accepted: QEMU takes any frame with the id it
  /// waits for, and a wrong id would hang the guest's interface (reference: qemu-live.md).
  constexpr session_error respond(std::uint8_t msg_id, std::span<const std::uint8_t> body) noexcept
    requires(Role == role::bmc)
  {
    if (!connected_) return session_error::not_connected;
    if (!unanswered_.test(msg_id)) return session_error::unknown_message_id;
    if (body.size() < response_view::min_size || body.size() > max_message_size)
      return session_error::invalid_response;
    if (!append([&](std::span<std::uint8_t> out) { return encode_message(out, msg_id, body); }))
      return session_error::would_block;
    unanswered_.reset(msg_id);
    ++stats_.responses;
    return session_error::ok;
  }

  /// Forgets request `msg_id` without answering it (the emulator times it out with 0xC3).
  /// Returns unknown_message_id when no such request is waiting.
  constexpr session_error discard(std::uint8_t msg_id) noexcept
    requires(Role == role::bmc)
  {
    if (!unanswered_.test(msg_id)) return session_error::unknown_message_id;
    unanswered_.reset(msg_id);
    return session_error::ok;
  }

  /// Sets or clears SMS attention; `irq` asks the emulator to raise the interrupt as well.
  /// Needs ATTN (and IRQ when `irq` and `on`).
  constexpr session_error set_attention(bool on, bool irq = false) noexcept
    requires(Role == role::bmc)
  {
    capabilities need = capability::attention;
    if (on && irq) need |= capability::irq;
    if (!on) return gated_command(need, command::no_attention);
    return gated_command(need, irq ? command::attention_irq : command::attention);
  }
  constexpr session_error power_off() noexcept
    requires(Role == role::bmc)
  {
    return gated_command(capability::power, command::power_off);
  }
  /// Sends RESET: the VM is hard-reset (QEMU: a system reset). Named for what it sends — it
  /// does not reset this object (connect() and disconnect() do that).
  constexpr session_error send_reset() noexcept
    requires(Role == role::bmc)
  {
    return gated_command(capability::reset, command::reset);
  }
  constexpr session_error send_nmi() noexcept
    requires(Role == role::bmc)
  {
    return gated_command(capability::nmi, command::send_nmi);
  }
  constexpr session_error graceful_shutdown() noexcept
    requires(Role == role::bmc)
  {
    return gated_command(capability::graceful_shutdown, command::graceful_shutdown);
  }
  constexpr session_error enable_irq(bool enable) noexcept
    requires(Role == role::bmc)
  {
    return gated_command(capability::irq, enable ? command::enable_irq : command::disable_irq);
  }

  /// What the peer announced (plus config::assumed_caps).
  [[nodiscard]] constexpr capabilities peer_capabilities() const noexcept
    requires(Role == role::bmc)
  {
    return peer_caps_ | cfg_.assumed_caps;
  }

  /// True when request `msg_id` was received and not answered yet.
  [[nodiscard]] constexpr bool awaiting_response(std::uint8_t msg_id) const noexcept
    requires(Role == role::bmc)
  {
    return unanswered_.test(msg_id);
  }

  // --- both roles ----------------------------------------------------------------------------

  /// The peer's protocol version, once it sent VERSION on this connection.
  [[nodiscard]] constexpr std::optional<std::uint8_t> peer_version() const noexcept {
    return peer_version_;
  }

  [[nodiscard]] constexpr const session_stats& stats() const noexcept { return stats_; }
  [[nodiscard]] constexpr const decoder_stats& decoder_statistics() const noexcept {
    return decoder_.stats();
  }
  [[nodiscard]] constexpr const config& settings() const noexcept { return cfg_; }

 private:
  // Appends one encoded frame if it fits; counts would_block otherwise.
  template <class Encode>
  constexpr bool append(Encode&& encode) noexcept {
    if constexpr (growable_outbound_storage<OutboundStorage>) {
      if (out_.size() < OutboundCapacity) out_.resize(OutboundCapacity);
    }
    if (out_head_ != 0 && OutboundCapacity - out_tail_ < max_message_frame_size(max_message_size)) {
      // Compact so the free room is contiguous at the end.
      std::copy(out_.begin() + static_cast<std::ptrdiff_t>(out_head_),
                out_.begin() + static_cast<std::ptrdiff_t>(out_tail_), out_.begin());
      out_tail_ -= out_head_;
      out_head_ = 0;
    }
    const encode_result r =
        encode(std::span<std::uint8_t>(out_.data() + out_tail_, OutboundCapacity - out_tail_));
    if (!r) {
      ++stats_.would_block;
      return false;
    }
    out_tail_ += r.size;
    return true;
  }

  // Nothing left to write: the buffer is empty (and a growable storage's memory given back).
  constexpr void drop_output() noexcept {
    out_head_ = out_tail_ = 0;
    if constexpr (growable_outbound_storage<OutboundStorage>) {
      out_.clear();
      out_.shrink_to_fit();
    }
  }

  constexpr bool queue_command(command c, std::uint8_t argument) noexcept {
    const bool ok = append([&](std::span<std::uint8_t> out) { return encode_command(out, c, argument); });
    if (ok) ++stats_.commands_out;
    return ok;
  }

  constexpr session_error send_command(command c) noexcept {
    if (!connected_) return session_error::not_connected;
    if (!append([&](std::span<std::uint8_t> out) { return encode_command(out, c); }))
      return session_error::would_block;
    ++stats_.commands_out;
    return session_error::ok;
  }

  constexpr session_error gated_command(capabilities need, command c) noexcept {
    if (!connected_) return session_error::not_connected;
    if (!peer_capabilities().contains(need)) return session_error::missing_capability;
    return send_command(c);
  }

  // Emulator: answers the outstanding request with `cc`, as QEMU builds its local responses.
  template <class Handler>
  constexpr void answer_locally(completion_code cc, Handler& handler) {
    const std::uint8_t body[3] = {static_cast<std::uint8_t>(outstanding_netfn_lun_ | 0x04u),
                                  outstanding_cmd_, static_cast<std::uint8_t>(cc)};
    outstanding_ = false;
    ++stats_.responses;
    ++stats_.local_responses;
    handler(response_event{outstanding_msg_id_, std::span<const std::uint8_t>(body), true});
  }

  template <class Handler>
  constexpr void problem(Handler& handler, protocol_event e) {
    ++stats_.problems[static_cast<std::size_t>(e.problem)];
    handler(e);
  }

  // Maps decoder events to session events.
  template <class Handler>
  struct inbound_handler {
    session& s;
    Handler& handler;

    constexpr void operator()(const message_event& m) {
      if constexpr (Role == role::emulator) {
        if (!s.outstanding_) {
          s.problem(handler, {protocol_problem::unexpected_response, {}, m.msg_id, 0, m.offset});
        } else if (m.msg_id != s.outstanding_msg_id_) {
          s.problem(handler, {protocol_problem::mismatched_response, {}, m.msg_id, 0, m.offset});
        } else {
          s.outstanding_ = false;
          ++s.stats_.responses;
          handler(response_event{m.msg_id, m.body, false});
        }
      } else {
        // A BMC never receives responses: an odd netfn is not a request to answer.
        if (m.is_response()) {
          s.problem(handler, {protocol_problem::unexpected_response, {}, m.msg_id, 0, m.offset});
          return;
        }
        ++s.stats_.requests;
        s.unanswered_.set(m.msg_id);
        handler(request_event{m.msg_id, m.body});
      }
    }

    constexpr void operator()(const command_event& c) {
      ++s.stats_.commands_in;
      if (c.code == command::version) {
        s.peer_version_ = c.argument();
        if (c.argument() != protocol_version)
          s.problem(handler, {protocol_problem::version_mismatch, {}, 0, c.argument(), c.offset});
        handler(version_event{c.argument()});
        return;
      }
      if constexpr (Role == role::emulator) {
        if (c.code == command::capabilities) {
          s.problem(handler, {protocol_problem::unexpected_command, {}, 0,
                              static_cast<std::uint8_t>(c.code), c.offset});
          return;
        }
        handler(hardware_event{c.code});
      } else {
        if (c.code == command::capabilities) {
          s.peer_caps_ = capabilities::from_byte(c.argument());
          handler(capabilities_event{s.peer_caps_});
        } else if (c.code == command::reset) {
          handler(hardware_event{c.code});
        } else {
          s.problem(handler, {protocol_problem::unexpected_command, {}, 0,
                              static_cast<std::uint8_t>(c.code), c.offset});
        }
      }
    }

    constexpr void operator()(const error_event& e) {
      s.problem(handler, {protocol_problem::malformed_frame, e.error,
                          e.bytes.empty() ? std::uint8_t{0} : e.bytes[0], 0, e.frame_offset});
      if constexpr (Role == role::emulator) {
        // QEMU answers an oversized response with "request data truncated".
        const auto h = e.header();
        if (e.error == decode_error::frame_too_long && e.kind == frame_kind::message && h &&
            s.outstanding_ && h->msg_id == s.outstanding_msg_id_) {
          s.answer_locally(completion_code::request_data_truncated, handler);
        }
      }
    }
  };

  config cfg_;
  basic_decoder<> decoder_;
  OutboundStorage out_{};
  std::size_t out_head_ = 0;
  std::size_t out_tail_ = 0;
  std::optional<time_point> gap_until_;
  session_stats stats_{};
  std::optional<std::uint8_t> peer_version_;
  capabilities peer_caps_{};
  bool connected_ = false;
  // Emulator: the outstanding request.
  bool outstanding_ = false;
  std::uint8_t outstanding_msg_id_ = 0;
  std::uint8_t outstanding_netfn_lun_ = 0;
  std::uint8_t outstanding_cmd_ = 0;
  time_point deadline_{};
  // BMC: requests received and not answered yet, by message id.
  detail::id_set unanswered_;
};

template <class Clock = std::chrono::steady_clock, std::size_t OutboundCapacity = 2048,
          class OutboundStorage = std::array<std::uint8_t, OutboundCapacity>>
using emulator_session = session<role::emulator, Clock, OutboundCapacity, OutboundStorage>;
template <class Clock = std::chrono::steady_clock, std::size_t OutboundCapacity = 2048,
          class OutboundStorage = std::array<std::uint8_t, OutboundCapacity>>
using bmc_session = session<role::bmc, Clock, OutboundCapacity, OutboundStorage>;

}  // namespace ipmikit::vm
