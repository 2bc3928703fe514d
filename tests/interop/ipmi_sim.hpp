// tests/interop/ipmi_sim.hpp — OpenIPMI's ipmi_sim as a real BMC peer for the tests.
//
// `start_ipmi_sim(dir, vm_port, lan_port)` writes lan.conf and bmc.emu into `dir` (the minimal
// working configuration of reference/openipmi.md §10: the VM serial channel on
// 127.0.0.1:vm_port, IPMI LAN on 127.0.0.1:lan_port, users, a watchdog sensor and a
// temperature sensor), starts `ipmi_sim -c lan.conf -f bmc.emu -s STATE -p -n` and waits until
// both ports are bound.
//
// Readiness is read from /proc/net/tcp and /proc/net/udp, without connecting: ipmi_sim serves
// one VM connection at a time and closes a second one at once, so a probe connection would
// occupy the VM channel (and make ipmi_sim send its greeting to the probe). The test's own
// connection is then the first and only one.
//
// `ipmitool_lan(dir, lan_port, args)` runs
// `ipmitool -I lanplus -H 127.0.0.1 -p PORT -U ipmiusr -P test -C 3 args…` with a time limit.
#pragma once

#include <atomic>
#include <cstdio>
#include <string>
#include <vector>

#include <arpa/inet.h>
#include <sys/stat.h>

#include "common.hpp"
#include "process.hpp"

namespace ipmikit::interop {

inline constexpr std::string_view ipmi_sim_user = "ipmiusr";
inline constexpr std::string_view ipmi_sim_password = "test";

/// lan.conf: VM channel on 127.0.0.1:vm_port, LAN channel 1 on 127.0.0.1:lan_port.
[[nodiscard]] inline std::string ipmi_sim_lan_conf(std::uint16_t vm_port, std::uint16_t lan_port) {
  std::string s;
  s += "# lan.conf written by ipmikit's interop harness (tests/interop/ipmi_sim.hpp).\n";
  s += "name \"ipmikitsim\"\n\n";
  s += "set_working_mc 0x20\n\n";
  s += "  startlan 1\n";
  s += "    addr 127.0.0.1 " + std::to_string(lan_port) + "\n";
  s += "    priv_limit admin\n";
  for (const char* level : {"callback", "user", "operator", "admin"})
    s += std::string("    allowed_auths_") + level + " none md2 md5 straight\n";
  s += "    guid a123456789abcdefa123456789abcdef\n";
  s += "  endlan\n\n";
  s += "  serial kcs 127.0.0.1 " + std::to_string(vm_port) + " codec VM\n\n";
  s += "  #    num enabled name      passwd priv  max-sess auths\n";
  s += "  user 1 true    \"\"        \"test\" user   10       none md2 md5 straight\n";
  s += "  user 2 true    \"ipmiusr\" \"test\" admin  10       none md2 md5 straight\n";
  return s;
}

/// bmc.emu: MC 0x20 with a watchdog sensor (0) and a temperature sensor (1).
[[nodiscard]] inline std::string ipmi_sim_emu() {
  return "# bmc.emu written by ipmikit's interop harness (tests/interop/ipmi_sim.hpp).\n"
         "mc_setbmc 0x20\n"
         "# mc_add addr dev-id has-device-sdrs dev-rev fw-maj fw-min dev-support mfg-id product-id\n"
         "mc_add 0x20 0 no-device-sdrs 0x23 9 8 0x9f 0x1291 0xf02\n"
         "sel_enable 0x20 1000 0x0a\n"
         "# Watchdog sensor (must be sensor 0 on LUN 0)\n"
         "sensor_add 0x20 0 0 35 0x6f event-only\n"
         "sensor_set_event_support 0x20 0 0 enable scanning per-state \\\n"
         "\t000000000001111 000000000000000 \\\n"
         "\t000000000001111 000000000000000\n"
         "# Temperature sensor 1, value 0x60, upper thresholds 0x70/0x90/0xa0\n"
         "sensor_add 0x20 0 1 0x01 0x01\n"
         "sensor_set_value 0x20 0 1 0x60 0\n"
         "sensor_set_threshold 0x20 0 1 settable 111000 0xa0 0x90 0x70 00 00 00\n"
         "sensor_set_event_support 0x20 0 1 enable scanning per-state \\\n"
         "\t000111111000000 000111111000000 \\\n"
         "\t000111111000000 000111111000000\n"
         "mc_enable 0x20\n";
}

/// TCP socket states in /proc/net/tcp ("st" column) and the one unconnected UDP sockets show.
inline constexpr unsigned proc_net_tcp_listen = 0x0A;
inline constexpr unsigned proc_net_udp_unconnected = 0x07;

/// True when `table` (/proc/net/tcp or /proc/net/udp) lists a socket bound to 127.0.0.1:port
/// or 0.0.0.0:port in state `state`. IPv4 only.
[[nodiscard]] inline result<bool> proc_net_has_socket(const std::string& table, std::uint16_t port,
                                                      unsigned state) {
  auto text = read_file(table, 8u << 20);
  if (!text) return fail(text.error());
  in_addr lo{};
  if (::inet_pton(AF_INET, "127.0.0.1", &lo) != 1) return fail("inet_pton");
  std::size_t pos = text->find('\n');  // skip the header line
  while (pos != std::string::npos && pos + 1 < text->size()) {
    const std::size_t next = text->find('\n', pos + 1);
    const std::string line = text->substr(pos + 1, next == std::string::npos ? std::string::npos
                                                                                : next - pos - 1);
    pos = next;
    unsigned addr = 0, lport = 0, raddr = 0, rport = 0, st = 0;
    if (std::sscanf(line.c_str(), " %*u: %8X:%4X %8X:%4X %2X", &addr, &lport, &raddr, &rport,
                    &st) != 5)
      continue;
    if (lport == port && st == state && (addr == lo.s_addr || addr == 0)) return true;
  }
  return false;
}

struct ipmi_sim_instance {
  process proc;
  std::uint16_t vm_port = 0;
  std::uint16_t lan_port = 0;
  std::string config_path;
  std::string emu_path;
  std::string state_dir;
  std::string log_path;
};

/// Starts ipmi_sim and waits (at most `timeout`) until its VM TCP port listens and its LAN UDP
/// port is bound. Fails early, with its log, if ipmi_sim exits.
[[nodiscard]] inline result<ipmi_sim_instance> start_ipmi_sim(const temp_dir& dir,
                                                              std::uint16_t vm_port,
                                                              std::uint16_t lan_port,
                                                              millis timeout = millis(15000)) {
  ipmi_sim_instance sim;
  sim.vm_port = vm_port;
  sim.lan_port = lan_port;
  sim.config_path = dir.file("lan.conf");
  sim.emu_path = dir.file("bmc.emu");
  sim.state_dir = dir.file("ipmi_sim_state");
  sim.log_path = dir.file("ipmi_sim.log");
  if (auto w = write_file(sim.config_path, ipmi_sim_lan_conf(vm_port, lan_port)); !w)
    return fail(w.error());
  if (auto w = write_file(sim.emu_path, ipmi_sim_emu()); !w) return fail(w.error());
  if (::mkdir(sim.state_dir.c_str(), 0755) != 0 && errno != EEXIST)
    return fail_errno("mkdir " + sim.state_dir);

  auto p = process::spawn({"ipmi_sim", "-c", sim.config_path, "-f", sim.emu_path, "-s",
                           sim.state_dir, "-p", "-n"},
                          {sim.log_path, true});
  if (!p) return fail(p.error());
  sim.proc = std::move(*p);

  const deadline d(timeout);
  for (int i = 0;; ++i) {
    if (!sim.proc.alive()) {
      const auto& how = sim.proc.ended();
      return fail("ipmi_sim " + (how ? how->describe() : std::string("ended")) +
                  " during startup; log: " + file_tail(sim.log_path, 2048));
    }
    auto tcp = proc_net_has_socket("/proc/net/tcp", vm_port, proc_net_tcp_listen);
    if (!tcp) return fail(tcp.error());
    auto udp = proc_net_has_socket("/proc/net/udp", lan_port, proc_net_udp_unconnected);
    if (!udp) return fail(udp.error());
    if (*tcp && *udp) return sim;
    if (d.expired()) {
      std::string missing;
      if (!*tcp) missing = "TCP 127.0.0.1:" + std::to_string(vm_port);
      if (!*udp) missing += (missing.empty() ? "" : " and ") + ("UDP 127.0.0.1:" + std::to_string(lan_port));
      return fail("ipmi_sim did not bind " + missing + " within " +
                  std::to_string(timeout.count()) + " ms; log: " + file_tail(sim.log_path, 2048));
    }
    sleep_ms(i < 50 ? 10 : 50);
  }
}

/// The command line of ipmitool over IPMI LAN (RMCP+, cipher suite 3) against ipmi_sim.
[[nodiscard]] inline std::vector<std::string> ipmitool_lan_argv(std::uint16_t lan_port,
                                                                const std::vector<std::string>& args) {
  std::vector<std::string> argv = {"ipmitool", "-I", "lanplus", "-H", "127.0.0.1",
                                   "-p", std::to_string(lan_port), "-U",
                                   std::string(ipmi_sim_user), "-P",
                                   std::string(ipmi_sim_password), "-C", "3"};
  argv.insert(argv.end(), args.begin(), args.end());
  return argv;
}

/// Runs ipmitool over IPMI LAN against ipmi_sim and waits for it.
[[nodiscard]] inline result<command_output> ipmitool_lan(const temp_dir& dir, std::uint16_t lan_port,
                                                         const std::vector<std::string>& args,
                                                         millis timeout = millis(30000)) {
  static std::atomic<int> counter{0};
  const std::vector<std::string> argv = ipmitool_lan_argv(lan_port, args);
  const std::string log = dir.file("ipmitool-" + std::to_string(++counter) + ".log");
  return run_command(argv, log, timeout);
}

}  // namespace ipmikit::interop
