// tests/parse_laws.hpp — the laws a typed command's parse() and encode() (include/ipmikit/cmd/)
// obey on arbitrary bytes, stated once and free of doctest: cmd_support.hpp's check_parse_any
// (the unit tests' random bytes) and fuzz/fuzz_cmd.cpp (the fuzzer's) both judge with
// parse_law_broken().
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>

#include <ipmikit/cmd/codec.hpp>

namespace ipmikit::test {

/// The first law that T's parse() and encode() break on `input`, or nullptr when they keep all:
///  * parse() fails with a named error and leaves the value-initialised T, or gives a value;
///  * that value encodes (into exactly max_size bytes, the guard bytes after them untouched) to
///    min_size to max_size bytes, and those bytes parse back to the same value;
///  * encoding it into every shorter buffer is refused with buffer_too_small and size 0, and
///    writes nothing past the buffer.
template <class T>
[[nodiscard]] const char* parse_law_broken(std::span<const std::uint8_t> input) {
  const cmd::parsed<T> p = T::parse(input);
  if (!p) {
    if (cmd::name(p.error).empty()) return "parse() failed with an unnamed error";
    if (!(p.value == T{})) return "a failed parse() left a value other than T{}";
    return nullptr;
  }
  constexpr std::uint8_t guard = 0xE7;
  std::array<std::uint8_t, T::max_size + 16> buf{};
  buf.fill(guard);
  const cmd::encoded e = p.value.encode(std::span<std::uint8_t>(buf.data(), T::max_size));
  if (!e) return "a parsed value did not encode";
  if (e.size < T::min_size || e.size > T::max_size) return "a parsed value encoded outside min_size..max_size";
  for (std::size_t i = T::max_size; i < buf.size(); ++i)
    if (buf[i] != guard) return "encode() wrote past its buffer";
  const cmd::parsed<T> again = T::parse(std::span<const std::uint8_t>(buf.data(), e.size));
  if (!again) return "the encoded bytes did not parse";
  if (!(again.value == p.value)) return "the encoded bytes parsed to another value";
  for (std::size_t n = 0; n < e.size; ++n) {
    std::array<std::uint8_t, T::max_size + 16> small{};
    small.fill(guard);
    const cmd::encoded s = p.value.encode(std::span<std::uint8_t>(small.data(), n));
    if (s.error != cmd::encode_error::buffer_too_small || s.size != 0)
      return "encode() into a shorter buffer was not refused with buffer_too_small";
    for (std::size_t i = n; i < small.size(); ++i)
      if (small[i] != guard) return "encode() wrote past a shorter buffer";
  }
  return nullptr;
}

}  // namespace ipmikit::test
