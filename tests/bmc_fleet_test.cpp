// tests/bmc_fleet_test.cpp — ipmikit-bmc's socket-free parts (apps/ipmikit-bmc/*.hpp):
// the configuration reader (every error class names its line), one VM's BMC driven by a real
// vm::emulator_session in memory (what QEMU's ipmi-bmc-extern does), the control protocol.
// The sockets, the epoll loop and the process are tested against QEMU and a real Linux guest
// in tests/interop/ (bmc_example_test, linux_guest_test, fleet_load_test).
#include <doctest/doctest.h>

#include <ipmikit-bmc/bmc.hpp>
#include "bmc_rig.hpp"
#include "reference_codec.hpp"
#include <ipmikit-bmc/config.hpp>
#include <ipmikit-bmc/control.hpp>

#include <algorithm>
#include <array>
#include <cstdlib>
#include <iterator>
#include <memory>
#include <string>
#include <type_traits>
#include <vector>

namespace {

using namespace ipmikit_bmc;
using bytes = std::vector<std::uint8_t>;
using ipmikit_bmc::testing::emu_events;
using namespace std::chrono_literals;

std::vector<std::string> g_lines;
void capture(std::string_view line) { g_lines.emplace_back(line); }

std::size_t logged(std::string_view needle) {
  std::size_t n = 0;
  for (const auto& l : g_lines) if (l.find(needle) != std::string::npos) ++n;
  return n;
}

config parse_ok(std::string_view text) {
  auto r = parse_config(text);
  INFO((r.error ? r.error->message : std::string()));
  REQUIRE(r.ok());
  return r.cfg;
}

config_error parse_error(std::string_view text) {
  auto r = parse_config(text);
  REQUIRE_FALSE(r.ok());
  return *r.error;
}

struct rig : ipmikit_bmc::testing::rig {
  explicit rig(vm_config c = default_vm(), ipmikit::vm::capabilities caps = ipmikit::vm::qemu_capabilities)
      : ipmikit_bmc::testing::rig((g_lines.clear(), std::move(c)), caps, &capture) {}
  void pump() { REQUIRE(ipmikit_bmc::testing::rig::pump()); }

  /// Sends netfn/cmd/data and returns the response body (netfn|lun, cmd, cc, data…).
  bytes request(std::uint8_t netfn, std::uint8_t cmd, bytes data = {}) {
    bytes body{static_cast<std::uint8_t>(netfn << 2), cmd};
    body.insert(body.end(), data.begin(), data.end());
    responses.clear();
    REQUIRE(emu.send_request(next_id++, body, now, handler()) == ipmikit::vm::session_error::ok);
    pump();
    REQUIRE(responses.size() == 1);
    return responses.front();
  }
  std::uint8_t cc(const bytes& r) { return r.at(2); }
};

constexpr std::uint8_t app_netfn = 0x06;
constexpr std::uint8_t chassis_netfn = 0x00;

}  // namespace

TEST_SUITE("ipmikit-bmc config") {
  TEST_CASE("a full configuration is read: sections, comments, identity, watchdog defaults") {
    const config c = parse_ok(
        "# fleet\n"
        "[bmc]\n"
        "control = /run/ipmikit-bmc.sock   # operator\n"
        "\n"
        "[vm web1]\n"
        "listen = 127.0.0.1:9002\n"
        "device_id = 0x21\n"
        "device_revision = 3\n"
        "firmware = 2.15\n"
        "manufacturer = 0x00A0A2\n"
        "product = 513\n"
        "watchdog_timeout = 2.5\n"
        "watchdog_action = power_off\n"
        "watchdog_pretimeout = 1\n"
        "watchdog_pretimeout_interrupt = nmi\n"
        "watchdog_start = yes\n"
        "[vm db-2.x]\n"
        "listen = unix:/run/vm/db.sock\n"
        "[vm v6]\n"
        "listen = [::1]:9003\n");
    CHECK(c.control_path == "/run/ipmikit-bmc.sock");
    REQUIRE(c.vms.size() == 3);
    const vm_config& w = c.vms[0];
    CHECK(w.name == "web1");
    CHECK(w.listen.text() == "127.0.0.1:9002");
    CHECK(w.id.device_id == 0x21);
    CHECK(w.id.device_revision == 3);
    CHECK(w.id.firmware_major == 2);
    CHECK(w.id.firmware_minor == 15);
    CHECK(w.id.manufacturer == 0xA0A2);
    CHECK(w.id.product == 513);
    CHECK(w.watchdog.timeout == std::optional<std::uint16_t>(25));
    CHECK(w.watchdog.action == timeout_action::power_down);
    CHECK(w.watchdog.pretimeout == pretimeout_interrupt::nmi);
    CHECK(w.watchdog.pretimeout_seconds == 1);
    CHECK(w.watchdog.start_on_connect);
    CHECK(c.vms[1].listen.type == listen_address::kind::unix_socket);
    CHECK(c.vms[1].listen.path == "/run/vm/db.sock");
    CHECK(c.vms[2].listen.host == "::1");
    CHECK(c.vms[2].listen.text() == "[::1]:9003");
  }

  TEST_CASE("config error: unknown key, with its line") {
    const auto e = parse_error("[vm a]\nlisten = unix:/a\nwatchdog_acton = reset\n");
    CHECK(e.line == 3);
    CHECK(e.message.find("unknown key 'watchdog_acton'") != std::string::npos);
  }
  TEST_CASE("config error: unknown section and malformed header") {
    CHECK(parse_error("[vm a]\nlisten = unix:/a\n[vms b]\n").line == 3);
    CHECK(parse_error("[vm a\n").message.find("must end with ']'") != std::string::npos);
  }
  TEST_CASE("config error: key outside a section, line without '='") {
    CHECK(parse_error("listen = unix:/a\n").message.find("outside a section") != std::string::npos);
    CHECK(parse_error("[vm a]\nlisten unix:/a\n").line == 2);
  }
  TEST_CASE("config error: duplicate VM names and duplicate addresses") {
    const auto e = parse_error("[vm a]\nlisten = unix:/a\n[vm a]\nlisten = unix:/b\n");
    CHECK(e.line == 3);
    CHECK(e.message.find("defined twice (first on line 1)") != std::string::npos);
    const auto d = parse_error("[vm a]\nlisten = 127.0.0.1:9002\n[vm b]\nlisten = 127.0.0.1:9002\n");
    CHECK(d.line == 4);
    CHECK(d.message.find("already VM 'a'") != std::string::npos);
  }
  TEST_CASE("config error: bad values are named with what was expected") {
    CHECK(parse_error("[vm a]\nlisten = 127.0.0.1:70000\n").message.find("bad port '70000'") != std::string::npos);
    CHECK(parse_error("[vm a]\nlisten = nonsense\n").message.find("HOST:PORT or unix:PATH") != std::string::npos);
    CHECK(parse_error("[vm a]\nlisten = unix:\n").line == 2);
    CHECK(parse_error("[vm a]\nlisten = unix:/a\ndevice_id = 256\n").line == 3);
    CHECK(parse_error("[vm a]\nlisten = unix:/a\ndevice_revision = 16\n").line == 3);
    CHECK(parse_error("[vm a]\nlisten = unix:/a\nfirmware = 1.100\n").line == 3);
    CHECK(parse_error("[vm a]\nlisten = unix:/a\nmanufacturer = 0x100000\n").line == 3);
    CHECK(parse_error("[vm a]\nlisten = unix:/a\nwatchdog_timeout = 0\n").line == 3);
    CHECK(parse_error("[vm a]\nlisten = unix:/a\nwatchdog_timeout = 6553.6\n").line == 3);
    CHECK(parse_error("[vm a]\nlisten = unix:/a\nwatchdog_timeout = 1.25\n").line == 3);
    CHECK(parse_error("[vm a]\nlisten = unix:/a\nwatchdog_action = explode\n").message.find("none, reset, power_off") !=
          std::string::npos);
    CHECK(parse_error("[vm a]\nlisten = unix:/a\nwatchdog_start = maybe\n").line == 3);
    CHECK(parse_error("[vm a]\nlisten = unix:/a\nproduct =\n").message.find("has no value") != std::string::npos);
    CHECK(parse_error("[vm bad/name]\n").message.find("bad VM name") != std::string::npos);
    CHECK(parse_error("[vm a]\nlisten = unix:/a\nsystem_guid = 12345678-9abc-def0-1234-56789abcdef\n").message.find(
              "wrong_length") != std::string::npos);
    CHECK(parse_error("[vm a]\nlisten = unix:/a\nsystem_guid = 12345678-9abc-def0-1234-56789abcdefg\n").line == 3);
    CHECK(parse_error("[vm a]\nlisten = unix:/a\nsel_capacity = 0\n").message.find("1 to 1024") != std::string::npos);
    CHECK(parse_error("[vm a]\nlisten = unix:/a\nsel_capacity = 1025\n").line == 3);
    CHECK(parse_error("[vm a]\nlisten = unix:/a\nfru_product_name = " + std::string(64, 'x') + "\n").line == 3);
    CHECK(parse_error("[vm a]\nlisten = unix:/a\nfru_board_serial = x\n").message.find("cannot be a FRU field") !=
          std::string::npos);
  }
  TEST_CASE("the identity, FRU, System GUID and SEL keys") {
    const config c = parse_ok(
        "[vm a]\nlisten = unix:/a\n"
        "system_guid = 12345678-9ABC-def0-1234-56789abcdef0\n"
        "sel_capacity = 64\n"
        "fru_chassis_type = 0x01\n"
        "fru_board_manufacturer = ACME\n"
        "fru_product_name = web tier\n"
        "fru_product_serial = X\n");
    const vm_config& v = c.vms[0];
    REQUIRE(v.system_guid);
    CHECK((*v.system_guid)[0] == 0xF0);  // wire order: least significant byte first
    CHECK((*v.system_guid)[15] == 0x12);
    CHECK(v.sel_capacity == 64);
    const auto f = v.fru.fields();
    CHECK(f.chassis_type == 0x01);
    CHECK(f.board_manufacturer == "ACME");
    CHECK(f.product_name == "web tier");
    CHECK(f.product_serial == "X");  // one character: 6-bit packed
    CHECK(parse_ok("[vm a]\nlisten = unix:/a\n").vms[0].sel_capacity == max_sel_capacity);
    CHECK(parse_ok("[vm a]\nlisten = unix:/a\n").vms[0].state_dir.empty());
    CHECK(parse_ok("[vm a]\nlisten = unix:/a\n").vms[0].temperature == 25);
    CHECK(parse_ok("[vm a]\nlisten = unix:/a\ntemperature = 71\n").vms[0].temperature == 71);
    CHECK(parse_error("[vm a]\nlisten = unix:/a\ntemperature = 128\n").message.find("0 to 127") != std::string::npos);
  }
  TEST_CASE("command_gap = MILLISECONDS: 0 to 1000, default 10; anything else refused with its line") {
    CHECK(parse_ok("[vm a]\nlisten = unix:/a\n").vms[0].command_gap_ms == 10);
    CHECK(parse_ok("[vm a]\nlisten = unix:/a\ncommand_gap = 0\n").vms[0].command_gap_ms == 0);
    CHECK(parse_ok("[vm a]\nlisten = unix:/a\ncommand_gap = 1000\n").vms[0].command_gap_ms == 1000);
    SUBCASE("out of range") {
      const auto e = parse_error("[vm a]\nlisten = unix:/a\ncommand_gap = 1001\n");
      CHECK(e.line == 3);
      CHECK(e.message.find("command_gap: expected milliseconds, 0 to 1000, got '1001'") != std::string::npos);
    }
    SUBCASE("not a number") {
      CHECK(parse_error("[vm a]\nlisten = unix:/a\n\ncommand_gap = 10ms\n").line == 4);
      CHECK(parse_error("[vm a]\nlisten = unix:/a\ncommand_gap = -1\n").line == 3);
      CHECK(parse_error("[vm a]\nlisten = unix:/a\ncommand_gap = 2.5\n").message.find("0 to 1000") != std::string::npos);
    }
    SUBCASE("not in [bmc]") {
      CHECK(parse_error("[bmc]\ncommand_gap = 0\n[vm a]\nlisten = unix:/a\n").line == 2);
    }
  }
  TEST_CASE("users: userN = NAME PRIVILEGE [enabled|disabled] and userN_password; errors name the line, never the password") {
    const config c = parse_ok(
        "[vm a]\nlisten = unix:/a\n"
        "user2 = admin administrator\n"
        "user2_password = s3cret-pass\n"
        "user3 = watcher user disabled\n"
        "device_guid = 00112233-4455-6677-8899-aabbccddeeff\n");
    const vm_config& v = c.vms[0];
    REQUIRE(v.users.size() == 2);
    CHECK(v.users[0].id == 2);
    CHECK(v.users[0].name == "admin");
    CHECK(v.users[0].password == "s3cret-pass");
    CHECK(v.users[0].limit == ipmikit::cmd::privilege::administrator);
    CHECK(v.users[0].enabled);
    CHECK(v.users[1].name == "watcher");
    CHECK(v.users[1].limit == ipmikit::cmd::privilege::user);
    CHECK_FALSE(v.users[1].enabled);  // a disabled user needs no password
    REQUIRE(v.device_guid);
    CHECK((*v.device_guid)[0] == 0xFF);  // wire order, as system_guid
    CHECK(parse_ok("[vm a]\nlisten = unix:/a\n").vms[0].users.empty());

    const std::string secret = "hunter2-secret";
    const auto check_error = [&](const std::string& body, int line, std::string_view says) {
      const auto e = parse_error("[vm a]\nlisten = unix:/a\n" + body);
      CHECK(e.line == line);
      CHECK(e.message.find(says) != std::string::npos);
      CHECK(e.message.find(secret) == std::string::npos);
    };
    check_error("user1 = root administrator\n", 3, "users 2 to 10");
    check_error("user11 = x administrator\n", 3, "users 2 to 10");
    check_error("user2 = admin\n", 3, "NAME PRIVILEGE");
    check_error("user2 = admin king\n", 3, "unknown privilege 'king'");
    check_error("user2 = admin user maybe\n", 3, "enabled or disabled");
    check_error("user2 = " + std::string(17, 'n') + " user\n", 3, "at most 16 bytes");
    check_error("user2 = admin user\nuser2 = other user\n", 4, "set twice");
    check_error("user2 = admin user\n", 3, "without user2_password");
    check_error("user2_password = " + secret + "\n", 3, "without user2 = NAME");
    check_error("user2 = admin user\nuser2_password = " + secret + std::string(10, 'x') + "\n", 4, "longer than 20 bytes");
    check_error("user2 = admin user\nuser2_password = " + secret + "\nuser2_password = " + secret + "\n", 5, "set twice");
    check_error("user2 = admin user\nuser2_password = " + secret + "\nuser3 = admin user\nuser3_password = " + secret + "\n",
                5, "duplicate_name");
    check_error("device_guid = 0011\n", 3, "wrong_length");
  }
  TEST_CASE("configured users and the Device GUID answer the guest; users.state wins once it exists") {
    char tmpl[] = "/tmp/ipmikit-bmc-cfgusers-XXXXXX";
    REQUIRE(::mkdtemp(tmpl) != nullptr);
    config c = parse_ok(std::string("[vm vm1]\nlisten = unix:/a\nuser2 = admin operator\nuser2_password = s3cret-pass\n"
                                    "device_guid = 00112233-4455-6677-8899-aabbccddeeff\nstate_dir = ") + tmpl + "/vm1\n");
    const auto password = [](std::string_view text) {
      bytes b(18, 0x00);  // user 2, test password (16-byte form); sized first: no vector::insert (GCC PR 56456)
      b[0] = 0x02;
      b[1] = 0x03;
      std::copy(text.begin(), text.end(), b.begin() + 2);
      return b;
    };
    {
      rig r(c.vms[0]);
      REQUIRE_FALSE(r.bmc->load_state());
      const bytes name = r.request(app_netfn, 0x46, {0x02});  // Get User Name
      REQUIRE(name.size() == 3 + 16);
      CHECK(std::string(name.begin() + 3, name.begin() + 8) == "admin");
      CHECK(r.cc(r.request(app_netfn, 0x47, password("s3cret-pass"))) == 0x00);
      CHECK(r.cc(r.request(app_netfn, 0x47, password("wrong"))) == 0x80);
      const bytes access = r.request(app_netfn, 0x44, {0x01, 0x02});  // Get User Access, LAN channel, user 2
      REQUIRE(access.size() == 3 + 4);
      CHECK((access[6] & 0x0F) == 0x03);  // operator
      CHECK(r.request(app_netfn, 0x08) == bytes{0x1C, 0x08, 0x00, 0xFF, 0xEE, 0xDD, 0xCC, 0xBB, 0xAA, 0x99, 0x88,
                                                0x77, 0x66, 0x55, 0x44, 0x33, 0x22, 0x11, 0x00});
      CHECK(logged("s3cret") == 0);
      bytes set{0x02, 0x02};  // the guest changes user 2's password
      for (char ch : std::string("guest-set")) set.push_back(static_cast<std::uint8_t>(ch));
      set.resize(18, 0x00);
      CHECK(r.cc(r.request(app_netfn, 0x47, set)) == 0x00);
    }
    rig r(c.vms[0]);
    REQUIRE_FALSE(r.bmc->load_state());
    CHECK(logged("event=users_from_state") == 1);
    CHECK(r.cc(r.request(app_netfn, 0x47, password("guest-set"))) == 0x00);  // not undone by the restart
    CHECK(logged("s3cret") == 0);
    (void)std::system(("rm -rf '" + std::string(tmpl) + "'").c_str());
  }
  TEST_CASE("state_dir: [bmc]'s, a directory per VM; a VM's own; never shared, always absolute") {
    const config c = parse_ok("[bmc]\nstate_dir = /var/lib/b\n[vm a]\nlisten = unix:/a\n[vm b]\nlisten = unix:/b\n"
                              "state_dir = /srv/b\n");
    CHECK(c.vms[0].state_dir == "/var/lib/b/a");
    CHECK(c.vms[1].state_dir == "/srv/b");
    CHECK(parse_error("[bmc]\nstate_dir = var/lib\n").message.find("absolute path") != std::string::npos);
    CHECK(parse_error("[vm a]\nlisten = unix:/a\nstate_dir = x\n").line == 3);
    const auto e = parse_error("[bmc]\nstate_dir = /s\n[vm a]\nlisten = unix:/a\n[vm b]\nlisten = unix:/b\nstate_dir = /s/a\n");
    CHECK(e.line == 5);
    CHECK(e.message.find("is already VM 'a''s") != std::string::npos);
  }
  TEST_CASE("config error: a VM without listen, watchdog_start without a timeout, no VM at all") {
    const auto e = parse_error("[vm a]\nlisten = unix:/a\n\n[vm b]\ndevice_id = 1\n");
    CHECK(e.line == 4);
    CHECK(e.message.find("'b' has no 'listen'") != std::string::npos);
    CHECK(parse_error("[vm a]\nlisten = unix:/a\nwatchdog_start = yes\n").message.find("needs watchdog_timeout") !=
          std::string::npos);
    CHECK(parse_error("# nothing\n[bmc]\n").message.find("no [vm NAME] section") != std::string::npos);
  }
}

TEST_SUITE("ipmikit-bmc") {
  TEST_CASE("Get Device ID reports the configured identity") {
    vm_config v = rig::default_vm();
    v.id = {0x21, 3, 2, 15, 0xA0A2, 0x0201};
    rig r(v);
    const bytes resp = r.request(app_netfn, 0x01);
    // Additional device support 8Ch: chassis, SEL and FRU inventory device (80h before the SEL
    // and the FRU were answered).
    CHECK(resp == bytes{0x1C, 0x01, 0x00, 0x21, 0x03, 0x02, 0x15, 0x02, 0x8F, 0xA2, 0xA0, 0x00, 0x01, 0x02});
  }

  TEST_CASE("unsupported commands get C1, other LUNs C2, wrong lengths C7 — never silence") {
    rig r;
    CHECK(r.cc(r.request(0x2E, 0x01)) == 0xC1);  // OEM/group netfn: nothing registered there
    CHECK(r.cc(r.request(app_netfn, 0x99)) == 0xC1);
    CHECK(r.cc(r.request(app_netfn, 0x01, {0x00})) == 0xC7);
    bytes body{static_cast<std::uint8_t>(app_netfn << 2 | 0x02), 0x01};
    r.responses.clear();
    REQUIRE(r.emu.send_request(0x40, body, r.now, r.handler()) == ipmikit::vm::session_error::ok);
    r.pump();
    REQUIRE(r.responses.size() == 1);
    CHECK(r.responses[0][0] == (0x07 << 2 | 0x02));
    CHECK(r.responses[0][2] == 0xC2);
    CHECK(r.bmc->stats().unsupported == 2);
  }

  TEST_CASE("Get Chassis Status: power tracks the VM connection; Chassis Control acts after answering") {
    rig r;
    CHECK(r.request(chassis_netfn, 0x01) == bytes{0x04, 0x01, 0x00, 0x61, 0x00, 0x00});
    CHECK(r.cc(r.request(chassis_netfn, 0x02, {0x03})) == 0x00);
    REQUIRE(r.commands.size() == 1);
    CHECK(r.commands[0] == ipmikit::vm::command::reset);
    CHECK(logged("event=power action=reset reason=chassis_control result=sent") == 1);
    CHECK(r.cc(r.request(chassis_netfn, 0x02, {0x06})) == 0xCC);
    CHECK(r.cc(r.request(chassis_netfn, 0x02, {0x00})) == 0x00);
    CHECK(r.commands.back() == ipmikit::vm::command::power_off);
    CHECK_FALSE(r.bmc->power_on());
    r.bmc->disconnected(r.now, "test");
    CHECK_FALSE(r.bmc->power_on());
    r.bmc->connected(r.now, "again");
    CHECK(r.bmc->power_on());
  }

  TEST_CASE("a VM without the capability gets D5 for the action") {
    rig r(rig::default_vm(), ipmikit::vm::capabilities::from_byte(0x00));
    CHECK(r.cc(r.request(chassis_netfn, 0x02, {0x03})) == 0xD5);
    CHECK(r.cc(r.request(app_netfn, 0x24, {0x04, 0x01, 0x00, 0x00, 0x0A, 0x00})) == 0xD5);
    CHECK(r.commands.empty());
  }

  TEST_CASE("the watchdog: Reset before Set is 80h; Set/Get round trip; countdown; expiry resets the VM") {
    rig r;
    CHECK(r.cc(r.request(app_netfn, 0x22)) == 0x80);
    // SMS/OS, hard reset, no pre-timeout, clear SMS/OS expiration flag, 2.0 s.
    CHECK(r.cc(r.request(app_netfn, 0x24, {0x04, 0x01, 0x00, 0x10, 0x14, 0x00})) == 0x00);
    CHECK(r.request(app_netfn, 0x25) == bytes{0x1C, 0x25, 0x00, 0x04, 0x01, 0x00, 0x00, 0x14, 0x00, 0x14, 0x00});
    CHECK(r.cc(r.request(app_netfn, 0x22)) == 0x00);
    r.advance(500ms);
    const bytes mid = r.request(app_netfn, 0x25);
    REQUIRE(mid.size() == 11);
    CHECK(mid[3] == 0x44);  // running
    CHECK(mid[9] == 15);    // 1.5 s left: the present countdown, not the initial one
    r.advance(1600ms);
    REQUIRE_FALSE(r.commands.empty());
    CHECK(r.commands.back() == ipmikit::vm::command::reset);
    CHECK(logged("event=watchdog_expired action=reset use=sms_os") == 1);
    CHECK(logged("event=power action=reset reason=watchdog result=sent") == 1);
    const bytes after = r.request(app_netfn, 0x25);
    CHECK(after[3] == 0x04);                // stopped
    CHECK(after[6] == 0x10);                // SMS/OS expiration flag
    CHECK((after[9] | after[10]) == 0x00);  // present countdown 0
    CHECK(r.bmc->stats().watchdog_expiries == 1);
  }

  TEST_CASE("the watchdog: 'don't stop' keeps a running timer running; invalid fields get CC") {
    rig r;
    CHECK(r.cc(r.request(app_netfn, 0x24, {0x00, 0x01, 0x00, 0x00, 0x0A, 0x00})) == 0xCC);  // use 0
    CHECK(r.cc(r.request(app_netfn, 0x24, {0x04, 0x11, 0x00, 0x00, 0x0A, 0x00})) == 0xCC);  // SMI
    CHECK(r.cc(r.request(app_netfn, 0x24, {0x04, 0x04, 0x00, 0x00, 0x0A, 0x00})) == 0xCC);  // action 4
    CHECK(r.cc(r.request(app_netfn, 0x24, {0x04, 0x00, 0x00, 0x00, 0x0A})) == 0xC7);
    CHECK(r.cc(r.request(app_netfn, 0x24, {0x04, 0x00, 0x00, 0x00, 0x64, 0x00})) == 0x00);
    CHECK(r.cc(r.request(app_netfn, 0x22)) == 0x00);
    CHECK(r.cc(r.request(app_netfn, 0x24, {0x44, 0x00, 0x00, 0x00, 0x32, 0x00})) == 0x00);
    CHECK(r.bmc->timer().running());
    CHECK(r.cc(r.request(app_netfn, 0x24, {0x04, 0x00, 0x00, 0x00, 0x32, 0x00})) == 0x00);
    CHECK_FALSE(r.bmc->timer().running());
  }

  TEST_CASE("command_gap: the response after a VM command waits command_gap (default 10 ms); 0 sends it at once") {
    // Set BMC Global Enables turning the receive message interrupt on: ENABLE_IRQ, then the
    // response. Nothing but the BMC's own output moves; the clock stands still unless told.
    auto run = [](vm_config v) {
      rig r(std::move(v));
      r.now += 1s;  // past the gap after connect's VERSION (a command too)
      const bytes body{static_cast<std::uint8_t>(app_netfn << 2), 0x2E, 0x0F};
      REQUIRE(r.emu.send_request(r.next_id++, body, r.now, r.handler()) == ipmikit::vm::session_error::ok);
      const auto req = r.emu.outbound(r.now);
      const bytes copy(req.begin(), req.end());
      r.emu.consume(copy.size(), r.now);
      r.responses.clear();
      r.bmc->receive(copy, r.now);
      for (int i = 0; i < 4; ++i) {  // drain what is due now, several writes if need be
        const auto out = r.bmc->session().outbound(r.now);
        if (out.empty()) break;
        const bytes chunk(out.begin(), out.end());
        r.bmc->consumed(chunk.size(), r.now);
        r.emu.receive(chunk, r.now, r.handler());
      }
      REQUIRE(r.commands.size() >= 1);
      CHECK(r.commands.back() == ipmikit::vm::command::enable_irq);
      return std::pair{r.responses.size(), r.bmc->session().next_deadline().value_or(r.now) - r.now};
    };
    SUBCASE("default: held back 10 ms") {
      const auto [responses, wait] = run(rig::default_vm());
      CHECK(responses == 0);
      CHECK(wait == 10ms);
    }
    SUBCASE("command_gap = 0: the response follows in the same instant") {
      vm_config v = rig::default_vm();
      v.command_gap_ms = 0;
      const auto [responses, wait] = run(std::move(v));
      CHECK(responses == 1);
    }
    SUBCASE("command_gap = 250") {
      vm_config v = rig::default_vm();
      v.command_gap_ms = 250;
      const auto [responses, wait] = run(std::move(v));
      CHECK(responses == 0);
      CHECK(wait == 250ms);
    }
  }

  TEST_CASE("the watchdog pre-timeout: messaging interrupt sets the flag and attention; the event buffer holds a "
            "Watchdog 2 event; Read Event Message Buffer and Clear Message Flags clear them") {
    rig r;
    CHECK(r.cc(r.request(app_netfn, 0x2E, {0x0F})) == 0x00);  // interrupts + event buffer
    CHECK(r.commands.back() == ipmikit::vm::command::enable_irq);
    CHECK(r.cc(r.request(app_netfn, 0x35)) == 0x80);          // empty buffer
    // SMS/OS, messaging pre-timeout 1 s before, no action, 3.0 s.
    CHECK(r.cc(r.request(app_netfn, 0x24, {0x04, 0x30, 0x01, 0x00, 0x1E, 0x00})) == 0x00);
    CHECK(r.cc(r.request(app_netfn, 0x22)) == 0x00);
    r.advance(2100ms);
    CHECK(logged("event=watchdog_pretimeout interrupt=messaging") == 1);
    CHECK(r.commands.back() == ipmikit::vm::command::attention_irq);
    CHECK(r.request(app_netfn, 0x31) == bytes{0x1C, 0x31, 0x00, 0x0A});  // pre-timeout + event buffer full
    CHECK(r.cc(r.request(app_netfn, 0x22)) == 0xD5);  // §27.5: no restart after the pre-timeout
    const bytes ev = r.request(app_netfn, 0x35);
    REQUIRE(ev.size() == 19);
    CHECK(ev[3 + 2] == 0x02);   // system event record
    CHECK(ev[3 + 7] == 0x20);   // generator: the BMC
    CHECK(ev[3 + 10] == 0x23);  // Watchdog 2
    CHECK(ev[3 + 12] == 0x6F);  // sensor-specific, assertion
    CHECK(ev[3 + 13] == 0xC8);  // timer interrupt
    CHECK(ev[3 + 14] == 0x34);  // messaging interrupt, SMS/OS
    CHECK(r.request(app_netfn, 0x31) == bytes{0x1C, 0x31, 0x00, 0x08});
    CHECK(r.cc(r.request(app_netfn, 0x30, {0x08})) == 0x00);
    CHECK(r.commands.back() == ipmikit::vm::command::no_attention);
    CHECK(r.request(app_netfn, 0x31) == bytes{0x1C, 0x31, 0x00, 0x00});
    CHECK(r.bmc->stats().pretimeouts == 1);
  }

  TEST_CASE("a watchdog reset is in the SEL the next boot reads (sel list), with the restart cause") {
    rig r;
    CHECK(r.cc(r.request(app_netfn, 0x24, {0x04, 0x01, 0x00, 0x00, 0x0A, 0x00})) == 0x00);  // 1 s, hard reset
    CHECK(r.cc(r.request(app_netfn, 0x22)) == 0x00);
    r.advance(1100ms);
    REQUIRE(r.commands.back() == ipmikit::vm::command::reset);
    CHECK(logged("event=watchdog_expired action=reset use=sms_os dont_log=no sel_record=1") == 1);
    // The guest boots and reads the SEL.
    const bytes info = r.request(0x0A, 0x40);
    REQUIRE(info.size() == 3 + 14);
    CHECK(info[4] == 0x01);  // one entry
    const bytes entry = r.request(0x0A, 0x43, {0x00, 0x00, 0x00, 0x00, 0x00, 0xFF});
    REQUIRE(entry.size() == 3 + 2 + 16);
    CHECK(entry[3] == 0xFF);         // next record ID: none
    CHECK(entry[5] == 0x01);         // record ID 1
    CHECK(entry[5 + 2] == 0x02);     // system event
    CHECK(entry[5 + 10] == 0x23);    // Watchdog 2
    CHECK(entry[5 + 11] == watchdog_sensor_number);
    CHECK(entry[5 + 13] == 0xC1);    // hard reset
    CHECK(entry[5 + 14] == 0x04);    // SMS/OS, no pre-timeout interrupt
    CHECK(r.request(chassis_netfn, 0x07) == bytes{0x04, 0x07, 0x00, 0x04, 0x00});  // restart cause: watchdog
  }

  TEST_CASE("responses are as long as the command's: FRU reads past 16 bytes, the System GUID") {
    vm_config v = rig::default_vm();
    *v.fru.find("fru_product_name") = "a product name longer than sixteen bytes";
    v.system_guid = ipmikit::bmc::guid_from_text("12345678-9abc-def0-1234-56789abcdef0").value;
    rig r(v);
    const bytes fru = r.request(0x0A, 0x11, {0x00, 0x00, 0x00, 0x40});
    REQUIRE(fru.size() == 3 + 1 + 64);
    CHECK(fru[3] == 0x40);
    CHECK(fru[4] == 0x01);  // common header format version
    const bytes guid = r.request(app_netfn, 0x37);
    CHECK(guid == bytes{0x1C, 0x37, 0x00, 0xF0, 0xDE, 0xBC, 0x9A, 0x78, 0x56, 0x34, 0x12, 0xF0, 0xDE, 0xBC, 0x9A,
                        0x78, 0x56, 0x34, 0x12});
  }

  TEST_CASE("sensors: the SDR repository holds the locators, the watchdog and the temperature; readings follow") {
    vm_config v = rig::default_vm();
    v.temperature = 42;
    rig r(v);
    // Walk the repository as `sdr list all` does: Get SDR of the whole record from 0000h.
    std::vector<std::uint8_t> types;
    std::uint16_t id = 0x0000;
    for (int n = 0; id != 0xFFFF && n < 10; ++n) {
      const bytes rec = r.request(0x0A, 0x23, {0x00, 0x00, static_cast<std::uint8_t>(id), static_cast<std::uint8_t>(id >> 8), 0x00, 0xFF});
      REQUIRE(r.cc(rec) == 0x00);
      REQUIRE(rec.size() > 3 + 2 + 5);
      types.push_back(rec[5 + 3]);  // record type (IPMI v2.0 §43: header byte 4)
      id = static_cast<std::uint16_t>(rec[3] | rec[4] << 8);
    }
    // MC locator, FRU locator, the watchdog (compact), Inlet Temp (full), Power State (compact).
    CHECK(types == std::vector<std::uint8_t>{0x12, 0x11, 0x02, 0x01, 0x02});
    // Inlet Temp: 42 against 40 / 45 / 50 is at or over upper non-critical only (byte 3 b3; b7:6
    // are reserved, returned as 1 per IPMI v2.0 §35.14); scanning on, no event messages.
    CHECK(r.request(0x04, 0x2D, {temperature_sensor_number}) == bytes{0x14, 0x2D, 0x00, 42, 0x40, 0xC8});
    CHECK(r.request(0x04, 0x27, {temperature_sensor_number}) ==
          bytes{0x14, 0x27, 0x00, 0x38, 0x00, 0x00, 0x00, 40, 45, 50});
    // The watchdog sensor: no state, then the hard reset's offset (01h) after an expiry.
    CHECK(r.request(0x04, 0x2D, {watchdog_sensor_number}) == bytes{0x14, 0x2D, 0x00, 0x00, 0x40, 0x00, 0x80});
    CHECK(r.cc(r.request(app_netfn, 0x24, {0x04, 0x01, 0x00, 0x00, 0x01, 0x00})) == 0x00);  // 0.1 s, hard reset
    CHECK(r.cc(r.request(app_netfn, 0x22)) == 0x00);
    r.advance(200ms);
    CHECK(r.request(0x04, 0x2D, {watchdog_sensor_number}) == bytes{0x14, 0x2D, 0x00, 0x00, 0x40, 0x02, 0x80});
    CHECK(r.cc(r.request(0x04, 0x2D, {0x7E})) == 0xCB);  // no such sensor
  }

  TEST_CASE("sensors: Power State (System ACPI Power State) follows the VM's power; power_sensor = no removes it") {
    rig r;
    // Connected: S0/G0 working (offset 00h); scanning on.
    CHECK(r.request(0x04, 0x2D, {power_sensor_number}) == bytes{0x14, 0x2D, 0x00, 0x00, 0x40, 0x01, 0x80});
    // After POWEROFF went out (Chassis Control power down): G3 mechanical off (offset 07h).
    CHECK(r.cc(r.request(chassis_netfn, 0x02, {0x00})) == 0x00);
    r.advance(50ms);
    CHECK_FALSE(r.bmc->power_on());
    CHECK(r.request(0x04, 0x2D, {power_sensor_number}) == bytes{0x14, 0x2D, 0x00, 0x00, 0x40, 0x80, 0x80});
    CHECK(parse_ok("[vm a]\nlisten = unix:/a\n").vms[0].power_sensor);
    CHECK_FALSE(parse_ok("[vm a]\nlisten = unix:/a\npower_sensor = no\n").vms[0].power_sensor);
    CHECK(parse_error("[vm a]\nlisten = unix:/a\npower_sensor = maybe\n").line == 3);
    vm_config v = rig::default_vm();
    v.power_sensor = false;
    rig without(v);
    CHECK(without.cc(without.request(0x04, 0x2D, {power_sensor_number})) == 0xCB);  // no such sensor
  }

  TEST_CASE("users: a user set by the guest is in users.state before the response, and a new process has it") {
    char tmpl[] = "/tmp/ipmikit-bmc-users-XXXXXX";
    REQUIRE(::mkdtemp(tmpl) != nullptr);
    vm_config v = rig::default_vm();
    v.state_dir = std::string(tmpl) + "/vm1";
    bytes set_name{0x02};
    for (char c : std::string("operator")) set_name.push_back(static_cast<std::uint8_t>(c));
    set_name.resize(17, 0x00);
    {
      rig r(v);
      REQUIRE_FALSE(r.bmc->load_state());
      CHECK(r.cc(r.request(app_netfn, 0x45, set_name)) == 0x00);  // Set User Name, user 2
      std::vector<std::uint8_t> saved;
      CHECK(state_directory(v.state_dir).load("users.state", saved));
    }
    rig r(v);
    REQUIRE_FALSE(r.bmc->load_state());
    const bytes name = r.request(app_netfn, 0x46, {0x02});  // Get User Name
    REQUIRE(name.size() == 3 + 16);
    CHECK(bytes(name.begin() + 3, name.end()) == bytes(set_name.begin() + 1, set_name.end()));
    (void)std::system(("rm -rf '" + std::string(tmpl) + "'").c_str());
  }

  TEST_CASE("sel_capacity: a full SEL refuses the watchdog's record and says so in Get SEL Info") {
    vm_config v = rig::default_vm();
    v.sel_capacity = 1;
    rig r(v);
    for (int i = 0; i < 2; ++i) {
      CHECK(r.cc(r.request(app_netfn, 0x24, {0x04, 0x00, 0x00, 0x00, 0x01, 0x00})) == 0x00);  // 0.1 s, no action
      CHECK(r.cc(r.request(app_netfn, 0x22)) == 0x00);
      r.advance(200ms);
    }
    CHECK(logged("sel_record=1") == 1);
    CHECK(logged("sel_record=0") == 1);
    const bytes info = r.request(0x0A, 0x40);
    CHECK(info[4] == 0x01);
    CHECK((info[3 + 13] & 0x80) != 0);  // overflow
  }

  TEST_CASE("state_dir: the SEL, boot options and FRU writes are on disk before the response; a new process reads them") {
    char tmpl[] = "/tmp/ipmikit-bmc-state-XXXXXX";
    REQUIRE(::mkdtemp(tmpl) != nullptr);
    const std::string dir = tmpl;
    vm_config v = rig::default_vm();
    v.state_dir = dir + "/vm1";
    const bytes sel_entry{0x00, 0x00, 0x02, 0x00, 0x00, 0x00, 0x00, 0x41, 0x00, 0x04, 0x07, 0x09, 0x6F, 0x01, 0xFF, 0xFF};
    {
      rig r(v);
      REQUIRE_FALSE(r.bmc->load_state());
      CHECK(r.request(0x0A, 0x44, sel_entry) == bytes{0x2C, 0x44, 0x00, 0x01, 0x00});
      // The response came after the file: it is there now, whole.
      std::vector<std::uint8_t> saved;
      CHECK(state_directory(v.state_dir).load("sel.state", saved));
      CHECK(saved.size() == 26 + 16);
      // Boot flags: valid, persistent, PXE (ipmitool chassis bootdev pxe options=persistent).
      CHECK(r.cc(r.request(chassis_netfn, 0x08, {0x05, 0xC0, 0x04, 0x00, 0x00, 0x00})) == 0x00);
      CHECK(r.cc(r.request(0x0A, 0x12, {0x00, 0x08, 0x00, 0xAB, 0xCD})) == 0x00);
    }
    rig r(v);
    REQUIRE_FALSE(r.bmc->load_state());
    CHECK(logged("event=state_loaded") == 3);
    const bytes entry = r.request(0x0A, 0x43, {0x00, 0x00, 0x01, 0x00, 0x00, 0xFF});
    REQUIRE(entry.size() == 3 + 2 + 16);
    CHECK(entry[5 + 11] == 0x09);
    CHECK(r.request(chassis_netfn, 0x09, {0x05, 0x00, 0x00}) ==
          bytes{0x04, 0x09, 0x00, 0x01, 0x05, 0xC0, 0x04, 0x00, 0x00, 0x00});
    CHECK(r.request(0x0A, 0x11, {0x00, 0x08, 0x00, 0x02}) == bytes{0x2C, 0x11, 0x00, 0x02, 0xAB, 0xCD});

    // A file that cannot be written: the change is not acknowledged.
    CHECK(std::system(("rm -rf " + v.state_dir).c_str()) == 0);
    CHECK(r.cc(r.request(0x0A, 0x44, sel_entry)) == 0xFF);
    CHECK(logged("event=state_write_failed") == 1);
    CHECK(std::system(("rm -rf " + dir).c_str()) == 0);
  }

  TEST_CASE("state_dir: a corrupt file is named in the log, kept aside, and the VM starts with that part fresh") {
    char tmpl[] = "/tmp/ipmikit-bmc-state-XXXXXX";
    REQUIRE(::mkdtemp(tmpl) != nullptr);
    const std::string dir = tmpl;
    vm_config v = rig::default_vm();
    v.state_dir = dir;
    // A frame whose check holds around bytes the SEL refuses, and a damaged frame.
    const bytes junk{'n', 'o', 't', ' ', 'a', ' ', 'S', 'E', 'L'};
    REQUIRE(state_directory(dir).save("sel.state", junk));
    REQUIRE(std::system(("printf 'garbage' > " + dir + "/chassis.state").c_str()) == 0);
    rig r(v);
    REQUIRE_FALSE(r.bmc->load_state());
    CHECK(logged("event=state_corrupt path=" + dir + "/sel.state error=truncated kept_as=" + dir +
                 "/sel.state.bad-1") == 1);
    CHECK(logged("event=state_corrupt path=" + dir + "/chassis.state error=truncated kept_as=" + dir +
                 "/chassis.state.bad-1") == 1);
    std::vector<std::uint8_t> none;
    CHECK(state_directory(dir).load("sel.state", none).error == store_error::not_found);
    CHECK(r.request(0x0A, 0x40)[4] == 0x00);  // an empty SEL
    CHECK(std::system(("rm -rf " + dir).c_str()) == 0);
    // A state_dir that cannot be a directory: the VM is not started.
    vm_config bad = rig::default_vm();
    bad.state_dir = "/proc/version/vm1";
    rig b(bad);
    CHECK(b.bmc->load_state().has_value());
  }

  TEST_CASE("the watchdog's 'don't log' bit keeps the event out of the buffer") {
    rig r;
    CHECK(r.cc(r.request(app_netfn, 0x2E, {0x04})) == 0x00);
    CHECK(r.cc(r.request(app_netfn, 0x24, {0x84, 0x00, 0x00, 0x00, 0x05, 0x00})) == 0x00);
    CHECK(r.cc(r.request(app_netfn, 0x22)) == 0x00);
    r.advance(600ms);
    CHECK(logged("event=watchdog_expired action=none use=sms_os dont_log=yes") == 1);
    CHECK(r.cc(r.request(app_netfn, 0x35)) == 0x80);
  }

  TEST_CASE("configured watchdog defaults: initialised without Set; watchdog_start arms it on connect") {
    vm_config v = rig::default_vm();
    v.watchdog.timeout = 10;  // 1 s
    v.watchdog.action = timeout_action::power_down;
    v.watchdog.start_on_connect = true;
    rig r(v);
    CHECK(r.bmc->timer().running());
    r.advance(1100ms);
    REQUIRE_FALSE(r.commands.empty());
    CHECK(r.commands.back() == ipmikit::vm::command::power_off);
    CHECK(logged("event=watchdog_expired action=power_off") == 1);
  }

  TEST_CASE("a disconnect stops the watchdog: its action never hits the next VM") {
    rig r;
    CHECK(r.cc(r.request(app_netfn, 0x24, {0x04, 0x01, 0x00, 0x00, 0x0A, 0x00})) == 0x00);
    CHECK(r.cc(r.request(app_netfn, 0x22)) == 0x00);
    r.bmc->disconnected(r.now, "gone");
    CHECK_FALSE(r.bmc->timer().running());
    CHECK_FALSE(r.bmc->next_deadline().has_value());
    CHECK(logged("event=watchdog_stopped reason=disconnected") == 1);
  }

  TEST_CASE("bad input: garbage is counted, logged a few times only, and the VM still gets answers") {
    rig r;
    bytes junk;
    for (int i = 0; i < 200; ++i) junk.insert(junk.end(), {0x00, 0xA0, 0x42, 0xA1, 0xAA, 0xAA});
    junk.push_back(0xA0);  // the frame the garbage left open ends here; the next one is clean
    r.bmc->receive(junk, r.now);
    CHECK(r.bmc->stats().protocol_problems > 5);
    CHECK(logged("event=protocol_problem") == 5);
    CHECK(r.cc(r.request(app_netfn, 0x01)) == 0x00);
  }

  TEST_CASE("bad input: a peer that floods requests without reading gets bounded output; drops are counted") {
    rig r;
    bytes flood;
    for (int id = 0; id < 256; ++id) {
      const std::uint8_t body[] = {app_netfn << 2, 0x01};
      std::array<std::uint8_t, 16> frame{};
      const std::size_t n =
          ipmikit::test::reference_encode_message(frame.data(), frame.size(), static_cast<std::uint8_t>(id), body);
      REQUIRE(n > 0);
      for (std::size_t i = 0; i < n; ++i) flood.push_back(frame[i]);
    }
    r.bmc->receive(flood, r.now);
    CHECK(r.bmc->stats().requests == 256);
    CHECK(r.bmc->stats().dropped_responses > 0);
    CHECK(r.bmc->session().pending().size() <= 2048);
    CHECK(logged("event=response_dropped") == 1);
    // Once the output is drained, the VM is served as before.
    r.bmc->consumed(r.bmc->session().pending().size(), r.now);
    CHECK(r.bmc->stats().requests == 256);
  }
}

TEST_SUITE("ipmikit-bmc control") {
  TEST_CASE("list, status, power, help and errors") {
    rig r;
    vm_config other_cfg = rig::default_vm();
    other_cfg.name = "vm2";
    vm_bmc other(other_cfg);
    vm_bmc* const vms[] = {r.bmc.get(), &other};
    CHECK(control_command("list", vms, r.now) ==
          "vm1 state=connected power=on watchdog=stopped\nvm2 state=listening power=off watchdog=stopped\nok\n");
    const std::string st = control_command("status vm1", vms, r.now);
    CHECK(st.find("connected=yes\n") != std::string::npos);
    CHECK(st.find("capabilities=0x3F\n") != std::string::npos);
    CHECK(st.ends_with("\nok\n"));
    CHECK(control_command("power reset vm1", vms, r.now) == "ok sent\n");
    r.pump();
    CHECK(r.commands.back() == ipmikit::vm::command::reset);
    CHECK(logged("event=power action=reset reason=control result=sent") == 1);
    CHECK(control_command("power nmi vm2", vms, r.now) == "error VM not connected\n");
    CHECK(control_command("power explode vm1", vms, r.now).starts_with("error unknown power action"));
    CHECK(control_command("status nobody", vms, r.now) == "error no VM named 'nobody'\n");
    CHECK(control_command("status", vms, r.now) == "error usage: status NAME\n");
    CHECK(control_command("", vms, r.now).starts_with("error empty command"));
    CHECK(control_command("frobnicate", vms, r.now).starts_with("error unknown command"));
    CHECK(control_command("list a b c d e", vms, r.now).starts_with("error"));
    CHECK(control_command("help", vms, r.now).ends_with("ok\n"));
  }

  TEST_CASE("control: sel list pages of 64 records, sel clear, boot get/set; changes are on disk when answered") {
    char tmpl[] = "/tmp/ipmikit-bmc-ctlstate-XXXXXX";
    REQUIRE(::mkdtemp(tmpl) != nullptr);
    vm_config v = rig::default_vm();
    v.state_dir = std::string(tmpl) + "/vm1";
    {
      rig r(v);
      REQUIRE_FALSE(r.bmc->load_state());
      vm_bmc* const vms[] = {r.bmc.get()};
      CHECK(control_command("sel list vm1", vms, r.now) == "entries=0 capacity=1024 overflow=no\nok\n");
      for (int k = 0; k < 130; ++k) {  // Add SEL Entry: a system event, then an OEM non-timestamped record
        bytes rec{0x00, 0x00, 0x02, 0x00, 0x00, 0x00, 0x00, 0x41, 0x00, 0x04, 0x07, static_cast<std::uint8_t>(k), 0x6F, 0x01, 0x02, 0x03};
        if (k == 1) rec = {0x00, 0x00, 0xE0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13};
        REQUIRE(r.cc(r.request(0x0A, 0x44, rec)) == 0x00);
      }
      const std::string page = control_command("sel list vm1", vms, r.now);
      CHECK(page.starts_with("entries=130 capacity=1024 overflow=no\nid=0x0001 type=0x02 time="));
      CHECK(page.find(" record=010002") != std::string::npos);  // ID 0001h, type 02h, then the time
      CHECK(page.find("id=0x0002 type=0xE0 record=0200E00102030405060708090A0B0C0D\n") != std::string::npos);
      CHECK(std::count(page.begin(), page.end(), '\n') == 1 + 64 + 1 + 1);  // summary, 64 records, more=, ok
      CHECK(page.ends_with("more=0x0041\nok\n"));
      CHECK(page.size() < 8192);  // bounded, however large the SEL
      const std::string last = control_command("sel list vm1 0x0081", vms, r.now);
      CHECK(last.find("id=0x0081") != std::string::npos);
      CHECK(last.find("id=0x0082") != std::string::npos);
      CHECK(last.find("more=") == std::string::npos);
      CHECK(control_command("sel list vm1 65", vms, r.now).find("id=0x0041") != std::string::npos);
      CHECK(control_command("sel list vm1 0x0999", vms, r.now) == "error no SEL record 0x0999\n");
      CHECK(control_command("sel list vm1 zz", vms, r.now).starts_with("error bad record ID 'zz'"));
      CHECK(control_command("sel list nobody", vms, r.now) == "error no VM named 'nobody'\n");
      CHECK(control_command("sel wipe vm1", vms, r.now).starts_with("error usage: sel"));
      CHECK(control_command("sel clear vm1", vms, r.now) == "ok cleared 130\n");
      CHECK(logged("event=sel_cleared entries=130 reason=control") == 1);
      CHECK(r.request(0x0A, 0x40)[4] == 0x00);  // Get SEL Info: no entries for the guest either

      CHECK(control_command("boot get vm1", vms, r.now) == "device=none\nvalid=no\npersistent=no\nefi=no\nok\n");
      CHECK(control_command("boot set vm1 pxe persistent", vms, r.now) == "ok\n");
      CHECK(logged("event=boot_device_set device=pxe persistent=yes reason=control") == 1);
      // The guest reads it as chassis bootparam get 5 does: valid, persistent, PXE.
      CHECK(r.request(chassis_netfn, 0x09, {0x05, 0x00, 0x00}) ==
            bytes{0x04, 0x09, 0x00, 0x01, 0x05, 0xC0, 0x04, 0x00, 0x00, 0x00});
      CHECK(control_command("boot get vm1", vms, r.now) == "device=pxe\nvalid=yes\npersistent=yes\nefi=no\nok\n");
      CHECK(control_command("boot set vm1 warpdrive", vms, r.now).starts_with("error unknown boot device 'warpdrive' (none, pxe"));
      CHECK(control_command("boot set vm1 pxe forever", vms, r.now).starts_with("error usage: boot"));
      CHECK(control_command("boot get", vms, r.now).starts_with("error usage: boot"));
      CHECK(control_command("help", vms, r.now).find("sel clear NAME\n") != std::string::npos);
      // kill -9 here: both answers were given, so both changes are in the files.
    }
    rig r(v);
    REQUIRE_FALSE(r.bmc->load_state());
    vm_bmc* const vms[] = {r.bmc.get()};
    CHECK(control_command("sel list vm1", vms, r.now) == "entries=0 capacity=1024 overflow=no\nok\n");
    CHECK(control_command("boot get vm1", vms, r.now) == "device=pxe\nvalid=yes\npersistent=yes\nefi=no\nok\n");
    CHECK(control_command("boot set vm1 cdrom", vms, r.now) == "ok\n");  // the next boot only
    CHECK(control_command("boot get vm1", vms, r.now) == "device=cdrom\nvalid=yes\npersistent=no\nefi=no\nok\n");
    (void)std::system(("rm -rf '" + std::string(tmpl) + "'").c_str());
  }

  TEST_CASE("state_dir: nothing is written before load_state() read the directory") {
    char tmpl[] = "/tmp/ipmikit-bmc-unread-XXXXXX";
    REQUIRE(::mkdtemp(tmpl) != nullptr);
    vm_config v = rig::default_vm();
    v.state_dir = tmpl;  // exists, holds nothing
    rig r(v);
    vm_bmc* const vms[] = {r.bmc.get()};
    CHECK(control_command("boot set vm1 pxe persistent", vms, r.now) == "ok\n");
    CHECK(control_command("sel clear vm1", vms, r.now) == "ok cleared 0\n");
    CHECK(r.cc(r.request(0x0A, 0x49, {0x00, 0x00, 0x00, 0x50})) == 0x00);  // Set SEL Time
    std::vector<std::uint8_t> bytes_read;
    CHECK(state_directory(v.state_dir).load("chassis.state", bytes_read).error == store_error::not_found);
    CHECK(state_directory(v.state_dir).load("sel.state", bytes_read).error == store_error::not_found);
    REQUIRE_FALSE(r.bmc->load_state());
    CHECK(control_command("boot set vm1 disk persistent", vms, r.now) == "ok\n");
    CHECK(state_directory(v.state_dir).load("chassis.state", bytes_read));  // from now on, every change
    (void)std::system(("rm -rf '" + std::string(tmpl) + "'").c_str());
  }

  TEST_CASE("a power command says which VM it acted on (the server flushes only that one)") {
    rig r;
    vm_config other_cfg = rig::default_vm();
    other_cfg.name = "vm2";
    vm_bmc other(other_cfg);
    vm_bmc* const vms[] = {&other, r.bmc.get()};
    std::size_t acted_on = 99;
    CHECK(control_command("status vm1", vms, r.now, &acted_on).ends_with("ok\n"));
    CHECK(acted_on == 99);  // read-only commands leave it alone
    CHECK(control_command("power nmi vm1", vms, r.now, &acted_on) == "ok sent\n");
    CHECK(acted_on == 1);
    CHECK_FALSE(r.bmc->session().pending().empty());  // the NMI waits to be flushed
    acted_on = 99;
    CHECK(control_command("power nmi nobody", vms, r.now, &acted_on).starts_with("error"));
    CHECK(acted_on == 99);
  }
}

// ---------------------------------------------------------------------------------------------
// Under stress (issue 13): bounds asserted as numbers; each case fails on the code before it.

#include <ipmikit-bmc/timers.hpp>

#include <fcntl.h>
#include <unistd.h>

#include <map>
#include <random>

namespace {

/// Wire bytes of a frame the VM sends: `code [arg] A1` (a command) — no escaping needed for
/// the values used here.
bytes repeat(const bytes& frame, int times) {
  bytes out;
  for (int i = 0; i < times; ++i) out.insert(out.end(), frame.begin(), frame.end());
  return out;
}

std::uint64_t logged_count_sum(std::string_view key) {  // sum of "key=N" over captured lines
  std::uint64_t sum = 0;
  for (const auto& l : g_lines)
    if (const auto at = l.find(key); at != std::string::npos) sum += std::stoull(l.substr(at + key.size()));
  return sum;
}

}  // namespace

TEST_SUITE("ipmikit-bmc under stress") {
  TEST_CASE("timer memory is O(VMs): a million moves of one VM's deadline behind another's keep one entry each") {
    const time_point t0 = time_point{} + 1h;
    timer_heap timers(2);
    const std::size_t reserved = timers.capacity_bytes();
    timers.schedule(1, t0 + 600s);  // VM b: a 600 s watchdog
    for (int k = 0; k < 1'000'000; ++k)  // VM a: 6553.5 s, petted in a tight loop
      timers.schedule(0, t0 + 6553500ms + std::chrono::microseconds(k));
    CHECK(timers.size() == 2);
    CHECK(timers.capacity_bytes() == reserved);
    CHECK(timers.next_vm() == 1);
    CHECK(timers.next_time() == t0 + 600s);
    timers.cancel(1);
    CHECK(timers.next_vm() == 0);
    CHECK(timers.next_time() == t0 + 6553500ms + std::chrono::microseconds(999'999));
  }

  TEST_CASE("timer heap: random schedules, moves and cancels always yield the earliest deadline") {
    constexpr std::size_t vms = 300;
    timer_heap timers(vms);
    std::map<std::size_t, time_point> oracle;  // VM → deadline
    std::mt19937 rng(13);
    const time_point t0 = time_point{} + 1h;
    for (int step = 0; step < 20000; ++step) {
      const std::size_t vm = rng() % vms;
      if (rng() % 4 == 0) {
        timers.cancel(vm);
        oracle.erase(vm);
      } else {
        const time_point when = t0 + std::chrono::milliseconds(rng() % 100000);
        timers.schedule(vm, when);
        oracle[vm] = when;
      }
      REQUIRE(timers.size() == oracle.size());
      if (oracle.empty()) continue;
      const auto earliest = std::min_element(oracle.begin(), oracle.end(),
                                             [](const auto& a, const auto& b) { return a.second < b.second; });
      REQUIRE(timers.next_time() == earliest->second);
      REQUIRE(oracle.at(timers.next_vm()) == earliest->second);
      REQUIRE(timers.scheduled(vm) == (oracle.count(vm) != 0 ? std::optional(oracle[vm]) : std::nullopt));
    }
  }

  TEST_CASE("power commands are coalesced: 1000 resets while one is unsent give one RESET") {
    rig r;
    CHECK(r.bmc->request_power(power_action::reset, "control") == power_outcome::sent);
    for (int k = 0; k < 999; ++k)
      REQUIRE(r.bmc->request_power(power_action::reset, "control") == power_outcome::already_queued);
    r.pump();
    CHECK(std::count(r.commands.begin(), r.commands.end(), ipmikit::vm::command::reset) == 1);
    CHECK(r.bmc->stats().power_actions == 1);
    CHECK(r.bmc->stats().power_coalesced == 999);
    // Once it went out, a new request is a new command.
    CHECK(r.bmc->request_power(power_action::reset, "control") == power_outcome::sent);
    r.pump();
    CHECK(std::count(r.commands.begin(), r.commands.end(), ipmikit::vm::command::reset) == 2);
  }

  TEST_CASE("power commands: different actions queue behind the one in flight, each at most once, in order") {
    rig r;
    CHECK(r.bmc->request_power(power_action::reset, "control") == power_outcome::sent);
    CHECK(r.bmc->request_power(power_action::nmi, "control") == power_outcome::queued);
    CHECK(r.bmc->request_power(power_action::nmi, "control") == power_outcome::already_queued);
    CHECK(r.bmc->request_power(power_action::soft_shutdown, "control") == power_outcome::queued);
    CHECK(r.bmc->request_power(power_action::reset, "control") == power_outcome::already_queued);
    vm_bmc* const vms[] = {r.bmc.get()};
    CHECK(control_command("status vm1", vms, r.now).find("power_pending=3\n") != std::string::npos);
    r.pump();
    using ipmikit::vm::command;
    CHECK(r.commands == std::vector<command>{command::reset, command::send_nmi, command::graceful_shutdown});
  }

  TEST_CASE("power off on a VM already powered off is not sent again; the answer says so") {
    rig r;
    vm_bmc* const vms[] = {r.bmc.get()};
    CHECK(control_command("power off vm1", vms, r.now) == "ok sent\n");
    r.pump();
    CHECK(control_command("power off vm1", vms, r.now) == "ok already off\n");
    r.pump();
    CHECK(std::count(r.commands.begin(), r.commands.end(), ipmikit::vm::command::power_off) == 1);
    CHECK(logged("event=power action=power_off reason=control result=already_off") == 1);
  }

  TEST_CASE("responses never wait behind a queue of power commands") {
    rig r;
    r.advance(50ms);  // the greeting's command gap is over
    // 1000 requests for each action: one in flight, three waiting (one each).
    for (int k = 0; k < 1000; ++k)
      for (const power_action a : {power_action::reset, power_action::nmi, power_action::soft_shutdown, power_action::power_off})
        r.bmc->request_power(a, "control");
    const time_point asked = r.now;
    r.responses.clear();
    REQUIRE(r.emu.send_request(r.next_id++, bytes{app_netfn << 2, 0x01}, r.now, r.handler()) ==
            ipmikit::vm::session_error::ok);
    // The server's loop in 1 ms steps: deliver what can go, then let time pass.
    for (int step = 0; step < 5000 && r.responses.empty(); ++step) {
      for (int k = 0; k < 8; ++k) {
        if (auto out = r.emu.outbound(r.now); !out.empty()) {
          const bytes copy(out.begin(), out.end());
          r.emu.consume(copy.size(), r.now);
          r.bmc->receive(copy, r.now);
      MESSAGE("req bytes " << copy.size() << " out " << r.bmc->session().outbound(r.now).size() << " caps " << int(r.bmc->session().peer_capabilities().to_byte()) << " cmds " << r.commands.size() << " dl " << (r.bmc->session().next_deadline() ? (*r.bmc->session().next_deadline() - r.now).count() : -1) << " pend " << r.bmc->session().pending().size());
        }
        if (auto out = r.bmc->session().outbound(r.now); !out.empty()) {
          const bytes copy(out.begin(), out.end());
          r.bmc->consumed(copy.size(), r.now);
          r.emu.receive(copy, r.now, r.handler());
        }
      }
      if (r.responses.empty()) {
        r.now += 1ms;
        r.bmc->poll(r.now);
      }
    }
    REQUIRE(r.responses.size() == 1);
    CHECK(r.cc(r.responses.front()) == 0x00);
    CHECK(r.now - asked <= 11ms);  // behind at most the one command in flight and its 10 ms gap
    r.pump();
    CHECK(r.commands.size() == 4);
  }

  TEST_CASE("a disconnect forgets queued power commands and logs that they were not sent") {
    rig r;
    r.bmc->request_power(power_action::reset, "control");
    r.bmc->request_power(power_action::nmi, "control");
    r.bmc->disconnected(r.now, "gone");
    CHECK(logged("result=not_sent") == 2);
    r.bmc->connected(r.now, "back");
    r.emu.disconnect(r.now, r.handler());
    r.emu.connect(r.now, r.handler());
    r.pump();
    CHECK(r.commands.empty());
  }

  TEST_CASE("one VM cannot flood the log: a burst, then a rate, and the count of what was held back") {
    rig r;
    const std::size_t before = g_lines.size();
    r.bmc->receive(repeat({0x04, 0xA1}, 100000), r.now);  // the VM's RESET report, 100k times at once
    CHECK(logged("event=vm_reports") <= 20);
    CHECK(g_lines.size() - before <= 21);
    r.advance(1500ms);  // the count is reported within a second, without another line
    CHECK(logged_count_sum("event=log_suppressed lines=") + logged("event=vm_reports") == 100000);
    CHECK(r.bmc->log_budget().suppressed_total() + logged("event=vm_reports") == 100000);
    // 10 s later: at most the burst again plus 10 a second.
    const std::size_t mark = g_lines.size();
    for (int s = 0; s < 10; ++s) {
      r.bmc->receive(repeat({0x04, 0xA1}, 10000), r.now);
      r.advance(1000ms);
    }
    CHECK(g_lines.size() - mark <= 20 + 10 * 10 + 10 + 1);
    CHECK(r.cc(r.request(app_netfn, 0x01)) == 0x00);  // and it is still served
  }

  TEST_CASE("--verbose lines have their own budget: 1000 at once, the rest counted") {
    rig r;
    r.bmc->set_verbose(true);
    bytes frames;
    for (int k = 0; k < 3000; ++k) {
      std::array<std::uint8_t, ipmikit::vm::max_message_frame_size(2)> f{};
      const std::uint8_t body[] = {app_netfn << 2, 0x01};
      const auto e = ipmikit::vm::encode_message(f, static_cast<std::uint8_t>(k), body);
      frames.insert(frames.end(), f.begin(), f.begin() + static_cast<std::ptrdiff_t>(e.size));
    }
    r.bmc->receive(frames, r.now);
    CHECK(r.bmc->stats().requests == 3000);
    CHECK(logged("event=request ") == 1000);
    r.advance(1500ms);
    CHECK(logged_count_sum("event=log_suppressed lines=") == 2000);
  }

  TEST_CASE("a flood of chatter does not hide the watchdog's expiry and its power action") {
    rig r;
    CHECK(r.cc(r.request(app_netfn, 0x24, {0x04, 0x01, 0x00, 0x00, 0x0A, 0x00})) == 0x00);  // 1.0 s, reset
    CHECK(r.cc(r.request(app_netfn, 0x22)) == 0x00);
    r.bmc->receive(repeat({0x08, 0x3F, 0xA1}, 50000), r.now);  // CAPABILITIES again and again
    r.advance(1100ms);
    CHECK(logged("event=watchdog_expired") == 1);
    CHECK(logged("event=power action=reset reason=watchdog result=sent") == 1);
  }

  TEST_CASE("logged protocol problems count their offset from the connection's start") {
    rig r;
    const bytes bad{0x01, 0x02, 0xA0};  // too short to be a request: a malformed frame at offset 0
    r.bmc->disconnected(r.now, "x");
    r.bmc->connected(r.now, "first");
    r.bmc->receive(repeat({0x00}, 1000), r.now);  // 1000 bytes of one unterminated frame…
    r.bmc->receive(bad, r.now);                   // …ended here: too long, a problem at offset 0
    r.bmc->disconnected(r.now, "x");
    r.bmc->connected(r.now, "second");
    r.bmc->receive(bad, r.now);
    REQUIRE(logged("event=protocol_problem") == 2);
    CHECK(g_lines[static_cast<std::size_t>(std::find_if(g_lines.rbegin(), g_lines.rend(), [](const std::string& l) {
                                              return l.find("event=protocol_problem") != std::string::npos;
                                            }).base() - g_lines.begin() - 1)]
              .find(" offset=0") != std::string::npos);
  }

  TEST_CASE("a VM that withdraws a capability its armed watchdog needs: told at once, status says so, expiry too") {
    rig r;
    CHECK(r.cc(r.request(app_netfn, 0x24, {0x04, 0x01, 0x00, 0x00, 0x0A, 0x00})) == 0x00);  // reset, 1.0 s
    CHECK(r.cc(r.request(app_netfn, 0x22)) == 0x00);
    r.bmc->receive(bytes{0x08, 0x00, 0xA1}, r.now);  // CAPABILITIES: none
    CHECK(logged("event=watchdog_unenforceable action=reset missing=RESET running=yes") == 1);
    vm_bmc* const vms[] = {r.bmc.get()};
    CHECK(control_command("status vm1", vms, r.now).find("watchdog_enforceable=no (RESET missing)\n") != std::string::npos);
    r.advance(1100ms);
    CHECK(logged("event=watchdog_expired action=reset") == 1);
    CHECK(logged("event=power action=reset reason=watchdog result=missing_capability") == 1);
    CHECK(r.commands.empty());
    r.bmc->receive(bytes{0x08, 0x3F, 0xA1}, r.now);  // announced again: enforceable again
    CHECK(control_command("status vm1", vms, r.now).find("watchdog_enforceable=yes\n") != std::string::npos);
  }

  TEST_CASE("a response sent to the BMC is a protocol problem, not a request, and is not answered") {
    rig r;
    // 30 1C 01 00 20 cks A0: msg id 30h, netfn 07h (a response), cmd 01h, cc 00, data 20h.
    const std::uint8_t cks = static_cast<std::uint8_t>(-(0x30 + 0x1C + 0x01 + 0x00 + 0x20));
    r.bmc->receive(bytes{0x30, 0x1C, 0x01, 0x00, 0x20, cks, 0xA0}, r.now);
    CHECK(r.bmc->session().pending().empty());
    CHECK(r.bmc->stats().requests == 0);
    CHECK(r.bmc->stats().protocol_problems == 1);
    CHECK(logged("problem=unexpected_response") == 1);
    CHECK(r.cc(r.request(app_netfn, 0x01)) == 0x00);
    CHECK(r.bmc->stats().requests == 1);
  }

  TEST_CASE("log output never blocks: a pipe nobody reads takes what fits, the rest is dropped, counted and reported") {
    int fds[2];
    REQUIRE(::pipe(fds) == 0);
    std::uint64_t dropped = 0;
    {
      log_output out;
      out.open(fds[1]);
      const std::string line(99, 'x');
      for (int k = 0; k < 40000; ++k) {  // 4 MB into a 64 KiB pipe and a 1 MiB buffer
        out.append(line);
        out.flush();
      }
      CHECK(out.buffered() <= log_output::capacity);
      dropped = out.dropped_total();
      CHECK(dropped > 0);
      CHECK(dropped < 40000);
      // The reader wakes up: everything buffered arrives, then the count of what was lost.
      ::fcntl(fds[0], F_SETFL, O_NONBLOCK);
      std::string got;
      char buf[65536];
      for (int k = 0; k < 10000 && (out.pending() || k == 0); ++k) {
        for (ssize_t n; (n = ::read(fds[0], buf, sizeof buf)) > 0;) got.append(buf, static_cast<std::size_t>(n));
        out.flush();
      }
      out.append("t=1.000 event=after");
      out.flush();
      for (ssize_t n; (n = ::read(fds[0], buf, sizeof buf)) > 0;) got.append(buf, static_cast<std::size_t>(n));
      const auto at = got.find("event=log_dropped lines=");
      REQUIRE(at != std::string::npos);
      CHECK(std::stoull(got.substr(at + 24)) == dropped);
      CHECK(got.ends_with("t=1.000 event=after\n"));
    }
    ::close(fds[0]);
    ::close(fds[1]);
  }
}

TEST_SUITE("ipmikit-bmc config") {
  TEST_CASE("control_idle_timeout: seconds, 1 to 86400, default 60") {
    CHECK(parse_ok("[vm a]\nlisten = 127.0.0.1:1\n").control_idle_timeout_s == 60);
    CHECK(parse_ok("[bmc]\ncontrol_idle_timeout = 5\n[vm a]\nlisten = 127.0.0.1:1\n").control_idle_timeout_s == 5);
    const config_error zero = parse_error("[bmc]\ncontrol_idle_timeout = 0\n[vm a]\nlisten = 127.0.0.1:1\n");
    CHECK(zero.line == 2);
    CHECK(zero.message.find("1 to 86400") != std::string::npos);
    CHECK(parse_error("[bmc]\ncontrol_idle_timeout = 86401\n").line == 2);
  }
}

// ---------------------------------------------------------------------------------------------
// IPMI over LAN: the configuration keys, requests at a session's privilege, and the routing of
// a login to a VM (apps/ipmikit-bmc/lan.hpp). The RMCP+ session itself is the library's
// (tests/lan_server_test.cpp); real clients are tests/interop/lan_clients_test.sh.

#include <ipmikit-bmc/lan.hpp>

namespace {

/// One LAN request body through a VM's BMC; the response body.
bytes lan_request(ipmikit_bmc::vm_bmc& b, ipmikit::bmc::origin from, const bytes& body, time_point now) {
  std::array<std::uint8_t, 300> out{};
  const auto res = b.lan_request(from, body, out, now);
  REQUIRE(res);
  return bytes(out.begin(), out.begin() + static_cast<std::ptrdiff_t>(res.size));
}

constexpr ipmikit::bmc::origin lan_session(ipmikit::bmc::privilege p) { return {p, 1}; }
constexpr ipmikit::bmc::origin sessionless{ipmikit::bmc::privilege::unspecified, 1};

}  // namespace

TEST_SUITE("ipmikit-bmc lan") {
  TEST_CASE("config: [bmc] lan, lan_session_timeout, lan_auth_failures, lan_auth_refill and [vm] lan") {
    const config c = parse_ok(
        "[bmc]\nlan = 127.0.0.1:9623\nlan_session_timeout = 30\nlan_auth_failures = 3\nlan_auth_refill = 2\n"
        "[vm a]\nlisten = unix:/a\nlan = 127.0.0.1:9624\n[vm b]\nlisten = unix:/b\n");
    REQUIRE(c.lan);
    CHECK(c.lan->text() == "127.0.0.1:9623");
    CHECK(c.lan_session_timeout_s == 30);
    CHECK(c.lan_auth_failures == 3);
    CHECK(c.lan_auth_refill_s == 2);
    REQUIRE(c.vms[0].lan);
    CHECK(c.vms[0].lan->port == 9624);
    CHECK_FALSE(c.vms[1].lan);
    const config none = parse_ok("[vm a]\nlisten = unix:/a\n");
    CHECK_FALSE(none.lan);
    CHECK(none.lan_auth_failures == 5);
  }

  TEST_CASE("config error: a LAN address that is a UNIX path, port 0, used twice, or bad numbers") {
    CHECK(parse_error("[bmc]\nlan = unix:/x\n[vm a]\nlisten = unix:/a\n").message.find("UDP") != std::string::npos);
    CHECK(parse_error("[vm a]\nlisten = unix:/a\nlan = 127.0.0.1:0\n").line == 3);
    const auto twice = parse_error("[vm a]\nlisten = unix:/a\nlan = 127.0.0.1:9624\n[vm b]\nlisten = unix:/b\nlan = 127.0.0.1:9624\n");
    CHECK(twice.message.find("already VM 'a'") != std::string::npos);
    const auto shared = parse_error("[bmc]\nlan = 127.0.0.1:9623\n[vm a]\nlisten = unix:/a\nlan = 127.0.0.1:9623\n");
    CHECK(shared.message.find("shared") != std::string::npos);
    CHECK(parse_error("[bmc]\nlan_session_timeout = 0\n[vm a]\nlisten = unix:/a\n").line == 2);
    CHECK(parse_error("[bmc]\nlan_auth_failures = 101\n[vm a]\nlisten = unix:/a\n").line == 2);
    CHECK(parse_error("[bmc]\nlan_auth_refill = x\n[vm a]\nlisten = unix:/a\n").line == 2);
  }

  TEST_CASE("LAN requests: the session's privilege decides, power acts with reason=lan, discovery needs no session") {
    rig r;
    // Chassis Control needs operator (D4 at user); at operator it resets the VM, logged reason=lan.
    CHECK(lan_request(*r.bmc, lan_session(ipmikit::bmc::privilege::user), {0x00, 0x02, 0x03}, r.now).at(2) == 0xD4);
    CHECK(r.commands.empty());
    CHECK(lan_request(*r.bmc, lan_session(ipmikit::bmc::privilege::operator_), {0x00, 0x02, 0x03}, r.now).at(2) == 0x00);
    r.pump();
    REQUIRE(r.commands.size() == 1);
    CHECK(r.commands[0] == ipmikit::vm::command::reset);
    CHECK(logged("event=power action=reset reason=lan result=sent") == 1);
    // Power up while the VM is on: nothing to do. Once it is off: refused (D5), the VM protocol cannot power on.
    CHECK(lan_request(*r.bmc, lan_session(ipmikit::bmc::privilege::operator_), {0x00, 0x02, 0x01}, r.now).at(2) == 0x00);
    CHECK(lan_request(*r.bmc, lan_session(ipmikit::bmc::privilege::operator_), {0x00, 0x02, 0x00}, r.now).at(2) == 0x00);
    r.pump();
    CHECK(r.commands.back() == ipmikit::vm::command::power_off);
    CHECK(lan_request(*r.bmc, lan_session(ipmikit::bmc::privilege::operator_), {0x00, 0x02, 0x01}, r.now).at(2) == 0xD5);
    // Session-less: Get Channel Authentication Capabilities yes, Get Device ID no.
    const bytes caps = lan_request(*r.bmc, sessionless, {0x18, 0x38, 0x8E, 0x04}, r.now);
    CHECK(caps.at(2) == 0x00);
    CHECK(caps.at(4) == 0x80);  // IPMI v2.0 data, no IPMI 1.5 authentication type
    CHECK(lan_request(*r.bmc, sessionless, {0x18, 0x01}, r.now).at(2) == 0xD4);
    CHECK(r.bmc->stats().lan_requests == 7);
  }

  TEST_CASE("LAN routing: a VM's own port takes its users' plain names; the shared port USER@VM or a bare VM name") {
    g_lines.clear();
    const config c = parse_ok(
        "[bmc]\nlan = 127.0.0.1:9623\n"
        "[vm web1]\nlisten = unix:/a\nlan = 127.0.0.1:9624\nuser2 = admin administrator\nuser2_password = s3cret-pass\n"
        "user3 = op operator\nuser3_password = op-pass-123\n"
        "[vm db1]\nlisten = unix:/b\nuser2 = admin administrator\nuser2_password = other-pass\n"
        "user3 = off user disabled\n"
        "[vm empty]\nlisten = unix:/c\n");
    std::vector<std::unique_ptr<vm_bmc>> owned;
    std::vector<vm_bmc*> vms;
    for (const vm_config& v : c.vms) {
      owned.push_back(std::make_unique<vm_bmc>(v));
      vms.push_back(owned.back().get());
    }
    const ipmikit_bmc::lan_side side(c, vms);
    REQUIRE(side.sockets().size() == 2);  // the shared one first, then web1's
    const auto key = [](std::string_view pw) {
      ipmikit::lan::key20 k{};
      for (std::size_t i = 0; i < pw.size(); ++i) k[i] = static_cast<std::uint8_t>(pw[i]);
      return k;
    };
    // Shared port (socket 0).
    auto l = side.find_login("admin@web1", 0);
    REQUIRE(l);
    CHECK(l->target == 0);
    CHECK(l->user_id == 2);
    CHECK(l->key == key("s3cret-pass"));
    CHECK(l->limit == ipmikit::cmd::privilege::administrator);
    l = side.find_login("op@web1", 0);
    REQUIRE(l);
    CHECK(l->limit == ipmikit::cmd::privilege::operator_);
    l = side.find_login("admin@db1", 0);
    REQUIRE(l);
    CHECK(l->target == 1);
    CHECK(l->key == key("other-pass"));
    l = side.find_login("db1", 0);  // bare VM name: its first user that may log in
    REQUIRE(l);
    CHECK(l->user_id == 2);
    CHECK_FALSE(side.find_login("off@db1", 0));    // disabled
    CHECK_FALSE(side.find_login("admin@nope", 0)); // no such VM
    CHECK_FALSE(side.find_login("admin", 0));      // no VM named admin
    CHECK_FALSE(side.find_login("@web1", 0));      // an empty user name
    CHECK_FALSE(side.find_login("empty", 0));      // a VM without users
    CHECK_FALSE(side.find_login("", 0));
    // web1's own port (socket 1): plain names only.
    l = side.find_login("admin", 1);
    REQUIRE(l);
    CHECK(l->target == 0);
    CHECK_FALSE(side.find_login("admin@web1", 1));
    CHECK_FALSE(side.find_login("", 1));
  }
}
