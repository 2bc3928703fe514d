// fuzz/fuzz_kcs.hpp — helpers shared by the KCS fuzz targets (fuzz_kcs_device, fuzz_kcs_host,
// fuzz_kcs_pair): the access bound within which a kcs::basic_host must leave outcome::busy and
// the device's state bits per phase. The split input and the fake clock are fuzz_machine.hpp's.
#pragma once

#include <algorithm>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <span>

#include <ipmikit/kcs/device.hpp>
#include <ipmikit/kcs/host.hpp>
#include <ipmikit/kcs/registers.hpp>

#include "fuzz_machine.hpp"

namespace fuzz_kcs {

using namespace ipmikit;
using fuzz_machine::fake_clock;
using fuzz_machine::split_input;
using fuzz_machine::unit;

/// The most register accesses a kcs::basic_host with `cfg` may make, from any state of a
/// transaction on a request of `n` bytes, before it leaves outcome::busy, when every access
/// advances the clock by at least `step` (> 0) and no wait began after the current time.
///
/// Derivation (see host.hpp):
///  * One wait phase ends, at the latest, at the status read that finds it expired:
///    after k reads `now - wait_since >= k * step`, and `polls_ == k`, so it expires at
///    k = r = min(ceil(limit / step), max_polls or infinity), and at least at the first read.
///    A wait switches phase (IBF -> OBF in wait_response_obf and abort_wait_status_code_obf)
///    at most once and the switching read does not check expiry: P = 2 * (r + 1) status reads
///    per wait, r taken with the longest of the three timeouts.
///  * Every other access (clear OBF, a write, a data read) follows a wait: at most 2 of them
///    per wait, so a "wait + its accesses" costs at most P + 2.
///  * One request attempt: the start wait, n + 1 write waits (n bytes + WRITE_END), then up to
///    capacity + 1 response bytes (the one past capacity aborts) and the final IDLE wait:
///    (n + 2 + capacity + 2) * (P + 2).
///  * One abort sequence: 4 waits: 4 * (P + 2). A failing abort sequence starts the next one,
///    at most A = max(1, max_abort_attempts) in a row, then hosed.
///  * Request attempts: at most max_retries + 1; a reset() host first runs a resync abort
///    episode (one more): (max_retries + 2) * (attempt + A * abort).
[[nodiscard]] inline std::uint64_t access_bound(std::int64_t longest_timeout_ns, std::uint32_t max_polls,
                                                unsigned max_retries, unsigned max_abort_attempts,
                                                std::size_t n, std::size_t capacity, std::int64_t step_ns) {
  const std::uint64_t by_clock =
      static_cast<std::uint64_t>(std::max<std::int64_t>(0, longest_timeout_ns) + step_ns - 1) /
      static_cast<std::uint64_t>(step_ns);
  std::uint64_t r = by_clock;
  if (max_polls != 0) r = std::min<std::uint64_t>(r, max_polls);
  r = std::max<std::uint64_t>(r, 1);
  const std::uint64_t wait = 2 * (r + 1) + 2;
  const std::uint64_t attempt = (n + 2 + capacity + 2) * wait;
  const std::uint64_t abort = 4 * wait;
  const std::uint64_t a = std::max(1u, max_abort_attempts);
  return (max_retries + 2) * (attempt + a * abort) + 16;
}

template <class Config>
[[nodiscard]] std::uint64_t access_bound(const Config& cfg, std::size_t n, std::size_t capacity,
                                         fake_clock::duration step) {
  const auto longest = std::max({cfg.ibf_timeout, cfg.obf_timeout, cfg.response_timeout});
  return access_bound(longest.count(), cfg.max_polls, cfg.max_retries, cfg.max_abort_attempts, n,
                      capacity, step.count());
}

/// The state bits the device's status register must show in each phase (device.hpp's table).
[[nodiscard]] constexpr kcs::state state_of(kcs::device_phase p) noexcept {
  switch (p) {
    case kcs::device_phase::idle: return kcs::state::idle;
    case kcs::device_phase::write:
    case kcs::device_phase::write_last:
    case kcs::device_phase::abort_status: return kcs::state::write;
    case kcs::device_phase::wait_response:
    case kcs::device_phase::read:
    case kcs::device_phase::abort_read: return kcs::state::read;
    case kcs::device_phase::error: return kcs::state::error;
  }
  return kcs::state::error;
}

}  // namespace fuzz_kcs
