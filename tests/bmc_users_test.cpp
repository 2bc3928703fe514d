// The BMC core's users component (include/ipmikit/bmc/users.hpp): ipmitool's `user list 1`,
// `user set name/password`, `user enable`, `user test`, `channel info 1`, `channel getciphers
// ipmi 1`, `channel authcap`, `lan print 1` and `sol info 1` byte for byte through a dispatcher;
// every refusal by name (the null user, IPMI 1.5 authentication, authentication switched off,
// read-only and unknown parameters, set in progress, privileges); save/load and each load
// error; and all of it at compile time.
#include <doctest/doctest.h>

#include <array>
#include <cstdint>
#include <span>
#include <vector>

#include <ipmikit/bmc/dispatcher.hpp>
#include <ipmikit/bmc/users.hpp>
#include <ipmikit/cmd/app.hpp>

#include "bmc_support.hpp"
#include "test_support.hpp"

using namespace ipmikit;
using test::bytes;
using test::hex;

namespace {

constexpr bmc::users_config lan_config() {
  bmc::users_config c;
  c.lan_channel = 1;
  c.mac = {0x52, 0x54, 0x00, 0x12, 0x34, 0x56};
  c.ip = {192, 168, 1, 100};
  c.subnet = {255, 255, 255, 0};
  c.gateway = {192, 168, 1, 1};
  return c;
}

struct my_bmc {
  bmc::users users{lan_config()};
};

using users_dispatcher = bmc::dispatcher<my_bmc, 16>;

users_dispatcher all_commands() {
  users_dispatcher d;
  REQUIRE(bmc::add_user_commands<&my_bmc::users>(d) == bmc::add_error::ok);
  REQUIRE(bmc::add_channel_commands<&my_bmc::users>(d) == bmc::add_error::ok);
  REQUIRE(bmc::add_lan_commands<&my_bmc::users>(d) == bmc::add_error::ok);
  return d;
}

/// A LAN session of the given privilege on channel 1; the default origin is the system interface.
constexpr bmc::origin on_lan(bmc::privilege p) { return {p, 1}; }

/// One request message (hex) and its whole response message (hex).
void expect(users_dispatcher& d, my_bmc& b, std::string_view request, std::string_view response,
            bmc::origin from = {}) {
  INFO("request ", request);
  CHECK(test::to_hex(test::dispatch_bytes(d, b, hex(request), from)) == test::to_hex(hex(response)));
}

/// A BMC with the user, channel and LAN commands, and requests to it in hex: each TEST_CASE_FIXTURE
/// below starts from a fresh one.
struct users_rig {
  users_dispatcher d = all_commands();
  my_bmc b;

  /// One request message (hex) to `to` (by default this rig's BMC) and its whole response
  /// message (hex).
  void expect(std::string_view request, std::string_view response, bmc::origin from = {}) {
    expect(b, request, response, from);
  }
  void expect(my_bmc& to, std::string_view request, std::string_view response, bmc::origin from = {}) {
    ::expect(d, to, request, response, from);
  }
  /// The completion code of one request.
  std::uint8_t code_of(std::string_view request, bmc::origin from = {}) {
    const bytes r = test::dispatch_bytes(d, b, hex(request), from);
    REQUIRE(r.size() >= 3);
    return r[2];
  }
};



/// Set User Password's request in ipmitool's layout (bytes 3.. the password, NUL padded to 16
/// or 20): `user set password`, `user test`, `user enable|disable`.
std::string password_request(std::uint8_t id, std::uint8_t operation, std::string_view password, bool twenty) {
  bytes rq{0x18, 0x47, static_cast<std::uint8_t>(id | (twenty ? 0x80 : 0x00)), operation};
  for (std::size_t i = 0; i < (twenty ? 20u : 16u); ++i)
    rq.push_back(i < password.size() ? static_cast<std::uint8_t>(password[i]) : std::uint8_t{0});
  return test::to_hex(rq);
}

/// Set User Name's request as `ipmitool user set name <id> <name>` sends it.
std::string name_request(std::uint8_t id, std::string_view name) {
  bytes rq{0x18, 0x45, id};
  for (std::size_t i = 0; i < 16; ++i) rq.push_back(i < name.size() ? static_cast<std::uint8_t>(name[i]) : std::uint8_t{0});
  return test::to_hex(rq);
}

void provision_admin(my_bmc& b) {
  REQUIRE(b.users.set_user(2, {"admin", "password", bmc::privilege::administrator, true}) == bmc::user_error::ok);
}

}  // namespace

TEST_SUITE("bmc") {
  // --- users -----------------------------------------------------------------------------------

  TEST_CASE_FIXTURE(users_rig, "bmc users: ipmitool user list 1 reads Get User Access and Get User Name for IDs 1 to "
                    "the maximum") {
    provision_admin(b);
    // ipmi_print_user_list: Get User Access (channel, ID) then Get User Name (ID), while ID <=
    // the maximum byte 1 reports.
    expect("18 44 01 01", "1C 44 00 0A 81 01 0F");  // user 1: disabled, 1 enabled, 1 fixed name, no access
    expect("18 46 01", "1C 46 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00");
    expect("18 44 01 02", "1C 44 00 0A 41 01 34");  // admin: enabled, link auth, IPMI messaging, ADMINISTRATOR
    expect("18 46 02", "1C 46 00 61 64 6D 69 6E 00 00 00 00 00 00 00 00 00 00 00");
    for (std::uint8_t id = 3; id <= 10; ++id) {
      const bytes access = test::dispatch_bytes(d, b, {0x18, 0x44, 0x01, id});
      CHECK(test::to_hex(access) == test::to_hex(hex("1C 44 00 0A 81 01 0F")));
      CHECK(test::dispatch_bytes(d, b, {0x18, 0x46, id}).size() == 19);
    }
    CHECK(code_of("18 44 01 0B") == 0xCC);  // past the maximum: ipmitool never asks
    CHECK(code_of("18 46 0B") == 0xCC);
  }

  TEST_CASE_FIXTURE(users_rig, "bmc users: user set name, user set password, user priv, channel setaccess and user "
                    "enable make a user who can log in") {
    const auto before = b.users.generation();
    expect(name_request(3, "operator1"), "1C 45 00");
    expect("18 46 03", "1C 46 00 6F 70 65 72 61 74 6F 72 31 00 00 00 00 00 00 00");
    expect(password_request(3, 0x02, "secret", false), "1C 47 00");
    expect("18 43 01 03 03 00", "1C 43 00");          // user priv 3 3 1: the limit only
    expect("18 43 B1 03 03 00", "1C 43 00");          // channel setaccess 1 3 ipmi=on link=on privilege=3
    CHECK_FALSE(b.users.can_log_in(3));                      // not enabled yet
    expect(password_request(3, 0x01, "", false), "1C 47 00");  // user enable 3
    expect("18 44 01 03", "1C 44 00 0A 41 01 33");
    CHECK(b.users.can_log_in(3));
    CHECK(b.users.login_limit(3) == bmc::privilege::operator_);
    CHECK(b.users.find_user("operator1") == std::optional<std::uint8_t>{3});
    CHECK_FALSE(b.users.find_user("operator"));
    std::array<std::uint8_t, 20> key{'s', 'e', 'c', 'r', 'e', 't'};
    CHECK(b.users.password_key(3) == key);
    CHECK(b.users.generation() > before);
    expect(password_request(3, 0x00, "", false), "1C 47 00");  // user disable 3
    CHECK_FALSE(b.users.can_log_in(3));
  }

  TEST_CASE_FIXTURE(users_rig, "bmc users: user test answers 00 for the password, 80 for another, 81 for the other "
                    "size") {
    expect(password_request(4, 0x02, "twenty-byte-password", true), "1C 47 00");
    expect(password_request(4, 0x03, "twenty-byte-password", true), "1C 47 00");
    expect(password_request(4, 0x03, "twenty-byte-passworD", true), "1C 47 80");  // differs in the last byte
    expect(password_request(4, 0x03, "twenty-byte-pass", false), "1C 47 81");     // the 16-byte form
    expect(password_request(5, 0x02, "short", false), "1C 47 00");
    expect(password_request(5, 0x03, "short", false), "1C 47 00");
    expect(password_request(5, 0x03, "short", true), "1C 47 81");
    expect(password_request(5, 0x03, "shorT", false), "1C 47 80");
    // The 16-byte form with 20 bytes of password is too long (b7 says 16): C7, nothing changes.
    expect("18 47 05 02 " + test::to_hex(bytes(20, 0x41)), "1C 47 C7");
    expect(password_request(5, 0x03, "short", false), "1C 47 00");
  }

  TEST_CASE_FIXTURE(users_rig, "bmc users: refusals by name — user 1's fixed name, a duplicate name, an unknown user "
                    "ID, a channel without users") {
    provision_admin(b);
    const auto g = b.users.generation();
    SUBCASE("user 1's name is fixed empty: CC") { expect(name_request(1, "guest"), "1C 45 CC"); }
    SUBCASE("a name another user has: CC (a LAN login looks users up by name)") {
      expect(name_request(3, "admin"), "1C 45 CC");
    }
    SUBCASE("a user ID past the maximum: CC for every user command") {
      expect(name_request(11, "x"), "1C 45 CC");
      expect(password_request(11, 0x02, "x", false), "1C 47 CC");
      expect("18 43 91 0B 04 00", "1C 43 CC");
    }
    SUBCASE("user access on the system interface (0F, or 0E in-band): CC") {
      expect("18 44 0F 02", "1C 44 CC");
      expect("18 44 0E 02", "1C 44 CC");
      expect("18 43 8F 02 04 00", "1C 43 CC");
    }
    SUBCASE("a reserved privilege limit: CC from the typed parse") { expect("18 43 91 02 07 00", "1C 43 CC"); }
    CHECK(b.users.generation() == g);
  }

  TEST_CASE_FIXTURE(users_rig, "bmc users: the null user refusals — D6 for IPMI messaging or enabling a nameless "
                    "user, unless the config allows null users") {
    SUBCASE("enabled first, then IPMI messaging on the LAN channel: D6") {
      expect(password_request(1, 0x01, "", false), "1C 47 00");
      expect("18 43 91 01 04 00", "1C 43 D6");
      expect("18 44 01 01", "1C 44 00 0A 41 01 0F");  // enabled, no messaging
    }
    SUBCASE("IPMI messaging first, then enable: D6") {
      expect("18 43 91 01 04 00", "1C 43 00");
      expect(password_request(1, 0x01, "", false), "1C 47 D6");
    }
    SUBCASE("renaming an enabled user with messaging to the empty name: D6") {
      provision_admin(b);
      expect(name_request(2, ""), "1C 45 D6");
      expect("18 46 02", "1C 46 00 61 64 6D 69 6E 00 00 00 00 00 00 00 00 00 00 00");
    }
    SUBCASE("set_user refuses an enabled nameless user") {
      CHECK(b.users.set_user(3, {"", "pw", bmc::privilege::user, true}) == bmc::user_error::null_user);
    }
    CHECK_FALSE(b.users.can_log_in(1));
    CHECK_FALSE(b.users.find_user(""));
    // Get Channel Authentication Capabilities: no null usernames, no anonymous login.
    const bytes caps = test::dispatch_bytes(d, b, hex("18 38 8E 04"), on_lan(bmc::privilege::unspecified));
    REQUIRE(caps.size() == 11);
    CHECK((caps[5] & 0x03) == 0);
  }

  TEST_CASE("bmc users: with allow_null_user, user 1 can be enabled for LAN messaging and the capabilities say so") {
    users_dispatcher d = all_commands();
    bmc::users_config c = lan_config();
    c.allow_null_user = true;
    my_bmc b{bmc::users(c)};
    expect(d, b, "18 43 91 01 04 00", "1C 43 00");
    expect(d, b, password_request(1, 0x01, "", false), "1C 47 00");
    CHECK(b.users.can_log_in(1));
    CHECK(b.users.find_user("") == std::optional<std::uint8_t>{1});
    // null usernames and anonymous login (an empty password) enabled; no non-null user yet
    expect(d, b, "18 38 8E 04", "1C 38 00 01 80 03 02 00 00 00 00", on_lan(bmc::privilege::unspecified));
    expect(d, b, password_request(1, 0x02, "pw", false), "1C 47 00");
    expect(d, b, "18 38 8E 04", "1C 38 00 01 80 02 02 00 00 00 00", on_lan(bmc::privilege::unspecified));
  }

  TEST_CASE("bmc users: set_user's refusals by name, and nothing changes") {
    my_bmc b;
    const auto g = b.users.generation();
    CHECK(b.users.set_user(0, {"a", "b"}) == bmc::user_error::no_such_user);
    CHECK(b.users.set_user(11, {"a", "b"}) == bmc::user_error::no_such_user);
    CHECK(b.users.set_user(2, {"seventeen-chars-x", "b"}) == bmc::user_error::name_too_long);
    CHECK(b.users.set_user(2, {"a", "twenty-one-characters"}) == bmc::user_error::password_too_long);
    CHECK(b.users.set_user(1, {"root", "b"}) == bmc::user_error::fixed_name);
    CHECK(b.users.set_user(2, {"a", "b", bmc::privilege::unspecified}) == bmc::user_error::bad_limit);
    REQUIRE(b.users.set_user(2, {"a", "b"}) == bmc::user_error::ok);
    CHECK(b.users.set_user(3, {"a", "c"}) == bmc::user_error::duplicate_name);
    CHECK(b.users.generation() == g + 1);
    CHECK(bmc::name(bmc::user_error::null_user) == "null_user");
    // A twenty-byte password is the 20-byte form; `user test <id> 16` then answers 81.
    REQUIRE(b.users.set_user(3, {"long", "0123456789abcdefghij"}) == bmc::user_error::ok);
    CHECK(b.users.find(3)->twenty_byte);
  }

  // --- channels --------------------------------------------------------------------------------

  TEST_CASE_FIXTURE(users_rig, "bmc users: ipmitool channel info 1 reads Get Channel Info and the volatile and "
                    "non-volatile access") {
    b.users.set_active_sessions(2);
    expect("18 42 01", "1C 42 00 01 04 01 82 F2 1B 00 00 00");  // 802.3 LAN, IPMB-1.0, multi-session, 2 active
    expect("18 41 01 80", "1C 41 00 02 04");  // volatile: always available, ADMINISTRATOR
    expect("18 41 01 40", "1C 41 00 02 04");  // non-volatile
    // In-band `channel info` asks for 0E: the system interface, session-less KCS.
    expect("18 42 0E", "1C 42 00 0F 0C 05 00 F2 1B 00 00 00");
    // From a LAN session 0E is the LAN channel.
    expect("18 42 0E", "1C 42 00 01 04 01 82 F2 1B 00 00 00", on_lan(bmc::privilege::user));
    CHECK(code_of("18 42 02") == 0xCC);
  }

  TEST_CASE_FIXTURE(users_rig, "bmc users: Set Channel Access writes the volatile or non-volatile settings as "
                    "ipmitool lan set access does") {
    const auto g = b.users.generation();
    expect("18 40 01 A2 43", "1C 40 00");  // volatile: PEF alerting disabled, always; limit operator (non-volatile)
    expect("18 41 01 80", "1C 41 00 22 04");
    expect("18 41 01 40", "1C 41 00 02 03");
    CHECK(b.users.generation() == g + 1);  // the non-volatile limit is durable, the volatile access is not
    expect("18 40 01 80 00", "1C 40 00");  // volatile access disabled: nobody logs in
    provision_admin(b);
    CHECK_FALSE(b.users.can_log_in(2));
    CHECK(b.users.generation() == g + 2);  // only provisioning
  }

  TEST_CASE_FIXTURE(users_rig, "bmc users: Set Channel Access refusals by name — 82 session-less, 83 access mode, D6 "
                    "authentication off, CC another channel") {
    expect("18 40 0F 82 84", "1C 40 82");  // the system interface: session-less
    expect("18 40 0E 82 84", "1C 40 82");  // 0E in-band is the system interface
    expect("18 40 01 81 00", "1C 40 83");  // pre-boot only
    expect("18 40 01 83 00", "1C 40 83");  // shared
    expect("18 40 01 92 00", "1C 40 D6");  // per-message authentication disabled
    expect("18 40 01 8A 00", "1C 40 D6");  // user-level authentication disabled
    expect("18 40 03 82 84", "1C 40 CC");  // no channel 3
    expect("18 41 01 80", "1C 41 00 02 04");  // unchanged
  }

  TEST_CASE_FIXTURE(users_rig, "bmc users: Get Channel Authentication Capabilities without a session advertises "
                    "RMCP+ only") {
    provision_admin(b);
    const auto pre_session = on_lan(bmc::privilege::unspecified);
    // ipmitool -I lanplus: 8E 04. No IPMI 1.5 types (byte 2 = 80), non-null usernames, v2.0 only.
    expect("18 38 8E 04", "1C 38 00 01 80 04 02 00 00 00 00", pre_session);
    // The IPMI 1.5 form (ipmitool's retry, a v1.5 client): no authentication type at all, no
    // v2.0 data: a v1.5 client finds nothing to activate a session with.
    expect("18 38 0E 04", "1C 38 00 01 00 04 00 00 00 00 00", pre_session);
    // In-band `channel authcap 1 4` names the channel; 0E in-band is the system interface: CC.
    expect("18 38 81 04", "1C 38 00 01 80 04 02 00 00 00 00");
    expect("18 38 8E 04", "1C 38 CC");
    bmc::users_config c = lan_config();
    c.kg_set = true;
    my_bmc kg{bmc::users(c)};
    expect(kg, "18 38 8E 04", "1C 38 00 01 80 20 02 00 00 00 00", pre_session);  // K_g non-zero, no users
  }

  TEST_CASE_FIXTURE(users_rig, "bmc users: ipmitool channel getciphers ipmi 1 lists suites 3 and 17 and nothing "
                    "else, never 0") {
    const auto pre_session = on_lan(bmc::privilege::unspecified);
    // ten record bytes: fewer than 16 ends the list after index 0
    expect("18 54 01 00 80", "1C 54 00 01 C0 03 01 41 81 C0 11 03 44 81", pre_session);
    expect("18 54 0E 00 80", "1C 54 00 01 C0 03 01 41 81 C0 11 03 44 81", pre_session);
    expect("18 54 01 01 80", "1C 54 00 01 C0 03 01 41 81 C0 11 03 44 81", pre_session);  // SOL
    expect("18 54 01 00 81", "1C 54 00 01", pre_session);  // past the list: the channel alone
    expect("18 54 01 00 00", "1C 54 00 01 01 03 41 44 81", pre_session);  // the algorithms
    expect("18 54 01 02 80", "1C 54 CC", pre_session);  // OEM explicit payload
    expect("18 54 0F 00 80", "1C 54 CC");               // the system interface has no cipher suites

    bmc::users_config c = lan_config();
    c.cipher_suite_3 = false;
    my_bmc only17{bmc::users(c)};
    expect(only17, "18 54 01 00 80", "1C 54 00 01 C0 11 03 44 81", pre_session);
    expect(only17, "18 54 01 00 00", "1C 54 00 01 03 44 81", pre_session);
    c.cipher_suite_17 = false;
    CHECK_FALSE(c.ok());  // no suite at all: the default config instead
    CHECK_FALSE(bmc::users(c).config_ok());
  }

  TEST_CASE("bmc users: Get Channel Cipher Suites pages 16 record bytes per list index") {
    // Both suites listed twice over three channels' worth is not configurable; the paging is
    // the response type's: 16 bytes at index 0 means "ask for index 1". Here the 10-byte list
    // is read at every index: only index 0 carries bytes.
    users_dispatcher d = all_commands();
    my_bmc b;
    for (std::uint8_t index = 0; index <= 0x3F; ++index) {
      const bytes r = test::dispatch_bytes(d, b, {0x18, 0x54, 0x01, 0x00, static_cast<std::uint8_t>(0x80 | index)},
                                           on_lan(bmc::privilege::unspecified));
      REQUIRE(r.size() >= 4);
      CHECK(r.size() == (index == 0 ? 14u : 4u));
    }
  }

  // --- privileges ------------------------------------------------------------------------------

  TEST_CASE_FIXTURE(users_rig, "bmc users: the commands' privileges are Appendix G's; the pre-session ones need none") {
    const auto none = on_lan(bmc::privilege::unspecified);
    const auto user = on_lan(bmc::privilege::user);
    const auto op = on_lan(bmc::privilege::operator_);
    CHECK(code_of("18 38 8E 04", none) == 0x00);
    CHECK(code_of("18 54 0E 00 80", none) == 0x00);
    CHECK(code_of("18 42 0E", none) == 0xD4);
    CHECK(code_of("18 42 0E", user) == 0x00);
    CHECK(code_of("18 41 01 80", user) == 0x00);
    CHECK(code_of("18 44 01 02", user) == 0xD4);
    CHECK(code_of("18 44 01 02", op) == 0x00);
    CHECK(code_of("18 46 02", op) == 0x00);
    CHECK(code_of(password_request(2, 0x02, "x", false), op) == 0xD4);  // Set User Password: administrator
    CHECK(code_of(name_request(2, "x"), op) == 0xD4);
    CHECK(code_of("18 43 91 02 04 00", op) == 0xD4);
    CHECK(code_of("18 40 01 82 84", op) == 0xD4);
    CHECK(code_of("30 02 01 03 00 00", user) == 0xD4);  // Get LAN Configuration: operator
    CHECK(code_of("30 02 01 03 00 00", op) == 0x00);
    CHECK(code_of("30 01 01 03 0A 00 00 01", op) == 0xD4);  // Set LAN Configuration: administrator
    CHECK(code_of("30 22 01 01 00 00", user) == 0x00);      // Get SOL Configuration: user
    CHECK(code_of("30 21 01 01 00", op) == 0xD4);            // Set SOL Configuration: administrator
  }

  TEST_CASE("bmc users: each add function registers all of its commands or none") {
    users_dispatcher d;
    bmc::dispatcher<my_bmc, 3> small;  // fewer places than any of the three adds needs
    test::check_all_or_none(d, small, [](auto& x) { return bmc::add_user_commands<&my_bmc::users>(x); }, 5);
    test::check_all_or_none(d, small, [](auto& x) { return bmc::add_channel_commands<&my_bmc::users>(x); }, 5);
    test::check_all_or_none(d, small, [](auto& x) { return bmc::add_lan_commands<&my_bmc::users>(x); }, 4);
    CHECK(d.entries().size() == 14);
    CHECK(small.entries().empty());
  }

  // --- LAN and SOL configuration -----------------------------------------------------------------

  TEST_CASE_FIXTURE(users_rig, "bmc users: ipmitool lan print 1 reads every parameter it prints, byte for byte") {
    expect("18 42 01", "1C 42 00 01 04 01 80 F2 1B 00 00 00");  // is_lan_channel
    // get_lan_param: 01 <parameter> 00 00, in ipmi_lan_print's order
    expect("30 02 01 00 00 00", "34 02 00 11 00");              // set complete
    expect("30 02 01 01 00 00", "34 02 00 11 00");              // no IPMI 1.5 authentication type
    expect("30 02 01 02 00 00", "34 02 00 11 00 00 00 00 00");  // none enabled at any level
    expect("30 02 01 04 00 00", "34 02 00 11 01");              // static address
    expect("30 02 01 03 00 00", "34 02 00 11 C0 A8 01 64");
    expect("30 02 01 06 00 00", "34 02 00 11 FF FF FF 00");
    expect("30 02 01 05 00 00", "34 02 00 11 52 54 00 12 34 56");
    expect("30 02 01 10 00 00", "34 02 00 11 70 75 62 6C 69 63 00 00 00 00 00 00 00 00 00 00 00 00");  // "public"
    expect("30 02 01 07 00 00", "34 02 00 11 40 40 10");  // TTL 64, don't fragment, minimize delay
    expect("30 02 01 0A 00 00", "34 02 00 11 00");
    expect("30 02 01 0B 00 00", "34 02 00 11 00");
    expect("30 02 01 0C 00 00", "34 02 00 11 C0 A8 01 01");
    expect("30 02 01 0D 00 00", "34 02 00 11 00 00 00 00 00 00");
    expect("30 02 01 0E 00 00", "34 02 00 11 00 00 00 00");
    expect("30 02 01 0F 00 00", "34 02 00 11 00 00 00 00 00 00");
    expect("30 02 01 14 00 00", "34 02 00 11 00 00");  // VLAN disabled
    expect("30 02 01 15 00 00", "34 02 00 11 00");
    expect("30 02 01 16 00 00", "34 02 00 11 02");        // two cipher suites
    expect("30 02 01 17 00 00", "34 02 00 11 00 03 11");  // 3 and 17
    expect("30 02 01 18 00 00", "34 02 00 11 00 44 00 00 00 00 00 00 00");  // both up to ADMINISTRATOR
    expect("30 02 01 1A 00 00", "34 02 00 11 00 00 00 00 00 00");
    expect("30 02 81 03 00 00", "34 02 00 11");  // revision only
  }

  TEST_CASE_FIXTURE(users_rig, "bmc users: lan set 1 ipaddr under set in progress writes, reads back and changes the "
                    "generation") {
    const auto g = b.users.generation();
    // set_lan_param: lock (read 0, write 0 = 1), write, read back, commit (0 = 2), unlock (0 = 0)
    expect("30 02 01 00 00 00", "34 02 00 11 00");
    expect("30 01 01 00 01", "34 01 00");
    expect("30 02 01 00 00 00", "34 02 00 11 01");
    expect("30 01 01 03 0A 00 00 05", "34 01 00");
    expect("30 02 01 03 00 00", "34 02 00 11 0A 00 00 05");
    expect("30 01 01 00 02", "34 01 00");
    expect("30 01 01 00 00", "34 01 00");
    expect("30 02 01 00 00 00", "34 02 00 11 00");
    CHECK(b.users.generation() == g + 1);
    expect("30 01 01 03 0A 00 00 05", "34 01 00");  // the same value again: no durable change
    CHECK(b.users.generation() == g + 1);
    expect("30 01 01 18 00 44 00 00 00 00 00 00 00", "34 01 00");  // ipmitool lan set 1 cipher_privs
    expect("30 01 01 14 05 80", "34 01 00");                       // VLAN 5 enabled
    expect("30 02 01 14 00 00", "34 02 00 11 05 80");
  }

  TEST_CASE_FIXTURE(users_rig, "bmc users: LAN parameter refusals by name — 81 set in progress, 82 read-only, 80 "
                    "unknown, CC IPMI 1.5 authentication or another channel") {
    const auto g = b.users.generation();
    expect("30 01 01 00 01", "34 01 00");
    expect("30 01 01 00 01", "34 01 81");  // already in progress
    expect("30 01 01 00 00", "34 01 00");
    expect("30 01 01 01 04", "34 01 82");                    // authentication type support
    expect("30 01 01 05 00 11 22 33 44 55", "34 01 82");     // the MAC
    expect("30 01 01 16 01", "34 01 82");                    // cipher suite count
    expect("30 01 01 17 00 00", "34 01 82");                 // cipher suite IDs: suite 0 cannot be put in
    expect("30 01 01 02 00 00 00 04 00", "34 01 CC");        // MD5 for administrator
    expect("30 01 01 02 01 01 01 01 00", "34 01 CC");        // "none" everywhere
    expect("30 01 01 08 6F 02", "34 01 80");                 // primary RMCP port: not kept
    expect("30 02 01 08 00 00", "34 02 80");
    expect("30 02 01 C0 00 00", "34 02 80");                 // OEM
    expect("30 01 02 03 0A 00 00 05", "34 01 CC");           // not the LAN channel
    expect("30 02 0F 03 00 00", "34 02 CC");
    expect("30 01 01 03 0A 00 00", "34 01 C7");              // too short for parameter 3
    expect("30 01 01 00 03", "34 01 CC");                    // 11b reserved
    expect("30 02 01 02 00 00", "34 02 00 11 00 00 00 00 00");
    CHECK(b.users.generation() == g);
  }

  TEST_CASE_FIXTURE(users_rig, "bmc users: ipmitool sol info 1 reads parameters 0 to 8, byte for byte, and sol set "
                    "writes them") {
    expect("30 22 01 00 00 00", "34 22 00 11 00");
    expect("30 22 01 01 00 00", "34 22 00 11 01");     // enabled
    expect("30 22 01 02 00 00", "34 22 00 11 C2");     // force encryption and authentication, USER
    expect("30 22 01 03 00 00", "34 22 00 11 0C 60");  // 60 ms, 96 characters
    expect("30 22 01 04 00 00", "34 22 00 11 07 32");  // 7 retries, 500 ms
    expect("30 22 01 05 00 00", "34 22 00 11 0A");     // 115.2 kbps
    expect("30 22 01 06 00 00", "34 22 00 11 0A");
    expect("30 22 01 07 00 00", "34 22 00 11 01");     // the LAN channel
    expect("30 22 01 08 00 00", "34 22 00 11 6F 02");  // 623
    const auto g = b.users.generation();
    expect("30 21 01 01 00", "34 21 00");  // sol set enabled false 1
    expect("30 22 01 01 00 00", "34 22 00 11 00");
    CHECK(b.users.generation() == g + 1);
    // refusals: 82 read-only, 80 unknown, 81 set in progress, CC another channel or a reserved rate
    expect("30 21 01 07 02", "34 21 82");
    expect("30 21 01 08 70 02", "34 21 82");
    expect("30 21 01 09 00", "34 21 80");
    expect("30 22 01 09 00 00", "34 22 80");
    expect("30 21 01 00 01", "34 21 00");
    expect("30 21 01 00 01", "34 21 81");
    expect("30 21 03 01 01", "34 21 CC");
    expect("30 21 01 05 03", "34 21 CC");
    CHECK(b.users.generation() == g + 1);
  }

  // --- durability --------------------------------------------------------------------------------

  TEST_CASE_FIXTURE(users_rig, "bmc users: save and load round trip users, passwords, access, the non-volatile "
                    "channel access and the LAN and SOL parameters") {
    provision_admin(b);
    expect(name_request(3, "op"), "1C 45 00");
    expect(password_request(3, 0x02, "0123456789abcdefghij", true), "1C 47 00");
    expect("18 43 B1 03 03 05", "1C 43 00");
    expect("18 40 01 62 43", "1C 40 00");  // non-volatile: PEF alerting off, operator
    expect("30 01 01 03 0A 00 00 05", "34 01 00");
    expect("30 21 01 05 07", "34 21 00");  // 19.2 kbps non-volatile
    expect("30 21 01 06 09", "34 21 00");  // 57.6 kbps volatile

    std::vector<std::uint8_t> saved(bmc::users::saved_size);
    REQUIRE(b.users.save(saved) == saved.size());
    CHECK(b.users.save(std::span(saved).first(saved.size() - 1)) == 0);

    my_bmc c;
    const auto g = c.users.generation();
    REQUIRE(c.users.load(saved) == bmc::users_load_error::ok);
    CHECK(c.users.generation() != g);
    std::vector<std::uint8_t> again(bmc::users::saved_size);
    REQUIRE(c.users.save(again) == again.size());
    CHECK(again == saved);
    expect(c, "18 46 03", "1C 46 00 6F 70 00 00 00 00 00 00 00 00 00 00 00 00 00 00");
    expect(c, password_request(3, 0x03, "0123456789abcdefghij", true), "1C 47 00");
    expect(c, "18 44 01 03", "1C 44 00 0A 81 01 33");
    expect(c, "18 41 01 40", "1C 41 00 22 03");
    expect(c, "18 41 01 80", "1C 41 00 22 03");  // the volatile settings start as the non-volatile ones
    expect(c, "30 02 01 03 00 00", "34 02 00 11 0A 00 00 05");
    expect(c, "30 22 01 06 00 00", "34 22 00 11 07");  // the volatile bit rate: the non-volatile one
    CHECK(c.users.can_log_in(2));
    CHECK(c.users.find(3)->session_limit == 5);
  }

  TEST_CASE("bmc users: each load error by name, and the users unchanged after a failed load") {
    my_bmc b;
    provision_admin(b);
    std::vector<std::uint8_t> good(bmc::users::saved_size);
    REQUIRE(b.users.save(good) == good.size());

    my_bmc target;
    REQUIRE(target.users.set_user(4, {"keep", "me"}) == bmc::user_error::ok);
    std::vector<std::uint8_t> before(bmc::users::saved_size);
    REQUIRE(target.users.save(before) == before.size());
    const auto g = target.users.generation();

    const auto refused = [&](std::span<const std::uint8_t> in, bmc::users_load_error e) {
      CHECK(bmc::name(target.users.load(in)) == bmc::name(e));
      std::vector<std::uint8_t> now(bmc::users::saved_size);
      REQUIRE(target.users.save(now) == now.size());
      CHECK(now == before);
      CHECK(target.users.generation() == g);
    };
    const auto resealed = [](std::vector<std::uint8_t> v) {  // a valid CRC over changed bytes
      const std::size_t body = v.size() - 4;
      const std::uint32_t crc = ipmikit::crc32(std::span<const std::uint8_t>(v).first(body));
      for (std::size_t i = 0; i < 4; ++i) v[body + i] = static_cast<std::uint8_t>(crc >> (8 * i));
      return v;
    };

    refused(std::span(good).first(11), bmc::users_load_error::too_short);
    auto magic = good;
    magic[0] = 'X';
    refused(magic, bmc::users_load_error::bad_magic);
    auto version = good;
    version[4] = 2;
    refused(version, bmc::users_load_error::bad_version);
    bmc::basic_users<5> five;
    std::vector<std::uint8_t> small(bmc::basic_users<5>::saved_size);
    REQUIRE(five.save(small) == small.size());
    refused(small, bmc::users_load_error::size_mismatch);
    refused(std::span(good).first(good.size() - 1), bmc::users_load_error::bad_length);
    auto longer = good;
    longer.push_back(0);
    refused(longer, bmc::users_load_error::bad_length);
    auto damaged = good;
    damaged[20] ^= 0x01;
    refused(damaged, bmc::users_load_error::bad_checksum);
    auto flags = good;
    flags[12 + 36] = 0x04;  // user 1's flags: a reserved bit
    refused(resealed(flags), bmc::users_load_error::bad_value);
    auto named = good;
    named[12] = 'x';  // user 1 with a name
    refused(resealed(named), bmc::users_load_error::bad_value);
    auto md5 = good;
    md5[12 + 10 * bmc::users::user_saved_size + 2 + 3] = 0x04;  // LAN parameter 2: MD5 for administrator
    refused(resealed(md5), bmc::users_load_error::bad_value);

    // A null user enabled with IPMI messaging, saved where null users are allowed, is refused
    // where they are not.
    bmc::users_config c = lan_config();
    c.allow_null_user = true;
    bmc::users open(c);
    users_dispatcher d = all_commands();
    my_bmc holder{open};
    expect(d, holder, "18 43 91 01 04 00", "1C 43 00");
    expect(d, holder, password_request(1, 0x01, "", false), "1C 47 00");
    std::vector<std::uint8_t> anonymous(bmc::users::saved_size);
    REQUIRE(holder.users.save(anonymous) == anonymous.size());
    refused(anonymous, bmc::users_load_error::bad_value);
    CHECK(open.load(anonymous) == bmc::users_load_error::ok);
  }

  // --- at compile time ---------------------------------------------------------------------------

  TEST_CASE("bmc users: user set name/password/enable, user test, getciphers and save/load run in constant "
            "evaluation") {
    test::check_at_compile_time([] {
      users_dispatcher d;
      if (bmc::add_user_commands<&my_bmc::users>(d) != bmc::add_error::ok ||
          bmc::add_channel_commands<&my_bmc::users>(d) != bmc::add_error::ok ||
          bmc::add_lan_commands<&my_bmc::users>(d) != bmc::add_error::ok)
        return false;
      my_bmc b;
      std::array<std::uint8_t, 48> out{};
      const std::array<std::uint8_t, 19> name{0x18, 0x45, 0x03, 'b', 'o', 'b'};
      std::array<std::uint8_t, 20> set_pw{0x18, 0x47, 0x03, 0x02, 'p', 'w'};
      const std::array<std::uint8_t, 6> access{0x18, 0x43, 0xB1, 0x03, 0x04, 0x00};
      std::array<std::uint8_t, 20> enable{0x18, 0x47, 0x03, 0x01};
      for (const std::span<const std::uint8_t> m :
           {std::span<const std::uint8_t>(name), std::span<const std::uint8_t>(set_pw), std::span<const std::uint8_t>(access),
            std::span<const std::uint8_t>(enable)})
        if (d.dispatch(b, m, {}, out).code != completion_code::success) return false;
      set_pw[3] = 0x03;
      if (d.dispatch(b, set_pw, {}, out).code != completion_code::success) return false;
      set_pw[5] = 'W';
      if (d.dispatch(b, set_pw, {}, out).code != cmd::password_test_failed) return false;
      const std::array<std::uint8_t, 5> ciphers{0x18, 0x54, 0x0E, 0x00, 0x80};
      const auto r = d.dispatch(b, ciphers, {bmc::privilege::unspecified, 1}, out);
      if (r.size != 14 || out[4] != 0xC0 || out[5] != 0x03 || out[9] != 0xC0 || out[10] != 0x11) return false;
      const std::array<std::uint8_t, 6> lan_ip{0x30, 0x02, 0x01, 0x03, 0x00, 0x00};
      if (d.dispatch(b, lan_ip, {}, out).size != 8 || out[4] != 192 || out[7] != 100) return false;
      std::array<std::uint8_t, bmc::users::saved_size> saved{};
      if (b.users.save(saved) != saved.size()) return false;
      bmc::users c;
      return c.load(saved) == bmc::users_load_error::ok && c.can_log_in(3) && c.find_user("bob") == 3;
    });
    static_assert(bmc::users::saved_size == 12 + 10 * 39 + 2 + bmc::lan_saved_parameters::saved_size +
                                                bmc::sol_saved_parameters::saved_size + 4);
  }
}
