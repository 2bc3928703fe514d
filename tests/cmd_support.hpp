// tests/cmd_support.hpp — the laws every typed command (include/ipmikit/cmd/) obeys, checked
// on one value at a time; the cmd_*_test.cpp files feed them generated values.
//
//   check_codec_laws(x)  encode fits [min_size, max_size]; parse(encode(x)) == x; every prefix
//                        shorter than min_size is too_short; one byte more than max_size is
//                        too_long; a buffer one byte short is buffer_too_small, and encode()
//                        wrote nothing past it.
//   check_parse_any(T, bytes)  parse_laws.hpp's laws: parse() of arbitrary bytes either fails
//                        with a named error or gives a value that encodes back to bytes parse()
//                        reads as the same value, and that every shorter buffer refuses.
//
// And the small helpers the cmd_*_test.cpp files share: encode_bytes(x), encode_error_of(x),
// random_value<T>(rng) (a random valid value of any typed command), random_array<N>(rng),
// check_codec_laws_generated<Ts...>(rng, n), check_refused<T>(error, {"04 00", …}),
// check_exact_length<T>("04 00"), check_repository_info<Info>(bytes, shared members).
#pragma once

#include <doctest/doctest.h>

#include <array>
#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <ipmikit/cmd/codec.hpp>

#include "parse_laws.hpp"
#include "test_support.hpp"

namespace ipmikit::test {

/// The bytes x encodes to (REQUIREs that it encodes).
template <class T>
bytes encode_bytes(const T& x) {
  std::array<std::uint8_t, T::max_size> out{};
  const cmd::encoded e = x.encode(out);
  REQUIRE_MESSAGE(e, "encode failed: ", cmd::name(e.error));
  return bytes(out.begin(), out.begin() + static_cast<std::ptrdiff_t>(e.size));
}

/// x encoded, and whether it parses back to x: usable in constant evaluation (the tests'
/// static_asserts), where REQUIRE is not.
template <class T>
struct round_tripped {
  std::array<std::uint8_t, T::max_size> bytes{};
  std::size_t size = 0;
  bool same = false;  // encoded, and parse() gave x back
};
template <class T>
constexpr round_tripped<T> round_trip(const T& x) {
  round_tripped<T> t;
  const cmd::encoded e = x.encode(t.bytes);
  t.size = e.size;
  const cmd::parsed<T> p = T::parse(std::span<const std::uint8_t>(t.bytes.data(), e.size));
  t.same = e && p && p.value == x;
  return t;
}

/// The error encode() gives for x into a buffer of max_size.
template <class T>
cmd::encode_error encode_error_of(const T& x) {
  std::array<std::uint8_t, T::max_size + 1> buf{};
  return x.encode(std::span<std::uint8_t>(buf.data(), T::max_size)).error;
}

/// The error encode() gives for x once `change` has changed a copy of it (encode_error_of).
template <class T, class Change>
cmd::encode_error encode_error_with(T x, Change change) {
  change(x);
  return encode_error_of(x);
}

/// A field_reader that clears the reserved bits of each bit-field byte before reading it, so
/// that random bytes read as a value with every reserved bit 0 (random_value below).
class reserved_clearing_reader : public cmd::detail::field_reader {
 public:
  reserved_clearing_reader(cmd::reader& r, std::span<std::uint8_t> bytes) : field_reader(r), r_(r), bytes_(bytes) {}

  template <class F>
  void bits(F&& f) {
    cmd::detail::bits_reader probe(0);  // the same description once, for its reserved mask
    f(probe);
    clear(probe.reserved_mask());
    field_reader::bits(f);
  }
  template <class T>
  void byte(T& v, std::uint8_t reserved) {
    clear(reserved);
    field_reader::byte(v, reserved);
  }
  void zeros(std::size_t n) {
    for (std::size_t i = 0; i < n; ++i) clear(0xFF, i);
    field_reader::zeros(n);
  }

 private:
  void clear(std::uint8_t reserved, std::size_t ahead = 0) {
    const std::size_t at = r_.position() + ahead;
    if (at < bytes_.size()) bytes_[at] &= static_cast<std::uint8_t>(~reserved);
  }

  cmd::reader& r_;
  std::span<std::uint8_t> bytes_;
};

/// What T's fields() read from `b` with every reserved bit (and reserved byte) cleared first,
/// when every rule of the layout held on the bytes it used; nothing otherwise.
template <class T>
std::optional<T> read_cleared(bytes b) {
  cmd::reader r(b);
  reserved_clearing_reader io(r, b);
  T v{};
  T::fields(io, v);
  // Read again from the bytes that were used: the value when every rule held.
  cmd::reader again(std::span<const std::uint8_t>(b).first(r.position()));
  cmd::detail::field_reader plain(again);
  T w{};
  T::fields(plain, w);
  if (again.finish() != cmd::parse_error::ok) return std::nullopt;
  return w;
}

/// A random valid value of T (anything with a fields() description, codec.hpp): its fields()
/// run on random bytes of min_size to max_size with the reserved bits cleared, until the bytes
/// it used read back with every rule of the layout holding. One generator for every command, so no test hand-writes one per type.
template <class T, std::size_t MinSize = cmd::detail::layout_sizes<T>()[0],
          std::size_t MaxSize = cmd::detail::layout_sizes<T>()[1]>
T random_value(random_source& rng) {
  for (;;) {
    if (const auto v = read_cleared<T>(rng.random_bytes(rng.chance(30) ? MaxSize : rng.between(MinSize, MaxSize))))
      return *v;
  }
}

/// A random Opaque parameter of a configuration-parameter Family (lan, sol, boot): a number
/// below `numbers` that none of the family's typed parameters has, and 0 to Opaque::capacity
/// random data bytes.
template <class Family, class Opaque>
Opaque random_opaque(random_source& rng, std::size_t numbers = 256) {
  Opaque o;
  do {
    o.number = static_cast<std::uint8_t>(rng.below(numbers));
  } while (Family::is_typed(o.number));
  o.data.assign(rng.random_bytes(rng.below(Opaque::capacity + 1)));
  return o;
}

/// N random bytes.
template <std::size_t N>
std::array<std::uint8_t, N> random_array(random_source& rng) {
  std::array<std::uint8_t, N> a{};
  for (auto& b : a) b = rng.byte();
  return a;
}

template <class T>
void check_codec_laws(const T& x) {
  // Room past max_size, filled with a canary, to see that encode() stays within max_size.
  std::array<std::uint8_t, T::max_size + 8> buf{};
  buf.fill(0xE7);
  const cmd::encoded e = x.encode(buf);
  REQUIRE_MESSAGE(e, "encode failed: ", cmd::name(e.error));
  CHECK(e.size >= T::min_size);
  CHECK(e.size <= T::max_size);
  for (std::size_t i = e.size; i < buf.size(); ++i) CHECK(buf[i] == 0xE7);

  const std::span<const std::uint8_t> data(buf.data(), e.size);
  const cmd::parsed<T> p = T::parse(data);
  REQUIRE_MESSAGE(p, "parse(encode(x)) failed: ", cmd::name(p.error));
  CHECK(p.value == x);

  // Truncated: every prefix shorter than the least the layout needs.
  for (std::size_t n = 0; n < T::min_size && n < e.size; ++n)
    CHECK(T::parse(data.first(n)).error == cmd::parse_error::too_short);
  // Oversized: one byte past the most the layout allows.
  if (e.size == T::max_size) {
    std::vector<std::uint8_t> longer(data.begin(), data.end());
    longer.push_back(0x00);
    CHECK(T::parse(longer).error == cmd::parse_error::too_long);
  }
  // A buffer one byte short: refused, nothing written past it.
  if (e.size > 0) {
    std::vector<std::uint8_t> small(e.size - 1 + 4, 0xE7);
    const cmd::encoded s = x.encode(std::span<std::uint8_t>(small.data(), e.size - 1));
    CHECK(s.error == cmd::encode_error::buffer_too_small);
    CHECK(s.size == 0);
    for (std::size_t i = e.size - 1; i < small.size(); ++i) CHECK(small[i] == 0xE7);
  }
}

/// Arbitrary bytes: parse_laws.hpp's laws hold (a named error, or a value that survives encode
/// and parse unchanged and is refused by every shorter buffer).
template <class T>
void check_parse_any(std::span<const std::uint8_t> input) {
  const char* broken = parse_law_broken<T>(input);
  CHECK_MESSAGE(broken == nullptr, (broken != nullptr ? broken : ""), "; input ", to_hex(input));
}

/// check_parse_any on `count` random byte strings of 0 to max_size + 2 bytes.
template <class T>
void check_parse_random(random_source& rng, int count) {
  for (int i = 0; i < count; ++i) {
    const bytes b = rng.random_bytes(rng.below(T::max_size + 3));
    check_parse_any<T>(b);
  }
}
/// check_parse_random for each of Ts, `count` times each.
template <class... Ts>
void check_parse_random_each(random_source& rng, int count) {
  (check_parse_random<Ts>(rng, count), ...);
}

/// check_codec_laws on `rounds` generated values of each of Ts (random_value), in turn.
template <class... Ts>
void check_codec_laws_generated(random_source& rng, int rounds) {
  for (int i = 0; i < rounds; ++i) (check_codec_laws(random_value<Ts>(rng)), ...);
}

/// A command C's request and response: check_codec_laws_generated on `rounds` of each, then
/// check_parse_random on `request_inputs` and `response_inputs` random byte strings.
template <class C>
void check_command_laws(random_source& rng, int rounds, int request_inputs, int response_inputs) {
  check_codec_laws_generated<typename C::request, typename C::response>(rng, rounds);
  check_parse_random<typename C::request>(rng, request_inputs);
  check_parse_random<typename C::response>(rng, response_inputs);
}

/// `exact` (hex text) is as long as T's layout takes: one byte less is too_short, one 00h more
/// too_long.
template <class T>
void check_exact_length(std::string_view exact) {
  INFO("bytes ", std::string(exact));
  bytes b = hex(exact);
  REQUIRE(!b.empty());
  CHECK(T::parse(std::span<const std::uint8_t>(b).first(b.size() - 1)).error == cmd::parse_error::too_short);
  b.push_back(0x00);
  CHECK(T::parse(b).error == cmd::parse_error::too_long);
}

/// `info`, a Get SEL Info or Get SDR Repository Info response (IPMI v2.0 §31.2, §33.9), parses
/// with the members the two share equal to `shared`, encodes back to `info`, and one byte less
/// is too_short, one more too_long. Returns the parsed response for its own members.
template <class Info>
Info check_repository_info(const bytes& info, const cmd::detail::repository_info& shared) {
  INFO("bytes ", to_hex(info));
  const auto p = Info::parse(info);
  REQUIRE(p);
  CHECK(static_cast<const cmd::detail::repository_info&>(*p) == shared);
  CHECK(encode_bytes(*p) == info);
  CHECK(Info::parse(std::span(info).first(info.size() - 1)).error == cmd::parse_error::too_short);
  bytes longer = info;
  longer.push_back(0x00);
  CHECK(Info::parse(longer).error == cmd::parse_error::too_long);
  return *p;
}

/// parse() of each of `inputs` (hex text, "04 00 32") as T fails with `expected`.
template <class T>
void check_refused(cmd::parse_error expected, std::initializer_list<std::string_view> inputs) {
  for (const std::string_view text : inputs) {
    INFO("input ", std::string(text));
    CHECK(T::parse(hex(text)).error == expected);
  }
}

}  // namespace ipmikit::test
