// ipmikit/lan/rmcp.hpp — the bytes of IPMI over LAN: the RMCP header, ASF presence ping and
// pong, the IPMI 1.5 session header (session-less use only), the RMCP+ (IPMI v2.0) session
// header and trailer, the IPMI message inside a LAN packet (IPMI v2.0 §13.8), and the payloads
// that set up an RMCP+ session: Open Session Request/Response and RAKP messages 1-4 (§13.17-
// §13.23). Parse and encode only: the session rules are lan/server.hpp's, the crypto
// lan/crypto.hpp's. docs/lan.md walks through a whole login byte by byte.
//
//   const lan::packet p = lan::parse_packet(datagram);   // what kind, and its fields
//   if (p.kind == lan::packet_kind::rmcpp) ... p.rmcpp.payload ...
//
// Byte order: the RMCP and ASF fields are big-endian, every IPMI and RMCP+ field little-endian
// (lan.md §0). Sans-IO: no clock, no heap, no exceptions; everything is constexpr.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

#include "../checksum.hpp"
#include "../cmd/codec.hpp"
#include "../detail/enum_name.hpp"
#include "../message.hpp"

namespace ipmikit::lan {

namespace detail {
using ipmikit::detail::enum_name;
[[nodiscard]] constexpr std::uint32_t le32_at(std::span<const std::uint8_t> b, std::size_t at) noexcept {
  return static_cast<std::uint32_t>(b[at]) | static_cast<std::uint32_t>(b[at + 1]) << 8 |
         static_cast<std::uint32_t>(b[at + 2]) << 16 | static_cast<std::uint32_t>(b[at + 3]) << 24;
}
constexpr void put_le32(std::span<std::uint8_t> b, std::size_t at, std::uint32_t v) noexcept {
  for (std::size_t i = 0; i < 4; ++i) b[at + i] = static_cast<std::uint8_t>(v >> (8 * i));
}
}  // namespace detail

// ---------------------------------------------------------------------------------------------
// Numbers

inline constexpr std::uint16_t rmcp_port = 623;         // lan.md §1: UDP 623
inline constexpr std::uint8_t rmcp_version = 0x06;      // lan.md §1: RMCP 1.0
inline constexpr std::uint8_t rmcp_no_ack = 0xFF;       // lan.md §1: RMCP sequence FFh, no RMCP ACK
inline constexpr std::uint8_t rmcp_class_asf = 0x06;    // lan.md §1
inline constexpr std::uint8_t rmcp_class_ipmi = 0x07;   // lan.md §1
inline constexpr std::uint8_t rmcp_class_mask = 0x1F;   // lan.md §1: bits 4:0 the class, bit 7 ACK
inline constexpr std::uint32_t asf_iana = 4542;          // lan.md §1: ASF's IANA number (0x11BE)
inline constexpr std::uint8_t asf_ping_type = 0x80;         // lan.md §1: presence ping
inline constexpr std::uint8_t asf_pong_type = 0x40;         // lan.md §1: presence pong
inline constexpr std::uint8_t asf_entities_ipmi = 0x81; // lan.md §1: supported entities, b7 IPMI, b0 ASF 1.0

inline constexpr std::uint8_t auth_type_none = 0x00;    // lan.md §2.1: IPMI 1.5, no authentication
inline constexpr std::uint8_t auth_type_rmcpp = 0x06;   // lan.md §2.2: the RMCP+ format
inline constexpr std::uint8_t payload_encrypted = 0x80;     // lan.md §2.2: payload type bit 7
inline constexpr std::uint8_t payload_authenticated = 0x40; // lan.md §2.2: payload type bit 6
inline constexpr std::uint8_t payload_type_mask = 0x3F;
inline constexpr std::uint8_t next_header_ipmi = 0x07;  // lan.md §2.2: the trailer's next header
inline constexpr std::uint8_t integrity_pad_byte = 0xFF; // lan.md §2.2

inline constexpr std::size_t rmcp_header_size = 4;
inline constexpr std::size_t asf_message_size = 8;      // IANA, type, tag, reserved, data length
inline constexpr std::size_t asf_pong_data_size = 16;   // lan.md §1
inline constexpr std::size_t v15_header_size = 10;      // auth type, seq, SID, message length (auth type 00h)
inline constexpr std::size_t rmcpp_header_size = 12;    // auth type, payload type, SID, seq, length (lan.md §2.2)
inline constexpr std::size_t rmcpp_trailer_fixed = 2;   // pad length, next header (then the AuthCode)
inline constexpr std::size_t max_auth_code_size = 16;   // HMAC-SHA256-128 (lan.md §5)
/// The largest IPMI payload this library handles (a LAN message of a 255-byte response body).
inline constexpr std::size_t max_ipmi_payload = 8 + 255;  // rqAddr … cmd, cc, 255 data bytes, chk2 (IPMI v2.0 §13.8)
/// The largest datagram this library writes or accepts (an encrypted maximal payload: IV,
/// blocks, pad, trailer), rounded up.
inline constexpr std::size_t max_packet_size = 384;

inline constexpr std::uint8_t bmc_address = 0x20;            // IPMI v2.0 §5.5: the BMC's slave address
inline constexpr std::uint8_t remote_console_address = 0x81; // IPMI v2.0 §5.5: software ID 40h, the remote console
inline constexpr std::size_t lan_message_overhead = 7;       // rsAddr, netFn/LUN, chk1, rqAddr, seq/LUN, cmd, chk2

/// RMCP+ payload types (IPMI v2.0 §13.27.3, lan.md §2.3).
enum class payload_type : std::uint8_t {
  ipmi = 0x00,
  sol = 0x01,
  oem_explicit = 0x02,
  open_session_request = 0x10,
  open_session_response = 0x11,
  rakp1 = 0x12,
  rakp2 = 0x13,
  rakp3 = 0x14,
  rakp4 = 0x15,
};

[[nodiscard]] constexpr std::string_view name(payload_type t) noexcept {
  switch (t) {
    case payload_type::ipmi: return "ipmi";
    case payload_type::sol: return "sol";
    case payload_type::oem_explicit: return "oem_explicit";
    case payload_type::open_session_request: return "open_session_request";
    case payload_type::open_session_response: return "open_session_response";
    case payload_type::rakp1: return "rakp1";
    case payload_type::rakp2: return "rakp2";
    case payload_type::rakp3: return "rakp3";
    case payload_type::rakp4: return "rakp4";
  }
  return "unknown";
}

/// RMCP+ status codes (IPMI v2.0 §13.24, lan.md §6.1): the status byte of Open Session
/// Response and RAKP 2, 3 and 4.
enum class rmcpp_status : std::uint8_t {
  ok = 0x00,
  insufficient_resources = 0x01,
  invalid_session_id = 0x02,
  invalid_payload_type = 0x03,
  invalid_authentication_algorithm = 0x04,
  invalid_integrity_algorithm = 0x05,
  no_matching_authentication_payload = 0x06,
  no_matching_integrity_payload = 0x07,
  inactive_session_id = 0x08,
  invalid_role = 0x09,
  unauthorized_role = 0x0A,
  insufficient_resources_for_role = 0x0B,
  invalid_name_length = 0x0C,
  unauthorized_name = 0x0D,
  unauthorized_guid = 0x0E,
  invalid_integrity_check_value = 0x0F,
  invalid_confidentiality_algorithm = 0x10,
  no_cipher_suite_match = 0x11,
  illegal_parameter = 0x12,
};

[[nodiscard]] constexpr std::string_view name(rmcpp_status s) noexcept {
  return detail::enum_name<rmcpp_status, 19>(
      s, {"ok", "insufficient_resources", "invalid_session_id", "invalid_payload_type",
          "invalid_authentication_algorithm", "invalid_integrity_algorithm", "no_matching_authentication_payload",
          "no_matching_integrity_payload", "inactive_session_id", "invalid_role", "unauthorized_role",
          "insufficient_resources_for_role", "invalid_name_length", "unauthorized_name", "unauthorized_guid",
          "invalid_integrity_check_value", "invalid_confidentiality_algorithm", "no_cipher_suite_match",
          "illegal_parameter"});
}

// ---------------------------------------------------------------------------------------------
// A parsed datagram

/// What parse_packet() found.
enum class packet_kind : std::uint8_t {
  invalid = 0,   // see packet::error
  asf_ping = 1,  // an ASF presence ping: answer with encode_asf_pong
  ipmi15 = 2,    // an IPMI 1.5 session header (auth type ≠ 06h)
  rmcpp = 3,     // an RMCP+ session header
};

/// Why parse_packet() or parse_lan_message() refused the bytes.
enum class packet_error : std::uint8_t {
  ok = 0,
  too_short = 1,            // shorter than its headers say
  bad_rmcp_header = 2,      // not RMCP 1.0, or an RMCP ACK
  unsupported_class = 3,    // an RMCP class other than ASF and IPMI
  not_asf_ping = 4,         // ASF, but not a presence ping (or not ASF's IANA number)
  length_mismatch = 5,      // the header's length disagrees with the bytes that follow
  oem_payload = 6,          // RMCP+ OEM explicit payloads are not supported
  bad_trailer = 7,          // integrity pad, pad length or next header wrong
  bad_checksum = 8,         // an IPMI message checksum (lan message)
  not_a_request = 9,        // a LAN message whose netFn is a response's
};

[[nodiscard]] constexpr std::string_view name(packet_error e) noexcept {
  return detail::enum_name<packet_error, 10>(
      e, {"ok", "too_short", "bad_rmcp_header", "unsupported_class", "not_asf_ping", "length_mismatch",
          "oem_payload", "bad_trailer", "bad_checksum", "not_a_request"});
}

/// An IPMI 1.5 session header and its message (lan.md §2.1). The AuthCode is not kept: no
/// IPMI 1.5 authentication is supported.
struct ipmi15_fields {
  std::uint8_t auth_type = 0;
  std::uint32_t sequence = 0;
  std::uint32_t session_id = 0;
  std::span<const std::uint8_t> message;
};

/// An RMCP+ session header (lan.md §2.2). `payload` is as it came (encrypted or not);
/// `trailer` the bytes after it (checked by parse_rmcpp_trailer once the session's AuthCode
/// size is known).
struct rmcpp_fields {
  bool encrypted = false;
  bool authenticated = false;
  lan::payload_type type = payload_type::ipmi;
  std::uint32_t session_id = 0;
  std::uint32_t sequence = 0;
  std::span<const std::uint8_t> payload;
  std::span<const std::uint8_t> trailer;
  std::span<const std::uint8_t> from_auth_type;  // auth type … end: what the AuthCode covers, with the trailer
};

struct packet {
  packet_kind kind = packet_kind::invalid;
  packet_error error = packet_error::ok;
  std::uint8_t asf_tag = 0;  // asf_ping
  ipmi15_fields ipmi15{};
  rmcpp_fields rmcpp{};
};

// ---------------------------------------------------------------------------------------------
// Parsing


/// Classifies one UDP datagram and reads its headers. Never reads past `datagram`.
[[nodiscard]] constexpr packet parse_packet(std::span<const std::uint8_t> datagram) noexcept {
  packet p;
  const auto fail = [&p](packet_error e) {
    p.kind = packet_kind::invalid;
    p.error = e;
    return p;
  };
  if (datagram.size() < rmcp_header_size) return fail(packet_error::too_short);
  if (datagram[0] != rmcp_version || (datagram[3] & 0x80u) != 0) return fail(packet_error::bad_rmcp_header);
  const std::uint8_t cls = datagram[3] & rmcp_class_mask;
  const auto body = datagram.subspan(rmcp_header_size);
  if (cls == rmcp_class_asf) {
    if (body.size() < asf_message_size) return fail(packet_error::too_short);
    const std::uint32_t iana = static_cast<std::uint32_t>(body[0]) << 24 | static_cast<std::uint32_t>(body[1]) << 16 |
                               static_cast<std::uint32_t>(body[2]) << 8 | body[3];
    if (iana != asf_iana || body[4] != asf_ping_type) return fail(packet_error::not_asf_ping);
    p.kind = packet_kind::asf_ping;
    p.asf_tag = body[5];
    return p;
  }
  if (cls != rmcp_class_ipmi) return fail(packet_error::unsupported_class);
  if (body.empty()) return fail(packet_error::too_short);
  if (body[0] != auth_type_rmcpp) {
    ipmi15_fields f;
    f.auth_type = body[0];
    const std::size_t code = f.auth_type == auth_type_none ? 0 : 16;  // lan.md §2.1: 16-byte AuthCode
    if (body.size() < v15_header_size + code) return fail(packet_error::too_short);
    f.sequence = detail::le32_at(body, 1);
    f.session_id = detail::le32_at(body, 5);
    const std::size_t length = body[9 + code];
    const auto rest = body.subspan(v15_header_size + code);
    // ipmitool pads some v1.5 packets with one legacy byte (IPMI v2.0 §13.6): allow one extra.
    if (rest.size() < length || rest.size() > length + 1) return fail(packet_error::length_mismatch);
    f.message = rest.first(length);
    p.kind = packet_kind::ipmi15;
    p.ipmi15 = f;
    return p;
  }
  if (body.size() < rmcpp_header_size) return fail(packet_error::too_short);
  rmcpp_fields f;
  f.encrypted = (body[1] & payload_encrypted) != 0;
  f.authenticated = (body[1] & payload_authenticated) != 0;
  f.type = static_cast<payload_type>(body[1] & payload_type_mask);
  if (f.type == payload_type::oem_explicit) return fail(packet_error::oem_payload);
  f.session_id = detail::le32_at(body, 2);
  f.sequence = detail::le32_at(body, 6);
  const std::size_t length = static_cast<std::size_t>(body[10]) | static_cast<std::size_t>(body[11]) << 8;
  const auto rest = body.subspan(rmcpp_header_size);
  if (rest.size() < length) return fail(packet_error::length_mismatch);
  f.payload = rest.first(length);
  f.trailer = rest.subspan(length);
  if (!f.authenticated && !f.trailer.empty()) return fail(packet_error::length_mismatch);
  f.from_auth_type = body;
  p.kind = packet_kind::rmcpp;
  p.rmcpp = f;
  return p;
}

/// The integrity pad an authenticated RMCP+ packet carries after a payload of `payload_size`
/// bytes: auth type … next header is a multiple of 4 bytes (lan.md §2.2).
[[nodiscard]] constexpr std::size_t integrity_pad_size(std::size_t payload_size) noexcept {
  return (4 - (rmcpp_header_size + payload_size + rmcpp_trailer_fixed) % 4) % 4;
}

/// An authenticated packet's trailer, checked: the AuthCode (its last `auth_code_size` bytes)
/// and what it covers (auth type through next header).
struct rmcpp_trailer {
  packet_error error = packet_error::ok;
  std::span<const std::uint8_t> covered;
  std::span<const std::uint8_t> auth_code;
};

[[nodiscard]] constexpr rmcpp_trailer parse_rmcpp_trailer(const rmcpp_fields& f, std::size_t auth_code_size) noexcept {
  rmcpp_trailer t;
  const std::size_t pad = integrity_pad_size(f.payload.size());
  if (f.trailer.size() != pad + rmcpp_trailer_fixed + auth_code_size) {
    t.error = packet_error::bad_trailer;
    return t;
  }
  for (std::size_t i = 0; i < pad; ++i)
    if (f.trailer[i] != integrity_pad_byte) t.error = packet_error::bad_trailer;
  if (f.trailer[pad] != pad || f.trailer[pad + 1] != next_header_ipmi) t.error = packet_error::bad_trailer;
  if (t.error != packet_error::ok) return t;
  t.covered = f.from_auth_type.first(f.from_auth_type.size() - auth_code_size);
  t.auth_code = f.from_auth_type.last(auth_code_size);
  return t;
}

// ---------------------------------------------------------------------------------------------
// The IPMI message inside a LAN packet (IPMI v2.0 §13.8)

/// A request as it travels on the LAN: the addresses and sequence around a request body.
struct lan_request {
  std::uint8_t responder_address = bmc_address;
  std::uint8_t requester_address = remote_console_address;
  std::uint8_t sequence = 0;  // rqSeq, 6 bits
  lun requester_lun = lun::bmc;
  /// The request body as bmc::dispatcher takes it: netFn/LUN, command, data.
  std::array<std::uint8_t, 2 + 255> body{};
  std::size_t body_size = 0;

  [[nodiscard]] constexpr std::span<const std::uint8_t> view() const noexcept { return {body.data(), body_size}; }
};

struct lan_request_result {
  lan_request value{};
  packet_error error = packet_error::ok;
  [[nodiscard]] constexpr explicit operator bool() const noexcept { return error == packet_error::ok; }
};

/// Reads a LAN request message: rsAddr, netFn/rsLUN, chk1, rqAddr, rqSeq/rqLUN, cmd, data, chk2.
[[nodiscard]] constexpr lan_request_result parse_lan_request(std::span<const std::uint8_t> m) noexcept {
  lan_request_result r;
  if (m.size() < lan_message_overhead || m.size() > lan_message_overhead + 255) {
    r.error = m.size() < lan_message_overhead ? packet_error::too_short : packet_error::length_mismatch;
    return r;
  }
  if (!checksum_ok(m.first(3)) || !checksum_ok(m.subspan(3))) {
    r.error = packet_error::bad_checksum;
    return r;
  }
  if (!is_request(netfn_of(m[1]))) {
    r.error = packet_error::not_a_request;
    return r;
  }
  lan_request& q = r.value;
  q.responder_address = m[0];
  q.requester_address = m[3];
  q.sequence = static_cast<std::uint8_t>(m[4] >> 2);
  q.requester_lun = lun_of(m[4]);
  q.body[0] = m[1];  // netFn/rsLUN as the dispatcher reads it
  q.body[1] = m[5];
  const auto data = m.subspan(6, m.size() - lan_message_overhead);
  for (std::size_t i = 0; i < data.size(); ++i) q.body[2 + i] = data[i];
  q.body_size = 2 + data.size();
  return r;
}

/// Writes the LAN response message to `q` for `response` (a dispatcher's response body:
/// netFn/LUN, command, completion code, data): rqAddr, netFn/rqLUN, chk1, rsAddr, rqSeq/rsLUN,
/// cmd, cc, data, chk2. Returns the size, or 0 when `out` is too small or the body shorter
/// than 3 bytes.
[[nodiscard]] constexpr std::size_t encode_lan_response(const lan_request& q, std::span<const std::uint8_t> response,
                                                        std::span<std::uint8_t> out) noexcept {
  if (response.size() < 3 || out.size() < response.size() + lan_message_overhead - 2) return 0;
  out[0] = q.requester_address;
  out[1] = pack_netfn_lun(netfn_of(response[0]), q.requester_lun);
  out[2] = compute_checksum(out.first(2));
  out[3] = q.responder_address;
  out[4] = static_cast<std::uint8_t>(q.sequence << 2 | static_cast<std::uint8_t>(lun_of(q.body[0])));
  out[5] = response[1];
  std::size_t n = 6;
  for (std::size_t i = 2; i < response.size(); ++i) out[n++] = response[i];
  out[n] = compute_checksum(out.subspan(3, n - 3));
  return n + 1;
}

/// Writes a LAN request message (a client's): `body` is netFn/LUN, command, data.
[[nodiscard]] constexpr std::size_t encode_lan_request(std::span<const std::uint8_t> body, std::uint8_t sequence,
                                                       std::span<std::uint8_t> out) noexcept {
  if (body.size() < 2 || body.size() > 2 + 255 || out.size() < body.size() + lan_message_overhead - 2) return 0;
  out[0] = bmc_address;
  out[1] = body[0];
  out[2] = compute_checksum(out.first(2));
  out[3] = remote_console_address;
  out[4] = static_cast<std::uint8_t>((sequence & 0x3Fu) << 2);
  out[5] = body[1];
  std::size_t n = 6;
  for (std::size_t i = 2; i < body.size(); ++i) out[n++] = body[i];
  out[n] = compute_checksum(out.subspan(3, n - 3));
  return n + 1;
}

// ---------------------------------------------------------------------------------------------
// Writing packets

/// RMCP header for IPMI (06 00 FF 07).
constexpr void write_rmcp_header(std::span<std::uint8_t> out, std::uint8_t cls = rmcp_class_ipmi) noexcept {
  out[0] = rmcp_version;
  out[1] = 0x00;
  out[2] = rmcp_no_ack;
  out[3] = cls;
}

/// The ASF presence pong answering a ping with `tag` (lan.md §1). Returns its size (28), or 0
/// when `out` is too small.
[[nodiscard]] constexpr std::size_t encode_asf_pong(std::uint8_t tag, std::span<std::uint8_t> out) noexcept {
  constexpr std::size_t size = rmcp_header_size + asf_message_size + asf_pong_data_size;
  if (out.size() < size) return 0;
  write_rmcp_header(out, rmcp_class_asf);
  const std::array<std::uint8_t, asf_message_size + asf_pong_data_size> body{
      0x00, 0x00, 0x11, 0xBE, asf_pong_type, tag, 0x00, asf_pong_data_size,  // IANA 4542, pong, tag
      0x00, 0x00, 0x11, 0xBE, 0x00, 0x00, 0x00, 0x00,                   // IANA, OEM-defined 0
      asf_entities_ipmi, 0x00, 0, 0, 0, 0, 0, 0};                      // IPMI supported, no interactions
  for (std::size_t i = 0; i < body.size(); ++i) out[rmcp_header_size + i] = body[i];
  return size;
}

/// An ASF presence ping (a client's, and the tests').
[[nodiscard]] constexpr std::size_t encode_asf_ping(std::uint8_t tag, std::span<std::uint8_t> out) noexcept {
  constexpr std::size_t size = rmcp_header_size + asf_message_size;
  if (out.size() < size) return 0;
  write_rmcp_header(out, rmcp_class_asf);
  const std::array<std::uint8_t, asf_message_size> body{0x00, 0x00, 0x11, 0xBE, asf_ping_type, tag, 0x00, 0x00};
  for (std::size_t i = 0; i < body.size(); ++i) out[rmcp_header_size + i] = body[i];
  return size;
}

/// A session-less IPMI 1.5 packet (auth type none, sequence 0, session 0) around `message`:
/// how Get Channel Authentication Capabilities is asked and answered before a session.
[[nodiscard]] constexpr std::size_t encode_ipmi15(std::span<const std::uint8_t> message,
                                                  std::span<std::uint8_t> out) noexcept {
  const std::size_t size = rmcp_header_size + v15_header_size + message.size();
  if (message.size() > 255 || out.size() < size) return 0;
  write_rmcp_header(out);
  for (std::size_t i = 0; i < 9; ++i) out[rmcp_header_size + i] = 0;  // auth none, seq 0, SID 0
  out[rmcp_header_size + 9] = static_cast<std::uint8_t>(message.size());
  for (std::size_t i = 0; i < message.size(); ++i) out[rmcp_header_size + v15_header_size + i] = message[i];
  return size;
}

/// An RMCP+ packet without integrity or confidentiality (session setup, session-less):
/// header and payload. Returns its size, or 0 when `out` is too small.
[[nodiscard]] constexpr std::size_t encode_rmcpp_plain(payload_type type, std::uint32_t session_id,
                                                       std::uint32_t sequence, std::span<const std::uint8_t> payload,
                                                       std::span<std::uint8_t> out) noexcept {
  const std::size_t size = rmcp_header_size + rmcpp_header_size + payload.size();
  if (payload.size() > 0xFFFF || out.size() < size) return 0;
  write_rmcp_header(out);
  auto h = out.subspan(rmcp_header_size);
  h[0] = auth_type_rmcpp;
  h[1] = static_cast<std::uint8_t>(type);
  detail::put_le32(h, 2, session_id);
  detail::put_le32(h, 6, sequence);
  h[10] = static_cast<std::uint8_t>(payload.size());
  h[11] = static_cast<std::uint8_t>(payload.size() >> 8);
  for (std::size_t i = 0; i < payload.size(); ++i) h[rmcpp_header_size + i] = payload[i];
  return size;
}

// ---------------------------------------------------------------------------------------------
// Session setup payloads (IPMI v2.0 §13.17-§13.23, lan.md §6-§7)

inline constexpr std::size_t open_session_request_size = 32;
inline constexpr std::size_t open_session_response_size = 36;
inline constexpr std::size_t open_session_error_size = 8;
inline constexpr std::size_t rakp1_min_size = 28;   // without the name
inline constexpr std::size_t max_user_name = 16;    // lan.md §7: ULENGTHm 0-16
inline constexpr std::uint8_t role_privilege_mask = 0x0F;  // lan.md §7: ROLEm [3:0]
inline constexpr std::uint8_t role_name_only_lookup = 0x10; // lan.md §7: ROLEm b4

/// Open Session Request (lan.md §6). An algorithm payload of length 0 (or absent) is "any":
/// std::nullopt-like `proposed = false`.
struct open_session_request {
  std::uint8_t tag = 0;
  std::uint8_t max_privilege = 0;  // [3:0]; 0: the highest the BMC allows
  std::uint32_t console_session_id = 0;
  struct proposal {
    bool proposed = true;   // false: the console lets the BMC pick
    std::uint8_t algorithm = 0;
  };
  proposal authentication{}, integrity{}, confidentiality{};
};

/// Reads an Open Session Request: 32 bytes, or shorter when trailing algorithm payloads say
/// "BMC picks" by a length of 0 (lan.md §6).
[[nodiscard]] constexpr cmd::parsed<open_session_request> parse_open_session_request(
    std::span<const std::uint8_t> p) noexcept {
  open_session_request r;
  if (p.size() < 8) return {r, cmd::parse_error::too_short};
  if (p.size() > open_session_request_size) return {r, cmd::parse_error::too_long};
  r.tag = p[0];
  r.max_privilege = static_cast<std::uint8_t>(p[1] & role_privilege_mask);
  r.console_session_id = detail::le32_at(p, 4);
  open_session_request::proposal* each[] = {&r.authentication, &r.integrity, &r.confidentiality};
  std::size_t at = 8;
  for (std::uint8_t i = 0; i < 3; ++i) {
    if (at + 8 > p.size()) {
      if (at != p.size()) return {r, cmd::parse_error::too_short};
      each[i]->proposed = false;  // absent
      continue;
    }
    const auto a = p.subspan(at, 8);
    if (a[0] != i) return {r, cmd::parse_error::out_of_range};  // payload type 0, 1, 2 in order
    each[i]->proposed = a[3] != 0;
    each[i]->algorithm = static_cast<std::uint8_t>(a[4] & 0x3Fu);
    at += 8;
  }
  return {r, cmd::parse_error::ok};
}

/// Open Session Response (lan.md §6): the whole 36 bytes when status is ok, else 8.
struct open_session_response {
  std::uint8_t tag = 0;
  rmcpp_status status = rmcpp_status::ok;
  std::uint8_t max_privilege = 0;
  std::uint32_t console_session_id = 0;
  std::uint32_t bmc_session_id = 0;
  std::uint8_t authentication = 0, integrity = 0, confidentiality = 0;
};

[[nodiscard]] constexpr std::size_t encode_open_session_response(const open_session_response& r,
                                                                 std::span<std::uint8_t> out) noexcept {
  const std::size_t size = r.status == rmcpp_status::ok ? open_session_response_size : open_session_error_size;
  if (out.size() < size) return 0;
  out[0] = r.tag;
  out[1] = static_cast<std::uint8_t>(r.status);
  out[2] = r.max_privilege;
  out[3] = 0;
  detail::put_le32(out, 4, r.console_session_id);
  if (size == open_session_error_size) return size;
  detail::put_le32(out, 8, r.bmc_session_id);
  const std::uint8_t algorithms[] = {r.authentication, r.integrity, r.confidentiality};
  for (std::uint8_t i = 0; i < 3; ++i) {
    auto a = out.subspan(12 + 8u * i, 8);
    a[0] = i;
    a[1] = a[2] = 0;
    a[3] = 8;
    a[4] = algorithms[i];
    a[5] = a[6] = a[7] = 0;
  }
  return size;
}

[[nodiscard]] constexpr cmd::parsed<open_session_response> parse_open_session_response(
    std::span<const std::uint8_t> p) noexcept {
  open_session_response r;
  if (p.size() < open_session_error_size) return {r, cmd::parse_error::too_short};
  r.tag = p[0];
  r.status = static_cast<rmcpp_status>(p[1]);
  r.max_privilege = static_cast<std::uint8_t>(p[2] & role_privilege_mask);
  r.console_session_id = detail::le32_at(p, 4);
  if (r.status != rmcpp_status::ok) return {r, cmd::parse_error::ok};
  if (p.size() != open_session_response_size) return {r, cmd::parse_error::too_short};
  r.bmc_session_id = detail::le32_at(p, 8);
  r.authentication = static_cast<std::uint8_t>(p[16] & 0x3Fu);
  r.integrity = static_cast<std::uint8_t>(p[24] & 0x3Fu);
  r.confidentiality = static_cast<std::uint8_t>(p[32] & 0x3Fu);
  return {r, cmd::parse_error::ok};
}

/// An Open Session Request (a client's).
[[nodiscard]] constexpr std::size_t encode_open_session_request(const open_session_request& r,
                                                                std::span<std::uint8_t> out) noexcept {
  if (out.size() < open_session_request_size) return 0;
  out[0] = r.tag;
  out[1] = r.max_privilege;
  out[2] = out[3] = 0;
  detail::put_le32(out, 4, r.console_session_id);
  const open_session_request::proposal each[] = {r.authentication, r.integrity, r.confidentiality};
  for (std::uint8_t i = 0; i < 3; ++i) {
    auto a = out.subspan(8 + 8u * i, 8);
    a[0] = i;
    a[1] = a[2] = 0;
    a[3] = each[i].proposed ? 8 : 0;
    a[4] = each[i].algorithm;
    a[5] = a[6] = a[7] = 0;
  }
  return open_session_request_size;
}

using random16 = std::array<std::uint8_t, 16>;

/// RAKP Message 1 (lan.md §7).
struct rakp1 {
  std::uint8_t tag = 0;
  std::uint32_t bmc_session_id = 0;
  random16 console_random{};
  std::uint8_t role = 0;  // the whole byte: [3:0] privilege, b4 name-only lookup
  std::array<std::uint8_t, max_user_name> name{};
  std::uint8_t name_size = 0;
  [[nodiscard]] constexpr std::span<const std::uint8_t> name_view() const noexcept { return {name.data(), name_size}; }
};

/// Reads RAKP 1. The name may be followed by zero padding up to 16 bytes (lan.md §7).
[[nodiscard]] constexpr cmd::parsed<rakp1> parse_rakp1(std::span<const std::uint8_t> p) noexcept {
  rakp1 r;
  if (p.size() < rakp1_min_size) return {r, cmd::parse_error::too_short};
  r.tag = p[0];
  r.bmc_session_id = detail::le32_at(p, 4);
  for (std::size_t i = 0; i < 16; ++i) r.console_random[i] = p[8 + i];
  r.role = p[24];
  const std::size_t n = p[27];
  if (n > max_user_name) return {r, cmd::parse_error::out_of_range};
  if (p.size() < rakp1_min_size + n) return {r, cmd::parse_error::too_short};
  if (p.size() > rakp1_min_size + max_user_name && p.size() != rakp1_min_size + n) return {r, cmd::parse_error::too_long};
  r.name_size = static_cast<std::uint8_t>(n);
  for (std::size_t i = 0; i < n; ++i) r.name[i] = p[rakp1_min_size + i];
  return {r, cmd::parse_error::ok};
}

[[nodiscard]] constexpr std::size_t encode_rakp1(const rakp1& r, std::span<std::uint8_t> out) noexcept {
  const std::size_t size = rakp1_min_size + r.name_size;
  if (out.size() < size || r.name_size > max_user_name) return 0;
  out[0] = r.tag;
  out[1] = out[2] = out[3] = 0;
  detail::put_le32(out, 4, r.bmc_session_id);
  for (std::size_t i = 0; i < 16; ++i) out[8 + i] = r.console_random[i];
  out[24] = r.role;
  out[25] = out[26] = 0;
  out[27] = r.name_size;
  for (std::size_t i = 0; i < r.name_size; ++i) out[rakp1_min_size + i] = r.name[i];
  return size;
}

/// RAKP Message 2 (lan.md §7): the BMC's random number and GUID, and its key-exchange code.
struct rakp2 {
  std::uint8_t tag = 0;
  rmcpp_status status = rmcpp_status::ok;
  std::uint32_t console_session_id = 0;
  random16 bmc_random{};
  std::array<std::uint8_t, 16> bmc_guid{};
  std::span<const std::uint8_t> auth_code;  // 20 (SHA1) or 32 (SHA256) bytes; empty on error
};

[[nodiscard]] constexpr std::size_t encode_rakp2(const rakp2& r, std::span<std::uint8_t> out) noexcept {
  const bool ok = r.status == rmcpp_status::ok;
  const std::size_t size = ok ? 40 + r.auth_code.size() : 8;
  if (out.size() < size) return 0;
  out[0] = r.tag;
  out[1] = static_cast<std::uint8_t>(r.status);
  out[2] = out[3] = 0;
  detail::put_le32(out, 4, r.console_session_id);
  if (!ok) return size;
  for (std::size_t i = 0; i < 16; ++i) out[8 + i] = r.bmc_random[i];
  for (std::size_t i = 0; i < 16; ++i) out[24 + i] = r.bmc_guid[i];
  for (std::size_t i = 0; i < r.auth_code.size(); ++i) out[40 + i] = r.auth_code[i];
  return size;
}

[[nodiscard]] constexpr cmd::parsed<rakp2> parse_rakp2(std::span<const std::uint8_t> p) noexcept {
  rakp2 r;
  if (p.size() < 8) return {r, cmd::parse_error::too_short};
  r.tag = p[0];
  r.status = static_cast<rmcpp_status>(p[1]);
  r.console_session_id = detail::le32_at(p, 4);
  if (r.status != rmcpp_status::ok) return {r, cmd::parse_error::ok};
  if (p.size() < 40) return {r, cmd::parse_error::too_short};
  for (std::size_t i = 0; i < 16; ++i) r.bmc_random[i] = p[8 + i];
  for (std::size_t i = 0; i < 16; ++i) r.bmc_guid[i] = p[24 + i];
  r.auth_code = p.subspan(40);
  return {r, cmd::parse_error::ok};
}

/// RAKP Message 3 (console → BMC) and 4 (BMC → console) share a layout: tag, status, two
/// reserved bytes, the receiver's session ID, then a code (lan.md §7).
struct rakp34 {
  std::uint8_t tag = 0;
  rmcpp_status status = rmcpp_status::ok;
  std::uint32_t session_id = 0;  // RAKP 3: the BMC's; RAKP 4: the console's
  std::span<const std::uint8_t> code;
};

[[nodiscard]] constexpr cmd::parsed<rakp34> parse_rakp34(std::span<const std::uint8_t> p) noexcept {
  rakp34 r;
  if (p.size() < 8) return {r, cmd::parse_error::too_short};
  r.tag = p[0];
  r.status = static_cast<rmcpp_status>(p[1]);
  r.session_id = detail::le32_at(p, 4);
  r.code = p.subspan(8);
  return {r, cmd::parse_error::ok};
}

[[nodiscard]] constexpr std::size_t encode_rakp34(const rakp34& r, std::span<std::uint8_t> out) noexcept {
  const std::size_t size = 8 + r.code.size();
  if (out.size() < size) return 0;
  out[0] = r.tag;
  out[1] = static_cast<std::uint8_t>(r.status);
  out[2] = out[3] = 0;
  detail::put_le32(out, 4, r.session_id);
  for (std::size_t i = 0; i < r.code.size(); ++i) out[8 + i] = r.code[i];
  return size;
}

}  // namespace ipmikit::lan
