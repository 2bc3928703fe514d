// tests/interop/kcs_differential_test.cpp — ipmikit's KCS device model (kcs::device,
// include/ipmikit/kcs/device.hpp) against REAL QEMU's isa-ipmi-kcs, register access by register
// access, through qtest port I/O (0xCA2 data, 0xCA3 status/command).
//
// Each named sequence below is data: a list of ops
//
//   out_cmd V            write V to the command port (0xCA3)
//   out_data V           write V to the data port (0xCA2)
//   fill_data N V        write V to the data port N times (for long requests; nothing recorded)
//   in_status            read the status register            → its value
//   in_data              read Data_Out                       → its value
//   wait_status M V      poll the status until (status & M) == V, bounded (1.5 s on QEMU; the
//                        device answers at once) → the final value only
//   bmc_request          what request the BMC has and has not answered yet → "req …" / "none"
//   bmc_respond B…       the BMC answers that request with B… → "req … answered" / "… refused:why"
//   bmc_attention 0|1    the BMC clears/sets SMS_ATN (QEMU: VM command NOATTN/ATTN)
//
// and is run twice: against QEMU (a fresh QEMU per sequence, so every sequence starts from
// power-on state; behind QEMU's ipmi-bmc-extern an ipmikit vm::bmc_session in this process that
// answers only when a bmc_respond op tells it to, so the timing is deterministic: QEMU holds
// IBF until then, and a `wait_status` after bmc_respond / bmc_attention waits for QEMU to have
// taken the frame) and against kcs::device (default configuration: every write serviced at
// once; the same BMC answers through pending_request()/respond()). Every value read is recorded.
//
// Modes:
//   (no argument) / --transcript FILE   replay: run the device side only and compare it with the
//        QEMU values in the checked-in transcript (default tests/interop/data/
//        kcs_qemu_transcript.txt, found next to this source file). Runs everywhere.
//   --live [--transcript FILE]   run QEMU too: compare QEMU with the device, AND QEMU with the
//        transcript (so a QEMU that behaves differently from the recorded one is noticed).
//        Exit 77 when qemu-system-x86_64 is missing (1 with IPMIKIT_INTEROP_REQUIRED=1).
//   --record FILE   run QEMU, write its values as a new transcript to FILE (and compare with the
//        device as in --live). scripts/record-kcs-transcript.sh does this for the checked-in file.
//   --only NAME     run one sequence (repeatable).
//
// Every difference between QEMU and the device must be listed in `known_differences` (sequence,
// op index, reason). An unlisted difference fails; so does a listed one that no longer occurs.
// Two named rules apply before comparing, each declared once with its reason:
//   status_compare_mask   C/D# (0x08) is masked in status values: QEMU never sets it.
//   dummy_read_tracker    a Data_Out read while BOTH sides' last status showed a state other
//                         than READ is a dummy read (only clears OBF) and is not compared: QEMU
//                         never writes a dummy value, so it returns a stale byte there.
// The machinery (sequence parsing, transcript, BMC peer, QEMU per sequence, the table checks,
// the modes) is differential.hpp's, shared with bt_differential_test.cpp.
// docs/kcs-qemu-differences.md explains every difference. Timing: a fresh QEMU per sequence
// takes ~55 ms to start and greet; the live run of all sequences takes ~4.5 s.
//
// Exit status: 0 passed, 1 a check failed, 2 usage, 77 skipped.
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <ipmikit/kcs/device.hpp>

#include "differential.hpp"

#ifndef IPMIKIT_KCS_TRANSCRIPT
#define IPMIKIT_KCS_TRANSCRIPT "tests/interop/data/kcs_qemu_transcript.txt"
#endif

namespace {

using namespace ipmikit::interop;
using namespace ipmikit::interop::differential;
namespace dev = ipmikit::kcs;

constexpr std::uint16_t data_port = 0xCA2;
constexpr std::uint16_t status_port = 0xCA3;

/// The one whole-bit rule: status values are compared with C/D# (0x08) masked. QEMU defines the
/// bit but never sets it (reference/qemu.md §2.2); the device sets it on every command write
/// and clears it on every data write, as IPMI v2.0 Table 9-1 says the hardware does.
constexpr std::uint8_t status_compare_mask = static_cast<std::uint8_t>(~0x08u);

// ---------------------------------------------------------------------------------------------
// Sequences as data

enum class op_kind : std::uint8_t {
  out_cmd, out_data, fill_data, in_status, in_data, wait_status, bmc_request, bmc_respond, bmc_attention,
};

using op = basic_op<op_kind>;

/// The ops above, as differential.hpp's parse_op_with reads them.
constexpr op_syntax<op_kind> grammar[] = {
    {"out_cmd", op_kind::out_cmd, op_args::byte},
    {"out_data", op_kind::out_data, op_args::byte},
    {"fill_data", op_kind::fill_data, op_args::count_byte, 1, 1000},
    {"in_status", op_kind::in_status, op_args::none},
    {"in_data", op_kind::in_data, op_args::none},
    {"wait_status", op_kind::wait_status, op_args::mask_value},
    {"bmc_request", op_kind::bmc_request, op_args::none},
    {"bmc_respond", op_kind::bmc_respond, op_args::byte_list, 3},  // a response has at least 3 bytes
    {"bmc_attention", op_kind::bmc_attention, op_args::byte, 0, 1},
};

[[nodiscard]] bool reads_status(const op& o) noexcept {
  return o.kind == op_kind::in_status || o.kind == op_kind::wait_status;
}

/// Macros expanded in sequence texts (recursively).
const macro_map macros = {
    // WRITE_START, then the dummy byte it produces.
    {"@ws", "out_cmd 61; in_status; in_data"},
    // The write phase of Get Device ID (18 01) in the spec's order (Figure 9-6): WRITE_START,
    // the bytes but the last, WRITE_END, the last byte. Every step reads the status and clears OBF.
    {"@gdi_write", "@ws; out_data 18; in_status; in_data; out_cmd 62; in_status; in_data; out_data 01"},
    // The spec's error exit (Figure 9-8): GET_STATUS/ABORT, clear OBF, 0x00, read the status
    // code, READ, read the dummy byte.
    {"@abort", "out_cmd 60; in_status; in_data; out_data 00; in_status; in_data; out_data 68; in_status; "
               "in_data; in_status"},
    // One step of the read phase: status, the byte, READ.
    {"@rd", "in_status; in_data; out_data 68"},
    // The BMC answers with a 4-byte response whose last byte is not zero, then the host waits
    // for IBF=0 and OBF=1.
    {"@answer", "bmc_respond 1C 01 00 5A; wait_status 03 01"},
    // The rest of the read phase of @answer: the four bytes, then IDLE and the dummy byte.
    {"@read4", "@rd; @rd; @rd; @rd; in_status; in_data; in_status"},
};

// clang-format off
const std::vector<sequence_spec> sequences = {
  {"power_on_state", "status and Data_Out at power-on (Data_Out read with OBF clear)",
   "in_status; in_data; in_status"},
  {"get_device_id", "a full Get Device ID transaction, spec flow, 18-byte response (A0 escaped on the wire)",
   "in_status; @gdi_write; in_status; bmc_request; "
   "bmc_respond 1C 01 00 20 81 02 17 02 BF 57 01 00 A0 00 00 00 00 00; wait_status 03 01; "
   "@rd; @rd; @rd; @rd; @rd; @rd; @rd; @rd; @rd; @rd; @rd; @rd; @rd; @rd; @rd; @rd; @rd; @rd; "
   "in_status; in_data; in_status"},
  {"two_transactions", "two transactions back to back; the second's dummy bytes follow the first's data",
   "@gdi_write; @answer; @read4; @gdi_write; bmc_request; bmc_respond 1C 01 00 A5; wait_status 03 01; @read4"},
  {"write_without_clearing_obf", "a host that never reads the dummy bytes of the write phase",
   "out_cmd 61; in_status; out_data 18; in_status; out_cmd 62; in_status; out_data 01; in_status; "
   "bmc_request; @answer; @read4"},
  {"read_data_with_obf_clear", "Data_Out read twice (the second time with OBF clear) in every phase",
   "@ws; in_data; in_status; out_data 18; in_data; in_data; in_status; out_cmd 62; in_data; in_data; "
   "out_data 01; in_status; in_data; in_status; @answer; in_data; in_data; in_status; out_data 68; "
   "in_status; in_data; in_data; out_data 68; @rd; @rd; in_status; in_data; in_data; in_status"},
  {"data_before_write_start", "a data byte while idle, then the error exit",
   "out_data 18; in_status; in_data; @abort"},
  {"data_in_idle_after_transaction", "a data byte while idle after a transaction (QEMU's cmd_reg is -1 by now)",
   "@gdi_write; @answer; @read4; out_data 18; in_status; in_data; in_status"},
  {"data_in_error_state", "an illegal code, then data bytes instead of the error exit's GET_STATUS/ABORT",
   "out_cmd 00; in_status; out_data 18; in_status; in_data; out_data 68; in_status; in_data; in_status"},
  {"data_while_bmc_works", "a data byte while the BMC has the request (QEMU: IBF still set)",
   "@gdi_write; in_status; out_data 55; in_status; bmc_respond 1C 01 00 5A; wait_status 02 00; in_status; "
   "in_data"},
  {"abort_while_bmc_works", "the whole error exit while the BMC has the request, then the BMC answers",
   "@gdi_write; in_status; @abort; bmc_respond 1C 01 00 5A; wait_status 02 00; in_status; in_data"},
  {"write_start_while_bmc_works", "WRITE_START while the BMC has the request, then the BMC answers",
   "@gdi_write; in_status; out_cmd 61; in_status; in_data; bmc_respond 1C 01 00 5A; wait_status 02 00; "
   "in_status; in_data; out_data 68; in_status"},
  {"write_end_without_data", "WRITE_START, WRITE_END, one byte: a 1-byte request",
   "@ws; out_cmd 62; in_status; in_data; out_data 18; in_status; bmc_request; bmc_respond 1C 01 00 5A; "
   "wait_status 02 00; @read4"},
  {"write_end_twice_no_data", "WRITE_START, WRITE_END, WRITE_END: no data at all",
   "@ws; out_cmd 62; in_status; in_data; out_cmd 62; in_status; in_data; bmc_request; @abort"},
  {"write_end_twice", "WRITE_START, one byte, WRITE_END, WRITE_END instead of the last byte",
   "@ws; out_data 18; in_status; in_data; out_cmd 62; in_status; in_data; out_cmd 62; in_status; in_data; "
   "bmc_request; @abort"},
  {"unknown_code_ff_after_write_end", "0xFF to the command port where the last request byte belongs",
   "@ws; out_data 18; in_status; in_data; out_cmd 62; in_status; in_data; out_cmd FF; in_status; in_data; "
   "bmc_request; @abort"},
  {"unknown_code_00_idle", "control code 0x00 while idle, then the error exit",
   "out_cmd 00; in_status; in_data; @abort"},
  {"unknown_code_63_mid_write", "reserved control code 0x63 in the write phase, then the error exit",
   "@ws; out_data 18; in_status; in_data; out_cmd 63; in_status; in_data; @abort"},
  {"read_code_to_command_port", "READ (0x68) written to the command port while idle",
   "out_cmd 68; in_status; in_data; @abort"},
  {"read_code_to_command_port_in_read", "READ (0x68) written to the command port in the read phase",
   "@gdi_write; @answer; in_status; in_data; out_cmd 68; in_status; in_data; @abort"},
  {"read_phase_wrong_byte", "0x00 instead of READ after the second response byte, then the error exit",
   "@gdi_write; @answer; @rd; in_status; in_data; out_data 00; in_status; in_data; @abort"},
  {"read_phase_wrong_byte_after_last", "0x00 instead of READ after the last response byte",
   "@gdi_write; @answer; @rd; @rd; @rd; in_status; in_data; out_data 00; in_status; in_data; in_status"},
  {"read_phase_write_start", "WRITE_START in the read phase, then the error exit",
   "@gdi_write; @answer; @rd; in_status; in_data; out_cmd 61; in_status; in_data; @abort"},
  {"write_start_mid_write", "WRITE_START again in the middle of the write phase, then a full request",
   "@ws; out_data 18; in_status; in_data; out_cmd 61; in_status; in_data; out_data 18; in_status; in_data; "
   "out_cmd 62; in_status; in_data; out_data 01; in_status; bmc_request; @abort"},
  {"write_start_in_error_state", "WRITE_START in the error state instead of GET_STATUS/ABORT",
   "out_cmd 00; in_status; in_data; out_cmd 61; in_status; in_data; @abort"},
  {"abort_idle", "GET_STATUS/ABORT error exit while idle (nothing to abort)",
   "@abort; in_data"},
  {"abort_idle_twice", "GET_STATUS/ABORT while idle, again before the 0x00, then the rest of the exit",
   "out_cmd 60; in_status; in_data; out_cmd 60; in_status; in_data; out_data 00; in_status; in_data; "
   "out_data 68; in_status; in_data; in_status"},
  {"abort_after_write_start", "error exit right after WRITE_START",
   "@ws; @abort"},
  {"abort_mid_write", "error exit after one request byte",
   "@ws; out_data 18; in_status; in_data; @abort"},
  {"abort_after_write_end", "error exit after WRITE_END (where the last byte belongs)",
   "@ws; out_data 18; in_status; in_data; out_cmd 62; in_status; in_data; @abort"},
  {"abort_mid_read", "error exit after two response bytes, then a new transaction",
   "@gdi_write; @answer; @rd; @rd; @abort; @gdi_write; bmc_request; @answer; @read4"},
  {"abort_in_error_state_twice", "an illegal code, then GET_STATUS/ABORT twice, then the rest of the exit",
   "out_cmd 63; in_status; out_cmd 60; in_status; in_data; out_cmd 60; in_status; in_data; out_data 00; "
   "in_status; in_data; out_data 68; in_status; in_data; in_status"},
  {"abort_during_abort_status", "GET_STATUS/ABORT again before the error exit's 0x00 (mid-write)",
   "@ws; out_cmd 60; in_status; in_data; out_cmd 60; in_status; in_data; out_data 00; in_status; in_data; "
   "out_data 68; in_status; in_data; in_status"},
  {"abort_during_abort_read", "GET_STATUS/ABORT again after the status code was read, before READ",
   "@ws; out_cmd 60; in_status; in_data; out_data 00; in_status; in_data; out_cmd 60; in_status; in_data; "
   "out_data 00; in_status; in_data; out_data 68; in_status; in_data; in_status"},
  {"error_exit_then_transaction", "an illegal code, the error exit, then a normal transaction",
   "out_cmd 00; in_status; @abort; @gdi_write; bmc_request; @answer; @read4"},
  {"attention_idle", "SMS_ATN set and cleared by the BMC while idle",
   "bmc_attention 1; wait_status 04 04; in_status; in_data; bmc_attention 0; wait_status 04 00; in_status"},
  {"attention_during_transfer", "SMS_ATN set in the write phase and cleared in the read phase",
   "@ws; bmc_attention 1; wait_status 04 04; out_data 18; in_status; in_data; out_cmd 62; in_status; "
   "in_data; out_data 01; in_status; @answer; @rd; bmc_attention 0; wait_status 04 00; @rd; @rd; @rd; "
   "in_status; in_data; in_status"},
  {"request_at_device_capacity", "a 272-byte request (kcs::device's capacity; QEMU holds 300)",
   "@ws; out_data 18; out_data 01; fill_data 269 55; in_status; in_data; out_cmd 62; in_status; in_data; "
   "out_data 55; in_status; bmc_request; @answer; @read4"},
  {"request_over_device_capacity", "a 273-byte request: one byte more than kcs::device holds",
   "@ws; out_data 18; out_data 01; fill_data 270 55; in_status; in_data; out_cmd 62; in_status; in_data; "
   "out_data 55; in_status; in_data; bmc_request; bmc_respond 1C 01 00 5A; wait_status 02 00; in_status; "
   "in_data; @abort"},
  {"request_over_qemu_buffer", "a 301-byte request: more than QEMU's 300-byte buffer",
   "@ws; out_data 18; out_data 01; fill_data 298 55; in_status; in_data; out_cmd 62; in_status; in_data; "
   "out_data 55; in_status; bmc_request; in_data; @abort"},
};
// clang-format on

[[nodiscard]] result<op> parse_op(const std::string& text) { return parse_op_with<op_kind>(grammar, text); }

using kcs_sequence = sequence<op>;

// The known differences between QEMU 7.2's isa-ipmi-kcs and kcs::device (docs/kcs-qemu-differences.md)

namespace why {
constexpr std::string_view ibf_held =
    "QEMU keeps IBF set (state still WRITE) from the last request byte until its BMC answers; the "
    "device takes the byte at once and shows READ without OBF (OBF comes with the first response byte)";
constexpr std::string_view dropped_while_ibf =
    "QEMU drops every host write while IBF is set (here: while its BMC works), even GET_STATUS/ABORT; "
    "the device acts on the write";
constexpr std::string_view cancelled =
    "the device's host abandoned the request (error, abort or restart), so the BMC's late respond() is "
    "refused; QEMU never saw those writes and takes the answer";
constexpr std::string_view after_divergence =
    "follows from the earlier difference in this sequence: the two are in different phases now";
constexpr std::string_view power_on_cmd_reg =
    "QEMU bug: its command register starts at 0 instead of 'none' (-1), so a data byte in IDLE as the "
    "first write after power-on is taken as illegal control code 0x00 (ERROR without OBF, status code 02); "
    "the device: data while idle is ERROR + dummy byte, status code unspecified (FF)";
constexpr std::string_view abort_state_error =
    "after GET_STATUS/ABORT QEMU goes to the ERROR state at once; the device follows the spec's error "
    "exit (and Linux kcs_bmc): WRITE state + dummy byte, then READ with the status code";
constexpr std::string_view abort_idle_code =
    "spec: GET_STATUS/ABORT with no transfer in progress reports no_error (00); QEMU always reports "
    "aborted_by_command (01)";
constexpr std::string_view abort_in_error_ignored =
    "QEMU ignores GET_STATUS/ABORT in the ERROR state (no OBF, state stays ERROR; its 0x00 byte then "
    "reads the status code); the device accepts it in every phase (WRITE + dummy byte)";
constexpr std::string_view error_no_obf =
    "an illegal control code in IDLE (or a WRITE_START in ERROR): QEMU enters ERROR without OBF; the "
    "device always puts a dummy byte in Data_Out with ERROR";
constexpr std::string_view data_idle_ignored =
    "QEMU ignores a data byte while idle; the device reports it (ERROR + dummy byte, status code "
    "unspecified FF)";
constexpr std::string_view data_in_error_is_read =
    "QEMU treats any data byte in ERROR as the error exit's 0x00 (READ state, status code in Data_Out, "
    "then IDLE on the next byte); the device leaves ERROR only through GET_STATUS/ABORT or WRITE_START";
constexpr std::string_view write_start_restarts =
    "WRITE_START restarts a transfer on the device in every phase (as Linux kcs_bmc does; the status "
    "code is cleared); QEMU takes it as an illegal control code outside IDLE (02)";
constexpr std::string_view short_request_local =
    "QEMU's ipmi-bmc-extern answers a request shorter than 2 bytes itself (cc C7, nothing on the wire); "
    "the device hands every complete request to the BMC";
constexpr std::string_view local_answer_read =
    "the host reads QEMU's own 3-byte answer 1C 00 C7 (its cmd byte taken from a stale buffer) instead "
    "of the BMC's 4-byte answer";
constexpr std::string_view end_of_read_not_read =
    "a byte other than READ after the last response byte: QEMU ends the transfer as if it were READ "
    "(IDLE + OBF); the device reports illegal_control_code (ERROR)";
constexpr std::string_view length_error =
    "request longer than kcs::device's capacity (272): the device stops at the byte that does not fit "
    "(ERROR, status code length_error 06, the BMC never sees it); QEMU holds 300 bytes";
constexpr std::string_view qemu_truncated =
    "request longer than QEMU's 300-byte buffer: QEMU answers it itself (cc C6) and shows READ; the "
    "device is in ERROR since byte 273 (length_error)";
}  // namespace why

// clang-format off
const std::vector<known_difference> known_differences = {
    // get_device_id
    {"get_device_id", 11, why::ibf_held},
    // write_without_clearing_obf
    {"write_without_clearing_obf", 7, why::ibf_held},
    // read_data_with_obf_clear
    {"read_data_with_obf_clear", 13, why::ibf_held},
    {"read_data_with_obf_clear", 15, why::ibf_held},
    // data_before_write_start
    {"data_before_write_start", 1, why::power_on_cmd_reg},
    {"data_before_write_start", 4, why::abort_in_error_ignored},
    {"data_before_write_start", 8, why::power_on_cmd_reg},
    // data_in_idle_after_transaction
    {"data_in_idle_after_transaction", 28, why::data_idle_ignored},
    {"data_in_idle_after_transaction", 30, why::data_idle_ignored},
    // data_in_error_state
    {"data_in_error_state", 1, why::error_no_obf},
    {"data_in_error_state", 3, why::data_in_error_is_read},
    {"data_in_error_state", 4, why::data_in_error_is_read},
    {"data_in_error_state", 6, why::data_in_error_is_read},
    {"data_in_error_state", 8, why::data_in_error_is_read},
    // data_while_bmc_works
    {"data_while_bmc_works", 10, why::ibf_held},
    {"data_while_bmc_works", 12, why::dropped_while_ibf},
    {"data_while_bmc_works", 13, why::cancelled},
    {"data_while_bmc_works", 14, why::after_divergence},
    {"data_while_bmc_works", 15, why::after_divergence},
    {"data_while_bmc_works", 16, why::after_divergence},
    // abort_while_bmc_works
    {"abort_while_bmc_works", 10, why::ibf_held},
    {"abort_while_bmc_works", 12, why::dropped_while_ibf},
    {"abort_while_bmc_works", 15, why::dropped_while_ibf},
    {"abort_while_bmc_works", 16, why::dropped_while_ibf},
    {"abort_while_bmc_works", 18, why::dropped_while_ibf},
    {"abort_while_bmc_works", 20, why::dropped_while_ibf},
    {"abort_while_bmc_works", 21, why::cancelled},
    {"abort_while_bmc_works", 22, why::after_divergence},
    {"abort_while_bmc_works", 23, why::after_divergence},
    {"abort_while_bmc_works", 24, why::after_divergence},
    // write_start_while_bmc_works
    {"write_start_while_bmc_works", 10, why::ibf_held},
    {"write_start_while_bmc_works", 12, why::dropped_while_ibf},
    {"write_start_while_bmc_works", 14, why::cancelled},
    {"write_start_while_bmc_works", 15, why::after_divergence},
    {"write_start_while_bmc_works", 16, why::after_divergence},
    {"write_start_while_bmc_works", 17, why::after_divergence},
    {"write_start_while_bmc_works", 19, why::after_divergence},
    // write_end_without_data
    {"write_end_without_data", 7, why::short_request_local},
    {"write_end_without_data", 8, why::short_request_local},
    {"write_end_without_data", 9, why::short_request_local},
    {"write_end_without_data", 15, why::local_answer_read},
    {"write_end_without_data", 18, why::local_answer_read},
    {"write_end_without_data", 20, why::local_answer_read},
    {"write_end_without_data", 21, why::local_answer_read},
    {"write_end_without_data", 23, why::local_answer_read},
    // write_end_twice_no_data
    {"write_end_twice_no_data", 11, why::abort_in_error_ignored},
    // write_end_twice
    {"write_end_twice", 14, why::abort_in_error_ignored},
    // unknown_code_ff_after_write_end
    {"unknown_code_ff_after_write_end", 14, why::abort_in_error_ignored},
    // unknown_code_00_idle
    {"unknown_code_00_idle", 1, why::error_no_obf},
    {"unknown_code_00_idle", 4, why::abort_in_error_ignored},
    // unknown_code_63_mid_write
    {"unknown_code_63_mid_write", 10, why::abort_in_error_ignored},
    // read_code_to_command_port
    {"read_code_to_command_port", 1, why::error_no_obf},
    {"read_code_to_command_port", 4, why::abort_in_error_ignored},
    // read_code_to_command_port_in_read
    {"read_code_to_command_port_in_read", 18, why::abort_in_error_ignored},
    // read_phase_wrong_byte
    {"read_phase_wrong_byte", 21, why::abort_in_error_ignored},
    // read_phase_wrong_byte_after_last
    {"read_phase_wrong_byte_after_last", 24, why::end_of_read_not_read},
    {"read_phase_wrong_byte_after_last", 26, why::after_divergence},
    // read_phase_write_start
    {"read_phase_write_start", 18, why::write_start_restarts},
    {"read_phase_write_start", 21, why::abort_in_error_ignored},
    {"read_phase_write_start", 25, why::write_start_restarts},
    // write_start_mid_write
    {"write_start_mid_write", 7, why::write_start_restarts},
    {"write_start_mid_write", 10, why::data_in_error_is_read},
    {"write_start_mid_write", 11, why::data_in_error_is_read},
    {"write_start_mid_write", 13, why::after_divergence},
    {"write_start_mid_write", 16, why::after_divergence},
    {"write_start_mid_write", 17, why::write_start_restarts},
    {"write_start_mid_write", 19, why::abort_state_error},
    // write_start_in_error_state
    {"write_start_in_error_state", 1, why::error_no_obf},
    {"write_start_in_error_state", 4, why::write_start_restarts},
    {"write_start_in_error_state", 7, why::abort_in_error_ignored},
    {"write_start_in_error_state", 11, why::write_start_restarts},
    // abort_idle
    {"abort_idle", 1, why::abort_state_error},
    {"abort_idle", 5, why::abort_idle_code},
    // abort_idle_twice
    {"abort_idle_twice", 1, why::abort_state_error},
    {"abort_idle_twice", 4, why::abort_in_error_ignored},
    {"abort_idle_twice", 8, why::abort_idle_code},
    // abort_after_write_start
    {"abort_after_write_start", 4, why::abort_state_error},
    // abort_mid_write
    {"abort_mid_write", 7, why::abort_state_error},
    // abort_after_write_end
    {"abort_after_write_end", 10, why::abort_state_error},
    // abort_mid_read
    {"abort_mid_read", 19, why::abort_state_error},
    // abort_in_error_state_twice
    {"abort_in_error_state_twice", 1, why::error_no_obf},
    {"abort_in_error_state_twice", 3, why::abort_in_error_ignored},
    {"abort_in_error_state_twice", 6, why::abort_in_error_ignored},
    // abort_during_abort_status
    {"abort_during_abort_status", 4, why::abort_state_error},
    {"abort_during_abort_status", 7, why::abort_in_error_ignored},
    // abort_during_abort_read
    {"abort_during_abort_read", 4, why::abort_state_error},
    {"abort_during_abort_read", 10, why::abort_state_error},
    // error_exit_then_transaction
    {"error_exit_then_transaction", 1, why::error_no_obf},
    {"error_exit_then_transaction", 3, why::abort_in_error_ignored},
    // attention_during_transfer
    {"attention_during_transfer", 12, why::ibf_held},
    // request_at_device_capacity
    {"request_at_device_capacity", 12, why::ibf_held},
    // request_over_device_capacity
    {"request_over_device_capacity", 12, why::length_error},
    {"request_over_device_capacity", 14, why::length_error},
    {"request_over_device_capacity", 15, why::length_error},
    {"request_over_device_capacity", 16, why::after_divergence},
    {"request_over_device_capacity", 17, why::after_divergence},
    {"request_over_device_capacity", 18, why::after_divergence},
    {"request_over_device_capacity", 20, why::abort_state_error},
    {"request_over_device_capacity", 24, why::length_error},
    // request_over_qemu_buffer
    {"request_over_qemu_buffer", 6, why::length_error},
    {"request_over_qemu_buffer", 9, why::after_divergence},
    {"request_over_qemu_buffer", 12, why::qemu_truncated},
    {"request_over_qemu_buffer", 14, why::qemu_truncated},
    {"request_over_qemu_buffer", 16, why::abort_state_error},
    {"request_over_qemu_buffer", 20, why::length_error},
};
// clang-format on


// ---------------------------------------------------------------------------------------------
// The rules applied before comparing

/// Do a QEMU value and a device value agree (status values under status_compare_mask)?
[[nodiscard]] bool same(const op& o, const std::string& qemu, const std::string& device) {
  if (reads_status(o)) {
    const auto q = as_byte(qemu);
    const auto d = as_byte(device);
    if (q && d) return (*q & status_compare_mask) == (*d & status_compare_mask);
  }
  return qemu == device;
}

/// The second rule: dummy reads are not compared. A Data_Out read carries information only in
/// the READ state (a response byte or the interface status code); in IDLE, WRITE and ERROR the
/// host reads only to clear OBF and the spec leaves the byte's value open (§9.15: "dummy data
/// byte"). The device writes 0x00 there; QEMU never writes a dummy value, so its Data_Out still
/// holds whatever it last output (the previous response's last byte, a status code…).
/// An in_data op counts as a dummy read only when, on BOTH sides, the last status read since
/// the last write or BMC action showed a state other than READ; everything else is compared.
class dummy_read_tracker {
 public:
  /// Call for every op in order, before judging it; true if op `o` is a dummy read.
  bool step(const op& o, const std::string& qemu, const std::string& device) {
    bool dummy = false;
    switch (o.kind) {
      case op_kind::in_status:
      case op_kind::wait_status:
        qemu_ = status_of(qemu);
        device_ = status_of(device);
        break;
      case op_kind::in_data:
        dummy = qemu_ != unknown && device_ != unknown && !is_read(qemu_) && !is_read(device_);
        break;
      case op_kind::bmc_request: break;  // changes nothing
      default:  // writes and BMC actions can change the state
        qemu_ = device_ = unknown;
        break;
    }
    return dummy;
  }

 private:
  // Plain ints, not std::optional: GCC 12 at -O2 flags an optional<uint8_t> member as
  // maybe-uninitialized here (its known std::optional false positive, PR 80635).
  static constexpr int unknown = -1;
  static int status_of(const std::string& v) {
    const auto b = as_byte(v);
    return b ? static_cast<int>(*b) : unknown;
  }
  static bool is_read(int st) { return (st & 0xC0) == 0x40; }
  int qemu_ = unknown;
  int device_ = unknown;
};

// ---------------------------------------------------------------------------------------------
// The device side

/// One op on the device (the BMC behind it: differential.hpp's device_bmc); its value.
std::string run_device_op(dev::device& d, device_bmc<dev::device>& bmc, const op& o) {
  switch (o.kind) {
    case op_kind::out_cmd: bmc.note(d.write_command(o.a)); return "-";
    case op_kind::out_data: bmc.note(d.write_data(o.a)); return "-";
    case op_kind::fill_data:
      for (std::size_t i = 0; i < o.count; ++i) bmc.note(d.write_data(o.b));
      return "-";
    case op_kind::in_status: return hex(d.read_status().value);
    case op_kind::in_data: return hex(d.read_data());
    case op_kind::wait_status: return hex(d.read_status().value);  // nothing to wait for
    case op_kind::bmc_request: return bmc.request();
    case op_kind::bmc_respond: return bmc.respond(o.payload);
    case op_kind::bmc_attention: d.set_attention(o.a != 0, o.a == 2); return "-";
  }
  return "?";
}

// ---------------------------------------------------------------------------------------------
// The QEMU side (the BMC behind it: differential.hpp's bmc_peer)

[[nodiscard]] result<std::string> run_qemu_op(qtest& qt, bmc_peer& bmc, const op& o) {
  switch (o.kind) {
    case op_kind::out_cmd: return qemu_write(qt, bmc, status_port, o.a);
    case op_kind::out_data: return qemu_write(qt, bmc, data_port, o.a);
    case op_kind::fill_data:
      for (std::size_t i = 0; i < o.count; ++i)
        if (!qt.outb(data_port, o.b)) return fail(qt.last_error());
      if (auto p = bmc.pump(0); !p) return fail(p.error());
      return std::string("-");
    case op_kind::in_status: return qemu_read(qt, status_port);
    case op_kind::in_data: return qemu_read(qt, data_port);
    case op_kind::wait_status: return qemu_wait(qt, bmc, status_port, o.a, o.b, o.text);
    case op_kind::bmc_request: return qemu_bmc_request(bmc, nullptr);
    case op_kind::bmc_respond: return qemu_bmc_request(bmc, &o.payload);
    case op_kind::bmc_attention: return qemu_attention(bmc, o.a);
  }
  return fail("unknown op");
}

// ---------------------------------------------------------------------------------------------
// Comparison: the two rules, then equality

[[nodiscard]] std::vector<verdict> judge(const kcs_sequence& s, const std::vector<std::string>& qemu,
                                         const std::vector<std::string>& device) {
  std::vector<verdict> out;
  dummy_read_tracker dummies;
  for (std::size_t i = 0; i < s.ops.size(); ++i) {
    const bool dummy = dummies.step(s.ops[i], qemu[i], device[i]);
    if (dummy && qemu[i] != device[i]) {
      out.push_back({verdict::kind::not_compared, "dummy"});
      continue;
    }
    out.push_back({same(s.ops[i], qemu[i], device[i]) ? verdict::kind::same : verdict::kind::differ, "C/D masked"});
  }
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  auto cfg = interface_config<dev::device, op, run_device_op>("kcs", ipmi_interface::kcs, IPMIKIT_KCS_TRANSCRIPT,
                                                              sequences, macros, known_differences, parse_op,
                                                              run_qemu_op, judge);
  cfg.transcript_format =
      "# Format: <sequence> <op index>  <op> => <value>. Status and data values are raw hex bytes;\n"
      "# '-' = the op reads nothing; wait_status records the last value polled.\n";
  cfg.not_compared_what = "dummy reads (Data_Out outside READ on both sides)";
  return run_differential(argc, argv, cfg);
}
