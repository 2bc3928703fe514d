// ipmikit/cmd/codec.hpp — what every typed command shares: the errors, the result types, and
// the bounded byte reader and writer the commands' encode() and parse() are written with.
//
// A typed command is a struct named for the command (cmd::get_device_id) holding:
//
//   static constexpr command_id id;       // netfn + command code (message.hpp's table)
//   struct request  { fields…; encode(); static parse(); min_size; max_size; operator== };
//   struct response { the same };
//
// - `encode(std::span<std::uint8_t> out) const` writes the data bytes only: for a request the
//   bytes after the command code, for a response the bytes after the completion code. It returns
//   `encoded` (size, or buffer_too_small / out_of_range) and writes nothing past `out`.
// - `parse(std::span<const std::uint8_t> data)` reads the same bytes back and returns
//   `parsed<T>`: the value, or a parse_error saying what was wrong (too short, too long, a
//   reserved value, a value out of range). It never reads past `data`.
// - `min_size` / `max_size` bound the data bytes, so a fixed buffer of `max_size` always fits.
//
// Most types say their layout once, as a `fields(io, v)` description that a field_writer runs
// for encode() and a field_reader for parse() (detail::with_codec below), so the two directions
// cannot disagree.
//
// parse(encode(x)) == x for every valid x, and both run in constant evaluation. Host-side code
// builds requests and parses responses; BMC-side code parses requests and builds responses: the
// same types. build_request() and parse_response() below add the netfn/LUN, command and
// completion-code bytes around them.
#pragma once

#include <algorithm>
#include <array>
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>
#include <type_traits>

#include "../detail/enum_name.hpp"
#include "../message.hpp"

namespace ipmikit::cmd {

// ---------------------------------------------------------------------------------------------
// Errors

namespace detail {
using ipmikit::detail::enum_name;
}  // namespace detail

/// Why parse() refused its bytes. 0 is success, as for every ipmikit error enum.
enum class parse_error : std::uint8_t {
  ok = 0,
  too_short = 1,       // fewer bytes than the layout needs
  too_long = 2,        // more bytes than the layout allows
  reserved_value = 3,  // a reserved bit set, or a code the specification reserves
  out_of_range = 4,    // a field outside the values the specification defines
};

[[nodiscard]] constexpr std::string_view name(parse_error e) noexcept {
  return detail::enum_name<parse_error, 5>(e, {"ok", "too_short", "too_long", "reserved_value", "out_of_range"});
}

/// The completion code a BMC answers a request with when parse() refused it: a wrong length is
/// 0xC7 (IPMI v2.0 §5.2: request data length invalid), a bad field 0xCC (invalid data field).
[[nodiscard]] constexpr completion_code to_completion_code(parse_error e) noexcept {
  switch (e) {
    case parse_error::ok: return completion_code::success;
    case parse_error::too_short:
    case parse_error::too_long: return completion_code::request_data_length_invalid;
    case parse_error::reserved_value:
    case parse_error::out_of_range: return completion_code::invalid_data_field;
  }
  return completion_code::unspecified;
}

/// Why encode() wrote nothing usable.
enum class encode_error : std::uint8_t {
  ok = 0,
  buffer_too_small = 1,  // `out` is shorter than the encoding (max_size always fits)
  out_of_range = 2,      // a field holds a value its wire field cannot carry
};

[[nodiscard]] constexpr std::string_view name(encode_error e) noexcept {
  return detail::enum_name<encode_error, 3>(e, {"ok", "buffer_too_small", "out_of_range"});
}

// ---------------------------------------------------------------------------------------------
// Results

/// What parse() returns: the value when `error` is ok (and a value-initialised T otherwise).
/// `Error` is parse_error, or a format's own (fru_error).
template <class T, class Error = parse_error>
struct parsed {
  T value{};
  Error error = Error::ok;

  [[nodiscard]] constexpr explicit operator bool() const noexcept { return error == Error::ok; }
  [[nodiscard]] constexpr const T& operator*() const noexcept { return value; }
  [[nodiscard]] constexpr const T* operator->() const noexcept { return &value; }
};

/// What encode() returns: the bytes written when `error` is ok (0 otherwise). `Error` is
/// encode_error, or a format's own (fru_error).
template <class Error>
struct basic_encoded {
  std::size_t size = 0;
  Error error = Error::ok;

  [[nodiscard]] constexpr explicit operator bool() const noexcept { return error == Error::ok; }
};
using encoded = basic_encoded<encode_error>;

// ---------------------------------------------------------------------------------------------
// The reader and the writer

/// Reads fields in order from a span, little-endian (IPMI v2.0 §13.7: multi-byte fields are LS
/// byte first). A read past the end reads 0 and records too_short; every later read does too,
/// so a parse() reads all its fields and checks once, at the end, with finish().
class reader {
 public:
  constexpr explicit reader(std::span<const std::uint8_t> data) noexcept : data_(data) {}

  constexpr std::uint8_t u8() noexcept {
    if (pos_ >= data_.size()) {
      short_ = true;
      return 0;
    }
    return data_[pos_++];
  }
  constexpr std::uint16_t le16() noexcept {
    const std::uint16_t lo = u8();
    return static_cast<std::uint16_t>(lo | (u8() << 8));
  }
  constexpr std::uint32_t le24() noexcept {
    const std::uint32_t lo = le16();
    return lo | (static_cast<std::uint32_t>(u8()) << 16);
  }
  constexpr std::uint32_t le32() noexcept {
    const std::uint32_t lo = le16();
    return lo | (static_cast<std::uint32_t>(le16()) << 16);
  }
  /// Copies the next N bytes to `out` (all zeros, and too_short, if fewer are left). One copy,
  /// not a loop of u8(): GCC 12 at -O3 vectorizes that loop and then calls the array's last
  /// bytes an overflow (-Wstringop-overflow false positive, GCC meta-bug 88443).
  template <std::size_t N>
  constexpr void bytes(std::array<std::uint8_t, N>& out) noexcept {
    const auto v = view(N);
    if (v.size() == N) {
      std::copy_n(v.begin(), N, out.begin());
    } else {
      out.fill(0);
    }
  }
  /// The next `n` bytes as a view into the input (empty, and too_short, if fewer are left).
  constexpr std::span<const std::uint8_t> view(std::size_t n) noexcept {
    if (n > remaining()) {
      short_ = true;
      pos_ = data_.size();
      return {};
    }
    const auto v = data_.subspan(pos_, n);
    pos_ += n;
    return v;
  }
  /// Everything not read yet, consumed.
  constexpr std::span<const std::uint8_t> rest() noexcept { return view(remaining()); }

  /// Records a field error found by the caller (the first one recorded wins).
  constexpr void fail(parse_error e) noexcept {
    if (error_ == parse_error::ok) error_ = e;
  }
  /// Records reserved_value when `bits` of `value` are not all zero.
  constexpr void reserved_zero(std::uint8_t value, std::uint8_t bits) noexcept {
    if ((value & bits) != 0) fail(parse_error::reserved_value);
  }

  [[nodiscard]] constexpr std::size_t remaining() const noexcept { return data_.size() - pos_; }
  [[nodiscard]] constexpr std::size_t position() const noexcept { return pos_; }
  [[nodiscard]] constexpr bool at_end() const noexcept { return pos_ >= data_.size(); }

  /// The outcome: too_short if a read ran past the end, too_long if bytes are left, else the
  /// first field error recorded, else ok.
  [[nodiscard]] constexpr parse_error finish() const noexcept {
    if (short_) return parse_error::too_short;
    if (pos_ < data_.size()) return parse_error::too_long;
    return error_;
  }
  /// finish() as the parse() result for `value`.
  template <class T>
  [[nodiscard]] constexpr parsed<T> result(const T& value) const noexcept {
    const parse_error e = finish();
    if (e != parse_error::ok) return {T{}, e};
    return {value, e};
  }

 private:
  std::span<const std::uint8_t> data_;
  std::size_t pos_ = 0;
  bool short_ = false;
  parse_error error_ = parse_error::ok;
};

/// Writes fields in order into a span, little-endian. A write past the end writes nothing and
/// records buffer_too_small; result() reports it.
class writer {
 public:
  constexpr explicit writer(std::span<std::uint8_t> out) noexcept : out_(out) {}

  constexpr void u8(std::uint8_t v) noexcept {
    if (pos_ >= out_.size()) {
      overflow_ = true;
      return;
    }
    out_[pos_++] = v;
  }
  constexpr void le16(std::uint16_t v) noexcept {
    u8(static_cast<std::uint8_t>(v));
    u8(static_cast<std::uint8_t>(v >> 8));
  }
  constexpr void le24(std::uint32_t v) noexcept {
    if (v > 0xFFFFFF) fail(encode_error::out_of_range);
    le16(static_cast<std::uint16_t>(v));
    u8(static_cast<std::uint8_t>(v >> 16));
  }
  constexpr void le32(std::uint32_t v) noexcept {
    le16(static_cast<std::uint16_t>(v));
    le16(static_cast<std::uint16_t>(v >> 16));
  }
  constexpr void bytes(std::span<const std::uint8_t> b) noexcept {
    for (std::uint8_t v : b) u8(v);
  }
  constexpr void fill(std::size_t n, std::uint8_t v) noexcept {
    for (std::size_t i = 0; i < n; ++i) u8(v);
  }
  /// Records a field error found by the caller (the first one recorded wins).
  constexpr void fail(encode_error e) noexcept {
    if (error_ == encode_error::ok) error_ = e;
  }

  [[nodiscard]] constexpr std::size_t size() const noexcept { return pos_; }
  [[nodiscard]] constexpr encoded result() const noexcept {
    if (error_ != encode_error::ok) return {0, error_};
    if (overflow_) return {0, encode_error::buffer_too_small};
    return {pos_, encode_error::ok};
  }

 private:
  std::span<std::uint8_t> out_;
  std::size_t pos_ = 0;
  bool overflow_ = false;
  encode_error error_ = encode_error::ok;
};

// ---------------------------------------------------------------------------------------------
// Whole messages

/// A command type: an id and request/response types with encode and parse.
template <class Cmd>
concept command = requires(const typename Cmd::request& rq, const typename Cmd::response& rs,
                           std::span<std::uint8_t> out, std::span<const std::uint8_t> in) {
  { Cmd::id } -> std::convertible_to<command_id>;
  { rq.encode(out) } -> std::same_as<encoded>;
  { rs.encode(out) } -> std::same_as<encoded>;
  { Cmd::request::parse(in) } -> std::same_as<parsed<typename Cmd::request>>;
  { Cmd::response::parse(in) } -> std::same_as<parsed<typename Cmd::response>>;
  { Cmd::request::max_size } -> std::convertible_to<std::size_t>;
  { Cmd::response::max_size } -> std::convertible_to<std::size_t>;
};

namespace detail {
/// A command whose request and response are types of their own (or no_data).
template <command_id Id, class Request, class Response>
struct typed_command {
  static constexpr command_id id = Id;
  using request = Request;
  using response = Response;
};
}  // namespace detail

/// Bytes a whole request message of Cmd may need: netfn/LUN, command, data.
template <command Cmd>
inline constexpr std::size_t max_request_message_size = 2 + Cmd::request::max_size;
/// Bytes a whole response message of Cmd may need: netfn/LUN, command, completion code, data.
template <command Cmd>
inline constexpr std::size_t max_response_message_size = 3 + Cmd::response::max_size;

/// Writes the whole request message `netfn<<2|lun, cmd, data…` (what a KCS/BT host's start()
/// and vm::session::send_request take).
template <command Cmd>
[[nodiscard]] constexpr encoded build_request(const typename Cmd::request& rq, std::span<std::uint8_t> out,
                                              lun l = lun::bmc) noexcept {
  if (out.size() < 2) return {0, encode_error::buffer_too_small};
  out[0] = pack_netfn_lun(Cmd::id.function, l);
  out[1] = Cmd::id.code;
  const encoded e = rq.encode(out.subspan(2));
  if (!e) return e;
  return {2 + e.size, encode_error::ok};
}

/// Writes the whole response message `netfn<<2|lun (response netfn), cmd, 00, data…`.
template <command Cmd>
[[nodiscard]] constexpr encoded build_response(const typename Cmd::response& rs, std::span<std::uint8_t> out,
                                               lun l = lun::bmc) noexcept {
  if (out.size() < 3) return {0, encode_error::buffer_too_small};
  out[0] = pack_netfn_lun(response_netfn(Cmd::id.function), l);
  out[1] = Cmd::id.code;
  out[2] = static_cast<std::uint8_t>(completion_code::success);
  const encoded e = rs.encode(out.subspan(3));
  if (!e) return e;
  return {3 + e.size, encode_error::ok};
}

/// A response message read back: its completion code, and the typed response when that code
/// is success and the data parsed.
template <class Response>
struct response_result {
  completion_code code = completion_code::unspecified;
  parsed<Response> response{};

  /// True when the BMC answered success and the data parsed.
  [[nodiscard]] constexpr explicit operator bool() const noexcept {
    return code == completion_code::success && static_cast<bool>(response);
  }
};

/// Reads a whole response message (`netfn<<2|lun, cmd, cc, data…`, as a host machine's
/// response() gives it) for Cmd. A message of another command, or shorter than three bytes,
/// gives code unspecified and parse_error::out_of_range / too_short; a completion code other
/// than success is returned as it is and the data is not parsed (a BMC may send none).
template <command Cmd>
[[nodiscard]] constexpr response_result<typename Cmd::response> parse_response(
    std::span<const std::uint8_t> message) noexcept {
  using R = typename Cmd::response;
  if (message.size() < 3) return {completion_code::unspecified, {R{}, parse_error::too_short}};
  if (!Cmd::id.matches(message[0], message[1]) || is_request(netfn_of(message[0])))
    return {completion_code::unspecified, {R{}, parse_error::out_of_range}};
  const auto cc = static_cast<completion_code>(message[2]);
  if (cc != completion_code::success) return {cc, {R{}, parse_error::ok}};
  return {cc, R::parse(message.subspan(3))};
}

/// Reads a whole request message for Cmd (the BMC side): netfn and command must be Cmd's.
template <command Cmd>
[[nodiscard]] constexpr parsed<typename Cmd::request> parse_request(std::span<const std::uint8_t> message) noexcept {
  using R = typename Cmd::request;
  if (message.size() < 2) return {R{}, parse_error::too_short};
  if (!Cmd::id.matches(message[0], message[1]) || !is_request(netfn_of(message[0])))
    return {R{}, parse_error::out_of_range};
  return R::parse(message.subspan(2));
}

// ---------------------------------------------------------------------------------------------
// One field description for both directions
//
// A layout says its data bytes once, as `template <class IO, class V> static constexpr void
// fields(IO& io, V& v)`: for encode() io is a field_writer and v a const value, for parse() io
// is a field_reader and v the value being filled, as a serialization archive serves both
// directions. Each io call names a field and its wire form; a byte of bit fields is
// `io.bits([&](auto& b) { b.flag(…); b.field(…); b.reserved(…); })`. A rule on the values is
// `io.require(ok, error)`: parse() records `error`, encode() refuses with out_of_range, so
// whatever encodes parses back. `IO::reading` is there for the few fields read and written
// differently (an optional tail).

namespace detail {

/// A byte field: a byte, or an enumeration carried in one.
template <class T>
concept byte_field = std::same_as<T, std::uint8_t> || (std::is_enum_v<T> && sizeof(T) == 1);

/// A byte of bit fields as encode() builds it.
class bits_writer {
 public:
  /// Bit n is `on`.
  constexpr void flag(unsigned n, bool on) noexcept {
    if (on) value_ = static_cast<std::uint8_t>(value_ | (1u << n));
  }
  /// `v` (a number or an enumeration) in the bits `mask << shift`; a value wider than `mask` is
  /// out_of_range.
  template <class T>
  constexpr void field(unsigned shift, std::uint8_t mask, const T& v) noexcept {
    const auto u = static_cast<unsigned>(v);
    if (u > mask) ok_ = false;
    value_ = static_cast<std::uint8_t>(value_ | ((u & mask) << shift));
  }
  /// Bit pos[i] is the i-th of `on`: a row of flags in one statement.
  template <std::size_t N, class... B>
  constexpr void flags(const unsigned (&pos)[N], const B&... on) noexcept {
    static_assert(N == sizeof...(B));
    std::size_t i = 0;
    (flag(pos[i++], on), ...);
  }
  /// Bits that must be 0: written as 0.
  constexpr void reserved(std::uint8_t) noexcept {}
  /// Bits that are ignored: written as 0.
  constexpr void ignored(std::uint8_t) noexcept {}

  [[nodiscard]] constexpr std::uint8_t value() const noexcept { return value_; }
  [[nodiscard]] constexpr bool ok() const noexcept { return ok_; }

 private:
  std::uint8_t value_ = 0;
  bool ok_ = true;
};

/// A byte of bit fields as parse() takes it apart.
class bits_reader {
 public:
  constexpr explicit bits_reader(std::uint8_t value) noexcept : value_(value) {}

  constexpr void flag(unsigned n, bool& on) const noexcept { on = ((static_cast<unsigned>(value_) >> n) & 1u) != 0; }
  template <class T>
  constexpr void field(unsigned shift, std::uint8_t mask, T& v) const noexcept {
    v = static_cast<T>((static_cast<unsigned>(value_) >> shift) & mask);
  }
  template <std::size_t N, class... B>
  constexpr void flags(const unsigned (&pos)[N], B&... on) const noexcept {
    static_assert(N == sizeof...(B));
    std::size_t i = 0;
    (flag(pos[i++], on), ...);
  }
  /// Bits that must be 0: a 1 is reserved_value.
  constexpr void reserved(std::uint8_t mask) noexcept { reserved_ = static_cast<std::uint8_t>(reserved_ | mask); }
  /// Bits whose value does not matter.
  constexpr void ignored(std::uint8_t) noexcept {}

  [[nodiscard]] constexpr std::uint8_t value() const noexcept { return value_; }
  [[nodiscard]] constexpr std::uint8_t reserved_mask() const noexcept { return reserved_; }

 private:
  std::uint8_t value_;
  std::uint8_t reserved_ = 0;
};

/// encode()'s side of fields(): writes each field.
class field_writer {
 public:
  static constexpr bool reading = false;

  constexpr explicit field_writer(writer& w) noexcept : w_(w) {}

  template <byte_field T>
  constexpr void u8(const T& v) noexcept { w_.u8(static_cast<std::uint8_t>(v)); }
  /// A byte whose `reserved` bits must be 0.
  template <byte_field T>
  constexpr void byte(const T& v, std::uint8_t reserved) noexcept {
    require((static_cast<std::uint8_t>(v) & reserved) == 0);
    w_.u8(static_cast<std::uint8_t>(v));
  }
  constexpr void le16(const std::uint16_t& v) noexcept { w_.le16(v); }
  constexpr void le24(const std::uint32_t& v) noexcept { w_.le24(v); }
  constexpr void le32(const std::uint32_t& v) noexcept { w_.le32(v); }
  template <std::size_t N>
  constexpr void bytes(const std::array<std::uint8_t, N>& v) noexcept { w_.bytes(v); }
  /// The first N bytes of `v` (the rest is not sent).
  template <std::size_t N, std::size_t M>
  constexpr void bytes_first(const std::array<std::uint8_t, M>& v) noexcept {
    w_.bytes(std::span<const std::uint8_t>(v).first(N));
  }
  /// N bytes of no meaning: written as 0.
  constexpr void padding(std::size_t n) noexcept { w_.fill(n, 0); }
  /// N reserved bytes: written as 00h.
  constexpr void zeros(std::size_t n) noexcept { w_.fill(n, 0); }
  /// Whether an optional tail follows: the value says so (`has`).
  [[nodiscard]] constexpr bool more(const bool& has) const noexcept { return has; }
  template <class F>
  constexpr void bits(F&& f) noexcept {
    bits_writer b;
    f(b);
    require(b.ok());
    w_.u8(b.value());
  }
  constexpr void require(bool ok, parse_error = parse_error::out_of_range) noexcept {
    if (!ok) w_.fail(encode_error::out_of_range);
  }
  [[nodiscard]] constexpr writer& raw() noexcept { return w_; }

 private:
  writer& w_;
};

/// parse()'s side of fields(): reads each field into the value.
class field_reader {
 public:
  static constexpr bool reading = true;

  constexpr explicit field_reader(reader& r) noexcept : r_(r) {}

  template <byte_field T>
  constexpr void u8(T& v) noexcept { v = static_cast<T>(r_.u8()); }
  template <byte_field T>
  constexpr void byte(T& v, std::uint8_t reserved) noexcept {
    const std::uint8_t b = r_.u8();
    r_.reserved_zero(b, reserved);
    v = static_cast<T>(b & ~reserved);
  }
  constexpr void le16(std::uint16_t& v) noexcept { v = r_.le16(); }
  constexpr void le24(std::uint32_t& v) noexcept { v = r_.le24(); }
  constexpr void le32(std::uint32_t& v) noexcept { v = r_.le32(); }
  template <std::size_t N>
  constexpr void bytes(std::array<std::uint8_t, N>& v) noexcept { r_.bytes(v); }
  template <std::size_t N, std::size_t M>
  constexpr void bytes_first(std::array<std::uint8_t, M>& v) noexcept {
    std::array<std::uint8_t, N> head{};  // not a loop of u8(): see reader::bytes
    r_.bytes(head);
    std::copy_n(head.begin(), N, v.begin());
  }
  /// N bytes of no meaning: skipped.
  constexpr void padding(std::size_t n) noexcept { (void)r_.view(n); }
  /// N reserved bytes: each must be 00h.
  constexpr void zeros(std::size_t n) noexcept {
    for (std::size_t i = 0; i < n; ++i) r_.reserved_zero(r_.u8(), 0xFF);
  }
  /// Whether an optional tail follows: bytes are left; `has` records it.
  [[nodiscard]] constexpr bool more(bool& has) noexcept {
    has = !r_.at_end();
    return has;
  }
  template <class F>
  constexpr void bits(F&& f) noexcept {
    bits_reader b(r_.u8());
    f(b);
    r_.reserved_zero(b.value(), b.reserved_mask());
  }
  constexpr void require(bool ok, parse_error e = parse_error::out_of_range) noexcept {
    if (!ok) r_.fail(e);
  }
  [[nodiscard]] constexpr reader& raw() noexcept { return r_; }

 private:
  reader& r_;
};

/// A field of fields(): enumeration `v` in a byte whose `reserved` bits are zero, the values
/// above `last` reserved too (reserved_value): a code the specification defines only so far.
template <class IO, class E>
constexpr void enum_byte(IO& io, E& v, std::uint8_t reserved, std::uint8_t last) noexcept {
  io.byte(v, reserved);
  io.require(static_cast<std::uint8_t>(v) <= last, parse_error::reserved_value);
}

/// A layout's fields on a writer or reader already under way: a configuration parameter's
/// data after the command's own bytes.
template <class T>
constexpr void write_fields(writer& w, const T& v) noexcept {
  field_writer io(w);
  T::fields(io, v);
}
template <class T>
[[nodiscard]] constexpr T read_fields(reader& r) noexcept {
  field_reader io(r);
  T v{};
  T::fields(io, v);
  return v;
}

/// The bytes fields() writes for a default `Layout`: the size of a layout whose size does not
/// depend on its values (libmctp's "count only" encoding, at compile time).
template <class Layout>
consteval std::size_t measured_size() noexcept {
  std::array<std::uint8_t, 512> scratch{};
  writer w(scratch);
  field_writer io(w);
  const Layout v{};
  Layout::fields(io, v);
  return w.size();
}
/// The bounds a layout declares, or its measured size: {min_size, max_size}.
template <class Layout>
consteval std::array<std::size_t, 2> layout_sizes() noexcept {
  if constexpr (requires { Layout::min_size; }) {
    return {Layout::min_size, Layout::max_size};
  } else {
    return {measured_size<Layout>(), measured_size<Layout>()};
  }
}

/// A request or response type made of a `Layout`: its fields, fields() and operator==, and
/// min_size and max_size when its size depends on its values (else they are measured).
/// encode() and parse() are fields() run by a field_writer and a field_reader. It stays an
/// aggregate (`request{a, b, c}` initialises the layout's fields).
template <class Layout>
struct with_codec : Layout {
  static constexpr std::size_t min_size = layout_sizes<Layout>()[0];
  static constexpr std::size_t max_size = layout_sizes<Layout>()[1];

  [[nodiscard]] constexpr encoded encode(std::span<std::uint8_t> out) const noexcept {
    writer w(out);
    field_writer io(w);
    Layout::fields(io, static_cast<const Layout&>(*this));
    return w.result();
  }
  [[nodiscard]] static constexpr parsed<with_codec> parse(std::span<const std::uint8_t> data) noexcept {
    reader r(data);
    field_reader io(r);
    with_codec v;
    Layout::fields(io, static_cast<Layout&>(v));
    return r.result(v);
  }
  friend constexpr bool operator==(const with_codec&, const with_codec&) noexcept = default;
};

}  // namespace detail

/// A request or response with no data bytes (Get Device GUID's request, Chassis Control's
/// response…): encodes to nothing, parses only an empty span.
struct no_data {
  static constexpr std::size_t min_size = 0;
  static constexpr std::size_t max_size = 0;

  [[nodiscard]] constexpr encoded encode(std::span<std::uint8_t>) const noexcept { return {0, encode_error::ok}; }
  [[nodiscard]] static constexpr parsed<no_data> parse(std::span<const std::uint8_t> data) noexcept {
    return {no_data{}, data.empty() ? parse_error::ok : parse_error::too_long};
  }
  friend constexpr bool operator==(const no_data&, const no_data&) noexcept = default;
};

}  // namespace ipmikit::cmd
