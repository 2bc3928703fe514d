// fuzz/fuzz_ssif_device.cpp — ssif::basic_device under arbitrary SMBus Block Writes and Block
// Reads (any command, 0–40 bytes, with no / the right / a wrong PEC) and random BMC calls,
// checked after every call against an independent model written from the theory of operation
// and the rules for bad host behaviour at the top of include/ipmikit/ssif/device.hpp.
//
// Input: [setup] [n] n control bytes, then the data stream (write bytes, response bytes).
//   setup: bit 0 config::pec; bits 2:1 transactions (0 single-part, 1 start/end, 2-3
//   start/middle/end); bit 3 capacity 40 (else 255); bit 4 answer_capabilities off; bits 7:5
//   the address - 0x10.
//   Each control byte o is an operation, o % 16:
//     0 Block Write: command by (o >> 4) & 7 from 02 06 07 08 03 09 0A (7: a data byte); the
//       next control byte l: length l % 41, PEC by l >> 6: none, right, wrong, none; bytes
//       from the data stream
//     1 Block Read: command by (o >> 4) & 7 from 03 09 03 09 02 0A 07 (7: a data byte)
//     2 respond: id (o >> 4) & 3 = right / previous / random (4 data bytes) / right; length
//       by the next control byte (0–2, 3..20, max_response, max_response + 1)
//     3 reset()    4 set_attention(o & 0x10, o & 0x20)    5 set_interrupts_enabled(o & 0x10)
//     6 service()
//     7 a well-behaved host writes a request of 2 + (next control byte % max_request - 1)
//       bytes as 02 or 06, 07…, 08; o & 0x10 with PEC; o & 0x20 end with a short (or empty)
//       07 instead of 08; o & 0x40 the NetFn/Cmd of Get System Interface Capabilities
//     8 a well-behaved host reads: 03, then 09 until FF (at most 12); the block's PEC checked
//     9 (o >> 4) % 4: 0 the BMC answers the pending request at once with (next control byte)
//       bytes; 1 a single 09 read; 2 03 read; 3 Get System Interface Capabilities with type
//       (o >> 6)
//     10-15 as 0 (Block Write) with the command taken from the write sequence a host uses
//
// Invariants (FUZZ_CHECK aborts), after every call:
//   * every write's ack, fault and event, every read's ack, count, fault, block bytes and PEC
//     are the model's; fault() is the last one;
//   * a request handed to the BMC (request_ready, pending_request()) is exactly the bytes of the
//     accepted writes since the 02h or 06h that began it, its id is larger than every earlier
//     one; request_replaced exactly when an unanswered request is replaced;
//   * respond() returns the model's device_error; a refused call changes nothing;
//   * a response read back (03h, then 09h until FFh) reassembles to exactly the responded bytes
//     with ssif.md §2's framing (but a 32-byte one starting 00 01, ambiguous; ≤ 32 single; else 00 01 + 30, middles numbered 0, 1, …, + 31,
//     FF + 1–31); reads are NAKed while the BMC has not answered; a PEC (right) is sent exactly
//     when config::pec or a write carried a right PEC since the last reset;
//   * reset() cancels (request_cancelled, counted) exactly when a request the BMC had is not
//     finished (unanswered, or its response not read to its end);
//   * irq(), attention(), writing(), reading() and every statistic are the model's;
//     requests = responses + (cancelled before an answer) + pending.
#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <cstdio>

#include "fuzz_ssif.hpp"

namespace {

using namespace ipmikit;
using si::event;
using ssif::fault;
using tsupport = cmd::ssif_transaction_support;

constexpr std::uint8_t c_single = 0x02, c_read = 0x03, c_start = 0x06, c_middle = 0x07, c_end = 0x08,
                       c_next = 0x09, c_retry = 0x0A;

// The model: what device.hpp's rules say the device must do.
template <std::size_t Capacity>
struct model {
  static constexpr std::size_t max_body = std::min<std::size_t>(Capacity, 255);

  std::uint8_t address = 0x10;
  tsupport transactions = tsupport::start_middle_end;
  bool pec = false;
  bool answer_capabilities = true;

  bool writing = false;
  std::array<std::uint8_t, 600> incoming{};
  std::size_t incoming_length = 0;
  bool pending = false;
  std::array<std::uint8_t, 256> request{};
  std::size_t request_length = 0;
  bool bmc_response = false;  // the response is the BMC's (not the device's own)
  std::array<std::uint8_t, 256> response{};
  std::size_t response_length = 0;
  bool response_read = false;
  bool reading = false;
  std::size_t offset = 0;
  std::uint8_t number = 0;
  bool host_pec = false;
  bool attention = false;
  bool alert = false;
  bool irq_enabled = false;
  fault last = fault::none;
  std::uint64_t cancelled_unanswered = 0;
  ssif::device_stats stats{};

  [[nodiscard]] std::size_t max_request() const {
    switch (transactions) {
      case tsupport::single_part: return 32;
      case tsupport::start_end: return std::min<std::size_t>(max_body, 64);
      default: return max_body;
    }
  }
  [[nodiscard]] std::size_t max_response() const {
    switch (transactions) {
      case tsupport::single_part: return 32;
      case tsupport::start_end: return std::min<std::size_t>(max_body, 61);
      default: return max_body;
    }
  }
  [[nodiscard]] bool irq() const {
    return irq_enabled && ((response_length != 0 && !response_read && !pending) || alert);
  }
  [[nodiscard]] bool sends_pec() const { return pec || host_pec; }

  ssif::write_result nak(fault f) {
    if (f != fault::pec_mismatch) ++stats.refused;
    last = f;
    return {false, event::none, f};
  }
  ssif::write_result reject(fault f) {
    writing = false;
    incoming_length = 0;
    ++stats.rejected;
    last = f;
    return {false, event::request_rejected, f};
  }
  ssif::write_result ack(event e) {
    ++stats.writes;
    last = fault::none;
    return {true, e, fault::none};
  }
  void abandon() {
    if (writing) ++stats.writes_abandoned;
    writing = false;
    incoming_length = 0;
  }
  void publish(std::span<const std::uint8_t> b, bool bmc) {
    std::copy(b.begin(), b.end(), response.begin());
    response_length = b.size();
    response_read = false;
    reading = false;
    bmc_response = bmc;
  }

  // The whole request in `incoming` was written.
  event complete() {
    const std::span<const std::uint8_t> r(incoming.data(), incoming_length);
    if (response_length != 0 && !response_read) ++stats.responses_unread;
    response_length = 0;
    reading = false;
    const bool had = pending;
    pending = false;
    if (had) {
      ++stats.cancelled;
      ++cancelled_unanswered;
    }
    if (answer_capabilities && (r[0] & 0xFC) == 0x18 && r[1] == 0x57) {  // App, Get System Interface Capabilities
      ++stats.capabilities;
      std::array<std::uint8_t, 7> a{static_cast<std::uint8_t>(r[0] | 4), 0x57, 0x00, 0x00, 0, 0, 0};
      std::size_t n = 3;
      if (r.size() < 3) a[2] = 0xC7;
      else if ((r[2] & 0x0F) != 0) a[2] = 0xCC;
      else {
        a[4] = static_cast<std::uint8_t>((static_cast<unsigned>(transactions) << 6) | (pec ? 8u : 0u));
        a[5] = static_cast<std::uint8_t>(max_request());
        a[6] = static_cast<std::uint8_t>(max_response());
        n = 7;
      }
      publish(std::span<const std::uint8_t>(a.data(), n), false);
      return had ? event::request_cancelled : event::none;
    }
    std::copy(r.begin(), r.end(), request.begin());
    request_length = r.size();
    pending = true;
    ++stats.requests;
    return had ? event::request_replaced : event::request_ready;
  }

  ssif::write_result write(std::uint8_t command, std::span<const std::uint8_t> data, std::optional<std::uint8_t> p) {
    if (p) {
      if (*p != fuzz_ssif::write_pec(address, command, data)) {
        ++stats.pec_errors;
        return nak(fault::pec_mismatch);
      }
      host_pec = true;
    }
    if (data.size() > 32) return reject(fault::bad_length);
    switch (command) {
      case c_single:
        abandon();
        if (data.size() < 2) return reject(fault::bad_length);
        std::copy(data.begin(), data.end(), incoming.begin());
        incoming_length = data.size();
        return ack(complete());
      case c_start:
        if (transactions == tsupport::single_part) return reject(fault::not_supported);
        abandon();
        if (data.size() != 32) return reject(fault::bad_length);
        std::copy(data.begin(), data.end(), incoming.begin());
        incoming_length = 32;
        writing = true;
        return ack(event::none);
      case c_middle:
      case c_end: {
        if (!writing) return reject(fault::out_of_order);
        const bool full_middle = command == c_middle && data.size() == 32;
        if (full_middle && transactions != tsupport::start_middle_end) return reject(fault::not_supported);
        if (incoming_length + data.size() > max_request()) return reject(fault::bad_length);
        std::copy(data.begin(), data.end(), incoming.begin() + static_cast<std::ptrdiff_t>(incoming_length));
        incoming_length += data.size();
        if (full_middle) return ack(event::none);
        writing = false;
        return ack(complete());
      }
      default: return nak(fault::unsupported_command);
    }
  }

  // A read: the block in `out`, its count; nullopt if NAKed.
  std::optional<std::size_t> read(std::uint8_t command, std::array<std::uint8_t, 32>& out) {
    std::size_t n = 0;
    if (command == c_read) {
      if (pending || response_length == 0) {
        ++stats.not_ready;
        last = fault::not_ready;
        return std::nullopt;
      }
      if (response_read) ++stats.rereads;
      if (response_length <= 32) {
        std::copy_n(response.begin(), response_length, out.begin());
        n = response_length;
        reading = false;
        response_read = true;
      } else {
        out[0] = 0x00;
        out[1] = 0x01;
        std::copy_n(response.begin(), 30, out.begin() + 2);
        n = 32;
        offset = 30;
        number = 0;
        reading = true;
      }
    } else if (command == c_next) {
      if (!reading) {
        ++stats.refused;
        last = fault::out_of_order;
        return std::nullopt;
      }
      const std::size_t left = response_length - offset;
      const std::size_t k = std::min<std::size_t>(left, 31);
      out[0] = left > 31 ? number++ : 0xFF;
      std::copy_n(response.begin() + static_cast<std::ptrdiff_t>(offset), k, out.begin() + 1);
      offset += k;
      n = k + 1;
      if (left <= 31) {
        reading = false;
        response_read = true;
      }
    } else {
      ++stats.refused;
      last = fault::unsupported_command;
      return std::nullopt;
    }
    ++stats.reads;
    last = fault::none;
    return n;
  }

  void respond(std::span<const std::uint8_t> b) {
    publish(b, true);
    pending = false;
    ++stats.responses;
  }

  event reset() {
    const bool had = pending || (bmc_response && response_length != 0 && !response_read);
    if (pending) ++cancelled_unanswered;
    auto kept = stats;
    const auto cu = cancelled_unanswered;
    const model cfg = *this;
    *this = model{};
    address = cfg.address;
    transactions = cfg.transactions;
    pec = cfg.pec;
    answer_capabilities = cfg.answer_capabilities;
    if (had) ++kept.cancelled;
    stats = kept;
    cancelled_unanswered = cu;
    return had ? event::request_cancelled : event::none;
  }
};

bool same_stats(const ssif::device_stats& a, const ssif::device_stats& b) {
  return fuzz_machine::same_device_stats(a, b) && a.writes == b.writes && a.reads == b.reads &&
         a.not_ready == b.not_ready && a.rejected == b.rejected && a.refused == b.refused &&
         a.pec_errors == b.pec_errors && a.writes_abandoned == b.writes_abandoned &&
         a.responses_unread == b.responses_unread && a.rereads == b.rereads && a.capabilities == b.capabilities;
}

template <std::size_t Capacity>
struct harness {
  using device_t = ssif::basic_device<Capacity>;
  device_t d;
  model<Capacity> m;
  fuzz_machine::request_ids ids;
  std::uint32_t highest = 0;
  bool any = false;
  fuzz::reader* data = nullptr;

  static typename device_t::config config(std::uint8_t s) {
    typename device_t::config c;
    c.pec = (s & 1u) != 0;
    c.transactions = fuzz_ssif::transactions(s >> 1);
    c.answer_capabilities = (s & 0x10u) == 0;
    c.address = static_cast<std::uint8_t>(0x10 + (s >> 5));
    return c;
  }

  explicit harness(std::uint8_t s) : d(config(s)) {
    const auto c = config(s);
    m.address = c.address;
    m.transactions = c.transactions;
    m.pec = c.pec;
    m.answer_capabilities = c.answer_capabilities;
  }

  void check() {
    FUZZ_CHECK(d.max_request() == m.max_request() && d.max_response() == m.max_response());
    FUZZ_CHECK(d.writing() == m.writing);
    FUZZ_CHECK(d.reading() == m.reading);
    FUZZ_CHECK(d.fault() == m.last);
    FUZZ_CHECK(d.attention() == m.attention);
    FUZZ_CHECK(d.interrupts_enabled() == m.irq_enabled);
    FUZZ_CHECK(d.irq() == m.irq());
    if (!same_stats(d.stats(), m.stats)) {
      const auto& a = d.stats();
      const auto& b = m.stats;
      std::fprintf(stderr,
                   "stats: req %llu/%llu rsp %llu/%llu cancelled %llu/%llu rejected %llu/%llu refused %llu/%llu "
                   "not_ready %llu/%llu unread %llu/%llu\n",
                   (unsigned long long)a.requests, (unsigned long long)b.requests, (unsigned long long)a.responses,
                   (unsigned long long)b.responses, (unsigned long long)a.cancelled, (unsigned long long)b.cancelled,
                   (unsigned long long)a.rejected, (unsigned long long)b.rejected, (unsigned long long)a.refused,
                   (unsigned long long)b.refused, (unsigned long long)a.not_ready, (unsigned long long)b.not_ready,
                   (unsigned long long)a.responses_unread, (unsigned long long)b.responses_unread);
      FUZZ_CHECK(same_stats(d.stats(), m.stats));
    }
    // Every request the BMC got is answered, abandoned before its answer, or still waiting.
    const auto& st = d.stats();
    FUZZ_CHECK(st.requests == st.responses + m.cancelled_unanswered + (m.pending ? 1u : 0u));
    FUZZ_CHECK(st.cancelled <= st.requests);
    (void)fuzz_machine::check_pending(d, m.pending, ids,
                                      std::span<const std::uint8_t>(m.request.data(), m.request_length));
  }

  void on_event(event got, event want) {
    fuzz_machine::expect_same("event", got, want);
    if (!si::has_new_request(got)) return;
    const auto p = d.pending_request();
    FUZZ_CHECK(p.has_value());
    FUZZ_CHECK(!any || p->id > highest);  // ids increase
    highest = p->id;
    any = true;
    ids.learn(p->id);
  }

  void write(std::uint8_t command, std::span<const std::uint8_t> bytes, std::optional<std::uint8_t> pec) {
    const ssif::write_result want = m.write(command, bytes, pec);
    const ssif::write_result got = d.block_write(command, bytes, pec);
    if (got.ack != want.ack || got.fault != want.fault) {
      std::fprintf(stderr, "write %02X (%zu bytes%s): ack %d %s, model %d %s\n", command, bytes.size(),
                   pec ? ", PEC" : "", got.ack, ssif::name(got.fault).data(), want.ack, ssif::name(want.fault).data());
      FUZZ_CHECK(got.ack == want.ack && got.fault == want.fault);
    }
    on_event(got.event, want.event);
  }

  // A read; the block (empty if NAKed).
  std::span<const std::uint8_t> read(std::uint8_t command, std::array<std::uint8_t, 32>& out) {
    std::array<std::uint8_t, 32> want{};
    const auto n = m.read(command, want);
    const ssif::read_result r = d.block_read(command, out);
    if (r.ack != n.has_value() || r.fault != m.last) {
      std::fprintf(stderr, "read %02X: ack %d %s, model %d %s\n", command, r.ack, ssif::name(r.fault).data(),
                   n.has_value(), ssif::name(m.last).data());
      FUZZ_CHECK(r.ack == n.has_value());
    }
    if (!r.ack) {
      FUZZ_CHECK(r.count == 0 && !r.pec);
      return {};
    }
    FUZZ_CHECK(r.count == *n && r.count <= 32 && r.count >= 1);
    FUZZ_CHECK(std::equal(out.begin(), out.begin() + r.count, want.begin()));
    const std::span<const std::uint8_t> block(out.data(), r.count);
    FUZZ_CHECK(r.pec.has_value() == m.sends_pec());
    if (r.pec) FUZZ_CHECK(*r.pec == fuzz_ssif::read_pec(m.address, command, block));
    return block;
  }

  void respond(std::uint32_t rid, std::span<const std::uint8_t> bytes) {
    const bool accepted = fuzz_machine::respond_checked(d, m.stats, ids, m.pending, m.max_response(), rid, bytes, [] {});
    if (accepted) m.respond(bytes);
  }

  // Data for a write: n bytes from the data stream (i past its end).
  template <std::size_t N>
  std::span<const std::uint8_t> bytes(std::size_t n, std::array<std::uint8_t, N>& buf) {
    const auto src = data->take(n);
    for (std::size_t i = 0; i < n; ++i) buf[i] = i < src.size() ? src[i] : static_cast<std::uint8_t>(i);
    return {buf.data(), n};
  }

  void raw_write(std::uint8_t command, std::uint8_t l) {
    std::array<std::uint8_t, 40> buf{};
    const auto b = bytes(l % 41u, buf);
    std::optional<std::uint8_t> pec;
    const std::uint8_t right = fuzz_ssif::write_pec(m.address, command, b);
    if ((l >> 6) == 1) pec = right;
    if ((l >> 6) == 2) pec = static_cast<std::uint8_t>(right ^ (1u + data->u8() % 255u));
    write(command, b, pec);
  }

  void host_request(std::uint8_t o, std::uint8_t l) {
    const std::size_t max = m.max_request();
    const std::size_t n = 2 + l % (max - 1);
    std::array<std::uint8_t, 256> buf{};
    auto r = bytes(n, buf);
    if (o & 0x40u) {
      buf[0] = 0x18;
      buf[1] = 0x57;
    }
    const bool with_pec = (o & 0x10u) != 0;
    const auto send = [&](std::uint8_t command, std::span<const std::uint8_t> part) {
      std::optional<std::uint8_t> pec;
      if (with_pec) pec = fuzz_ssif::write_pec(m.address, command, part);
      write(command, part, pec);
      check();
    };
    if (n <= 32) return send(c_single, r);
    send(c_start, r.first(32));
    std::size_t at = 32;
    while (n - at > 32) {
      send(c_middle, r.subspan(at, 32));
      at += 32;
    }
    if ((o & 0x20u) && n - at < 32) send(c_middle, r.subspan(at));  // QEMU's short middle as the end
    else if ((o & 0x20u) && n - at == 32) {
      send(c_middle, r.subspan(at));
      send(c_middle, {});  // a zero-length middle ends it (Linux's fallback)
    } else {
      send(c_end, r.subspan(at));
    }
  }

  void host_read() {
    std::array<std::uint8_t, 32> out{};
    fuzz_ssif::reassembler ra;
    const bool expect = !m.pending && m.response_length != 0;
    const std::array<std::uint8_t, 256> response = m.response;
    const std::size_t length = m.response_length;
    auto b = read(c_read, out);
    check();
    FUZZ_CHECK(b.empty() != expect);
    if (b.empty()) return;
    // A 32-byte response that starts 00 01 reads as a multi-part start (ssif.md §2 cannot tell
    // them apart; a real response's NetFn is odd, so its first byte is never 00).
    if (length == 32 && response[0] == 0x00 && response[1] == 0x01) {
      FUZZ_CHECK(b.size() == 32 && std::equal(b.begin(), b.end(), response.begin()));
      return;
    }
    auto st = ra.first(b);
    if (length <= 32) FUZZ_CHECK(st == fuzz_ssif::reassembler::state::whole && b.size() == length);
    for (int k = 0; k < 12 && st == fuzz_ssif::reassembler::state::more; ++k) {
      b = read(c_next, out);
      check();
      FUZZ_CHECK(!b.empty());
      // A middle block carries 31 bytes, the last one 1–31.
      if (b[0] == 0xFF) FUZZ_CHECK(b.size() >= 2);
      st = ra.next(b);
    }
    FUZZ_CHECK(st == fuzz_ssif::reassembler::state::whole);
    const auto msg = ra.message();
    FUZZ_CHECK(msg.size() == length && std::equal(msg.begin(), msg.end(), response.begin()));
    FUZZ_CHECK(!d.reading());
  }

  void run(fuzz_machine::split_input& in) {
    fuzz::reader& c = in.ctrl;
    data = &in.data;
    static constexpr std::array<std::uint8_t, 7> writes{c_single, c_start, c_middle, c_end, c_read, c_next, c_retry};
    static constexpr std::array<std::uint8_t, 7> reads{c_read, c_next, c_read, c_next, c_single, c_retry, c_middle};
    while (!c.empty()) {
      const std::uint8_t o = c.u8();
      const unsigned hi = o >> 4;
      const bool on = (o & 0x10u) != 0;
      switch (o % 16u) {
        case 0: {
          const std::uint8_t cmd = (hi & 7u) < 7 ? writes[hi & 7u] : data->u8();
          raw_write(cmd, c.u8());
          break;
        }
        case 1: {
          std::array<std::uint8_t, 32> out{};
          (void)read((hi & 7u) < 7 ? reads[hi & 7u] : data->u8(), out);
          break;
        }
        case 2: {
          const std::uint32_t rid = ids.pick(hi, *data);
          const std::size_t length = fuzz_machine::response_length(c.u8(), m.max_response());
          fuzz_machine::respond_with<device_t::max_body>(
              rid, length, *data, [this](std::uint32_t id, std::span<const std::uint8_t> b) { respond(id, b); });
          break;
        }
        case 3:
          on_event(d.reset(), m.reset());
          if (ids.have) ids.previous = ids.id;
          break;
        case 4:
          d.set_attention(on, (o & 0x20u) != 0);
          m.attention = on;
          m.alert = on && (o & 0x20u) != 0;
          break;
        case 5:
          d.set_interrupts_enabled(on);
          m.irq_enabled = on;
          break;
        case 6: on_event(d.service(), event::none); break;
        case 7: host_request(o, c.u8()); break;
        case 8: host_read(); break;
        case 9:
          switch (hi % 4u) {
            case 0:
              if (m.pending) {
                const std::size_t length = 3 + c.u8() % (m.max_response() - 2);
                fuzz_machine::respond_with<device_t::max_body>(
                    ids.id, length, *data, [this](std::uint32_t id, std::span<const std::uint8_t> b) { respond(id, b); });
              }
              break;
            case 1: {
              std::array<std::uint8_t, 32> out{};
              (void)read(c_next, out);
              break;
            }
            case 2: {
              std::array<std::uint8_t, 32> out{};
              (void)read(c_read, out);
              break;
            }
            default: {
              const std::array<std::uint8_t, 3> q{0x18, 0x57, static_cast<std::uint8_t>(o >> 6)};
              write(c_single, q, std::nullopt);
              break;
            }
          }
          break;
        default: {
          // The command a host would use next: a middle/end while writing, else a start/single.
          std::uint8_t cmd = m.writing ? ((o & 0x10u) ? c_end : c_middle) : ((o & 0x10u) ? c_single : c_start);
          if (o & 0x20u) cmd = m.reading ? c_next : cmd;
          if (cmd == c_next) {
            std::array<std::uint8_t, 32> out{};
            (void)read(cmd, out);
          } else {
            const std::uint8_t l = c.u8();
            // Mostly full blocks for starts and middles.
            raw_write(cmd, (cmd == c_start || cmd == c_middle) && !(l & 0x20u) ? static_cast<std::uint8_t>((l & 0xC0u) | 32u) : l);
          }
          break;
        }
      }
      check();
    }
  }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  fuzz::reader in(std::span<const std::uint8_t>(data, size));
  const std::uint8_t setup = in.u8();
  fuzz_machine::split_input split(in);
  fuzz_machine::with_capacity<40, ipmikit::ssif::max_message>((setup & 8u) != 0, [&](auto capacity) {
    harness<decltype(capacity)::value> h(setup);
    h.check();
    h.run(split);
  });
  return 0;
}
