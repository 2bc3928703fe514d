// tests/interop/bt_differential_test.cpp — ipmikit's BT device model (bt::basic_device,
// include/ipmikit/bt/device.hpp) against REAL QEMU's isa-ipmi-bt, register access by register
// access, through qtest port I/O (0xE4 BT_CTRL, 0xE5 buffer, 0xE6 BT_INTMASK). The BT twin of
// kcs_differential_test.cpp; the machinery (sequence parsing, transcript, BMC peer, a fresh
// QEMU per sequence, the table checks, the modes) is differential.hpp's.
//
// Each named sequence below is data: a list of ops
//
//   out_ctrl V           write V to BT_CTRL (0xE4)
//   out_buf B…           write the bytes B… to HOST2BMC (0xE5), one port write each
//   fill_buf N V         write V to HOST2BMC N times (long requests)
//   out_mask V           write V to BT_INTMASK (0xE6)
//   in_ctrl / in_mask    read BT_CTRL / BT_INTMASK              → its value
//   in_buf N             read BMC2HOST N times                   → the N bytes
//   wait_ctrl M V        poll BT_CTRL until (ctrl & M) == V, bounded (1.5 s on QEMU; the
//                        device answers at once) → the final value only
//   irq                  the interrupt line: QEMU's IRQ 5 as intercepted at the IOAPIC
//                        (irq_intercept_in ioapic; a read of the unused offset 3 first, so every
//                        IRQ line QEMU emitted before is in) / the device's irq() → 0 or 1
//   bmc_request          what request the BMC has and has not answered yet → "req …" / "none"
//   bmc_respond B…       the BMC answers that request with B… (netfn, cmd, cc, data)
//   bmc_respond_fill N V … with N bytes: 1C 01 00, then V (long responses)
//   bmc_attention 0|1|2  the BMC clears / sets SMS_ATN / sets it with an interrupt (QEMU: VM
//                        commands NOATTN / ATTN / ATTN_IRQ; the device: set_attention(on, irq))
//   bmc_irq 0|1          the BMC's interrupt enable (QEMU: VM commands DISABLE_IRQ / ENABLE_IRQ,
//                        its `irqs_enabled`; the device: set_interrupts_enabled)
//
// and is run twice: against QEMU (a fresh QEMU per sequence, power-on state; behind
// ipmi-bmc-extern an ipmikit vm::bmc_session in this process that answers only when a
// bmc_respond op says so; a `wait_ctrl` after bmc_respond / bmc_attention waits for QEMU to
// have taken the frame; bmc_irq waits 20 ms, as nothing in the registers shows it) and against
// bt::device (default configuration: H2B_ATN taken at once; the same BMC answers through
// pending_request()/respond()). Every value read is recorded.
//
// Modes (differential.hpp): no argument / --transcript FILE replays the device against the
// checked-in QEMU values (tests/interop/data/bt_qemu_transcript.txt; runs everywhere); --live
// runs QEMU too (and compares QEMU with the transcript); --record FILE writes a new transcript
// (scripts/record-bt-transcript.sh); --only NAME; --verbose.
//
// Every difference between QEMU and the device must be listed in `known_differences`
// (sequence, op index, reason): an unlisted one fails, and so does a listed one that no longer
// occurs. No masking rule: every value read is compared as it is. docs/bt-qemu-differences.md
// explains every difference.
//
// Exit status: 0 passed, 1 a check failed, 2 usage, 77 skipped.
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <ipmikit/bt/device.hpp>

#include "differential.hpp"

#ifndef IPMIKIT_BT_TRANSCRIPT
#define IPMIKIT_BT_TRANSCRIPT "tests/interop/data/bt_qemu_transcript.txt"
#endif

namespace {

using namespace ipmikit::interop;
using namespace ipmikit::interop::differential;
namespace dev = ipmikit::bt;

constexpr std::uint16_t control_port = dev::default_control_port;         // 0xE4
constexpr std::uint16_t buffer_port = dev::default_buffer_port;           // 0xE5
constexpr std::uint16_t mask_port = dev::default_interrupt_mask_port;     // 0xE6
constexpr std::uint16_t unused_port = dev::default_control_port + 3;      // reads 0xFF, no effect
constexpr std::size_t irq_line = 5;                                       // isa-ipmi-bt irq default

// ---------------------------------------------------------------------------------------------
// Sequences as data

enum class op_kind : std::uint8_t {
  out_ctrl, out_buf, fill_buf, out_mask, in_ctrl, in_buf, in_mask, wait_ctrl, irq,
  bmc_request, bmc_respond, bmc_attention, bmc_irq,
};

using op = basic_op<op_kind>;

/// The ops above, as differential.hpp's parse_op_with reads them.
constexpr op_syntax<op_kind> grammar[] = {
    {"out_ctrl", op_kind::out_ctrl, op_args::byte},
    {"out_buf", op_kind::out_buf, op_args::byte_list, 1},
    {"fill_buf", op_kind::fill_buf, op_args::count_byte, 1, 1000},
    {"out_mask", op_kind::out_mask, op_args::byte},
    {"in_ctrl", op_kind::in_ctrl, op_args::none},
    {"in_buf", op_kind::in_buf, op_args::count, 1, 300},
    {"in_mask", op_kind::in_mask, op_args::none},
    {"wait_ctrl", op_kind::wait_ctrl, op_args::mask_value},
    {"irq", op_kind::irq, op_args::none},
    {"bmc_request", op_kind::bmc_request, op_args::none},
    {"bmc_respond", op_kind::bmc_respond, op_args::byte_list, 3},  // a response has at least 3 bytes
    {"bmc_respond_fill", op_kind::bmc_respond, op_args::count_byte, 3, 1000},  // payload: see parse_op
    {"bmc_attention", op_kind::bmc_attention, op_args::byte, 0, 2},
    {"bmc_irq", op_kind::bmc_irq, op_args::byte, 0, 1},
};

// The host side of a transaction, in the spec's order (IPMI v2.0 §11.6, reference/kcs-bt.md
// §2.5) and QEMU's qtest's (ipmi-bt-test.c).
const macro_map macros = {
    // Get Device ID, Seq 05: CLR_WR_PTR, Length, NetFn/LUN, Seq, Cmd, H2B_ATN.
    {"@gdi", "out_ctrl 01; out_buf 03 18 05 01; out_ctrl 04"},
    // The BMC's 4-byte answer (Length 05 on the host's side), then the host waits for B2H_ATN.
    {"@answer", "bmc_respond 1C 01 00 5A; wait_ctrl 08 08"},
    // Start reading: H_BUSY on, clear B2H_ATN, CLR_RD_PTR.
    {"@rd_start", "out_ctrl 40; out_ctrl 08; out_ctrl 02"},
    // Read @answer's response (6 bytes), H_BUSY off, BT_CTRL.
    {"@read6", "@rd_start; in_buf 6; out_ctrl 40; in_ctrl"},
    // A whole transaction: request, the BMC has it, answer, read.
    {"@xact", "@gdi; in_ctrl; bmc_request; @answer; @read6"},
};

// clang-format off
const std::vector<sequence_spec> sequences = {
  {"power_on_state", "BT_CTRL, BT_INTMASK, the interrupt line and BMC2HOST at power-on",
   "in_ctrl; in_mask; irq; in_buf 2; in_ctrl"},
  {"get_device_id", "a full Get Device ID transaction, spec flow, 18-byte response (A0 escaped on the wire)",
   "in_ctrl; @gdi; in_ctrl; bmc_request; "
   "bmc_respond 1C 01 00 20 81 02 17 02 BF 57 01 00 A0 00 00 00 00 00; wait_ctrl 08 08; in_ctrl; "
   "out_ctrl 40; in_ctrl; out_ctrl 08; in_ctrl; out_ctrl 02; in_buf 1; in_buf 19; in_ctrl; out_ctrl 40; in_ctrl; "
   "in_mask; irq"},
  {"get_bt_capabilities", "Get BT Interface Capabilities (App 06/36): QEMU's model answers it itself",
   "out_ctrl 01; out_buf 03 18 07 36; out_ctrl 04; in_ctrl; bmc_request; bmc_respond 1C 36 00 01 FF FF 0A 00; "
   "wait_ctrl 08 08; @rd_start; in_buf 10; out_ctrl 40; in_ctrl"},
  {"get_bt_capabilities_lun1", "Get BT Interface Capabilities on LUN 1 (NetFn/LUN 19)",
   "out_ctrl 01; out_buf 03 19 07 36; out_ctrl 04; in_ctrl; bmc_request; bmc_respond 1D 36 00 01 3F 3F 05 02; "
   "wait_ctrl 08 08; @rd_start; in_buf 10; out_ctrl 40; in_ctrl"},
  {"length_too_big", "Length 05 over 4 bytes, then the host's retry with a good request",
   "out_ctrl 01; out_buf 05 18 05 01; out_ctrl 04; in_ctrl; bmc_request; in_ctrl; @xact"},
  {"length_too_small", "Length 02 over 4 bytes, then the host's retry with a good request",
   "out_ctrl 01; out_buf 02 18 05 01; out_ctrl 04; in_ctrl; bmc_request; in_ctrl; @xact"},
  {"request_3_bytes", "a 3-byte request with a consistent Length (02 18 01: no Seq/Cmd split), then a good one",
   "out_ctrl 01; out_buf 02 18 01; out_ctrl 04; in_ctrl; bmc_request; @xact"},
  {"request_1_byte", "a request of just a Length byte (00), then a good one",
   "out_ctrl 01; out_buf 00; out_ctrl 04; in_ctrl; bmc_request; @xact"},
  {"h2b_atn_empty_buffer", "CLR_WR_PTR, H2B_ATN with nothing written, then a good request",
   "out_ctrl 01; out_ctrl 04; in_ctrl; bmc_request; in_ctrl; @xact"},
  {"request_max_length", "Length FF: a 256-byte request (the most a Length byte can describe)",
   "out_ctrl 01; out_buf FF 18 05 01; fill_buf 252 55; out_ctrl 04; in_ctrl; bmc_request; @answer; @read6"},
  {"request_257_bytes", "257 bytes with Length FF: one byte past bt::device's 256-byte buffer, then a good request",
   "out_ctrl 01; out_buf FF 18 05 01; fill_buf 253 55; out_ctrl 04; in_ctrl; bmc_request; @xact"},
  {"buffer_overrun_qemu", "301 bytes: past QEMU's 300-byte buffer too, then a good request",
   "out_ctrl 01; out_buf FF 18 05 01; fill_buf 297 55; out_ctrl 04; in_ctrl; bmc_request; @xact"},
  {"read_past_end", "BMC2HOST read beyond the response's end (underrun), then again after CLR_RD_PTR",
   "@gdi; bmc_request; @answer; @rd_start; in_buf 6; in_buf 3; in_ctrl; out_ctrl 02; in_buf 3; out_ctrl 40; in_ctrl"},
  {"reread_after_clr_rd_ptr", "CLR_RD_PTR in the middle of the response, read it again from the start",
   "@gdi; bmc_request; @answer; @rd_start; in_buf 3; out_ctrl 02; in_buf 6; out_ctrl 40; in_ctrl"},
  {"no_clr_rd_ptr_after_partial_read", "read 3 bytes of a response; next transaction without CLR_RD_PTR",
   "@gdi; bmc_request; @answer; out_ctrl 40; out_ctrl 08; out_ctrl 02; in_buf 3; out_ctrl 40; "
   "out_ctrl 01; out_buf 03 18 06 01; out_ctrl 04; bmc_request; bmc_respond 1C 01 00 A5; wait_ctrl 08 08; "
   "out_ctrl 40; out_ctrl 08; in_buf 4; out_ctrl 02; in_buf 6; out_ctrl 40; in_ctrl"},
  {"no_clr_rd_ptr_after_full_read", "read a whole response; next transaction read without CLR_RD_PTR",
   "@xact; out_ctrl 01; out_buf 03 18 06 01; out_ctrl 04; bmc_request; bmc_respond 1C 01 00 A5; wait_ctrl 08 08; "
   "out_ctrl 40; out_ctrl 08; in_buf 6; out_ctrl 02; in_buf 6; out_ctrl 40; in_ctrl"},
  {"clr_wr_ptr_mid_write", "CLR_WR_PTR after two request bytes, then the whole request",
   "out_ctrl 01; out_buf 03 18; out_ctrl 01; out_buf 03 18 05 01; out_ctrl 04; in_ctrl; bmc_request; @answer; @read6"},
  {"no_clr_wr_ptr_second_request", "a second request written without CLR_WR_PTR after a transaction",
   "@xact; out_buf 03 18 06 01; out_ctrl 04; in_ctrl; bmc_request; in_ctrl; @xact"},
  {"h2b_atn_twice_while_bmc_works", "H2B_ATN again while the BMC works on the request",
   "@gdi; in_ctrl; bmc_request; out_ctrl 04; in_ctrl; bmc_respond 1C 01 00 5A; wait_ctrl 08 08; in_ctrl; "
   "bmc_request; @read6"},
  {"new_request_while_bmc_works", "a different request (Seq 06, cmd 04) while the BMC works on the first",
   "@gdi; bmc_request; out_ctrl 01; out_buf 03 18 06 04; out_ctrl 04; in_ctrl; bmc_respond 1C 01 00 5A; "
   "wait_ctrl 08 08; in_ctrl; bmc_request; @read6"},
  {"h_busy_toggle", "H_BUSY written 1 three times, 0 once, and with CLR_RD_PTR",
   "out_ctrl 40; in_ctrl; out_ctrl 40; in_ctrl; out_ctrl 40; in_ctrl; out_ctrl 00; in_ctrl; out_ctrl 42; in_ctrl"},
  {"b2h_atn_cleared_before_reading", "clear B2H_ATN without H_BUSY, then read the response",
   "@gdi; bmc_request; @answer; out_ctrl 08; in_ctrl; out_ctrl 02; in_buf 6; in_ctrl"},
  {"b2h_atn_clear_idle", "clear B2H_ATN and SMS_ATN with neither set",
   "out_ctrl 18; in_ctrl; in_mask"},
  {"host_writes_bmc_bits", "the host writes B_BUSY, OEM0 and both, idle and while the BMC works",
   "out_ctrl 80; in_ctrl; out_ctrl 20; in_ctrl; out_ctrl A0; in_ctrl; @gdi; out_ctrl 80; in_ctrl; bmc_request; "
   "@answer; out_ctrl 20; in_ctrl; @read6"},
  {"all_control_bits", "0xFF to BT_CTRL: every action at once (empty buffer), then 0x40 and a good request",
   "out_ctrl FF; in_ctrl; bmc_request; out_ctrl 40; in_ctrl; @xact"},
  {"sms_atn", "SMS_ATN set by the BMC, cleared by the host; set again, cleared by the BMC",
   "bmc_attention 1; wait_ctrl 10 10; in_ctrl; out_ctrl 10; in_ctrl; bmc_attention 1; wait_ctrl 10 10; in_ctrl; "
   "bmc_attention 0; wait_ctrl 10 00; in_ctrl"},
  {"sms_atn_during_transaction", "SMS_ATN set while the BMC works, cleared by the host while reading",
   "@gdi; bmc_request; bmc_attention 1; wait_ctrl 10 10; in_ctrl; @answer; in_ctrl; out_ctrl 40; out_ctrl 18; "
   "in_ctrl; out_ctrl 02; in_buf 6; out_ctrl 40; in_ctrl"},
  {"intmask_bits", "BT_INTMASK: enable, disable, OEM bits, B2H_IRQ written with nothing pending, BMC_HWRST, FF",
   "in_mask; out_mask 01; in_mask; out_mask 00; in_mask; out_mask 1D; in_mask; out_mask 02; in_mask; "
   "out_mask 80; in_mask; in_ctrl; out_mask FF; in_mask; out_mask 00; in_mask"},
  {"irq_response", "interrupts on (BMC and host): the response interrupts, the host clears it, reads",
   "bmc_irq 1; out_mask 01; in_mask; irq; @gdi; bmc_request; @answer; in_mask; irq; out_mask 03; in_mask; irq; "
   "@read6; in_mask; irq"},
  {"irq_pending_kept_until_cleared", "the interrupt stays pending while the host reads and after B2H_ATN clears",
   "bmc_irq 1; out_mask 01; @gdi; bmc_request; @answer; irq; @read6; in_mask; irq; out_mask 03; in_mask; irq"},
  {"irq_enable_with_b2h_atn_set", "B2H_IRQ_EN set while B2H_ATN is already up, written again, then cleared",
   "bmc_irq 1; @gdi; bmc_request; @answer; in_mask; irq; out_mask 01; in_mask; irq; out_mask 03; in_mask; irq; "
   "out_mask 01; in_mask; irq; out_mask 00; in_mask; irq"},
  {"irq_without_bmc_enable", "the host enables B2H_IRQ_EN, the BMC never enables interrupts",
   "out_mask 01; @gdi; bmc_request; @answer; in_mask; irq; bmc_irq 1; irq; out_mask 03; in_mask; irq"},
  {"irq_disable_while_pending", "B2H_IRQ_EN cleared while an interrupt is pending; B2H_IRQ written with enable off",
   "bmc_irq 1; out_mask 01; @gdi; bmc_request; @answer; in_mask; irq; out_mask 00; in_mask; irq; out_mask 02; "
   "in_mask; @read6"},
  {"irq_sms_attention", "SMS_ATN with and without the interrupt flag, cleared by the host and by the BMC",
   "bmc_irq 1; out_mask 01; bmc_attention 2; wait_ctrl 10 10; in_mask; irq; out_ctrl 10; in_ctrl; in_mask; irq; "
   "out_mask 03; in_mask; irq; bmc_attention 1; wait_ctrl 10 10; in_mask; irq; bmc_attention 0; wait_ctrl 10 00; "
   "in_mask; irq"},
  {"irq_bmc_disable", "the BMC disables interrupts while one is pending, and enables them again",
   "bmc_irq 1; out_mask 01; @gdi; bmc_request; @answer; irq; bmc_irq 0; irq; in_mask; bmc_irq 1; irq; "
   "out_mask 03; irq"},
  {"response_while_h_busy", "the BMC answers while the host holds H_BUSY (left set from before the request)",
   "out_ctrl 40; @gdi; in_ctrl; bmc_request; bmc_respond 1C 01 00 5A; wait_ctrl 80 00; in_ctrl; out_ctrl 40; "
   "in_ctrl; @read6"},
  {"response_over_unread_response", "a second response while the host has not read the first (B2H_ATN set)",
   "@gdi; bmc_request; @answer; out_ctrl 01; out_buf 03 18 06 04; out_ctrl 04; in_ctrl; bmc_request; "
   "bmc_respond 1C 04 00 55 01; wait_ctrl 80 00; in_ctrl; @rd_start; in_buf 6; out_ctrl 40; in_ctrl; "
   "@rd_start; in_buf 7; out_ctrl 40; in_ctrl"},
  {"seq_carried", "Seq 5A and then A5 (an escaped byte on no wire: Seq stays in the interface) echoed",
   "out_ctrl 01; out_buf 03 18 5A 01; out_ctrl 04; bmc_request; @answer; @rd_start; in_buf 6; out_ctrl 40; "
   "out_ctrl 01; out_buf 04 18 A5 2E 0F; out_ctrl 04; bmc_request; bmc_respond 1C 2E 00; wait_ctrl 08 08; "
   "@rd_start; in_buf 5; out_ctrl 40; in_ctrl"},
  {"two_requests_in_a_row", "two transactions back to back",
   "@xact; @xact"},
  {"response_max_length", "a 254-byte response body: Length FF",
   "@gdi; bmc_request; bmc_respond_fill 254 55; wait_ctrl 08 08; @rd_start; in_buf 4; in_ctrl"},
  {"response_too_long_for_length_byte", "a 255-byte response body: one more than a Length byte describes",
   "@gdi; bmc_request; bmc_respond_fill 255 55; wait_ctrl 80 00; in_ctrl; @rd_start; in_buf 4; out_ctrl 40; "
   "bmc_request; bmc_respond 1C 01 00 5A; in_ctrl; @read6"},
};
// clang-format on

[[nodiscard]] result<op> parse_op(const std::string& text) {
  auto o = parse_op_with<op_kind>(grammar, text);
  if (o && o->kind == op_kind::bmc_respond && o->payload.empty()) {  // bmc_respond_fill N V
    o->payload = {0x1C, 0x01, 0x00};
    o->payload.resize(o->count, o->b);
  }
  return o;
}

// ---------------------------------------------------------------------------------------------
// The known differences between QEMU 7.2's isa-ipmi-bt and bt::device (docs/bt-qemu-differences.md)

namespace why {
constexpr std::string_view b_busy_held =
    "QEMU sets B_BUSY on H2B_ATN and holds it until its BMC answers; the device takes the request "
    "at once (as Linux bt-bmc's read() does: B_BUSY only while copying) and shows B_BUSY only while the "
    "BMC calls set_busy";
constexpr std::string_view b_busy_stuck =
    "QEMU ignores a malformed request (wrong Length byte, fewer than 4 bytes, empty, overrun) but leaves "
    "B_BUSY set until some later request is answered; the device rejects it (event::request_rejected) "
    "with H2B_ATN and B_BUSY clear, so the host's wait ends in its timeout and it retries";
constexpr std::string_view caps_local =
    "QEMU's BT model answers Get BT Interface Capabilities (exactly NetFn/LUN 18, cmd 36) itself at "
    "once and never forwards it; the device hands every request to the BMC (here the BMC answers "
    "with QEMU's values, so the bytes read agree)";
constexpr std::string_view response_forgotten =
    "QEMU forgets the response once its last byte is read (outpos and outlen zeroed): CLR_RD_PTR "
    "cannot re-read it, every read gives FF; the device keeps it until the next response";
constexpr std::string_view read_ptr_reset_at_end =
    "QEMU's read pointer returns to 0 after the last byte, so a host that skips CLR_RD_PTR still "
    "reads the next response from its start; the device's pointer stays where the host left it "
    "(IPMI v2.0 §11.6: clearing it is the host's job) and the reads run past the end (FF)";
constexpr std::string_view duplicate_frame =
    "H2B_ATN again over the same buffer: QEMU forwards the request again with the same msg_id (the "
    "BMC sees it twice); the device replaces its one outstanding request (the BMC sees the new one only)";
constexpr std::string_view seq_clobbered =
    "QEMU bug: forwarding a request overwrites the Seq slot of its input buffer with NetFn/LUN, so a "
    "request re-sent with H2B_ATN (no rewrite) is answered with Seq 18 instead of 05";
constexpr std::string_view stale_answered =
    "a new request while the BMC works: QEMU forwards it under the same msg_id, so the BMC's answer "
    "to the FIRST request completes it (with the new Seq); the device replaced the first, the BMC answers "
    "the second, and QEMU's second frame stays unanswered";
constexpr std::string_view oem_mask_bits =
    "QEMU implements only bits 0-1 of BT_INTMASK (OEM bits 2-4 read 0); the device keeps the OEM bits";
constexpr std::string_view irq_level =
    "the device's irq() is a level (B2H_IRQ pending AND B2H_IRQ_EN AND the BMC's enable), so the BMC "
    "enabling interrupts raises a pending one and disabling lowers it; QEMU raises the line only at "
    "the event (when irqs_enabled is on then) and DISABLE_IRQ does not lower it";
constexpr std::string_view sms_host_clear_irq =
    "the host clearing SMS_ATN: the device also clears a pending B2H_IRQ (when B2H_ATN is clear); QEMU "
    "lowers it only when the BMC clears SMS_ATN (NOATTN) or the host writes B2H_IRQ";
constexpr std::string_view response_while_h_busy =
    "QEMU publishes a response while the host holds H_BUSY (B2H_ATN at once); the device queues it "
    "until the host clears H_BUSY (Linux bt-bmc's write() waits for the same)";
constexpr std::string_view response_overwrites =
    "QEMU overwrites a response the host has not read (B2H_ATN still set) with the next one; the device "
    "queues the next one until the host has finished reading";
constexpr std::string_view length_byte_wraps =
    "QEMU bug: a 255-byte response body gets Length byte 256 & 0xFF = 00 (it only checks its 300-byte "
    "buffer); the device refuses the response (response_too_long: the Length byte describes 255 bytes)";
constexpr std::string_view after_divergence =
    "follows from the earlier difference in this sequence: the two are in different states now";
}  // namespace why

// clang-format off
const std::vector<known_difference> known_differences = {
    {"get_device_id", 4, why::b_busy_held},
    {"get_bt_capabilities", 3, why::caps_local},
    {"get_bt_capabilities", 4, why::caps_local},
    {"get_bt_capabilities", 5, why::caps_local},
    {"get_bt_capabilities_lun1", 3, why::b_busy_held},
    {"length_too_big", 3, why::b_busy_stuck},
    {"length_too_big", 5, why::b_busy_stuck},
    {"length_too_big", 9, why::b_busy_held},
    {"length_too_small", 3, why::b_busy_stuck},
    {"length_too_small", 5, why::b_busy_stuck},
    {"length_too_small", 9, why::b_busy_held},
    {"request_3_bytes", 3, why::b_busy_stuck},
    {"request_3_bytes", 8, why::b_busy_held},
    {"request_1_byte", 3, why::b_busy_stuck},
    {"request_1_byte", 8, why::b_busy_held},
    {"h2b_atn_empty_buffer", 2, why::b_busy_stuck},
    {"h2b_atn_empty_buffer", 4, why::b_busy_stuck},
    {"h2b_atn_empty_buffer", 8, why::b_busy_held},
    {"request_max_length", 4, why::b_busy_held},
    {"request_257_bytes", 4, why::b_busy_stuck},
    {"request_257_bytes", 9, why::b_busy_held},
    {"buffer_overrun_qemu", 4, why::b_busy_stuck},
    {"buffer_overrun_qemu", 9, why::b_busy_held},
    {"read_past_end", 13, why::response_forgotten},
    {"no_clr_rd_ptr_after_partial_read", 21, why::response_forgotten},
    {"no_clr_rd_ptr_after_full_read", 3, why::b_busy_held},
    {"no_clr_rd_ptr_after_full_read", 21, why::read_ptr_reset_at_end},
    {"no_clr_rd_ptr_after_full_read", 23, why::response_forgotten},
    {"clr_wr_ptr_mid_write", 5, why::b_busy_held},
    {"no_clr_wr_ptr_second_request", 3, why::b_busy_held},
    {"no_clr_wr_ptr_second_request", 15, why::b_busy_stuck},
    {"no_clr_wr_ptr_second_request", 17, why::b_busy_stuck},
    {"no_clr_wr_ptr_second_request", 21, why::b_busy_held},
    {"h2b_atn_twice_while_bmc_works", 3, why::b_busy_held},
    {"h2b_atn_twice_while_bmc_works", 6, why::b_busy_held},
    {"h2b_atn_twice_while_bmc_works", 10, why::duplicate_frame},
    {"h2b_atn_twice_while_bmc_works", 14, why::seq_clobbered},
    {"new_request_while_bmc_works", 7, why::b_busy_held},
    {"new_request_while_bmc_works", 8, why::stale_answered},
    {"new_request_while_bmc_works", 11, why::stale_answered},
    {"host_writes_bmc_bits", 10, why::b_busy_held},
    {"all_control_bits", 1, why::b_busy_stuck},
    {"all_control_bits", 4, why::b_busy_stuck},
    {"all_control_bits", 8, why::b_busy_held},
    {"sms_atn_during_transaction", 5, why::b_busy_held},
    {"sms_atn_during_transaction", 6, why::b_busy_held},
    {"intmask_bits", 6, why::oem_mask_bits},
    {"intmask_bits", 13, why::oem_mask_bits},
    {"irq_without_bmc_enable", 10, why::irq_level},
    {"irq_sms_attention", 8, why::sms_host_clear_irq},
    {"irq_sms_attention", 9, why::sms_host_clear_irq},
    {"irq_bmc_disable", 10, why::irq_level},
    {"response_while_h_busy", 4, why::b_busy_held},
    {"response_while_h_busy", 7, why::response_while_h_busy},
    {"response_while_h_busy", 8, why::response_while_h_busy},
    {"response_over_unread_response", 9, why::b_busy_held},
    {"response_over_unread_response", 17, why::response_overwrites},
    {"response_over_unread_response", 19, why::response_overwrites},
    {"two_requests_in_a_row", 3, why::b_busy_held},
    {"two_requests_in_a_row", 16, why::b_busy_held},
    {"response_too_long_for_length_byte", 4, why::length_byte_wraps},
    {"response_too_long_for_length_byte", 5, why::length_byte_wraps},
    {"response_too_long_for_length_byte", 6, why::length_byte_wraps},
    {"response_too_long_for_length_byte", 10, why::length_byte_wraps},
    {"response_too_long_for_length_byte", 12, why::after_divergence},
    {"response_too_long_for_length_byte", 13, why::after_divergence},
    {"response_too_long_for_length_byte", 14, why::after_divergence},
    {"response_too_long_for_length_byte", 18, why::after_divergence},
};
// clang-format on

// ---------------------------------------------------------------------------------------------
// The device side

/// One op on the device (the BMC behind it: differential.hpp's device_bmc); its value.
std::string run_device_op(dev::device& d, device_bmc<dev::device>& bmc, const op& o) {
  switch (o.kind) {
    case op_kind::out_ctrl: bmc.note(d.write_control(o.a)); return "-";
    case op_kind::out_buf:
      for (const auto b : o.payload) d.write_buffer(b);
      return "-";
    case op_kind::fill_buf:
      for (std::size_t i = 0; i < o.count; ++i) d.write_buffer(o.b);
      return "-";
    case op_kind::out_mask: bmc.note(d.write_interrupt_mask(o.a)); return "-";
    case op_kind::in_ctrl:
    case op_kind::wait_ctrl: return hex(d.read_control().value);  // nothing to wait for
    case op_kind::in_mask: return hex(d.read_interrupt_mask());
    case op_kind::in_buf: {
      bytes got;
      for (std::size_t i = 0; i < o.count; ++i) got.push_back(d.read_buffer());
      return hex(got);
    }
    case op_kind::irq: return d.irq() ? "1" : "0";
    case op_kind::bmc_request: return bmc.request();
    case op_kind::bmc_respond: return bmc.respond(o.payload);
    case op_kind::bmc_attention: d.set_attention(o.a != 0, o.a == 2); return "-";
    case op_kind::bmc_irq: d.set_interrupts_enabled(o.a != 0); return "-";
  }
  return "?";
}

// ---------------------------------------------------------------------------------------------
// The QEMU side (the BMC behind it: differential.hpp's bmc_peer)

[[nodiscard]] result<std::string> run_qemu_op(qtest& qt, bmc_peer& bmc, const op& o) {
  switch (o.kind) {
    case op_kind::out_ctrl: return qemu_write(qt, bmc, control_port, o.a);
    case op_kind::out_mask: return qemu_write(qt, bmc, mask_port, o.a);
    case op_kind::out_buf:
      for (const auto b : o.payload)
        if (!qt.outb(buffer_port, b)) return fail(qt.last_error());
      return std::string("-");
    case op_kind::fill_buf:
      for (std::size_t i = 0; i < o.count; ++i)
        if (!qt.outb(buffer_port, o.b)) return fail(qt.last_error());
      return std::string("-");
    case op_kind::in_ctrl: return qemu_read(qt, control_port);
    case op_kind::in_mask: return qemu_read(qt, mask_port);
    case op_kind::in_buf: {
      bytes got;
      for (std::size_t i = 0; i < o.count; ++i) {
        const auto v = qt.inb(buffer_port);
        if (!v) return fail(qt.last_error());
        got.push_back(*v);
      }
      return hex(got);
    }
    case op_kind::wait_ctrl: return qemu_wait(qt, bmc, control_port, o.a, o.b, o.text);
    case op_kind::irq: {
      // Any command's OK comes after the IRQ lines QEMU emitted before it.
      if (!qt.inb(unused_port)) return fail(qt.last_error());
      return std::string(qt.irq(irq_line).level ? "1" : "0");
    }
    case op_kind::bmc_request: return qemu_bmc_request(bmc, nullptr);
    case op_kind::bmc_respond: return qemu_bmc_request(bmc, &o.payload);
    case op_kind::bmc_attention: return qemu_attention(bmc, o.a);
    case op_kind::bmc_irq: {
      if (auto a = bmc.enable_irq(o.a != 0); !a) return fail(a.error());
      // Nothing in the registers shows QEMU's irqs_enabled: give it time to take the command.
      const deadline d{millis(20)};
      while (!d.expired())
        if (auto p = bmc.pump(2); !p) return fail(p.error());
      return std::string("-");
    }
  }
  return fail("unknown op");
}

[[nodiscard]] status qemu_setup(qtest& qt) {
  if (!qt.irq_intercept_in("ioapic")) return fail("irq_intercept_in ioapic: " + qt.last_error());
  return success();
}

}  // namespace

int main(int argc, char** argv) {
  auto cfg = interface_config<dev::device, op, run_device_op>("bt", ipmi_interface::bt, IPMIKIT_BT_TRANSCRIPT,
                                                              sequences, macros, known_differences, parse_op,
                                                              run_qemu_op, judge_exact<op>);  // no masking rule
  cfg.transcript_format =
      "# Format: <sequence> <op index>  <op> => <value>. Register and buffer values are raw hex bytes;\n"
      "# '-' = the op reads nothing; wait_ctrl records the last value polled; irq is IRQ 5's level.\n";
  cfg.qemu_setup = qemu_setup;
  return run_differential(argc, argv, cfg);
}
