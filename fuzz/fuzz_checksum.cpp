// fuzz/fuzz_checksum.cpp — the checksum and the byte-scanning kernels under it.
//
// Input: [0] split point (mod size + 1), then the data. Checks, against test::reference_checksum
// and byte-at-a-time definitions:
//  * checksum{}.add(span) == byte-by-byte add == two spans split at the chosen point ==
//    reference_checksum; compute_checksum; checksum_ok on data + checksum; and add(span) for
//    the suffixes starting at bytes 1..16 (every alignment of the 16-byte SIMD kernel);
//  * detail::scan_plain (first special byte, sum before it), detail::scan_copy,
//    detail::sum_bytes and detail::count_bytes (special bytes and sum) from each of those start
//    offsets, on the kernel for_each_kernel chose;
//  * vm::encode_frame (the escape kernel without checksum) equals the reference escaper, in a
//    worst-case buffer (fast path) and an exact one (checked path), with guard bytes.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include <ipmikit/checksum.hpp>
#include <ipmikit/detail/simd/select.hpp>
#include <ipmikit/vm/encoder.hpp>

#include "fuzz_common.hpp"
#include "reference_codec.hpp"

namespace {

using namespace ipmikit;

/// The 8-bit sum of bytes, through the reference checksum (sum = -checksum).
std::uint8_t reference_sum(std::span<const std::uint8_t> bytes) {
  return static_cast<std::uint8_t>(0u - test::reference_checksum(bytes));
}

void check_checksum(std::span<const std::uint8_t> data, std::size_t split) {
  const std::uint8_t expect = test::reference_checksum(data);
  FUZZ_CHECK(checksum{}.add(data).value() == expect);
  FUZZ_CHECK(compute_checksum(data) == expect);
  FUZZ_CHECK(checksum{}.add(data).sum() == reference_sum(data));

  checksum bytewise;
  for (const std::uint8_t b : data) bytewise.add(b);
  FUZZ_CHECK(bytewise.value() == expect);

  checksum two;
  two.add(data.first(split)).add(data.subspan(split));
  FUZZ_CHECK(two.value() == expect);

  // Feeding the checksum byte makes it valid.
  checksum closed = two;
  closed.add(expect);
  FUZZ_CHECK(closed.valid() && closed.sum() == 0);
  closed.reset();
  FUZZ_CHECK(closed.sum() == 0 && closed.value() == 0);

  std::vector<std::uint8_t> with(data.begin(), data.end());
  with.push_back(expect);
  FUZZ_CHECK(checksum_ok(with));
  with.back() = static_cast<std::uint8_t>(expect + 1 + (split % 255u));
  FUZZ_CHECK(!checksum_ok(with));
}

void check_scan(std::span<const std::uint8_t> data, std::size_t from) {
  const std::uint8_t* const begin = data.data() + from;
  const std::uint8_t* const end = data.data() + data.size();
  const auto rest = data.subspan(from);
  const auto stop = std::find_if(rest.begin(), rest.end(), [](std::uint8_t b) {
    return b == 0xA0 || b == 0xA1 || b == 0xAA;
  });
  const auto plain = static_cast<std::size_t>(stop - rest.begin());
  using specials = vm::detail::special_set;
  const detail::kernel k = detail::active_kernel();
  const detail::plain_run run = detail::scan_plain<specials>(k, begin, end);
  FUZZ_CHECK(run.stop == begin + plain);
  FUZZ_CHECK(run.sum == reference_sum(rest.first(plain)));
  FUZZ_CHECK(detail::sum_bytes(begin, rest.size()) == reference_sum(rest));
  // scan_copy: same run, the first min(run, room) bytes copied, nothing written past the slack.
  for (const std::size_t room : {std::size_t{0}, plain / 2, plain, plain + 1}) {
    std::vector<std::uint8_t> dst(room + detail::copy_slack + 16, 0x5C);
    const detail::plain_run copied = detail::scan_copy<specials>(k, begin, end, dst.data(), room);
    FUZZ_CHECK(copied.stop == run.stop && copied.sum == run.sum);
    FUZZ_CHECK(std::equal(begin, begin + std::min(plain, room), dst.begin()));
    FUZZ_CHECK(std::all_of(dst.begin() + static_cast<std::ptrdiff_t>(room + detail::copy_slack), dst.end(),
                           [](std::uint8_t b) { return b == 0x5C; }));
  }
  const auto special_count = static_cast<std::size_t>(std::count_if(
      rest.begin(), rest.end(), [](std::uint8_t b) { return b == 0xA0 || b == 0xA1 || b == 0xAA; }));
  const detail::set_count counted = detail::count_bytes<specials>(k, begin, rest.size());
  FUZZ_CHECK(counted.count == special_count && counted.sum == reference_sum(rest));
}

void check_escape(std::span<const std::uint8_t> content, std::uint8_t terminator) {
  // reference_encode_command escapes code and arguments alike, then appends 0xA1 raw.
  std::vector<std::uint8_t> expect;
  if (!content.empty()) {
    expect = test::reference_command_frame(content[0], content.subspan(1));
    expect.back() = terminator;
  } else {
    expect = {terminator};
  }
  const std::size_t worst = vm::max_frame_size(content.size());
  for (const std::size_t n : {worst, expect.size(), expect.size() - 1}) {
    constexpr std::size_t guard = 32;
    std::vector<std::uint8_t> mem(n + 2 * guard, 0x5C);
    const auto r = vm::encode_frame(std::span<std::uint8_t>(mem.data() + guard, n), content, terminator);
    FUZZ_CHECK(std::all_of(mem.begin(), mem.begin() + guard, [](std::uint8_t b) { return b == 0x5C; }));
    FUZZ_CHECK(std::all_of(mem.end() - guard, mem.end(), [](std::uint8_t b) { return b == 0x5C; }));
    if (n >= expect.size()) {
      FUZZ_CHECK(r.ok() && r.size == expect.size());
      FUZZ_CHECK(std::equal(expect.begin(), expect.end(), mem.begin() + guard));
    } else {
      FUZZ_CHECK(r.error == vm::encode_error::buffer_too_small && r.required == expect.size());
      FUZZ_CHECK(std::all_of(mem.begin(), mem.end(), [](std::uint8_t b) { return b == 0x5C; }));
    }
  }
}

}  // namespace

namespace {

int fuzz_one(const std::uint8_t* bytes, std::size_t size) {
  fuzz::reader in(std::span<const std::uint8_t>(bytes, size));
  const std::uint8_t s = in.u8();
  // Copy into a buffer of exactly the data's size so ASan sees any read past its end.
  const auto rest = in.rest();
  const std::vector<std::uint8_t> data(rest.begin(), rest.end());
  const std::span<const std::uint8_t> d(data);
  const std::size_t split = s % (d.size() + 1);

  check_checksum(d, split);
  // Every alignment of the 16-byte kernels and every tail length: suffixes 1..16.
  for (std::size_t from = 0; from <= d.size() && from <= 16; ++from) {
    const auto sub = d.subspan(from);
    FUZZ_CHECK(checksum{}.add(sub).value() == test::reference_checksum(sub));
    check_scan(d, from);
  }
  check_escape(d, (s & 1u) ? vm::end_of_command : vm::end_of_message);
  check_escape(d.subspan(split), vm::end_of_message);
  return 0;
}

}  // namespace

// Every input runs once per available scanning kernel (scalar, SSE2, AVX2), each against the
// same oracle: the executions libFuzzer reports are executions of every path.
extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* bytes, std::size_t size) {
  ipmikit::fuzz::for_each_kernel([&] { fuzz_one(bytes, size); });
  return 0;
}
