// tests/interop/bt_host_qemu_test.cpp — ipmikit's BT host state machine (bt::basic_host,
// include/ipmikit/bt/host.hpp) driving QEMU's real isa-ipmi-bt device model through qtest port
// I/O (bt_bus.hpp: 0xE4 BT_CTRL, 0xE5 buffer, 0xE6 BT_INTMASK). No guest: QEMU runs the halting
// BIOS of qemu.hpp, the test is the guest. The BT twin of kcs_host_qemu_test.cpp.
//
// Two runs, each with its own QEMU:
//   bmc       QEMU's ipmi-bmc-extern → ipmikit's BMC session (vm::bmc_session on a thread,
//             answering with responses this test chooses):
//               Get Device ID (exact bytes, exact register trace, the frame on the wire has no
//               BT Length/Seq, same answer as the hand-written host of bt_qtest.hpp); eight
//               transactions in a row with the Seq counting FD FE FF 00 … (msg_ids consecutive,
//               a 42-byte request and 43-byte response); Get BT Interface Capabilities
//               answered by QEMU itself (the BMC sees nothing; parse_capabilities + apply());
//               Seq mismatches two ways (a stale response waiting before the host starts, and
//               one arriving while it waits: QEMU re-labels its buffer with the Seq of a second
//               H2B_ATN); a silent BMC two ways (response_timeout 6 s: QEMU's own cc C3;
//               response_timeout 1 s: the retry cannot be written while QEMU holds B_BUSY and
//               takes QEMU's C3 as its answer at 4 s; response_timeout 1 s + busy_timeout 0.5 s:
//               the busy-timeout retry is written while QEMU is busy and QEMU re-sends the frame
//               with the same msg_id); a stray H_BUSY (one toggle clears it); the largest
//               responses (254 bytes read whole; 255 bytes: QEMU's Length byte wraps to 00, the
//               host drops the frame); B_BUSY stuck after a wrong Length byte (and after a bare
//               H2B_ATN): the busy-timeout retry writes the request anyway and recovers — unless
//               apply() took QEMU's "0 retries", then hosed for good; SMS_ATN raised before a
//               transaction and during one.
//   ipmi_sim  QEMU's ipmi-bmc-extern → OpenIPMI's ipmi_sim (ipmi_sim.hpp's bmc.emu):
//               Get Device ID (the bmc.emu values, the raw BT frame), transactions in a row,
//               Get BT Interface Capabilities (QEMU's answer, not ipmi_sim's), a stale response
//               with another Seq dropped, the wrong-Length recovery.
//
// Takes about 16 s: 8 of them QEMU's 4 s response timer (twice), 5 the host's own short timeouts.
//
// Usage: ipmikit_interop_bt_host_qemu_test [bmc] [ipmi_sim]   (no argument: both)
// Exit status: 0 passed, 1 a check failed, 77 skipped (qemu-system-x86_64 or ipmi_sim missing,
// unless IPMIKIT_INTEROP_REQUIRED=1). IPMIKIT_INTEROP_KEEP=1 keeps the temporary directories.
//
// The rig (QEMU, the BMC, the qtest bus), one transaction (run, check_done), the runs, main()
// and the scenarios both interfaces run alike (eight transactions in a row, a silent BMC
// answered by QEMU's C3, Get Device ID once QEMU has connected to ipmi_sim) are host_qemu.hpp's,
// shared with kcs_host_qemu_test.cpp; this file describes the interface (the traits) and keeps
// its own scenarios and checks.
#include <algorithm>
#include <array>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include <ipmikit/bt/host.hpp>
#include <ipmikit/bt/registers.hpp>
#include <ipmikit/vm/session.hpp>

#include "bt_bus.hpp"
#include "bt_qtest.hpp"
#include "host_qemu.hpp"
#include "../reference_codec.hpp"

namespace {

using namespace ipmikit::interop;
using namespace ipmikit::interop::host_qemu;
namespace ib = ::ipmikit::bt;  // (ipmikit::interop::bt is bt_qtest.hpp's constants)
namespace vm = ::ipmikit::vm;
using host_t = ib::basic_host<steady>;
using op = bt_bus_access::op;

// ---------------------------------------------------------------------------------------------
// What the ipmikit BMC answers: host_qemu.hpp's answer_for(), and the OEM attention command

/// QEMU's own Get BT Interface Capabilities answer (qemu.md §3.4): cc 00, 1 outstanding
/// request, input and output buffers 255 (300 capped), 10 s request-to-response, 0 retries.
const bytes qemu_capabilities_response = {0x1C, 0x36, 0x00, 0x01, 0xFF, 0xFF, 0x0A, 0x00};

constexpr std::uint8_t oem_attention_cmd = 0x02;  // the BMC raises SMS_ATN, then answers cc 00

/// The OEM attention command: the BMC sets SMS_ATN, then answers cc 00. Everything else:
/// answer_for().
void answer(bmc_link& link, bmc_session& s, const vm::request_event& r) {
  if (r.body.size() == 2 && r.body[0] == oem_netfn_lun && r.body[1] == oem_attention_cmd) {
    const auto e = s.set_attention(true);
    if (e != vm::session_error::ok) link.note_error("set_attention: " + std::string(vm::name(e)));
    const bytes rsp = {static_cast<std::uint8_t>(oem_netfn_lun | 0x04), oem_attention_cmd, 0x00};
    return respond(link, s, r, rsp);
  }
  respond(link, s, r, answer_for(r));
}

/// The VM frame QEMU writes for `body` as `msg_id` (qemu.md §1.5): msg_id, body, checksum, A0,
/// with A0/A1/AA escaped, by the tests' one reference encoder.
bytes vm_frame(std::uint8_t msg_id, std::span<const std::uint8_t> body) {
  bytes out(2 * (body.size() + 2) + 1);  // every byte escaped, and the A0
  out.resize(::ipmikit::test::reference_encode_message(out.data(), out.size(), msg_id, body));
  return out;
}

// ---------------------------------------------------------------------------------------------
// The interface, for host_qemu.hpp's rig

template <class Host>
std::string host_state(const Host& h) {
  return describe_host(h, ", seq " + hex(h.seq()) + ", last control " + hex(h.last_control().value),
                       " dropped " + std::to_string(h.stats().responses_dropped) + " attentions " +
                           std::to_string(h.stats().attentions));
}

struct bt_traits {
  using bus = qtest_bt_bus;
  static constexpr ipmi_interface iface = ipmi_interface::bt;
  static constexpr std::string_view name = "bt", device = "isa-ipmi-bt";
  // QEMU never sets OEM0 (20) and never shows H2B_ATN (04) (qemu.md §3.2).
  static constexpr std::uint8_t never_set = 0x27;
  static constexpr std::string_view never_set_what = "OEM0, H2B_ATN and the pointer bits read 0", poll_what = "BT_CTRL";

  static std::uint8_t poll(bus& b) { return b.read_control(); }
  static bool check_power_on(checker& c, bus& b) {
    const auto st = b.read_control();
    const auto mask = b.read_intmask();
    return c.check(!b.failed() && st == 0x00 && mask == 0x00,
                   "BT_CTRL 00 and BT_INTMASK 00 at the start: " + hex(st) + ", " + hex(mask), b.error());
  }
  static void answer(bmc_link& link, bmc_session& s, const vm::request_event& r) { ::answer(link, s, r); }
  template <class Host>
  static std::string host_state(const Host& h) {
    return ::host_state(h);
  }
};

using rig = host_qemu::rig<bt_traits>;

[[nodiscard]] host_t::config host_config(millis response_timeout = millis(6000), millis busy_timeout = millis(5000),
                                         std::uint8_t max_retries = 2) {
  host_t::config cfg;
  cfg.response_timeout = response_timeout;
  cfg.busy_timeout = busy_timeout;
  cfg.max_retries = max_retries;
  return cfg;
}

void hold_back(bmc_link& link, int n) { host_qemu::hold_back<bt_traits>(link, n); }
void answer_all(bmc_link& link) { host_qemu::answer_all<bt_traits>(link); }

/// The BMC2HOST bytes read in the trace from `from` on, split into frames: a frame starts after
/// a CLR_RD_PTR (C<-02) write. Each is what the host read: Length, NetFn/LUN, Seq, Cmd, cc, data.
std::vector<bytes> frames_read(const qtest_bt_bus& bus, std::size_t from) {
  std::vector<bytes> out;
  const auto& t = bus.trace();
  for (std::size_t i = from; i < t.size(); ++i) {
    if (t[i].what == op::write_control && (t[i].value & ib::control_bit::clr_rd_ptr) != 0) out.emplace_back();
    if (t[i].what == op::read_buffer && !out.empty()) out.back().push_back(t[i].value);
  }
  return out;
}

/// A BT response frame as QEMU builds it from a response body (netfn, cmd, cc, data…) and Seq.
bytes bt_frame(std::span<const std::uint8_t> body, std::uint8_t seq) {
  // push_back, not `bytes{…}` then insert(): GCC 12's false -Warray-bounds at -O2 (PR 56456).
  bytes f;
  f.reserve(body.size() + 2);
  f.push_back(static_cast<std::uint8_t>(body.size() + 1));
  f.push_back(body[0]);
  f.push_back(seq);
  f.insert(f.end(), body.begin() + 1, body.end());
  return f;
}

/// The register trace of Get Device ID with Seq `seq` answered with device_id_response, from
/// the first BT_CTRL read to H_BUSY cleared (qemu-live.md's BT trace).
std::string device_id_trace(std::uint8_t seq) {
  std::string s = "C=00 C<-01 B<-03 B<-18 B<-" + hex(seq) + " B<-01 C<-04 C=80? C=08 C<-40 C<-08 C<-02";
  for (const std::uint8_t b : bt_frame(device_id_response, seq)) s += " B=" + hex(b);
  return s + " C<-40";
}

/// Reads BT_CTRL now (traced).
std::uint8_t control_now(rig& r) { return r.bus->read_control(); }

/// Writes a Get Device ID request with Seq `seq` by hand (CLR_WR_PTR, 03 18 seq 01, H2B_ATN).
void hand_device_id(rig& r, std::uint8_t seq) {
  const std::array<std::uint8_t, 4> frame = {0x03, 0x18, seq, 0x01};
  r.bus->write_frame(frame);
}

// ---------------------------------------------------------------------------------------------
// Cases shared by both runs

/// Get BT Interface Capabilities: QEMU answers it itself at once, with B_BUSY never seen set.
/// parse_capabilities and apply(). Returns true when the answer was QEMU's.
bool capabilities(checker& c, rig& r) {
  host_t host(host_config(), 0x36);
  const auto res = run(r, host, {0x18, 0x36});
  if (!check_done(c, r, host, res, "Get BT Interface Capabilities")) return false;
  const bool exact = c.check_bytes(host.response(), qemu_capabilities_response,
                                   "QEMU's own answer: 1C 36 00 01 FF FF 0A 00 (qemu.md §3.4)");
  c.check(trace_matches(*r.bus, res.trace_from,
                        "C=00 C<-01 B<-03 B<-18 B<-36 B<-36 C<-04 C=08 C<-40 C<-08 C<-02 "
                        "B=09 B=1C B=36 B=36 B=00 B=01 B=FF B=FF B=0A B=00 C<-40"),
          "trace: the first BT_CTRL read after H2B_ATN already shows B2H_ATN (08): QEMU answered "
          "synchronously inside the H2B_ATN write, B_BUSY never visible",
          r.bus->describe(res.trace_from));
  const auto caps = ib::parse_capabilities(host.response());
  if (c.check(caps.has_value(), "parse_capabilities accepts it")) {
    c.check(caps->outstanding_requests == 1 && caps->input_buffer_size == 255 && caps->output_buffer_size == 255 &&
                caps->response_time_seconds == 10 && caps->retries == 0,
            "outstanding 1, input 255, output 255, 10 s, 0 retries");
    host.apply(*caps);
    const auto& st = host.settings();
    c.check(st.response_timeout == std::chrono::seconds(10) && st.max_retries == 0 && st.max_request == 254,
            "apply(): response_timeout 10 s, max_retries 0, max_request 254 (255 minus the Seq byte; the BT "
            "Length byte can count only 255 anyway)");
  }
  return exact;
}

/// A stale response with another Seq waits in BMC2HOST (a hand-written Get Device ID with Seq
/// 0x90, answered) before the host starts with Seq 0x10: the host reads it first, drops it
/// (only the Seq differs: same NetFn and Cmd), then sends its own and gets it. `want` is the
/// Get Device ID answer of the BMC. The BMC's request count is checked by the caller.
void stale_before_start(checker& c, rig& r, std::span<const std::uint8_t> want) {
  const std::size_t m = r.bus->mark();
  hand_device_id(r, 0x90);
  const auto st = wait_poll(r, [](std::uint8_t v) { return (v & ib::control_bit::b2h_atn) != 0; }, millis(2000));
  c.check(st == std::optional<std::uint8_t>(0x08), "by hand: 03 18 90 01, H2B_ATN → BT_CTRL 08 (B2H_ATN) once answered",
          r.bus->describe(m));
  host_t host(host_config(), 0x10);
  const auto res = run(r, host, {0x18, 0x01});
  if (!check_done(c, r, host, res, "Get Device ID, Seq 10, with a Seq-90 response waiting")) return;
  c.check_bytes(host.response(), want, "the host's own answer");
  c.check(host.stats().responses_dropped == 1 && host.attempts() == 1 && host.stats().retries == 0 &&
              host.problem() == ib::problem::none,
          "responses_dropped 1, one attempt, no retry, no problem", host_state(host));
  const auto frames = frames_read(*r.bus, res.trace_from);
  if (c.check(frames.size() == 2, "the host read two frames"))
    c.check(frames[0].size() > 3 && frames[0][2] == 0x90 && frames[1].size() > 3 && frames[1][2] == 0x10,
            "Seq 90 (dropped), then Seq 10: " + hex(frames[0]) + " | " + hex(frames[1]));
  c.check(trace_matches(*r.bus, res.trace_from, "C=08 C<-40 C<-08 C<-02 B=?? B=?? B=90", false),
          "trace: the waiting response read at the start (B2H_ATN seen in the first BT_CTRL read)",
          r.bus->describe(res.trace_from, 40));
  say("    trace: " + r.bus->describe(res.trace_from, 60));
}

/// QEMU keeps B_BUSY set after H2B_ATN on a frame whose Length byte is wrong (05 for three
/// bytes: ignored, inlen reset, B_BUSY left set, nothing to the BMC, no timer). A host with
/// busy_timeout 0.5 s and retries writes its request anyway after 0.5 s; QEMU takes it.
/// Returns the host's response (empty on failure).
bytes wrong_length_recovers(checker& c, rig& r, std::span<const std::uint8_t> frame, const std::string& what) {
  const std::size_t m = r.bus->mark();
  r.bus->write_frame(frame);
  sleep_ms(200);
  const std::uint8_t st = control_now(r);
  c.check(st == 0x80, "by hand: " + what + ", H2B_ATN → BT_CTRL " + hex(st) + " (B_BUSY), still 200 ms later",
          r.bus->describe(m));
  host_t host(host_config(millis(6000), millis(500)), 0x50);
  const auto res = run(r, host, {0x18, 0x01});
  if (!check_done(c, r, host, res, "Get Device ID, busy_timeout 0.5 s, B_BUSY stuck")) return {};
  c.check(res.ms >= 450 && res.ms <= 1500, "after " + std::to_string(res.ms) + " ms (≈ busy_timeout)");
  c.check(host.problem() == ib::problem::busy_timeout && host.attempts() == 2 && host.stats().retries == 1 &&
              host.stats().responses_dropped == 0,
          "problem busy_timeout (kept after the success), two attempts, one retry", host_state(host));
  c.check(trace_matches(*r.bus, res.trace_from, "C=80 C<-01 B<-03 B<-18 B<-50 B<-01 C<-04", false),
          "trace: C=80 (folded polls) then the request written anyway, H2B_ATN while B_BUSY",
          r.bus->describe(res.trace_from, 12));
  say("    trace: " + r.bus->describe(res.trace_from, 16) + " …");
  const std::uint8_t after = control_now(r);
  c.check(after == 0x00, "BT_CTRL 00 afterwards (" + hex(after) + ")");
  return bytes(host.response().begin(), host.response().end());
}

// ---------------------------------------------------------------------------------------------
// Run (a): QEMU ⇄ ipmikit's BMC session

void bmc_get_device_id(checker& c, rig& r) {
  bmc_link& link = *r.link;
  const std::size_t mark = link.log_size();
  const std::size_t rx0 = link.received().size();
  host_t host(host_config());
  const auto res = run(r, host, {0x18, 0x01});
  if (!check_done(c, r, host, res, "Get Device ID through bt::host")) return;
  c.check_bytes(host.response(), device_id_response, "the response, exactly (A1 and AA escaped on the wire)");
  c.check(host.problem() == ib::problem::none && host.attempts() == 1 && host.stats().responses_dropped == 0 &&
              host.seq() == 0x00,
          "no problem, one attempt, nothing dropped, Seq 00", host_state(host));
  c.check(trace_matches(*r.bus, res.trace_from, device_id_trace(0x00)),
          "the register trace is qemu-live.md's: CLR_WR_PTR, 03 18 00 01, H2B_ATN, B_BUSY (80) until the "
          "BMC answers, 08, H_BUSY, clear B2H_ATN, CLR_RD_PTR, 13 1C 00 01 00 …, H_BUSY off",
          r.bus->describe(res.trace_from));
  say("    trace: " + r.bus->describe(res.trace_from, 40));
  const auto req = link.requests_since(mark);
  if (c.check(req.size() == 1, "the BMC session got one request")) {
    c.check_bytes(req[0].body, {0x18, 0x01}, "its body: NetFn/LUN and Cmd, no Length, no Seq (msg_id " +
                                                 hex(req[0].msg_id) + ")");
    const bytes rx = link.received();
    const bytes got(rx.begin() + static_cast<std::ptrdiff_t>(std::min(rx0, rx.size())), rx.end());
    c.check_bytes(got, vm_frame(req[0].msg_id, req[0].body),
                  "the bytes on the wire: msg_id 18 01 checksum A0 — the Seq never leaves QEMU");
  }
  // The hand-written host of bt_qtest.hpp reads the same answer.
  auto hand = bt_transaction(r.q->qt, {0x18, 0x01}, 0x42, millis(6000));
  if (c.check_ok(hand, "the same request through bt_qtest.hpp's hand-written host (Seq 42)")) {
    c.check_bytes(hand->body, host.response(), "the same response bytes");
    c.check(hand->seq == 0x42, "its Seq echoed: " + hex(hand->seq));
  }
}

void bmc_in_a_row(checker& c, rig& r) {
  host_t host(host_config(), 0xFD);
  const std::array<std::uint8_t, 8> seqs = {0xFD, 0xFE, 0xFF, 0x00, 0x01, 0x02, 0x03, 0x04};
  std::size_t step = 0;
  bool seqs_ok = true;
  std::string seen;
  auto note_seq = [&](const run_result& res) {
    const auto frames = frames_read(*r.bus, res.trace_from);
    const std::uint8_t echoed = frames.size() == 1 && frames[0].size() > 2 ? frames[0][2] : 0xEE;
    const std::uint8_t written = r.bus->trace().size() > res.trace_from + 4 ? r.bus->trace()[res.trace_from + 4].value : 0xEE;
    if (!seen.empty()) seen += ' ';
    seen += hex(written) + "/" + hex(echoed);
    if (host.seq() != seqs[step] || echoed != seqs[step] || written != seqs[step]) seqs_ok = false;
    ++step;
  };
  eight_in_a_row(c, r, host, ", independent of the Seq", note_seq);
  c.check(seqs_ok, "Seq written / echoed: " + seen + " (FD FE FF 00 … : the host counts and wraps, QEMU echoes)");
  c.check(host.stats().responses_dropped == 0, "stats: nothing dropped", host_state(host));
}

void bmc_capabilities(checker& c, rig& r) {
  bmc_link& link = *r.link;
  const std::size_t mark = link.log_size();
  const std::size_t rx0 = link.received().size();
  (void)capabilities(c, r);
  sleep_ms(100);
  c.check(link.requests_since(mark).empty() && link.received().size() == rx0,
          "the BMC session saw no request and not a byte: QEMU answered it itself");
  // The interception is for NetFn/LUN 18 exactly: with LUN 1 QEMU forwards the request.
  host_t lun1(host_config(), 0x37);
  const auto res = run(r, lun1, {0x19, 0x36});
  if (check_done(c, r, lun1, res, "Get BT Interface Capabilities on LUN 1 (19 36)"))
    c.check_bytes(lun1.response(), {0x1D, 0x36, 0xC1}, "the BMC's answer (cc C1): QEMU only intercepts NetFn/LUN 18");
  const auto reqs = link.requests_since(mark);
  c.check(reqs.size() == 1 && reqs[0].body == bytes{0x19, 0x36}, "the BMC got exactly 19 36");
  // An applied host works as before.
  host_t host(host_config());
  const auto caps = ib::parse_capabilities(qemu_capabilities_response);
  if (caps) host.apply(*caps);
  const auto res2 = run(r, host, {0x18, 0x01});
  if (check_done(c, r, host, res2, "Get Device ID with QEMU's capabilities applied"))
    c.check_bytes(host.response(), device_id_response, "exact response");
}

void bmc_seq_mismatch(checker& c, rig& r) {
  bmc_link& link = *r.link;
  say("   (1) a stale response waiting before the host starts");
  std::size_t mark = link.log_size();
  stale_before_start(c, r, device_id_response);
  c.check(link.requests_since(mark).size() == 2, "the BMC got two requests (the hand-written one and the host's)");

  say("   (2) a response with another Seq arrives while the host waits");
  // The host sends Get Device ID with Seq 20; the BMC holds it. A second request (Seq A5, by
  // hand) with H2B_ATN while B_BUSY makes QEMU re-send it to the BMC with the SAME msg_id and
  // remember Seq A5 for the response (qemu.md §5b). The BMC answers that msg_id once: QEMU
  // delivers it with Seq A5. The host drops it and keeps waiting; QEMU has nothing more
  // outstanding (its counter moved on), so the host's response timeout (1.5 s) resends with
  // Seq 20 and that one is answered.
  mark = link.log_size();
  hold_all(link);
  host_t host(host_config(millis(1500)), 0x20);
  const std::array<std::uint8_t, 2> get_device_id = {0x18, 0x01};
  const std::size_t m = r.bus->mark();
  const auto t0 = steady::now();
  c.check(host.start(get_device_id, t0) == ib::host_error::ok, "the host started Get Device ID, Seq 20");
  for (int i = 0; i < 100 && !r.bus->saw(op::write_control, ib::control_bit::h2b_atn, m); ++i)
    (void)ib::drive(host, *r.bus, [] { return steady::now(); }, 1);
  c.check(r.bus->saw(op::write_control, ib::control_bit::h2b_atn, m) && host.outcome() == ib::outcome::busy,
          "driven one access at a time up to its H2B_ATN", r.bus->describe(m));
  const bool got1 = link.wait_for([mark](const session_log& log) {
    return log.select(mark, [](const session_record& x) { return x.what == session_record::kind::request; }).size() >= 1;
  }, 2000);
  c.check(got1, "the BMC got the host's request (and holds it)");
  const std::size_t mh = r.bus->mark();
  hand_device_id(r, 0xA5);
  const bool got2 = link.wait_for([mark](const session_log& log) {
    return log.select(mark, [](const session_record& x) { return x.what == session_record::kind::request; }).size() >= 2;
  }, 2000);
  auto reqs = link.requests_since(mark);
  if (c.check(got2 && reqs.size() == 2, "by hand: 03 18 A5 01, H2B_ATN while B_BUSY → QEMU sent a second frame",
              r.bus->describe(mh)))
    c.check(reqs[1].msg_id == reqs[0].msg_id && reqs[1].body == reqs[0].body,
            "with the same msg_id " + hex(reqs[0].msg_id) + " and body (the session took the duplicate id silently)");
  answer_all(link);
  if (!reqs.empty()) {
    const std::uint8_t id = reqs[0].msg_id;
    const auto e = link.with([id](bmc_session& s) { return s.respond(id, device_id_response); });
    c.check(e == vm::session_error::ok, "the BMC answers msg_id " + hex(id) + " once: " + std::string(vm::name(e)));
  }
  (void)drive_host(host, *r.bus, millis(5000));
  const long long took = elapsed_ms(t0);
  const run_result res{host.outcome(), ib::host_error::ok, took, m};
  if (check_done(c, r, host, res, "the host's transaction")) {
    c.check_bytes(host.response(), device_id_response, "its answer");
    c.check(host.stats().responses_dropped == 1 && host.stats().retries == 1 && host.attempts() == 2 &&
                host.problem() == ib::problem::response_timeout,
            "one response dropped (Seq A5), then the 1.5 s response timeout and one retry", host_state(host));
    c.check(took >= 1400 && took <= 3000, "after " + std::to_string(took) + " ms (≈ response_timeout)");
    const auto frames = frames_read(*r.bus, m);
    if (c.check(frames.size() == 2, "two frames read"))
      c.check(frames[0].size() > 3 && frames[0][2] == 0xA5 && frames[1].size() > 3 && frames[1][2] == 0x20,
              "Seq A5 (QEMU's label from the second H2B_ATN, dropped), then Seq 20: " + hex(frames[0]) + " | " +
                  hex(frames[1]));
  }
  reqs = link.requests_since(mark);
  if (c.check(reqs.size() == 3, "the BMC got three requests in all"))
    c.check(reqs[2].msg_id == static_cast<std::uint8_t>(reqs[0].msg_id + 1),
            "the retry as msg_id " + hex(reqs[2].msg_id) + " (+1: one response accepted)");
}

/// The BMC never answers; response_timeout 6 s > QEMU's 4 s: QEMU's local cc C3 reaches the
/// host as an ordinary response, with the host's Seq.
void bmc_silent_long_timeout(checker& c, rig& r) {
  host_t host(host_config(millis(6000)), 0x60);
  silent_bmc_qemu_answers(c, r, host, [&](const run_result& res) {
    c.check(host.attempts() == 1 && host.stats().retries == 0 && host.problem() == ib::problem::none,
            "one attempt, no retry, no problem: the host cannot tell QEMU's C3 from the BMC's", host_state(host));
    const auto frames = frames_read(*r.bus, res.trace_from);
    c.check(frames.size() == 1 && frames[0] == bytes{0x04, 0x1C, 0x60, 0x01, 0xC3},
            "the frame read: 04 1C 60 01 C3 (QEMU puts the waiting Seq on its own answer)",
            frames.empty() ? std::string() : hex(frames[0]));
  });
}

/// Get Device ID from `host` while the BMC holds back the first request it gets: the run, where
/// the BMC's log stood before it, and whether the host finished (check_done, `what`).
struct silent_once_run {
  run_result res;
  std::size_t mark;
  bool done;
};
silent_once_run get_device_id_bmc_silent_once(checker& c, rig& r, host_t& host, const std::string& what) {
  hold_back(*r.link, 1);
  const std::size_t mark = r.link->log_size();
  const auto res = run(r, host, {0x18, 0x01}, millis(10000));
  return {res, mark, check_done(c, r, host, res, what + ", BMC silent once")};
}

/// The BMC does not answer the first request; response_timeout 1 s < QEMU's 4 s: the host
/// times out and retries — but the retry waits for B_BUSY, which QEMU holds until its own 4 s
/// timer answers C3 with the host's Seq (the retry uses the same Seq), so the host takes that
/// C3 as the answer to its retry, which was never written.
void bmc_silent_short_timeout(checker& c, rig& r) {
  host_t host(host_config(millis(1000), millis(5000)), 0x70);
  const auto [res, mark, done] = get_device_id_bmc_silent_once(c, r, host, "response_timeout 1 s, busy_timeout 5 s");
  if (done) {
    c.check_bytes(host.response(), {0x1C, 0x01, 0xC3}, "QEMU's C3 for the first attempt");
    c.check(res.ms >= 3800 && res.ms <= 6000,
            "after " + std::to_string(res.ms) + " ms: the retry waited in the busy wait for QEMU's 4 s timer");
    c.check(host.problem() == ib::problem::response_timeout && host.stats().retries == 1 && host.attempts() == 2,
            "problem response_timeout, one retry, two attempts", host_state(host));
    c.check(std::ranges::count_if(r.bus->trace().begin() + static_cast<std::ptrdiff_t>(res.trace_from),
                                  r.bus->trace().end(),
                                  [](const bt_bus_access& a) {
                                    return a.what == op::write_control && a.value == ib::control_bit::h2b_atn;
                                  }) == 1,
            "the request was written once: the retry never got past B_BUSY before QEMU's C3 arrived");
  }
  c.check(r.link->requests_since(mark).size() == 1, "the BMC got the request once");
}

/// The BMC does not answer the first frame; response_timeout 1 s, busy_timeout 0.5 s: after
/// the response timeout the retry finds B_BUSY (QEMU still waits for its BMC), and after the
/// busy timeout writes the request anyway. QEMU re-sends it to the BMC with the SAME msg_id
/// (its counter only moves on a response) and the BMC answers that one.
void bmc_silent_busy_retry(checker& c, rig& r) {
  host_t host(host_config(millis(1000), millis(500)), 0x78);
  const auto [res, mark, done] = get_device_id_bmc_silent_once(c, r, host, "response_timeout 1 s, busy_timeout 0.5 s");
  if (done) {
    c.check_bytes(host.response(), device_id_response, "the BMC's answer to QEMU's second frame");
    c.check(res.ms >= 1400 && res.ms <= 2500, "after " + std::to_string(res.ms) + " ms (≈ 1 s + 0.5 s)");
    c.check(host.problem() == ib::problem::busy_timeout && host.stats().retries == 2 && host.attempts() == 3,
            "problem busy_timeout, two retries (response timeout, then busy timeout), three attempts",
            host_state(host));
    c.check(trace_matches(*r.bus, res.trace_from, "C=00 C<-01 B<-03 B<-18 B<-78 B<-01 C<-04 C=80 C<-01 B<-03 B<-18 "
                          "B<-78 B<-01 C<-04", false),
            "trace: the request, B_BUSY (80) through both timeouts, the request again while B_BUSY",
            r.bus->describe(res.trace_from, 20));
  }
  const auto reqs = r.link->requests_since(mark);
  if (c.check(reqs.size() == 2, "the BMC got two frames"))
    c.check(reqs[0].msg_id == reqs[1].msg_id && reqs[0].body == reqs[1].body,
            "with the same msg_id " + hex(reqs[0].msg_id) + ": QEMU re-sends on a second H2B_ATN while busy");
}

/// An H_BUSY left set (by hand) before the host starts: the host reads 40 and writes 40 once
/// (H_BUSY toggles), reads 00 and sends.
void bmc_stray_h_busy(checker& c, rig& r) {
  const std::size_t m = r.bus->mark();
  r.bus->write_control(ib::control_bit::h_busy);
  const std::uint8_t st = control_now(r);
  c.check(st == 0x40, "by hand: C<-40 → BT_CTRL 40 (H_BUSY set)", r.bus->describe(m));
  host_t host(host_config(), 0x88);
  const auto res = run(r, host, {0x18, 0x01});
  if (check_done(c, r, host, res, "Get Device ID with H_BUSY left set")) {
    c.check_bytes(host.response(), device_id_response, "exact response");
    c.check(trace_matches(*r.bus, res.trace_from, "C=40 C<-40 C=00 C<-01", false),
            "trace: C=40, one write of 40 toggles it off, C=00, then the request", r.bus->describe(res.trace_from, 8));
  }
  const std::uint8_t after = control_now(r);
  c.check(after == 0x00, "BT_CTRL 00 afterwards (" + hex(after) + ")");
}

/// The largest responses: the OEM echo answers 3 + n bytes. 254 bytes → BT Length FF, read
/// whole. 255 bytes → QEMU writes Length 256 into a byte (outmsg[0] = rsp_len + 1): the host
/// reads Length 00, drops the frame as not its own and times out (QEMU checks only
/// rsp_len > 298, meant for its 300-byte buffer, not the one-byte Length).
void bmc_largest_responses(checker& c, rig& r) {
  host_t host(host_config(millis(1000), millis(5000), 0), 0x98);
  auto echo = [](std::size_t n) {
    bytes req = {oem_netfn_lun, oem_echo_cmd};
    for (std::size_t i = 0; i < n; ++i) req.push_back(static_cast<std::uint8_t>(i));
    return req;
  };
  bytes req = echo(251);
  auto res = run(r, host, req);
  if (check_done(c, r, host, res, "OEM echo: a 253-byte request, a 254-byte response")) {
    c.check(host.response().size() == 254 && host.response()[2] == 0x00 && host.response()[3] == 250 &&
                host.response()[253] == 0,
            "254 bytes, the data reversed (" + std::to_string(host.response().size()) + ")");
    const auto frames = frames_read(*r.bus, res.trace_from);
    c.check(frames.size() == 1 && frames[0].size() == 256 && frames[0][0] == 0xFF,
            "the BT frame: Length FF + 255 bytes");
  }
  req = echo(252);
  res = run(r, host, req);
  c.check(res.start_error == ib::host_error::ok && res.outcome == ib::outcome::failed &&
              host.problem() == ib::problem::response_timeout && host.stats().responses_dropped == 1,
          "a 254-byte request (the most start() takes), a 255-byte response: failed, response_timeout, one "
          "frame dropped, after " + std::to_string(res.ms) + " ms",
          host_state(host));
  const auto frames = frames_read(*r.bus, res.trace_from);
  c.check(frames.size() == 1 && frames[0] == bytes{0x00},
          "QEMU's Length byte read as 00 (256 wrapped): the host read nothing more and dropped it",
          frames.empty() ? std::string("(no frame)") : hex(frames[0]));
  host_t next(host_config(), 0x9A);
  res = run(r, next, {0x18, 0x01});
  if (check_done(c, r, next, res, "the next transaction (QEMU's stale bytes are behind CLR_RD_PTR)"))
    c.check_bytes(next.response(), device_id_response, "exact response");
}

void bmc_wrong_length(checker& c, rig& r) {
  bmc_link& link = *r.link;
  std::size_t mark = link.log_size();
  const std::array<std::uint8_t, 4> bad = {0x05, 0x18, 0x30, 0x01};
  auto got = wrong_length_recovers(c, r, bad, "05 18 30 01 (Length 05, three bytes follow)");
  if (!got.empty()) c.check_bytes(got, device_id_response, "the BMC's answer");
  auto reqs = link.requests_since(mark);
  if (c.check(reqs.size() == 1, "the BMC got one request: the host's, not the malformed one"))
    c.check_bytes(reqs[0].body, {0x18, 0x01}, "its body");

  mark = link.log_size();
  got = wrong_length_recovers(c, r, {}, "a bare H2B_ATN (no bytes: inlen < 4)");
  if (!got.empty()) c.check_bytes(got, device_id_response, "the BMC's answer");
  c.check(link.requests_since(mark).size() == 1, "the BMC got one request");

  // With QEMU's capabilities applied (max_retries 0) the host still makes one forced write
  // (bt/host.hpp: max(1, max_retries)), which is what unsticks QEMU.
  mark = link.log_size();
  const std::size_t m = r.bus->mark();
  r.bus->write_frame(bad);
  host_t host(host_config(millis(6000), millis(300)), 0x58);
  const auto caps = ib::parse_capabilities(qemu_capabilities_response);
  if (caps) host.apply(*caps);
  c.check(host.settings().max_retries == 0, "QEMU's capabilities say 0 retries");
  auto res = run(r, host, {0x18, 0x01});
  if (check_done(c, r, host, res, "after apply(QEMU's caps): one forced write after the busy timeout"))
    c.check_bytes(host.response(), device_id_response, "exact response");
  c.check(host.problem() == ib::problem::busy_timeout && host.attempts() == 2,
          "problem busy_timeout, two attempts", host_state(host));
  c.check(r.bus->saw(op::write_buffer, 0x58, res.trace_from), "the request was written despite B_BUSY",
          r.bus->describe(m, 20));
  c.check(link.requests_since(mark).size() == 1, "the BMC got the host's request once");
}

void bmc_attention(checker& c, rig& r) {
  bmc_link& link = *r.link;
  host_t host(host_config(), 0x80);
  auto res = run(r, host, {0x18, 0x01});
  if (check_done(c, r, host, res, "a transaction before ATTN")) c.check(!host.attention(), "attention() false");

  auto e = link.with([](bmc_session& s) { return s.set_attention(true); });
  c.check(e == vm::session_error::ok, "the BMC session set_attention(true): " + std::string(vm::name(e)));
  auto st = wait_poll(r, [](std::uint8_t v) { return (v & ib::control_bit::sms_atn) != 0; }, millis(1000));
  c.check(st == std::optional<std::uint8_t>(0x10), "BT_CTRL 10 (SMS_ATN)");
  res = run(r, host, {0x18, 0x01});
  if (check_done(c, r, host, res, "a transaction after ATTN")) {
    c.check_bytes(host.response(), device_id_response, "the response is unaffected");
    c.check(host.attention() && host.stats().attentions == 1, "attention() true, stats().attentions 1", host_state(host));
    c.check(trace_matches(*r.bus, res.trace_from, "C=10 C<-10 C=00 C<-01", false),
            "trace: C=10, SMS_ATN written to clear it, C=00, then the request", r.bus->describe(res.trace_from, 8));
  }
  const std::uint8_t now_ctrl = control_now(r);
  c.check(now_ctrl == 0x00, "SMS_ATN cleared in BT_CTRL (" + hex(now_ctrl) + ") by the host, not the BMC");
  c.check(host.take_attention() && !host.attention(), "take_attention() true, then attention() false");
  e = link.with([](bmc_session& s) { return s.set_attention(false); });
  c.check(e == vm::session_error::ok, "set_attention(false) (a no-op in QEMU now): " + std::string(vm::name(e)));
  res = run(r, host, {0x18, 0x01});
  if (check_done(c, r, host, res, "a transaction after NOATTN")) c.check(!host.attention(), "attention() false");

  // SMS_ATN raised while the host waits for its response (the BMC sets it just before it
  // answers the OEM attention command).
  res = run(r, host, {oem_netfn_lun, oem_attention_cmd});
  if (check_done(c, r, host, res, "the OEM command that raises SMS_ATN before answering")) {
    c.check_bytes(host.response(), {static_cast<std::uint8_t>(oem_netfn_lun | 0x04), oem_attention_cmd, 0x00},
                  "its response");
    c.check(host.attention() && host.stats().attentions == 2, "attention() true again, stats().attentions 2",
            host_state(host));
    const auto& t = r.bus->trace();
    bool cleared_in_wait = false;
    for (std::size_t i = res.trace_from; i + 1 < t.size(); ++i) {
      if (t[i].what == op::read_control && (t[i].value & 0x10) != 0 && t[i + 1].what == op::write_control &&
          t[i + 1].value == 0x10) {
        cleared_in_wait = true;
        break;
      }
    }
    c.check(cleared_in_wait, "trace: a BT_CTRL read with SMS_ATN during the wait, then SMS_ATN cleared",
            r.bus->describe(res.trace_from, 40));
    say("    trace: " + r.bus->describe(res.trace_from, 20) + " …");
  }
  (void)link.with([](bmc_session& s) { return s.set_attention(false); });
  (void)host.take_attention();
}

// ---------------------------------------------------------------------------------------------
// Run (b): QEMU ⇄ OpenIPMI's ipmi_sim

void sim_cases(checker& c, rig& r) {
  host_t host(host_config(), 0x01);
  say("-- Get Device ID");
  run_result res = device_id_once_connected(c, r, host);
  if (check_done(c, r, host, res, "Get Device ID through bt::host")) {
    c.check_bytes(host.response(), sim_device_id, "ipmi_sim's answer: the bmc.emu values");
    const auto frames = frames_read(*r.bus, res.trace_from);
    c.check(frames.size() == 1 && frames[0] == bt_frame(sim_device_id, host.seq()),
            "the BT frame read: 13 1C " + hex(host.seq()) + " 01 00 … (Length 19, the Seq echoed)",
            frames.empty() ? std::string() : hex(frames[0]));
    c.check(host.stats().responses_dropped == 0 && host.stats().retries == 0, "nothing dropped, no retry",
            host_state(host));
    say("    trace: " + r.bus->describe(res.trace_from, 40));
  }

  say("-- transactions in a row");
  host_t row(host_config(), 0xFE);
  bool seqs_ok = true;
  std::uint8_t want_seq = 0xFE;
  const row_result five = device_id_five_times(c, r, row, sim_device_id, [&](const run_result& each) {
    const auto frames = frames_read(*r.bus, each.trace_from);
    if (frames.size() != 1 || frames[0].size() < 3 || frames[0][2] != want_seq) seqs_ok = false;
    ++want_seq;
  });
  c.check(five.good == 5, "all five exact (" + std::to_string(five.good) + "/5), " + std::to_string(five.total_ms / 5) +
                              " ms each");
  c.check(seqs_ok, "Seqs FE FF 00 01 02 echoed");
  sim_self_test_and_enables(c, r, row);
  c.check(row.stats().done == 7 && row.stats().retries == 0, "stats: 7 done, no retry", host_state(row));

  say("-- Get BT Interface Capabilities (QEMU answers, not ipmi_sim)");
  (void)capabilities(c, r);

  say("-- a stale response with another Seq");
  stale_before_start(c, r, sim_device_id);

  say("-- B_BUSY stuck after a wrong Length byte");
  const std::array<std::uint8_t, 4> bad = {0x05, 0x18, 0x30, 0x01};
  const auto got = wrong_length_recovers(c, r, bad, "05 18 30 01 (Length 05, three bytes follow)");
  if (!got.empty()) c.check_bytes(got, sim_device_id, "ipmi_sim's answer");
}

const section<bt_traits> bmc_sections[] = {
    {"Get Device ID", bmc_get_device_id},
    {"eight transactions in a row, the Seq wrapping", bmc_in_a_row},
    {"Get BT Interface Capabilities (QEMU answers)", bmc_capabilities},
    {"Seq mismatch: responses that are not the host's", bmc_seq_mismatch},
    {"BMC silent, response_timeout 6 s (QEMU answers C3)", bmc_silent_long_timeout},
    {"BMC silent once, response_timeout 1 s (the retry waits for QEMU's B_BUSY)", bmc_silent_short_timeout},
    {"BMC silent once, response_timeout 1 s, busy_timeout 0.5 s (QEMU re-sends)", bmc_silent_busy_retry},
    {"a stray H_BUSY before the start", bmc_stray_h_busy},
    {"the largest responses (QEMU's Length byte wraps at 256)", bmc_largest_responses},
    {"B_BUSY stuck after a wrong Length byte / a bare H2B_ATN", bmc_wrong_length},
    {"SMS_ATN", bmc_attention},
};

}  // namespace

int main(int argc, char** argv) { return run_main<bt_traits>(argc, argv, {bmc_sections, std::nullopt, sim_cases}); }
