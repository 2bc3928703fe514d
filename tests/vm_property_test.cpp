// tests/vm_property_test.cpp — randomised properties of the VM codec, with fixed seeds:
//  (a) the decoder agrees exactly with test::reference_decoder on random streams (uniform
//      bytes, streams dense with A0 A1 AA B0 B1 BA, valid frames mixed with garbage, invalid
//      escapes, over-long frames) for several capacities and minimum message sizes;
//  (b) every chunking of a stream gives the same events (random chunk sizes, byte by byte,
//      and every single split point of the shorter streams);
//  (c) encode -> decode round-trips random messages and commands;
//  (d) the encoder agrees with the reference encoder for random bodies and buffer sizes;
//  (e) the scanning kernels through their entry points (scan_plain, scan_copy, sum_bytes,
//      count_bytes; each kernel alone: tests/simd_test.cpp) agree with a byte loop at every
//      alignment;
//  every property runs once per available kernel (detail::available_kernels: scalar, SSE2,
//  AVX2 where the CPU has it, NEON on AArch64: scripts/test-aarch64.sh), so the vector and
//  scalar paths meet the same oracle;
//  and structural invariants that need no decoder at all (one event per terminator, frame
//  offsets follow the terminators, zero-copy exactly for unescaped frames inside one chunk).
#include <algorithm>
#include <cstdlib>
#include <string>
#include <string_view>
#include <cstdint>
#include <span>
#include <vector>

#include <ipmikit/detail/simd/select.hpp>
#include <ipmikit/vm/decoder.hpp>
#include <ipmikit/vm/encoder.hpp>

#include "test_support.hpp"

using namespace ipmikit;
using test::bytes;
using test::event;
using test::view;

namespace {

/// Runs f once with each available scanning kernel forced, then restores the default.
template <class F>
void for_each_kernel(F&& f) {
  struct restore {
    ~restore() { detail::reset_kernel(); }
  } guard;
  detail::kernel kernels[std::size(detail::all_kernels)];
  const std::size_t n = detail::available_kernels(kernels);
  REQUIRE(n >= 1);
  for (std::size_t i = 0; i < n; ++i) {
    REQUIRE(detail::set_kernel(kernels[i]));
    REQUIRE(detail::active_kernel() == kernels[i]);
    INFO("kernel ", std::string(detail::name(kernels[i])));
    f();
  }
}

/// Records events and, for messages, whether they were zero-copy.
struct zero_copy_recorder {
  test::event_recorder rec;
  std::vector<std::pair<std::uint64_t, bool>> messages;  // frame offset, zero_copy

  void operator()(const vm::message_event& m) {
    rec(m);
    messages.emplace_back(m.offset, m.zero_copy);
  }
  void operator()(const vm::command_event& c) { rec(c); }
  void operator()(const vm::error_event& e) { rec(e); }
};

/// Properties of an event list that follow from the framing rule alone: one event per
/// terminator byte, in order, each frame starting after the previous terminator.
void check_framing(std::span<const std::uint8_t> stream, const std::vector<event>& events) {
  std::vector<std::size_t> terminators;
  for (std::size_t i = 0; i < stream.size(); ++i)
    if (stream[i] == 0xA0 || stream[i] == 0xA1) terminators.push_back(i);
  REQUIRE(events.size() == terminators.size());
  std::size_t frame_start = 0;
  for (std::size_t k = 0; k < events.size(); ++k) {
    const event& e = events[k];
    const std::size_t end = terminators[k];
    CAPTURE(k);
    CHECK(e.frame_offset == frame_start);
    CHECK(e.kind == (stream[end] == 0xA0 ? vm::frame_kind::message : vm::frame_kind::command));
    if (e.what == event::type::error) {
      CHECK(e.offset >= e.frame_offset);
      CHECK(e.offset <= end);
      CHECK(e.length <= end - frame_start);
    } else {
      CHECK(e.offset == e.frame_offset);
    }
    frame_start = end + 1;
  }
}

template <class Decoder>
void check_stats(const Decoder& d, const std::vector<event>& events, std::size_t stream_size) {
  std::uint64_t messages = 0, commands = 0, errors = 0;
  for (const auto& e : events) {
    messages += e.what == event::type::message ? 1u : 0u;
    commands += e.what == event::type::command ? 1u : 0u;
    errors += e.what == event::type::error ? 1u : 0u;
  }
  CHECK(d.stats().bytes == stream_size);
  CHECK(d.stats().messages == messages);
  CHECK(d.stats().commands == commands);
  CHECK(d.stats().total_errors() == errors);
}

enum class stream_kind { uniform, special_dense, mixed };

bytes make_stream(test::random_source& rnd, stream_kind kind, std::size_t max_size, std::size_t max_body) {
  switch (kind) {
    case stream_kind::uniform: return rnd.random_bytes(rnd.below(max_size + 1));
    case stream_kind::special_dense: return rnd.special_dense_bytes(rnd.below(max_size + 1));
    case stream_kind::mixed: return rnd.mixed_stream(rnd.below(max_size + 1), max_body);
  }
  return {};
}

/// (a) + (b) + framing invariants for one stream and one decoder type.
template <std::size_t Capacity>
void check_stream(test::random_source& rnd, std::span<const std::uint8_t> stream, std::size_t min_message) {
  using decoder_t = vm::basic_decoder<Capacity>;
  const decoder_t fresh(min_message);
  const std::vector<event> expected = test::reference_events<Capacity>(stream, min_message);
  INFO("capacity ", Capacity, ", min_message ", min_message, ", stream ", test::to_hex(stream));

  check_framing(stream, expected);

  {  // whole
    decoder_t d = fresh;
    zero_copy_recorder h;
    d.feed(stream, h);
    REQUIRE(h.rec.events == expected);
    check_stats(d, h.rec.events, stream.size());
    // Zero-copy exactly for messages whose wire bytes contain no escape.
    std::size_t zero_copies = 0;
    for (const auto& [offset, zero_copy] : h.messages) {
      const auto end = std::find_if(stream.begin() + static_cast<std::ptrdiff_t>(offset), stream.end(),
                                    [](std::uint8_t b) { return b == 0xA0 || b == 0xA1; });
      const bool escaped = std::find(stream.begin() + static_cast<std::ptrdiff_t>(offset), end, 0xAA) != end;
      CHECK(zero_copy == !escaped);
      zero_copies += zero_copy ? 1u : 0u;
    }
    CHECK(d.stats().zero_copy_messages == zero_copies);
    CHECK(d.offset() == stream.size());
  }
  {  // byte by byte
    decoder_t d = fresh;
    test::event_recorder r;
    for (std::size_t i = 0; i < stream.size(); ++i) d.feed(stream.subspan(i, 1), r);
    REQUIRE(r.events == expected);
    CHECK(d.stats().zero_copy_messages == 0);
  }
  for (int round = 0; round < 3; ++round) {  // random chunk sizes, zero-length feeds included
    const auto sizes = rnd.chunk_sizes(stream.size(), round == 0 ? 4 : round == 1 ? 24 : 300);
    decoder_t d = fresh;
    zero_copy_recorder h;
    std::vector<std::size_t> chunk_of(stream.size());  // which feed each byte was in
    std::size_t at = 0;
    for (std::size_t c = 0; c < sizes.size() && at < stream.size(); ++c) {
      const std::size_t take = std::min(sizes[c], stream.size() - at);
      for (std::size_t i = at; i < at + take; ++i) chunk_of[i] = c;
      d.feed(stream.subspan(at, take), h);
      at += take;
    }
    REQUIRE(at == stream.size());
    REQUIRE(h.rec.events == expected);
    check_stats(d, h.rec.events, stream.size());
    // Zero-copy exactly for unescaped messages whose frame lies inside one feed.
    for (const auto& [offset, zero_copy] : h.messages) {
      std::size_t end = offset;
      while (stream[end] != 0xA0 && stream[end] != 0xA1) ++end;
      bool plain = true;
      for (std::size_t i = offset; i < end; ++i) plain = plain && stream[i] != 0xAA;
      CHECK(zero_copy == (plain && chunk_of[offset] == chunk_of[end]));
    }
  }
  if (stream.size() <= 64) {  // every split point
    for (std::size_t split = 0; split <= stream.size(); ++split) {
      decoder_t d = fresh;
      test::event_recorder r;
      d.feed(stream.first(split), r);
      d.feed(stream.subspan(split), r);
      CAPTURE(split);
      REQUIRE(r.events == expected);
    }
  }
}

void run_streams(std::uint32_t seed, stream_kind kind, int count, std::size_t max_size) {
  test::random_source rnd(seed);
  for (int i = 0; i < count; ++i) {
    CAPTURE(i);
    // Short streams often, so that every split point is tried on many of them.
    const std::size_t size = i % 3 == 0 ? 64 : max_size;
    const std::size_t min_message = rnd.chance(25) ? 5 : 4;
    switch (i % 3) {
      case 0: {
        const bytes s = make_stream(rnd, kind, size, 12);
        check_stream<8>(rnd, view(s), min_message);
        break;
      }
      case 1: {
        const bytes s = make_stream(rnd, kind, size, 40);
        check_stream<32>(rnd, view(s), min_message);
        break;
      }
      default: {
        const bytes s = make_stream(rnd, kind, size, vm::max_message_size);
        check_stream<vm::max_message_size + vm::message_overhead>(rnd, view(s), min_message);
        break;
      }
    }
  }
}

}  // namespace

TEST_SUITE("vm") {

TEST_CASE("property: the decoder agrees with the reference decoder on uniformly random streams") {
  for_each_kernel([&] {
    run_streams(1, stream_kind::uniform, 600, 700);
  });
}

TEST_CASE("property: the decoder agrees with the reference decoder on streams dense with special bytes") {
  for_each_kernel([&] {
    run_streams(2, stream_kind::special_dense, 900, 400);
  });
}

TEST_CASE("property: the decoder agrees with the reference decoder on frames mixed with garbage") {
  for_each_kernel([&] {
    run_streams(3, stream_kind::mixed, 900, 1500);
  });
}

TEST_CASE("property: every pair of split points gives the same events on short streams") {
  for_each_kernel([&] {
    test::random_source rnd(4);
    for (int i = 0; i < 60; ++i) {
      const bytes s = i % 2 ? rnd.mixed_stream(rnd.below(20), 6) : rnd.special_dense_bytes(rnd.below(24));
      const auto expected = test::reference_events<8>(view(s));
      for (std::size_t a = 0; a <= s.size(); ++a) {
        for (std::size_t b = a; b <= s.size(); ++b) {
          vm::basic_decoder<8> d;
          test::event_recorder r;
          d.feed(view(s).first(a), r);
          d.feed(view(s).subspan(a, b - a), r);
          d.feed(view(s).subspan(b), r);
          CAPTURE(a);
          CAPTURE(b);
          REQUIRE(r.events == expected);
        }
      }
    }
  });
}

TEST_CASE("property: encoded messages and commands decode back to what was encoded") {
  for_each_kernel([&] {
    test::random_source rnd(5);
    for (int round = 0; round < 400; ++round) {
      CAPTURE(round);
      bytes stream;
      std::vector<event> expected;
      const std::size_t frames = rnd.between(1, 12);
      for (std::size_t f = 0; f < frames; ++f) {
        const bool dense = rnd.chance(50);
        std::vector<std::uint8_t> out(vm::max_message_frame_size(vm::max_message_size));
        if (rnd.chance(70)) {
          const std::size_t n = rnd.chance(20) ? vm::max_message_size : rnd.between(2, 64);
          const bytes body = rnd.body(n, dense);
          const std::uint8_t id = dense ? rnd.special_dense_byte() : rnd.byte();
          const auto r = rnd.chance(50)
                             ? vm::encode_message(out, id, view(body))
                             : vm::encode_message(out, id, body[0], body[1], view(body).subspan(2));
          REQUIRE(r.ok());
          expected.push_back(test::message(id, stream.size(), body));
          stream.insert(stream.end(), out.begin(), out.begin() + static_cast<std::ptrdiff_t>(r.size));
        } else {
          static constexpr vm::command all[] = {
              vm::command::no_attention, vm::command::attention,   vm::command::attention_irq,
              vm::command::power_off,    vm::command::reset,       vm::command::enable_irq,
              vm::command::disable_irq,  vm::command::send_nmi,    vm::command::capabilities,
              vm::command::graceful_shutdown, vm::command::version};
          const vm::command c = all[rnd.below(std::size(all))];
          const bytes args = rnd.body(vm::argument_count(c), dense);
          const auto r = vm::encode_command(out, c, view(args));
          REQUIRE(r.ok());
          expected.push_back(test::command(c, stream.size(), args));
          stream.insert(stream.end(), out.begin(), out.begin() + static_cast<std::ptrdiff_t>(r.size));
        }
      }
      const auto sizes = rnd.chunk_sizes(stream.size(), rnd.chance(50) ? 7 : 200);
      CHECK(test::decode_chunked(vm::decoder{}, view(stream), sizes) == expected);
      CHECK(test::decode_chunked(vm::decoder(vm::min_response_frame), view(stream), std::span<const std::size_t>{}) ==
            test::reference_events(view(stream), vm::min_response_frame));
      CHECK(test::reference_events(view(stream)) == expected);
    }
  });
}

TEST_CASE("property: the encoder agrees with the reference encoder for random bodies and buffer sizes") {
  for_each_kernel([&] {
    test::random_source rnd(6);
    std::vector<std::uint8_t> out(vm::max_message_frame_size(vm::max_message_size) + 8);
    std::vector<std::uint8_t> ref(out.size());
    for (int round = 0; round < 3000; ++round) {
      CAPTURE(round);
      const bool dense = rnd.chance(50);
      const std::size_t n = rnd.chance(10) ? rnd.between(2, vm::max_message_size) : rnd.between(2, 24);
      const bytes body = rnd.body(n, dense);
      const std::uint8_t id = dense ? rnd.special_dense_byte() : rnd.byte();
      const std::size_t size = rnd.below(vm::max_message_frame_size(n) + 8);
      const std::size_t ref_size = test::reference_encode_message(ref.data(), size, id, view(body));
      const auto r = vm::encode_message(std::span<std::uint8_t>(out).first(size), id, view(body));
      if (ref_size == 0) {
        CHECK(r.error == vm::encode_error::buffer_too_small);
        CHECK(r.required > size);
        CHECK(r.required == test::reference_message_frame(id, view(body)).size());
      } else {
        REQUIRE(r.ok());
        REQUIRE(r.size == ref_size);
        CHECK(std::equal(out.begin(), out.begin() + static_cast<std::ptrdiff_t>(r.size), ref.begin()));
        CHECK(vm::message_frame_size(id, view(body)) == ref_size);
      }
    }
    for (int round = 0; round < 2000; ++round) {
      CAPTURE(round);
      const std::uint8_t code = rnd.special_dense_byte();
      const std::size_t n = vm::is_known_command(code) ? vm::argument_count(static_cast<vm::command>(code)) : rnd.below(4);
      const bytes args = rnd.body(n, true);
      const std::size_t size = rnd.below(vm::max_frame_size(1 + n) + 3);
      const std::size_t ref_size = test::reference_encode_command(ref.data(), size, code, view(args));
      const auto r = vm::encode_command(std::span<std::uint8_t>(out).first(size), static_cast<vm::command>(code), view(args));
      if (ref_size == 0) {
        CHECK(r.error == vm::encode_error::buffer_too_small);
        CHECK(r.required == test::reference_command_frame(code, view(args)).size());
      } else {
        REQUIRE(r.ok());
        REQUIRE(r.size == ref_size);
        CHECK(std::equal(out.begin(), out.begin() + static_cast<std::ptrdiff_t>(r.size), ref.begin()));
      }
    }
  });
}

TEST_CASE("property: every scanning kernel agrees with a byte loop at every alignment") {
  test::random_source rnd(7);
  detail::kernel kernels[std::size(detail::all_kernels)];
  const std::size_t nk = detail::available_kernels(kernels);
  for (int round = 0; round < 1500; ++round) {
    CAPTURE(round);
    const std::size_t size = rnd.below(round % 4 == 0 ? 300 : 100);
    bytes data = round % 3 == 0 ? rnd.special_dense_bytes(size) : rnd.random_bytes(size);
    // Mostly plain data with a rare special byte: long runs for the vector loops.
    if (round % 3 == 2)
      for (auto& b : data)
        if (vm::is_special(b) && !rnd.chance(10)) b = 0x5C;
    for (std::size_t from = 0; from <= std::min<std::size_t>(size, 40); ++from) {
      const std::uint8_t* const begin = data.data() + from;
      const std::uint8_t* const end = data.data() + data.size();
      std::size_t plain = 0;
      unsigned plain_sum = 0, all_sum = 0;
      std::size_t specials = 0;
      for (const std::uint8_t* q = begin; q != end; ++q) {
        all_sum += *q;
        specials += vm::is_special(*q) ? 1u : 0u;
      }
      while (begin + plain != end && !vm::is_special(begin[plain])) plain_sum += begin[plain++];
      for (std::size_t k = 0; k < nk; ++k) {
        CAPTURE(std::string(detail::name(kernels[k])));
        CAPTURE(from);
        const auto run = detail::scan_plain<vm::detail::special_set>(kernels[k], begin, end);
        CHECK(run.stop == begin + plain);
        CHECK(run.sum == static_cast<std::uint8_t>(plain_sum));
        CHECK(detail::sum_bytes(kernels[k], begin, data.size() - from) == static_cast<std::uint8_t>(all_sum));
        for (const std::size_t room : {std::size_t{0}, std::size_t{1}, plain / 2, plain, plain + 40}) {
          std::vector<std::uint8_t> dst(room + detail::copy_slack + 8, 0x5C);
          const auto copied = detail::scan_copy<vm::detail::special_set>(kernels[k], begin, end, dst.data(), room);
          CHECK(copied.stop == begin + plain);
          CHECK(copied.sum == static_cast<std::uint8_t>(plain_sum));
          const std::size_t n = std::min(plain, room);
          CHECK(std::equal(begin, begin + n, dst.begin()));
          CHECK(std::all_of(dst.begin() + static_cast<std::ptrdiff_t>(room + detail::copy_slack), dst.end(),
                            [](std::uint8_t b) { return b == 0x5C; }));
        }
        const detail::set_count counted =
            detail::count_bytes<vm::detail::special_set>(kernels[k], begin, data.size() - from);
        CHECK(counted.count == specials);
        CHECK(counted.sum == static_cast<std::uint8_t>(all_sum));
      }
    }
  }
}

TEST_CASE("property: message_frame_size and exact-size encoding agree with the reference, every kernel") {
  detail::kernel kernels[std::size(detail::all_kernels)];
  const std::size_t nk = detail::available_kernels(kernels);
  test::random_source rnd(9);
  for (int round = 0; round < 600; ++round) {
    const std::size_t size = 2 + rnd.below(round % 3 == 0 ? 299 : 40);
    const bytes body = round % 2 == 0 ? rnd.special_dense_bytes(size) : rnd.random_bytes(size);
    const auto msg_id = static_cast<std::uint8_t>(rnd.below(256));
    const bytes expect = test::reference_message_frame(msg_id, view(body));
    for (std::size_t k = 0; k < nk; ++k) {
      CAPTURE(std::string(detail::name(kernels[k])));
      CAPTURE(round);
      REQUIRE(detail::set_kernel(kernels[k]));
      REQUIRE(vm::message_frame_size(msg_id, view(body)) == expect.size());
      // Exactly sized (the scratch-frame path), one byte short (nothing written), worst case.
      bytes out(expect.size() + 1, 0x5C);
      const auto exact = vm::encode_message(std::span<std::uint8_t>(out).first(expect.size()), msg_id, view(body));
      REQUIRE(exact.ok());
      CHECK(std::equal(expect.begin(), expect.end(), out.begin()));
      CHECK(out.back() == 0x5C);
      bytes short_out(expect.size() - 1, 0x5C);
      const auto too_small = vm::encode_message(short_out, msg_id, view(body));
      CHECK(too_small.error == vm::encode_error::buffer_too_small);
      CHECK(too_small.required == expect.size());
      CHECK(std::all_of(short_out.begin(), short_out.end(), [](std::uint8_t b) { return b == 0x5C; }));
      bytes worst(vm::max_message_frame_size(body.size()), 0x5C);
      const auto fast = vm::encode_message(worst, msg_id, view(body));
      REQUIRE(fast.ok());
      CHECK(std::equal(expect.begin(), expect.end(), worst.begin(), worst.begin() + static_cast<std::ptrdiff_t>(fast.size)));
      CHECK(fast.size == expect.size());
    }
    detail::reset_kernel();
  }
}

TEST_CASE("count_bytes counts and sums spans longer than its per-lane counters hold") {
  // The SSE2 kernel counts special bytes per byte lane and folds the lanes every 255 blocks of
  // 16 bytes: spans of all-special bytes past 4080 bytes would wrap a lane without the fold.
  detail::kernel kernels[std::size(detail::all_kernels)];
  const std::size_t nk = detail::available_kernels(kernels);
  test::random_source rnd(8);
  for (const std::size_t size : {std::size_t{4079}, std::size_t{4080}, std::size_t{4096}, std::size_t{20011}}) {
    for (const bool dense : {true, false}) {
      bytes data = dense ? bytes(size, 0xAA) : rnd.special_dense_bytes(size);
      std::size_t specials = 0;
      unsigned sum = 0;
      for (std::uint8_t b : data) {
        specials += vm::is_special(b) ? 1u : 0u;
        sum += b;
      }
      for (std::size_t k = 0; k < nk; ++k) {
        CAPTURE(std::string(detail::name(kernels[k])));
        CAPTURE(size);
        const detail::set_count counted =
            detail::count_bytes<vm::detail::special_set>(kernels[k], data.data(), data.size());
        CHECK(counted.count == specials);
        CHECK(counted.sum == static_cast<std::uint8_t>(sum));
      }
    }
  }
}

TEST_CASE("kernels: scalar is always available, the default is the best one unless forced") {
  CHECK(detail::kernel_available(detail::kernel::scalar));
#if defined(__aarch64__) && !defined(__ARM_BIG_ENDIAN)
  // NEON is part of AArch64: the kernel is always there (and the best one).
  CHECK(detail::kernel_available(detail::kernel::neon));
  CHECK(detail::best_kernel() == detail::kernel::neon);
#else
  CHECK_FALSE(detail::kernel_available(detail::kernel::neon));
  CHECK_FALSE(detail::set_kernel(detail::kernel::neon));
#endif
  detail::reset_kernel();
  const char* force = std::getenv("IPMIKIT_FORCE_SCALAR");
  if (force != nullptr && std::string_view(force) != "" && std::string_view(force) != "0") {
    CHECK(detail::active_kernel() == detail::kernel::scalar);
  } else {
    CHECK(detail::active_kernel() == detail::best_kernel());
  }
#if defined(__x86_64__)
  CHECK(detail::kernel_available(detail::kernel::sse2));
#endif
}

}  // TEST_SUITE
