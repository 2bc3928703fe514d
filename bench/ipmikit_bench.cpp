// bench/ipmikit_bench.cpp — ipmikit's VM codec against the scalar reference codec
// (tests/reference_codec.hpp) and against memcpy, on the same bytes in the same run.
//
// Every workload is registered three times, as "<workload>/ipmikit", "<workload>/reference" and
// "<workload>/memcpy"; all three report bytes/s over the same byte count (the encoded wire
// stream for codec workloads, the input for the checksum), so the ratios between them are
// meaningful even on a noisy machine. bench/perf_table.py turns a JSON run into
// docs/performance.md.
//
// Workloads (deterministic data, generated once):
//   decode_small        ~256 KiB of message frames with 3–40 byte bodies, uniformly random bytes
//                       (about 1.2% of them 0xA0/0xA1/0xAA, so few escapes), one feed() call
//   decode_large        the same with 200–272 byte bodies
//   decode_escape_heavy bodies of 8–64 bytes, ~7/8 of them 0xA0/0xA1/0xAA (every one escaped)
//   decode_*_1500       the same streams fed in 1500-byte chunks, like TCP reads
//   encode_*            encoding the frames of the decode_* workloads into one output buffer
//   encode_*_exact      the same, each frame's buffer sized exactly first (message_frame_size)
//   checksum_N          the checksum of N random bytes
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>
#include <string>
#include <vector>

#include <benchmark/benchmark.h>

#include <ipmikit/checksum.hpp>
#include <ipmikit/vm/decoder.hpp>
#include <ipmikit/vm/encoder.hpp>

#include "reference_codec.hpp"

namespace {

using namespace ipmikit;

// ---------------------------------------------------------------------------------------------
// Data

/// splitmix64: a fixed, portable generator (std:: distributions differ between libraries).
class rng {
 public:
  explicit rng(std::uint64_t seed) : s_(seed) {}
  std::uint64_t next() {
    std::uint64_t z = (s_ += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
  }
  std::uint8_t byte() { return static_cast<std::uint8_t>(next() >> 56); }
  std::size_t in(std::size_t lo, std::size_t hi) {  // [lo, hi]
    return lo + static_cast<std::size_t>(next() % (hi - lo + 1));
  }

 private:
  std::uint64_t s_;
};

enum class mix { realistic, escape_heavy, plain };

struct frame_spec {
  std::uint8_t msg_id = 0;
  std::vector<std::uint8_t> body;
};

struct workload {
  std::vector<frame_spec> frames;
  std::vector<std::uint8_t> wire;  // the frames encoded back to back (reference encoder)
  std::uint64_t body_bytes = 0;    // sum of body sizes: what the decode handler must count
  std::size_t worst_case = 0;      // sum of the frames' worst-case sizes
};

// Past what a branch predictor learns of a repeated stream (Zen 5 learned a 64 KiB escape-heavy
// one: the reference encoder ran it 7x faster than fresh data), within L2 for memcpy.
constexpr std::size_t stream_size = 256 * 1024;

workload make_workload(std::size_t min_body, std::size_t max_body, mix m, std::uint64_t seed) {
  static constexpr std::uint8_t netfn_luns[] = {0x18, 0x1C, 0x28, 0x2C, 0x10, 0x14, 0x00, 0x04};
  static constexpr std::uint8_t specials[] = {0xA0, 0xA1, 0xAA};
  rng r(seed);
  workload w;
  std::uint8_t id = 0;
  while (w.wire.size() < stream_size) {
    frame_spec f;
    f.msg_id = id++;
    if (m == mix::plain && vm::is_special(f.msg_id)) f.msg_id = id++;
    f.body.resize(r.in(min_body, max_body));
    for (std::size_t i = 0; i < f.body.size(); ++i) {
      if (m == mix::escape_heavy && (r.next() & 7u) != 0) {
        f.body[i] = specials[r.next() % 3];
      } else {
        f.body[i] = r.byte();
        while (m == mix::plain && vm::is_special(f.body[i])) f.body[i] = r.byte();
      }
    }
    if (m != mix::escape_heavy) {  // a real header: netfn/LUN and command
      f.body[0] = netfn_luns[r.next() % 8];
      f.body[1] = static_cast<std::uint8_t>(r.next() % 0x60);
    }
    if (m == mix::plain) {  // no escape anywhere: make the checksum a plain byte too
      const auto cs = [&] {
        unsigned sum = f.msg_id;
        for (std::uint8_t x : f.body) sum += x;
        return static_cast<std::uint8_t>(0u - sum);
      };
      while (vm::is_special(cs()) || vm::is_special(f.body.back())) {
        f.body.back() = static_cast<std::uint8_t>(f.body.back() + 1);
        if (vm::is_special(f.body.back())) f.body.back() = 0x00;
      }
    }
    const auto frame = test::reference_message_frame(f.msg_id, f.body);
    w.wire.insert(w.wire.end(), frame.begin(), frame.end());
    w.body_bytes += f.body.size();
    w.worst_case += vm::max_message_frame_size(f.body.size());
    w.frames.push_back(std::move(f));
  }
  return w;
}

/// The workload of these parameters, built on first use (outside any timed loop) and kept.
template <std::size_t MinBody, std::size_t MaxBody, mix Mix, std::uint64_t Seed>
const workload& built_once() {
  static const workload w = make_workload(MinBody, MaxBody, Mix, Seed);
  return w;
}
const workload& small_frames() { return built_once<3, 40, mix::realistic, 1>(); }
const workload& large_frames() { return built_once<200, 272, mix::realistic, 2>(); }
const workload& large_plain_frames() { return built_once<200, 272, mix::plain, 5>(); }
const workload& escape_heavy_frames() { return built_once<8, 64, mix::escape_heavy, 3>(); }

// ---------------------------------------------------------------------------------------------
// Decoding

/// Minimal work per event that the compiler cannot drop: count body bytes and other events.
struct counting_handler {
  std::uint64_t body_bytes = 0;
  std::uint64_t other = 0;
  void operator()(const vm::message_event& m) { body_bytes += m.body.size(); }
  void operator()(const vm::command_event&) { ++other; }
  void operator()(const vm::error_event&) { ++other; }
};

template <class Decoder>
counting_handler decode_once(const workload& w, std::size_t chunk) {
  Decoder dec;
  counting_handler h;
  const std::span<const std::uint8_t> all(w.wire);
  for (std::size_t pos = 0; pos < all.size(); pos += chunk)
    dec.feed(all.subspan(pos, std::min(chunk, all.size() - pos)), h);
  return h;
}

template <class Decoder>
void bench_decode(benchmark::State& state, const workload& w, std::size_t chunk) {
  const counting_handler check = decode_once<Decoder>(w, chunk);
  if (check.body_bytes != w.body_bytes || check.other != 0) {
    state.SkipWithError("decoder output does not match the workload");
    return;
  }
  for (auto _ : state) {
    counting_handler h = decode_once<Decoder>(w, chunk);
    benchmark::DoNotOptimize(h.body_bytes);
    benchmark::DoNotOptimize(h.other);
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations()) *
                          static_cast<std::int64_t>(w.wire.size()));
}

void bench_memcpy(benchmark::State& state, std::span<const std::uint8_t> src, std::size_t chunk) {
  // The destination starts half a page away from the source (mod 4096): a destination that
  // happens to sit a few bytes after the source in page offset makes memcpy several times
  // slower on some CPUs (4K aliasing), which would turn the baseline into noise.
  std::vector<std::uint8_t> mem(src.size() + 4096);
  const auto rel = [&](const std::uint8_t* p) { return reinterpret_cast<std::uintptr_t>(p) % 4096u; };
  const std::size_t shift = (2048u + rel(src.data()) + 4096u - rel(mem.data())) % 4096u;
  std::uint8_t* const dst = mem.data() + shift;
  for (auto _ : state) {
    for (std::size_t pos = 0; pos < src.size(); pos += chunk)
      std::memcpy(dst + pos, src.data() + pos, std::min(chunk, src.size() - pos));
    benchmark::DoNotOptimize(dst);
    benchmark::ClobberMemory();
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations()) *
                          static_cast<std::int64_t>(src.size()));
}

// ---------------------------------------------------------------------------------------------
// Encoding

struct ipmikit_encoder {
  static std::size_t encode(std::uint8_t* out, std::size_t room, const frame_spec& f) {
    return vm::encode_message(std::span<std::uint8_t>(out, room), f.msg_id, f.body).size;
  }
};
/// A caller that sizes its buffer exactly: message_frame_size, then encode_message into a span
/// of that size (the encoder's path for buffers under the worst case).
struct ipmikit_exact_encoder {
  static std::size_t encode(std::uint8_t* out, std::size_t room, const frame_spec& f) {
    const std::size_t exact = vm::message_frame_size(f.msg_id, f.body);
    return exact > room ? 0 : vm::encode_message(std::span<std::uint8_t>(out, exact), f.msg_id, f.body).size;
  }
};
struct reference_encoder {
  static std::size_t encode(std::uint8_t* out, std::size_t room, const frame_spec& f) {
    return test::reference_encode_message(out, room, f.msg_id, f.body);
  }
};

template <class Encoder>
std::size_t encode_all(const workload& w, std::vector<std::uint8_t>& out) {
  std::size_t pos = 0;
  for (const frame_spec& f : w.frames) pos += Encoder::encode(out.data() + pos, out.size() - pos, f);
  return pos;
}

template <class Encoder>
void bench_encode(benchmark::State& state, const workload& w) {
  // Room for every frame's worst case: the encoder is never short of space, as in a TX buffer
  // that is drained between bursts.
  std::vector<std::uint8_t> out(w.worst_case);
  const std::size_t n = encode_all<Encoder>(w, out);
  if (n != w.wire.size() || !std::equal(w.wire.begin(), w.wire.end(), out.begin())) {
    state.SkipWithError("encoder output does not match the reference frames");
    return;
  }
  for (auto _ : state) {
    std::size_t size = encode_all<Encoder>(w, out);
    benchmark::DoNotOptimize(size);
    benchmark::DoNotOptimize(out.data());
    benchmark::ClobberMemory();
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations()) *
                          static_cast<std::int64_t>(w.wire.size()));
}

// ---------------------------------------------------------------------------------------------
// Checksum

/// 4096 random bytes; checksum_N uses the first N.
const std::vector<std::uint8_t>& checksum_input() {
  static const std::vector<std::uint8_t> data = [] {
    rng r(4);
    std::vector<std::uint8_t> d(4096);
    for (auto& b : d) b = r.byte();
    return d;
  }();
  return data;
}

template <class F>
void bench_checksum(benchmark::State& state, std::size_t n, F&& sum) {
  const std::span<const std::uint8_t> data(checksum_input().data(), n);
  if (compute_checksum(data) != test::reference_checksum(data)) {
    state.SkipWithError("checksums differ");
    return;
  }
  for (auto _ : state) {
    const std::uint8_t* p = data.data();
    benchmark::DoNotOptimize(p);  // the compiler must not assume the bytes are unchanged
    std::uint8_t c = sum(std::span<const std::uint8_t>(p, n));
    benchmark::DoNotOptimize(c);
    benchmark::ClobberMemory();
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations()) * static_cast<std::int64_t>(n));
}

// ---------------------------------------------------------------------------------------------
// Registration

using workload_fn = const workload& (*)();

void register_all() {
  benchmark::AddCustomContext("ipmikit_compiler",
#if defined(__clang__)
                              std::string("clang ") + __clang_version__
#elif defined(__GNUC__)
                              std::string("g++ ") + __VERSION__
#else
                              "unknown"
#endif
  );
  benchmark::AddCustomContext("ipmikit_kernel", std::string(detail::name(detail::active_kernel())));
#if defined(NDEBUG)
  benchmark::AddCustomContext("ipmikit_ndebug", "yes");
#endif
#if defined(__OPTIMIZE__)
  benchmark::AddCustomContext("ipmikit_optimized", "yes");
#endif
#if defined(IPMIKIT_BENCH_FLAGS)
  benchmark::AddCustomContext("ipmikit_flags", IPMIKIT_BENCH_FLAGS);
#endif

  struct decode_case {
    const char* name;
    workload_fn w;
    std::size_t chunk;
  };
  const decode_case decodes[] = {
      {"decode_small", small_frames, stream_size * 2},
      {"decode_small_1500", small_frames, 1500},
      {"decode_large", large_frames, stream_size * 2},
      {"decode_large_1500", large_frames, 1500},
      {"decode_large_plain", large_plain_frames, stream_size * 2},
      {"decode_large_plain_1500", large_plain_frames, 1500},
      {"decode_escape_heavy", escape_heavy_frames, stream_size * 2},
      {"decode_escape_heavy_1500", escape_heavy_frames, 1500},
  };
  for (const decode_case& c : decodes) {
    const std::string base = c.name;
    const workload_fn w = c.w;
    const std::size_t chunk = c.chunk;
    benchmark::RegisterBenchmark((base + "/ipmikit").c_str(), [w, chunk](benchmark::State& s) {
      bench_decode<vm::decoder>(s, w(), chunk);
    });
    benchmark::RegisterBenchmark((base + "/reference").c_str(), [w, chunk](benchmark::State& s) {
      bench_decode<test::reference_decoder<>>(s, w(), chunk);
    });
    benchmark::RegisterBenchmark((base + "/memcpy").c_str(), [w, chunk](benchmark::State& s) {
      bench_memcpy(s, w().wire, chunk);
    });
  }

  struct encode_case {
    const char* name;
    workload_fn w;
    bool exact;  // ipmikit sizes each frame's buffer exactly (message_frame_size first)
  };
  const encode_case encodes[] = {
      {"encode_small", small_frames, false},
      {"encode_large", large_frames, false},
      {"encode_large_plain", large_plain_frames, false},
      {"encode_escape_heavy", escape_heavy_frames, false},
      {"encode_small_exact", small_frames, true},
      {"encode_large_exact", large_frames, true},
  };
  for (const encode_case& c : encodes) {
    const std::string base = c.name;
    const workload_fn w = c.w;
    const auto run = c.exact ? &bench_encode<ipmikit_exact_encoder> : &bench_encode<ipmikit_encoder>;
    benchmark::RegisterBenchmark((base + "/ipmikit").c_str(), [w, run](benchmark::State& s) { run(s, w()); });
    benchmark::RegisterBenchmark((base + "/reference").c_str(),
                                 [w](benchmark::State& s) { bench_encode<reference_encoder>(s, w()); });
    benchmark::RegisterBenchmark((base + "/memcpy").c_str(), [w](benchmark::State& s) {
      bench_memcpy(s, w().wire, w().wire.size());
    });
  }

  for (const std::size_t n : {std::size_t{16}, std::size_t{256}, std::size_t{4096}}) {
    const std::string base = "checksum_" + std::to_string(n);
    benchmark::RegisterBenchmark((base + "/ipmikit").c_str(), [n](benchmark::State& s) {
      bench_checksum(s, n, [](std::span<const std::uint8_t> d) { return compute_checksum(d); });
    });
    benchmark::RegisterBenchmark((base + "/reference").c_str(), [n](benchmark::State& s) {
      bench_checksum(s, n, [](std::span<const std::uint8_t> d) { return test::reference_checksum(d); });
    });
    benchmark::RegisterBenchmark((base + "/memcpy").c_str(), [n](benchmark::State& s) {
      bench_memcpy(s, std::span<const std::uint8_t>(checksum_input().data(), n), n);
    });
  }
}

[[maybe_unused]] const bool registered = (register_all(), true);

}  // namespace
