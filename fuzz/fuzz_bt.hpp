// fuzz/fuzz_bt.hpp — helpers shared by the BT fuzz targets (fuzz_bt_device, fuzz_bt_host,
// fuzz_bt_pair): the access bound within which a bt::basic_host must leave outcome::busy. The
// split input and the fake clock are fuzz_machine.hpp's.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>

#include <ipmikit/bt/device.hpp>
#include <ipmikit/bt/host.hpp>
#include <ipmikit/bt/registers.hpp>

#include "fuzz_machine.hpp"

namespace fuzz_bt {

using namespace ipmikit;
using fuzz_machine::fake_clock;
using fuzz_machine::split_input;
using fuzz_machine::unit;

/// The accesses of one response read after the BT_CTRL read that saw B2H_ATN: H_BUSY (set),
/// B2H_ATN (clear), CLR_RD_PTR, Length, at most 255 bytes, H_BUSY (clear).
inline constexpr std::uint64_t read_accesses = 4 + 255 + 1;

/// The most register accesses a bt::basic_host with `cfg` may make, from any state of a
/// transaction on a request of `n` bytes (netfn, cmd, data), before it leaves outcome::busy,
/// when every access advances the clock by at least `step` (> 0) and no wait began after the
/// current time.
///
/// Derivation (see host.hpp):
///  * A wait (the start wait for B_BUSY = H2B_ATN = 0 with busy_timeout, the response wait for
///    B2H_ATN with response_timeout) ends at the latest at the BT_CTRL read that finds it
///    expired: the deadline and max_polls are checked before anything else a read may lead to.
///    Between two BT_CTRL reads of one wait the host makes at most R = read_accesses accesses
///    (reading a response that is not its own) or 1 (clearing SMS_ATN or a stray H_BUSY), and
///    neither resets the wait's start or poll count.
///    - By the clock: every access advances it by >= step, so after c = ceil(limit / step)
///      accesses since the wait began the next BT_CTRL read expires; at most R accesses (the end
///      of a response read) come before that read: c + R + 1.
///    - By max_polls = P != 0: the P-th BT_CTRL read of the wait expires: P + (P - 1) * R.
///    W(limit) = the smaller of the two.
///  * One attempt from any state: the start wait W(busy_timeout), the request write (CLR_WR_PTR,
///    n + 2 bytes, H2B_ATN: n + 4), the response wait W(response_timeout) and the read of our
///    response (R). A busy timeout skips the start wait of the next attempt (a forced write), a
///    response timeout starts it: neither adds more than a whole attempt.
///  * Attempts: every timeout that does not end the transaction starts a new attempt. A
///    response timeout ends it once attempts > max_retries; a busy timeout once
///    max(1, max_retries) forced writes were made, and a forced write counts as an attempt. So
///    from any state at most max(1, max_retries) + 1 attempts remain (apply() may change
///    max_retries and response_timeout: take the config as it is now).
///  * cancel() only ends a transaction sooner.
[[nodiscard]] inline std::uint64_t access_bound(std::int64_t busy_timeout_ns, std::int64_t response_timeout_ns,
                                                std::uint32_t max_polls, unsigned max_retries, std::size_t n,
                                                std::int64_t step_ns) {
  const auto wait = [&](std::int64_t limit) {
    std::uint64_t w = fuzz_machine::steps_to(limit, step_ns) + read_accesses + 1;
    if (max_polls != 0) w = std::min<std::uint64_t>(w, max_polls + (max_polls - 1ull) * read_accesses);
    return w;
  };
  const std::uint64_t attempt = wait(busy_timeout_ns) + (n + 4) + wait(response_timeout_ns) + read_accesses;
  return (std::max(1u, max_retries) + 1ull) * attempt + 8;
}

template <class Config>
[[nodiscard]] std::uint64_t access_bound(const Config& cfg, std::size_t n, fake_clock::duration step) {
  return access_bound(cfg.busy_timeout.count(), cfg.response_timeout.count(), cfg.max_polls, cfg.max_retries, n,
                      step.count());
}

}  // namespace fuzz_bt
