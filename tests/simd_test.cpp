// tests/simd_test.cpp — every kernel set of ipmikit/detail/simd (swar, sse2, avx2, neon) against
// plain byte loops, one kernel set at a time (a doctest template test per set):
//  * every kernel: sum, scan, scan_copy, count, escape;
//  * inputs: every length 0..200 at 32 start offsets (uniform bytes, bytes dense with the set,
//    plain runs with a rare byte of the set), every byte value at every position of a plain
//    run, and spans long enough to wrap a per-lane counter;
//  * three byte sets: the VM protocol's (A0 A1 AA: a shared rule and a single one), one holding
//    0x00 (the byte the vector tails shift in) and one of six bytes with a duplicate;
//  * every input sits at the end of its own heap block, so ASan sees a read past the end, and
//    the bytes after room + copy_slack (scan_copy) or after 2n (escape) must stay untouched.
// A set the CPU cannot run (AVX2 on an older x86) is skipped with a message; NEON runs under
// scripts/test-aarch64.sh. The codec's own tests run each kernel through the codec as well.
#include <algorithm>
#include <array>
#include <cstddef>
#include <iterator>
#include <cstdint>
#include <string>
#include <vector>

#include <doctest/doctest.h>

#include <ipmikit/detail/simd/select.hpp>
#include <ipmikit/vm/protocol.hpp>

#include "test_support.hpp"

namespace {

namespace simd = ipmikit::detail::simd;
using ipmikit::detail::copy_slack;
using ipmikit::detail::plain_run;
using ipmikit::detail::set_count;
using ipmikit::test::bytes;

using vm_set = ipmikit::vm::detail::special_set;
using vm_escaping = ipmikit::vm::detail::special_escaping;
using zero_set = simd::byte_set<0x00, 0x7E, 0x7D>;
using zero_escaping = simd::escaping<zero_set, 0x7D, 0x20>;
using wide_set = simd::byte_set<0x10, 0x11, 0x13, 0xFF, 0x40, 0x11>;
using wide_escaping = simd::escaping<wide_set, 0x13, 0x80>;

// The rules the vector kernels compare with: neighbours one bit apart share one.
static_assert(vm_set::rules.size() == 2);
static_assert(vm_set::rules[0].mask == 0xFE && vm_set::rules[0].value == 0xA0);
static_assert(vm_set::rules[1].mask == 0xFF && vm_set::rules[1].value == 0xAA);
static_assert(wide_set::rules.size() == 4);  // 10+11, 13, FF, 40 (the second 11 is dropped)
static_assert(vm_set::contains(0xA1) && !vm_set::contains(0xB1) && vm_set::table[0xAA] == 1);

// ---- the oracles: one byte at a time

template <class Set>
plain_run oracle_scan(const std::uint8_t* p, const std::uint8_t* end) {
  std::uint8_t sum = 0;
  for (; p != end && !Set::contains(*p); ++p) sum = static_cast<std::uint8_t>(sum + *p);
  return {p, sum};
}

std::uint8_t oracle_sum(const std::uint8_t* p, std::size_t n) {
  std::uint8_t sum = 0;
  for (std::size_t i = 0; i < n; ++i) sum = static_cast<std::uint8_t>(sum + p[i]);
  return sum;
}

template <class Esc>
bytes oracle_escape(const std::uint8_t* p, std::size_t n) {
  bytes out;
  for (std::size_t i = 0; i < n; ++i) {
    if (Esc::set::contains(p[i])) {
      out.push_back(Esc::escape);
      out.push_back(static_cast<std::uint8_t>(p[i] | Esc::bit));
    } else {
      out.push_back(p[i]);
    }
  }
  return out;
}

constexpr std::uint8_t guard = 0x5C;  // in no set under test

// CHECK only what fails: a passing CHECK costs more than the kernel it checks, and these loops
// make millions of comparisons.
#define EXPECT(...)                   \
  do {                                \
    if (!(__VA_ARGS__)) CHECK(__VA_ARGS__); \
  } while (0)

/// Runs every kernel of K on [p, p + n) with the byte set and escaping of Esc.
template <class K, class Esc>
void check_all(const std::uint8_t* p, std::size_t n) {
  using Set = typename Esc::set;
  const std::uint8_t* const end = p + n;
  CAPTURE(n);

  EXPECT(K::sum(p, n) == oracle_sum(p, n));

  const plain_run expect = oracle_scan<Set>(p, end);
  const plain_run run = K::template scan<Set>(p, end);
  EXPECT(run.stop == expect.stop);
  EXPECT(run.sum == expect.sum);

  const auto plain = static_cast<std::size_t>(expect.stop - p);
  for (const std::size_t room : {std::size_t{0}, plain / 2, plain, plain + 1}) {
    CAPTURE(room);
    bytes dst(room + copy_slack + 16, guard);
    const plain_run copied = K::template scan_copy<Set>(p, end, dst.data(), room);
    EXPECT(copied.stop == expect.stop);
    EXPECT(copied.sum == expect.sum);
    EXPECT(std::equal(p, p + std::min(plain, room), dst.begin()));
    EXPECT(std::all_of(dst.begin() + static_cast<std::ptrdiff_t>(room + copy_slack), dst.end(),
                      [](std::uint8_t b) { return b == guard; }));
  }

  const set_count counted = K::template count<Set>(p, n);
  EXPECT(counted.count == static_cast<std::size_t>(std::count_if(p, end, [](std::uint8_t b) { return Set::contains(b); })));
  EXPECT(counted.sum == oracle_sum(p, n));

  // The worst case (2n) exactly, then guard bytes: nothing may be written past it.
  const bytes escaped = oracle_escape<Esc>(p, n);
  bytes out(2 * n + 32, guard);
  std::uint32_t s = 7;  // added to, not replaced
  const std::uint8_t* const o = K::template escape<Esc>(out.data(), out.data() + 2 * n, p, n, s);
  if (o != out.data() + escaped.size()) {
    CHECK(o == out.data() + escaped.size());
    return;
  }
  EXPECT(std::equal(escaped.begin(), escaped.end(), out.begin()));
  EXPECT(static_cast<std::uint8_t>(s) == static_cast<std::uint8_t>(7 + oracle_sum(p, n)));
  EXPECT(std::all_of(out.begin() + static_cast<std::ptrdiff_t>(2 * n), out.end(),
                    [](std::uint8_t b) { return b == guard; }));
}

/// check_all on a copy of `data` placed at the end of a heap block of offset + size bytes.
template <class K, class Esc>
void check_at(const bytes& data, std::size_t offset) {
  CAPTURE(offset);
  bytes block(offset + data.size());
  std::copy(data.begin(), data.end(), block.begin() + static_cast<std::ptrdiff_t>(offset));
  check_all<K, Esc>(block.data() + offset, data.size());
}

/// A byte in none of the sets under test.
std::uint8_t plain_byte(ipmikit::test::random_source& rnd) {
  for (;;) {
    const std::uint8_t b = rnd.byte();
    if (!vm_set::contains(b) && !zero_set::contains(b) && !wide_set::contains(b) && b != guard) return b;
  }
}

template <class Esc>
bytes make_input(ipmikit::test::random_source& rnd, std::size_t n, int flavour) {
  using Set = typename Esc::set;
  bytes b(n);
  for (auto& x : b) {
    switch (flavour) {
      case 0: x = rnd.byte(); break;  // uniform
      case 1:                         // dense with the set
        x = rnd.chance(60) ? Set::bytes[rnd.below(Set::bytes.size())] : rnd.byte();
        break;
      default:  // plain runs, a rare byte of the set: the long vector loops
        x = rnd.chance(2) ? Set::bytes[rnd.below(Set::bytes.size())] : plain_byte(rnd);
        break;
    }
  }
  return b;
}

template <class K>
bool runnable() {
  if (K::supported()) return true;
  MESSAGE("kernel set ", std::string(ipmikit::detail::name(K::id)), " skipped: this CPU cannot run it");
  return false;
}

template <class K, class Esc>
void lengths_and_offsets(std::uint32_t seed) {
  ipmikit::test::random_source rnd(seed);
  for (std::size_t n = 0; n <= 200; ++n) {
    for (int flavour = 0; flavour < 3; ++flavour) {
      const bytes data = make_input<Esc>(rnd, n, flavour);
      CAPTURE(flavour);
      // Every start offset mod 32 for the short inputs (every tail of every block size), three
      // for the longer ones.
      if (n <= 40) {
        for (std::size_t offset = 0; offset < 32; ++offset) check_at<K, Esc>(data, offset);
      } else {
        for (const std::size_t offset : {std::size_t{0}, 1 + n % 31, 16 + n % 16}) check_at<K, Esc>(data, offset);
      }
    }
  }
}

template <class K, class Esc>
void every_byte_everywhere() {
  using Set = typename Esc::set;
  ipmikit::test::random_source rnd(3);
  bytes data(100);
  for (auto& b : data) b = plain_byte(rnd);
  check_at<K, Esc>(data, 0);
  for (unsigned v = 0; v < 256; ++v) {
    CAPTURE(v);
    const auto b = static_cast<std::uint8_t>(v);
    for (std::size_t pos = 0; pos < data.size(); ++pos) {
      CAPTURE(pos);
      bytes one = data;
      one[pos] = b;
      check_at<K, Esc>(one, pos % 7);
      // A byte of the set (or 0, the byte the vector tails shift in) as the last byte of every
      // shorter input: every tail path.
      if (Set::contains(b) || b == 0)
        check_at<K, Esc>(bytes(one.begin(), one.begin() + static_cast<std::ptrdiff_t>(pos) + 1), 0);
    }
  }
}

template <class K, class Esc>
void long_spans() {
  ipmikit::test::random_source rnd(5);
  using Set = typename Esc::set;
  for (const std::size_t n : {std::size_t{4079}, std::size_t{4080}, std::size_t{4081}, std::size_t{4096},
                              std::size_t{8200}}) {
    check_at<K, Esc>(bytes(n, Set::bytes[0]), 3);  // every lane counts every block
    check_at<K, Esc>(make_input<Esc>(rnd, n, 1), 1);
    check_at<K, Esc>(make_input<Esc>(rnd, n, 2), 0);
  }
}

}  // namespace

TEST_SUITE("simd") {

TEST_CASE_TEMPLATE_DEFINE("kernel set: every kernel agrees with a byte loop", K, kernel_set_test) {
  if (!runnable<K>()) return;
  INFO("kernel set ", std::string(ipmikit::detail::name(K::id)));
  SUBCASE("lengths 0..200 at every start offset") {
    lengths_and_offsets<K, vm_escaping>(1);
    lengths_and_offsets<K, zero_escaping>(2);
    lengths_and_offsets<K, wide_escaping>(3);
  }
  SUBCASE("every byte value at every position") {
    every_byte_everywhere<K, vm_escaping>();
    every_byte_everywhere<K, zero_escaping>();
  }
  SUBCASE("spans past the per-lane counters") {
    long_spans<K, vm_escaping>();
    long_spans<K, zero_escaping>();
  }
}

TEST_CASE_TEMPLATE_INVOKE(kernel_set_test, simd::swar);
#if IPMIKIT_HAVE_SSE2
TEST_CASE_TEMPLATE_INVOKE(kernel_set_test, simd::sse2);
#endif
#if IPMIKIT_HAVE_AVX2
TEST_CASE_TEMPLATE_INVOKE(kernel_set_test, simd::avx2);
#endif
#if IPMIKIT_HAVE_NEON
TEST_CASE_TEMPLATE_INVOKE(kernel_set_test, simd::neon);
#endif

TEST_CASE("common: kernel names, byte rules and the expansion table at run time too") {
  // Everything in common.hpp is constexpr and normally evaluated by the compiler; called here
  // at run time, it must give what the static_asserts above and the kernels rely on.
  for (const ipmikit::detail::kernel k : ipmikit::detail::all_kernels) CHECK_FALSE(ipmikit::detail::name(k).empty());
  CHECK(ipmikit::detail::name(static_cast<ipmikit::detail::kernel>(0x7F)).empty());
  simd::byte_rules (*volatile make_rules)(const std::array<std::uint8_t, 6>&) noexcept = &simd::make_byte_rules<6>;
  const simd::byte_rules rules = make_rules(wide_set::bytes);
  REQUIRE(rules.size == wide_set::rules.size());
  for (std::size_t i = 0; i < rules.size; ++i) {
    CHECK(rules.rule[i].mask == wide_set::rules[i].mask);
    CHECK(rules.rule[i].value == wide_set::rules[i].value);
  }
  // Through a volatile pointer: a direct call with constant arguments is folded by the compiler.
  std::array<simd::expand_entry, 256> (*volatile make_table)() noexcept = &simd::make_expand_table<vm_escaping>;
  const std::array<simd::expand_entry, 256> table = make_table();
  const auto& compiled = simd::expand_table<vm_escaping>;
  CHECK(std::equal(table.begin(), table.end(), compiled.begin(), [](const simd::expand_entry& x, const simd::expand_entry& y) {
    return std::equal(std::begin(x.shuffle), std::end(x.shuffle), std::begin(y.shuffle)) &&
           std::equal(std::begin(x.add), std::end(x.add), std::begin(y.add));
  }));
  // Mask 0b101: bytes 0 and 2 escaped, so 10 output lanes: AA b0|10 b1 AA b2|10 b3..b7.
  const simd::expand_entry& e = table[0b101];
  const std::uint8_t shuffle[16] = {0x80, 0, 1, 0x80, 2, 3, 4, 5, 6, 7, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80};
  const std::uint8_t add[16] = {0xAA, 0x10, 0, 0xAA, 0x10, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0};
  CHECK(std::equal(std::begin(shuffle), std::end(shuffle), std::begin(e.shuffle)));
  CHECK(std::equal(std::begin(add), std::end(add), std::begin(e.add)));
}

TEST_CASE("select: each kernel's entry point runs that kernel set") {
  // The entry points take the kernel to use; an unavailable one is never passed (set_kernel
  // refuses it), so check only the available ones, on an input every kernel treats alike.
  ipmikit::test::random_source rnd(11);
  const bytes data = make_input<vm_escaping>(rnd, 150, 1);
  ipmikit::detail::kernel kernels[std::size(ipmikit::detail::all_kernels)];
  const std::size_t nk = ipmikit::detail::available_kernels(kernels);
  for (std::size_t i = 0; i < nk; ++i) {
    const ipmikit::detail::kernel k = kernels[i];
    CAPTURE(std::string(ipmikit::detail::name(k)));
    const std::uint8_t* const p = data.data();
    const std::uint8_t* const end = p + data.size();
    const plain_run expect = oracle_scan<vm_set>(p, end);
    CHECK(ipmikit::detail::sum_bytes(k, p, data.size()) == oracle_sum(p, data.size()));
    CHECK(ipmikit::detail::scan_plain<vm_set>(k, p, end).stop == expect.stop);
    bytes dst(data.size() + copy_slack, guard);
    CHECK(ipmikit::detail::scan_copy<vm_set>(k, p, end, dst.data(), data.size()).sum == expect.sum);
    CHECK(ipmikit::detail::count_bytes<vm_set>(k, p, data.size()).sum == oracle_sum(p, data.size()));
    bytes out(2 * data.size(), guard);
    std::uint32_t s = 0;
    const std::uint8_t* o =
        ipmikit::detail::escape_bytes<vm_escaping>(k, out.data(), out.data() + out.size(), p, data.size(), s);
    CHECK(static_cast<std::size_t>(o - out.data()) == oracle_escape<vm_escaping>(p, data.size()).size());
  }
}

}  // TEST_SUITE
