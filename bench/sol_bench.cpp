// bench/sol_bench.cpp — Serial over LAN throughput in memory, characters per second
// (bytes_per_second = characters moved serial → console):
//   sol/instance      lan::sol_instance: write what fits, poll (a 255-character packet), the
//                     console's ACK straight back through receive(), poll again, …
//   sol/reference     the same bytes through a plain ring buffer copy loop: copy in, copy 255
//                     out behind a 4-byte header, advance on the "ACK" (the floor for the copying)
//   sol/memcpy        memcpy of the same bytes in 255-byte pieces, for scale
//   sol_lan/suite17, sol_lan/suite3 (with OpenSSL): the instance behind lan::server, each
//                     packet encode_sol'd (AES-CBC-128 + HMAC), opened by a lan::client, its ACK
//                     sent back by the client and handed to the instance by the server.
#include <benchmark/benchmark.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

#include <ipmikit/lan/sol.hpp>

#ifdef IPMIKIT_BENCH_OPENSSL
#include <ipmikit/lan/client.hpp>
#include <ipmikit/lan/openssl.hpp>
#include <ipmikit/lan/server.hpp>
#endif

namespace {

using namespace ipmikit;

constexpr std::size_t block = 64 * 1024;  // characters moved per iteration
constexpr std::size_t ring = 4096;

std::vector<std::uint8_t> serial_text() {
  std::vector<std::uint8_t> v(block);
  for (std::size_t i = 0; i < v.size(); ++i) v[i] = static_cast<std::uint8_t>(' ' + i % 95);
  return v;
}

/// The serial port's side of console → serial traffic: none here (only ACKs arrive).
struct null_sink {
  std::size_t characters(std::span<const std::uint8_t> c) { return c.size(); }
};

using instance = lan::sol_instance<ring>;

instance::settings send_at_once() {
  instance::settings s;
  s.send_threshold = 1;  // every poll sends what waits: no accumulate wait in a throughput run
  return s;
}

/// Serial → console through one sol_instance; `deliver(packet)` returns the console's ACK.
template <class Deliver>
std::size_t pump(instance& sol, std::span<const std::uint8_t> text, std::chrono::steady_clock::time_point now,
                 Deliver&& deliver) {
  std::array<std::uint8_t, lan::sol_max_payload> packet{};
  std::size_t written = 0;
  std::size_t moved = 0;
  while (moved < text.size()) {
    if (written < text.size()) written += sol.write(text.subspan(written), now);
    const std::size_t n = sol.poll(now, packet);
    if (n == 0) break;  // nothing due: would be a bug in a run with threshold 1
    moved += n - lan::sol_header_size;
    deliver(std::span<const std::uint8_t>(packet).first(n));
  }
  return moved;
}

void sol_instance_throughput(benchmark::State& state) {
  const auto text = serial_text();
  instance sol(send_at_once());
  const std::chrono::steady_clock::time_point now{};
  sol.activate(now);
  null_sink sink;
  std::array<std::uint8_t, lan::sol_max_payload> ack{};
  std::array<std::uint8_t, lan::sol_max_payload> unused{};
  std::size_t total = 0;
  for (auto _ : state) {
    total += pump(sol, text, now, [&](std::span<const std::uint8_t> p) {
      benchmark::DoNotOptimize(p.data());
      // The console: ACK this packet, every character taken.
      ack[0] = 0;
      ack[1] = p[0];
      ack[2] = static_cast<std::uint8_t>(p.size() - lan::sol_header_size);
      ack[3] = 0;
      (void)sol.receive(std::span<const std::uint8_t>(ack).first(lan::sol_header_size), now, sink, unused);
    });
  }
  if (total != block * static_cast<std::size_t>(state.iterations())) state.SkipWithError("characters lost");
  state.SetBytesProcessed(static_cast<std::int64_t>(total));
  state.SetItemsProcessed(static_cast<std::int64_t>(total));
}
BENCHMARK(sol_instance_throughput)->Name("sol/instance");

/// The plain relay: a ring buffer, characters copied in, 255 copied out behind a header, the
/// "ACK" frees them.
void sol_reference_throughput(benchmark::State& state) {
  const auto text = serial_text();
  std::array<std::uint8_t, ring> buf{};
  std::array<std::uint8_t, lan::sol_max_payload> packet{};
  std::size_t head = 0, size = 0;
  std::uint8_t seq = 0;
  std::size_t total = 0;
  for (auto _ : state) {
    std::size_t written = 0, moved = 0;
    while (moved < text.size()) {
      while (written < text.size() && size < ring) {  // copy in what fits
        const std::size_t tail = (head + size) % ring;
        const std::size_t n = std::min({text.size() - written, ring - size, ring - tail});
        std::memcpy(buf.data() + tail, text.data() + written, n);
        written += n;
        size += n;
      }
      const std::size_t n = std::min<std::size_t>(size, lan::sol_max_characters);
      seq = static_cast<std::uint8_t>(seq % 15 + 1);
      packet[0] = seq;
      packet[1] = packet[2] = packet[3] = 0;
      const std::size_t first = std::min(n, ring - head);
      std::memcpy(packet.data() + 4, buf.data() + head, first);
      std::memcpy(packet.data() + 4 + first, buf.data(), n - first);
      benchmark::DoNotOptimize(packet.data());
      head = (head + n) % ring;  // the ACK
      size -= n;
      moved += n;
    }
    total += moved;
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(total));
  state.SetItemsProcessed(static_cast<std::int64_t>(total));
}
BENCHMARK(sol_reference_throughput)->Name("sol/reference");

void sol_memcpy_throughput(benchmark::State& state) {
  const auto text = serial_text();
  std::vector<std::uint8_t> dst(block + 2048);
  for (auto _ : state) {
    for (std::size_t at = 0; at < block; at += lan::sol_max_characters) {
      const std::size_t n = std::min(lan::sol_max_characters, block - at);
      std::memcpy(dst.data() + 2048 + at, text.data() + at, n);
    }
    benchmark::DoNotOptimize(dst.data());
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(block) * state.iterations());
  state.SetItemsProcessed(static_cast<std::int64_t>(block) * state.iterations());
}
BENCHMARK(sol_memcpy_throughput)->Name("sol/memcpy");

#ifdef IPMIKIT_BENCH_OPENSSL

/// A server's handler: one user ("admin"), no other commands, the SOL instance.
struct sol_server_handler {
  instance sol{send_at_once()};
  null_sink sink;
  std::optional<lan::login> lookup(std::span<const std::uint8_t> name, std::uint32_t) {
    if (std::string_view(reinterpret_cast<const char*>(name.data()), name.size()) != "admin") return std::nullopt;
    lan::login l{7, 2, cmd::privilege::administrator, {}};
    const std::string_view pw = "s3cret-pass";
    std::copy(pw.begin(), pw.end(), l.key.begin());
    return l;
  }
  std::array<std::uint8_t, 16> guid(std::uint32_t) { return {}; }
  bmc::dispatch_result dispatch(std::uint32_t, bmc::origin, std::span<const std::uint8_t>, std::span<std::uint8_t>) {
    return {};
  }
  bmc::dispatch_result dispatch_sessionless(std::uint32_t, bmc::origin, std::span<const std::uint8_t>,
                                            std::span<std::uint8_t>) {
    return {};
  }
  lan::sol_grant sol_activation(std::uint32_t, bmc::origin) { return {}; }
  std::size_t sol_payload(std::uint32_t, std::span<const std::uint8_t> payload, std::chrono::steady_clock::time_point now,
                          std::span<std::uint8_t> out) {
    return sol.receive(payload, now, sink, out);
  }
  void on_event(const lan::server_event& e) {
    if (e.kind == lan::event_kind::sol_activated) sol.activate({});
    if (e.kind == lan::event_kind::sol_deactivated) sol.deactivate();
  }
};

void sol_lan_throughput(benchmark::State& state) {
  const auto suite = static_cast<std::uint8_t>(state.range(0));
  using server_t = lan::server<lan::openssl_crypto, 4>;
  sol_server_handler h;
  server_t srv{lan::openssl_crypto{}, server_t::config{}};
  lan::client<lan::openssl_crypto> c(lan::openssl_crypto{}, {.user = "admin", .password = "s3cret-pass", .suite = suite});
  const lan::endpoint console{{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xFF, 0xFF, 127, 0, 0, 1}, 40000};
  const std::chrono::steady_clock::time_point now{};
  std::array<std::uint8_t, lan::max_packet_size> buf{}, wire{};
  // Log in, activate SOL.
  std::size_t n = c.open(buf);
  for (int step = 0; step < 4 && n != 0 && !c.active(); ++step) {
    const std::size_t m = srv.receive(std::span<const std::uint8_t>(buf).first(n), console, 0, now, h, wire);
    n = m == 0 ? 0 : c.receive(std::span<const std::uint8_t>(wire).first(m), buf).size;
  }
  const std::array<std::uint8_t, 8> activate{0x18, 0x48, 0x01, 0x01, 0xC6, 0, 0, 0};
  n = c.active() ? c.request(activate, buf) : 0;
  const std::size_t m = n == 0 ? 0 : srv.receive(std::span<const std::uint8_t>(buf).first(n), console, 0, now, h, wire);
  if (m == 0 || c.receive(std::span<const std::uint8_t>(wire).first(m), buf).event != lan::client_event::response ||
      !h.sol.active()) {
    state.SkipWithError("login or activation failed");
    return;
  }
  const auto text = serial_text();
  const std::uint32_t holder = srv.sol_session(7);
  std::size_t total = 0;
  bool ok = true;
  for (auto _ : state) {
    total += pump(h.sol, text, now, [&](std::span<const std::uint8_t> p) {
      const lan::outbound o = srv.encode_sol(holder, p, wire);
      const lan::client_result r = c.receive(std::span<const std::uint8_t>(wire).first(o.size), buf);
      ok = ok && r.event == lan::client_event::sol;
      const auto got = c.sol_payload();
      const std::array<std::uint8_t, 4> ack{0, got[0], static_cast<std::uint8_t>(got.size() - lan::sol_header_size), 0};
      const std::size_t k = c.send_sol(ack, buf);
      (void)srv.receive(std::span<const std::uint8_t>(buf).first(k), console, 0, now, h, wire);
    });
  }
  if (!ok || total != block * static_cast<std::size_t>(state.iterations())) state.SkipWithError("characters lost");
  state.SetBytesProcessed(static_cast<std::int64_t>(total));
  state.SetItemsProcessed(static_cast<std::int64_t>(total));
}
BENCHMARK(sol_lan_throughput)->Name("sol_lan/suite17")->Arg(17);
BENCHMARK(sol_lan_throughput)->Name("sol_lan/suite3")->Arg(3);

#endif

}  // namespace
