// ipmikit/cmd/transport.hpp — typed Transport commands (NetFn 0Ch): LAN and SOL configuration
// parameters.
//
// The conventions (encode/parse/min_size/max_size, what the data bytes are) are codec.hpp's.
// Layouts: IPMI v2.0 §23.1–§23.2 (LAN), §26.2–§26.3 (SOL); ../shared/reference/bmc-commands.md §7
// and sol.md §3. Parameter 0 (set in progress), parameter_bytes, detail::opaque_parameter and
// detail::parameter_family are parameters.hpp's, shared with the system boot options.
//
// Get LAN/SOL Configuration Parameters answers with the data only, not the parameter number, so
// its response keeps the data as bytes: value(parameter) reads them as the typed parameter the
// request asked for, set_value(p) writes them (the BMC side).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <variant>

#include "codec.hpp"
#include "parameters.hpp"

namespace ipmikit::cmd {

/// The parameter revision byte of Get LAN/SOL Configuration Parameters' response ([7:4] present
/// revision, [3:0] oldest compatible revision): 11h for the specification's parameters.
inline constexpr std::uint8_t configuration_parameter_revision = 0x11;  // IPMI v2.0 §23.2, §26.3: 11h

namespace detail {

/// Set LAN / SOL Configuration Parameters' request: byte 1 [3:0] channel ([7:4] reserved),
/// byte 2 the parameter, then its data.
template <class Family, std::size_t MaxData>
struct configuration_set_request {
  static constexpr std::size_t min_size = 2;  // channel, parameter (an opaque parameter may have no data)
  static constexpr std::size_t max_size = 2 + MaxData;

  std::uint8_t channel = 0;  // 0–15
  typename Family::value value{};

  [[nodiscard]] constexpr encoded encode(std::span<std::uint8_t> out) const noexcept {
    writer w(out);
    if (channel > 0x0F) w.fail(encode_error::out_of_range);  // IPMI v2.0 §23.1: [3:0] channel number
    w.u8(channel);
    w.u8(Family::number(value));
    Family::encode_data(w, value);
    return w.result();
  }
  [[nodiscard]] static constexpr parsed<configuration_set_request> parse(std::span<const std::uint8_t> data) noexcept {
    reader r(data);
    configuration_set_request v;
    v.channel = r.u8();
    r.reserved_zero(v.channel, 0xF0);
    v.value = Family::parse_data(r, r.u8());
    return r.result(v);
  }
  friend constexpr bool operator==(const configuration_set_request&, const configuration_set_request&) noexcept =
      default;
};

/// Get LAN / SOL Configuration Parameters' request: byte 1 b7 revision only, [3:0] channel
/// ([6:4] reserved); byte 2 parameter; byte 3 set selector; byte 4 block selector.
struct configuration_get_request {
  static constexpr std::size_t min_size = 4;
  static constexpr std::size_t max_size = 4;

  bool revision_only = false;  // b7: answer with the revision byte only
  std::uint8_t channel = 0;    // 0–15
  std::uint8_t parameter = 0;
  std::uint8_t set_selector = 0;
  std::uint8_t block_selector = 0;

  [[nodiscard]] constexpr encoded encode(std::span<std::uint8_t> out) const noexcept {
    writer w(out);
    if (channel > 0x0F) w.fail(encode_error::out_of_range);  // IPMI v2.0 §23.2: [3:0] channel number
    w.u8(static_cast<std::uint8_t>((revision_only ? 0x80 : 0) | (channel & 0x0F)));
    w.u8(parameter);
    w.u8(set_selector);
    w.u8(block_selector);
    return w.result();
  }
  [[nodiscard]] static constexpr parsed<configuration_get_request> parse(std::span<const std::uint8_t> data) noexcept {
    reader r(data);
    configuration_get_request v;
    const std::uint8_t b = r.u8();
    r.reserved_zero(b, 0x70);
    v.revision_only = (b & 0x80) != 0;
    v.channel = b & 0x0F;
    v.parameter = r.u8();
    v.set_selector = r.u8();
    v.block_selector = r.u8();
    return r.result(v);
  }
  friend constexpr bool operator==(const configuration_get_request&, const configuration_get_request&) noexcept =
      default;
};

/// Get LAN / SOL Configuration Parameters' response: the revision byte, then the data (none
/// when the request asked for the revision only).
template <class Family, std::size_t MaxData>
struct configuration_get_response {
  static constexpr std::size_t min_size = 1;
  static constexpr std::size_t max_size = 1 + MaxData;

  std::uint8_t revision = configuration_parameter_revision;
  parameter_bytes<MaxData> data{};

  /// The data read as parameter `parameter` (the one the request named).
  [[nodiscard]] constexpr parsed<typename Family::value> value(std::uint8_t parameter) const noexcept {
    reader r(data.view());
    const typename Family::value v = Family::parse_data(r, parameter);
    return r.result(v);
  }
  /// Writes `p`'s data (its number is the request's): ok, or out_of_range when it does not encode.
  /// `data` is left as it was when `p` does not encode.
  constexpr encode_error set_value(const typename Family::value& p) noexcept {
    parameter_bytes<MaxData> out;
    writer w(out.bytes);
    Family::encode_data(w, p);
    const encoded e = w.result();
    if (!e) return e.error == encode_error::buffer_too_small ? encode_error::out_of_range : e.error;
    out.size = e.size;
    data = out;
    return encode_error::ok;
  }

  [[nodiscard]] constexpr encoded encode(std::span<std::uint8_t> out) const noexcept {
    writer w(out);
    w.u8(revision);
    data.encode(w);
    return w.result();
  }
  [[nodiscard]] static constexpr parsed<configuration_get_response> parse(std::span<const std::uint8_t> data_in) noexcept {
    reader r(data_in);
    configuration_get_response v;
    v.revision = r.u8();
    v.data = parameter_bytes<MaxData>::parse_rest(r);
    return r.result(v);
  }
  friend constexpr bool operator==(const configuration_get_response&, const configuration_get_response&) noexcept =
      default;
};

}  // namespace detail

// ---------------------------------------------------------------------------------------------
// LAN configuration parameters (IPMI v2.0 §23.2; bmc-commands.md §7): the ones `ipmitool lan
// print` reads typed, every other one opaque.

namespace lan {

using set_in_progress = set_in_progress_parameter;  // parameter 0

/// The authentication type bits of parameters 1 and 2 (IPMI v2.0 §23.2): [7:6] and b3 reserved.
namespace auth_type_bit {
inline constexpr std::uint8_t none = 0x01;               // IPMI v2.0 §23.2: b0 none
inline constexpr std::uint8_t md2 = 0x02;                // IPMI v2.0 §23.2: b1 MD2
inline constexpr std::uint8_t md5 = 0x04;                // IPMI v2.0 §23.2: b2 MD5
inline constexpr std::uint8_t straight_password = 0x10;  // IPMI v2.0 §23.2: b4 straight password/key
inline constexpr std::uint8_t oem = 0x20;                // IPMI v2.0 §23.2: b5 OEM proprietary
inline constexpr std::uint8_t reserved = 0xC8;           // IPMI v2.0 §23.2: [7:6], b3 reserved
}  // namespace auth_type_bit

/// Parameter 1, authentication type support (read only), 1 byte.
struct auth_type_support {
  static constexpr std::uint8_t number = 1;  // IPMI v2.0 §23.2: parameter 1

  std::uint8_t types = 0;  // auth_type_bit values

  constexpr void encode(writer& w) const noexcept {
    if ((types & auth_type_bit::reserved) != 0) w.fail(encode_error::out_of_range);
    w.u8(types);
  }
  [[nodiscard]] static constexpr auth_type_support parse(reader& r) noexcept {
    const std::uint8_t b = r.u8();
    r.reserved_zero(b, auth_type_bit::reserved);
    return {b};
  }
  friend constexpr bool operator==(const auth_type_support&, const auth_type_support&) noexcept = default;
};

/// Parameter 2, authentication type enables, 5 bytes: one auth_type_bit byte per privilege level.
struct auth_type_enables {
  static constexpr std::uint8_t number = 2;  // IPMI v2.0 §23.2: parameter 2

  std::uint8_t callback = 0;
  std::uint8_t user = 0;
  std::uint8_t operator_level = 0;
  std::uint8_t administrator = 0;
  std::uint8_t oem = 0;

  constexpr void encode(writer& w) const noexcept {
    if (((callback | user | operator_level | administrator | oem) & auth_type_bit::reserved) != 0)
      w.fail(encode_error::out_of_range);
    w.u8(callback);
    w.u8(user);
    w.u8(operator_level);
    w.u8(administrator);
    w.u8(oem);
  }
  [[nodiscard]] static constexpr auth_type_enables parse(reader& r) noexcept {
    auth_type_enables v;
    v.callback = r.u8();
    v.user = r.u8();
    v.operator_level = r.u8();
    v.administrator = r.u8();
    v.oem = r.u8();
    for (std::uint8_t b : {v.callback, v.user, v.operator_level, v.administrator, v.oem})
      r.reserved_zero(b, auth_type_bit::reserved);
    return v;
  }
  friend constexpr bool operator==(const auth_type_enables&, const auth_type_enables&) noexcept = default;
};

/// An IPv4 address parameter, 4 bytes, most significant first (network order): 3 IP address,
/// 6 subnet mask, 12 default gateway, 14 backup gateway.
template <std::uint8_t Number>
struct ipv4_parameter {
  static constexpr std::uint8_t number = Number;

  std::array<std::uint8_t, 4> address{};

  constexpr void encode(writer& w) const noexcept { w.bytes(address); }
  [[nodiscard]] static constexpr ipv4_parameter parse(reader& r) noexcept {
    ipv4_parameter v;
    r.bytes(v.address);
    return v;
  }
  friend constexpr bool operator==(const ipv4_parameter&, const ipv4_parameter&) noexcept = default;
};
using ip_address = ipv4_parameter<3>;           // IPMI v2.0 §23.2: parameter 3
using subnet_mask = ipv4_parameter<6>;          // IPMI v2.0 §23.2: parameter 6
using default_gateway_ip = ipv4_parameter<12>;  // IPMI v2.0 §23.2: parameter 12
using backup_gateway_ip = ipv4_parameter<14>;   // IPMI v2.0 §23.2: parameter 14

/// A MAC address parameter, 6 bytes in transmission order: 5 the BMC's, 13 default gateway's,
/// 15 backup gateway's.
template <std::uint8_t Number>
struct mac_parameter {
  static constexpr std::uint8_t number = Number;

  std::array<std::uint8_t, 6> address{};

  constexpr void encode(writer& w) const noexcept { w.bytes(address); }
  [[nodiscard]] static constexpr mac_parameter parse(reader& r) noexcept {
    mac_parameter v;
    r.bytes(v.address);
    return v;
  }
  friend constexpr bool operator==(const mac_parameter&, const mac_parameter&) noexcept = default;
};
using mac_address = mac_parameter<5>;           // IPMI v2.0 §23.2: parameter 5
using default_gateway_mac = mac_parameter<13>;  // IPMI v2.0 §23.2: parameter 13
using backup_gateway_mac = mac_parameter<15>;   // IPMI v2.0 §23.2: parameter 15

/// Parameter 4 [3:0] (IPMI v2.0 §23.2; bmc-commands.md §7 names 1 and 2): 5–F reserved.
enum class ip_source : std::uint8_t {
  unspecified = 0,     // IPMI v2.0 §23.2: 0h unspecified
  static_address = 1,  // IPMI v2.0 §23.2: 1h static address (manually configured)
  dhcp = 2,            // IPMI v2.0 §23.2: 2h address obtained by the BMC running DHCP
  bios = 3,            // IPMI v2.0 §23.2: 3h address loaded by BIOS or system software
  other = 4,           // IPMI v2.0 §23.2: 4h address obtained by the BMC running another protocol
};

/// Parameter 4, IP address source, 1 byte ([7:4] reserved).
struct ip_address_source {
  static constexpr std::uint8_t number = 4;  // IPMI v2.0 §23.2: parameter 4

  ip_source source = ip_source::unspecified;

  constexpr void encode(writer& w) const noexcept {
    if (static_cast<std::uint8_t>(source) > 4) w.fail(encode_error::out_of_range);
    w.u8(static_cast<std::uint8_t>(source));
  }
  [[nodiscard]] static constexpr ip_address_source parse(reader& r) noexcept {
    const std::uint8_t b = r.u8();
    r.reserved_zero(b, 0xF0);
    if ((b & 0x0F) > 4) r.fail(parse_error::reserved_value);  // IPMI v2.0 §23.2: 5h–Fh reserved
    return {static_cast<ip_source>(b & 0x0F)};
  }
  friend constexpr bool operator==(const ip_address_source&, const ip_address_source&) noexcept = default;
};

/// Parameter 7, IPv4 header parameters, 3 bytes (IPMI v2.0 §23.2): TTL; [7:5] flags ([4:0]
/// reserved); [7:5] precedence, [4:1] type of service ([0] reserved). Defaults 40h 40h 10h.
struct ipv4_header_parameters {
  static constexpr std::uint8_t number = 7;  // IPMI v2.0 §23.2: parameter 7

  std::uint8_t time_to_live = 0x40;    // IPMI v2.0 §23.2: default 40h
  std::uint8_t flags = 0x2;            // 3 bits; IPMI v2.0 §23.2: default 010b, don't fragment
  std::uint8_t precedence = 0;         // 3 bits; IPMI v2.0 §23.2: default 000b
  std::uint8_t type_of_service = 0x8;  // 4 bits; IPMI v2.0 §23.2: default 1000b, minimize delay

  constexpr void encode(writer& w) const noexcept {
    if (flags > 7 || precedence > 7 || type_of_service > 0x0F) w.fail(encode_error::out_of_range);
    w.u8(time_to_live);
    w.u8(static_cast<std::uint8_t>((flags & 7u) << 5));
    w.u8(static_cast<std::uint8_t>(((precedence & 7u) << 5) | ((type_of_service & 0x0Fu) << 1)));
  }
  [[nodiscard]] static constexpr ipv4_header_parameters parse(reader& r) noexcept {
    ipv4_header_parameters v;
    v.time_to_live = r.u8();
    const std::uint8_t b2 = r.u8();
    const std::uint8_t b3 = r.u8();
    r.reserved_zero(b2, 0x1F);
    r.reserved_zero(b3, 0x01);
    v.flags = static_cast<std::uint8_t>(b2 >> 5);
    v.precedence = static_cast<std::uint8_t>(b3 >> 5);
    v.type_of_service = static_cast<std::uint8_t>((b3 >> 1) & 0x0F);
    return v;
  }
  friend constexpr bool operator==(const ipv4_header_parameters&, const ipv4_header_parameters&) noexcept = default;
};

/// Parameter 10, BMC-generated ARP control, 1 byte ([7:2] reserved).
struct arp_control {
  static constexpr std::uint8_t number = 10;  // IPMI v2.0 §23.2: parameter 10

  bool gratuitous_arps = false;  // b1: enable BMC-generated gratuitous ARPs
  bool arp_responses = false;    // b0: enable BMC-generated ARP responses

  constexpr void encode(writer& w) const noexcept {
    w.u8(static_cast<std::uint8_t>((gratuitous_arps ? 0x02 : 0) | (arp_responses ? 0x01 : 0)));
  }
  [[nodiscard]] static constexpr arp_control parse(reader& r) noexcept {
    const std::uint8_t b = r.u8();
    r.reserved_zero(b, 0xFC);
    return {(b & 0x02) != 0, (b & 0x01) != 0};
  }
  friend constexpr bool operator==(const arp_control&, const arp_control&) noexcept = default;
};

/// Parameter 11, gratuitous ARP interval, 1 byte in 500 ms units (IPMI v2.0 §23.2).
struct gratuitous_arp_interval {
  static constexpr std::uint8_t number = 11;  // IPMI v2.0 §23.2: parameter 11

  std::uint8_t interval = 0;  // × 500 ms

  constexpr void encode(writer& w) const noexcept { w.u8(interval); }
  [[nodiscard]] static constexpr gratuitous_arp_interval parse(reader& r) noexcept { return {r.u8()}; }
  friend constexpr bool operator==(const gratuitous_arp_interval&, const gratuitous_arp_interval&) noexcept = default;
};

/// Parameter 16, community string, 18 bytes (printable ASCII, NUL padded).
struct community_string {
  static constexpr std::uint8_t number = 16;  // IPMI v2.0 §23.2: parameter 16 (18 bytes, bmc-commands.md §7)

  std::array<std::uint8_t, 18> text{};

  constexpr void encode(writer& w) const noexcept { w.bytes(text); }
  [[nodiscard]] static constexpr community_string parse(reader& r) noexcept {
    community_string v;
    r.bytes(v.text);
    return v;
  }
  friend constexpr bool operator==(const community_string&, const community_string&) noexcept = default;
};

/// Parameter 20, 802.1q VLAN ID, 2 bytes: [11:0] ID (LS byte first), b15 enable, [14:12] reserved.
struct vlan_id {
  static constexpr std::uint8_t number = 20;  // IPMI v2.0 §23.2: parameter 20

  bool enabled = false;
  std::uint16_t id = 0;  // 12 bits

  constexpr void encode(writer& w) const noexcept {
    if (id > 0x0FFF) w.fail(encode_error::out_of_range);  // IPMI v2.0 §23.2: 12-bit VLAN ID
    w.le16(static_cast<std::uint16_t>((enabled ? 0x8000 : 0) | (id & 0x0FFF)));
  }
  [[nodiscard]] static constexpr vlan_id parse(reader& r) noexcept {
    const std::uint16_t v = r.le16();
    r.reserved_zero(static_cast<std::uint8_t>(v >> 8), 0x70);
    return {(v & 0x8000) != 0, static_cast<std::uint16_t>(v & 0x0FFF)};
  }
  friend constexpr bool operator==(const vlan_id&, const vlan_id&) noexcept = default;
};

/// Parameter 21, VLAN priority, 1 byte: [2:0] ([7:3] reserved).
struct vlan_priority {
  static constexpr std::uint8_t number = 21;  // IPMI v2.0 §23.2: parameter 21

  std::uint8_t priority = 0;  // 0–7

  constexpr void encode(writer& w) const noexcept {
    if (priority > 7) w.fail(encode_error::out_of_range);
    w.u8(priority);
  }
  [[nodiscard]] static constexpr vlan_priority parse(reader& r) noexcept {
    const std::uint8_t b = r.u8();
    r.reserved_zero(b, 0xF8);
    return {static_cast<std::uint8_t>(b & 7)};
  }
  friend constexpr bool operator==(const vlan_priority&, const vlan_priority&) noexcept = default;
};

/// The most cipher suite entries parameters 23 and 24 hold (IPMI v2.0 §23.2: entries A–P).
inline constexpr std::size_t max_cipher_suites = 16;  // IPMI v2.0 §23.2: 16 entries

/// Parameter 22, RMCP+ messaging cipher suite entry count, 1 byte: [4:0] 0–16 ([7:5] reserved).
struct cipher_suite_entry_count {
  static constexpr std::uint8_t number = 22;  // IPMI v2.0 §23.2: parameter 22

  std::uint8_t count = 0;

  constexpr void encode(writer& w) const noexcept {
    if (count > max_cipher_suites) w.fail(encode_error::out_of_range);
    w.u8(count);
  }
  [[nodiscard]] static constexpr cipher_suite_entry_count parse(reader& r) noexcept {
    const std::uint8_t b = r.u8();
    r.reserved_zero(b, 0xE0);
    if ((b & 0x1F) > max_cipher_suites) r.fail(parse_error::out_of_range);
    return {static_cast<std::uint8_t>(b & 0x1F)};
  }
  friend constexpr bool operator==(const cipher_suite_entry_count&, const cipher_suite_entry_count&) noexcept =
      default;
};

/// Parameter 23, RMCP+ messaging cipher suite entries: a reserved byte (00), then up to 16
/// cipher suite IDs (as many as parameter 22 counts).
struct cipher_suite_entries {
  static constexpr std::uint8_t number = 23;  // IPMI v2.0 §23.2: parameter 23

  parameter_bytes<max_cipher_suites> ids{};

  constexpr void encode(writer& w) const noexcept {
    w.u8(0x00);
    ids.encode(w);
  }
  [[nodiscard]] static constexpr cipher_suite_entries parse(reader& r) noexcept {
    r.reserved_zero(r.u8(), 0xFF);
    return {parameter_bytes<max_cipher_suites>::parse_rest(r)};
  }
  friend constexpr bool operator==(const cipher_suite_entries&, const cipher_suite_entries&) noexcept = default;
};

/// A cipher suite's maximum privilege in parameter 24 (IPMI v2.0 §23.2): 6h–Fh reserved.
enum class cipher_privilege : std::uint8_t {
  unused = 0,          // IPMI v2.0 §23.2: 0h reserved (ipmitool prints X, an unused entry)
  callback = 1,        // IPMI v2.0 §23.2: 1h callback
  user = 2,            // IPMI v2.0 §23.2: 2h user
  operator_level = 3,  // IPMI v2.0 §23.2: 3h operator
  administrator = 4,   // IPMI v2.0 §23.2: 4h administrator
  oem = 5,             // IPMI v2.0 §23.2: 5h OEM
};

/// Parameter 24, RMCP+ messaging cipher suite privilege levels, 9 bytes: a reserved byte (00),
/// then 16 nibbles, entry A in byte 2 [3:0], entry B in byte 2 [7:4], and so on.
struct cipher_suite_privileges {
  static constexpr std::uint8_t number = 24;  // IPMI v2.0 §23.2: parameter 24

  std::array<cipher_privilege, max_cipher_suites> max_privilege{};

  constexpr void encode(writer& w) const noexcept {
    w.u8(0x00);
    for (std::size_t i = 0; i < max_cipher_suites; i += 2) {
      const auto lo = static_cast<std::uint8_t>(max_privilege[i]);
      const auto hi = static_cast<std::uint8_t>(max_privilege[i + 1]);
      if (lo > 5 || hi > 5) w.fail(encode_error::out_of_range);
      w.u8(static_cast<std::uint8_t>((lo & 0x0F) | ((hi & 0x0F) << 4)));
    }
  }
  [[nodiscard]] static constexpr cipher_suite_privileges parse(reader& r) noexcept {
    cipher_suite_privileges v;
    r.reserved_zero(r.u8(), 0xFF);
    for (std::size_t i = 0; i < max_cipher_suites; i += 2) {
      const std::uint8_t b = r.u8();
      const auto lo = static_cast<std::uint8_t>(b & 0x0F);
      const auto hi = static_cast<std::uint8_t>(b >> 4);
      if (lo > 5 || hi > 5) r.fail(parse_error::reserved_value);  // IPMI v2.0 §23.2: 6h–Fh reserved
      v.max_privilege[i] = static_cast<cipher_privilege>(lo);
      v.max_privilege[i + 1] = static_cast<cipher_privilege>(hi);
    }
    return v;
  }
  friend constexpr bool operator==(const cipher_suite_privileges&, const cipher_suite_privileges&) noexcept = default;
};

/// Parameter 26, bad password threshold, 6 bytes (IPMI v2.0 §23.2; bmc-commands.md §7 gives the
/// size only): byte 1 b0 generate a session audit event ([7:1] reserved); byte 2 the threshold
/// (0 = disabled); bytes 3–4 attempt count reset interval and 5–6 user lockout interval, in
/// 10 s units, LS byte first.
struct bad_password_threshold {
  static constexpr std::uint8_t number = 26;  // IPMI v2.0 §23.2: parameter 26

  bool generate_event = false;
  std::uint8_t threshold = 0;
  std::uint16_t reset_interval = 0;    // × 10 s
  std::uint16_t lockout_interval = 0;  // × 10 s

  constexpr void encode(writer& w) const noexcept {
    w.u8(generate_event ? 0x01 : 0x00);
    w.u8(threshold);
    w.le16(reset_interval);
    w.le16(lockout_interval);
  }
  [[nodiscard]] static constexpr bad_password_threshold parse(reader& r) noexcept {
    bad_password_threshold v;
    const std::uint8_t b = r.u8();
    r.reserved_zero(b, 0xFE);
    v.generate_event = (b & 0x01) != 0;
    v.threshold = r.u8();
    v.reset_interval = r.le16();
    v.lockout_interval = r.le16();
    return v;
  }
  friend constexpr bool operator==(const bad_password_threshold&, const bad_password_threshold&) noexcept = default;
};

/// Any other parameter (8/9 RMCP ports, 17–19 alert destinations, IPv6, OEM 192–255 …): its
/// number (not one of the typed ones) and up to `capacity` (32) data bytes as sent.
using opaque = detail::opaque_parameter<32, 8>;

using family = detail::parameter_family<opaque, set_in_progress, auth_type_support, auth_type_enables, ip_address,
                                        ip_address_source, mac_address, subnet_mask, ipv4_header_parameters,
                                        arp_control, gratuitous_arp_interval, default_gateway_ip, default_gateway_mac,
                                        backup_gateway_ip, backup_gateway_mac, community_string, vlan_id,
                                        vlan_priority, cipher_suite_entry_count, cipher_suite_entries,
                                        cipher_suite_privileges, bad_password_threshold>;

/// A LAN configuration parameter: one of the typed ones, or opaque.
using parameter = family::value;

[[nodiscard]] constexpr std::uint8_t number(const parameter& p) noexcept { return family::number(p); }

inline constexpr std::size_t max_data_size = opaque::capacity;

}  // namespace lan

// Set LAN Configuration Parameters (IPMI v2.0 §23.1). Response: none (cc 80 unsupported
// parameter, 81 set in progress, 82 read-only).
struct set_lan_configuration_parameters {
  static constexpr command_id id = commands::set_lan_configuration_parameters;
  using request = detail::configuration_set_request<lan::family, lan::max_data_size>;
  using response = no_data;
};

// Get LAN Configuration Parameters (IPMI v2.0 §23.2). `ipmitool lan print 1` sends 01 p 00 00.
struct get_lan_configuration_parameters {
  static constexpr command_id id = commands::get_lan_configuration_parameters;
  using request = detail::configuration_get_request;
  using response = detail::configuration_get_response<lan::family, lan::max_data_size>;
};

// ---------------------------------------------------------------------------------------------
// SOL configuration parameters (IPMI v2.0 §26.3; sol.md §3): 0–8 typed, the rest opaque.

namespace sol {

using set_in_progress = set_in_progress_parameter;  // parameter 0

/// Parameter 1, SOL enable, 1 byte: b0 ([7:1] reserved).
struct enable {
  static constexpr std::uint8_t number = 1;  // IPMI v2.0 §26.3: parameter 1

  bool enabled = false;

  constexpr void encode(writer& w) const noexcept { w.u8(enabled ? 0x01 : 0x00); }
  [[nodiscard]] static constexpr enable parse(reader& r) noexcept {
    const std::uint8_t b = r.u8();
    r.reserved_zero(b, 0xFE);
    return {(b & 0x01) != 0};
  }
  friend constexpr bool operator==(const enable&, const enable&) noexcept = default;
};

/// Parameter 2 [3:0], the least privilege that may activate SOL (IPMI v2.0 §26.3): 0h and
/// 6h–Fh reserved.
enum class privilege : std::uint8_t {
  callback = 1,        // IPMI v2.0 §26.3: 1h callback
  user = 2,            // IPMI v2.0 §26.3: 2h user
  operator_level = 3,  // IPMI v2.0 §26.3: 3h operator
  administrator = 4,   // IPMI v2.0 §26.3: 4h administrator
  oem = 5,             // IPMI v2.0 §26.3: 5h OEM proprietary
};

/// Parameter 2, SOL authentication, 1 byte: b7 force encryption, b6 force authentication,
/// [3:0] the least privilege to activate SOL ([5:4] reserved).
struct authentication {
  static constexpr std::uint8_t number = 2;  // IPMI v2.0 §26.3: parameter 2

  bool force_encryption = false;
  bool force_authentication = false;
  sol::privilege min_privilege = sol::privilege::user;  // [3:0]

  constexpr void encode(writer& w) const noexcept {
    const auto p = static_cast<std::uint8_t>(min_privilege);
    if (p < 1 || p > 5) w.fail(encode_error::out_of_range);
    w.u8(static_cast<std::uint8_t>((force_encryption ? 0x80 : 0) | (force_authentication ? 0x40 : 0) | (p & 0x0F)));
  }
  [[nodiscard]] static constexpr authentication parse(reader& r) noexcept {
    const std::uint8_t b = r.u8();
    r.reserved_zero(b, 0x30);
    const auto p = static_cast<std::uint8_t>(b & 0x0F);
    if (p < 1 || p > 5) r.fail(parse_error::reserved_value);  // IPMI v2.0 §26.3: 0h, 6h–Fh reserved
    return {(b & 0x80) != 0, (b & 0x40) != 0, static_cast<sol::privilege>(p)};
  }
  friend constexpr bool operator==(const authentication&, const authentication&) noexcept = default;
};

/// Parameter 3, character accumulate interval (5 ms units) and send threshold (characters).
struct character_accumulate {
  static constexpr std::uint8_t number = 3;  // IPMI v2.0 §26.3: parameter 3

  std::uint8_t interval = 0;   // × 5 ms (sol.md §3)
  std::uint8_t threshold = 0;  // characters

  constexpr void encode(writer& w) const noexcept {
    w.u8(interval);
    w.u8(threshold);
  }
  [[nodiscard]] static constexpr character_accumulate parse(reader& r) noexcept {
    character_accumulate v;
    v.interval = r.u8();
    v.threshold = r.u8();
    return v;
  }
  friend constexpr bool operator==(const character_accumulate&, const character_accumulate&) noexcept = default;
};

/// Parameter 4, SOL retry: byte 1 [2:0] retry count ([7:3] reserved), byte 2 interval (10 ms units).
struct retry {
  static constexpr std::uint8_t number = 4;  // IPMI v2.0 §26.3: parameter 4

  std::uint8_t count = 0;     // 0–7
  std::uint8_t interval = 0;  // × 10 ms (sol.md §3)

  constexpr void encode(writer& w) const noexcept {
    if (count > 7) w.fail(encode_error::out_of_range);
    w.u8(count);
    w.u8(interval);
  }
  [[nodiscard]] static constexpr retry parse(reader& r) noexcept {
    retry v;
    const std::uint8_t b = r.u8();
    r.reserved_zero(b, 0xF8);
    v.count = b & 7;
    v.interval = r.u8();
    return v;
  }
  friend constexpr bool operator==(const retry&, const retry&) noexcept = default;
};

/// Parameters 5 and 6 [3:0] (IPMI v2.0 §26.3; sol.md §3): 1h–5h and Bh–Fh reserved.
enum class bit_rate : std::uint8_t {
  serial_setting = 0x0,  // IPMI v2.0 §26.3: 0h use the IPMI over serial channel's setting
  bps_9600 = 0x6,        // IPMI v2.0 §26.3: 6h 9600 bps
  bps_19200 = 0x7,       // IPMI v2.0 §26.3: 7h 19.2 kbps
  bps_38400 = 0x8,       // IPMI v2.0 §26.3: 8h 38.4 kbps
  bps_57600 = 0x9,       // IPMI v2.0 §26.3: 9h 57.6 kbps
  bps_115200 = 0xA,      // IPMI v2.0 §26.3: Ah 115.2 kbps
};

[[nodiscard]] constexpr bool is_defined(bit_rate b) noexcept {
  const auto v = static_cast<std::uint8_t>(b);
  return v == 0 || (v >= 6 && v <= 0xA);
}

/// Parameter 5 (non-volatile) or 6 (volatile) bit rate, 1 byte ([7:4] reserved).
template <std::uint8_t Number>
struct bit_rate_parameter {
  static constexpr std::uint8_t number = Number;

  bit_rate rate = bit_rate::serial_setting;

  constexpr void encode(writer& w) const noexcept {
    if (!is_defined(rate)) w.fail(encode_error::out_of_range);
    w.u8(static_cast<std::uint8_t>(rate));
  }
  [[nodiscard]] static constexpr bit_rate_parameter parse(reader& r) noexcept {
    const std::uint8_t b = r.u8();
    r.reserved_zero(b, 0xF0);
    const auto rate = static_cast<bit_rate>(b & 0x0F);
    if (!is_defined(rate)) r.fail(parse_error::reserved_value);  // IPMI v2.0 §26.3: reserved codes
    return {rate};
  }
  friend constexpr bool operator==(const bit_rate_parameter&, const bit_rate_parameter&) noexcept = default;
};
using non_volatile_bit_rate = bit_rate_parameter<5>;  // IPMI v2.0 §26.3: parameter 5
using volatile_bit_rate = bit_rate_parameter<6>;      // IPMI v2.0 §26.3: parameter 6

/// Parameter 7, SOL payload channel (read only), 1 byte, carried whole.
struct payload_channel {
  static constexpr std::uint8_t number = 7;  // IPMI v2.0 §26.3: parameter 7

  std::uint8_t channel = 0;

  constexpr void encode(writer& w) const noexcept { w.u8(channel); }
  [[nodiscard]] static constexpr payload_channel parse(reader& r) noexcept { return {r.u8()}; }
  friend constexpr bool operator==(const payload_channel&, const payload_channel&) noexcept = default;
};

/// Parameter 8, SOL payload port, 2 bytes LS first (623 = 6F 02).
struct payload_port {
  static constexpr std::uint8_t number = 8;  // IPMI v2.0 §26.3: parameter 8

  std::uint16_t port = 623;  // lan.md §1: the RMCP/IPMI UDP port 623 (26Fh)

  constexpr void encode(writer& w) const noexcept { w.le16(port); }
  [[nodiscard]] static constexpr payload_port parse(reader& r) noexcept { return {r.le16()}; }
  friend constexpr bool operator==(const payload_port&, const payload_port&) noexcept = default;
};

/// Any other SOL parameter (OEM 192–255 …): its number and up to `capacity` (32) data bytes.
using opaque = detail::opaque_parameter<32, 9>;

using family = detail::parameter_family<opaque, set_in_progress, enable, authentication, character_accumulate, retry,
                                        non_volatile_bit_rate, volatile_bit_rate, payload_channel, payload_port>;

/// A SOL configuration parameter: one of the typed ones, or opaque.
using parameter = family::value;

[[nodiscard]] constexpr std::uint8_t number(const parameter& p) noexcept { return family::number(p); }

inline constexpr std::size_t max_data_size = opaque::capacity;

}  // namespace sol

// Set SOL Configuration Parameters (IPMI v2.0 §26.2). Response: none.
struct set_sol_configuration_parameters {
  static constexpr command_id id = commands::set_sol_configuration_parameters;
  using request = detail::configuration_set_request<sol::family, sol::max_data_size>;
  using response = no_data;
};

// Get SOL Configuration Parameters (IPMI v2.0 §26.3). `ipmitool sol info 1` sends 01 p 00 00.
struct get_sol_configuration_parameters {
  static constexpr command_id id = commands::get_sol_configuration_parameters;
  using request = detail::configuration_get_request;
  using response = detail::configuration_get_response<sol::family, sol::max_data_size>;
};

}  // namespace ipmikit::cmd
