// fuzz/fuzz_kcs_device.cpp — kcs::basic_device under random host register accesses and random
// BMC calls, checked after every call against an independent model written from the rules at
// the top of include/ipmikit/kcs/device.hpp.
//
// Input: [setup] [n] n control bytes, then the data stream (values, request and response bytes).
//   setup bit 0: config::deferred; bit 1: capacity 6 instead of 272 (to reach length_error).
//   Each control byte o is an operation, o % 16:
//     0 read_status          1 read_data           2 write_command (o>>4 < 4: 60/61/62/68, else a data byte)
//     3 write_data (o>>4: 0 → 0x68, 1 → 0x00, else a data byte)      4 service()
//     5 respond: id (o>>4)&3 = right / previous / random (4 data bytes) / right; length from the
//       next control byte: 0–2, 3..20, capacity, capacity + 1 (bytes from the data stream)
//     6 set_attention(o & 0x10)   7 force_abort(code: o>>4 picks one)   8 reset()
//     9 set_interrupts_enabled(o & 0x10)   10 set_oem_bits(o >> 4)
//     11 a well-behaved host writes a whole request of (next control byte % 24) bytes
//        (clear OBF, write, service() in deferred mode, for each step)
//     12 a well-behaved host reads the response (status, READ, Data_Out … until IDLE)
//     13 read()/write() by register offset (o>>4 picks which; the value is a data byte)
//     14, 15 respond to the pending request with the right id and (o>>4) + 3 bytes
//
// Invariants (FUZZ_CHECK aborts), after every call:
//   * phase(), last_error(), the whole status register (state bits = the phase's state, IBF
//     only in deferred mode with a write latched, OBF, SMS_ATN, C/D = the last write's
//     register, OEM bits), irq() = interrupts_enabled && (OBF || fresh attention), and the
//     statistics equal the model's;
//   * every event (request_ready, request_cancelled) is the model's; pending_request() is
//     there exactly in wait_response and holds exactly the data bytes the host wrote since the
//     last accepted WRITE_START; a new request's id differs from the previous one;
//   * every Data_Out read returns the model's byte: the dummy 0x00, the status code, or the
//     accepted response's byte at the model's position;
//   * respond() returns the model's device_error (no_request, stale_request,
//     response_too_short, response_too_long) and a refused call changes nothing.
#include <array>
#include <cstddef>
#include <cstdint>
#include <cstdio>

#include "fuzz_kcs.hpp"

namespace {

using namespace ipmikit;
using kcs::device_phase;
using kcs::event;

// The model: what device.hpp's rules say the device must do.
template <std::size_t Capacity>
struct model {
  enum class latch : std::uint8_t { none, write, overrun };

  bool deferred = false;
  device_phase phase = device_phase::idle;
  kcs::error_code error = kcs::error_code::no_error;
  bool obf = false;
  std::uint8_t data_out = 0;
  bool command_data = false;
  bool attention = false;
  bool atn_irq = false;
  bool irq_enabled = false;
  std::uint8_t oem = 0;  // bits 5:4 of the status register
  latch latched = latch::none;
  bool latched_command = false;
  std::uint8_t latched_value = 0;
  std::array<std::uint8_t, Capacity> request{};
  std::size_t request_length = 0;
  std::array<std::uint8_t, Capacity> response{};
  std::size_t response_length = 0;
  std::size_t position = 0;  // response bytes handed to Data_Out
  kcs::device_stats stats{};

  [[nodiscard]] bool serving() const { return phase == device_phase::wait_response || phase == device_phase::read; }

  void output(std::uint8_t byte) {
    data_out = byte;
    obf = true;
  }

  event drop() {
    const bool had = serving();
    request_length = 0;
    response_length = 0;
    position = 0;
    if (had) ++stats.cancelled;
    return had ? event::request_cancelled : event::none;
  }

  event enter_error(kcs::error_code why) {
    const event e = drop();
    if (error == kcs::error_code::no_error) error = why;  // the first error since WRITE_START
    phase = device_phase::error;
    output(kcs::dummy_byte);
    ++stats.errors;
    return e;
  }

  event command(std::uint8_t code) {
    switch (code) {
      case 0x60: {  // GET_STATUS/ABORT: accepted in every phase
        ++stats.aborts;
        // "a transfer in progress": writing a request or serving one (not idle, not error,
        // not an abort sequence: a repeated abort reports what the first one would have).
        const bool in_transfer = phase == device_phase::write || phase == device_phase::write_last || serving();
        const event e = drop();
        if (error == kcs::error_code::no_error && in_transfer) error = kcs::error_code::aborted_by_command;
        phase = device_phase::abort_status;
        output(kcs::dummy_byte);
        return e;
      }
      case 0x61: {  // WRITE_START: accepted in every phase, clears the error code
        const event e = drop();
        error = kcs::error_code::no_error;
        phase = device_phase::write;
        output(kcs::dummy_byte);
        return e;
      }
      case 0x62:
        if (phase != device_phase::write) return enter_error(kcs::error_code::illegal_control_code);
        phase = device_phase::write_last;
        output(kcs::dummy_byte);
        return event::none;
      default: return enter_error(kcs::error_code::illegal_control_code);
    }
  }

  event data(std::uint8_t value) {
    switch (phase) {
      case device_phase::write:
      case device_phase::write_last:
        if (request_length == Capacity) return enter_error(kcs::error_code::length_error);
        request[request_length++] = value;
        if (phase == device_phase::write) {
          output(kcs::dummy_byte);
          return event::none;
        }
        phase = device_phase::wait_response;  // READ state, OBF untouched
        ++stats.requests;
        return event::request_ready;
      case device_phase::read:
        if (value != 0x68) return enter_error(kcs::error_code::illegal_control_code);
        if (position < response_length) {
          output(response[position++]);
        } else {
          phase = device_phase::idle;
          response_length = position = 0;
          output(kcs::dummy_byte);
        }
        return event::none;
      case device_phase::abort_status:  // step 2: any value
        phase = device_phase::abort_read;
        output(static_cast<std::uint8_t>(error));
        return event::none;
      case device_phase::abort_read:  // step 3: any value
        phase = device_phase::idle;
        error = kcs::error_code::no_error;
        output(kcs::dummy_byte);
        return event::none;
      default: return enter_error(kcs::error_code::unspecified);
    }
  }

  event handle(bool is_command, std::uint8_t value) { return is_command ? command(value) : data(value); }

  event host_write(bool is_command, std::uint8_t value) {
    command_data = is_command;
    if (latched != latch::none) {
      ++stats.overruns;
      if (is_command && value == 0x60) {
        latched = latch::write;
        latched_command = true;
        latched_value = value;
      } else {
        latched = latch::overrun;
      }
      return event::none;
    }
    if (deferred) {
      latched = latch::write;
      latched_command = is_command;
      latched_value = value;
      return event::none;
    }
    return handle(is_command, value);
  }

  event service() {
    if (latched == latch::none) return event::none;
    const latch l = latched;
    latched = latch::none;
    if (l == latch::overrun) return enter_error(kcs::error_code::unspecified);
    return handle(latched_command, latched_value);
  }

  std::uint8_t read_data() {
    if (!obf) ++stats.stray_data_reads;
    obf = false;
    return data_out;
  }

  event reset() { return fuzz_machine::reset_model(*this, serving()); }

  [[nodiscard]] std::uint8_t status() const {
    std::uint8_t v = static_cast<std::uint8_t>(static_cast<unsigned>(fuzz_kcs::state_of(phase)) << 6);
    v = static_cast<std::uint8_t>(v | oem);
    if (obf) v |= kcs::status_bit::obf;
    if (latched != latch::none) v |= kcs::status_bit::ibf;
    if (attention) v |= kcs::status_bit::sms_atn;
    if (command_data) v |= kcs::status_bit::command_data;
    return v;
  }
};

bool same_stats(const kcs::device_stats& a, const kcs::device_stats& b) {
  return fuzz_machine::same_device_stats(a, b) && a.aborts == b.aborts && a.errors == b.errors &&
         a.overruns == b.overruns && a.stray_data_reads == b.stray_data_reads;
}

template <std::size_t Capacity>
struct harness {
  using device_t = kcs::basic_device<Capacity>;
  device_t d;
  model<Capacity> m;
  fuzz_machine::request_ids ids;  // the pending request's id, learnt from pending_request(), and the one before

  explicit harness(bool deferred) : d(typename device_t::config{deferred}) { m.deferred = deferred; }

  void check() {
    FUZZ_CHECK(d.phase() == m.phase);
    FUZZ_CHECK(d.last_error() == m.error);
    const kcs::status s = d.peek_status();
    FUZZ_CHECK(s.state() == fuzz_kcs::state_of(d.phase()));
    if (s.value != m.status()) {
      std::fprintf(stderr, "status %02X, model %02X, phase %s\n", s.value, m.status(),
                   kcs::name(m.phase).data());
      FUZZ_CHECK(s.value == m.status());
    }
    if (!m.deferred) FUZZ_CHECK(!s.ibf());
    FUZZ_CHECK(d.irq() == (d.interrupts_enabled() && (s.obf() || m.atn_irq)));
    FUZZ_CHECK(d.interrupts_enabled() == m.irq_enabled);
    FUZZ_CHECK(d.attention() == m.attention);
    FUZZ_CHECK(same_stats(d.stats(), m.stats));
    (void)fuzz_machine::check_pending(d, m.phase == device_phase::wait_response, ids,
                                      std::span<const std::uint8_t>(m.request.data(), m.request_length));
  }

  void on_event(event got, event want) {
    fuzz_machine::expect_same("event", got, want);
    if (got == event::request_ready) {
      const auto p = d.pending_request();
      FUZZ_CHECK(p.has_value());
      if (ids.have) FUZZ_CHECK(p->id != ids.id);  // the old id must now be stale
      ids.learn(p->id);
    }
  }

  void write(bool is_command, std::uint8_t value) {
    const event want = m.host_write(is_command, value);
    const event got = is_command ? d.write_command(value) : d.write_data(value);
    on_event(got, want);
  }

  void write_at(kcs::register_offset r, std::uint8_t value) {
    const bool is_command = r == kcs::register_offset::status;
    const event want = m.host_write(is_command, value);
    on_event(d.write(r, value), want);
  }

  void service() {
    const event want = m.service();
    on_event(d.service(), want);
  }

  std::uint8_t read_status() {
    const std::uint8_t want = m.status();
    m.atn_irq = false;
    const std::uint8_t got = d.read_status();
    FUZZ_CHECK(got == want);
    return got;
  }

  std::uint8_t read_data() {
    const std::uint8_t want = m.read_data();
    return fuzz_machine::expect_byte("Data_Out", d.read_data(), want);
  }

  void respond(std::uint32_t rid, std::span<const std::uint8_t> bytes) {
    const kcs::status before = d.peek_status();
    const auto phase_before = d.phase();
    const bool accepted = fuzz_machine::respond_checked(
        d, m.stats, ids, m.phase == device_phase::wait_response, Capacity, rid, bytes, [&] {
          FUZZ_CHECK(d.peek_status().value == before.value);  // refused: nothing changed
          FUZZ_CHECK(d.phase() == phase_before);
        });
    if (!accepted) return;
    ++m.stats.responses;
    std::copy(bytes.begin(), bytes.end(), m.response.begin());
    m.response_length = bytes.size();
    m.position = 1;
    m.phase = device_phase::read;
    m.output(bytes[0]);
  }

  /// respond(), for fuzz_machine's respond operations.
  auto responder() {
    return [this](std::uint32_t rid, std::span<const std::uint8_t> bytes) { respond(rid, bytes); };
  }

  void host_request(std::size_t n, fuzz::reader& data) {
    const auto clear_and_write = [&](bool is_command, std::uint8_t v) {
      if (d.peek_status().obf()) (void)read_data();
      check();
      write(is_command, v);
      check();
      service();
      check();
    };
    clear_and_write(true, 0x61);
    for (std::size_t i = 0; i < n; ++i) {
      if (i + 1 == n) clear_and_write(true, 0x62);
      clear_and_write(false, data.u8());
    }
  }

  void host_read() {
    for (std::size_t i = 0; i < 2 * Capacity + 8; ++i) {
      const kcs::status s(read_status());
      check();
      if (s.state() != kcs::state::read || !s.obf()) break;
      (void)read_data();
      check();
      write(false, 0x68);
      check();
      service();
      check();
    }
    if (kcs::status(read_status()).obf()) (void)read_data();
  }

  void run(fuzz_machine::split_input& in) {
    fuzz::reader& c = in.ctrl;
    fuzz::reader& data = in.data;
    static constexpr std::array<std::uint8_t, 4> codes{0x60, 0x61, 0x62, 0x68};
    static constexpr std::array<kcs::error_code, 6> why{
        kcs::error_code::unspecified,        kcs::error_code::length_error,
        kcs::error_code::aborted_by_command, kcs::error_code::illegal_control_code,
        kcs::error_code::no_error,           static_cast<kcs::error_code>(0x41)};
    while (!c.empty()) {
      const std::uint8_t o = c.u8();
      const unsigned hi = o >> 4;
      switch (o % 16u) {
        case 0: (void)read_status(); break;
        case 1: (void)read_data(); break;
        case 2: write(true, hi < 4 ? codes[hi] : data.u8()); break;
        case 3: write(false, hi == 0 ? std::uint8_t{0x68} : hi == 1 ? std::uint8_t{0} : data.u8()); break;
        case 4: service(); break;
        case 5: fuzz_machine::respond_op<Capacity>(hi, ids, c, data, responder()); break;
        case 6:
          if ((o & 0x10u) && !m.attention) m.atn_irq = true;
          if (!(o & 0x10u)) m.atn_irq = false;
          m.attention = (o & 0x10u) != 0;
          d.set_attention((o & 0x10u) != 0);
          break;
        case 7: {
          const kcs::error_code w = why[hi % why.size()];
          on_event(d.force_abort(w), m.enter_error(w));
          break;
        }
        case 8: on_event(d.reset(), m.reset()); break;
        case 9:
          m.irq_enabled = (o & 0x10u) != 0;
          d.set_interrupts_enabled((o & 0x10u) != 0);
          break;
        case 10:
          m.oem = static_cast<std::uint8_t>((hi & 3u) << 4);
          d.set_oem_bits(static_cast<std::uint8_t>(hi));
          break;
        case 11: host_request(c.u8() % 24u, data); break;
        case 12: host_read(); break;
        case 13:
          switch (hi % 4u) {
            case 0: FUZZ_CHECK(d.read(kcs::register_offset::status) == m.status()); m.atn_irq = false; break;
            case 1: {
              const std::uint8_t want = m.read_data();
              FUZZ_CHECK(d.read(kcs::register_offset::data) == want);
              break;
            }
            case 2: write_at(kcs::register_offset::status, data.u8()); break;
            default: write_at(kcs::register_offset::data, data.u8()); break;
          }
          break;
        default:
          fuzz_machine::respond_with<Capacity>(ids.id, std::min<std::size_t>(hi + 3u, Capacity), data, responder());
          break;
      }
      check();
    }
  }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  return fuzz_machine::device_target<harness, 6, ipmikit::kcs::default_capacity>(data, size);
}
