// fuzz/fuzz_bt_device.cpp — bt::basic_device under random host register accesses and random BMC
// calls, checked after every call against an independent model written from the rules at the
// top of include/ipmikit/bt/device.hpp (theory of operation, rules for bad host behaviour).
//
// Input: [setup] [n] n control bytes, then the data stream (values, request and response bytes).
//   setup bit 0: config::deferred; bit 1: capacity 8 instead of 256 (overruns, response_too_long).
//   Each control byte o is an operation, o % 16:
//     0 read_control            1 read_buffer          2 write_control: o >> 4 < 8 → the bit
//       1 << (o >> 4), 8 → CLR_WR_PTR|H2B_ATN, 9 → 0, else a data byte (any combination)
//     3 write_buffer (a data byte)   4 read_interrupt_mask
//     5 write_interrupt_mask: o >> 4 = 0 B2H_IRQ_EN, 1 B2H_IRQ_EN|B2H_IRQ, 2 B2H_IRQ, 3 0,
//       4 BMC_HWRST, else a data byte
//     6 service()
//     7 respond: id (o >> 4) & 3 = right / previous / random (4 data bytes) / right; length
//       from the next control byte: 0–2, 3..20, max_body, max_body + 1 (bytes from the data
//       stream)
//     8 set_attention(o & 0x10)    9 set_busy(o & 0x10)    10 set_oem0(o & 0x10)
//     11 set_interrupts_enabled(o & 0x10)                  12 reset()
//     13 a well-behaved host writes a request: CLR_WR_PTR, Length, NetFn, Seq, Cmd, then
//        (next control byte % 24) data bytes, H2B_ATN; o & 0x10: the Length byte is one off;
//        o & 0x20: no CLR_WR_PTR first
//     14 a well-behaved host reads: BT_CTRL, and if B2H_ATN: H_BUSY, B2H_ATN, CLR_RD_PTR, Length,
//        Length bytes and (o >> 4) % 3 more, H_BUSY
//     15 read()/write() by register offset ((o >> 4) % 6 picks which; values from the data)
//
// Invariants (FUZZ_CHECK aborts), after every call:
//   * BT_CTRL equals the model's: H2B_ATN exactly while a request is announced and not taken
//     (immediate mode: only while the BMC holds B_BUSY), B2H_ATN, SMS_ATN, OEM0, H_BUSY (toggled
//     by every write of 1), B_BUSY == the BMC's set_busy;
//   * BT_INTMASK, irq() == BMC enable && B2H_IRQ_EN && pending, attention(), response_queued(),
//     written() and the statistics equal the model's;
//   * every event is the model's; a request is delivered (request_ready, pending_request())
//     exactly when the Length byte matched the bytes written since CLR_WR_PTR and it fit, and
//     holds exactly those bytes (netfn, cmd, data; the Seq separately); a new request's id
//     differs from all earlier ones; otherwise request_rejected, counted;
//   * every BMC2HOST byte read is the published response's byte at the model's position
//     (Length = body + 1, NetFn, the answered request's Seq, Cmd, cc, data) or 0xFF past the
//     end (counted);
//   * a response is published exactly when B2H_ATN and H_BUSY are both clear (at respond(), or
//     at the BT_CTRL write that clears the last of them); otherwise it is queued;
//   * respond() returns the model's device_error and a refused call changes nothing.
#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <cstdio>

#include "fuzz_bt.hpp"

namespace {

using namespace ipmikit;
using bt::event;
namespace cb = bt::control_bit;
namespace ib = bt::interrupt_bit;

// The model: what device.hpp's rules say the device must do.
template <std::size_t Capacity>
struct model {
  static constexpr std::size_t max_body = std::min<std::size_t>(Capacity, 256) - 2;

  bool deferred = false;
  // BT_CTRL
  bool h2b_atn = false;
  bool damaged = false;          // host writes dropped since the last CLR_WR_PTR
  bool request_damaged = false;  // … before the announced request's H2B_ATN
  bool b2h_atn = false;
  bool sms_atn = false;
  bool oem0 = false;
  bool h_busy = false;
  bool bmc_busy = false;
  // BT_INTMASK and the interrupt line
  bool irq_enable = false;
  bool irq_pending = false;
  std::uint8_t oem_mask = 0;
  bool bmc_irq = false;
  // HOST2BMC: every byte the host wrote since CLR_WR_PTR (past Capacity too, up to a limit).
  std::array<std::uint8_t, 1024> written{};
  std::size_t written_count = 0;
  // The request the BMC has.
  bool pending = false;
  std::uint8_t pending_seq = 0;
  std::array<std::uint8_t, Capacity> request{};
  std::size_t request_length = 0;
  // BMC2HOST: the published response (as the host reads it), the read position, the queue.
  std::array<std::uint8_t, 258> published{};
  std::size_t published_length = 0;
  std::size_t read_pos = 0;
  bool queued = false;
  std::array<std::uint8_t, 258> queue{};
  std::size_t queue_length = 0;
  bt::device_stats stats{};

  [[nodiscard]] std::uint8_t control() const {
    std::uint8_t v = 0;
    if (h2b_atn) v |= cb::h2b_atn;
    if (b2h_atn) v |= cb::b2h_atn;
    if (sms_atn) v |= cb::sms_atn;
    if (oem0) v |= cb::oem0;
    if (h_busy) v |= cb::h_busy;
    if (bmc_busy) v |= cb::b_busy;
    return v;
  }
  [[nodiscard]] std::uint8_t interrupt_mask() const {
    return static_cast<std::uint8_t>(oem_mask | (irq_enable ? ib::b2h_irq_enable : 0) |
                                     (irq_pending ? ib::b2h_irq : 0));
  }
  [[nodiscard]] bool irq() const { return bmc_irq && irq_enable && irq_pending; }
  [[nodiscard]] std::size_t written_reported() const { return std::min(written_count, Capacity + 1); }

  // SMS_ATN raises the interrupt when it comes up with B2H_IRQ_EN; clearing it withdraws an
  // interrupt unless B2H_ATN is still up.
  void set_sms(bool on) {
    if (on && !sms_atn && irq_enable) irq_pending = true;
    if (!on && sms_atn && !b2h_atn) irq_pending = false;
    sms_atn = on;
  }

  // A queued response goes to BMC2HOST once the host has finished with the previous one.
  void publish() {
    if (!queued || b2h_atn || h_busy) return;
    published = queue;
    published_length = queue_length;
    queued = false;
    queue_length = 0;
    b2h_atn = true;
    if (irq_enable) irq_pending = true;
  }

  // The BMC takes the announced request (unless it holds B_BUSY).
  event take() {
    if (bmc_busy) return event::none;
    h2b_atn = false;
    const std::size_t n = written_count;
    if (request_damaged || n > Capacity || n < bt::layout::min_request || written[0] != n - 1) {
      ++stats.rejected;
      return event::request_rejected;
    }
    const bool replaced = pending;
    if (replaced) ++stats.cancelled;  // the unanswered request is abandoned, and said so
    pending = true;
    pending_seq = written[2];
    request[0] = written[1];
    std::copy(written.begin() + 3, written.begin() + static_cast<std::ptrdiff_t>(n), request.begin() + 1);
    request_length = n - 2;
    ++stats.requests;
    return replaced ? event::request_replaced : event::request_ready;
  }

  event write_control(std::uint8_t bits) {
    if (bits & cb::clr_wr_ptr) {
      if (h2b_atn) {
        ++stats.writes_while_busy;  // the BMC owns HOST2BMC: the request stays intact…
        damaged = true;             // …and the next one is incomplete
      } else {
        written_count = 0;
        damaged = false;
      }
    }
    if (bits & cb::clr_rd_ptr) read_pos = 0;
    if (bits & cb::b2h_atn) b2h_atn = false;
    if (bits & cb::sms_atn) set_sms(false);
    if (bits & cb::h_busy) h_busy = !h_busy;
    publish();
    if (bits & cb::h2b_atn) {
      if (!h2b_atn) {
        request_damaged = damaged;
        damaged = false;
      }
      h2b_atn = true;
      if (!deferred) return take();
    }
    return event::none;
  }

  void write_buffer(std::uint8_t v) {
    if (h2b_atn) {
      ++stats.writes_while_busy;
      damaged = true;
      return;
    }
    if (written_count >= Capacity) ++stats.overruns;
    if (written_count < written.size()) written[written_count] = v;
    if (written_count <= Capacity) ++written_count;  // the device saturates at Capacity + 1
  }

  std::uint8_t read_buffer() {
    if (read_pos >= published_length) {
      ++stats.underruns;
      return 0xFF;
    }
    return published[read_pos++];
  }

  event write_interrupt_mask(std::uint8_t bits) {
    const bool was = irq_enable;
    irq_enable = (bits & ib::b2h_irq_enable) != 0;
    oem_mask = static_cast<std::uint8_t>(bits & ib::oem_mask);
    if (bits & ib::b2h_irq) irq_pending = false;
    if (irq_enable && !was && (b2h_atn || sms_atn)) irq_pending = true;
    if (!irq_enable) irq_pending = false;
    return (bits & ib::bmc_hwrst) ? event::bmc_reset_requested : event::none;
  }

  event service() { return h2b_atn ? take() : event::none; }

  event set_busy(bool on) {
    bmc_busy = on;
    if (!on && h2b_atn && !deferred) return take();
    return event::none;
  }

  void accept_response(std::span<const std::uint8_t> body) {
    // Length, NetFn/LUN, Seq, Cmd, cc, data…
    queue[0] = static_cast<std::uint8_t>(body.size() + 1);
    queue[1] = body[0];
    queue[2] = pending_seq;
    std::copy(body.begin() + 1, body.end(), queue.begin() + 3);
    queue_length = body.size() + 2;
    queued = true;
    pending = false;
    ++stats.responses;
    if (b2h_atn || h_busy) ++stats.responses_queued;
    publish();
  }

  // A request whose transaction was not over (unanswered, or its answer not read) is cancelled.
  event reset() { return fuzz_machine::reset_model(*this, pending || queued || b2h_atn || h_busy); }
};

bool same_stats(const bt::device_stats& a, const bt::device_stats& b) {
  return fuzz_machine::same_device_stats(a, b) && a.rejected == b.rejected &&
         a.responses_queued == b.responses_queued && a.overruns == b.overruns && a.underruns == b.underruns &&
         a.writes_while_busy == b.writes_while_busy;
}

template <std::size_t Capacity>
struct harness {
  using device_t = bt::basic_device<Capacity>;
  device_t d;
  model<Capacity> m;
  fuzz_machine::request_ids ids;  // the latest request's id, learnt from pending_request(), and the one before
  std::array<std::uint32_t, 64> seen_ids{};  // ids delivered so far (the first 64)
  std::size_t seen = 0;

  explicit harness(bool deferred) : d(typename device_t::config{deferred}) { m.deferred = deferred; }

  void check() {
    const std::uint8_t c = d.peek_control().value;
    if (c != m.control()) {
      std::fprintf(stderr, "BT_CTRL %02X, model %02X\n", c, m.control());
      FUZZ_CHECK(c == m.control());
    }
    FUZZ_CHECK(d.peek_control().b_busy() == m.bmc_busy);
    if (!m.deferred) FUZZ_CHECK(!d.peek_control().h2b_atn() || m.bmc_busy);
    FUZZ_CHECK(d.read_interrupt_mask() == m.interrupt_mask());
    FUZZ_CHECK(d.irq() == m.irq());
    FUZZ_CHECK(d.irq() == (d.interrupts_enabled() && m.irq_enable && m.irq_pending));
    FUZZ_CHECK(d.interrupts_enabled() == m.bmc_irq);
    FUZZ_CHECK(d.attention() == m.sms_atn);
    FUZZ_CHECK(d.response_queued() == m.queued);
    FUZZ_CHECK(d.written() == m.written_reported());
    FUZZ_CHECK(same_stats(d.stats(), m.stats));
    // Published while both B2H_ATN and H_BUSY are clear, never queued then.
    if (m.queued) FUZZ_CHECK(m.b2h_atn || m.h_busy);
    const auto p = fuzz_machine::check_pending(d, m.pending, ids,
                                               std::span<const std::uint8_t>(m.request.data(), m.request_length));
    if (p) FUZZ_CHECK(p->seq == m.pending_seq);
  }

  void on_event(event got, event want) {
    fuzz_machine::expect_same("event", got, want);
    if (!ipmikit::si::has_new_request(got)) return;
    const auto p = d.pending_request();
    FUZZ_CHECK(p.has_value());
    // Exactly the bytes written since CLR_WR_PTR: Length, NetFn, Seq, Cmd, Data.
    FUZZ_CHECK(p->bytes.size() + 2 == m.written_count);
    FUZZ_CHECK(m.written[0] == m.written_count - 1);
    FUZZ_CHECK(p->seq == m.written[2] && p->bytes[0] == m.written[1]);
    FUZZ_CHECK(std::equal(p->bytes.begin() + 1, p->bytes.end(), m.written.begin() + 3));
    for (std::size_t i = 0; i < seen; ++i) FUZZ_CHECK(seen_ids[i] != p->id);  // ids are fresh
    if (seen < seen_ids.size()) seen_ids[seen++] = p->id;
    ids.learn(p->id);
  }

  void write_control(std::uint8_t bits) {
    const bool was_queued = m.queued;
    const event want = m.write_control(bits);
    on_event(d.write_control(bits), want);
    // A queued response is published by exactly the write that leaves B2H_ATN and H_BUSY clear.
    if (was_queued && !m.queued) FUZZ_CHECK(d.peek_control().b2h_atn() && !d.peek_control().h_busy());
  }

  void write_buffer(std::uint8_t v) {
    m.write_buffer(v);
    d.write_buffer(v);
  }

  std::uint8_t read_control() {
    const std::uint8_t got = d.read_control().value;
    FUZZ_CHECK(got == m.control());
    return got;
  }

  std::uint8_t read_buffer() {
    const std::uint8_t want = m.read_buffer();
    return fuzz_machine::expect_byte("BMC2HOST", d.read_buffer(), want);
  }

  void write_interrupt_mask(std::uint8_t bits) { on_event(d.write_interrupt_mask(bits), m.write_interrupt_mask(bits)); }

  void respond(std::uint32_t rid, std::span<const std::uint8_t> bytes) {
    const std::uint8_t before = d.peek_control().value;
    const bool queued_before = d.response_queued();
    const bool accepted =
        fuzz_machine::respond_checked(d, m.stats, ids, m.pending, model<Capacity>::max_body, rid, bytes, [&] {
          // Refused: nothing changed (BT_CTRL, the queue, the pending request: check() compares).
          FUZZ_CHECK(d.peek_control().value == before);
          FUZZ_CHECK(d.response_queued() == queued_before);
        });
    if (accepted) m.accept_response(bytes);
  }

  template <class F>
  void step(F&& f) {
    f();
    check();
  }

  void host_request(std::size_t data_bytes, bool wrong_length, bool no_clear, fuzz::reader& data) {
    if (!no_clear) step([&] { write_control(cb::clr_wr_ptr); });
    const std::size_t n = 4 + data_bytes;
    const auto len = static_cast<std::uint8_t>(n - 1 + (wrong_length ? 1 : 0));
    step([&] { write_buffer(len); });
    for (std::size_t i = 1; i < n; ++i) step([&] { write_buffer(data.u8()); });
    step([&] { write_control(cb::h2b_atn); });
  }

  void host_read(unsigned extra) {
    const bt::control c(read_control());
    check();
    if (!c.b2h_atn()) return;
    if (!c.h_busy()) step([&] { write_control(cb::h_busy); });
    step([&] { write_control(cb::b2h_atn); });
    step([&] { write_control(cb::clr_rd_ptr); });
    const bool whole = m.published_length != 0;
    std::size_t length = 0;
    step([&] { length = read_buffer(); });
    if (whole) FUZZ_CHECK(length + 1 == m.published_length);
    for (std::size_t i = 0; i < length + extra; ++i) step([&] { (void)read_buffer(); });
    step([&] { write_control(cb::h_busy); });
  }

  void run(fuzz_machine::split_input& in) {
    fuzz::reader& c = in.ctrl;
    fuzz::reader& data = in.data;
    static constexpr std::array<std::uint8_t, 5> masks{ib::b2h_irq_enable, ib::b2h_irq_enable | ib::b2h_irq,
                                                        ib::b2h_irq, 0, ib::bmc_hwrst};
    while (!c.empty()) {
      const std::uint8_t o = c.u8();
      const unsigned hi = o >> 4;
      const bool on = (o & 0x10u) != 0;
      switch (o % 16u) {
        case 0: (void)read_control(); break;
        case 1: (void)read_buffer(); break;
        case 2: {
          std::uint8_t bits = 0;
          if (hi < 8) bits = static_cast<std::uint8_t>(1u << hi);
          else if (hi == 8) bits = cb::clr_wr_ptr | cb::h2b_atn;
          else if (hi > 9) bits = data.u8();
          write_control(bits);
          break;
        }
        case 3: write_buffer(data.u8()); break;
        case 4: FUZZ_CHECK(d.read_interrupt_mask() == m.interrupt_mask()); break;
        case 5: write_interrupt_mask(hi < masks.size() ? masks[hi] : data.u8()); break;
        case 6: on_event(d.service(), m.service()); break;
        case 7:
          fuzz_machine::respond_op<model<Capacity>::max_body>(
              hi, ids, c, data, [this](std::uint32_t rid, std::span<const std::uint8_t> bytes) { respond(rid, bytes); });
          break;
        case 8:
          m.set_sms(on);
          d.set_attention(on);
          break;
        case 9: on_event(d.set_busy(on), m.set_busy(on)); break;
        case 10:
          m.oem0 = on;
          d.set_oem0(on);
          break;
        case 11:
          m.bmc_irq = on;
          d.set_interrupts_enabled(on);
          break;
        case 12:
          on_event(d.reset(), m.reset());
          if (ids.have) ids.previous = ids.id;  // the pending request (if any) is gone: its id is stale
          break;
        case 13: host_request(c.u8() % 24u, (o & 0x10u) != 0, (o & 0x20u) != 0, data); break;
        case 14: host_read(hi % 3u); break;
        default:
          switch (hi % 6u) {
            case 0: FUZZ_CHECK(d.read(bt::register_offset::control) == m.control()); break;
            case 1: {
              const std::uint8_t want = m.read_buffer();
              FUZZ_CHECK(d.read(bt::register_offset::buffer) == want);
              break;
            }
            case 2: FUZZ_CHECK(d.read(bt::register_offset::interrupt_mask) == m.interrupt_mask()); break;
            case 3: {
              const std::uint8_t v = data.u8();
              on_event(d.write(bt::register_offset::control, v), m.write_control(v));
              break;
            }
            case 4: {
              const std::uint8_t v = data.u8();
              m.write_buffer(v);
              on_event(d.write(bt::register_offset::buffer, v), event::none);
              break;
            }
            default: {
              const std::uint8_t v = data.u8();
              on_event(d.write(bt::register_offset::interrupt_mask, v), m.write_interrupt_mask(v));
              break;
            }
          }
          break;
      }
      check();
    }
  }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  return fuzz_machine::device_target<harness, 8, ipmikit::bt::default_capacity>(data, size);
}
