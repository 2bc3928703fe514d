// ipmikit/cmd/parameters.hpp — what the configuration-parameter commands share: the system boot
// options (chassis.hpp) and the LAN and SOL configuration parameters (transport.hpp).
//
// Each is a family of numbered parameters: some typed, every other number kept opaque, as
// bytes. Here: set_in_progress_state and its parameter 0, parameter_bytes (a bounded byte string
// for parameters kept opaque), detail::opaque_parameter (such a parameter: its number and
// bytes), and detail::parameter_family, which encodes and parses a std::variant of typed
// parameters by parameter number.
//
// The conventions (writer/reader, encode_error/parse_error) are codec.hpp's.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <variant>

#include "codec.hpp"

namespace ipmikit::cmd {

/// Parameter 0 of the system boot options, LAN and SOL configuration parameters, [1:0] (IPMI
/// v2.0 §28.13, §23.2, §26.3; bmc-commands.md §2.1): 3 is reserved.
enum class set_in_progress_state : std::uint8_t {
  set_complete = 0,     // IPMI v2.0 §28.13: 00b set complete
  set_in_progress = 1,  // IPMI v2.0 §28.13: 01b set in progress
  commit_write = 2,     // IPMI v2.0 §28.13: 10b commit write (optional)
};

/// Parameter 0, "set in progress", one byte: [1:0] the state, [7:2] reserved.
struct set_in_progress_parameter {
  static constexpr std::uint8_t number = 0;  // IPMI v2.0 §28.13 / §23.2 / §26.3: parameter 0

  set_in_progress_state state = set_in_progress_state::set_complete;

  template <class IO, class V>
  static constexpr void fields(IO& io, V& v) noexcept {
    io.byte(v.state, 0xFC);
    io.require(static_cast<std::uint8_t>(v.state) != 3, parse_error::reserved_value);  // 11b reserved
  }
  friend constexpr bool operator==(const set_in_progress_parameter&, const set_in_progress_parameter&) noexcept =
      default;
};

/// Up to N bytes, as a parameter kept opaque carries them. Equality looks at the `size` bytes
/// in use only; encode() refuses a size over N.
template <std::size_t N>
struct parameter_bytes {
  static constexpr std::size_t capacity = N;

  std::array<std::uint8_t, N> bytes{};
  std::size_t size = 0;

  /// The bytes in use (all N when size is larger).
  [[nodiscard]] constexpr std::span<const std::uint8_t> view() const noexcept {
    return {bytes.data(), size < N ? size : N};
  }
  /// Copies `in` (false, and nothing copied, if it is longer than N).
  constexpr bool assign(std::span<const std::uint8_t> in) noexcept {
    if (in.size() > N) return false;
    for (std::size_t i = 0; i < in.size(); ++i) bytes[i] = in[i];
    size = in.size();
    return true;
  }
  constexpr void encode(writer& w) const noexcept {
    if (size > N) w.fail(encode_error::out_of_range);
    w.bytes(view());
  }
  /// Reads the rest of `r`, at most N bytes: more leaves bytes unread, so finish() says too_long.
  [[nodiscard]] static constexpr parameter_bytes parse_rest(reader& r) noexcept {
    parameter_bytes v;
    const std::size_t n = r.remaining() < N ? r.remaining() : N;
    v.assign(r.view(n));
    return v;
  }
  /// The bytes as the last field of a layout (codec.hpp's fields()): encode(), or parse_rest().
  template <class IO, class P>
  static constexpr void rest_field(IO& io, P& p) noexcept {
    if constexpr (IO::reading) {
      p = parse_rest(io.raw());
    } else {
      p.encode(io.raw());
    }
  }
  friend constexpr bool operator==(const parameter_bytes& a, const parameter_bytes& b) noexcept {
    const auto x = a.view();
    const auto y = b.view();
    if (x.size() != y.size()) return false;
    for (std::size_t i = 0; i < x.size(); ++i)
      if (x[i] != y[i]) return false;
    return true;
  }
};

namespace detail {

/// A family of configuration parameters: typed ones, each with `static constexpr number` and a
/// fields() description (codec.hpp), and Opaque for every other number (a runtime
/// `number`, `encode(writer&)`, `static parse(reader&, number)`). `value` is the variant of them.
/// An Opaque value with the number of a typed parameter does not encode (out_of_range): it
/// would parse back as the typed one.
template <class Opaque, class... Typed>
struct parameter_family {
  using value = std::variant<Typed..., Opaque>;

  [[nodiscard]] static constexpr bool is_typed(std::uint8_t n) noexcept { return ((n == Typed::number) || ...); }

  [[nodiscard]] static constexpr std::uint8_t number(const value& v) noexcept {
    if (const Opaque* o = std::get_if<Opaque>(&v)) return o->number;
    std::uint8_t n = 0;
    static_cast<void>(((std::holds_alternative<Typed>(v) ? (n = Typed::number, true) : false) || ...));
    return n;
  }

  /// The data bytes of `v` (not its number).
  static constexpr void encode_data(writer& w, const value& v) noexcept {
    if (const Opaque* o = std::get_if<Opaque>(&v)) {
      if (is_typed(o->number)) w.fail(encode_error::out_of_range);
      o->encode(w);
      return;
    }
    static_cast<void>(((std::get_if<Typed>(&v) != nullptr ? (write_fields(w, *std::get_if<Typed>(&v)), true) : false) ||
                       ...));
  }

  /// Parameter `n`'s data: the rest of `r`.
  [[nodiscard]] static constexpr value parse_data(reader& r, std::uint8_t n) noexcept {
    value v{};
    const bool typed = ((n == Typed::number ? (v = value{read_fields<Typed>(r)}, true) : false) || ...);
    if (!typed) v = value{Opaque::parse(r, n)};
    return v;
  }

  /// Parameter `n`'s data as the last field of a layout (codec.hpp's fields()).
  template <class IO, class V>
  static constexpr void data_field(IO& io, V& v, std::uint8_t n) noexcept {
    if constexpr (IO::reading) {
      v = parse_data(io.raw(), n);
    } else {
      encode_data(io.raw(), v);
    }
  }
};

/// Any parameter of a family that it does not type: its number and up to `Capacity` data bytes
/// as sent. `MaxNumber` is the largest number the request's parameter byte carries (7Fh where
/// its b7 is a flag); a larger one does not encode (out_of_range).
template <std::size_t Capacity, std::uint8_t DefaultNumber, std::uint8_t MaxNumber = 0xFF>
struct opaque_parameter {
  static constexpr std::size_t capacity = Capacity;

  std::uint8_t number = DefaultNumber;
  parameter_bytes<capacity> data{};

  constexpr void encode(writer& w) const noexcept {
    if constexpr (MaxNumber < 0xFF) {
      if (number > MaxNumber) w.fail(encode_error::out_of_range);
    }
    data.encode(w);
  }
  [[nodiscard]] static constexpr opaque_parameter parse(reader& r, std::uint8_t n) noexcept {
    return {n, parameter_bytes<capacity>::parse_rest(r)};
  }
  friend constexpr bool operator==(const opaque_parameter&, const opaque_parameter&) noexcept = default;
};

}  // namespace detail

}  // namespace ipmikit::cmd
