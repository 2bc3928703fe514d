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
struct configuration_set_request_layout {
  static constexpr std::size_t min_size = 2;  // channel, parameter (an opaque parameter may have no data)
  static constexpr std::size_t max_size = 2 + MaxData;

  std::uint8_t channel = 0;  // 0–15
  typename Family::value value{};

  template <class IO, class V>
  static constexpr void fields(IO& io, V& v) noexcept {
    io.byte(v.channel, 0xF0);  // IPMI v2.0 §23.1: [3:0] channel number
    std::uint8_t parameter = Family::number(v.value);
    io.u8(parameter);
    Family::data_field(io, v.value, parameter);
  }
  friend constexpr bool operator==(const configuration_set_request_layout&, const configuration_set_request_layout&) noexcept =
      default;
};
template <class Family, std::size_t MaxData>
using configuration_set_request = with_codec<configuration_set_request_layout<Family, MaxData>>;

/// Get LAN / SOL Configuration Parameters' request: byte 1 b7 revision only, [3:0] channel
/// ([6:4] reserved); byte 2 parameter; byte 3 set selector; byte 4 block selector.
struct configuration_get_request_layout {
  bool revision_only = false;  // b7: answer with the revision byte only
  std::uint8_t channel = 0;    // 0–15
  std::uint8_t parameter = 0;
  std::uint8_t set_selector = 0;
  std::uint8_t block_selector = 0;

  template <class IO, class V>
  static constexpr void fields(IO& io, V& v) noexcept {
    io.bits([&](auto& b) {
      b.flag(7, v.revision_only);
      b.field(0, 0x0F, v.channel);  // IPMI v2.0 §23.2: [3:0] channel number
      b.reserved(0x70);
    });
    io.u8(v.parameter);
    io.u8(v.set_selector);
    io.u8(v.block_selector);
  }
  friend constexpr bool operator==(const configuration_get_request_layout&, const configuration_get_request_layout&) noexcept =
      default;
};
using configuration_get_request = with_codec<configuration_get_request_layout>;

/// Get LAN / SOL Configuration Parameters' response: the revision byte, then the data (none
/// when the request asked for the revision only).
template <class Family, std::size_t MaxData>
struct configuration_get_response_layout {
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

  template <class IO, class V>
  static constexpr void fields(IO& io, V& v) noexcept {
    io.u8(v.revision);
    parameter_bytes<MaxData>::rest_field(io, v.data);
  }
  friend constexpr bool operator==(const configuration_get_response_layout&,
                                   const configuration_get_response_layout&) noexcept = default;
};
template <class Family, std::size_t MaxData>
using configuration_get_response = with_codec<configuration_get_response_layout<Family, MaxData>>;

/// Set and Get … Configuration Parameters of a family (LAN, SOL): the commands `SetId` and
/// `GetId`, with up to `MaxData` parameter data bytes.
template <class Family, std::size_t MaxData, command_id SetId, command_id GetId>
struct configuration_commands {
  using set = typed_command<SetId, configuration_set_request<Family, MaxData>, no_data>;
  using get = typed_command<GetId, configuration_get_request, configuration_get_response<Family, MaxData>>;
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

  template <class IO, class V>
  static constexpr void fields(IO& io, V& v) noexcept {
    io.byte(v.types, auth_type_bit::reserved);
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

  template <class IO, class V>
  static constexpr void fields(IO& io, V& v) noexcept {
    for (auto* level : {&v.callback, &v.user, &v.operator_level, &v.administrator, &v.oem})
      io.byte(*level, auth_type_bit::reserved);
  }
  friend constexpr bool operator==(const auth_type_enables&, const auth_type_enables&) noexcept = default;
};

/// An address parameter, `Size` bytes as sent: an IPv4 address (4 bytes, most significant first,
/// network order: 3 IP address, 6 subnet mask, 12 default gateway, 14 backup gateway) or a MAC
/// address (6 bytes in transmission order: 5 the BMC's, 13 default gateway's, 15 backup
/// gateway's).
template <std::uint8_t Number, std::size_t Size>
struct address_parameter {
  static constexpr std::uint8_t number = Number;

  std::array<std::uint8_t, Size> address{};

  template <class IO, class V>
  static constexpr void fields(IO& io, V& v) noexcept {
    io.bytes(v.address);
  }
  friend constexpr bool operator==(const address_parameter&, const address_parameter&) noexcept = default;
};
template <std::uint8_t Number>
using ipv4_parameter = address_parameter<Number, 4>;
template <std::uint8_t Number>
using mac_parameter = address_parameter<Number, 6>;

using ip_address = ipv4_parameter<3>;           // IPMI v2.0 §23.2: parameter 3
using subnet_mask = ipv4_parameter<6>;          // IPMI v2.0 §23.2: parameter 6
using default_gateway_ip = ipv4_parameter<12>;  // IPMI v2.0 §23.2: parameter 12
using backup_gateway_ip = ipv4_parameter<14>;   // IPMI v2.0 §23.2: parameter 14
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

  template <class IO, class V>
  static constexpr void fields(IO& io, V& v) noexcept {
    detail::enum_byte(io, v.source, 0xF0, 4);  // IPMI v2.0 §23.2: 5h–Fh reserved
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

  template <class IO, class V>
  static constexpr void fields(IO& io, V& v) noexcept {
    io.u8(v.time_to_live);
    io.bits([&](auto& b) {
      b.field(5, 0x07, v.flags);
      b.reserved(0x1F);
    });
    io.bits([&](auto& b) {
      b.field(5, 0x07, v.precedence);
      b.field(1, 0x0F, v.type_of_service);
      b.reserved(0x01);
    });
  }
  friend constexpr bool operator==(const ipv4_header_parameters&, const ipv4_header_parameters&) noexcept = default;
};

/// Parameter 10, BMC-generated ARP control, 1 byte ([7:2] reserved).
struct arp_control {
  static constexpr std::uint8_t number = 10;  // IPMI v2.0 §23.2: parameter 10

  bool gratuitous_arps = false;  // b1: enable BMC-generated gratuitous ARPs
  bool arp_responses = false;    // b0: enable BMC-generated ARP responses

  template <class IO, class V>
  static constexpr void fields(IO& io, V& v) noexcept {
    io.bits([&](auto& b) {
      b.flags({1, 0}, v.gratuitous_arps, v.arp_responses);
      b.reserved(0xFC);
    });
  }
  friend constexpr bool operator==(const arp_control&, const arp_control&) noexcept = default;
};

/// Parameter 11, gratuitous ARP interval, 1 byte in 500 ms units (IPMI v2.0 §23.2).
struct gratuitous_arp_interval {
  static constexpr std::uint8_t number = 11;  // IPMI v2.0 §23.2: parameter 11

  std::uint8_t interval = 0;  // × 500 ms

  template <class IO, class V>
  static constexpr void fields(IO& io, V& v) noexcept {
    io.u8(v.interval);
  }
  friend constexpr bool operator==(const gratuitous_arp_interval&, const gratuitous_arp_interval&) noexcept = default;
};

/// Parameter 16, community string, 18 bytes (printable ASCII, NUL padded).
struct community_string {
  static constexpr std::uint8_t number = 16;  // IPMI v2.0 §23.2: parameter 16 (18 bytes, bmc-commands.md §7)

  std::array<std::uint8_t, 18> text{};

  template <class IO, class V>
  static constexpr void fields(IO& io, V& v) noexcept {
    io.bytes(v.text);
  }
  friend constexpr bool operator==(const community_string&, const community_string&) noexcept = default;
};

/// Parameter 20, 802.1q VLAN ID, 2 bytes: [11:0] ID (LS byte first), b15 enable, [14:12] reserved.
struct vlan_id {
  static constexpr std::uint8_t number = 20;  // IPMI v2.0 §23.2: parameter 20

  bool enabled = false;
  std::uint16_t id = 0;  // 12 bits

  template <class IO, class V>
  static constexpr void fields(IO& io, V& v) noexcept {
    // Two bytes LS first: [11:0] the ID, [14:12] reserved, b15 enable.
    std::uint16_t raw = static_cast<std::uint16_t>((v.enabled ? 0x8000 : 0) | (v.id & 0x0FFF));
    io.le16(raw);
    io.require((raw & 0x7000) == 0, parse_error::reserved_value);
    io.require(v.id <= 0x0FFF);  // IPMI v2.0 §23.2: 12-bit VLAN ID
    if constexpr (IO::reading) {
      v.enabled = (raw & 0x8000) != 0;
      v.id = static_cast<std::uint16_t>(raw & 0x0FFF);
    }
  }
  friend constexpr bool operator==(const vlan_id&, const vlan_id&) noexcept = default;
};

/// Parameter 21, VLAN priority, 1 byte: [2:0] ([7:3] reserved).
struct vlan_priority {
  static constexpr std::uint8_t number = 21;  // IPMI v2.0 §23.2: parameter 21

  std::uint8_t priority = 0;  // 0–7

  template <class IO, class V>
  static constexpr void fields(IO& io, V& v) noexcept {
    io.byte(v.priority, 0xF8);
  }
  friend constexpr bool operator==(const vlan_priority&, const vlan_priority&) noexcept = default;
};

/// The most cipher suite entries parameters 23 and 24 hold (IPMI v2.0 §23.2: entries A–P).
inline constexpr std::size_t max_cipher_suites = 16;  // IPMI v2.0 §23.2: 16 entries

/// Parameter 22, RMCP+ messaging cipher suite entry count, 1 byte: [4:0] 0–16 ([7:5] reserved).
struct cipher_suite_entry_count {
  static constexpr std::uint8_t number = 22;  // IPMI v2.0 §23.2: parameter 22

  std::uint8_t count = 0;

  template <class IO, class V>
  static constexpr void fields(IO& io, V& v) noexcept {
    io.byte(v.count, 0xE0);
    io.require(v.count <= max_cipher_suites);
  }
  friend constexpr bool operator==(const cipher_suite_entry_count&, const cipher_suite_entry_count&) noexcept =
      default;
};

/// Parameter 23, RMCP+ messaging cipher suite entries: a reserved byte (00), then up to 16
/// cipher suite IDs (as many as parameter 22 counts).
struct cipher_suite_entries {
  static constexpr std::uint8_t number = 23;  // IPMI v2.0 §23.2: parameter 23

  parameter_bytes<max_cipher_suites> ids{};

  template <class IO, class V>
  static constexpr void fields(IO& io, V& v) noexcept {
    io.bits([](auto& b) { b.reserved(0xFF); });
    parameter_bytes<max_cipher_suites>::rest_field(io, v.ids);
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

  template <class IO, class V>
  static constexpr void fields(IO& io, V& v) noexcept {
    io.bits([](auto& b) { b.reserved(0xFF); });
    for (std::size_t i = 0; i < max_cipher_suites; i += 2) {
      io.bits([&](auto& b) {
        b.field(0, 0x0F, v.max_privilege[i]);
        b.field(4, 0x0F, v.max_privilege[i + 1]);
      });
      // IPMI v2.0 §23.2: 6h–Fh reserved
      io.require(static_cast<std::uint8_t>(v.max_privilege[i]) <= 5 &&
                     static_cast<std::uint8_t>(v.max_privilege[i + 1]) <= 5,
                 parse_error::reserved_value);
    }
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

  template <class IO, class V>
  static constexpr void fields(IO& io, V& v) noexcept {
    io.bits([&](auto& b) {
      b.flag(0, v.generate_event);
      b.reserved(0xFE);
    });
    io.u8(v.threshold);
    io.le16(v.reset_interval);
    io.le16(v.lockout_interval);
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

// Set LAN Configuration Parameters (IPMI v2.0 §23.1; response: none, cc 80 unsupported
// parameter, 81 set in progress, 82 read-only) and Get LAN Configuration Parameters (§23.2;
// `ipmitool lan print 1` sends 01 p 00 00).
using lan_configuration_commands =
    detail::configuration_commands<lan::family, lan::max_data_size, commands::set_lan_configuration_parameters,
                                   commands::get_lan_configuration_parameters>;
using set_lan_configuration_parameters = lan_configuration_commands::set;
using get_lan_configuration_parameters = lan_configuration_commands::get;

// ---------------------------------------------------------------------------------------------
// SOL configuration parameters (IPMI v2.0 §26.3; sol.md §3): 0–8 typed, the rest opaque.

namespace sol {

using set_in_progress = set_in_progress_parameter;  // parameter 0

/// Parameter 1, SOL enable, 1 byte: b0 ([7:1] reserved).
struct enable {
  static constexpr std::uint8_t number = 1;  // IPMI v2.0 §26.3: parameter 1

  bool enabled = false;

  template <class IO, class V>
  static constexpr void fields(IO& io, V& v) noexcept {
    io.bits([&](auto& b) {
      b.flag(0, v.enabled);
      b.reserved(0xFE);
    });
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

  template <class IO, class V>
  static constexpr void fields(IO& io, V& v) noexcept {
    io.bits([&](auto& b) {
      b.flags({7, 6}, v.force_encryption, v.force_authentication);
      b.field(0, 0x0F, v.min_privilege);
      b.reserved(0x30);
    });
    const auto p = static_cast<std::uint8_t>(v.min_privilege);
    io.require(p >= 1 && p <= 5, parse_error::reserved_value);  // IPMI v2.0 §26.3: 0h, 6h–Fh reserved
  }
  friend constexpr bool operator==(const authentication&, const authentication&) noexcept = default;
};

/// Parameter 3, character accumulate interval (5 ms units) and send threshold (characters).
struct character_accumulate {
  static constexpr std::uint8_t number = 3;  // IPMI v2.0 §26.3: parameter 3

  std::uint8_t interval = 0;   // × 5 ms (sol.md §3)
  std::uint8_t threshold = 0;  // characters

  template <class IO, class V>
  static constexpr void fields(IO& io, V& v) noexcept {
    io.u8(v.interval);
    io.u8(v.threshold);
  }
  friend constexpr bool operator==(const character_accumulate&, const character_accumulate&) noexcept = default;
};

/// Parameter 4, SOL retry: byte 1 [2:0] retry count ([7:3] reserved), byte 2 interval (10 ms units).
struct retry {
  static constexpr std::uint8_t number = 4;  // IPMI v2.0 §26.3: parameter 4

  std::uint8_t count = 0;     // 0–7
  std::uint8_t interval = 0;  // × 10 ms (sol.md §3)

  template <class IO, class V>
  static constexpr void fields(IO& io, V& v) noexcept {
    io.byte(v.count, 0xF8);
    io.u8(v.interval);
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

  template <class IO, class V>
  static constexpr void fields(IO& io, V& v) noexcept {
    io.byte(v.rate, 0xF0);
    io.require(is_defined(v.rate), parse_error::reserved_value);  // IPMI v2.0 §26.3: reserved codes
  }
  friend constexpr bool operator==(const bit_rate_parameter&, const bit_rate_parameter&) noexcept = default;
};
using non_volatile_bit_rate = bit_rate_parameter<5>;  // IPMI v2.0 §26.3: parameter 5
using volatile_bit_rate = bit_rate_parameter<6>;      // IPMI v2.0 §26.3: parameter 6

/// Parameter 7, SOL payload channel (read only), 1 byte, carried whole.
struct payload_channel {
  static constexpr std::uint8_t number = 7;  // IPMI v2.0 §26.3: parameter 7

  std::uint8_t channel = 0;

  template <class IO, class V>
  static constexpr void fields(IO& io, V& v) noexcept {
    io.u8(v.channel);
  }
  friend constexpr bool operator==(const payload_channel&, const payload_channel&) noexcept = default;
};

/// Parameter 8, SOL payload port, 2 bytes LS first (623 = 6F 02).
struct payload_port {
  static constexpr std::uint8_t number = 8;  // IPMI v2.0 §26.3: parameter 8

  std::uint16_t port = 623;  // lan.md §1: the RMCP/IPMI UDP port 623 (26Fh)

  template <class IO, class V>
  static constexpr void fields(IO& io, V& v) noexcept {
    io.le16(v.port);
  }
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

// Set SOL Configuration Parameters (IPMI v2.0 §26.2; response: none) and Get SOL Configuration
// Parameters (§26.3; `ipmitool sol info 1` sends 01 p 00 00).
using sol_configuration_commands =
    detail::configuration_commands<sol::family, sol::max_data_size, commands::set_sol_configuration_parameters,
                                   commands::get_sol_configuration_parameters>;
using set_sol_configuration_parameters = sol_configuration_commands::set;
using get_sol_configuration_parameters = sol_configuration_commands::get;

}  // namespace ipmikit::cmd
