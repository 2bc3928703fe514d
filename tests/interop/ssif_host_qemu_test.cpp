// tests/interop/ssif_host_qemu_test.cpp — ipmikit's SSIF host machine (ssif::basic_host) as the
// guest of a real QEMU 7.2 (-machine pc -accel tcg, the HLT BIOS), driving QEMU's smbus-ipmi
// (address 0x10) through the PIIX4 SMBus at I/O 0xB100 over qtest (smbus_qtest.hpp), with the
// real ipmikit-bmc program (apps/ipmikit-bmc) behind QEMU's ipmi-bmc-extern.
//
// Checks, each named (PASS/FAIL per check line, "ok"/"FAIL"):
//   aux_ctl             the controller's block-buffer mode (AUX_CTL 02)
//   probe               the host's first start asks Get System Interface Capabilities; QEMU
//                       answers 1C 57 00 00 80 FF FF itself: start/middle/end, no PEC, 255/255
//   get_device_id       the bytes ipmikit-bmc answers (and the same through a raw transfer)
//   multipart_write     Write FRU Data of 40 bytes: a 45-byte request (06 + 08)
//   multipart_read      Read FRU Data of 40 bytes: a 44-byte response (03 + 09), the bytes written
//   in_a_row            ten transactions in a row
//   quirk_a_no_device   a host on address 0x11 (nothing there): every write NAKed → write_refused
//   quirk_b_reread      after a response was read, 03 returns the same response again
//   quirk_c_09_past_end 09 after a single-part response: an empty block (QEMU's "failure")
//   quirk_d_stale       with ipmikit-bmc stopped (SIGSTOP), a read returns the previous response;
//                       the host drops it (not ours) and is done once the BMC runs again
//   quirk_e_caps_local  Get System Interface Capabilities type 1 → CC, no type byte → C7, answered
//                       by QEMU without the BMC (ipmikit-bmc logs no request 57h)
//
// Usage: ipmikit_interop_ssif_host_qemu_test PATH/TO/ipmikit-bmc. Exit status: 0 passed, 1 a
// check failed, 2 usage, 77 skipped (no qemu-system-x86_64, unless IPMIKIT_INTEROP_REQUIRED=1).
// The temporary directory (ipmikit-bmc's and QEMU's logs) is kept when a check fails.
#include <signal.h>

#include <chrono>
#include <cstdio>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <ipmikit/ssif/host.hpp>

#include "check.hpp"
#include "common.hpp"
#include "bmc_control.hpp"  // start_bmc, wait_for_log
#include "net.hpp"
#include "process.hpp"
#include "qemu.hpp"
#include "qtest_bus.hpp"
#include "smbus_qtest.hpp"

namespace {

using namespace ipmikit::interop;
namespace ssif = ipmikit::ssif;
using bytes = std::vector<std::uint8_t>;

// ---------------------------------------------------------------------------------------------
// The host and one transaction

/// Linux's intervals shortened for a test (the machine's defaults are 60 ms).
ssif::host::config fast_config() {
  ssif::host::config cfg;
  cfg.read_retry_interval = std::chrono::milliseconds(10);
  cfg.write_retry_interval = std::chrono::milliseconds(10);
  cfg.max_write_retries = 3;
  cfg.max_read_retries = 200;
  return cfg;
}

struct run_result {
  ipmikit::si::outcome outcome = ipmikit::si::outcome::idle;
  long long ms = 0;
  std::size_t trace_from = 0;
};

run_result run(ssif::host& h, smbus_qtest_bus& bus, std::span<const std::uint8_t> request, millis budget = millis(5000)) {
  run_result r;
  r.trace_from = bus.trace.size();
  bus.next_deadline = [&h] { return h.next_deadline(); };
  const auto t0 = steady::now();
  if (h.start(request, t0) == ipmikit::si::host_error::ok)
    (void)drive_in_slices(h, bus, budget, 100000,
                          [](auto& host, auto& b, auto now, std::size_t n) { return ssif::drive(host, b, now, n); });
  r.outcome = h.outcome();
  r.ms = elapsed_ms(t0);
  return r;
}

std::string host_state(const ssif::host& h) {
  const auto& s = h.stats();
  return "outcome " + std::string(ipmikit::si::name(h.outcome())) + ", problem " + std::string(ssif::name(h.problem())) +
         ", attempts " + std::to_string(h.attempts()) + "; writes " + std::to_string(s.writes) + " reads " +
         std::to_string(s.reads) + " nacks " + std::to_string(s.nacks) + " retries " + std::to_string(s.retries) +
         " dropped " + std::to_string(s.responses_dropped) + " multipart r/w " + std::to_string(s.multipart_reads) +
         "/" + std::to_string(s.multipart_writes);
}

bool check_done(checker& c, const ssif::host& h, const smbus_qtest_bus& bus, const run_result& r, const std::string& what) {
  const bool ok = r.outcome == ipmikit::si::outcome::done && !bus.failed();
  c.check(ok, what + " done in " + std::to_string(r.ms) + " ms",
          host_state(h) + "; bus: " + (bus.failed() ? bus.error() : "ok") + "\n         trace: " + bus.describe(r.trace_from));
  return ok;
}

// ---------------------------------------------------------------------------------------------
// Raw transfers (the quirks), with the driver alone

/// Writes `request` with 02 (again after a NAK, at most 3 times: the write after an empty read
/// is NAKed once, see docs/ssif-qemu-differences.md), then reads 03 until a block with the
/// request's Cmd comes (at most `timeout`). The response, or the failure.
/// Reads with 03 every 2 ms until a response to `cmd` comes (QEMU hands back whatever response it
/// last had, or an empty block, until then).
result<bytes> read_until(piix4_smbus_host& smbus, std::uint8_t cmd, millis timeout = millis(2000)) {
  const deadline d(timeout);
  for (;;) {
    auto r = smbus.block_read(0x03);
    if (!r) return fail(r.error());
    if (r->ack && r->data.size() >= 3 && r->data[1] == cmd) return r->data;
    if (d.expired()) return fail("no response with cmd " + hex(cmd) + "; last read " + r->describe(true));
    sleep_ms(2);
  }
}

result<bytes> raw_transaction(piix4_smbus_host& smbus, const bytes& request, millis timeout = millis(2000)) {
  bool written = false;
  for (int i = 0; i < 3 && !written; ++i) {
    auto w = smbus.block_write(0x02, request);
    if (!w) return fail(w.error());
    written = w->ack;
  }
  if (!written) return fail("the 02 write was NAKed three times");
  return read_until(smbus, request[1], timeout);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s PATH/TO/ipmikit-bmc\n", argv[0]);
    return 2;
  }
  if (!find_program("qemu-system-x86_64")) return missing_program_exit("qemu-system-x86_64");
  checker c;
  auto dir = temp_dir::create("ipmikit-ssif-host");
  if (!c.check_ok(dir, "temporary directory")) return 1;

  auto bmc = start_bmc(*dir, argv[1], "ssif");
  if (!c.check_ok(bmc, "ipmikit-bmc listening")) return pass_or_fail(c.failures());
  auto q = start_qemu(*dir, bmc->port, ipmi_interface::ssif);
  if (!c.check_ok(q, "QEMU with smbus-ipmi,address=0x10 started")) return pass_or_fail(c.failures());
  c.check(wait_for_log(bmc->log_path, "event=capabilities", 1, 10000), "ipmikit-bmc: QEMU connected");

  smbus_qtest_bus bus(q->qt, ssif_address);
  piix4_smbus_host raw(q->qt, ssif_address);

  // aux_ctl
  auto aux = raw.aux_control();
  c.check(aux && *aux == piix4_smbus::aux_blk, "aux_ctl: AUX_CTL " + (aux ? hex(*aux) : aux.error()) + " (block buffer)");

  // probe + get_device_id
  ssif::host h(fast_config());
  const bytes gdi = {0x18, 0x01};
  auto r = run(h, bus, gdi);
  bytes device_id;
  if (check_done(c, h, bus, r, "probe + get_device_id")) {
    const auto caps = h.capabilities_in_use();
    c.check(caps && caps->transactions == ipmikit::cmd::ssif_transaction_support::start_middle_end && !caps->pec &&
                caps->max_request == 255 && caps->max_response == 255 && h.stats().probes == 1,
            "probe: capabilities start_middle_end, no PEC, 255/255 (one probe)", host_state(h));
    c.check(bus.describe(r.trace_from, 3).find("W02 18 57 00 ack") == 0 &&
                bus.describe(r.trace_from).find("ack 7: 1C 57 00 00 80 FF FF") != std::string::npos,
            "probe: on the wire 02 18 57 00, read 1C 57 00 00 80 FF FF (QEMU's own answer)", bus.describe(r.trace_from));
    device_id.assign(h.response().begin(), h.response().end());
    // ipmikit-bmc --listen defaults (docs/ipmikit-bmc.md): device 20h, revision 1, firmware 0.1,
    // IPMI 2.0, support 8F (chassis, FRU inventory, SEL, SDR repository, sensor), manufacturer 0,
    // product 1, no auxiliary firmware bytes.
    c.check_bytes(device_id, {0x1C, 0x01, 0x00, 0x20, 0x01, 0x00, 0x01, 0x02, 0x8F, 0x00, 0x00, 0x00, 0x01, 0x00},
                  "get_device_id: ipmikit-bmc's answer");
  }
  auto raw_gdi = raw_transaction(raw, gdi);
  c.check(raw_gdi && *raw_gdi == device_id, "get_device_id: the raw driver reads the same bytes",
          raw_gdi ? hex(*raw_gdi) : raw_gdi.error());

  // multipart_write: Write FRU Data, FRU 0, offset 0200h, 40 bytes 40h..67h.
  bytes fru_data;
  for (std::uint8_t i = 0; i < 40; ++i) fru_data.push_back(static_cast<std::uint8_t>(0x40 + i));
  bytes write_fru = {0x0A << 2, 0x12, 0x00, 0x00, 0x02};
  write_fru.insert(write_fru.end(), fru_data.begin(), fru_data.end());
  auto mw_before = h.stats().multipart_writes;
  r = run(h, bus, write_fru);
  if (check_done(c, h, bus, r, "multipart_write: Write FRU Data, 45-byte request")) {
    c.check_bytes(h.response(), {0x2C, 0x12, 0x00, 0x28}, "multipart_write: 40 bytes written");
    c.check(h.stats().multipart_writes == mw_before + 1 && bus.describe(r.trace_from).find("W06 ") != std::string::npos &&
                bus.describe(r.trace_from).find("W08 ") != std::string::npos,
            "multipart_write: 06 + 08 on the wire, counted", bus.describe(r.trace_from));
  }

  // multipart_read: Read FRU Data, offset 0200h, 40 bytes.
  const bytes read_fru = {0x0A << 2, 0x11, 0x00, 0x00, 0x02, 40};
  auto mr_before = h.stats().multipart_reads;
  r = run(h, bus, read_fru);
  if (check_done(c, h, bus, r, "multipart_read: Read FRU Data, 44-byte response")) {
    bytes want = {0x2C, 0x11, 0x00, 0x28};
    want.insert(want.end(), fru_data.begin(), fru_data.end());
    c.check_bytes(h.response(), want, "multipart_read: the bytes written");
    c.check(h.stats().multipart_reads == mr_before + 1 && bus.describe(r.trace_from).find("ack 32: 00 01 2C 11 00 28") != std::string::npos &&
                bus.describe(r.trace_from).find("R09 ack 15: FF") != std::string::npos,
            "multipart_read: 03 gives 00 01 + 30 bytes, 09 gives FF + 14, counted", bus.describe(r.trace_from));
  }

  // in_a_row
  int good = 0;
  long long total = 0;
  for (int i = 0; i < 10; ++i) {
    const bool fru = i % 2 == 1;
    r = run(h, bus, fru ? read_fru : gdi);
    total += r.ms;
    if (r.outcome == ipmikit::si::outcome::done && h.response().size() == (fru ? 44u : device_id.size())) ++good;
  }
  c.check(good == 10, "in_a_row: 10 transactions, " + std::to_string(good) + " done with the right length, " +
                          std::to_string(total / 10) + " ms each", host_state(h));

  // quirk_a_no_device
  {
    smbus_qtest_bus nobody(q->qt, 0x11);
    ssif::host h2(fast_config());
    r = run(h2, nobody, gdi);
    c.check(r.outcome == ipmikit::si::outcome::failed && h2.problem() == ssif::problem::write_refused &&
                h2.attempts() == 1u + fast_config().max_write_retries && h2.stats().nacks == h2.attempts(),
            "quirk_a_no_device: address 0x11 NAKs (HST_STS 04), write_refused after " + std::to_string(h2.attempts()) +
                " attempts, " + std::to_string(r.ms) + " ms",
            host_state(h2) + "; trace: " + nobody.describe(r.trace_from));
  }

  // quirk_b_reread
  {
    auto first = raw_transaction(raw, gdi);
    auto again = raw.block_read(0x03);
    c.check(first && again && again->ack && again->data == *first,
            "quirk_b_reread: 03 after the response was read returns it again: " + (again ? again->describe(true) : again.error()));
    // quirk_c_09_past_end
    auto past = raw.block_read(0x09);
    c.check(past && past->ack && past->data.empty(),
            "quirk_c_09_past_end: 09 after a single-part response: " + (past ? past->describe(true) : past.error()) +
                " (an empty block, not a NAK)");
  }

  // quirk_d_stale: ipmikit-bmc stopped; QEMU hands back the previous response. That response is
  // one no stale answer can pass for (Get BMC Global Enables, asked nowhere else), and nothing
  // is left outstanding in QEMU before the BMC stops: QEMU gives a request written while it
  // still waits on one the same msg id, and keeps the first answer to it (seen in CI: after a
  // Get Device ID accepted from a stale block, 18 04 went out under its id and never came back).
  {
    const pid_t pid = bmc->proc.pid();
    auto last = raw_transaction(raw, bytes{0x18, 0x2F});
    sleep_ms(50);  // ipmikit-bmc answers in well under 1 ms: QEMU waits on nothing now
    ::kill(pid, SIGSTOP);
    auto w = raw.block_write(0x02, bytes{0x18, 0x04});  // Get Self Test Results
    if (w && !w->ack) w = raw.block_write(0x02, bytes{0x18, 0x04});
    sleep_ms(20);
    auto stale = raw.block_read(0x03);
    ::kill(pid, SIGCONT);
    c.check(last && w && w->ack && stale && stale->ack && stale->data == *last,
            "quirk_d_stale: a read before the BMC answered 18 04 returns the previous response: " +
                (stale ? stale->describe(true) : stale.error()));
    auto fresh = read_until(raw, 0x04);  // no new write: the answer to the request QEMU sent
    c.check(fresh && fresh->size() >= 3 && (*fresh)[1] == 0x04,
            "quirk_d_stale: once the BMC runs, 03 gives the answer " + (fresh ? hex(*fresh) : fresh.error()));

    // The host under the same condition: the BMC stopped for 150 ms.
    const auto dropped = h.stats().responses_dropped;
    ::kill(pid, SIGSTOP);
    std::thread resume([pid] {
      sleep_ms(150);
      ::kill(pid, SIGCONT);
    });
    r = run(h, bus, gdi);
    resume.join();
    if (check_done(c, h, bus, r, "quirk_d_stale: ssif::host with the BMC stopped 150 ms"))
      c.check(std::ranges::equal(h.response(), device_id) && h.stats().responses_dropped > dropped && r.ms >= 140,
              "quirk_d_stale: the host dropped " + std::to_string(h.stats().responses_dropped - dropped) +
                  " stale/empty reads (not ours) and read the right answer after " + std::to_string(r.ms) + " ms",
              host_state(h) + "; trace: " + bus.describe(r.trace_from));
  }

  // quirk_e_caps_local
  {
    const auto before = count_in_log(bmc->log_path, "cmd=0x57");
    auto bad_type = raw_transaction(raw, bytes{0x18, 0x57, 0x01});
    c.check(bad_type && *bad_type == bytes{0x1C, 0x57, 0xCC},
            "quirk_e_caps_local: type 1 → " + (bad_type ? hex(*bad_type) : bad_type.error()));
    auto missing = raw_transaction(raw, bytes{0x18, 0x57});
    c.check(missing && *missing == bytes{0x1C, 0x57, 0xC7},
            "quirk_e_caps_local: no type byte → " + (missing ? hex(*missing) : missing.error()));
    sleep_ms(50);
    c.check(count_in_log(bmc->log_path, "cmd=0x57") == before && count_in_log(bmc->log_path, "cmd=0x01") > 0,
            "quirk_e_caps_local: ipmikit-bmc logged requests but none with cmd 57h");
  }

  c.check(bmc->proc.alive() && q->proc.alive(), "ipmikit-bmc and QEMU still running");
  (void)q->proc.stop();
  auto ended = bmc->proc.stop();
  c.check(ended && ended->success(), "ipmikit-bmc stopped by SIGTERM, exit 0");
  if (c.failures() != 0) {
    dir->keep();
    say("kept " + dir->path() + "; ipmikit-bmc log tail:\n" + file_tail(bmc->log_path, 2000));
  } else if (keep_requested()) {
    dir->keep();
  }
  return pass_or_fail(c.failures());
}
