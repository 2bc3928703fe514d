// ipmikit-bmc — an external BMC for QEMU's ipmi-bmc-extern device, over TCP: the IPMI watchdog
// of a VM, running outside the VM. When the guest kernel hangs and stops resetting the watchdog,
// this program resets (or powers off) the VM through QEMU.
//
//   ipmikit-bmc [--listen ADDR:PORT] [--verbose]
//
//   qemu-system-x86_64 ... -chardev socket,id=ipmi0,host=127.0.0.1,port=9002,reconnect=1
//                          -device ipmi-bmc-extern,id=bmc0,chardev=ipmi0
//                          -device isa-ipmi-kcs,bmc=bmc0
//
// QEMU is the TCP client; this program listens and serves one VM connection at a time. The VM
// protocol is handled by ipmikit::vm::bmc_session (sans-IO); this file adds the socket loop and
// the IPMI commands a guest needs for a watchdog (docs/ipmikit-bmc.md lists them all).
//
// Layout: the `bmc` class is the IPMI side (commands, watchdog, message flags), with no socket
// in it; the `server` class is the POSIX side (one poll() loop, non-blocking sockets, a
// self-pipe for SIGINT/SIGTERM). The clock is std::chrono::steady_clock, read by the loop and
// passed down; the watchdog's deadlines become poll() timeouts.
//
// Exit status: 0 stopped by SIGINT/SIGTERM; 1 runtime error (cannot listen, poll failed);
// 2 usage error (unknown option, bad --listen).
#include <ipmikit/ipmikit.hpp>

#include <arpa/inet.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <chrono>
#include <climits>
#include <cstdarg>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <iterator>
#include <optional>
#include <ratio>
#include <span>
#include <string>
#include <string_view>

namespace {

namespace vm = ipmikit::vm;
using ipmikit::completion_code;
using clock_type = std::chrono::steady_clock;
using time_point = clock_type::time_point;
using session_type = vm::bmc_session<clock_type>;
using tenths = std::chrono::duration<long long, std::deci>;  // the watchdog counts 100 ms

constexpr int exit_ok = 0;
constexpr int exit_runtime = 1;
constexpr int exit_usage = 2;

// ---------------------------------------------------------------------------------------------
// Logging: one line per event on stdout, flushed at once (it is usually a pipe or a file),
// prefixed with the seconds since the program started.

const time_point g_start = clock_type::now();
bool g_verbose = false;

[[gnu::format(printf, 1, 2)]] void log_line(const char* format, ...) {
  std::printf("%9.3f  ", std::chrono::duration<double>(clock_type::now() - g_start).count());
  va_list args;
  va_start(args, format);
  std::vprintf(format, args);
  va_end(args);
  std::putchar('\n');
  std::fflush(stdout);
}

std::string hex(std::span<const std::uint8_t> bytes, std::size_t limit = 24) {
  std::string s;
  char buf[4];
  for (std::size_t i = 0; i < bytes.size() && i < limit; ++i) {
    std::snprintf(buf, sizeof buf, i == 0 ? "%02X" : " %02X", static_cast<unsigned>(bytes[i]));
    s += buf;
  }
  if (bytes.size() > limit) s += " … (" + std::to_string(bytes.size()) + " bytes)";
  return s;
}

std::string str(std::string_view v) { return std::string(v); }

// ---------------------------------------------------------------------------------------------
// IPMI v2.0 numbers this BMC uses.

namespace app {  // netfn App (0x06)
constexpr std::uint8_t get_device_id = 0x01;           // §20.1
constexpr std::uint8_t get_self_test_results = 0x04;   // §20.4
constexpr std::uint8_t reset_watchdog_timer = 0x22;    // §27.5
constexpr std::uint8_t set_watchdog_timer = 0x24;      // §27.6
constexpr std::uint8_t get_watchdog_timer = 0x25;      // §27.7
constexpr std::uint8_t set_bmc_global_enables = 0x2E;  // §22.1
constexpr std::uint8_t get_bmc_global_enables = 0x2F;  // §22.2
constexpr std::uint8_t clear_message_flags = 0x30;     // §22.3
constexpr std::uint8_t get_message_flags = 0x31;       // §22.4
}  // namespace app
namespace chassis {  // netfn Chassis (0x00)
constexpr std::uint8_t get_chassis_status = 0x01;  // §28.2
constexpr std::uint8_t chassis_control = 0x02;     // §28.3
}  // namespace chassis

// BMC Global Enables (§22.1): bit 0 is the one with an effect here (the VM's interrupt); bit 4 is
// reserved; the others are stored and reported (no event buffer, SEL or OEM function exists).
constexpr std::uint8_t enable_receive_message_interrupt = 0x01;
constexpr std::uint8_t global_enables_reserved = 0x10;
// Message flags (§22.4): only the watchdog pre-timeout flag can be set here.
constexpr std::uint8_t flag_watchdog_pretimeout = 0x08;
// Reset Watchdog Timer's command-specific code (§27.5): "attempt to start un-initialized
// watchdog". Linux's ipmi_watchdog relies on it to restore its settings after a BMC restart.
constexpr auto cc_watchdog_not_initialized = static_cast<completion_code>(0x80);

// Get Device ID (§20.1), after the completion code. Documented in docs/ipmikit-bmc.md.
constexpr std::uint8_t device_id_data[] = {
    0x20,              // device id
    0x01,              // bit 7 = 0: no device SDRs; device revision 1
    0x00,              // bit 7 = 0: device available; firmware major 0 (ipmikit 0.1)
    0x01,              // firmware minor, BCD: .01
    0x02,              // IPMI version 2.0 (BCD, minor digit in the high nibble)
    0x80,              // additional device support: chassis device only
    0x00, 0x00, 0x00,  // manufacturer id 0: unspecified (no IANA number claimed)
    0x01, 0x00,        // product id 0x0001
};

// ---------------------------------------------------------------------------------------------
// What the BMC can do to the VM, each a VM command gated by a capability.

enum class machine_action : std::uint8_t { none, power_off, reset, nmi, soft_shutdown };

constexpr vm::capability capability_for(machine_action a) {
  switch (a) {
    case machine_action::reset: return vm::capability::reset;
    case machine_action::nmi: return vm::capability::nmi;
    case machine_action::soft_shutdown: return vm::capability::graceful_shutdown;
    default: return vm::capability::power;
  }
}
constexpr vm::command command_for(machine_action a) {
  switch (a) {
    case machine_action::reset: return vm::command::reset;
    case machine_action::nmi: return vm::command::send_nmi;
    case machine_action::soft_shutdown: return vm::command::graceful_shutdown;
    default: return vm::command::power_off;
  }
}

// ---------------------------------------------------------------------------------------------
// The watchdog timer's state (§27). Times are steady_clock points; counts are 100 ms units.

enum class pretimeout_interrupt : std::uint8_t { none = 0, smi = 1, nmi = 2, messaging = 3 };
enum class timeout_action : std::uint8_t { none = 0, hard_reset = 1, power_down = 2, power_cycle = 3 };

std::string_view name(pretimeout_interrupt p) {
  switch (p) {
    case pretimeout_interrupt::none: return "none";
    case pretimeout_interrupt::smi: return "SMI";
    case pretimeout_interrupt::nmi: return "NMI";
    case pretimeout_interrupt::messaging: return "messaging interrupt";
  }
  return "reserved";
}
std::string_view name(timeout_action a) {
  switch (a) {
    case timeout_action::none: return "no action";
    case timeout_action::hard_reset: return "hard reset";
    case timeout_action::power_down: return "power down";
    case timeout_action::power_cycle: return "power cycle";
  }
  return "reserved";
}
std::string_view timer_use_name(unsigned use) {
  constexpr std::string_view names[] = {"reserved", "BIOS FRB2", "BIOS/POST", "OS Load", "SMS/OS", "OEM"};
  return use < std::size(names) ? names[use] : "reserved";
}

struct watchdog {
  bool initialized = false;        // a Set Watchdog Timer was accepted
  std::uint8_t use = 0;            // Set byte 1 without bit 6: bit 7 don't log, bits 2:0 timer use
  std::uint8_t actions = 0;        // bits 6:4 pre-timeout interrupt, bits 2:0 timeout action
  std::uint8_t pretimeout_s = 0;   // pre-timeout interval, seconds
  std::uint8_t expired = 0;        // timer use expiration flags (Get byte 5)
  std::uint16_t initial = 0;       // initial countdown
  std::uint16_t stopped_count = 0; // the present countdown while stopped
  bool running = false;
  bool pretimeout_done = false;    // this countdown's pre-timeout interrupt has fired
  time_point expires{};

  [[nodiscard]] unsigned timer_use() const { return use & 0x07u; }
  [[nodiscard]] pretimeout_interrupt pre() const {
    return static_cast<pretimeout_interrupt>((actions >> 4) & 0x07u);
  }
  [[nodiscard]] timeout_action action() const { return static_cast<timeout_action>(actions & 0x07u); }
  [[nodiscard]] time_point pretimeout_at() const { return expires - std::chrono::seconds(pretimeout_s); }
  [[nodiscard]] bool pretimeout_pending() const {
    return running && pre() != pretimeout_interrupt::none && !pretimeout_done;
  }

  void start(time_point now) {
    running = true;
    pretimeout_done = false;
    expires = now + std::chrono::duration_cast<clock_type::duration>(tenths(initial));
  }
  void stop(time_point now) {
    stopped_count = present(now);
    running = false;
  }
  /// The present countdown, rounded up: it reads the initial value right after a reset.
  [[nodiscard]] std::uint16_t present(time_point now) const {
    if (!running) return stopped_count;
    if (now >= expires) return 0;
    const long long left = std::chrono::ceil<tenths>(expires - now).count();
    return static_cast<std::uint16_t>(std::min<long long>(left, 0xFFFF));
  }
  [[nodiscard]] std::optional<time_point> next_deadline() const {
    if (!running) return std::nullopt;
    return pretimeout_pending() ? std::min(pretimeout_at(), expires) : expires;
  }
};

// ---------------------------------------------------------------------------------------------
// The BMC: IPMI commands and the watchdog, on top of a session. No sockets here.

/// A response's completion code and data (at most the 11 bytes of Get Device ID).
constexpr std::size_t max_reply_data = 16;
struct reply {
  completion_code cc = completion_code::success;
  std::array<std::uint8_t, max_reply_data> data{};
  std::size_t size = 0;

  reply() = default;
  explicit reply(completion_code c) : cc(c) {}
  reply& add(std::uint8_t b) {
    if (size < data.size()) data[size++] = b;
    return *this;
  }
};

/// An action that follows a response (Chassis Control answers first, then acts: spec §28.3
/// allows it, and QEMU takes the response before it resets or stops the machine).
struct deferred_action {
  machine_action action = machine_action::none;
  const char* why = "";
};

class bmc {
 public:
  explicit bmc(session_type& session) : session_(session) {}

  // --- session events ------------------------------------------------------------------------

  void on_request(const vm::request_event& r, time_point now) {
    deferred_action after;
    const reply rep = dispatch(r, now, after);

    // netfn|1 and the request's LUN, command, completion code, data.
    std::array<std::uint8_t, 3 + max_reply_data> body{};
    body[0] = ipmikit::pack_netfn_lun(ipmikit::response_netfn(r.function()), r.lun());
    body[1] = r.cmd();
    body[2] = static_cast<std::uint8_t>(rep.cc);
    std::copy_n(rep.data.begin(), rep.size, body.begin() + 3);
    const std::span<const std::uint8_t> response(body.data(), 3 + rep.size);

    char id[16];
    std::snprintf(id, sizeof id, "id=0x%02X ", r.msg_id);
    std::string line = "request " + std::string(id) + describe_command(r);
    if (!r.data().empty()) line += " (data " + hex(r.data()) + ")";
    const std::string_view cc_name = rep.cc == cc_watchdog_not_initialized
                                         ? "watchdog_not_initialized"
                                         : ipmikit::name(rep.cc);
    char cc_text[48];
    std::snprintf(cc_text, sizeof cc_text, " -> cc 0x%02X %.*s", static_cast<unsigned>(rep.cc),
                  static_cast<int>(cc_name.size()), cc_name.empty() ? "" : cc_name.data());
    line += cc_text;
    if (rep.size != 0) line += ", data " + hex(response.subspan(3));
    log_line("%s", line.c_str());

    if (const auto e = session_.respond(r.msg_id, response); e != vm::session_error::ok)
      log_line("could not queue the response to id=0x%02X: %s", r.msg_id, str(vm::name(e)).c_str());
    if (after.action != machine_action::none) perform(after.action, after.why);
  }

  void on_capabilities(const vm::capabilities_event& c) {
    std::string names;
    for (const vm::capability cap : vm::all_capabilities_list)
      if (c.caps.has(cap)) names += (names.empty() ? "" : " ") + str(vm::name(cap));
    log_line("VM capabilities 0x%02X (%s)", c.caps.to_byte(), names.empty() ? "none" : names.c_str());
    // QEMU drops SMS attention when the connection closes; raise it again if a flag is set.
    update_attention();
  }

  void connected() { attention_ = false; }

  void disconnected(time_point now) {
    attention_ = false;
    // The timeout action could not reach the VM, and must not hit another VM that connects
    // later. The settings stay: the guest's next Reset Watchdog Timer starts it again.
    if (wd_.running) {
      wd_.stop(now);
      log_line("watchdog stopped: no VM connected (settings kept; Reset Watchdog Timer restarts it)");
    }
  }

  // --- time ----------------------------------------------------------------------------------

  [[nodiscard]] std::optional<time_point> next_deadline() const { return wd_.next_deadline(); }

  /// Fires the watchdog's pre-timeout interrupt and timeout when they are due.
  void tick(time_point now) {
    if (wd_.pretimeout_pending() && now >= wd_.pretimeout_at()) fire_pretimeout(now);
    if (wd_.running && now >= wd_.expires) expire(now);
  }

 private:
  // --- dispatch ------------------------------------------------------------------------------

  static std::string describe_command(const vm::request_event& r) {
    const std::string_view family = ipmikit::name(r.function());
    const std::string_view command = ipmikit::command_name(r.function(), r.cmd());
    char buf[96];
    if (command.empty()) {
      std::snprintf(buf, sizeof buf, "%.*s(0x%02X) command 0x%02X", static_cast<int>(family.size()),
                    family.data(), static_cast<unsigned>(r.function()), r.cmd());
    } else {
      std::snprintf(buf, sizeof buf, "%.*s %.*s", static_cast<int>(family.size()), family.data(),
                    static_cast<int>(command.size()), command.data());
    }
    std::string s = buf;
    if (r.lun() != ipmikit::lun::bmc) s += " LUN " + std::to_string(static_cast<unsigned>(r.lun()));
    return s;
  }

  reply dispatch(const vm::request_event& r, time_point now, deferred_action& after) {
    // Every command here belongs to the BMC's LUN 0; other LUNs have no commands at all.
    if (r.lun() != ipmikit::lun::bmc) return reply(completion_code::invalid_command_for_lun);
    const std::span<const std::uint8_t> data = r.data();
    if (r.function() == ipmikit::netfn::app) {
      switch (r.cmd()) {
        case app::get_device_id: return get_device_id(data);
        case app::get_self_test_results: return get_self_test_results(data);
        case app::reset_watchdog_timer: return reset_watchdog_timer(data, now);
        case app::set_watchdog_timer: return set_watchdog_timer(data, now);
        case app::get_watchdog_timer: return get_watchdog_timer(data, now);
        case app::set_bmc_global_enables: return set_global_enables(data);
        case app::get_bmc_global_enables: return get_global_enables(data);
        case app::clear_message_flags: return clear_message_flags(data);
        case app::get_message_flags: return get_message_flags(data);
        default: break;
      }
    } else if (r.function() == ipmikit::netfn::chassis) {
      switch (r.cmd()) {
        case chassis::get_chassis_status: return get_chassis_status(data);
        case chassis::chassis_control: return chassis_control(data, after);
        default: break;
      }
    }
    return reply(completion_code::invalid_command);
  }

  static bool wrong_length(std::span<const std::uint8_t> data, std::size_t want) {
    return data.size() != want;
  }
  static reply length_invalid() { return reply(completion_code::request_data_length_invalid); }

  // --- App: device (§20) ---------------------------------------------------------------------

  static reply get_device_id(std::span<const std::uint8_t> data) {
    if (wrong_length(data, 0)) return length_invalid();
    reply rep;
    for (const std::uint8_t b : device_id_data) rep.add(b);
    return rep;
  }

  static reply get_self_test_results(std::span<const std::uint8_t> data) {
    if (wrong_length(data, 0)) return length_invalid();
    return reply().add(0x55).add(0x00);  // 55h: no error; 00h: no failure bits
  }

  // --- App: global enables and message flags (§22) -------------------------------------------

  reply set_global_enables(std::span<const std::uint8_t> data) {
    if (wrong_length(data, 1)) return length_invalid();
    if ((data[0] & global_enables_reserved) != 0) return reply(completion_code::invalid_data_field);
    const std::uint8_t before = global_enables_;
    global_enables_ = data[0];
    // The receive message queue interrupt is the VM interface's interrupt: tell QEMU before the
    // response, so the response itself already raises it (as ipmi_sim does).
    const bool irq = (global_enables_ & enable_receive_message_interrupt) != 0;
    if (irq != ((before & enable_receive_message_interrupt) != 0)) {
      const auto e = session_.enable_irq(irq);
      const char* cmd = irq ? "ENABLE_IRQ" : "DISABLE_IRQ";
      if (e == vm::session_error::ok) {
        log_line("sent %s (receive message queue interrupt %s)", cmd, irq ? "enabled" : "disabled");
      } else {
        log_line("%s not sent: %s (the enables are stored anyway)", cmd, str(vm::name(e)).c_str());
      }
    }
    return reply();
  }

  reply get_global_enables(std::span<const std::uint8_t> data) const {
    if (wrong_length(data, 0)) return length_invalid();
    return reply().add(global_enables_);
  }

  reply get_message_flags(std::span<const std::uint8_t> data) const {
    if (wrong_length(data, 0)) return length_invalid();
    return reply().add(message_flags_);
  }

  reply clear_message_flags(std::span<const std::uint8_t> data) {
    if (wrong_length(data, 1)) return length_invalid();
    // Bits for queues this BMC does not have clear nothing; that is not an error.
    message_flags_ = static_cast<std::uint8_t>(message_flags_ & ~data[0]);
    update_attention();  // before the response: the guest sees SMS_ATN clear once it has it
    return reply();
  }

  /// SMS attention follows the message flags: on while any is set. The interrupt is requested
  /// when the guest enabled the receive message queue interrupt and the VM has one.
  void update_attention() {
    const bool want = message_flags_ != 0;
    if (want == attention_ || !session_.connected()) return;
    const bool irq = want && (global_enables_ & enable_receive_message_interrupt) != 0 &&
                     session_.peer_capabilities().has(vm::capability::irq);
    const vm::command cmd = !want ? vm::command::no_attention
                                  : (irq ? vm::command::attention_irq : vm::command::attention);
    const auto e = session_.set_attention(want, irq);
    if (e == vm::session_error::ok) {
      attention_ = want;
      log_line("sent %s (message flags 0x%02X)", str(vm::name(cmd)).c_str(), message_flags_);
    } else {
      log_line("%s not sent: %s", str(vm::name(cmd)).c_str(), str(vm::name(e)).c_str());
    }
  }

  // --- App: watchdog (§27) -------------------------------------------------------------------

  reply reset_watchdog_timer(std::span<const std::uint8_t> data, time_point now) {
    if (wrong_length(data, 0)) return length_invalid();
    if (!wd_.initialized) return reply(cc_watchdog_not_initialized);
    // §27.5: once the pre-timeout interrupt has fired, only Set Watchdog Timer can stop the
    // countdown; a reset does not restart it.
    if (wd_.running && wd_.pretimeout_done) return reply(completion_code::not_supported_in_present_state);
    const bool was_running = wd_.running;
    wd_.start(now);
    if (!was_running) log_line("watchdog started: %s", describe_watchdog().c_str());
    return reply();
  }

  reply set_watchdog_timer(std::span<const std::uint8_t> data, time_point now) {
    if (wrong_length(data, 6)) return length_invalid();
    const unsigned use = data[0] & 0x07u;
    const auto pre = static_cast<pretimeout_interrupt>((data[1] >> 4) & 0x07u);
    const auto action = static_cast<timeout_action>(data[1] & 0x07u);
    // Reserved values are invalid; SMI is valid IPMI but a VM has no SMI to raise. Reserved
    // bits (byte 1 bits 5:3, byte 2 bits 7 and 3, byte 4 bits 7, 6, 0) are ignored.
    if (use == 0 || use > 5 || pre > pretimeout_interrupt::messaging ||
        pre == pretimeout_interrupt::smi || action > timeout_action::power_cycle)
      return reply(completion_code::invalid_data_field);
    // Valid values this VM cannot carry out: refused now rather than failing at expiry.
    const vm::capabilities caps = session_.peer_capabilities();
    if ((pre == pretimeout_interrupt::nmi && !caps.has(vm::capability::nmi)) ||
        (pre == pretimeout_interrupt::messaging && !caps.has(vm::capability::attention)) ||
        (action == timeout_action::hard_reset && !caps.has(vm::capability::reset)) ||
        ((action == timeout_action::power_down || action == timeout_action::power_cycle) &&
         !caps.has(vm::capability::power)))
      return reply(completion_code::not_supported_in_present_state);

    const bool keep_running = (data[0] & 0x40u) != 0 && wd_.running;  // "don't stop" (§27.6)
    wd_.initialized = true;
    wd_.use = static_cast<std::uint8_t>(data[0] & 0x87u);
    wd_.actions = static_cast<std::uint8_t>(data[1] & 0x77u);
    wd_.pretimeout_s = data[2];
    wd_.expired = static_cast<std::uint8_t>(wd_.expired & ~(data[3] & 0x3Eu));
    wd_.initial = static_cast<std::uint16_t>(data[4] | (data[5] << 8));
    if (keep_running) {
      wd_.start(now);  // the new countdown continues from the new value
    } else {
      wd_.running = false;
      wd_.pretimeout_done = false;
      wd_.stopped_count = wd_.initial;
    }
    // Set Watchdog Timer clears the pre-timeout flag, running or not.
    if ((message_flags_ & flag_watchdog_pretimeout) != 0) {
      message_flags_ = static_cast<std::uint8_t>(message_flags_ & ~flag_watchdog_pretimeout);
      update_attention();
    }
    log_line("watchdog set: %s, %s", describe_watchdog().c_str(),
             keep_running ? "keeps running from the new countdown" : "stopped");
    return reply();
  }

  reply get_watchdog_timer(std::span<const std::uint8_t> data, time_point now) const {
    if (wrong_length(data, 0)) return length_invalid();
    const std::uint16_t present = wd_.present(now);
    return reply()
        .add(static_cast<std::uint8_t>(wd_.use | (wd_.running ? 0x40u : 0x00u)))  // bit 6: running
        .add(wd_.actions)
        .add(wd_.pretimeout_s)
        .add(wd_.expired)
        .add(static_cast<std::uint8_t>(wd_.initial & 0xFFu))
        .add(static_cast<std::uint8_t>(wd_.initial >> 8))
        .add(static_cast<std::uint8_t>(present & 0xFFu))
        .add(static_cast<std::uint8_t>(present >> 8));
  }

  std::string describe_watchdog() const {
    char buf[160];
    std::snprintf(buf, sizeof buf, "timer use %s, timeout action %s, pre-timeout %s",
                  str(timer_use_name(wd_.timer_use())).c_str(), str(name(wd_.action())).c_str(),
                  str(name(wd_.pre())).c_str());
    std::string s = buf;
    if (wd_.pre() != pretimeout_interrupt::none) s += " " + std::to_string(wd_.pretimeout_s) + " s before";
    std::snprintf(buf, sizeof buf, ", countdown %u.%u s", wd_.initial / 10u, wd_.initial % 10u);
    return s + buf;
  }

  void fire_pretimeout(time_point now) {
    wd_.pretimeout_done = true;
    const double left = std::max(0.0, std::chrono::duration<double>(wd_.expires - now).count());
    switch (wd_.pre()) {
      case pretimeout_interrupt::nmi:
        log_line("watchdog pre-timeout, %.1f s before expiry: NMI", left);
        perform(machine_action::nmi, "watchdog pre-timeout interrupt");
        break;
      case pretimeout_interrupt::messaging:
        log_line("watchdog pre-timeout, %.1f s before expiry: messaging interrupt (message flag 0x08)", left);
        message_flags_ = static_cast<std::uint8_t>(message_flags_ | flag_watchdog_pretimeout);
        update_attention();
        break;
      default: break;
    }
  }

  void expire(time_point now) {
    wd_.stop(now);
    wd_.stopped_count = 0;
    wd_.expired = static_cast<std::uint8_t>(wd_.expired | (1u << wd_.timer_use()));
    log_line("watchdog expired (timer use %s): timeout action %s",
             str(timer_use_name(wd_.timer_use())).c_str(), str(name(wd_.action())).c_str());
    switch (wd_.action()) {
      case timeout_action::hard_reset: perform(machine_action::reset, "watchdog timeout action: hard reset"); break;
      case timeout_action::power_down: perform(machine_action::power_off, "watchdog timeout action: power down"); break;
      case timeout_action::power_cycle:
        perform(machine_action::power_off, "watchdog timeout action: power cycle; QEMU cannot power on, the VM stays off");
        break;
      default: break;
    }
  }

  // --- Chassis (§28) -------------------------------------------------------------------------

  reply get_chassis_status(std::span<const std::uint8_t> data) const {
    if (wrong_length(data, 0)) return length_invalid();
    // Power is on while a VM is connected (it is, or nobody would be asking). Restore policy
    // "unknown" (11b): QEMU cannot power a VM on, so there is no policy to report.
    const std::uint8_t power = static_cast<std::uint8_t>(0x60u | (session_.connected() ? 0x01u : 0x00u));
    return reply().add(power).add(0x00).add(0x00);  // last power event, misc chassis state: none
  }

  reply chassis_control(std::span<const std::uint8_t> data, deferred_action& after) const {
    if (wrong_length(data, 1)) return length_invalid();
    deferred_action act;
    switch (data[0]) {  // bits 7:4 are reserved; a value with them set is invalid too
      case 0x00: act = {machine_action::power_off, "Chassis Control: power down"}; break;
      case 0x01: return reply();  // power up: a VM that can send requests is already on
      case 0x02:
        act = {machine_action::power_off, "Chassis Control: power cycle; QEMU cannot power on, the VM stays off"};
        break;
      case 0x03: act = {machine_action::reset, "Chassis Control: hard reset"}; break;
      case 0x04: act = {machine_action::nmi, "Chassis Control: pulse diagnostic interrupt"}; break;
      case 0x05: act = {machine_action::soft_shutdown, "Chassis Control: soft shutdown"}; break;
      default: return reply(completion_code::invalid_data_field);
    }
    if (!session_.peer_capabilities().has(capability_for(act.action)))
      return reply(completion_code::not_supported_in_present_state);
    after = act;
    return reply();
  }

  /// Sends the VM command for `a` and logs it.
  void perform(machine_action a, const char* why) {
    vm::session_error e = vm::session_error::ok;
    switch (a) {
      case machine_action::power_off: e = session_.power_off(); break;
      case machine_action::reset: e = session_.reset(); break;
      case machine_action::nmi: e = session_.send_nmi(); break;
      case machine_action::soft_shutdown: e = session_.graceful_shutdown(); break;
      case machine_action::none: return;
    }
    const std::string cmd = str(vm::name(command_for(a)));
    if (e == vm::session_error::ok) {
      log_line("sent %s (%s)", cmd.c_str(), why);
    } else {
      log_line("could not send %s (%s): %s", cmd.c_str(), why, str(vm::name(e)).c_str());
    }
  }

  session_type& session_;
  std::uint8_t global_enables_ = 0x00;
  std::uint8_t message_flags_ = 0x00;
  bool attention_ = false;  // SMS attention as last sent to this connection
  watchdog wd_;
};

/// The session's event handler for one call: forwards to the BMC with the call's time.
struct session_events {
  bmc& b;
  time_point now;

  void operator()(const vm::request_event& r) const { b.on_request(r, now); }
  void operator()(const vm::capabilities_event& c) const { b.on_capabilities(c); }
  void operator()(const vm::version_event& v) const {
    log_line("VM protocol version %u", static_cast<unsigned>(v.version));
  }
  void operator()(const vm::hardware_event& h) const {
    // RESET is the only command an emulator sends a BMC: "the machine was reset".
    log_line("VM reports %s", str(vm::name(h.code)).c_str());
  }
  void operator()(const vm::protocol_event& p) const {
    std::string what = str(vm::name(p.problem));
    if (p.problem == vm::protocol_problem::malformed_frame) what += " (" + str(vm::describe(p.decode)) + ")";
    if (p.problem == vm::protocol_problem::unexpected_command) {
      char buf[16];
      std::snprintf(buf, sizeof buf, " 0x%02X", p.code);
      what += buf;
    }
    log_line("protocol problem at stream offset %llu: %s; ignored",
             static_cast<unsigned long long>(p.offset), what.c_str());
  }
};

// ---------------------------------------------------------------------------------------------
// Sockets

std::string errno_text() { return std::strerror(errno); }

std::string address_text(const sockaddr* addr, socklen_t len) {
  char host[NI_MAXHOST];
  char port[NI_MAXSERV];
  if (::getnameinfo(addr, len, host, sizeof host, port, sizeof port, NI_NUMERICHOST | NI_NUMERICSERV) != 0)
    return "?";
  return addr->sa_family == AF_INET6 ? "[" + std::string(host) + "]:" + port : std::string(host) + ":" + port;
}

bool set_nonblocking(int fd) {
  const int flags = ::fcntl(fd, F_GETFL);
  return flags >= 0 && ::fcntl(fd, F_SETFL, flags | O_NONBLOCK) == 0 &&
         ::fcntl(fd, F_SETFD, FD_CLOEXEC) == 0;
}

// SIGINT/SIGTERM write their number into a pipe that poll() watches (the self-pipe trick).
int g_signal_pipe[2] = {-1, -1};

extern "C" void on_signal(int sig) {
  const int saved = errno;
  const auto byte = static_cast<unsigned char>(sig);
  const ssize_t ignored = ::write(g_signal_pipe[1], &byte, 1);
  (void)ignored;
  errno = saved;
}

bool install_signal_handlers() {
  if (::pipe(g_signal_pipe) != 0 || !set_nonblocking(g_signal_pipe[0]) || !set_nonblocking(g_signal_pipe[1]))
    return false;
  struct sigaction sa {};
  sa.sa_handler = on_signal;
  sigemptyset(&sa.sa_mask);
  struct sigaction ignore {};
  ignore.sa_handler = SIG_IGN;
  sigemptyset(&ignore.sa_mask);
  // SIGPIPE: a VM that went away is seen by send() (MSG_NOSIGNAL) and recv(), not by a signal.
  return ::sigaction(SIGINT, &sa, nullptr) == 0 && ::sigaction(SIGTERM, &sa, nullptr) == 0 &&
         ::sigaction(SIGPIPE, &ignore, nullptr) == 0;
}

class server {
 public:
  explicit server(int listener) : listener_(listener) {}
  server(const server&) = delete;
  server& operator=(const server&) = delete;

  int run() {
    while (true) {
      time_point now = clock_type::now();
      if (conn_ >= 0) {
        session_.poll(now, events(now));  // ends a command gap that is over
        bmc_.tick(now);                   // watchdog pre-timeout and expiry
        flush(now);
      }
      std::optional<time_point> due;
      if (conn_ >= 0) {
        due = session_.next_deadline();
        if (const auto w = bmc_.next_deadline(); w && (!due || *w < *due)) due = w;
      }
      int timeout_ms = -1;
      if (due) {
        const long long ms = std::chrono::ceil<std::chrono::milliseconds>(*due - now).count();
        timeout_ms = static_cast<int>(std::clamp<long long>(ms, 0, INT_MAX));
      }

      std::array<pollfd, 3> fds{{{g_signal_pipe[0], POLLIN, 0}, {listener_, POLLIN, 0}, {conn_, 0, 0}}};
      fds[2].events = static_cast<short>(POLLIN | (want_write_ ? POLLOUT : 0));
      const nfds_t count = conn_ >= 0 ? 3 : 2;
      if (::poll(fds.data(), count, timeout_ms) < 0) {
        if (errno == EINTR) continue;
        log_line("poll failed: %s", errno_text().c_str());
        return exit_runtime;
      }
      now = clock_type::now();
      if (fds[0].revents != 0) {
        unsigned char sig = 0;
        if (::read(g_signal_pipe[0], &sig, 1) == 1) {
          log_line("caught %s, stopping", sig == SIGINT ? "SIGINT" : "SIGTERM");
          if (conn_ >= 0) drop_connection(now, "ipmikit-bmc is stopping");
          return exit_ok;
        }
      }
      // The connection first: a VM that closed and reconnected at once must not be refused.
      if (count == 3 && conn_ >= 0 && (fds[2].revents & (POLLIN | POLLHUP | POLLERR)) != 0) read_connection(now);
      if ((fds[1].revents & POLLIN) != 0) accept_connections(now);
      // POLLOUT needs nothing here: the loop's top flushes.
    }
  }

 private:
  session_events events(time_point now) { return session_events{bmc_, now}; }

  void accept_connections(time_point now) {
    for (int i = 0; i < 16; ++i) {
      sockaddr_storage addr{};
      socklen_t len = sizeof addr;
      const int fd = ::accept(listener_, reinterpret_cast<sockaddr*>(&addr), &len);
      if (fd < 0) {
        if (errno == EINTR || errno == ECONNABORTED) continue;
        if (errno != EAGAIN && errno != EWOULDBLOCK) log_line("accept failed: %s", errno_text().c_str());
        return;
      }
      const std::string who = address_text(reinterpret_cast<const sockaddr*>(&addr), len);
      if (conn_ >= 0) {  // one VM per BMC, like ipmi_sim: close the newcomer at once
        log_line("refused a second connection from %s (VM %s is connected)", who.c_str(), peer_.c_str());
        ::close(fd);
        continue;
      }
      const int one = 1;
      if (!set_nonblocking(fd) || ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one) != 0) {
        log_line("cannot set up the connection from %s: %s", who.c_str(), errno_text().c_str());
        ::close(fd);
        continue;
      }
      conn_ = fd;
      peer_ = who;
      log_line("VM connected from %s", who.c_str());
      bmc_.connected();
      session_.connect(now, events(now));  // queues VERSION 1
    }
  }

  void read_connection(time_point now) {
    std::array<std::uint8_t, 4096> buf{};
    const ssize_t n = ::recv(conn_, buf.data(), buf.size(), 0);
    if (n > 0) {
      const std::span<const std::uint8_t> bytes(buf.data(), static_cast<std::size_t>(n));
      if (g_verbose) log_line("<- %s", hex(bytes, 64).c_str());
      session_.receive(bytes, now, events(now));
      return;
    }
    if (n == 0) return drop_connection(now, "closed by the VM");
    if (errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK) return;
    drop_connection(now, errno_text().c_str());
  }

  /// Writes what the session lets out now. Each outbound() chunk goes to one send(): a VM
  /// command always ends a write, and the session then holds the rest back for its command gap.
  void flush(time_point now) {
    for (int i = 0; i < 64 && conn_ >= 0; ++i) {
      const std::span<const std::uint8_t> chunk = session_.outbound(now);
      if (chunk.empty()) {
        want_write_ = false;
        return;
      }
      const ssize_t n = ::send(conn_, chunk.data(), chunk.size(), MSG_NOSIGNAL);
      if (n < 0) {
        if (errno == EINTR) continue;
        if (errno == EAGAIN || errno == EWOULDBLOCK) {
          want_write_ = true;
          return;
        }
        return drop_connection(now, errno_text().c_str());
      }
      if (g_verbose) log_line("-> %s", hex(chunk.first(static_cast<std::size_t>(n)), 64).c_str());
      session_.consume(static_cast<std::size_t>(n), now);
      if (static_cast<std::size_t>(n) < chunk.size()) {  // the socket is full: wait for POLLOUT
        want_write_ = true;
        return;
      }
    }
  }

  void drop_connection(time_point now, const char* why) {
    log_line("VM %s disconnected: %s", peer_.c_str(), why);
    session_.disconnect(now, events(now));
    ::close(conn_);
    conn_ = -1;
    want_write_ = false;
    bmc_.disconnected(now);
  }

  int listener_;
  int conn_ = -1;
  std::string peer_;
  bool want_write_ = false;
  session_type session_;
  bmc bmc_{session_};
};

// ---------------------------------------------------------------------------------------------
// Command line

constexpr const char* usage_text =
    "usage: ipmikit-bmc [--listen ADDR:PORT] [--verbose]\n"
    "\n"
    "An external BMC for QEMU's ipmi-bmc-extern device (the \"VM\" protocol over TCP). It\n"
    "answers the guest's IPMI requests (device id, self test, global enables, message flags,\n"
    "chassis status and control, the watchdog timer) and runs the IPMI watchdog outside the VM:\n"
    "when the guest stops resetting it, the VM is reset or powered off.\n"
    "\n"
    "  --listen ADDR:PORT  listen there (default 127.0.0.1:9002; [ADDR]:PORT for IPv6,\n"
    "                      port 0 picks a free one)\n"
    "  -v, --verbose       also log every byte sent and received\n"
    "  -h, --help          show this help\n"
    "\n"
    "QEMU side:\n"
    "  -chardev socket,id=ipmi0,host=127.0.0.1,port=9002,reconnect=1\n"
    "  -device ipmi-bmc-extern,id=bmc0,chardev=ipmi0 -device isa-ipmi-kcs,bmc=bmc0\n"
    "\n"
    "One VM at a time (a second connection is closed at once). One line per event on stdout.\n"
    "Exit status: 0 stopped by SIGINT/SIGTERM, 1 runtime error, 2 usage error.\n";

int usage_error(const std::string& message) {
  std::fprintf(stderr, "ipmikit-bmc: %s\nTry 'ipmikit-bmc --help'.\n", message.c_str());
  return exit_usage;
}

/// Listens on `spec` ("HOST:PORT" or "[V6]:PORT"). Returns the socket, or -1 with `exit_code`
/// and a message on stderr.
int open_listener(const std::string& spec, int& exit_code) {
  exit_code = exit_usage;
  const std::size_t colon = spec.rfind(':');
  if (colon == std::string::npos || colon == 0 || colon + 1 == spec.size()) {
    usage_error("--listen needs ADDR:PORT, got '" + spec + "'");
    return -1;
  }
  std::string host = spec.substr(0, colon);
  const std::string port = spec.substr(colon + 1);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
  if (port.size() > 5 || port.find_first_not_of("0123456789") != std::string::npos ||
      std::stoul(port) > 65535) {
    usage_error("--listen: bad port '" + port + "' (0 to 65535)");
    return -1;
  }
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
  addrinfo* found = nullptr;
  if (const int rc = ::getaddrinfo(host.c_str(), port.c_str(), &hints, &found); rc != 0) {
    const bool bad_name = rc == EAI_NONAME
#ifdef EAI_ADDRFAMILY
                          || rc == EAI_ADDRFAMILY
#endif
        ;
    if (bad_name) {
      usage_error("--listen: cannot resolve '" + host + "': " + ::gai_strerror(rc));
    } else {
      exit_code = exit_runtime;
      std::fprintf(stderr, "ipmikit-bmc: cannot resolve '%s': %s\n", host.c_str(), ::gai_strerror(rc));
    }
    return -1;
  }
  exit_code = exit_runtime;
  const int fd = ::socket(found->ai_family, found->ai_socktype, found->ai_protocol);
  const int one = 1;
  const bool ok = fd >= 0 && ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) == 0 &&
                  ::bind(fd, found->ai_addr, found->ai_addrlen) == 0 && ::listen(fd, 4) == 0 &&
                  set_nonblocking(fd);
  const std::string what = address_text(found->ai_addr, found->ai_addrlen);
  ::freeaddrinfo(found);
  if (!ok) {
    std::fprintf(stderr, "ipmikit-bmc: cannot listen on %s: %s\n", what.c_str(), errno_text().c_str());
    if (fd >= 0) ::close(fd);
    return -1;
  }
  return fd;
}

}  // namespace

int main(int argc, char** argv) {
  std::string listen_spec = "127.0.0.1:9002";
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    if (arg == "-h" || arg == "--help") {
      std::fputs(usage_text, stdout);
      return exit_ok;
    }
    if (arg == "-v" || arg == "--verbose") {
      g_verbose = true;
    } else if (arg == "--listen") {
      if (i + 1 >= argc) return usage_error("--listen needs ADDR:PORT");
      listen_spec = argv[++i];
    } else if (arg.starts_with("--listen=")) {
      listen_spec = std::string(arg.substr(9));
    } else {
      return usage_error("unknown option '" + std::string(arg) + "'");
    }
  }

  int exit_code = exit_ok;
  const int listener = open_listener(listen_spec, exit_code);
  if (listener < 0) return exit_code;
  if (!install_signal_handlers()) {
    std::fprintf(stderr, "ipmikit-bmc: cannot install signal handlers: %s\n", errno_text().c_str());
    return exit_runtime;
  }
  sockaddr_storage bound{};
  socklen_t len = sizeof bound;
  ::getsockname(listener, reinterpret_cast<sockaddr*>(&bound), &len);
  log_line("listening on %s", address_text(reinterpret_cast<const sockaddr*>(&bound), len).c_str());

  static server s(listener);  // static: the session's buffers stay off the stack
  const int rc = s.run();
  ::close(listener);
  log_line("stopped");
  return rc;
}
