// tests/cmd_support.hpp — the laws every typed command (include/ipmikit/cmd/) obeys, checked
// on one value at a time; the cmd_*_test.cpp files feed them generated values.
//
//   check_codec_laws(x)  encode fits [min_size, max_size]; parse(encode(x)) == x; every prefix
//                        shorter than min_size is too_short; one byte more than max_size is
//                        too_long; a buffer one byte short is buffer_too_small, and encode()
//                        wrote nothing past it.
//   check_parse_any(T, bytes)  parse() of arbitrary bytes either fails with a named error or
//                        gives a value that encodes back to bytes parse() reads as the same value.
#pragma once

#include <doctest/doctest.h>

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include <ipmikit/cmd/codec.hpp>

#include "test_support.hpp"

namespace ipmikit::test {

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

/// Arbitrary bytes: a named error, or a value that survives encode and parse unchanged.
template <class T>
void check_parse_any(std::span<const std::uint8_t> input) {
  const cmd::parsed<T> p = T::parse(input);
  if (!p) {
    CHECK(!cmd::name(p.error).empty());
    CHECK(p.value == T{});
    return;
  }
  std::array<std::uint8_t, T::max_size + 8> buf{};
  const cmd::encoded e = p.value.encode(buf);
  REQUIRE_MESSAGE(e, "a parsed value did not encode: ", cmd::name(e.error));
  const cmd::parsed<T> again = T::parse(std::span<const std::uint8_t>(buf.data(), e.size));
  REQUIRE(again);
  CHECK(again.value == p.value);
}

/// check_parse_any on `count` random byte strings of 0 to max_size + 2 bytes.
template <class T>
void check_parse_random(random_source& rng, int count) {
  for (int i = 0; i < count; ++i) {
    const bytes b = rng.random_bytes(rng.below(T::max_size + 3));
    check_parse_any<T>(b);
  }
}

}  // namespace ipmikit::test
