// fuzz/campaign_main.cpp — a main() for long fuzz campaigns without libFuzzer: generates
// pseudo-random inputs and runs LLVMFuzzerTestOneInput on each. For targets that check every
// scanning kernel against the oracle (fuzz_decoder, fuzz_roundtrip, fuzz_checksum), so that a
// kernel libFuzzer cannot run (NEON, cross-compiled and run under qemu-user, see
// scripts/test-aarch64.sh) gets campaigns of millions of executions too. No coverage feedback:
// the inputs are biased instead, toward what the codec's kernels care about.
//
//   <target>_campaign [-runs=N] [-seed=S] [-dict=FILE] [-max_len=N] [-artifact=FILE] DIR|FILE...
//
// Each input is, by a draw of the generator (xorshift64*, seeded by -seed; input i of a seed is
// always the same):
//  * a corpus file (from the directories and files named) with 1–8 mutations: overwrite or insert
//    a special byte (A0, A1, AA), an escape's second byte (B0, B1, BA) or a dictionary token,
//    flip a bit, set a random byte, delete, duplicate or splice in a range of another file,
//    re-draw the first bytes (the targets' control blocks);
//  * or a new input: a few random control bytes, then data drawn from a mix of special bytes,
//    escapes, dictionary tokens, random bytes and long plain runs with rare special bytes (the
//    vector loops' 8/16/32/64-byte steps, every alignment).
// The targets abort on the first mismatch; the input being run is then written to -artifact
// (default ./campaign-crash) by a SIGABRT handler, for fuzz/regressions/. Prints the kernels,
// the executions and the time at the end (and a line every 1,000,000 executions). With
// IPMIKIT_FUZZ_KERNEL=neon in the environment the targets run only that kernel against the
// oracle (fuzz_common.hpp), which halves the time of a one-path campaign.
#include <algorithm>
#include <chrono>
#include <csignal>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <iterator>
#include <memory>
#include <string>
#include <system_error>
#include <vector>

#include <fcntl.h>
#include <unistd.h>

#include <ipmikit/detail/simd/select.hpp>
#include <ipmikit/vm/protocol.hpp>

#include "input_files.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size);

namespace {

using bytes = std::vector<std::uint8_t>;

// The input being run and where to save it if the target aborts (read by the signal handler).
const std::uint8_t* volatile current_data = nullptr;
volatile std::size_t current_size = 0;
char artifact_path[4096] = "campaign-crash";

extern "C" void on_abort(int sig) {
  const int fd = ::open(artifact_path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (fd >= 0) {
    const std::uint8_t* p = current_data;
    std::size_t n = current_size;
    while (n > 0) {
      const ssize_t w = ::write(fd, p, n);
      if (w <= 0) break;
      p += w;
      n -= static_cast<std::size_t>(w);
    }
    ::close(fd);
    static const char msg[] = "campaign: failing input written to the artifact file\n";
    [[maybe_unused]] const ssize_t ignored = ::write(2, msg, sizeof msg - 1);
  }
  std::signal(sig, SIG_DFL);
  std::raise(sig);
}

struct rng {
  std::uint64_t s;
  std::uint64_t next() noexcept {  // xorshift64*
    s ^= s >> 12;
    s ^= s << 25;
    s ^= s >> 27;
    return s * 0x2545F4914F6CDD1Dull;
  }
  std::size_t below(std::size_t n) noexcept { return n == 0 ? 0 : static_cast<std::size_t>(next() % n); }
  bool chance(unsigned one_in) noexcept { return below(one_in) == 0; }
  std::uint8_t byte() noexcept { return static_cast<std::uint8_t>(next() >> 56); }
};

bytes read_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  const std::vector<char> raw((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  bytes out(raw.size());
  std::transform(raw.begin(), raw.end(), out.begin(), [](char c) { return static_cast<std::uint8_t>(c); });
  return out;
}

int hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// libFuzzer dictionary: lines name="..." with \xHH, \\ and \" escapes; # comments.
std::vector<bytes> read_dict(const std::string& path) {
  std::vector<bytes> out;
  std::ifstream in(path);
  std::string line;
  while (std::getline(in, line)) {
    const auto q0 = line.find('"');
    const auto q1 = line.rfind('"');
    if (line.empty() || line[0] == '#' || q0 == std::string::npos || q1 <= q0) continue;
    bytes token;
    for (std::size_t i = q0 + 1; i < q1; ++i) {
      if (line[i] == '\\' && i + 3 < q1 + 1 && line[i + 1] == 'x' && hex_digit(line[i + 2]) >= 0 &&
          hex_digit(line[i + 3]) >= 0) {
        token.push_back(static_cast<std::uint8_t>(hex_digit(line[i + 2]) * 16 + hex_digit(line[i + 3])));
        i += 3;
      } else if (line[i] == '\\' && i + 1 < q1) {
        token.push_back(static_cast<std::uint8_t>(line[++i]));
      } else {
        token.push_back(static_cast<std::uint8_t>(line[i]));
      }
    }
    if (!token.empty()) out.push_back(std::move(token));
  }
  return out;
}

class generator {
 public:
  generator(std::uint64_t seed, std::vector<bytes> corpus, std::vector<bytes> dict, std::size_t max_len)
      : r_{seed * 0x9E3779B97F4A7C15ull + 1}, corpus_(std::move(corpus)), dict_(std::move(dict)),
        max_len_(max_len) {}

  void make(bytes& out) {
    out.clear();
    if (!corpus_.empty() && r_.below(10) < 6) {
      out = corpus_[r_.below(corpus_.size())];
      const std::size_t mutations = 1 + r_.below(8);
      for (std::size_t i = 0; i < mutations; ++i) mutate(out);
    } else {
      fresh(out);
    }
    if (out.size() > max_len_) out.resize(max_len_);
  }

 private:
  // A byte the codec treats specially, or one next to it.
  std::uint8_t interesting() {
    static constexpr std::uint8_t pick[] = {0xA0, 0xA1, 0xAA, 0xA0, 0xA1, 0xAA, 0xB0, 0xB1,
                                            0xBA, 0xAB, 0x9F, 0xA2, 0x00, 0xFF, 0x5C, 0x20};
    return pick[r_.below(std::size(pick))];
  }
  std::uint8_t data_byte() {
    const std::size_t k = r_.below(10);
    if (k < 3) return interesting();
    return r_.byte();
  }
  void append_token(bytes& out) {
    if (dict_.empty()) return out.push_back(interesting());
    const bytes& t = dict_[r_.below(dict_.size())];
    out.insert(out.end(), t.begin(), t.end());
  }

  void fresh(bytes& out) {
    const std::size_t control = r_.below(8);
    for (std::size_t i = 0; i < control; ++i) out.push_back(r_.chance(4) ? interesting() : r_.byte());
    // Mostly short inputs (frames), sometimes long ones (the vector loops' long runs).
    const std::size_t len = r_.chance(8) ? r_.below(max_len_) : r_.below(96);
    const unsigned style = static_cast<unsigned>(r_.below(4));
    while (out.size() < control + len) {
      switch (style) {
        case 0: out.push_back(data_byte()); break;  // mixed
        case 1:                                     // tokens and bytes
          if (r_.chance(3)) append_token(out);
          else out.push_back(data_byte());
          break;
        case 2: {  // plain runs with a rare special byte: long scans at every alignment
          const std::size_t run = r_.below(80);
          for (std::size_t i = 0; i < run; ++i) {
            std::uint8_t b = r_.byte();
            if (ipmikit::vm::is_special(b)) b = 0x5C;
            out.push_back(b);
          }
          out.push_back(interesting());
          break;
        }
        default:  // dense specials
          out.push_back(r_.chance(2) ? interesting() : r_.byte());
          break;
      }
    }
  }

  void mutate(bytes& out) {
    const std::size_t pos = r_.below(out.size() + 1);
    switch (r_.below(9)) {
      case 0:  // overwrite with a special / escape byte
        if (pos < out.size()) out[pos] = interesting();
        else out.push_back(interesting());
        break;
      case 1:  // insert a special byte or a dictionary token
        if (r_.chance(2)) {
          out.insert(out.begin() + static_cast<std::ptrdiff_t>(pos), interesting());
        } else {
          bytes t;
          append_token(t);
          out.insert(out.begin() + static_cast<std::ptrdiff_t>(pos), t.begin(), t.end());
        }
        break;
      case 2:  // flip a bit
        if (pos < out.size()) out[pos] = static_cast<std::uint8_t>(out[pos] ^ (1u << r_.below(8)));
        break;
      case 3:  // a random byte
        if (pos < out.size()) out[pos] = r_.byte();
        break;
      case 4: {  // delete a range
        const std::size_t n = std::min(out.size() - std::min(pos, out.size()), 1 + r_.below(32));
        out.erase(out.begin() + static_cast<std::ptrdiff_t>(pos),
                  out.begin() + static_cast<std::ptrdiff_t>(pos + n));
        break;
      }
      case 5: {  // duplicate a range
        if (out.empty()) break;
        const std::size_t from = r_.below(out.size());
        const std::size_t n = std::min(out.size() - from, 1 + r_.below(64));
        const bytes piece(out.begin() + static_cast<std::ptrdiff_t>(from),
                          out.begin() + static_cast<std::ptrdiff_t>(from + n));
        out.insert(out.begin() + static_cast<std::ptrdiff_t>(pos), piece.begin(), piece.end());
        break;
      }
      case 6: {  // splice in a range of another corpus file
        if (corpus_.empty()) break;
        const bytes& other = corpus_[r_.below(corpus_.size())];
        if (other.empty()) break;
        const std::size_t from = r_.below(other.size());
        const std::size_t n = std::min(other.size() - from, 1 + r_.below(128));
        out.insert(out.begin() + static_cast<std::ptrdiff_t>(pos),
                   other.begin() + static_cast<std::ptrdiff_t>(from),
                   other.begin() + static_cast<std::ptrdiff_t>(from + n));
        break;
      }
      case 7:  // re-draw a control byte (the first few bytes)
        if (!out.empty()) out[r_.below(std::min<std::size_t>(out.size(), 8))] = r_.byte();
        break;
      default: {  // a plain run (shifts everything after it: new alignments)
        const std::size_t n = 1 + r_.below(70);
        bytes run(n);
        for (auto& b : run) {
          b = r_.byte();
          if (ipmikit::vm::is_special(b)) b = 0x5C;
        }
        out.insert(out.begin() + static_cast<std::ptrdiff_t>(pos), run.begin(), run.end());
        break;
      }
    }
  }

  rng r_;
  std::vector<bytes> corpus_;
  std::vector<bytes> dict_;
  std::size_t max_len_;
};

}  // namespace

int main(int argc, char** argv) {
  unsigned long long runs = 1000000;
  std::uint64_t seed = 1;
  std::size_t max_len = 1024;
  std::string dict_path;
  std::vector<bytes> corpus;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    auto value = [&](const char* key) -> const char* {
      const std::size_t k = std::strlen(key);
      return arg.compare(0, k, key) == 0 ? arg.c_str() + k : nullptr;
    };
    if (const char* v = value("-runs=")) runs = std::strtoull(v, nullptr, 10);
    else if (const char* v2 = value("-seed=")) seed = std::strtoull(v2, nullptr, 10);
    else if (const char* v3 = value("-max_len=")) max_len = std::strtoull(v3, nullptr, 10);
    else if (const char* v4 = value("-dict=")) dict_path = v4;
    else if (const char* v5 = value("-artifact=")) {
      std::snprintf(artifact_path, sizeof artifact_path, "%s", v5);
    } else if (!arg.empty() && arg[0] == '-') {
      std::cerr << "unknown option " << arg << '\n';
      return 2;
    } else {
      const auto found = fuzz::input_files(arg);
      if (!found) {
        std::cerr << "no such file or directory: " << arg << '\n';
        return 2;
      }
      for (const auto& f : *found) corpus.push_back(read_file(f));
    }
  }
  if (max_len == 0) max_len = 1;

  ipmikit::detail::kernel kernels[std::size(ipmikit::detail::all_kernels)];
  const std::size_t nk = ipmikit::detail::available_kernels(kernels);
  std::cout << "kernels:";
  for (std::size_t i = 0; i < nk; ++i) std::cout << ' ' << ipmikit::detail::name(kernels[i]);
  if (const char* only = std::getenv("IPMIKIT_FUZZ_KERNEL"); only != nullptr && only[0] != '\0')
    std::cout << " (the target runs only " << only << ": IPMIKIT_FUZZ_KERNEL)";
  std::cout << "\ncorpus: " << corpus.size() << " files, seed " << seed << ", " << runs << " runs\n"
            << std::flush;

  std::signal(SIGABRT, on_abort);
  generator gen(seed, corpus, dict_path.empty() ? std::vector<bytes>{} : read_dict(dict_path), max_len);

  // Replay the corpus unchanged first.
  for (const bytes& c : corpus) {
    current_data = c.data();
    current_size = c.size();
    LLVMFuzzerTestOneInput(c.data(), c.size());
  }

  const auto t0 = std::chrono::steady_clock::now();
  bytes input;
  unsigned long long total_bytes = 0;
  for (unsigned long long i = 0; i < runs; ++i) {
    gen.make(input);
    // A heap buffer of exactly the input's size, as libFuzzer passes (overreads would show).
    const std::unique_ptr<std::uint8_t[]> exact(new std::uint8_t[input.size() ? input.size() : 1]);
    std::copy(input.begin(), input.end(), exact.get());
    current_data = exact.get();
    current_size = input.size();
    LLVMFuzzerTestOneInput(exact.get(), input.size());
    total_bytes += input.size();
    if ((i + 1) % 1000000 == 0) {
      const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
      std::cout << "  " << (i + 1) << " executions, " << s << " s\n" << std::flush;
    }
  }
  current_data = nullptr;
  current_size = 0;
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  std::cout << "done: " << runs << " executions (each on every kernel the target runs) + " << corpus.size()
            << " corpus files in " << secs << " s (" << (secs > 0 ? static_cast<double>(runs) / secs : 0.0)
            << "/s), " << total_bytes << " input bytes\n";
  return 0;
}
