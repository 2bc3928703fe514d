// fuzz/fuzz_session.hpp — the body of fuzz_session_emulator and fuzz_session_bmc: random bytes
// from the peer interleaved with random API calls, partial writes and clock jumps, checked
// against a small model of what the session must do.
//
// Input: a sequence of operations, each an op byte and its operands:
//   0 receive [n] then n bytes          1 advance the clock [ms, scaled] and poll
//   2 emulator: send_request [id] [n] body / bmc: respond [id] [n] body
//   3 write [k] bytes of outbound(now)   4 connect / disconnect [which]
//   5 emulator: notify_reset / bmc: a hardware command or discard [which] ([id])
//   6 receive a well-formed frame built from [kind] [id] [n] bytes (so deep states are reached)
//     (bmc: a message whose [kind] has bits 2 and 3 set is a response, netfn 07h)
// Invariants (FUZZ_CHECK aborts):
//   * every event has the shape its role allows; local responses carry 0xC3/0xC6/0xC7/0xD2;
//   * emulator: at most one request outstanding, responses only for it, at most one each;
//     request_outstanding() and next_deadline() agree with the model;
//   * bmc: respond() succeeds exactly for ids received and not yet answered;
//   * bmc: every message frame the peer sends, as a second decoder fed the same bytes sees it,
//     is a request_event when its netfn is even and an unexpected_response protocol
//     event when it is odd (a BMC never receives responses), in stream order; stats().requests
//     counts the even ones only, and only they become unanswered;
//   * an outbound chunk holds at most one command terminator, and only as its last byte;
//   * everything written decodes, through an independent decoder, to well-formed frames only:
//     the session never puts a malformed frame on the wire;
//   * protocol events == stats().problems; nothing is written while disconnected.
#pragma once

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdio>
#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include <ipmikit/vm/session.hpp>

#include "fuzz_common.hpp"

namespace fuzz_session {

using namespace ipmikit;
using clk = std::chrono::steady_clock;

template <vm::role Role>
struct harness {
  using session_t = vm::session<Role, clk, 1024>;

  session_t s;
  clk::time_point now{};
  // Model.
  bool connected = false;
  bool outstanding = false;  // emulator
  std::uint8_t outstanding_id = 0;
  std::array<bool, 256> unanswered{};  // bmc
  std::uint64_t problems = 0;
  // Bmc: what each inbound message frame must become, from a second decoder fed the same
  // bytes as the session: a request (even netfn) or an unexpected_response (odd netfn).
  struct expected_message {
    std::uint8_t msg_id;
    bool request;
  };
  vm::decoder inbound_model{vm::min_request_frame};
  std::vector<expected_message> expected;
  std::size_t matched = 0;  // entries of `expected` the session has delivered
  std::uint64_t requests = 0;
  std::uint64_t unexpected_responses = 0;
  // What went out on the wire, checked by an independent decoder.
  vm::decoder wire_check{vm::min_request_frame};

  explicit harness(typename session_t::config cfg) : s(cfg) {}

  struct handler {
    harness& h;
    void operator()(const vm::response_event& r) {
      FUZZ_CHECK(Role == vm::role::emulator);
      FUZZ_CHECK(h.outstanding);
      FUZZ_CHECK(r.msg_id == h.outstanding_id);
      FUZZ_CHECK(r.body.size() >= 3);
      if (r.local) {
        const auto cc = r.code();
        FUZZ_CHECK(cc == completion_code::timeout || cc == completion_code::request_data_truncated ||
                   cc == completion_code::request_data_length_invalid ||
                   cc == completion_code::bmc_initialization_in_progress);
        FUZZ_CHECK(r.body.size() == 3);
      }
      h.outstanding = false;
    }
    void operator()(const vm::request_event& r) {
      FUZZ_CHECK(Role == vm::role::bmc);
      FUZZ_CHECK(r.body.size() >= 2);
      FUZZ_CHECK(is_request(r.function()));
      FUZZ_CHECK(h.matched < h.expected.size());
      FUZZ_CHECK(h.expected[h.matched].request && h.expected[h.matched].msg_id == r.msg_id);
      ++h.matched;
      h.unanswered[r.msg_id] = true;
    }
    void operator()(const vm::hardware_event& e) {
      if constexpr (Role == vm::role::bmc) FUZZ_CHECK(e.code == vm::command::reset);
      FUZZ_CHECK(e.code != vm::command::version && e.code != vm::command::capabilities);
    }
    void operator()(const vm::version_event&) {}
    void operator()(const vm::capabilities_event&) { FUZZ_CHECK(Role == vm::role::bmc); }
    void operator()(const vm::protocol_event& p) {
      ++h.problems;
      if constexpr (Role == vm::role::bmc) {
        FUZZ_CHECK(p.problem != vm::protocol_problem::mismatched_response);
        if (p.problem == vm::protocol_problem::unexpected_response) {
          FUZZ_CHECK(h.matched < h.expected.size());
          FUZZ_CHECK(!h.expected[h.matched].request && h.expected[h.matched].msg_id == p.msg_id);
          ++h.matched;
        }
      }
    }
  };

  // Bmc: the model's view of the inbound stream; only message frames matter to it.
  struct inbound_model_handler {
    harness& h;
    void operator()(const vm::message_event& m) {
      h.expected.push_back({m.msg_id, !m.is_response()});
      ++(m.is_response() ? h.unexpected_responses : h.requests);
    }
    void operator()(const vm::command_event&) {}
    void operator()(const vm::error_event&) {}
  };

  /// Bytes from the peer, through the model (bmc) and the session.
  void receive(std::span<const std::uint8_t> bytes, handler& h) {
    if constexpr (Role == vm::role::bmc) {
      expected.clear();
      matched = 0;
      // Nothing arrives on a closed connection: the session ignores the bytes.
      if (connected) inbound_model.feed(bytes, inbound_model_handler{*this});
    }
    s.receive(bytes, now, h);
    if constexpr (Role == vm::role::bmc) FUZZ_CHECK(matched == expected.size());
  }

  struct wire_handler {
    void operator()(const vm::message_event& m) { FUZZ_CHECK(m.body.size() >= 2); }
    void operator()(const vm::command_event&) {}
    void operator()(const vm::error_event& e) {
      std::fprintf(stderr, "the session wrote a malformed frame: %s\n", vm::name(e.error).data());
      FUZZ_CHECK(false);
    }
  };

  void check_state() {
    FUZZ_CHECK(s.connected() == connected);
    std::uint64_t total = 0;
    for (auto n : s.stats().problems) total += n;
    FUZZ_CHECK(total == problems);
    if constexpr (Role == vm::role::emulator) {
      FUZZ_CHECK(s.request_outstanding() == outstanding);
      if (outstanding) FUZZ_CHECK(s.next_deadline().has_value());
    } else {
      for (unsigned id = 0; id < 256; ++id)
        FUZZ_CHECK(s.awaiting_response(static_cast<std::uint8_t>(id)) == unanswered[id]);
      FUZZ_CHECK(s.stats().requests == requests);
      FUZZ_CHECK(s.stats().count(vm::protocol_problem::unexpected_response) == unexpected_responses);
    }
    if (!connected) FUZZ_CHECK(s.pending().empty());
  }

  void write(std::size_t k) {
    const auto chunk = s.outbound(now);
    for (std::size_t i = 0; i + 1 < chunk.size(); ++i) FUZZ_CHECK(chunk[i] != vm::end_of_command);
    k = std::min(k, chunk.size());
    if (k == 0) return;
    FUZZ_CHECK(connected);
    wire_check.feed(chunk.first(k), wire_handler{});
    s.consume(k, now);
  }

  void disconnect() {
    handler h{*this};
    s.disconnect(now, h);
    connected = false;
    unanswered.fill(false);
    FUZZ_CHECK(!outstanding);  // a disconnect answers the outstanding request
    wire_check.reset();
    inbound_model.reset();  // a partial inbound frame is forgotten
  }

  void connect() {
    handler h{*this};
    if (connected) {
      // A reconnect: the session disconnects first.
      s.connect(now, h);
      FUZZ_CHECK(!outstanding);
      unanswered.fill(false);
    } else {
      s.connect(now, h);
    }
    connected = true;
    wire_check.reset();
    inbound_model.reset();
  }

  void run(fuzz::reader& in) {
    handler h{*this};
    for (int steps = 0; steps < 400 && !in.empty(); ++steps) {
      switch (in.u8() % 7u) {
        case 0: {
          receive(in.take(in.u8()), h);
          break;
        }
        case 1: {
          const std::uint8_t v = in.u8();
          // Small steps around the 10 ms gap and large ones across the 4 s deadline.
          now += (v & 0x80u) ? std::chrono::milliseconds((v & 0x7Fu) * 50) : std::chrono::milliseconds(v);
          s.poll(now, h);
          break;
        }
        case 2: {
          const std::uint8_t id = in.u8();
          const auto body = in.take(in.u8() % 8u == 7u ? in.u8() + 100u : in.u8() % 12u);
          if constexpr (Role == vm::role::emulator) {
            const bool was_outstanding = outstanding;
            const std::uint64_t responses_before = s.stats().responses;
            outstanding_id = was_outstanding ? outstanding_id : id;
            if (!was_outstanding) outstanding = true;  // the model: a response must follow
            const vm::session_error e = s.send_request(id, body, now, h);
            if (was_outstanding) {
              FUZZ_CHECK(e == vm::session_error::request_outstanding);
            } else if (e == vm::session_error::would_block) {
              FUZZ_CHECK(connected && body.size() >= 2 && body.size() <= vm::max_message_size);
              outstanding = false;
            } else {
              FUZZ_CHECK(e == vm::session_error::ok);
              const bool local = !connected || body.size() < 2 || body.size() > vm::max_message_size;
              // A local answer was delivered at once; otherwise it is on its way.
              FUZZ_CHECK(local == (s.stats().responses == responses_before + 1));
            }
          } else {
            const vm::session_error e = s.respond(id, body);
            if (!connected) {
              FUZZ_CHECK(e == vm::session_error::not_connected);
            } else if (!unanswered[id]) {
              FUZZ_CHECK(e == vm::session_error::unknown_message_id);
            } else if (body.size() < 3 || body.size() > vm::max_message_size) {
              FUZZ_CHECK(e == vm::session_error::invalid_response);
            } else if (e == vm::session_error::ok) {
              unanswered[id] = false;
            } else {
              FUZZ_CHECK(e == vm::session_error::would_block);
            }
          }
          break;
        }
        case 3: write(in.u8() % 2u ? 1024u : in.u8()); break;
        case 4:
          if (in.u8() & 1u) {
            connect();
          } else {
            disconnect();
          }
          break;
        case 5: {
          const std::uint8_t which = in.u8();
          vm::session_error e{};
          if constexpr (Role == vm::role::emulator) {
            (void)which;
            e = s.notify_reset();
          } else {
            switch (which % 8u) {
              case 0: e = s.set_attention(which & 8u, which & 16u); break;
              case 1: e = s.power_off(); break;
              case 2: e = s.send_reset(); break;
              case 3: e = s.send_nmi(); break;
              case 4: e = s.graceful_shutdown(); break;
              case 5: e = s.enable_irq(which & 8u); break;
              case 6: e = s.enable_irq(false); break;
              default: {
                const std::uint8_t id = in.u8();
                e = s.discard(id);
                FUZZ_CHECK((e == vm::session_error::ok) == unanswered[id]);
                unanswered[id] = false;
                if (!connected) FUZZ_CHECK(e == vm::session_error::unknown_message_id);
                break;
              }
            }
            if (e == vm::session_error::ok) FUZZ_CHECK(connected);
            if (!connected && which % 8u != 7u) FUZZ_CHECK(e == vm::session_error::not_connected);
          }
          if constexpr (Role == vm::role::emulator) {
            if (!connected) FUZZ_CHECK(e == vm::session_error::not_connected);
          }
          break;
        }
        default: {
          // A well-formed frame, so that requests/responses with the right ids occur often.
          const std::uint8_t kind = in.u8();
          std::uint8_t id = in.u8();
          if (Role == vm::role::emulator && (kind & 1u)) id = outstanding_id;
          const auto payload = in.take(in.u8() % 16u);
          std::array<std::uint8_t, 64> body{};
          // Bmc: a quarter of the messages are responses (odd netfn), which a BMC never takes.
          body[0] = Role == vm::role::emulator || (kind & 0x0Cu) == 0x0Cu ? 0x1C : 0x18;
          body[1] = 0x01;
          std::copy(payload.begin(), payload.end(), body.begin() + 2);
          std::array<std::uint8_t, vm::max_message_frame_size(64)> wire{};
          vm::encode_result r{};
          if (kind & 2u) {
            // Codes 0x00–0x09 and VERSION; CAPABILITIES and VERSION carry one argument.
            const unsigned pick = (kind >> 2) % 11u;
            const auto code = static_cast<vm::command>(pick == 10u ? 0xFFu : pick);
            r = vm::encode_command(wire, code,
                                   std::span<const std::uint8_t>(body.data() + 2, vm::argument_count(code)));
          } else {
            r = vm::encode_message(wire, id, std::span<const std::uint8_t>(body.data(), 2 + payload.size()));
          }
          if (r) receive(std::span<const std::uint8_t>(wire.data(), r.size), h);
          break;
        }
      }
      check_state();
    }
  }
};

template <vm::role Role>
int one_input(const std::uint8_t* data, std::size_t size) {
  fuzz::reader in(std::span<const std::uint8_t>(data, size));
  typename harness<Role>::session_t::config cfg;
  const std::uint8_t setup = in.u8();
  cfg.caps = vm::capabilities::from_byte(in.u8());
  cfg.command_gap = std::chrono::milliseconds(setup & 0x1Fu);
  cfg.response_timeout = std::chrono::milliseconds(100 + (setup >> 5) * 1000);
  if (setup & 0x80u) cfg.assumed_caps = vm::capability::power;
  harness<Role> h(cfg);
  h.run(in);
  return 0;
}

}  // namespace fuzz_session
