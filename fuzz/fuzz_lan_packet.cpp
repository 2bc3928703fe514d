// fuzz/fuzz_lan_packet.cpp — the IPMI-over-LAN parsers of lan/rmcp.hpp on arbitrary bytes:
// parse_packet, parse_rmcpp_trailer (AuthCodes of 12 and 16 bytes), parse_lan_request,
// parse_open_session_request / _response, parse_rakp1, parse_rakp2 and parse_rakp34.
//
// Input: one datagram. parse_packet reads it whole; every payload parser reads it whole too
// (from its first byte) and, when it is an RMCP+ or IPMI 1.5 packet, its payload or message —
// so one input reaches each parser both as a bare payload and inside a packet.
//
// Checked (std::abort on failure; ASan and UBSan for reads past the input):
// - every span a parser returns lies inside the bytes it was given (payload, trailer,
//   from_auth_type, message, covered, auth_code, rakp2's auth_code, rakp34's code);
// - parse_packet: an error exactly when the kind is invalid; an ASF ping is the bytes it says
//   (IANA 4542, type 80h, the tag); an IPMI 1.5 message is the header's length, at the end of the
//   datagram or one byte before it; an RMCP+ payload is the header's length, the trailer the
//   rest, empty unless authenticated; a session-less 1.5 packet and a plain RMCP+ packet
//   re-encode (encode_ipmi15, encode_rmcpp_plain) to the same bytes after the RMCP header;
// - parse_rmcpp_trailer: accepted ⇒ covered ‖ auth_code is auth type … end, the AuthCode the
//   size asked, the pad 0xFF bytes of integrity_pad_size(), its length byte and next header 07h,
//   and auth type … next header a multiple of 4 bytes; refused ⇒ both spans empty;
// - parse_lan_request: accepted ⇒ body_size == size − 5, both checksums good, a request's
//   netFn, the fields and data where the layout puts them, and the request from the default
//   addresses re-encodes (encode_lan_request) to the same bytes; encode_lan_response for it
//   writes a message with good checksums; refused ⇒ the error is the first rule broken;
// - each session-setup payload accepted re-encodes (encode_*) to bytes that parse back equal
//   (RAKP 3/4: to the same bytes, reserved bytes aside), and encoding into a buffer one byte
//   too small writes nothing and returns 0, into one of exactly its size the same bytes; its
//   size is one the format allows. (Found by this target: encode_lan_response asked for one
//   byte more than it writes, so the server dropped a response of 254 data bytes.)
#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include <ipmikit/lan/rmcp.hpp>

#include "fuzz_common.hpp"

namespace {

using namespace ipmikit;
using bytes_view = std::span<const std::uint8_t>;

/// `part` lies inside `whole` (an empty span anywhere counts).
bool inside(bytes_view part, bytes_view whole) {
  if (part.empty()) return true;
  const auto* b = whole.data();
  const auto* e = whole.data() + whole.size();
  return part.data() >= b && part.data() + part.size() <= e;
}

bool same(bytes_view a, bytes_view b) { return std::equal(a.begin(), a.end(), b.begin(), b.end()); }

/// An encoder that wrote `size` bytes: into a buffer of exactly that size it writes them again;
/// into one byte less it returns 0 and writes nothing (guard bytes).
template <class Encode>
void check_too_small(std::size_t size, Encode&& encode) {
  if (size == 0) return;
  std::vector<std::uint8_t> exact(size);
  FUZZ_CHECK(encode(std::span<std::uint8_t>(exact)) == size);
  std::vector<std::uint8_t> buf(size - 1, 0xA5);
  FUZZ_CHECK(encode(std::span<std::uint8_t>(buf)) == 0);
  for (std::uint8_t b : buf) FUZZ_CHECK(b == 0xA5);
}

// --- session setup payloads ------------------------------------------------------------------

bool equal(const lan::open_session_request& a, const lan::open_session_request& b) {
  const auto eq = [](const lan::open_session_request::proposal& x, const lan::open_session_request::proposal& y) {
    return x.proposed == y.proposed && x.algorithm == y.algorithm;
  };
  return a.tag == b.tag && a.max_privilege == b.max_privilege && a.console_session_id == b.console_session_id &&
         eq(a.authentication, b.authentication) && eq(a.integrity, b.integrity) && eq(a.confidentiality, b.confidentiality);
}

void open_session_request(bytes_view p) {
  const auto r = lan::parse_open_session_request(p);
  if (!r) {
    FUZZ_CHECK(p.size() < 8 || p.size() > lan::open_session_request_size || p.size() % 8 != 0 ||
               r.error == cmd::parse_error::out_of_range);
    return;
  }
  FUZZ_CHECK(p.size() % 8 == 0 && p.size() >= 8 && p.size() <= lan::open_session_request_size);
  FUZZ_CHECK(r.value.max_privilege == (p[1] & 0x0F));
  std::array<std::uint8_t, lan::open_session_request_size> out{};
  FUZZ_CHECK(lan::encode_open_session_request(r.value, out) == out.size());
  const auto back = lan::parse_open_session_request(out);
  FUZZ_CHECK(back && equal(back.value, r.value));
  check_too_small(out.size(), [&](std::span<std::uint8_t> b) { return lan::encode_open_session_request(r.value, b); });
}

void open_session_response(bytes_view p) {
  const auto r = lan::parse_open_session_response(p);
  if (!r) {
    FUZZ_CHECK(p.size() < lan::open_session_error_size ||
               (p[1] == 0 && p.size() != lan::open_session_response_size));
    return;
  }
  const bool ok = r.value.status == lan::rmcpp_status::ok;
  FUZZ_CHECK(!ok || p.size() == lan::open_session_response_size);
  FUZZ_CHECK(p.size() >= lan::open_session_error_size);
  std::array<std::uint8_t, lan::open_session_response_size> out{};
  const std::size_t n = lan::encode_open_session_response(r.value, out);
  FUZZ_CHECK(n == (ok ? lan::open_session_response_size : lan::open_session_error_size));
  const auto back = lan::parse_open_session_response(std::span(out).first(n));
  FUZZ_CHECK(back);
  const lan::open_session_response& a = back.value;
  const lan::open_session_response& b = r.value;
  FUZZ_CHECK(a.tag == b.tag && a.status == b.status && a.max_privilege == b.max_privilege &&
             a.console_session_id == b.console_session_id && a.bmc_session_id == b.bmc_session_id &&
             a.authentication == b.authentication && a.integrity == b.integrity &&
             a.confidentiality == b.confidentiality);
  check_too_small(n, [&](std::span<std::uint8_t> o) { return lan::encode_open_session_response(r.value, o); });
}

void rakp1(bytes_view p) {
  const auto r = lan::parse_rakp1(p);
  if (!r) return;
  const lan::rakp1& v = r.value;
  FUZZ_CHECK(v.name_size <= lan::max_user_name && v.name_size == p[27]);
  FUZZ_CHECK(p.size() >= lan::rakp1_min_size + v.name_size);
  FUZZ_CHECK(p.size() == lan::rakp1_min_size + v.name_size || p.size() <= lan::rakp1_min_size + lan::max_user_name);
  FUZZ_CHECK(same(v.name_view(), p.subspan(lan::rakp1_min_size, v.name_size)));
  std::array<std::uint8_t, lan::rakp1_min_size + lan::max_user_name> out{};
  const std::size_t n = lan::encode_rakp1(v, out);
  FUZZ_CHECK(n == lan::rakp1_min_size + v.name_size);
  const auto back = lan::parse_rakp1(std::span(out).first(n));
  FUZZ_CHECK(back);
  FUZZ_CHECK(back.value.tag == v.tag && back.value.bmc_session_id == v.bmc_session_id &&
             back.value.console_random == v.console_random && back.value.role == v.role &&
             same(back.value.name_view(), v.name_view()));
  check_too_small(n, [&](std::span<std::uint8_t> o) { return lan::encode_rakp1(v, o); });
}

void rakp2(bytes_view p) {
  const auto r = lan::parse_rakp2(p);
  if (!r) {
    FUZZ_CHECK(p.size() < 8 || (p[1] == 0 && p.size() < 40));
    return;
  }
  const lan::rakp2& v = r.value;
  FUZZ_CHECK(inside(v.auth_code, p));
  const bool ok = v.status == lan::rmcpp_status::ok;
  if (ok) FUZZ_CHECK(v.auth_code.size() == p.size() - 40);
  else FUZZ_CHECK(v.auth_code.empty());
  std::vector<std::uint8_t> out(40 + v.auth_code.size());
  const std::size_t n = lan::encode_rakp2(v, out);
  FUZZ_CHECK(n == (ok ? 40 + v.auth_code.size() : 8));
  const auto back = lan::parse_rakp2(std::span(out).first(n));
  FUZZ_CHECK(back);
  FUZZ_CHECK(back.value.tag == v.tag && back.value.status == v.status &&
             back.value.console_session_id == v.console_session_id && back.value.bmc_random == v.bmc_random &&
             back.value.bmc_guid == v.bmc_guid && same(back.value.auth_code, v.auth_code));
  // Reserved bytes aside, the same bytes.
  if (ok) {
    std::vector<std::uint8_t> expected(p.begin(), p.end());
    expected[2] = expected[3] = 0;
    FUZZ_CHECK(same(std::span(out).first(n), expected));
  }
  check_too_small(n, [&](std::span<std::uint8_t> o) { return lan::encode_rakp2(v, o); });
}

void rakp34(bytes_view p) {
  const auto r = lan::parse_rakp34(p);
  if (!r) {
    FUZZ_CHECK(p.size() < 8);
    return;
  }
  const lan::rakp34& v = r.value;
  FUZZ_CHECK(inside(v.code, p) && v.code.size() == p.size() - 8);
  std::vector<std::uint8_t> out(p.size());
  FUZZ_CHECK(lan::encode_rakp34(v, out) == p.size());
  std::vector<std::uint8_t> expected(p.begin(), p.end());
  expected[2] = expected[3] = 0;
  FUZZ_CHECK(out == expected);
  const auto back = lan::parse_rakp34(out);
  FUZZ_CHECK(back && back.value.tag == v.tag && back.value.status == v.status &&
             back.value.session_id == v.session_id && same(back.value.code, v.code));
  check_too_small(p.size(), [&](std::span<std::uint8_t> o) { return lan::encode_rakp34(v, o); });
}

// --- the LAN message -------------------------------------------------------------------------

void lan_request(bytes_view m) {
  const auto r = lan::parse_lan_request(m);
  if (!r) {
    switch (r.error) {
      case lan::packet_error::too_short: FUZZ_CHECK(m.size() < lan::lan_message_overhead); break;
      case lan::packet_error::length_mismatch: FUZZ_CHECK(m.size() > lan::lan_message_overhead + 255); break;
      case lan::packet_error::bad_checksum:
        FUZZ_CHECK(m.size() >= lan::lan_message_overhead && (!checksum_ok(m.first(3)) || !checksum_ok(m.subspan(3))));
        break;
      case lan::packet_error::not_a_request:
        FUZZ_CHECK(checksum_ok(m.first(3)) && checksum_ok(m.subspan(3)) && !is_request(netfn_of(m[1])));
        break;
      default: FUZZ_CHECK(false);
    }
    return;
  }
  const lan::lan_request& q = r.value;
  FUZZ_CHECK(q.body_size == m.size() - 5);
  FUZZ_CHECK(checksum_ok(m.first(3)) && checksum_ok(m.subspan(3)) && is_request(netfn_of(m[1])));
  FUZZ_CHECK(q.responder_address == m[0] && q.requester_address == m[3]);
  FUZZ_CHECK(q.sequence == (m[4] >> 2) && static_cast<std::uint8_t>(q.requester_lun) == (m[4] & 3));
  FUZZ_CHECK(q.body[0] == m[1] && q.body[1] == m[5]);
  FUZZ_CHECK(same(q.view().subspan(2), m.subspan(6, m.size() - 7)));
  if (q.responder_address == lan::bmc_address && q.requester_address == lan::remote_console_address &&
      q.requester_lun == lun::bmc) {
    std::array<std::uint8_t, lan::max_ipmi_payload> out{};
    const std::size_t n = lan::encode_lan_request(q.view(), q.sequence, out);
    FUZZ_CHECK(n == m.size() && same(std::span(out).first(n), m));
  }
  // A response to it: the request's body with a completion code after the command.
  std::array<std::uint8_t, 3 + 255> response{};
  response[0] = pack_netfn_lun(response_netfn(netfn_of(q.body[0])), lun_of(q.body[0]));
  response[1] = q.body[1];
  response[2] = 0xC1;
  const std::size_t data = std::min<std::size_t>(q.body_size - 2, 255);
  for (std::size_t i = 0; i < data; ++i) response[3 + i] = q.body[2 + i];
  const auto rs = std::span<const std::uint8_t>(response).first(3 + data);
  std::array<std::uint8_t, 3 + 255 + lan::lan_message_overhead> out{};  // a 255-byte data response fits
  const std::size_t n = lan::encode_lan_response(q, rs, out);
  FUZZ_CHECK(n == rs.size() + lan::lan_message_overhead - 2);  // 7 bytes around netFn, cmd; cc in rs
  FUZZ_CHECK(checksum_ok(std::span(out).first(3)) && checksum_ok(std::span(out).subspan(3, n - 3)));
  FUZZ_CHECK(out[0] == q.requester_address && out[3] == q.responder_address && out[5] == q.body[1]);
  FUZZ_CHECK((out[4] >> 2) == q.sequence);
  check_too_small(n, [&](std::span<std::uint8_t> o) { return lan::encode_lan_response(q, rs, o); });
}

void payloads(bytes_view p) {
  lan_request(p);
  open_session_request(p);
  open_session_response(p);
  rakp1(p);
  rakp2(p);
  rakp34(p);
}

// --- the datagram ----------------------------------------------------------------------------

void trailer(const lan::rmcpp_fields& f, bytes_view datagram, std::size_t code_size) {
  const lan::rmcpp_trailer t = lan::parse_rmcpp_trailer(f, code_size);
  if (t.error != lan::packet_error::ok) {
    FUZZ_CHECK(t.error == lan::packet_error::bad_trailer && t.covered.empty() && t.auth_code.empty());
    return;
  }
  FUZZ_CHECK(inside(t.covered, datagram) && inside(t.auth_code, datagram));
  FUZZ_CHECK(t.auth_code.size() == code_size);
  FUZZ_CHECK(t.covered.size() + t.auth_code.size() == f.from_auth_type.size());
  FUZZ_CHECK(t.covered.data() == f.from_auth_type.data());
  FUZZ_CHECK(t.auth_code.data() == f.from_auth_type.data() + t.covered.size());
  const std::size_t pad = lan::integrity_pad_size(f.payload.size());
  FUZZ_CHECK(pad < 4 && t.covered.size() % 4 == 0);
  FUZZ_CHECK(f.trailer.size() == pad + lan::rmcpp_trailer_fixed + code_size);
  for (std::size_t i = 0; i < pad; ++i) FUZZ_CHECK(f.trailer[i] == lan::integrity_pad_byte);
  FUZZ_CHECK(f.trailer[pad] == pad && f.trailer[pad + 1] == lan::next_header_ipmi);
}

void datagram(bytes_view d) {
  const lan::packet p = lan::parse_packet(d);
  FUZZ_CHECK((p.kind == lan::packet_kind::invalid) == (p.error != lan::packet_error::ok));
  switch (p.kind) {
    case lan::packet_kind::invalid:
      if (p.error == lan::packet_error::too_short) FUZZ_CHECK(d.size() < 4 + 26);
      break;
    case lan::packet_kind::asf_ping:
      FUZZ_CHECK(d.size() >= lan::rmcp_header_size + lan::asf_message_size);
      FUZZ_CHECK(d[0] == lan::rmcp_version && (d[3] & 0x9F) == lan::rmcp_class_asf);
      FUZZ_CHECK(d[4] == 0 && d[5] == 0 && d[6] == 0x11 && d[7] == 0xBE && d[8] == lan::asf_ping_type);
      FUZZ_CHECK(p.asf_tag == d[9]);
      break;
    case lan::packet_kind::ipmi15: {
      const lan::ipmi15_fields& f = p.ipmi15;
      FUZZ_CHECK(d[0] == lan::rmcp_version && (d[3] & 0x9F) == lan::rmcp_class_ipmi);
      FUZZ_CHECK(f.auth_type == d[4] && f.auth_type != lan::auth_type_rmcpp);
      FUZZ_CHECK(inside(f.message, d));
      const std::size_t header = lan::rmcp_header_size + lan::v15_header_size + (f.auth_type == 0 ? 0 : 16);
      FUZZ_CHECK(f.message.size() == d[header - 1]);
      FUZZ_CHECK(f.message.empty() || f.message.data() == d.data() + header);
      FUZZ_CHECK(d.size() == header + f.message.size() || d.size() == header + f.message.size() + 1);
      if (f.auth_type == lan::auth_type_none && f.sequence == 0 && f.session_id == 0) {
        std::array<std::uint8_t, lan::rmcp_header_size + lan::v15_header_size + 255> out{};
        const std::size_t n = lan::encode_ipmi15(f.message, out);
        FUZZ_CHECK(n == header + f.message.size());
        FUZZ_CHECK(same(std::span(out).subspan(4, n - 4), d.subspan(4, n - 4)));
        const lan::packet back = lan::parse_packet(std::span(out).first(n));
        FUZZ_CHECK(back.kind == lan::packet_kind::ipmi15 && same(back.ipmi15.message, f.message));
      }
      payloads(f.message);
      break;
    }
    case lan::packet_kind::rmcpp: {
      const lan::rmcpp_fields& f = p.rmcpp;
      FUZZ_CHECK(d[0] == lan::rmcp_version && (d[3] & 0x9F) == lan::rmcp_class_ipmi && d[4] == lan::auth_type_rmcpp);
      FUZZ_CHECK(f.type != lan::payload_type::oem_explicit);
      FUZZ_CHECK(inside(f.payload, d) && inside(f.trailer, d) && inside(f.from_auth_type, d));
      FUZZ_CHECK(f.from_auth_type.data() == d.data() + 4 && f.from_auth_type.size() == d.size() - 4);
      FUZZ_CHECK(f.payload.size() == static_cast<std::size_t>(d[14] | d[15] << 8));
      FUZZ_CHECK(f.payload.empty() || f.payload.data() == d.data() + 16);
      FUZZ_CHECK(f.payload.size() + f.trailer.size() == d.size() - 16);
      FUZZ_CHECK(f.authenticated || f.trailer.empty());
      FUZZ_CHECK(f.authenticated == ((d[5] & 0x40) != 0) && f.encrypted == ((d[5] & 0x80) != 0));
      if (!f.authenticated && !f.encrypted) {
        std::vector<std::uint8_t> out(d.size() + 1);
        const std::size_t n = lan::encode_rmcpp_plain(f.type, f.session_id, f.sequence, f.payload, out);
        FUZZ_CHECK(n == d.size() && same(std::span(out).subspan(4, n - 4), d.subspan(4)));
      }
      trailer(f, d, 12);
      trailer(f, d, 16);
      payloads(f.payload);
      break;
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const bytes_view input(data, size);
  datagram(input);
  payloads(input);
  return 0;
}
