// apps/ipmikit-bmc/config.hpp — ipmikit-bmc's configuration file: what it says and its reader.
//
// An INI-like text (docs/ipmikit-bmc.md, "Configuration"): '#' starts a comment, `[bmc]` holds
// process-wide settings, each `[vm NAME]` section describes one VM, `key = value` lines fill
// them. Every error names the line it was found on; the reader never throws and never stops
// at the first unknown thing silently — an unknown key is an error, because a misspelt
// `watchdog_action` that is ignored is a VM that is not protected.
#pragma once

#include <algorithm>
#include <array>
#include <charconv>
#include <iterator>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>
#include <vector>

#include <ipmikit/bmc/fru.hpp>
#include <ipmikit/bmc/users.hpp>

namespace ipmikit_bmc {

// ---------------------------------------------------------------------------------------------
// Types

/// Where a VM's BMC listens: TCP (QEMU `-chardev socket,host=H,port=P`) or a UNIX socket path
/// (QEMU `-chardev socket,path=P`).
struct listen_address {
  enum class kind : std::uint8_t { tcp, unix_socket };
  kind type = kind::tcp;
  std::string host;        // tcp: numeric address or name; "[v6]" brackets removed
  std::uint16_t port = 0;  // tcp
  std::string path;        // unix_socket

  [[nodiscard]] std::string text() const {
    if (type == kind::unix_socket) return "unix:" + path;
    return (host.find(':') != std::string::npos ? "[" + host + "]" : host) + ":" + std::to_string(port);
  }
  friend bool operator==(const listen_address&, const listen_address&) = default;
};

/// What Get Device ID reports (IPMI v2.0 §20.1).
struct identity {
  std::uint8_t device_id = 0x20;
  std::uint8_t device_revision = 1;   // 0–15
  std::uint8_t firmware_major = 0;    // 0–127
  std::uint8_t firmware_minor = 1;    // 0–99, sent as BCD
  std::uint32_t manufacturer = 0;     // IANA enterprise number, 20 bits; 0 = unspecified
  std::uint16_t product = 0x0001;
};

/// The watchdog's timeout action (IPMI v2.0 §27.6 byte 2 bits 2:0).
enum class timeout_action : std::uint8_t { none = 0, hard_reset = 1, power_down = 2, power_cycle = 3 };
/// The watchdog's pre-timeout interrupt (IPMI v2.0 §27.6 byte 2 bits 6:4).
enum class pretimeout_interrupt : std::uint8_t { none = 0, smi = 1, nmi = 2, messaging = 3 };

/// Watchdog settings in force before the guest's first Set Watchdog Timer. With `timeout` set the
/// timer counts as initialised (timer use SMS/OS), so a guest that only pets it works; with
/// `start_on_connect` it runs from the moment the VM connects — an HA policy for guests known to
/// pet the watchdog.
struct watchdog_defaults {
  std::optional<std::uint16_t> timeout;  // 100 ms units
  timeout_action action = timeout_action::hard_reset;
  pretimeout_interrupt pretimeout = pretimeout_interrupt::none;
  std::uint8_t pretimeout_seconds = 0;
  bool start_on_connect = false;
};

/// The FRU text keys (FRU Information Storage Definition v1.0; `ipmitool fru print`), each with
/// the field of the component's configuration it sets.
using ipmikit::bmc::fru_config;
struct fru_text_key {
  std::string_view key;
  std::string_view fru_config::*field;
};
inline constexpr fru_text_key fru_text_keys[] = {
    // The chassis info area (FRU spec §10):
    {"fru_chassis_part", &fru_config::chassis_part},           {"fru_chassis_serial", &fru_config::chassis_serial},
    // The board info area (§11):
    {"fru_board_manufacturer", &fru_config::board_manufacturer}, {"fru_board_product", &fru_config::board_product},
    {"fru_board_serial", &fru_config::board_serial},             {"fru_board_part", &fru_config::board_part},
    // The product info area (§12):
    {"fru_product_manufacturer", &fru_config::product_manufacturer}, {"fru_product_name", &fru_config::product_name},
    {"fru_product_part", &fru_config::product_part},       {"fru_product_version", &fru_config::product_version},
    {"fru_product_serial", &fru_config::product_serial},   {"fru_product_asset_tag", &fru_config::product_asset_tag},
};

/// The FRU inventory's fields as configured: text, empty = not written. An area (chassis,
/// board, product) is present when one of its fields is set.
struct fru_fields {
  std::uint8_t chassis_type = 0x17;  // SMBIOS enclosure type: 17h rack mount chassis
  std::array<std::string, std::size(fru_text_keys)> text;  // in fru_text_keys' order

  /// The text of `key` ("fru_product_name"), or null for a key that is not a FRU text key.
  [[nodiscard]] std::string* find(std::string_view key) {
    for (std::size_t i = 0; i < text.size(); ++i)
      if (fru_text_keys[i].key == key) return &text[i];
    return nullptr;
  }
  /// The component's configuration (it points into this object).
  [[nodiscard]] ipmikit::bmc::fru_config fields() const {
    ipmikit::bmc::fru_config c;
    c.chassis_type = chassis_type;
    for (std::size_t i = 0; i < text.size(); ++i) c.*(fru_text_keys[i].field) = text[i];
    return c;
  }
};

/// A user the configuration provisions (`userN = NAME PRIVILEGE [enabled|disabled]` and
/// `userN_password = TEXT`): the first values of that user slot (docs/ipmikit-bmc.md, "Users").
/// The password is a secret: nothing prints it, no error repeats it.
struct user_entry {
  std::uint8_t id = 0;  // 2..bmc::default_max_users: user 1 is the null user, its name fixed empty
  std::string name;
  std::string password;
  ipmikit::cmd::privilege limit = ipmikit::cmd::privilege::administrator;
  bool enabled = true;
  bool has_password = false;
  int line = 0;           // of `userN`, for later messages
  int password_line = 0;  // of `userN_password`

  [[nodiscard]] ipmikit::bmc::user_settings settings() const { return {name, password, limit, enabled}; }
};

/// The privilege limit words of `userN` (IPMI v2.0 §6.8; ipmitool's names), in privilege order.
inline constexpr std::pair<std::string_view, ipmikit::cmd::privilege> privilege_words[] = {
    {"callback", ipmikit::cmd::privilege::callback},   {"user", ipmikit::cmd::privilege::user},
    {"operator", ipmikit::cmd::privilege::operator_},  {"administrator", ipmikit::cmd::privilege::administrator},
    {"oem", ipmikit::cmd::privilege::oem},             {"no_access", ipmikit::cmd::privilege::no_access},
};

/// The most SEL records a VM may keep (sel_capacity's upper bound and default): 16 bytes each,
/// reserved per VM, 16 KiB.
constexpr std::size_t max_sel_capacity = 1024;

/// command_gap's default and bound, ms: how long the VM session holds output back after a VM
/// command (vm/session.hpp, "command_gap"; docs/ipmikit-bmc.md, footnote ¹).
constexpr std::uint32_t default_command_gap_ms = 10;
constexpr std::uint32_t max_command_gap_ms = 1000;

/// sol_history's default and bound (bytes per VM with a serial console).
constexpr std::size_t default_sol_history = 8192;
constexpr std::size_t max_sol_history = 65536;

struct vm_config {
  std::string name;
  listen_address listen;
  identity id;
  watchdog_defaults watchdog;
  int line = 0;  // where its section starts, for later messages
  fru_fields fru;
  /// Get System GUID's and Get Device GUID's answers, in wire order; none: all zeros ("no GUID").
  std::optional<ipmikit::cmd::guid> system_guid;
  std::optional<ipmikit::cmd::guid> device_guid;
  /// The users the configuration provisions, in the order of their `userN` keys.
  std::vector<user_entry> users;
  std::size_t sel_capacity = max_sel_capacity;
  /// The simulated inlet temperature sensor's reading, °C (Get Sensor Reading, `sensor list`).
  std::uint8_t temperature = 25;
  /// The "Power State" sensor (System ACPI Power State), following the VM's power.
  bool power_sensor = true;
  /// The VM's own IPMI-over-LAN address (`lan = HOST:PORT`): RMCP+ logins there are this VM's
  /// users by their plain names. None: the VM is reachable over LAN only on the shared port.
  std::optional<listen_address> lan;
  /// The VM's serial console for Serial over LAN (`serial = unix:PATH` or `HOST:PORT`): QEMU's
  /// socket chardev, which QEMU listens on and ipmikit-bmc connects to (serial.hpp). None: SOL
  /// is disabled for this VM (Activate Payload answers 81h).
  std::optional<listen_address> serial;
  /// How many of the console's last bytes are kept and shown first on `sol activate`.
  std::size_t sol_history = default_sol_history;
  /// How long the session holds output back after a VM command, ms (`command_gap`): a defence
  /// for QEMU builds that drop what follows a command in one delivery. 0 for QEMU's smbus-ipmi
  /// (SSIF), whose guest reads the response within a few ms and gets a stale one when it is late.
  std::uint32_t command_gap_ms = default_command_gap_ms;
  /// The UDP port its LAN sessions (and so SOL) use: its own `lan`, else the shared one; 0
  /// without LAN. Filled by parse_config (SOL parameter 8).
  std::uint16_t lan_port = 0;
  /// Where the VM's SEL, boot options and FRU writes are kept (state_dir); empty: nowhere, they
  /// last as long as the process. Filled by parse_config from [bmc] state_dir when not set here.
  std::string state_dir;
  /// QEMU's QMP socket (`qmp = unix:PATH`, QEMU `-qmp unix:PATH,server=on,wait=off` with
  /// `-no-shutdown`): power on, off and cycle for real, and the power state QEMU reports
  /// (docs/ipmikit-bmc.md, "Power"). Empty: the VM protocol alone, power follows its connection.
  std::string qmp_path;
  int qmp_line = 0;  // of `qmp`, for later messages
};

struct config {
  std::string control_path;  // the control socket; empty: none
  /// A control client that neither sends nor reads anything for this long is closed, so idle
  /// clients cannot hold every slot (docs/ipmikit-bmc.md, "The control socket").
  std::uint32_t control_idle_timeout_s = 60;
  /// The directory under which each VM keeps its state, in a subdirectory named after it.
  std::string state_dir;
  /// The shared IPMI-over-LAN address (`lan = HOST:PORT` in [bmc]): the RMCP+ user name
  /// "USER@VM" logs in as user USER of VM VM, a bare "VM" as that VM's first user that may
  /// log in (docs/ipmikit-bmc.md, "IPMI over LAN"). None: no shared port.
  std::optional<listen_address> lan;
  std::uint32_t lan_session_timeout_s = 60;  // lan.md §12: 60 s, as phosphor and pyghmi
  std::uint32_t lan_auth_failures = 5;       // failed logins per source address in a burst
  std::uint32_t lan_auth_refill_s = 10;      // then one more every this many seconds
  std::vector<vm_config> vms;
};

/// A configuration error: the file's line (1-based; 0 for the whole file) and what is wrong.
struct config_error {
  int line = 0;
  std::string message;
};

struct config_result {
  config cfg;
  std::optional<config_error> error;
  [[nodiscard]] bool ok() const { return !error.has_value(); }
};

// ---------------------------------------------------------------------------------------------
// Functions

/// Parses "HOST:PORT", "[V6]:PORT" or "unix:PATH". Returns an error message, or nothing.
inline std::optional<std::string> parse_listen(std::string_view text, listen_address& out) {
  if (text.starts_with("unix:")) {
    const std::string_view path = text.substr(5);
    if (path.empty()) return "unix: needs a socket path";
    if (path.size() > 107) return "UNIX socket path longer than 107 bytes (sun_path)";
    out = {listen_address::kind::unix_socket, {}, 0, std::string(path)};
    return std::nullopt;
  }
  const std::size_t colon = text.rfind(':');
  if (colon == std::string_view::npos || colon == 0 || colon + 1 == text.size())
    return "expected HOST:PORT or unix:PATH, got '" + std::string(text) + "'";
  std::string_view host = text.substr(0, colon);
  const std::string_view port = text.substr(colon + 1);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
  unsigned value = 0;
  const auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), value);
  if (ec != std::errc{} || end != port.data() + port.size() || value > 65535)
    return "bad port '" + std::string(port) + "' (0 to 65535)";
  out = {listen_address::kind::tcp, std::string(host), static_cast<std::uint16_t>(value), {}};
  return std::nullopt;
}

namespace detail {

inline std::string_view trim(std::string_view s) {
  const auto first = s.find_first_not_of(" \t\r");
  if (first == std::string_view::npos) return {};
  const auto last = s.find_last_not_of(" \t\r");
  return s.substr(first, last - first + 1);
}

/// An unsigned number, decimal or 0x-hex, at most `max`.
inline std::optional<std::uint32_t> parse_uint(std::string_view s, std::uint32_t max) {
  int base = 10;
  if (s.size() > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
    s.remove_prefix(2);
    base = 16;
  }
  std::uint32_t v = 0;
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v, base);
  if (s.empty() || ec != std::errc{} || end != s.data() + s.size() || v > max) return std::nullopt;
  return v;
}

/// Seconds with at most one decimal ("10", "2.5") as 100 ms units, at most `max_tenths`.
inline std::optional<std::uint32_t> parse_tenths(std::string_view s, std::uint32_t max_tenths) {
  const auto dot = s.find('.');
  const auto whole = parse_uint(s.substr(0, dot), max_tenths / 10);
  if (!whole || s.substr(0, dot).starts_with("0x")) return std::nullopt;
  std::uint32_t tenths = *whole * 10;
  if (dot != std::string_view::npos) {
    const std::string_view frac = s.substr(dot + 1);
    if (frac.size() != 1 || frac[0] < '0' || frac[0] > '9') return std::nullopt;
    tenths += static_cast<std::uint32_t>(frac[0] - '0');
  }
  if (tenths > max_tenths) return std::nullopt;
  return tenths;
}

inline std::optional<bool> parse_bool(std::string_view s) {
  if (s == "yes" || s == "true" || s == "on" || s == "1") return true;
  if (s == "no" || s == "false" || s == "off" || s == "0") return false;
  return std::nullopt;
}

inline bool valid_vm_name(std::string_view s) {
  if (s.empty() || s.size() > 64) return false;
  for (const char c : s)
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
          c == '_' || c == '-'))
      return false;
  return true;
}

/// `userN` or `userN_password`: the slot N and which of the two; none for another key.
struct user_slot {
  std::uint32_t id = 0;
  bool password = false;
};
inline std::optional<user_slot> user_key(std::string_view key) {
  if (!key.starts_with("user")) return std::nullopt;
  key.remove_prefix(4);
  user_slot s;
  if (key.ends_with("_password")) {
    s.password = true;
    key.remove_suffix(9);
  }
  if (key.empty() || key.size() > 2 || key.front() == '0') return std::nullopt;
  const auto id = parse_uint(key, 99);
  if (!id) return std::nullopt;
  s.id = *id;
  return s;
}

/// `NAME PRIVILEGE [enabled|disabled]` into `u`; an error message, or nothing.
inline std::optional<std::string> parse_user(std::string_view value, user_entry& u) {
  std::array<std::string_view, 4> w{};
  std::size_t n = 0;
  while (!value.empty() && n < w.size()) {
    const auto end = value.find_first_of(" \t");
    w[n++] = value.substr(0, end);
    value = end == std::string_view::npos ? std::string_view{} : trim(value.substr(end));
  }
  if (n < 2 || n > 3 || !value.empty()) return "expected NAME PRIVILEGE [enabled|disabled]";
  if (w[0].size() > 16) return "a user name is at most 16 bytes, got '" + std::string(w[0]) + "'";
  u.name = std::string(w[0]);
  const auto p = std::find_if(std::begin(privilege_words), std::end(privilege_words),
                              [&](const auto& pw) { return pw.first == w[1]; });
  if (p == std::end(privilege_words))
    return "unknown privilege '" + std::string(w[1]) + "' (callback, user, operator, administrator, oem, no_access)";
  u.limit = p->second;
  if (n == 3 && w[2] != "enabled" && w[2] != "disabled") return "expected enabled or disabled, got '" + std::string(w[2]) + "'";
  u.enabled = n < 3 || w[2] == "enabled";
  return std::nullopt;
}

}  // namespace detail

/// Reads a whole configuration text. Stops at the first error, which names its line.
inline config_result parse_config(std::string_view text) {
  config_result r;
  enum class section : std::uint8_t { none, bmc, vm } where = section::none;
  int line_no = 0;
  auto fail = [&](std::string message) {
    r.error = config_error{line_no, std::move(message)};
    return r;
  };
  while (!text.empty()) {
    ++line_no;
    const auto nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    text = nl == std::string_view::npos ? std::string_view{} : text.substr(nl + 1);
    if (const auto hash = line.find('#'); hash != std::string_view::npos) line = line.substr(0, hash);
    line = detail::trim(line);
    if (line.empty()) continue;

    if (line.front() == '[') {
      if (line.back() != ']') return fail("a section header must end with ']'");
      const std::string_view inside = detail::trim(line.substr(1, line.size() - 2));
      if (inside == "bmc") {
        where = section::bmc;
        continue;
      }
      if (!inside.starts_with("vm ") && !inside.starts_with("vm\t"))
        return fail("unknown section '[" + std::string(inside) + "]' (expected [bmc] or [vm NAME])");
      const std::string_view name = detail::trim(inside.substr(3));
      if (!detail::valid_vm_name(name))
        return fail("bad VM name '" + std::string(name) + "' (1 to 64 of A-Z a-z 0-9 . _ -)");
      for (const vm_config& v : r.cfg.vms)
        if (v.name == name) return fail("VM '" + std::string(name) + "' is defined twice (first on line " +
                                        std::to_string(v.line) + ")");
      vm_config v;
      v.name = std::string(name);
      v.line = line_no;
      r.cfg.vms.push_back(std::move(v));
      where = section::vm;
      continue;
    }

    const auto eq = line.find('=');
    if (eq == std::string_view::npos) return fail("expected 'key = value' or a [section]");
    const std::string_view key = detail::trim(line.substr(0, eq));
    const std::string_view value = detail::trim(line.substr(eq + 1));
    if (key.empty()) return fail("a key is missing before '='");
    if (value.empty()) return fail("'" + std::string(key) + "' has no value");
    const std::string k(key);

    if (where == section::none) return fail("'" + k + "' outside a section (put it under [bmc] or [vm NAME])");
    if (where == section::bmc) {
      if (key == "control") {
        if (value.size() > 107) return fail("control: UNIX socket path longer than 107 bytes");
        r.cfg.control_path = std::string(value);
        continue;
      }
      if (key == "control_idle_timeout") {
        const auto v = detail::parse_uint(value, 86400);
        if (!v || *v == 0)
          return fail(k + ": expected seconds, 1 to 86400, got '" + std::string(value) + "'");
        r.cfg.control_idle_timeout_s = *v;
        continue;
      }
      if (key == "state_dir") {
        if (value.front() != '/') return fail(k + ": expected an absolute path, got '" + std::string(value) + "'");
        r.cfg.state_dir = std::string(value);
        continue;
      }
      if (key == "lan") {
        listen_address a;
        if (auto e = parse_listen(value, a)) return fail("lan: " + *e);
        if (a.type != listen_address::kind::tcp || a.port == 0) return fail("lan: expected HOST:PORT (UDP, port 1-65535)");
        r.cfg.lan = a;
        continue;
      }
      if (key == "lan_session_timeout" || key == "lan_auth_refill") {
        const auto v = detail::parse_uint(value, 3600);
        if (!v || *v == 0) return fail(k + ": expected seconds, 1 to 3600, got '" + std::string(value) + "'");
        (key == "lan_session_timeout" ? r.cfg.lan_session_timeout_s : r.cfg.lan_auth_refill_s) = *v;
        continue;
      }
      if (key == "lan_auth_failures") {
        const auto v = detail::parse_uint(value, 100);
        if (!v || *v == 0) return fail(k + ": expected a count, 1 to 100, got '" + std::string(value) + "'");
        r.cfg.lan_auth_failures = *v;
        continue;
      }
      return fail("unknown key '" + k + "' in [bmc] (known: control, control_idle_timeout, state_dir, lan, "
                  "lan_session_timeout, lan_auth_failures, lan_auth_refill)");
    }

    vm_config& vm = r.cfg.vms.back();
    auto number = [&](std::uint32_t max) { return detail::parse_uint(value, max); };
    auto bad = [&](const char* what) { return fail(k + ": expected " + what + ", got '" + std::string(value) + "'"); };
    if (key == "lan") {
      listen_address a;
      if (auto e = parse_listen(value, a)) return fail("lan: " + *e);
      if (a.type != listen_address::kind::tcp || a.port == 0) return fail("lan: expected HOST:PORT (UDP, port 1-65535)");
      vm.lan = a;
    } else if (key == "serial") {
      listen_address a;
      if (auto e = parse_listen(value, a)) return fail("serial: " + *e);
      if (a.type == listen_address::kind::tcp && a.port == 0) return fail("serial: expected unix:PATH or HOST:PORT (port 1-65535)");
      vm.serial = a;
    } else if (key == "sol_history") {
      const auto v = number(static_cast<std::uint32_t>(max_sol_history));
      if (!v) return bad("bytes, 0 to 65536");
      vm.sol_history = *v;
    } else if (key == "command_gap") {
      const auto v = number(max_command_gap_ms);
      if (!v) return bad("milliseconds, 0 to 1000");
      vm.command_gap_ms = *v;
    } else if (key == "qmp") {
      if (!value.starts_with("unix:")) return bad("unix:PATH (QEMU's -qmp unix:PATH,server=on,wait=off)");
      listen_address a;
      if (auto e = parse_listen(value, a)) return fail("qmp: " + *e);
      for (const vm_config& other : r.cfg.vms)
        if (&other != &vm && other.qmp_path == a.path)
          return fail("qmp: unix:" + a.path + " is already VM '" + other.name + "''s QMP socket");
      vm.qmp_path = a.path;
      vm.qmp_line = line_no;
    } else if (key == "listen") {
      if (auto e = parse_listen(value, vm.listen)) return fail("listen: " + *e);
      for (const vm_config& other : r.cfg.vms)
        if (&other != &vm && other.listen == vm.listen && (other.listen.port != 0 || other.listen.type != listen_address::kind::tcp))
          return fail("listen: " + vm.listen.text() + " is already VM '" + other.name + "''s address");
    } else if (key == "device_id") {
      const auto v = number(0xFF);
      if (!v) return bad("0 to 255");
      vm.id.device_id = static_cast<std::uint8_t>(*v);
    } else if (key == "device_revision") {
      const auto v = number(15);
      if (!v) return bad("0 to 15");
      vm.id.device_revision = static_cast<std::uint8_t>(*v);
    } else if (key == "firmware") {
      const auto dot = value.find('.');
      const auto major = detail::parse_uint(value.substr(0, dot), 127);
      const auto minor = dot == std::string_view::npos ? std::optional<std::uint32_t>(0)
                                                       : detail::parse_uint(value.substr(dot + 1), 99);
      if (!major || !minor) return bad("MAJOR.MINOR, major 0-127, minor 0-99");
      vm.id.firmware_major = static_cast<std::uint8_t>(*major);
      vm.id.firmware_minor = static_cast<std::uint8_t>(*minor);
    } else if (key == "manufacturer") {
      const auto v = number(0xFFFFF);  // IPMI v2.0 §20.1: 20-bit IANA enterprise number
      if (!v) return bad("an IANA enterprise number, 0 to 0xFFFFF");
      vm.id.manufacturer = *v;
    } else if (key == "product") {
      const auto v = number(0xFFFF);
      if (!v) return bad("0 to 0xFFFF");
      vm.id.product = static_cast<std::uint16_t>(*v);
    } else if (key == "watchdog_timeout") {
      const auto v = detail::parse_tenths(value, 0xFFFF);  // §27.6: 16-bit count of 100 ms
      if (!v || *v == 0) return bad("seconds, 0.1 to 6553.5");
      vm.watchdog.timeout = static_cast<std::uint16_t>(*v);
    } else if (key == "watchdog_action") {
      if (value == "none") vm.watchdog.action = timeout_action::none;
      else if (value == "reset") vm.watchdog.action = timeout_action::hard_reset;
      else if (value == "power_off") vm.watchdog.action = timeout_action::power_down;
      else if (value == "power_cycle") vm.watchdog.action = timeout_action::power_cycle;
      else return bad("none, reset, power_off or power_cycle");
    } else if (key == "watchdog_pretimeout") {
      const auto v = number(255);
      if (!v) return bad("seconds, 0 to 255");
      vm.watchdog.pretimeout_seconds = static_cast<std::uint8_t>(*v);
    } else if (key == "watchdog_pretimeout_interrupt") {
      if (value == "none") vm.watchdog.pretimeout = pretimeout_interrupt::none;
      else if (value == "nmi") vm.watchdog.pretimeout = pretimeout_interrupt::nmi;
      else if (value == "messaging") vm.watchdog.pretimeout = pretimeout_interrupt::messaging;
      else return bad("none, nmi or messaging");
    } else if (key == "watchdog_start") {
      const auto v = detail::parse_bool(value);
      if (!v) return bad("yes or no");
      vm.watchdog.start_on_connect = *v;
    } else if (key == "system_guid") {
      const auto g = ipmikit::bmc::guid_from_text(value);
      if (!g) return fail(k + ": expected a UUID as QEMU's -uuid takes it (8-4-4-4-12 hex digits), got '" +
                          std::string(value) + "' (" + std::string(ipmikit::bmc::name(g.error)) + ")");
      vm.system_guid = g.value;
    } else if (key == "device_guid") {
      const auto g = ipmikit::bmc::guid_from_text(value);
      if (!g) return fail(k + ": expected a UUID (8-4-4-4-12 hex digits), got '" + std::string(value) + "' (" +
                          std::string(ipmikit::bmc::name(g.error)) + ")");
      vm.device_guid = g.value;
    } else if (const auto slot = detail::user_key(key)) {
      if (slot->id < 2 || slot->id > ipmikit::bmc::default_max_users)
        return fail(k + ": users 2 to " + std::to_string(ipmikit::bmc::default_max_users) +
                    " can be configured (user 1 is the null user)");
      auto u = std::find_if(vm.users.begin(), vm.users.end(), [&](const user_entry& e) { return e.id == slot->id; });
      if (u == vm.users.end()) {
        u = vm.users.insert(vm.users.end(), user_entry{});
        u->id = static_cast<std::uint8_t>(slot->id);
      }
      if (slot->password) {  // the value is a secret: no message repeats it
        if (u->has_password) return fail(k + " is set twice (first on line " + std::to_string(u->password_line) + ")");
        if (value.size() > ipmikit::bmc::password_size) return fail(k + ": longer than 20 bytes");
        u->password = std::string(value);
        u->has_password = true;
        u->password_line = line_no;
      } else {
        if (u->line != 0) return fail(k + " is set twice (first on line " + std::to_string(u->line) + ")");
        if (const auto e = detail::parse_user(value, *u)) return fail(k + ": " + *e);
        u->line = line_no;
      }
    } else if (key == "state_dir") {
      if (value.front() != '/') return bad("an absolute path");
      vm.state_dir = std::string(value);
    } else if (key == "sel_capacity") {
      const auto v = number(max_sel_capacity);
      if (!v || *v == 0) return bad("records, 1 to 1024");
      vm.sel_capacity = *v;
    } else if (key == "temperature") {
      const auto v = number(127);
      if (!v) return bad("degrees C, 0 to 127");
      vm.temperature = static_cast<std::uint8_t>(*v);
    } else if (key == "power_sensor") {
      const auto v = detail::parse_bool(value);
      if (!v) return bad("yes or no");
      vm.power_sensor = *v;
    } else if (key == "fru_chassis_type") {
      const auto v = number(0xFF);
      if (!v) return bad("an SMBIOS enclosure type, 0 to 255");
      vm.fru.chassis_type = static_cast<std::uint8_t>(*v);
    } else if (std::string* field = vm.fru.find(key)) {
      *field = std::string(value);
      // Checked here, so that the error names its line: the image these fields make so far.
      ipmikit::bmc::fru_inventory check;
      if (const auto e = check.build(vm.fru.fields()); !e)
        return fail(k + ": '" + std::string(value) + "' cannot be a FRU field (" +
                    std::string(ipmikit::cmd::name(e.error)) + ": at most 63 bytes of text; one character only if "
                    "it is a space, a digit, an upper-case letter or punctuation)");
    } else {
      return fail("unknown key '" + k +
                  "' in [vm " + vm.name + "] (known: listen, lan, serial, sol_history, command_gap, device_id, device_revision, firmware, manufacturer, product, "
                  "watchdog_timeout, watchdog_action, watchdog_pretimeout, watchdog_pretimeout_interrupt, "
                  "watchdog_start, system_guid, device_guid, userN, userN_password, sel_capacity, temperature, power_sensor, state_dir, qmp, fru_chassis_type, fru_chassis_part, fru_chassis_serial, "
                  "fru_board_manufacturer, fru_board_product, fru_board_serial, fru_board_part, "
                  "fru_product_manufacturer, fru_product_name, fru_product_part, fru_product_version, "
                  "fru_product_serial, fru_product_asset_tag)");
    }
  }

  line_no = 0;
  for (vm_config& vm : r.cfg.vms) {
    if (vm.state_dir.empty() && !r.cfg.state_dir.empty()) vm.state_dir = r.cfg.state_dir + "/" + vm.name;
    if (vm.lan) vm.lan_port = vm.lan->port;
    else if (r.cfg.lan) vm.lan_port = r.cfg.lan->port;
  }
  for (std::size_t i = 0; i < r.cfg.vms.size(); ++i)
    for (std::size_t j = 0; j < i; ++j)
      if (!r.cfg.vms[i].state_dir.empty() && r.cfg.vms[i].state_dir == r.cfg.vms[j].state_dir) {
        line_no = r.cfg.vms[i].line;
        return fail("VM '" + r.cfg.vms[i].name + "': state_dir " + r.cfg.vms[i].state_dir + " is already VM '" +
                    r.cfg.vms[j].name + "''s");
      }
  for (const vm_config& vm : r.cfg.vms) {
    if (vm.listen.type == listen_address::kind::tcp && vm.listen.host.empty()) {
      line_no = vm.line;
      return fail("VM '" + vm.name + "' has no 'listen' address");
    }
    if (vm.watchdog.start_on_connect && !vm.watchdog.timeout) {
      line_no = vm.line;
      return fail("VM '" + vm.name + "': watchdog_start needs watchdog_timeout");
    }
    // The users as the BMC core will take them: each refusal (a name too long or used twice…)
    // names its line.
    ipmikit::bmc::users check;
    for (const user_entry& u : vm.users) {
      line_no = u.line != 0 ? u.line : u.password_line;
      const std::string key = "user" + std::to_string(u.id);
      if (u.line == 0) return fail(key + "_password without " + key + " = NAME PRIVILEGE");
      if (u.enabled && !u.has_password) return fail(key + " is enabled without " + key + "_password");
      if (const auto e = check.set_user(u.id, u.settings()); e != ipmikit::bmc::user_error::ok)
        return fail(key + ": refused (" + std::string(ipmikit::bmc::name(e)) + ")");
    }
  }
  if (r.cfg.vms.empty()) return fail("no [vm NAME] section: nothing to serve");
  // A QMP socket is QEMU's, never one of ours: not a VM's listen path, nor the control socket.
  for (const vm_config& vm : r.cfg.vms) {
    if (vm.qmp_path.empty()) continue;
    line_no = vm.qmp_line;
    if (vm.qmp_path == r.cfg.control_path) return fail("qmp: unix:" + vm.qmp_path + " is the control socket");
    for (const vm_config& other : r.cfg.vms)
      if (other.listen.type == listen_address::kind::unix_socket && other.listen.path == vm.qmp_path)
        return fail("qmp: unix:" + vm.qmp_path + " is VM '" + other.name + "''s listen address (QMP is a second socket)");
  }
  // Every LAN address once: each VM's own, and the shared one.
  for (std::size_t i = 0; i < r.cfg.vms.size(); ++i) {
    const vm_config& vm = r.cfg.vms[i];
    if (!vm.lan) continue;
    line_no = vm.line;
    if (r.cfg.lan && *r.cfg.lan == *vm.lan) return fail("VM '" + vm.name + "': lan " + vm.lan->text() + " is the shared [bmc] lan address");
    for (std::size_t j = 0; j < i; ++j)
      if (r.cfg.vms[j].lan && *r.cfg.vms[j].lan == *vm.lan)
        return fail("VM '" + vm.name + "': lan " + vm.lan->text() + " is already VM '" + r.cfg.vms[j].name + "''s");
  }
  return r;
}

}  // namespace ipmikit_bmc
