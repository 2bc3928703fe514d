// ipmikit/bt/device.hpp — the BT register file a host sees, and the BMC behind it.
//
// What an emulator (QEMU's isa-ipmi-bt) or a BMC (Linux bt-bmc on an Aspeed iBT) implements.
// Host-facing: `read_control` / `write_control`, `read_buffer` / `write_buffer`,
// `read_interrupt_mask` / `write_interrupt_mask` (or `read`/`write` by register offset).
// BMC-facing: `pending_request()` once the host has set H2B_ATN over a well-formed request,
// `respond(id, bytes)`, `set_attention`, `set_busy`, and the interrupt line `irq()`.
// No I/O, no clock, no heap.
//
// ## Theory of operation (IPMI v2.0 §11.6–§11.7)
//
// The host writes a request into HOST2BMC (`CLR_WR_PTR`, then Length, NetFn/LUN, Seq, Cmd,
// Data…) and sets H2B_ATN. The BMC takes it: B_BUSY while it copies the buffer, H2B_ATN
// cleared, B_BUSY cleared once the copy is done (Linux bt-bmc's read()), so the host may write
// its next request while the BMC works. By default the device does all of that inside the
// H2B_ATN write; with `config::deferred` H2B_ATN stays set until the BMC calls `service()`.
//
// The BMC answers with respond(id, netfn/LUN, cmd, cc, data…): the device writes Length,
// NetFn/LUN, the request's Seq, Cmd, cc, data into BMC2HOST and sets B2H_ATN. If the host is
// still reading the previous response (B2H_ATN or H_BUSY set), the response is queued and
// published when the host clears both (Linux bt-bmc's write() waits for the same). The host
// then sets H_BUSY, clears B2H_ATN, CLR_RD_PTR, reads Length and the bytes, clears H_BUSY.
//
// BT_CTRL writes are actions, applied in this order within one write: CLR_WR_PTR, CLR_RD_PTR,
// clear B2H_ATN, clear SMS_ATN, toggle H_BUSY, set H2B_ATN. H_BUSY toggles (IPMI v2.0
// Table 11-1, as Linux ipmi_bt_sm's comment quotes it: "write 1 to toggle"); B_BUSY and OEM0
// are the BMC's and host writes to them are ignored.
//
// ## Rules for bad host behaviour (each has a named test in tests/bt_device_test.cpp)
//
// - A request whose Length byte disagrees with the bytes written since CLR_WR_PTR, a request
//   shorter than Length, NetFn/LUN, Seq, Cmd, or one that overran the buffer (more than
//   `Capacity` bytes written): rejected when H2B_ATN is set (`event::request_rejected`,
//   counted); H2B_ATN and B_BUSY end clear, so the host's wait for a response times out and it
//   retries. (QEMU leaves B_BUSY set after a wrong Length byte.)
// - Bytes written past `Capacity`: dropped and counted (`overruns`); the request is rejected.
// - BMC2HOST read past the response's end: 0xFF, counted (`underruns`).
// - HOST2BMC writes and CLR_WR_PTR while the BMC owns the buffer (H2B_ATN set and not yet
//   taken, deferred mode): dropped and counted (`writes_while_busy`); the announced request is
//   intact, and the next one is rejected unless the host starts it over with CLR_WR_PTR (its
//   bytes are incomplete, and without the dropped CLR_WR_PTR they would land after the old
//   request's: found by fuzz_bt_pair).
// - A new request while the BMC has not answered the previous one (the device reports one
//   outstanding request in Get BT Interface Capabilities): the new one replaces it, reported as
//   `event::request_replaced` (the old one is cancelled, counted in `cancelled`); a respond()
//   for the old id is refused as stale. A host retrying after a timeout does exactly this.
// - H2B_ATN while the BMC has set B_BUSY (set_busy): the request waits in the buffer and is
//   taken when the BMC clears B_BUSY.
// - BMC_HWRST in BT_INTMASK: reported as `event::bmc_reset_requested`; the device does not
//   reset itself (the BMC decides, and calls reset()).
// - One response waits at most: if the host sends a new request while still reading the last
//   response and the BMC answers it before the host is done, and then answers a newer one too,
//   the newer answer replaces the queued one (the same rule as for requests: the newest wins).
#pragma once

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

#include "../message.hpp"
#include "../si/interface.hpp"
#include "registers.hpp"

namespace ipmikit::bt {

// ---------------------------------------------------------------------------------------------
// Types

// The vocabulary shared by every system interface (si/interface.hpp): `event` (here none,
// request_ready, request_replaced, request_cancelled, request_rejected, bmc_reset_requested),
// `device_error`.
using si::device_error;
using si::event;
using si::name;

/// A request as the BMC sees it: `bytes` = netfn<<2|lun, cmd, data… (the Length and Seq
/// bytes are the interface's; `seq` is kept for the response). Valid until the next call that
/// changes the device.
struct device_request {
  std::uint32_t id = 0;
  std::uint8_t seq = 0;
  std::span<const std::uint8_t> bytes;
};

struct device_stats : si::device_stats {
  // requests, responses, responses_refused: see si::device_stats; `cancelled` counts requests
  // replaced by a newer one before the BMC answered, and those a reset() abandoned
  std::uint64_t rejected = 0;           // H2B_ATN over a malformed buffer
  std::uint64_t responses_queued = 0;   // responses that waited for the host to finish reading
  std::uint64_t overruns = 0;           // HOST2BMC bytes past Capacity
  std::uint64_t underruns = 0;          // BMC2HOST reads past the response
  std::uint64_t writes_while_busy = 0;  // HOST2BMC writes / CLR_WR_PTR while the BMC owned it
};

// ---------------------------------------------------------------------------------------------
// The device

template <std::size_t Capacity = default_capacity>
class basic_device {
  static_assert(Capacity >= layout::min_response + 1, "a BT device must hold a minimal response");

 public:
  static constexpr std::size_t capacity = Capacity;
  /// The longest request or response body (Length and Seq excluded) this device carries.
  static constexpr std::size_t max_body = std::min<std::size_t>(Capacity, 256) - 2;

  struct config {
    /// Keep H2B_ATN set until service() is called, instead of taking the request at once.
    bool deferred = false;
  };

  constexpr basic_device() noexcept = default;
  constexpr explicit basic_device(const config& cfg) noexcept : cfg_(cfg) {}

  // --- host side: BT_CTRL ----------------------------------------------------------------------

  /// Reads BT_CTRL (no side effects).
  [[nodiscard]] constexpr bt::control read_control() const noexcept { return peek_control(); }
  [[nodiscard]] constexpr bt::control peek_control() const noexcept {
    std::uint8_t v = 0;
    if (h2b_atn_) v |= control_bit::h2b_atn;
    if (b2h_atn_) v |= control_bit::b2h_atn;
    if (sms_atn_) v |= control_bit::sms_atn;
    if (oem0_) v |= control_bit::oem0;
    if (h_busy_) v |= control_bit::h_busy;
    if (b_busy_) v |= control_bit::b_busy;
    return bt::control(v);
  }

  /// Writes BT_CTRL: each 1 bit is an action (see the header comment for the order).
  constexpr event write_control(std::uint8_t bits) noexcept {
    if (bits & control_bit::clr_wr_ptr) {
      if (host_may_write()) {
        write_count_ = 0;
        damaged_ = false;
      } else {
        ++stats_.writes_while_busy;
        damaged_ = true;
      }
    }
    if (bits & control_bit::clr_rd_ptr) read_pos_ = 0;
    if (bits & control_bit::b2h_atn) b2h_atn_ = false;
    if (bits & control_bit::sms_atn) set_sms(false);
    if (bits & control_bit::h_busy) h_busy_ = !h_busy_;
    publish_queued();
    if (bits & control_bit::h2b_atn) {
      if (!h2b_atn_) {  // a fresh announcement (a repeated one changes nothing)
        request_damaged_ = damaged_;
        damaged_ = false;
      }
      h2b_atn_ = true;
      if (!cfg_.deferred) return take_request();
    }
    return event::none;
  }

  // --- host side: the buffers ------------------------------------------------------------------

  /// Reads the next BMC2HOST byte; past the response's end, 0xFF (counted).
  [[nodiscard]] constexpr std::uint8_t read_buffer() noexcept {
    if (read_pos_ >= b2h_length_) {
      ++stats_.underruns;
      return 0xFF;
    }
    return b2h_[read_pos_++];
  }

  /// Writes the next HOST2BMC byte.
  constexpr void write_buffer(std::uint8_t value) noexcept {
    if (!host_may_write()) {
      ++stats_.writes_while_busy;
      damaged_ = true;
      return;
    }
    if (write_count_ < Capacity) {
      h2b_[write_count_] = value;
    } else {
      ++stats_.overruns;
    }
    if (write_count_ <= Capacity) ++write_count_;  // Capacity + 1 marks "overran"
  }

  // --- host side: BT_INTMASK -------------------------------------------------------------------

  [[nodiscard]] constexpr std::uint8_t read_interrupt_mask() const noexcept {
    std::uint8_t v = oem_mask_bits_;
    if (irq_enable_) v |= interrupt_bit::b2h_irq_enable;
    if (irq_pending_) v |= interrupt_bit::b2h_irq;
    return v;
  }

  constexpr event write_interrupt_mask(std::uint8_t bits) noexcept {
    const bool was_enabled = irq_enable_;
    irq_enable_ = (bits & interrupt_bit::b2h_irq_enable) != 0;
    oem_mask_bits_ = static_cast<std::uint8_t>(bits & interrupt_bit::oem_mask);
    if (bits & interrupt_bit::b2h_irq) irq_pending_ = false;
    // Enabling with an attention already up interrupts at once (QEMU ipmi_bt does the same).
    if (irq_enable_ && !was_enabled && (b2h_atn_ || sms_atn_)) irq_pending_ = true;
    if (!irq_enable_) irq_pending_ = false;
    return (bits & interrupt_bit::bmc_hwrst) ? event::bmc_reset_requested : event::none;
  }

  /// The same operations by register offset, for an emulator's I/O dispatch.
  [[nodiscard]] constexpr std::uint8_t read(register_offset r) noexcept {
    switch (r) {
      case register_offset::control: return read_control().value;
      case register_offset::buffer: return read_buffer();
      case register_offset::interrupt_mask: return read_interrupt_mask();
    }
    return 0xFF;
  }
  constexpr event write(register_offset r, std::uint8_t value) noexcept {
    switch (r) {
      case register_offset::control: return write_control(value);
      case register_offset::buffer: write_buffer(value); return event::none;
      case register_offset::interrupt_mask: return write_interrupt_mask(value);
    }
    return event::none;
  }

  // --- BMC side --------------------------------------------------------------------------------

  /// Deferred mode: takes the request H2B_ATN announced, if any. Always safe to call.
  constexpr event service() noexcept { return h2b_atn_ ? take_request() : event::none; }

  /// The request waiting for a response, if any.
  [[nodiscard]] constexpr std::optional<device_request> pending_request() const noexcept {
    if (!pending_) return std::nullopt;
    return device_request{request_id_, request_seq_,
                        std::span<const std::uint8_t>(request_.data(), request_length_)};
  }

  /// Answers request `id` with `bytes` (netfn<<2|lun, cmd, completion code, data…). Published
  /// in BMC2HOST at once, or queued until the host has finished reading the previous response.
  /// A refused response changes nothing.
  constexpr device_error respond(std::uint32_t id, std::span<const std::uint8_t> bytes) noexcept {
    device_error e = device_error::ok;
    if (!pending_) e = device_error::no_request;
    else if (id != request_id_) e = device_error::stale_request;
    else if (bytes.size() < response_view::min_size) e = device_error::response_too_short;
    else if (bytes.size() > max_body) e = device_error::response_too_long;
    if (e != device_error::ok) {
      ++stats_.responses_refused;
      return e;
    }
    // Length, NetFn/LUN, Seq, Cmd, cc, data…
    queued_[0] = static_cast<std::uint8_t>(bytes.size() + 1);
    queued_[1] = bytes[0];
    queued_[2] = request_seq_;
    std::copy(bytes.begin() + 1, bytes.end(), queued_.begin() + 3);
    queued_length_ = bytes.size() + 2;
    pending_ = false;
    ++stats_.responses;
    if (host_reading()) ++stats_.responses_queued;
    publish_queued();
    return device_error::ok;
  }

  /// True while a response waits for the host to finish reading the previous one.
  [[nodiscard]] constexpr bool response_queued() const noexcept { return queued_length_ != 0; }

  /// SMS_ATN: the BMC has a message or event for system software. The host clears it. Raising
  /// it interrupts (with B2H_IRQ_EN) unless `interrupt` is false (QEMU's VM command ATTN, as
  /// opposed to ATTN_IRQ).
  constexpr void set_attention(bool on, bool interrupt = true) noexcept { set_sms(on, interrupt); }
  [[nodiscard]] constexpr bool attention() const noexcept { return sms_atn_; }

  /// B_BUSY held by the BMC (no BMC software running, a firmware update): the host waits.
  /// Clearing it takes a request H2B_ATN announced meanwhile.
  constexpr event set_busy(bool on) noexcept {
    bmc_busy_ = on;
    b_busy_ = on;
    if (!on && h2b_atn_ && !cfg_.deferred) return take_request();
    return event::none;
  }

  constexpr void set_oem0(bool on) noexcept { oem0_ = on; }

  /// The BMC's interrupt enable (Set BMC Global Enables, or QEMU's VM commands 0x05/0x06),
  /// on top of the host's B2H_IRQ_EN.
  constexpr void set_interrupts_enabled(bool on) noexcept { bmc_irq_enabled_ = on; }
  [[nodiscard]] constexpr bool interrupts_enabled() const noexcept { return bmc_irq_enabled_; }

  /// The interrupt line (level): a pending B2H_IRQ while both enables are on.
  [[nodiscard]] constexpr bool irq() const noexcept {
    return bmc_irq_enabled_ && irq_enable_ && irq_pending_;
  }

  /// Back to the power-on state (buffers empty, attention and interrupts off). Statistics are
  /// kept; a request whose transaction was not finished (unanswered, or its response not yet
  /// read by the host) is cancelled, and a later respond() for it is refused.
  constexpr event reset() noexcept {
    const bool had = pending_ || queued_length_ != 0 || b2h_atn_ || h_busy_;
    const auto kept = stats_;
    const auto id = request_id_;
    *this = basic_device(cfg_);
    stats_ = kept;
    request_id_ = id + 1;
    if (had) ++stats_.cancelled;
    return had ? event::request_cancelled : event::none;
  }

  [[nodiscard]] constexpr const device_stats& stats() const noexcept { return stats_; }
  [[nodiscard]] constexpr const config& settings() const noexcept { return cfg_; }
  /// Bytes the host wrote into HOST2BMC since CLR_WR_PTR (Capacity + 1 once it overran).
  [[nodiscard]] constexpr std::size_t written() const noexcept { return write_count_; }

 private:
  // The host may touch HOST2BMC unless a request in it is announced and not yet taken.
  [[nodiscard]] constexpr bool host_may_write() const noexcept { return !h2b_atn_; }
  [[nodiscard]] constexpr bool host_reading() const noexcept { return b2h_atn_ || h_busy_; }

  constexpr void set_sms(bool on, bool interrupt = true) noexcept {
    if (on && !sms_atn_ && irq_enable_ && interrupt) irq_pending_ = true;
    if (!on && sms_atn_ && !b2h_atn_) irq_pending_ = false;
    sms_atn_ = on;
  }

  constexpr void publish_queued() noexcept {
    if (queued_length_ == 0 || host_reading()) return;
    std::copy_n(queued_.begin(), queued_length_, b2h_.begin());
    b2h_length_ = queued_length_;
    queued_length_ = 0;
    b2h_atn_ = true;
    if (irq_enable_) irq_pending_ = true;
  }

  constexpr event take_request() noexcept {
    if (bmc_busy_) return event::none;  // taken when the BMC clears B_BUSY
    h2b_atn_ = false;
    const std::size_t n = write_count_;
    if (request_damaged_ || n > Capacity || n < layout::min_request || h2b_[layout::length] != n - 1) {
      ++stats_.rejected;
      return event::request_rejected;
    }
    const bool replaced = pending_;
    if (replaced) ++stats_.cancelled;
    ++request_id_;
    request_seq_ = h2b_[layout::seq];
    request_[0] = h2b_[layout::netfn_lun];
    std::copy(h2b_.begin() + layout::cmd, h2b_.begin() + static_cast<std::ptrdiff_t>(n),
              request_.begin() + 1);
    request_length_ = n - 2;
    pending_ = true;
    ++stats_.requests;
    return replaced ? event::request_replaced : event::request_ready;
  }

  config cfg_{};
  bool h2b_atn_ = false;
  bool b2h_atn_ = false;
  bool sms_atn_ = false;
  bool oem0_ = false;
  bool h_busy_ = false;
  bool b_busy_ = false;
  bool bmc_busy_ = false;
  bool irq_enable_ = false;
  bool irq_pending_ = false;
  bool bmc_irq_enabled_ = false;
  bool pending_ = false;
  bool damaged_ = false;          // host writes were dropped since the last CLR_WR_PTR
  bool request_damaged_ = false;  // … before the announced request's H2B_ATN
  std::uint8_t oem_mask_bits_ = 0;
  std::uint8_t request_seq_ = 0;
  std::uint32_t request_id_ = 0;
  std::size_t write_count_ = 0;
  std::size_t read_pos_ = 0;
  std::size_t b2h_length_ = 0;
  std::size_t request_length_ = 0;
  std::size_t queued_length_ = 0;
  std::array<std::uint8_t, Capacity> h2b_{};      // HOST2BMC as the host writes it
  std::array<std::uint8_t, Capacity> request_{};  // the request the BMC has (no Length, Seq)
  std::array<std::uint8_t, Capacity> b2h_{};      // BMC2HOST as the host reads it
  std::array<std::uint8_t, Capacity> queued_{};   // a response waiting for the host
  device_stats stats_{};
};

using device = basic_device<>;

}  // namespace ipmikit::bt
