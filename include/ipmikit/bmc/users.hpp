// ipmikit/bmc/users.hpp — users, channels, and the LAN and SOL configuration parameters as one
// component: the user slots (IPMI v2.0 §22.26-§22.30), the system interface and one LAN channel
// (Get Channel Info, Get/Set Channel Access, §22.22-§22.24), what a LAN client asks before it
// logs in (Get Channel Authentication Capabilities §22.13, Get Channel Cipher Suites §22.15),
// and the LAN (§23) and SOL (§26) configuration parameters; the durable part saved to and
// loaded from bytes. One object, because these decide together who may log in on the LAN
// channel, and the later RMCP+ session asks it: find_user(), can_log_in(), password_key().
//
//   bmc::users u(bmc::users_config{.lan_channel = 1, .mac = {...}});
//   u.set_user(2, {.name = "admin", .password = "s3cret-pass", .limit = bmc::privilege::administrator});
//   bmc::add_user_commands<&my_bmc::users>(dispatcher);     // Get/Set User Name, Password, Access
//   bmc::add_channel_commands<&my_bmc::users>(dispatcher);  // channel info/access, auth caps, ciphers
//   bmc::add_lan_commands<&my_bmc::users>(dispatcher);      // Get/Set LAN and SOL configuration
//   if (u.generation() != saved) n = u.save(buffer);        // users, passwords, access, LAN config
//
// Secure by default (../shared/reference/lan.md §15): a user with an empty name (the null user,
// user 1) is never both enabled and allowed IPMI messaging on the LAN channel unless the config
// allows null users; no IPMI 1.5 authentication type is advertised or can be enabled; only
// cipher suites 3 and 17 are listed (never 0); authentication cannot be switched off per channel.
// Passwords are compared in constant time and are in nothing this header prints or names.
//
// Sans-IO: no clock, no heap, no exceptions, no I/O; everything is constexpr. docs/bmc-users.md.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>
#include <tuple>
#include <type_traits>
#include <variant>

#include "../cmd/app.hpp"
#include "../cmd/codec.hpp"
#include "../cmd/parameters.hpp"
#include "../cmd/transport.hpp"
#include "../detail/constant_time.hpp"
#include "../message.hpp"
#include "dispatcher.hpp"
#include "saved.hpp"

namespace ipmikit::bmc {

// ---------------------------------------------------------------------------------------------
// Numbers

inline constexpr std::size_t default_max_users = 10;  // user IDs 1-10 (IPMI v2.0 §22.27 allows 1-63)
inline constexpr std::uint8_t null_user_id = 1;       // bmc-commands.md §1.2: user 1 is the null (anonymous) user by the spec's convention
inline constexpr std::size_t password_size = 20;      // IPMI v2.0 §22.30: the 20-byte form; the 16-byte form zero-pads
inline constexpr std::uint8_t default_lan_channel = 1;
inline constexpr std::uint16_t rmcp_port = 623;       // lan.md §1: UDP 623, where SOL is served too (sol.md §4)

/// Set Channel Access completion codes (IPMI v2.0 §22.22).
inline constexpr completion_code channel_set_not_supported = static_cast<completion_code>(0x82);  // IPMI v2.0 §22.22: 82h set not supported on selected channel (session-less)
inline constexpr completion_code channel_access_mode_not_supported = static_cast<completion_code>(0x83);  // IPMI v2.0 §22.22: 83h access mode not supported

/// LAN and SOL configuration parameter completion codes (IPMI v2.0 §23.1, §26.2).
inline constexpr completion_code parameter_not_supported = static_cast<completion_code>(0x80);  // IPMI v2.0 §23.1/§26.2: 80h parameter not supported
inline constexpr completion_code parameter_set_in_progress = static_cast<completion_code>(0x81);  // IPMI v2.0 §23.1/§26.2: 81h set already in progress
inline constexpr completion_code parameter_read_only = static_cast<completion_code>(0x82);  // IPMI v2.0 §23.1/§26.2: 82h write to a read-only parameter

/// The cipher suites this component can list (lan.md §5): 3 is SHA1 / HMAC-SHA1-96 /
/// AES-CBC-128, 17 SHA256 / HMAC-SHA256-128 / AES-CBC-128. The record Get Channel Cipher Suites
/// sends for each (IPMI v2.0 §22.15: C0h, suite, auth, integrity|40h, confidentiality|80h).
inline constexpr std::array<std::uint8_t, 5> cipher_suite_3_record{0xC0, 0x03, 0x01, 0x41, 0x81};   // lan.md §4
inline constexpr std::array<std::uint8_t, 5> cipher_suite_17_record{0xC0, 0x11, 0x03, 0x44, 0x81};  // lan.md §4

// ---------------------------------------------------------------------------------------------
// Configuration

/// What the owner configures (not saved: it comes from the configuration every start).
struct users_config {
  std::uint8_t lan_channel = default_lan_channel;  // 1h-Bh (IPMI v2.0 §6.3: implementation-specific channels)
  /// Lets a user with an empty name be enabled with IPMI messaging on the LAN channel (lan.md
  /// §15: anonymous login). Off: such a Set is refused with D6h.
  bool allow_null_user = false;
  bool cipher_suite_3 = true;   // listed by Get Channel Cipher Suites and LAN parameter 23
  bool cipher_suite_17 = true;
  bool kg_set = false;          // Get Channel Authentication Capabilities byte 3 b5: the LAN side holds a non-zero K_g
  cmd::channel_protocol system_interface_protocol = cmd::channel_protocol::kcs;  // Get Channel Info for 0Fh
  std::array<std::uint8_t, 6> mac{};  // LAN parameter 5 (read only)
  // The LAN parameters' first values (writable afterwards, and saved):
  cmd::lan::ip_source ip_source = cmd::lan::ip_source::static_address;
  std::array<std::uint8_t, 4> ip{};
  std::array<std::uint8_t, 4> subnet{};
  std::array<std::uint8_t, 4> gateway{};
  std::uint16_t sol_port = rmcp_port;  // SOL parameter 8 (read only)
  bool sol_enabled = true;             // SOL parameter 1's first value

  /// A LAN channel of 1h-Bh and at least one cipher suite.
  [[nodiscard]] constexpr bool ok() const noexcept {
    return lan_channel >= 1 && lan_channel <= 0xB && (cipher_suite_3 || cipher_suite_17);
  }
};

/// A user as the owner provisions it (set_user): the name, the password (16-byte form when it
/// fits in 16 bytes, else the 20-byte form), the privilege limit on the LAN channel, and
/// whether it is enabled with IPMI messaging there.
struct user_settings {
  std::string_view name{};
  std::string_view password{};
  cmd::privilege limit = cmd::privilege::administrator;
  bool enabled = true;
};

/// Why set_user() refused (and changed nothing). 0 is success.
enum class user_error : std::uint8_t {
  ok = 0,
  no_such_user = 1,       // a user ID outside 1..MaxUsers
  name_too_long = 2,      // more than 16 bytes
  password_too_long = 3,  // more than 20 bytes
  fixed_name = 4,         // user 1's name is fixed empty
  duplicate_name = 5,     // another user has that name (a LAN login looks users up by name)
  null_user = 6,          // an empty name, enabled, while the config does not allow null users
  bad_limit = 7,          // a privilege limit other than callback..oem or no_access
};

[[nodiscard]] constexpr std::string_view name(user_error e) noexcept {
  return cmd::detail::enum_name<user_error, 8>(
      e, {"ok", "no_such_user", "name_too_long", "password_too_long", "fixed_name", "duplicate_name", "null_user",
          "bad_limit"});
}

/// Why load() refused saved bytes (and changed nothing). 0 is success; 1-6 are
/// detail::saved_error's.
enum class users_load_error : std::uint8_t {
  ok = 0,
  too_short = 1,      // fewer bytes than the saved header
  bad_magic = 2,      // not "ikUS": not saved users
  bad_version = 3,    // a format version this ipmikit does not read
  size_mismatch = 4,  // saved with another number of user slots than MaxUsers
  bad_length = 5,     // the byte count does not match the header (truncated, or bytes after it)
  bad_checksum = 6,   // the CRC-32 does not match: the bytes are damaged
  bad_value = 7,      // a field the commands would refuse (a reserved bit, a null user, ...)
};

[[nodiscard]] constexpr std::string_view name(users_load_error e) noexcept {
  return cmd::detail::enum_name<users_load_error, 8>(
      e, {"ok", "too_short", "bad_magic", "bad_version", "size_mismatch", "bad_length", "bad_checksum", "bad_value"});
}

/// The saved format (ipmikit's own, little-endian): "ikUS", format version, 3 zero bytes,
/// MaxUsers (4 bytes), the body (per user: name 16, password 20, flags, access, session limit;
/// the LAN channel's non-volatile access 2; the writable LAN parameters' data in the order of
/// lan_saved_parameters; the SOL ones'), then the CRC-32 of everything before it (4 bytes).
inline constexpr std::array<std::uint8_t, 4> users_save_magic{0x69, 0x6B, 0x55, 0x53};  // "ikUS"
inline constexpr std::uint8_t users_save_version = 1;
inline constexpr std::size_t users_save_header_size = detail::saved_header_size;

// ---------------------------------------------------------------------------------------------
// A family of configuration parameters kept as typed values

namespace detail::users {

/// The writable parameters of a family (cmd::detail::parameter_family), one value of each:
/// read by number into a Get response, written from a Set request, saved and loaded in order.
template <class Family, class... Writable>
struct parameter_store {
  std::tuple<Writable...> values{};

  /// The encoded size of all of them (they are fixed-size).
  static constexpr std::size_t saved_size = [] {
    std::array<std::uint8_t, 64 * sizeof...(Writable)> buf{};
    cmd::writer w(buf);
    (cmd::detail::write_fields(w, Writable{}), ...);
    return w.size();
  }();

  template <class T>
  [[nodiscard]] constexpr const T& get() const noexcept { return std::get<T>(values); }
  template <class T>
  constexpr void put(const T& v) noexcept { std::get<T>(values) = v; }

  /// Writes parameter `n`'s data to `out` (a Get response); false when `n` is not stored here.
  template <class Response>
  constexpr bool read(std::uint8_t n, Response& out) const noexcept {
    return std::apply(
        [&](const auto&... v) {
          return ((n == std::decay_t<decltype(v)>::number ? (static_cast<void>(out.set_value(typename Family::value{v})), true)
                                                          : false) ||
                  ...);
        },
        values);
  }
  /// Stores `p` when it is one of these; `changed` says whether the value differs.
  constexpr bool write(const typename Family::value& p, bool& changed) noexcept {
    return std::apply([&](auto&... v) { return (assign(v, p, changed) || ...); }, values);
  }
  constexpr void save(cmd::writer& w) const noexcept {
    std::apply([&](const auto&... v) { (cmd::detail::write_fields(w, v), ...); }, values);
  }
  constexpr void load(cmd::reader& r) noexcept {
    std::apply([&](auto&... v) { ((v = cmd::detail::read_fields<std::decay_t<decltype(v)>>(r)), ...); }, values);
  }
  friend constexpr bool operator==(const parameter_store&, const parameter_store&) noexcept = default;

 private:
  template <class T>
  static constexpr bool assign(T& slot, const typename Family::value& p, bool& changed) noexcept {
    const T* v = std::get_if<T>(&p);
    if (v == nullptr) return false;
    changed = !(slot == *v);
    slot = *v;
    return true;
  }
};

/// Parameter 0 of either family (IPMI v2.0 §23.1, §26.2; as the boot options' §28.12): "set
/// in progress" while one is in progress is 81h; commit write is accepted (every write takes
/// effect at once) and leaves the state as it is.
constexpr completion_code set_in_progress(bool& in_progress, cmd::set_in_progress_state s) noexcept {
  if (static_cast<std::uint8_t>(s) > 2) return completion_code::invalid_data_field;
  if (s == cmd::set_in_progress_state::set_in_progress && in_progress) return parameter_set_in_progress;
  if (s != cmd::set_in_progress_state::commit_write) in_progress = s == cmd::set_in_progress_state::set_in_progress;
  return completion_code::success;
}

}  // namespace detail::users

/// The LAN parameters a client writes and save() keeps (IPMI v2.0 §23.2): 2-4, 6, 7, 10-16,
/// 20, 21, 24, 26. Read only: 1 (no IPMI 1.5 authentication type), 5 (the MAC), 22 and 23
/// (the cipher suites). Any other: 80h.
using lan_saved_parameters =
    detail::users::parameter_store<cmd::lan::family, cmd::lan::auth_type_enables, cmd::lan::ip_address,
                                   cmd::lan::ip_address_source, cmd::lan::subnet_mask, cmd::lan::ipv4_header_parameters,
                                   cmd::lan::arp_control, cmd::lan::gratuitous_arp_interval,
                                   cmd::lan::default_gateway_ip, cmd::lan::default_gateway_mac,
                                   cmd::lan::backup_gateway_ip, cmd::lan::backup_gateway_mac,
                                   cmd::lan::community_string, cmd::lan::vlan_id, cmd::lan::vlan_priority,
                                   cmd::lan::cipher_suite_privileges, cmd::lan::bad_password_threshold>;

/// The SOL parameters a client writes and save() keeps (IPMI v2.0 §26.3): 1-5. The volatile
/// bit rate (6) is writable but not saved: it starts as the non-volatile one. Read only: 7 (the
/// payload channel, the LAN channel) and 8 (the port). Any other: 80h.
using sol_saved_parameters =
    detail::users::parameter_store<cmd::sol::family, cmd::sol::enable, cmd::sol::authentication,
                                   cmd::sol::character_accumulate, cmd::sol::retry, cmd::sol::non_volatile_bit_rate>;

// ---------------------------------------------------------------------------------------------
// The component

/// MaxUsers user slots (IDs 1..MaxUsers), the system interface (0Fh) and one LAN channel.
template <std::size_t MaxUsers>
class basic_users {
  static_assert(MaxUsers >= 1 && MaxUsers <= 63, "IPMI user IDs are 1-63 (IPMI v2.0 §22.27)");

 public:
  static constexpr std::size_t max_users = MaxUsers;

  /// One user slot. The password is a secret: it is in no name(), no printer, no error.
  struct user {
    cmd::user_name name{};
    std::array<std::uint8_t, password_size> password{};
    bool twenty_byte = false;  // set with the 20-byte form of Set User Password
    bool enabled = false;
    // Access on the LAN channel (IPMI v2.0 §22.26):
    bool callback_only = false;
    bool link_auth = false;
    bool ipmi_messaging = false;
    cmd::privilege limit = cmd::privilege::no_access;
    std::uint8_t session_limit = 0;  // 0: limited by the channel only
    friend constexpr bool operator==(const user&, const user&) noexcept = default;
  };

  /// A channel's access settings (IPMI v2.0 §22.22): the access byte and the privilege limit.
  struct channel_access {
    cmd::channel_access_mode mode = cmd::channel_access_mode::always_available;
    bool pef_alerting_disabled = false;
    cmd::privilege limit = cmd::privilege::administrator;
    friend constexpr bool operator==(const channel_access&, const channel_access&) noexcept = default;
  };

  static constexpr std::size_t user_saved_size = 16 + password_size + 3;  // name, password, flags, access, session limit
  /// The bytes save() writes.
  static constexpr std::size_t saved_size = users_save_header_size + MaxUsers * user_saved_size + 2 +
                                            lan_saved_parameters::saved_size + sol_saved_parameters::saved_size +
                                            detail::saved_trailer_size;

  /// Every user disabled with no name, no password and no access; the LAN channel always
  /// available up to administrator; the LAN and SOL parameters from the config. A config that
  /// is not ok() is replaced by the default one (config_ok() says so).
  constexpr basic_users() noexcept : basic_users(users_config{}) {}
  constexpr explicit basic_users(const users_config& cfg) noexcept
      : cfg_(cfg.ok() ? cfg : users_config{}), config_ok_(cfg.ok()) {
    // Each slot assigned: in a translation unit that also evaluates this constructor in a
    // constant expression, GCC 12.2 at -O0 emitted `users_{}`'s slots 4-10 as zeros instead of
    // their default member initializers (a privilege limit of 0h, which Get User Access cannot
    // encode).
    users_.fill(user{});
    lan_.put(cmd::lan::ip_address_source{cfg_.ip_source});
    lan_.put(cmd::lan::ip_address{cfg_.ip});
    lan_.put(cmd::lan::subnet_mask{cfg_.subnet});
    lan_.put(cmd::lan::default_gateway_ip{cfg_.gateway});
    cmd::lan::cipher_suite_privileges privileges;
    for (std::size_t i = 0; i < cipher_suite_count(); ++i)
      privileges.max_privilege[i] = cmd::lan::cipher_privilege::administrator;
    lan_.put(privileges);
    lan_.put(cmd::lan::community_string{{'p', 'u', 'b', 'l', 'i', 'c'}});  // the SNMP default community
    sol_.put(cmd::sol::enable{cfg_.sol_enabled});
    sol_.put(cmd::sol::authentication{true, true, cmd::sol::privilege::user});
    sol_.put(cmd::sol::character_accumulate{12, 96});  // 60 ms, 96 characters
    sol_.put(cmd::sol::retry{7, 50});                   // 7 retries, 500 ms apart
    sol_.put(cmd::sol::non_volatile_bit_rate{cmd::sol::bit_rate::bps_115200});
  }

  [[nodiscard]] constexpr const users_config& config() const noexcept { return cfg_; }
  [[nodiscard]] constexpr bool config_ok() const noexcept { return config_ok_; }

  // --- users, for the owner and the LAN side -------------------------------------------------

  /// User `id` (1..MaxUsers), or null.
  [[nodiscard]] constexpr const user* find(std::uint8_t id) const noexcept {
    return id >= 1 && id <= MaxUsers ? &users_[id - 1u] : nullptr;
  }
  /// The ID of the user named `name` (the RMCP+ name lookup, RAKP 1), or none. An empty name is
  /// user 1 when null users are allowed.
  [[nodiscard]] constexpr std::optional<std::uint8_t> find_user(std::string_view name) const noexcept {
    if (name.empty()) return cfg_.allow_null_user ? std::optional<std::uint8_t>{null_user_id} : std::nullopt;
    for (std::size_t i = 0; i < MaxUsers; ++i)
      if (cmd::name_view(users_[i].name) == name) return static_cast<std::uint8_t>(i + 1);
    return std::nullopt;
  }
  /// The highest privilege user `id` may have in a LAN session: the lower of its limit and the
  /// channel's, or no_access when it may not log in (disabled, no IPMI messaging, the channel
  /// disabled, a null user not allowed).
  [[nodiscard]] constexpr cmd::privilege login_limit(std::uint8_t id) const noexcept {
    const user* u = find(id);
    if (u == nullptr || !u->enabled || !u->ipmi_messaging || u->limit == cmd::privilege::no_access ||
        volatile_.mode == cmd::channel_access_mode::disabled)
      return cmd::privilege::no_access;
    if (cmd::name_view(u->name).empty() && !cfg_.allow_null_user) return cmd::privilege::no_access;
    return u->limit < volatile_.limit ? u->limit : volatile_.limit;
  }
  [[nodiscard]] constexpr bool can_log_in(std::uint8_t id) const noexcept {
    return login_limit(id) != cmd::privilege::no_access;
  }
  /// The RMCP+ key K_uid of user `id` (lan.md §8: the password, zero-padded to 20 bytes). A
  /// secret: hand it to the crypto, nowhere else. Zeros for an unknown user.
  [[nodiscard]] constexpr std::array<std::uint8_t, password_size> password_key(std::uint8_t id) const noexcept {
    const user* u = find(id);
    return u == nullptr ? std::array<std::uint8_t, password_size>{} : u->password;
  }

  /// Provisions user `id` from the owner's configuration: name, password, the LAN channel's
  /// privilege limit, IPMI messaging and link authentication on, enabled or not. Refused, and
  /// nothing changes, with a named user_error.
  constexpr user_error set_user(std::uint8_t id, const user_settings& s) noexcept {
    if (find(id) == nullptr) return user_error::no_such_user;
    const auto n = cmd::make_user_name(s.name);
    if (!n) return user_error::name_too_long;
    if (s.password.size() > password_size) return user_error::password_too_long;
    if (!cmd::detail::app::user_level_ok(s.limit)) return user_error::bad_limit;
    user next = users_[id - 1u];
    next.name = *n;
    next.password = {};
    for (std::size_t i = 0; i < s.password.size(); ++i) next.password[i] = static_cast<std::uint8_t>(s.password[i]);
    next.twenty_byte = s.password.size() > cmd::set_user_password::short_password_size;
    next.enabled = s.enabled;
    next.ipmi_messaging = s.enabled;
    next.link_auth = s.enabled;
    next.limit = s.limit;
    return replace(id, next);
  }

  // --- the user commands ---------------------------------------------------------------------
  // Each takes the command's typed request and response and the channel the request came in
  // on (for Eh, "this channel"), and returns the completion code.

  /// Get User Name (IPMI v2.0 §22.29). A user ID past MaxUsers: CCh.
  constexpr completion_code get_user_name(const cmd::get_user_name::request& rq, cmd::get_user_name::response& rs,
                                          std::uint8_t = 0) const noexcept {
    const user* u = find(rq.user_id);
    if (u == nullptr) return completion_code::invalid_data_field;
    rs.name = u->name;
    return completion_code::success;
  }

  /// Set User Name (IPMI v2.0 §22.28). Refused with CCh: a user ID past MaxUsers, user 1 (its
  /// name is fixed empty: Get User Access counts it as the fixed name), a name another user
  /// has; with D6h: an empty name for a user enabled with IPMI messaging (a null user) while
  /// the config does not allow null users.
  constexpr completion_code set_user_name(const cmd::set_user_name::request& rq, cmd::no_data&,
                                          std::uint8_t = 0) noexcept {
    const user* u = find(rq.user_id);
    if (u == nullptr || rq.user_id == null_user_id) return completion_code::invalid_data_field;
    user next = *u;
    next.name = rq.name;
    return to_completion_code(replace(rq.user_id, next));
  }

  /// Set User Password (IPMI v2.0 §22.30): set the password (16 or 20 bytes, as the request's
  /// form; the form is remembered), enable or disable the user, or test the password: 80h when
  /// it differs, 81h when the form differs from the one it was set with (compared in constant
  /// time either way). Refused: a user ID past MaxUsers (CCh); enabling a null user with IPMI
  /// messaging while the config does not allow null users (D6h).
  constexpr completion_code set_user_password(const cmd::set_user_password::request& rq, cmd::no_data&,
                                              std::uint8_t = 0) noexcept {
    const user* u = find(rq.user_id);
    if (u == nullptr) return completion_code::invalid_data_field;
    user next = *u;
    switch (rq.operation) {
      case cmd::password_operation::test_password: {
        const bool same = ipmikit::detail::equal_in_constant_time(u->password, rq.password);
        if (rq.twenty_byte != u->twenty_byte) return cmd::password_test_failed_wrong_size;
        return same ? completion_code::success : cmd::password_test_failed;
      }
      case cmd::password_operation::set_password:
        next.password = rq.password;  // the 16-byte form's last 4 bytes are 0 (parse's)
        next.twenty_byte = rq.twenty_byte;
        break;
      case cmd::password_operation::enable_user: next.enabled = true; break;
      case cmd::password_operation::disable_user: next.enabled = false; break;
    }
    return to_completion_code(replace(rq.user_id, next));
  }

  /// Get User Access (IPMI v2.0 §22.27): the counts ipmitool's `user list` reads (max user IDs
  /// MaxUsers, the enabled ones, one fixed name: user 1), the user's enable status and its
  /// access on the LAN channel. Refused with CCh: a user ID past MaxUsers, a channel other than
  /// the LAN channel (the system interface has no users).
  constexpr completion_code get_user_access(const cmd::get_user_access::request& rq,
                                            cmd::get_user_access::response& rs, std::uint8_t from) const noexcept {
    const user* u = find(rq.user_id);
    if (u == nullptr || !is_lan(rq.channel, from)) return completion_code::invalid_data_field;
    rs.max_user_ids = static_cast<std::uint8_t>(MaxUsers);
    rs.enable_status = u->enabled ? cmd::user_enable_status::enabled : cmd::user_enable_status::disabled;
    std::uint8_t enabled = 0;
    for (const user& each : users_) enabled = static_cast<std::uint8_t>(enabled + (each.enabled ? 1 : 0));
    rs.enabled_user_ids = enabled;
    rs.fixed_name_user_ids = 1;
    rs.callback_only = u->callback_only;
    rs.link_auth = u->link_auth;
    rs.ipmi_messaging = u->ipmi_messaging;
    rs.privilege_limit = u->limit;
    return completion_code::success;
  }

  /// Set User Access (IPMI v2.0 §22.26): the privilege limit, the session limit when given, and
  /// with byte 1 b7 the callback-only, link authentication and IPMI messaging bits. Refused:
  /// a user ID past MaxUsers or a channel other than the LAN channel (CCh); IPMI messaging for
  /// an enabled user with an empty name while the config does not allow null users (D6h).
  constexpr completion_code set_user_access(const cmd::set_user_access::request& rq, cmd::no_data&,
                                            std::uint8_t from) noexcept {
    const user* u = find(rq.user_id);
    if (u == nullptr || !is_lan(rq.channel, from)) return completion_code::invalid_data_field;
    user next = *u;
    next.limit = rq.privilege_limit;
    if (rq.has_session_limit) next.session_limit = rq.session_limit;
    if (rq.change_bits) {
      next.callback_only = rq.callback_only;
      next.link_auth = rq.link_auth;
      next.ipmi_messaging = rq.ipmi_messaging;
    }
    return to_completion_code(replace(rq.user_id, next));
  }

  // --- the channel commands ------------------------------------------------------------------

  /// Get Channel Info (IPMI v2.0 §22.24): 0Fh the system interface (session-less, the
  /// configured protocol); the LAN channel 802.3 LAN, IPMB-1.0 (the protocol LAN channels
  /// report, bmc-commands.md §1.1), multi-session with active_sessions(). Any other: CCh.
  constexpr completion_code get_channel_info(const cmd::get_channel_info::request& rq,
                                             cmd::get_channel_info::response& rs, std::uint8_t from) const noexcept {
    const std::uint8_t ch = actual(rq.channel, from);
    rs.channel = ch;
    if (ch == cmd::system_interface_channel) {
      rs.medium = cmd::channel_medium::system_interface;
      rs.protocol = cfg_.system_interface_protocol;
      rs.sessions = cmd::session_support::session_less;
      return completion_code::success;
    }
    if (ch != cfg_.lan_channel) return completion_code::invalid_data_field;
    rs.medium = cmd::channel_medium::lan_802_3;
    rs.protocol = cmd::channel_protocol::ipmb;
    rs.sessions = cmd::session_support::multi_session;
    rs.active_sessions = active_sessions_;
    return completion_code::success;
  }

  /// Get Channel Access (IPMI v2.0 §22.23): the LAN channel's volatile or non-volatile
  /// settings; authentication is never disabled. Any other channel: CCh.
  constexpr completion_code get_channel_access(const cmd::get_channel_access::request& rq,
                                               cmd::get_channel_access::response& rs,
                                               std::uint8_t from) const noexcept {
    if (!is_lan(rq.channel, from)) return completion_code::invalid_data_field;
    const channel_access& a = rq.setting == cmd::channel_setting::non_volatile ? non_volatile_ : volatile_;
    rs.pef_alerting_disabled = a.pef_alerting_disabled;
    rs.access_mode = a.mode;
    rs.privilege_limit = a.limit;
    return completion_code::success;
  }

  /// Set Channel Access (IPMI v2.0 §22.22) of the LAN channel: the access byte and the
  /// privilege limit, each to the volatile or the non-volatile settings as the request says.
  /// Refused, nothing changed: the system interface (82h, session-less), another channel
  /// (CCh), pre-boot only or shared access (83h), disabling per-message or user-level
  /// authentication (D6h: lan.md §15, a LAN channel without authentication).
  constexpr completion_code set_channel_access(const cmd::set_channel_access::request& rq, cmd::no_data&,
                                               std::uint8_t from) noexcept {
    const std::uint8_t ch = actual(rq.channel, from);
    if (ch == cmd::system_interface_channel) return channel_set_not_supported;
    if (ch != cfg_.lan_channel) return completion_code::invalid_data_field;
    if (rq.access_setting != cmd::channel_setting::dont_set) {
      if (rq.access_mode != cmd::channel_access_mode::disabled &&
          rq.access_mode != cmd::channel_access_mode::always_available)
        return channel_access_mode_not_supported;
      if (rq.per_message_auth_disabled || rq.user_level_auth_disabled) return completion_code::sub_function_disabled;
    }
    channel_access& a = rq.access_setting == cmd::channel_setting::non_volatile ? non_volatile_ : volatile_;
    channel_access& p = rq.privilege_setting == cmd::channel_setting::non_volatile ? non_volatile_ : volatile_;
    const channel_access before = non_volatile_;
    if (rq.access_setting != cmd::channel_setting::dont_set) {
      a.mode = rq.access_mode;
      a.pef_alerting_disabled = rq.pef_alerting_disabled;
    }
    if (rq.privilege_setting != cmd::channel_setting::dont_set) p.limit = rq.privilege_limit;
    if (!(before == non_volatile_)) ++generation_;
    return completion_code::success;
  }

  /// Get Channel Authentication Capabilities (IPMI v2.0 §22.13) of the LAN channel. No IPMI
  /// 1.5 authentication type is ever advertised (byte 2 is 80h with the v2.0 data, 00h
  /// without: a v1.5 client finds nothing to log in with), IPMI v2.0 (RMCP+) is supported only
  /// with the extended data, and null usernames / anonymous login only when the config allows
  /// null users and user 1 may log in. Another channel: CCh.
  constexpr completion_code authentication_capabilities(const cmd::get_channel_authentication_capabilities::request& rq,
                                                        cmd::get_channel_authentication_capabilities::response& rs,
                                                        std::uint8_t from) const noexcept {
    if (!is_lan(rq.channel, from)) return completion_code::invalid_data_field;
    rs.channel = cfg_.lan_channel;
    rs.extended_capabilities = rq.extended_data;
    rs.supports_ipmi_v20 = rq.extended_data;
    rs.kg_nonzero = cfg_.kg_set;
    for (std::size_t i = 0; i < MaxUsers; ++i) {
      const auto id = static_cast<std::uint8_t>(i + 1);
      if (!can_log_in(id)) continue;
      if (cmd::name_view(users_[i].name).empty()) {
        rs.null_usernames = true;
        rs.anonymous_login = rs.anonymous_login || users_[i].password == std::array<std::uint8_t, password_size>{};
      } else {
        rs.non_null_usernames = true;
      }
    }
    return completion_code::success;
  }

  /// Get Channel Cipher Suites (IPMI v2.0 §22.15) of the LAN channel, for the IPMI and SOL
  /// payloads: bytes [16·index, 16·index + 16) of the records of suites 3 and 17 (as the config
  /// enables them), or with byte 3 b7 clear of the algorithm numbers they use; fewer than 16
  /// ends the list, an index past it answers the channel alone. Another channel or payload: CCh.
  constexpr completion_code cipher_suites(const cmd::get_channel_cipher_suites::request& rq,
                                          cmd::get_channel_cipher_suites::response& rs,
                                          std::uint8_t from) const noexcept {
    if (!is_lan(rq.channel, from) ||
        (rq.payload != cmd::payload_type::ipmi && rq.payload != cmd::payload_type::sol))
      return completion_code::invalid_data_field;
    std::array<std::uint8_t, 2 * cipher_suite_17_record.size()> list{};
    std::size_t size = 0;
    const auto add = [&](std::span<const std::uint8_t> record) {
      for (std::uint8_t b : record) list[size++] = b;
    };
    if (rq.list_by_cipher_suite) {
      if (cfg_.cipher_suite_3) add(cipher_suite_3_record);
      if (cfg_.cipher_suite_17) add(cipher_suite_17_record);
    } else {  // the distinct algorithm numbers, tagged as in the records
      const std::array<std::uint8_t, 5> both{0x01, 0x03, 0x41, 0x44, 0x81};
      const std::array<std::uint8_t, 3> only_3{0x01, 0x41, 0x81};
      const std::array<std::uint8_t, 3> only_17{0x03, 0x44, 0x81};
      if (cfg_.cipher_suite_3 && cfg_.cipher_suite_17) add(both);
      else if (cfg_.cipher_suite_3) add(only_3);
      else add(only_17);
    }
    rs.channel = cfg_.lan_channel;
    const std::size_t start = std::size_t{rq.list_index} * cmd::get_channel_cipher_suites::bytes_per_response;
    for (std::size_t i = start; i < size && rs.size < cmd::get_channel_cipher_suites::bytes_per_response; ++i)
      rs.data[rs.size++] = list[i];
    return completion_code::success;
  }

  /// Sessions the LAN side has open on the LAN channel (Get Channel Info byte 4), 0-63.
  constexpr void set_active_sessions(std::uint8_t n) noexcept { active_sessions_ = n > 0x3F ? std::uint8_t{0x3F} : n; }
  [[nodiscard]] constexpr const channel_access& volatile_access() const noexcept { return volatile_; }
  [[nodiscard]] constexpr const channel_access& non_volatile_access() const noexcept { return non_volatile_; }

  // --- LAN and SOL configuration parameters ---------------------------------------------------

  /// Get LAN Configuration Parameters (IPMI v2.0 §23.2) of the LAN channel: 0 set in progress,
  /// 1 (no IPMI 1.5 authentication type), 5 the configured MAC, 22 and 23 the cipher suites,
  /// and the lan_saved_parameters; any other 80h; another channel CCh. The set and block
  /// selectors are ignored (no parameter here has sets).
  constexpr completion_code get_lan_parameter(const cmd::get_lan_configuration_parameters::request& rq,
                                              cmd::get_lan_configuration_parameters::response& rs,
                                              std::uint8_t from) const noexcept {
    if (!is_lan(rq.channel, from)) return completion_code::invalid_data_field;
    const bool found = lan_.read(rq.parameter, rs) || [&] {
      switch (rq.parameter) {
        case cmd::lan::set_in_progress::number: return put(rs, cmd::lan::set_in_progress{state(lan_in_progress_)});
        case cmd::lan::auth_type_support::number: return put(rs, cmd::lan::auth_type_support{0});
        case cmd::lan::mac_address::number: return put(rs, cmd::lan::mac_address{cfg_.mac});
        case cmd::lan::cipher_suite_entry_count::number:
          return put(rs, cmd::lan::cipher_suite_entry_count{static_cast<std::uint8_t>(cipher_suite_count())});
        case cmd::lan::cipher_suite_entries::number: {
          cmd::lan::cipher_suite_entries e;
          if (cfg_.cipher_suite_3) e.ids.bytes[e.ids.size++] = 3;
          if (cfg_.cipher_suite_17) e.ids.bytes[e.ids.size++] = 17;
          return put(rs, e);
        }
        default: return false;
      }
    }();
    return answer(found, rq.revision_only, rs);
  }

  /// Set LAN Configuration Parameters (IPMI v2.0 §23.1) of the LAN channel. Refused, nothing
  /// changed: another channel (CCh); 0 set in progress while in progress (81h); 1, 5, 22, 23
  /// (82h, read only); enabling any IPMI 1.5 authentication type in 2 (CCh: none is supported,
  /// parameter 1); any parameter not kept (80h).
  constexpr completion_code set_lan_parameter(const cmd::set_lan_configuration_parameters::request& rq,
                                              cmd::no_data&, std::uint8_t from) noexcept {
    if (!is_lan(rq.channel, from)) return completion_code::invalid_data_field;
    if (const auto* s = std::get_if<cmd::lan::set_in_progress>(&rq.value))
      return detail::users::set_in_progress(lan_in_progress_, s->state);
    switch (cmd::lan::number(rq.value)) {
      case cmd::lan::auth_type_support::number:
      case cmd::lan::mac_address::number:
      case cmd::lan::cipher_suite_entry_count::number:
      case cmd::lan::cipher_suite_entries::number: return parameter_read_only;
      default: break;
    }
    if (const auto* e = std::get_if<cmd::lan::auth_type_enables>(&rq.value);
        e != nullptr && !(*e == cmd::lan::auth_type_enables{}))
      return completion_code::invalid_data_field;
    return store(lan_, rq.value);
  }

  /// Get SOL Configuration Parameters (IPMI v2.0 §26.3) of the LAN channel: 0 set in progress,
  /// the sol_saved_parameters, 6 the volatile bit rate, 7 the LAN channel, 8 the configured port; any other 80h;
  /// another channel CCh.
  constexpr completion_code get_sol_parameter(const cmd::get_sol_configuration_parameters::request& rq,
                                              cmd::get_sol_configuration_parameters::response& rs,
                                              std::uint8_t from) const noexcept {
    if (!is_lan(rq.channel, from)) return completion_code::invalid_data_field;
    const bool found = sol_.read(rq.parameter, rs) || [&] {
      switch (rq.parameter) {
        case cmd::sol::set_in_progress::number: return put(rs, cmd::sol::set_in_progress{state(sol_in_progress_)});
        case cmd::sol::volatile_bit_rate::number: return put(rs, volatile_bit_rate_);
        case cmd::sol::payload_channel::number: return put(rs, cmd::sol::payload_channel{cfg_.lan_channel});
        case cmd::sol::payload_port::number: return put(rs, cmd::sol::payload_port{cfg_.sol_port});
        default: return false;
      }
    }();
    return answer(found, rq.revision_only, rs);
  }

  /// Set SOL Configuration Parameters (IPMI v2.0 §26.2) of the LAN channel; 6, the volatile bit
  /// rate, is not durable. Refused, nothing changed: another channel (CCh); 0 set in progress while in progress (81h); 7 and 8 (82h,
  /// read only); any parameter not kept (80h).
  constexpr completion_code set_sol_parameter(const cmd::set_sol_configuration_parameters::request& rq,
                                              cmd::no_data&, std::uint8_t from) noexcept {
    if (!is_lan(rq.channel, from)) return completion_code::invalid_data_field;
    if (const auto* s = std::get_if<cmd::sol::set_in_progress>(&rq.value))
      return detail::users::set_in_progress(sol_in_progress_, s->state);
    const std::uint8_t n = cmd::sol::number(rq.value);
    if (n == cmd::sol::payload_channel::number || n == cmd::sol::payload_port::number) return parameter_read_only;
    if (const auto* v = std::get_if<cmd::sol::volatile_bit_rate>(&rq.value)) {
      volatile_bit_rate_ = *v;
      return completion_code::success;
    }
    return store(sol_, rq.value);
  }

  [[nodiscard]] constexpr const lan_saved_parameters& lan_parameters() const noexcept { return lan_; }
  [[nodiscard]] constexpr const sol_saved_parameters& sol_parameters() const noexcept { return sol_; }

  // --- durability ----------------------------------------------------------------------------

  /// Changes with every durable change: a user's name, password, enable or access; the LAN
  /// channel's non-volatile access; a LAN or SOL parameter. Save when it differs from the
  /// saved one's.
  [[nodiscard]] constexpr std::uint64_t generation() const noexcept { return generation_; }

  /// Writes the durable state in the saved format (saved_size bytes) to `out`; returns the
  /// size, or 0 (and writes nothing) when `out` is shorter. The bytes hold the passwords:
  /// store them as the owner stores any secret (a file only it can read).
  constexpr std::size_t save(std::span<std::uint8_t> out) const noexcept {
    if (out.size() < saved_size) return 0;
    cmd::writer w(out);
    detail::open_saved(w, frame_);
    for (const user& u : users_) {
      cmd::detail::app::write_name(w, u.name);
      w.bytes(u.password);
      w.u8(static_cast<std::uint8_t>((u.enabled ? 1u : 0u) | (u.twenty_byte ? 2u : 0u)));
      w.u8(static_cast<std::uint8_t>((u.callback_only ? 0x40u : 0u) | (u.link_auth ? 0x20u : 0u) |
                                     (u.ipmi_messaging ? 0x10u : 0u) | static_cast<unsigned>(u.limit)));
      w.u8(u.session_limit);
    }
    w.u8(static_cast<std::uint8_t>((non_volatile_.pef_alerting_disabled ? 0x20u : 0u) |
                                   static_cast<unsigned>(non_volatile_.mode)));
    w.u8(static_cast<std::uint8_t>(non_volatile_.limit));
    lan_.save(w);
    sol_.save(w);
    detail::seal_saved(w, out);
    return w.result() ? saved_size : 0;
  }

  /// Restores what save() wrote (exactly saved_size bytes). Refused, and nothing changes, with
  /// a named users_load_error; every field is checked as the commands check it (a null user
  /// the config does not allow is bad_value). The volatile channel access and bit rate take
  /// the non-volatile ones; set in progress clears.
  constexpr users_load_error load(std::span<const std::uint8_t> in) noexcept {
    if (const detail::saved_error e = detail::check_saved(in, frame_, saved_size); e != detail::saved_error::ok)
      return static_cast<users_load_error>(e);
    const std::size_t body = saved_size - detail::saved_trailer_size;

    std::array<user, MaxUsers> users = users_;
    channel_access access = non_volatile_;
    lan_saved_parameters lan = lan_;
    sol_saved_parameters sol = sol_;
    cmd::reader r(in.subspan(users_save_header_size, body - users_save_header_size));
    for (user& u : users) {
      cmd::detail::app::read_name(r, u.name);
      r.bytes(u.password);
      const std::uint8_t flags = r.u8();
      const std::uint8_t bits = r.u8();
      u.session_limit = r.u8();
      r.reserved_zero(flags, 0xFC);
      r.reserved_zero(bits, 0x80);
      r.reserved_zero(u.session_limit, 0xF0);
      u.enabled = (flags & 1u) != 0;
      u.twenty_byte = (flags & 2u) != 0;
      u.callback_only = (bits & 0x40u) != 0;
      u.link_auth = (bits & 0x20u) != 0;
      u.ipmi_messaging = (bits & 0x10u) != 0;
      u.limit = static_cast<cmd::privilege>(bits & 0x0Fu);
      if (!cmd::detail::app::user_level_ok(u.limit)) r.fail(cmd::parse_error::reserved_value);
    }
    const std::uint8_t mode = r.u8();
    r.reserved_zero(mode, 0xDC);  // b5 PEF alerting disabled, [1:0] disabled or always available
    access.pef_alerting_disabled = (mode & 0x20u) != 0;
    access.mode = static_cast<cmd::channel_access_mode>(mode & 0x03u);
    access.limit = static_cast<cmd::privilege>(r.u8());
    if (!cmd::detail::app::level_ok(access.limit) ||
        (access.mode != cmd::channel_access_mode::disabled && access.mode != cmd::channel_access_mode::always_available))
      r.fail(cmd::parse_error::reserved_value);
    lan.load(r);
    sol.load(r);
    if (r.finish() != cmd::parse_error::ok || !valid(users, lan)) return users_load_error::bad_value;
    // Slot by slot: GCC 12.2 at -O2 drops the whole-array assignment `users_ = users` here
    // (its mod/ref analysis; -fno-ipa-modref or -fno-strict-aliasing keep it), and the object
    // would keep its old users.
    for (std::size_t i = 0; i < MaxUsers; ++i) users_[i] = users[i];
    non_volatile_ = volatile_ = access;
    lan_ = lan;
    sol_ = sol;
    volatile_bit_rate_ = {sol_.template get<cmd::sol::non_volatile_bit_rate>().rate};
    lan_in_progress_ = sol_in_progress_ = false;
    ++generation_;
    return users_load_error::ok;
  }

 private:
  static constexpr detail::saved_frame frame_{users_save_magic, users_save_version, static_cast<std::uint32_t>(MaxUsers)};

  [[nodiscard]] constexpr std::size_t cipher_suite_count() const noexcept {
    return (cfg_.cipher_suite_3 ? 1u : 0u) + (cfg_.cipher_suite_17 ? 1u : 0u);
  }
  /// The channel a request field names: Eh is the one the request came in on.
  [[nodiscard]] static constexpr std::uint8_t actual(std::uint8_t channel, std::uint8_t from) noexcept {
    return channel == cmd::present_channel ? from : channel;
  }
  [[nodiscard]] constexpr bool is_lan(std::uint8_t channel, std::uint8_t from) const noexcept {
    return actual(channel, from) == cfg_.lan_channel;
  }
  /// The rules every stored state keeps: user 1 nameless, names unique, no null user enabled
  /// with IPMI messaging unless allowed, LAN parameter 2 without IPMI 1.5 types.
  [[nodiscard]] constexpr user_error check(const user& u, std::size_t index) const noexcept {
    return check(u, index, users_);
  }
  [[nodiscard]] constexpr user_error check(const user& u, std::size_t index,
                                           const std::array<user, MaxUsers>& all) const noexcept {
    const std::string_view n = cmd::name_view(u.name);
    if (index + 1 == null_user_id && !n.empty()) return user_error::fixed_name;
    if (n.empty() && u.enabled && u.ipmi_messaging && !cfg_.allow_null_user) return user_error::null_user;
    for (std::size_t i = 0; i < MaxUsers; ++i)
      if (i != index && !n.empty() && cmd::name_view(all[i].name) == n) return user_error::duplicate_name;
    return user_error::ok;
  }
  [[nodiscard]] constexpr bool valid(const std::array<user, MaxUsers>& all, const lan_saved_parameters& lan) const noexcept {
    for (std::size_t i = 0; i < MaxUsers; ++i)
      if (check(all[i], i, all) != user_error::ok) return false;
    return lan.template get<cmd::lan::auth_type_enables>() == cmd::lan::auth_type_enables{};
  }
  constexpr user_error replace(std::uint8_t id, const user& next) noexcept {
    const user_error e = check(next, id - 1u);
    if (e != user_error::ok) return e;
    if (!(users_[id - 1u] == next)) ++generation_;
    users_[id - 1u] = next;
    return user_error::ok;
  }
  /// A user_error as the commands answer it: a null user is D6h (disabled for security), any
  /// other refusal CCh.
  static constexpr completion_code to_completion_code(user_error e) noexcept {
    if (e == user_error::ok) return completion_code::success;
    return e == user_error::null_user ? completion_code::sub_function_disabled : completion_code::invalid_data_field;
  }
  [[nodiscard]] static constexpr cmd::set_in_progress_state state(bool in_progress) noexcept {
    return in_progress ? cmd::set_in_progress_state::set_in_progress : cmd::set_in_progress_state::set_complete;
  }
  template <class Response, class Parameter>
  static constexpr bool put(Response& rs, const Parameter& p) noexcept {
    static_cast<void>(rs.set_value(p));
    return true;
  }
  template <class Response>
  static constexpr completion_code answer(bool found, bool revision_only, Response& rs) noexcept {
    if (!found) return parameter_not_supported;
    if (revision_only) rs.data = {};
    return completion_code::success;
  }
  template <class Store, class Value>
  constexpr completion_code store(Store& s, const Value& v) noexcept {
    bool changed = false;
    if (!s.write(v, changed)) return parameter_not_supported;
    if (changed) ++generation_;
    return completion_code::success;
  }

  users_config cfg_{};
  bool config_ok_ = true;
  std::array<user, MaxUsers> users_{};
  channel_access non_volatile_{};
  channel_access volatile_{};
  std::uint8_t active_sessions_ = 0;
  lan_saved_parameters lan_{};
  sol_saved_parameters sol_{};
  cmd::sol::volatile_bit_rate volatile_bit_rate_{cmd::sol::bit_rate::bps_115200};
  bool lan_in_progress_ = false;
  bool sol_in_progress_ = false;
  std::uint64_t generation_ = 0;
};

using users = basic_users<default_max_users>;

// ---------------------------------------------------------------------------------------------
// The commands on a dispatcher

/// A Context whose basic_users member `Member` the user, channel and LAN commands drive.
template <class Context, auto Member>
concept users_context = has_member<Context, Member> && detail::sized_instance_of<member_type<Member>, basic_users>;

/// Registers Get User Name and Get User Access (operator), Set User Name, Set User Password and
/// Set User Access (administrator) — the privileges of IPMI v2.0 Appendix G (lan.md §13) — on
/// `d`, driving `context.*Member`. All five or none (duplicate, full).
template <auto Member, class U = member_type<Member>>
inline constexpr command_table<Member, command<cmd::get_user_name, &U::get_user_name, privilege::operator_>,
                               command<cmd::set_user_name, &U::set_user_name, privilege::administrator>,
                               command<cmd::set_user_password, &U::set_user_password, privilege::administrator>,
                               command<cmd::get_user_access, &U::get_user_access, privilege::operator_>,
                               command<cmd::set_user_access, &U::set_user_access, privilege::administrator>>
    add_user_commands{};

/// Registers Get Channel Info and Get Channel Access (user), Set Channel Access
/// (administrator), Get Channel Authentication Capabilities and Get Channel Cipher Suites
/// (none: allowed without a session) — IPMI v2.0 Appendix G (lan.md §13). All five or none.
template <auto Member, class U = member_type<Member>>
inline constexpr command_table<
    Member, command<cmd::get_channel_info, &U::get_channel_info, privilege::user>,
    command<cmd::get_channel_access, &U::get_channel_access, privilege::user>,
    command<cmd::set_channel_access, &U::set_channel_access, privilege::administrator>,
    command<cmd::get_channel_authentication_capabilities, &U::authentication_capabilities, privilege::unspecified>,
    command<cmd::get_channel_cipher_suites, &U::cipher_suites, privilege::unspecified>>
    add_channel_commands{};

/// Registers Get LAN Configuration Parameters (operator), Set LAN Configuration Parameters
/// (administrator), Get SOL Configuration Parameters (user) and Set SOL Configuration
/// Parameters (administrator) — IPMI v2.0 Appendix G (lan.md §13). All four or none.
template <auto Member, class U = member_type<Member>>
inline constexpr command_table<
    Member, command<cmd::get_lan_configuration_parameters, &U::get_lan_parameter, privilege::operator_>,
    command<cmd::set_lan_configuration_parameters, &U::set_lan_parameter, privilege::administrator>,
    command<cmd::get_sol_configuration_parameters, &U::get_sol_parameter, privilege::user>,
    command<cmd::set_sol_configuration_parameters, &U::set_sol_parameter, privilege::administrator>>
    add_lan_commands{};

}  // namespace ipmikit::bmc
