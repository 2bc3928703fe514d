// ipmikit/bmc/saved.hpp — the frame of the BMC core's saved formats (bmc/fru.hpp's FRU area,
// bmc/users.hpp's users and parameters; ipmikit's own, little-endian): a 4-byte magic, a format
// version, three zero bytes, the size the state was saved for (4 bytes: the area size, the user
// slots), the state, then the CRC-32 of everything before it (4 bytes). Internal: each component
// names its own magic, version and load errors.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>

#include "../checksum.hpp"
#include "../cmd/codec.hpp"

namespace ipmikit::bmc::detail {

inline constexpr std::size_t saved_header_size = 12;  // magic 4, version 1, zeros 3, size 4
inline constexpr std::size_t saved_trailer_size = 4;  // the CRC-32

/// Which frame: its magic, its version, and the size this build writes and reads.
struct saved_frame {
  std::array<std::uint8_t, 4> magic{};
  std::uint8_t version = 0;
  std::uint32_t size = 0;
};

/// Writes the frame's header to `w`; the state follows, then seal_saved().
constexpr void open_saved(cmd::writer& w, const saved_frame& f) noexcept {
  w.bytes(f.magic);
  w.u8(f.version);
  w.fill(3, 0);
  w.le32(f.size);
}

/// Writes the CRC-32 of what `w` wrote to `out` so far.
constexpr void seal_saved(cmd::writer& w, std::span<const std::uint8_t> out) noexcept {
  w.le32(crc32(out.first(w.size())));
}

/// Why saved bytes are not a frame this build reads, in the order checked. The components'
/// load errors start with these, numbered alike (fru_load_error, users_load_error).
enum class saved_error : std::uint8_t {
  ok = 0,
  too_short = 1,      // fewer bytes than the header
  bad_magic = 2,
  bad_version = 3,    // or a zero byte that is not
  size_mismatch = 4,  // saved for another size
  bad_length = 5,     // not `saved_size` bytes (truncated, or bytes after it)
  bad_checksum = 6,   // the CRC-32 does not match: the bytes are damaged
};

/// Checks `in`, which should be a whole frame of `saved_size` bytes.
[[nodiscard]] constexpr saved_error check_saved(std::span<const std::uint8_t> in, const saved_frame& f,
                                                std::size_t saved_size) noexcept {
  if (in.size() < saved_header_size) return saved_error::too_short;
  for (std::size_t i = 0; i < f.magic.size(); ++i)
    if (in[i] != f.magic[i]) return saved_error::bad_magic;
  if (in[4] != f.version || in[5] != 0 || in[6] != 0 || in[7] != 0) return saved_error::bad_version;
  if (cmd::reader(in.subspan(8)).le32() != f.size) return saved_error::size_mismatch;
  if (in.size() != saved_size) return saved_error::bad_length;
  const std::size_t body = saved_size - saved_trailer_size;
  if (cmd::reader(in.subspan(body)).le32() != crc32(in.first(body))) return saved_error::bad_checksum;
  return saved_error::ok;
}

}  // namespace ipmikit::bmc::detail
