// apps/ipmikit-bmc/control.hpp — the operator's control protocol, without the socket.
//
// One command per line; the answer is zero or more lines, then "ok" or "error TEXT":
//
//   list                               one line per VM: NAME state=… power=… watchdog=…
//   status NAME                        key=value lines (vm_bmc::status)
//   power on|off|cycle|reset|nmi|soft NAME
//                                      asks for the VM command (POWEROFF, RESET, SEND_NMI,
//                                      GRACEFUL_SHUTDOWN), or with `qmp` the QMP commands (on,
//                                      off, cycle, reset, soft; docs/ipmikit-bmc.md, "Power"),
//                                      logged with reason=control; the answer says what became
//                                      of it: "ok sent", "ok queued", "ok already queued", "ok
//                                      already off", "ok already on" (power_outcome). Without
//                                      qmp, on works only while on and cycle is off.
//   sel list NAME [ID]                 the SEL: a summary line, then up to 64 records from ID
//                                      (default the first), `more=0xID` when more remain
//   sel clear NAME                     clears the SEL (written to the state file): "ok cleared N"
//   boot get NAME                      the boot flags: device=, valid=, persistent=, efi=
//   boot set NAME DEVICE [persistent]  the boot device (pxe, disk, cdrom, bios, none, …) for the
//                                      next boot, or every boot (written to the state file)
//   help                               the commands
//
// The server (main.cpp) owns the UNIX socket and calls control_command() for each line.
#pragma once

#include <algorithm>
#include <charconv>
#include <span>
#include <string>
#include <system_error>
#include <string_view>

#include "bmc.hpp"

namespace ipmikit_bmc {

constexpr std::size_t max_control_line = 512;

constexpr const char* control_help =
    "list\n"
    "status NAME\n"
    "power on|off|cycle|reset|nmi|soft NAME\n"
    "sel list NAME [ID]\n"
    "sel clear NAME\n"
    "boot get NAME\n"
    "boot set NAME DEVICE [persistent]\n"
    "help\n";

/// Runs one control line (without its newline) against the VMs; returns the whole answer,
/// each line ending in '\n', the last one "ok", "ok WHAT" (power) or "error TEXT". When
/// `acted_on` is given, it is set to the index in `vms` of the VM a power command acted on (it
/// may have VM commands to send now), else left alone.
inline std::string control_command(std::string_view line, std::span<vm_bmc* const> vms, time_point now,
                                   std::size_t* acted_on = nullptr) {
  auto words = [&]() {
    std::array<std::string_view, 5> w{};
    std::size_t n = 0;
    std::string_view rest = line;
    while (!rest.empty()) {
      const auto start = rest.find_first_not_of(" \t\r");
      if (start == std::string_view::npos) break;
      rest = rest.substr(start);
      const auto end = rest.find_first_of(" \t\r");
      if (n == w.size()) return std::pair{w, n + 1};  // too many words
      w[n++] = rest.substr(0, end);
      rest = end == std::string_view::npos ? std::string_view{} : rest.substr(end);
    }
    return std::pair{w, n};
  };
  const auto [w, n] = words();
  auto find = [&](std::string_view name) -> std::size_t {  // vms.size() when there is none
    std::size_t i = 0;
    while (i < vms.size() && vms[i]->name() != name) ++i;
    return i;
  };
  auto error = [](std::string text) { return "error " + text + "\n"; };

  if (n == 0) return error("empty command (try 'help')");
  if (w[0] == "help" && n == 1) return std::string(control_help) + "ok\n";
  if (w[0] == "list" && n == 1) {
    std::string out;
    for (const vm_bmc* v : vms) {
      out += v->name();
      out += v->connected() ? " state=connected" : " state=listening";
      out += v->power_on() ? " power=on" : " power=off";
      out += v->timer().running() ? " watchdog=running\n" : " watchdog=stopped\n";
    }
    return out + "ok\n";
  }
  if (w[0] == "status") {
    if (n != 2) return error("usage: status NAME");
    const std::size_t i = find(w[1]);
    if (i == vms.size()) return error("no VM named '" + std::string(w[1]) + "'");
    return vms[i]->status(now) + "\nok\n";
  }
  if (w[0] == "power") {
    if (n != 3) return error("usage: power on|off|cycle|reset|nmi|soft NAME");
    power_action a = power_action::none;
    if (w[1] == "on") a = power_action::power_on;
    else if (w[1] == "cycle") a = power_action::power_cycle;
    else if (w[1] == "off") a = power_action::power_off;
    else if (w[1] == "reset") a = power_action::reset;
    else if (w[1] == "nmi") a = power_action::nmi;
    else if (w[1] == "soft") a = power_action::soft_shutdown;
    else return error("unknown power action '" + std::string(w[1]) + "' (on, off, cycle, reset, nmi, soft)");
    const std::size_t i = find(w[2]);
    if (i == vms.size()) return error("no VM named '" + std::string(w[2]) + "'");
    std::string why;
    const power_outcome o = vms[i]->operator_action(a, why);
    if (acted_on != nullptr) *acted_on = i;
    if (!accepted(o)) return error(why);
    std::string answer = "ok ";
    for (const char c : name(o)) answer += c == '_' ? ' ' : c;  // "ok sent", "ok already queued"
    return answer + "\n";
  }
  if (w[0] == "sel") {
    if (!((w[1] == "list" && (n == 3 || n == 4)) || (w[1] == "clear" && n == 3)))
      return error("usage: sel list NAME [ID] | sel clear NAME");
    const std::size_t i = find(w[2]);
    if (i == vms.size()) return error("no VM named '" + std::string(w[2]) + "'");
    if (w[1] == "clear") {
      std::string why;
      const std::size_t cleared = vms[i]->clear_sel(why);
      return why.empty() ? "ok cleared " + std::to_string(cleared) + "\n" : error(why);
    }
    std::uint32_t from = 0;
    if (n == 4) {
      std::string_view id = w[3];
      const int base = id.starts_with("0x") || id.starts_with("0X") ? 16 : 10;
      if (base == 16) id.remove_prefix(2);
      const auto [end, ec] = std::from_chars(id.data(), id.data() + id.size(), from, base);
      if (id.empty() || ec != std::errc{} || end != id.data() + id.size() || from == 0 || from > 0xFFFE)
        return error("bad record ID '" + std::string(w[3]) + "' (1 to 0xFFFE)");
    }
    std::string out;
    if (!vms[i]->sel_list(static_cast<std::uint16_t>(from), out)) return error("no SEL record " + std::string(w[3]));
    return out + "ok\n";
  }
  if (w[0] == "boot") {
    const bool get = w[1] == "get" && n == 3;
    if (!get && !(w[1] == "set" && (n == 4 || (n == 5 && w[4] == "persistent"))))
      return error("usage: boot get NAME | boot set NAME DEVICE [persistent]");
    const std::size_t i = find(w[2]);
    if (i == vms.size()) return error("no VM named '" + std::string(w[2]) + "'");
    if (get) return vms[i]->boot_status(now) + "ok\n";
    const std::string_view word = w[3];  // a structured binding: clang 14 lambdas cannot capture it
    const auto d = std::find_if(std::begin(boot_device_words), std::end(boot_device_words),
                                [word](const auto& bw) { return bw.first == word; });
    if (d == std::end(boot_device_words)) {
      std::string known;
      for (const auto& bw : boot_device_words) known += (known.empty() ? "" : ", ") + std::string(bw.first);
      return error("unknown boot device '" + std::string(word) + "' (" + known + ")");
    }
    const std::string why = vms[i]->set_boot_device(d->second, n == 5, now);
    return why.empty() ? std::string("ok\n") : error(why);
  }
  return error("unknown command '" + std::string(w[0]) + "' (try 'help')");
}

}  // namespace ipmikit_bmc
