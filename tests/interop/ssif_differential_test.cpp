// tests/interop/ssif_differential_test.cpp — ipmikit's SSIF device model (ssif::basic_device,
// include/ipmikit/ssif/device.hpp) against REAL QEMU's smbus-ipmi (-machine pc, address 0x10),
// SMBus transfer by SMBus transfer, through the PIIX4 SMBus controller at I/O 0xB100 over qtest
// (smbus_qtest.hpp). The SSIF twin of kcs_/bt_differential_test.cpp; the machinery (sequence
// parsing, transcript, BMC peer, a fresh QEMU per sequence, the table checks, the modes) is
// differential.hpp's.
//
// Each named sequence below is data: a list of ops
//
//   write C B…           SMBus Block Write, command C, data B… (N*V: the byte V N times; no
//                        data: a zero-length block) → "ack" / "nak"
//   read C               SMBus Block Read, command C → "ack N: bytes" / "nak"
//   bmc_request          what request the BMC has and has not answered yet → "req …" / "none"
//   bmc_respond B…       the BMC answers that request with B… (netfn, cmd, cc, data)
//   bmc_respond_count N  … with N bytes: 1C 01 00, then 00 01 02 … (long responses, every
//                        block's bytes distinct)
//
// and is run twice: against QEMU (a fresh QEMU per sequence; behind ipmi-bmc-extern an ipmikit
// vm::bmc_session in this process that answers only when a bmc_respond op says so; after
// bmc_respond the test gives QEMU 30 ms to take the frame, as nothing on the SMBus shows it)
// and against ssif::device (default configuration: start/middle/end, 255 bytes, no PEC; the
// same BMC answers through pending_request()/respond()). Every transfer's outcome and every
// byte read is recorded. QEMU's smbus-ipmi has no SMBALERT# and no PEC (ssif.md §4), so
// neither is an op here (tests/ssif_device_test.cpp covers them).
//
// Modes (differential.hpp): no argument / --transcript FILE replays the device against the
// checked-in QEMU values (tests/interop/data/ssif_qemu_transcript.txt; runs everywhere);
// --live runs QEMU too; --record FILE writes a new transcript (scripts/record-ssif-transcript.sh);
// --only NAME; --verbose.
//
// Every difference between QEMU and the device must be listed in `known_differences`
// (sequence, op index, reason): an unlisted one fails, and so does a listed one that no longer
// occurs. No masking rule. docs/ssif-qemu-differences.md explains every difference.
//
// Exit status: 0 passed, 1 a check failed, 2 usage, 77 skipped.
#include <array>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <ipmikit/ssif/device.hpp>

#include "differential.hpp"
#include "smbus_qtest.hpp"

#ifndef IPMIKIT_SSIF_TRANSCRIPT
#define IPMIKIT_SSIF_TRANSCRIPT "tests/interop/data/ssif_qemu_transcript.txt"
#endif

namespace {

using namespace ipmikit::interop;
using namespace ipmikit::interop::differential;
namespace dev = ipmikit::ssif;

// ---------------------------------------------------------------------------------------------
// Sequences as data

enum class op_kind : std::uint8_t { write, read, bmc_request, bmc_respond, bmc_respond_count };

using op = basic_op<op_kind>;  // write: payload = command, data…; read: a = command

/// The ops but `write` (parse_op reads its N*V runs), as differential.hpp's parse_op_with reads them.
constexpr op_syntax<op_kind> grammar[] = {
    {"read", op_kind::read, op_args::byte},
    {"bmc_request", op_kind::bmc_request, op_args::none},
    {"bmc_respond", op_kind::bmc_respond, op_args::byte_list, 3},  // a response has at least 3 bytes
    {"bmc_respond_count", op_kind::bmc_respond_count, op_args::count, 3, 300},
};

const macro_map macros = {
    // Get Device ID, single-part.
    {"@gdi", "write 02 18 01"},
    // The BMC's 18-byte answer (A0: a VM-protocol special character, escaped on the wire).
    {"@answer", "bmc_respond 1C 01 00 20 81 02 17 02 BF 57 01 00 A0 00 00 00 00 00"},
    // A whole transaction.
    {"@xact", "@gdi; bmc_request; @answer; read 03"},
    // A 32-byte multi-part start of an OEM request (NetFn 30h, cmd 01), 30 bytes of 11.
    {"@start", "write 06 C0 01 30*11"},
    // Get Self Test Results and its answer.
    {"@self_test", "write 02 18 04"},
    {"@self_test_answer", "bmc_respond 1C 04 00 55 00"},
};

// clang-format off
const std::vector<sequence_spec> sequences = {
  {"power_on_reads", "reads with nothing asked yet: 03, 09, 0A",
   "read 03; read 09; read 0A; bmc_request"},
  {"single_part", "Get Device ID: 02 write, the BMC answers, one 03 read of 18 bytes",
   "@gdi; bmc_request; @answer; read 03; bmc_request"},
  {"read_before_respond_first", "a 03 read before the BMC answered the first request ever",
   "@gdi; read 03; bmc_request; @answer; read 03"},
  {"read_before_respond", "a 03 read before the BMC answered, with an earlier response read",
   "@xact; @self_test; read 03; bmc_request; @self_test_answer; read 03"},
  {"reread_after_full_read", "03 again after the response was read: the same response; then 09",
   "@xact; read 03; read 03; read 09"},
  {"multipart_write_06_08", "a 35-byte request: 06 (32 bytes), 08 (3 bytes)",
   "@start; write 08 01 02 03; bmc_request; bmc_respond C4 01 00; read 03"},
  {"multipart_write_06_07_08", "a 69-byte request: 06, 07 (32 bytes), 08 (5 bytes)",
   "@start; write 07 32*22; write 08 01 02 03 04 05; bmc_request; bmc_respond C4 01 00; read 03"},
  {"short_07_ends", "06, then a 10-byte 07: QEMU's end of the message (a middle shorter than 32)",
   "@start; write 07 10*33; bmc_request; write 08 01; bmc_request; bmc_respond C4 01 00; read 03"},
  {"zero_length_07_ends", "06, then a zero-length 07 (Linux's probe of the end marker)",
   "@start; write 07; bmc_request; bmc_respond C4 01 00; read 03"},
  {"request_255_bytes", "06, 07 x6, 08 with 31 bytes: a 255-byte request, the most either takes",
   "@start; write 07 32*22; write 07 32*22; write 07 32*22; write 07 32*22; write 07 32*22; write 07 32*22; "
   "write 08 31*44; bmc_request; bmc_respond C4 01 00; read 03"},
  {"request_256_bytes", "06, 07 x6, 08 with 32 bytes: one byte over 255, then a good request",
   "@start; write 07 32*22; write 07 32*22; write 07 32*22; write 07 32*22; write 07 32*22; write 07 32*22; "
   "write 08 32*44; bmc_request; @xact"},
  {"middle_end_without_start", "07 and 08 with no 06 before them, then a good request",
   "write 07 32*55; bmc_request; write 08 18 01; bmc_request; read 03; @xact"},
  {"start_twice", "06, then 06 again: the second start replaces the first",
   "@start; write 06 C0 02 30*66; write 08 09; bmc_request; bmc_respond C4 02 00; read 03"},
  {"single_part_during_multipart_write", "06, then a 02 write before the end",
   "@start; @gdi; bmc_request; @answer; read 03; write 08 01; bmc_request"},
  {"start_short", "06 with fewer than 32 bytes, then 08",
   "write 06 C0 01 05 06; write 08 07; bmc_request; @xact"},
  {"write_33_bytes", "a 02 Block Write of 33 bytes (past the SMBus block), then a good request",
   "write 02 18 01 31*00; bmc_request; read 03; @xact"},
  {"single_part_too_short", "a 02 write of one byte, of zero bytes, then a good request",
   "write 02 18; bmc_request; write 02; bmc_request; @xact"},
  {"unknown_write_commands", "Block Writes with commands 00, 01, 03, 05, 09, 0A, 0B, FF",
   "write 00 18 01; write 01 18 01; write 03 18 01; write 05 18 01; write 09 18 01; write 0A 18 01; "
   "write 0B 18 01; write FF 18 01; bmc_request; @xact"},
  {"unknown_read_commands", "Block Reads with commands 02, 06, 08, 0A, 0B after a response was read",
   "@xact; read 02; read 06; read 08; read 0A; read 0B; read 03"},
  {"capabilities_ssif", "Get System Interface Capabilities, type 0 (SSIF): answered by the interface",
   "write 02 18 57 00; bmc_request; read 03; read 03"},
  {"capabilities_bad_type", "Get System Interface Capabilities, type 1 (KCS) and 2 (SMIC)",
   "write 02 18 57 01; bmc_request; read 03; write 02 18 57 02; read 03"},
  {"capabilities_missing_type", "Get System Interface Capabilities without the type byte",
   "write 02 18 57; bmc_request; read 03"},
  {"capabilities_lun_and_extra", "Get System Interface Capabilities on LUN 2, and with an extra byte",
   "write 02 1A 57 00; bmc_request; read 03; write 02 18 57 00 00; bmc_request; read 03"},
  {"new_request_replaces_unanswered", "a new request while the BMC has not answered the last",
   "@gdi; bmc_request; @self_test; read 03; bmc_request; bmc_respond 1C 01 00 5A; read 03; bmc_request; "
   "@self_test_answer; read 03"},
  {"new_request_discards_unread", "a new request while the last response has not been read",
   "@gdi; bmc_request; @answer; @self_test; read 03; bmc_request; @self_test_answer; read 03"},
  {"multipart_read_44", "a 44-byte response: 03 (00 01 + 30 bytes), 09 (FF + 14 bytes)",
   "@gdi; bmc_request; bmc_respond_count 44; read 03; read 09; read 09; read 03"},
  {"multipart_read_100", "a 100-byte response: 03, 09 (block 0), 09 (block 1), 09 (FF + 8 bytes)",
   "@gdi; bmc_request; bmc_respond_count 100; read 03; read 09; read 09; read 09; read 09"},
  {"multipart_read_63", "a 63-byte response: 03 (30 bytes), 09 (FF + 31 bytes: the last block full)",
   "@gdi; bmc_request; bmc_respond_count 63; read 03; read 09; read 09"},
  {"multipart_read_33", "a 33-byte response: one byte over a single block",
   "@gdi; bmc_request; bmc_respond_count 33; read 03; read 09"},
  {"single_read_32", "a 32-byte response: the largest single-part one",
   "@gdi; bmc_request; bmc_respond_count 32; read 03; read 09"},
  {"multipart_read_restart", "03 again in the middle of a multi-part read restarts it",
   "@gdi; bmc_request; bmc_respond_count 100; read 03; read 09; read 03; read 09; read 09; read 09"},
  {"multipart_reread", "a multi-part response read to its end, then 03 and 09 again",
   "@gdi; bmc_request; bmc_respond_count 44; read 03; read 09; read 03; read 09"},
  {"response_255_bytes", "a 255-byte response: 03, seven middle blocks, FF + 8 bytes",
   "@gdi; bmc_request; bmc_respond_count 255; read 03; read 09; read 09; read 09; read 09; read 09; read 09; "
   "read 09; read 09; read 09"},
  {"response_256_bytes", "a 256-byte response: over 255 (QEMU truncates with cc C6)",
   "@gdi; bmc_request; bmc_respond_count 256; read 03; bmc_request; read 09"},
  {"write_after_empty_read", "a write right after a read QEMU answered with an empty block, then again",
   "read 03; write 02 18 01; bmc_request; write 02 18 01; bmc_request; @answer; read 03"},
  {"read_after_empty_read", "reads after an empty block: 03, 03, then a transaction",
   "read 03; read 03; read 03; @xact"},
  {"two_transactions", "two transactions back to back",
   "@xact; @self_test; bmc_request; @self_test_answer; read 03"},
};
// clang-format on

/// "write C B…" with N*V runs; the others with the grammar (bmc_respond_count: its payload).
[[nodiscard]] result<op> parse_op(const std::string& text) {
  const op_words w(text);
  if (!w.empty() && w.name() == "write") {
    if (w.size() < 2) return w.bad("write C [B…]");
    op o;
    o.kind = op_kind::write;
    o.text = "write";
    for (std::size_t i = 1; i < w.size(); ++i) {
      const auto star = w[i].find('*');
      if (star != std::string::npos && i > 1) {
        auto n = parse_count(w[i].substr(0, star), 300);
        auto v = parse_byte(w[i].substr(star + 1));
        if (!n || !v) return w.bad("N*V");
        o.payload.insert(o.payload.end(), *n, *v);
        o.text += " " + std::to_string(*n) + "*" + hex(*v);
        continue;
      }
      auto b = w.byte(i);
      if (!b) return fail(b.error());
      o.payload.push_back(*b);
      o.text += " " + hex(*b);
    }
    return o;
  }
  auto o = parse_op_with<op_kind>(grammar, text);
  if (o && o->kind == op_kind::bmc_respond_count) {
    o->kind = op_kind::bmc_respond;
    o->payload = {0x1C, 0x01, 0x00};
    for (std::size_t i = 3; i < o->count; ++i) o->payload.push_back(static_cast<std::uint8_t>(i - 3));
  }
  return o;
}

// ---------------------------------------------------------------------------------------------
// The known differences between QEMU 7.2's smbus-ipmi and ssif::device (docs/ssif-qemu-differences.md)

namespace why {
constexpr std::string_view empty_block =
    "QEMU acknowledges a Block Read it has nothing for (no response yet, a response discarded by a new "
    "request, 09h past the end or with no multi-part read under way) and returns an empty block (count 0); "
    "the device NAKs it (not_ready / out_of_order), as Linux ssif_bmc NAKs while busy: the host retries";
constexpr std::string_view stale_response =
    "QEMU hands back the previous (already read) response when the BMC has not answered the request just "
    "written (ssif.md 6.1); the device NAKs until the answer to that request is there";
constexpr std::string_view nak_after_empty_read =
    "QEMU 7.2: the first Block Write after a read that returned an empty block is NAKed (HST_STS 04) and "
    "lost; the write after it works. The device has no such state (a host recovers with its write retry)";
constexpr std::string_view unknown_write_acked =
    "QEMU acknowledges a Block Write with any command and ignores it; the device NAKs a command that is not "
    "02h/06h/07h/08h (unsupported_command), as Linux ssif_bmc aborts the transaction";
constexpr std::string_view unknown_read =
    "QEMU serves a Block Read with any command: an empty block, or (08h right after an empty read) the "
    "response again; the device NAKs a read command other than 03h/09h (unsupported_command)";
constexpr std::string_view short_write_acked =
    "QEMU acknowledges a 02h write shorter than NetFn/LUN + Cmd (and drops it) and a 06h start shorter than "
    "32 bytes (and takes it); the device NAKs both (bad_length: a start is exactly one full block)";
constexpr std::string_view over_255_acked =
    "QEMU acknowledges the part that takes a multi-part request past 255 bytes (and drops the request); the "
    "device NAKs it (bad_length), so the host learns at once";
constexpr std::string_view end_without_start =
    "QEMU acknowledges 07h/08h with no 06h before them (and forwards nothing); the device NAKs them "
    "(out_of_order, request_rejected)";
constexpr std::string_view end_after_end =
    "QEMU acknowledges an 08h after a message already ended (by 02h or a short 07h), appends the bytes "
    "to it and forwards the longer message again (18 01 01); the device NAKs it (out_of_order)";
constexpr std::string_view caps_lun =
    "QEMU answers Get System Interface Capabilities itself only as NetFn/LUN 18h (LUN 0) and forwards it "
    "to the BMC on another LUN; the device answers it on every LUN (1E 57 00 00 80 FF FF)";
constexpr std::string_view replaced_forwarded =
    "a new request while the BMC works: QEMU forwards it with a new msg_id and ignores the BMC's answer "
    "to the old one (which this BMC answers first); the device replaces the pending request, so the BMC "
    "sees only the new one";
constexpr std::string_view past_end_stale =
    "09h after the FFh block: QEMU returns leftover bytes of its buffer (here 10 bytes) instead of "
    "failing; the device NAKs (out_of_order)";
constexpr std::string_view response_truncated =
    "a 256-byte response: QEMU takes it, sets its cc to C6h and cuts it to 255 bytes; the device refuses "
    "it (response_too_long: it advertised 255) and keeps the request for a shorter answer";
constexpr std::string_view after_divergence =
    "follows from the earlier difference in this sequence: the two are in different states now";
}  // namespace why

// clang-format off
const std::vector<known_difference> known_differences = {
    {"power_on_reads", 0, why::empty_block},
    {"power_on_reads", 1, why::empty_block},
    {"power_on_reads", 2, why::empty_block},
    {"read_before_respond_first", 1, why::empty_block},
    {"read_before_respond", 5, why::stale_response},
    {"reread_after_full_read", 6, why::empty_block},
    {"short_07_ends", 3, why::end_after_end},
    {"request_256_bytes", 7, why::over_255_acked},
    {"middle_end_without_start", 0, why::end_without_start},
    {"middle_end_without_start", 2, why::end_without_start},
    {"middle_end_without_start", 4, why::empty_block},
    {"middle_end_without_start", 5, why::nak_after_empty_read},
    {"middle_end_without_start", 6, why::after_divergence},
    {"middle_end_without_start", 7, why::after_divergence},
    {"middle_end_without_start", 8, why::after_divergence},
    {"single_part_during_multipart_write", 5, why::end_after_end},
    {"single_part_during_multipart_write", 6, why::end_after_end},
    {"start_short", 0, why::short_write_acked},
    {"start_short", 1, why::after_divergence},
    {"start_short", 2, why::after_divergence},
    {"start_short", 4, why::after_divergence},
    {"start_short", 5, why::after_divergence},
    {"write_33_bytes", 2, why::empty_block},
    {"write_33_bytes", 3, why::nak_after_empty_read},
    {"write_33_bytes", 4, why::after_divergence},
    {"write_33_bytes", 5, why::after_divergence},
    {"write_33_bytes", 6, why::after_divergence},
    {"single_part_too_short", 0, why::short_write_acked},
    {"single_part_too_short", 2, why::short_write_acked},
    {"unknown_write_commands", 0, why::unknown_write_acked},
    {"unknown_write_commands", 1, why::unknown_write_acked},
    {"unknown_write_commands", 2, why::unknown_write_acked},
    {"unknown_write_commands", 3, why::unknown_write_acked},
    {"unknown_write_commands", 4, why::unknown_write_acked},
    {"unknown_write_commands", 5, why::unknown_write_acked},
    {"unknown_write_commands", 6, why::unknown_write_acked},
    {"unknown_write_commands", 7, why::unknown_write_acked},
    {"unknown_read_commands", 4, why::unknown_read},
    {"unknown_read_commands", 5, why::unknown_read},
    {"unknown_read_commands", 6, why::unknown_read},
    {"unknown_read_commands", 7, why::unknown_read},
    {"unknown_read_commands", 8, why::unknown_read},
    {"unknown_read_commands", 9, why::after_divergence},
    {"capabilities_lun_and_extra", 1, why::caps_lun},
    {"capabilities_lun_and_extra", 2, why::caps_lun},
    {"capabilities_lun_and_extra", 3, why::nak_after_empty_read},
    {"capabilities_lun_and_extra", 4, why::after_divergence},
    {"capabilities_lun_and_extra", 5, why::after_divergence},
    {"new_request_replaces_unanswered", 3, why::empty_block},
    {"new_request_replaces_unanswered", 4, why::replaced_forwarded},
    {"new_request_replaces_unanswered", 5, why::replaced_forwarded},
    {"new_request_replaces_unanswered", 7, why::replaced_forwarded},
    {"new_request_replaces_unanswered", 8, why::replaced_forwarded},
    {"new_request_discards_unread", 4, why::empty_block},
    {"multipart_read_44", 5, why::past_end_stale},
    {"multipart_read_100", 7, why::empty_block},
    {"single_read_32", 4, why::empty_block},
    {"response_255_bytes", 12, why::empty_block},
    {"response_256_bytes", 2, why::response_truncated},
    {"response_256_bytes", 3, why::response_truncated},
    {"response_256_bytes", 4, why::after_divergence},
    {"response_256_bytes", 5, why::response_truncated},
    {"write_after_empty_read", 0, why::empty_block},
    {"write_after_empty_read", 1, why::nak_after_empty_read},
    {"write_after_empty_read", 2, why::after_divergence},
    {"read_after_empty_read", 0, why::empty_block},
    {"read_after_empty_read", 1, why::empty_block},
    {"read_after_empty_read", 2, why::empty_block},
    {"read_after_empty_read", 3, why::nak_after_empty_read},
    {"read_after_empty_read", 4, why::after_divergence},
    {"read_after_empty_read", 5, why::after_divergence},
    {"read_after_empty_read", 6, why::after_divergence},
};
// clang-format on

// ---------------------------------------------------------------------------------------------
// The device side

[[nodiscard]] std::string read_value(bool ack, std::span<const std::uint8_t> data) {
  if (!ack) return "nak";
  return "ack " + std::to_string(data.size()) + (data.empty() ? "" : ": " + hex(data));
}

/// One op on the device (the BMC behind it: differential.hpp's device_bmc); its value.
std::string run_device_op(dev::device& d, device_bmc<dev::device>& bmc, const op& o) {
  switch (o.kind) {
    case op_kind::write: {
      const auto data = std::span<const std::uint8_t>(o.payload).subspan(1);
      const auto w = d.block_write(o.payload[0], data);
      bmc.note(w.event);
      return w.ack ? "ack" : "nak";
    }
    case op_kind::read: {
      std::array<std::uint8_t, dev::block_size> block{};
      const auto r = d.block_read(o.a, block);
      return read_value(r.ack, std::span<const std::uint8_t>(block.data(), r.count));
    }
    case op_kind::bmc_request: return bmc.request();
    case op_kind::bmc_respond:
    case op_kind::bmc_respond_count: return bmc.respond(o.payload);
  }
  return "?";
}

// ---------------------------------------------------------------------------------------------
// The QEMU side (the BMC behind it: differential.hpp's bmc_peer)

[[nodiscard]] result<std::string> run_qemu_op(qtest& qt, bmc_peer& bmc, const op& o) {
  piix4_smbus_host smbus(qt, ssif_address);
  switch (o.kind) {
    case op_kind::write: {
      const auto data = std::span<const std::uint8_t>(o.payload).subspan(1);
      auto t = smbus.block_write(o.payload[0], data);
      if (!t) return fail(t.error());
      if (auto p = bmc.pump(0); !p) return fail(p.error());
      return std::string(t->ack ? "ack" : "nak");
    }
    case op_kind::read: {
      auto t = smbus.block_read(o.a);
      if (!t) return fail(t.error());
      return read_value(t->ack, t->data);
    }
    case op_kind::bmc_request: return qemu_bmc_request(bmc, nullptr);
    case op_kind::bmc_respond:
    case op_kind::bmc_respond_count: {
      auto r = qemu_bmc_request(bmc, &o.payload);
      if (!r) return r;
      // Nothing on the SMBus shows that QEMU has taken the response: give it time.
      const deadline d{millis(30)};
      while (!d.expired())
        if (auto p = bmc.pump(2); !p) return fail(p.error());
      return r;
    }
  }
  return fail("unknown op");
}

}  // namespace

int main(int argc, char** argv) {
  auto cfg = interface_config<dev::device, op, run_device_op>("ssif", ipmi_interface::ssif, IPMIKIT_SSIF_TRANSCRIPT,
                                                              sequences, macros, known_differences, parse_op,
                                                              run_qemu_op, judge_exact<op>);  // no masking rule
  cfg.transcript_format =
      "# Format: <sequence> <op index>  <op> => <value>. write: ack / nak (HST_STS DEV_ERR); read: nak, or\n"
      "# ack N: the N bytes of the block after its count; bmc_*: the BMC's view.\n";
  return run_differential(argc, argv, cfg);
}
