// apps/ipmikit-bmc/state_store.hpp — the files that keep one VM's BMC state across restarts and
// crashes (issue 15 §3): the BMC core's components say what changed and save() their bytes;
// this writes them so that a change answered with success survives kill -9 and power loss.
//
// One file per component in the VM's state directory (`state_dir` in the configuration).
// A save is: write `.NAME.tmp`, fsync it, rename it over NAME, fsync the directory. rename() is
// atomic, so NAME is always either the old complete file or the new complete file; the
// directory fsync makes the rename itself durable before the caller answers the request.
//
// Every file is framed, whatever the component's own format checks:
//   0-3 "ikST"; 4 version 1; 5-7 zero; 8-11 payload length (LS byte first); payload;
//   then the CRC-32 (ipmikit::crc32) of everything before it (4 bytes, LS byte first).
// A file that is short, long, of another format or damaged is reported with its path and the
// reason (store_error), never handed to a component. What the program then does is its choice
// (docs/ipmikit-bmc.md, "State"): set_aside() keeps the bad file for inspection.
#pragma once

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <ipmikit/checksum.hpp>

namespace ipmikit_bmc {

// ---------------------------------------------------------------------------------------------
// Types

/// Why a state file could not be saved or loaded.
enum class store_error : std::uint8_t {
  ok = 0,
  not_found = 1,     // no such file: nothing was saved yet (a fresh VM)
  io = 2,            // a system call failed (errno says which)
  too_large = 3,     // the file or payload is larger than max_state_file_size
  truncated = 4,     // shorter than its frame says
  bad_magic = 5,     // not an ipmikit-bmc state file
  bad_version = 6,   // a frame version this program does not read
  bad_length = 7,    // the payload length does not match the file's size
  bad_checksum = 8,  // the CRC-32 does not match: the bytes are damaged
  bad_name = 9,      // a file name that is empty, has a '/', or starts with '.'
};

[[nodiscard]] constexpr std::string_view name(store_error e) noexcept {
  constexpr std::string_view names[] = {"ok",        "not_found", "io",         "too_large",    "truncated",
                                        "bad_magic", "bad_version", "bad_length", "bad_checksum", "bad_name"};
  const auto i = static_cast<std::size_t>(e);  // store_error's values are 0, 1, 2… in this order
  return i < std::size(names) ? names[i] : std::string_view{};
}

/// What a save or load did: the error, the errno of a failed system call, and the file's path
/// (what an operator needs in the log line).
struct store_status {
  store_error error = store_error::ok;
  int sys_errno = 0;
  std::string path;

  [[nodiscard]] explicit operator bool() const noexcept { return error == store_error::ok; }
  /// `path: reason` (with strerror for io), for a log line or a refusal to start.
  [[nodiscard]] std::string describe() const {
    std::string s = path + ": " + std::string(name(error));
    if (error == store_error::io) s += std::string(" (") + std::strerror(sys_errno) + ")";
    return s;
  }
};

/// The largest payload a state file may hold: far above any component's saved size (a SEL of
/// 65535 entries is 1 MiB), and a bound on what a damaged length field can make us read.
inline constexpr std::size_t max_state_file_size = 2u << 20;

inline constexpr std::array<std::uint8_t, 4> state_file_magic{'i', 'k', 'S', 'T'};
inline constexpr std::uint8_t state_file_version = 1;
inline constexpr std::size_t state_file_header_size = 12;
inline constexpr std::size_t state_file_overhead = state_file_header_size + 4;  // header + CRC-32

// ---------------------------------------------------------------------------------------------
// Framing (no I/O: tested on its own)

/// The whole file for `payload`.
[[nodiscard]] inline std::vector<std::uint8_t> frame_state(std::span<const std::uint8_t> payload) {
  // Sized once and filled in place: no vector::insert, which GCC 12 at -O2 calls an overflow
  // (-Wstringop-overflow / -Warray-bounds false positive, GCC PR 56456).
  std::vector<std::uint8_t> f(state_file_overhead + payload.size());
  const auto put_le32 = [&](std::size_t at, std::size_t v) {
    for (std::size_t i = 0; i < 4; ++i) f[at + i] = static_cast<std::uint8_t>(v >> (8 * i));
  };
  std::copy(state_file_magic.begin(), state_file_magic.end(), f.begin());
  f[4] = state_file_version;
  put_le32(8, payload.size());
  std::copy(payload.begin(), payload.end(), f.begin() + state_file_header_size);
  const std::size_t body = state_file_header_size + payload.size();
  put_le32(body, ipmikit::crc32(std::span(f).first(body)));
  return f;
}

/// The payload of a whole file, or why the file is not one frame_state() wrote.
[[nodiscard]] inline store_error unframe_state(std::span<const std::uint8_t> file,
                                               std::span<const std::uint8_t>& payload) noexcept {
  if (file.size() < state_file_overhead) return store_error::truncated;
  if (!std::equal(state_file_magic.begin(), state_file_magic.end(), file.begin())) return store_error::bad_magic;
  if (file[4] != state_file_version || file[5] != 0 || file[6] != 0 || file[7] != 0) return store_error::bad_version;
  const auto le32 = [&](std::size_t at) {
    std::uint32_t v = 0;
    for (std::size_t i = 0; i < 4; ++i) v |= static_cast<std::uint32_t>(file[at + i]) << (8 * i);
    return v;
  };
  const std::size_t length = le32(8);
  if (length > max_state_file_size) return store_error::too_large;
  if (file.size() < state_file_overhead + length) return store_error::truncated;
  if (file.size() > state_file_overhead + length) return store_error::bad_length;
  const std::size_t body = state_file_header_size + length;
  if (le32(body) != ipmikit::crc32(file.first(body))) return store_error::bad_checksum;
  payload = file.subspan(state_file_header_size, length);
  return store_error::ok;
}

// ---------------------------------------------------------------------------------------------
// The directory

class state_directory {
 public:
  explicit state_directory(std::string path) : dir_(std::move(path)) {}

  [[nodiscard]] const std::string& path() const noexcept { return dir_; }
  [[nodiscard]] std::string path_of(std::string_view file) const { return dir_ + "/" + std::string(file); }

  /// Creates the directory (mode 0700: state may hold user names) when it does not exist.
  /// The parent must exist: a typo in the configuration should not create a tree.
  [[nodiscard]] store_status prepare() const {
    if (::mkdir(dir_.c_str(), 0700) == 0 || errno == EEXIST) {
      struct stat st {};
      if (::stat(dir_.c_str(), &st) != 0) return {store_error::io, errno, dir_};
      if (!S_ISDIR(st.st_mode)) return {store_error::io, ENOTDIR, dir_};
      return {store_error::ok, 0, dir_};
    }
    return {store_error::io, errno, dir_};
  }

  /// Makes `payload` the durable content of `file`: written to a temporary file, fsynced,
  /// renamed over `file`, and the directory fsynced. When this returns ok, the new content
  /// survives a crash; when it fails, `file` still holds its previous complete content.
  [[nodiscard]] store_status save(std::string_view file, std::span<const std::uint8_t> payload) const {
    const std::string target = path_of(file);
    if (!valid_name(file)) return {store_error::bad_name, 0, target};
    if (payload.size() > max_state_file_size) return {store_error::too_large, 0, target};
    std::string temporary = dir_;  // built by appending: `"." + std::string` draws GCC 12's false -Wrestrict
    temporary.append("/.").append(file).append(".tmp");
    const std::vector<std::uint8_t> bytes = frame_state(payload);

    const int fd = ::open(temporary.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0) return {store_error::io, errno, temporary};
    int failed = write_all(fd, bytes) ? 0 : errno;
    if (failed == 0 && ::fsync(fd) != 0) failed = errno;
    if (::close(fd) != 0 && failed == 0) failed = errno;
    if (failed != 0) {
      ::unlink(temporary.c_str());
      return {store_error::io, failed, temporary};
    }
    if (::rename(temporary.c_str(), target.c_str()) != 0) {
      const int e = errno;
      ::unlink(temporary.c_str());
      return {store_error::io, e, target};
    }
    return sync_directory(target);
  }

  /// Reads `file` into `payload`. not_found when it does not exist; any other error means the
  /// file exists and must not be used.
  [[nodiscard]] store_status load(std::string_view file, std::vector<std::uint8_t>& payload) const {
    const std::string target = path_of(file);
    if (!valid_name(file)) return {store_error::bad_name, 0, target};
    const int fd = ::open(target.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return {errno == ENOENT ? store_error::not_found : store_error::io, errno, target};
    std::vector<std::uint8_t> bytes;
    std::array<std::uint8_t, 4096> chunk{};
    store_status st{store_error::ok, 0, target};
    for (;;) {
      const ssize_t n = ::read(fd, chunk.data(), chunk.size());
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) {
        st = {store_error::io, errno, target};
        break;
      }
      if (n == 0) break;
      if (bytes.size() + static_cast<std::size_t>(n) > max_state_file_size + state_file_overhead) {
        st = {store_error::too_large, 0, target};
        break;
      }
      const std::size_t have = bytes.size();
      bytes.resize(have + static_cast<std::size_t>(n));
      std::copy_n(chunk.begin(), n, bytes.begin() + static_cast<std::ptrdiff_t>(have));
    }
    ::close(fd);
    if (!st) return st;
    std::span<const std::uint8_t> body;
    if (const store_error e = unframe_state(bytes, body); e != store_error::ok) return {e, 0, target};
    payload.assign(body.begin(), body.end());
    return st;
  }

  /// Renames a file that did not load to `NAME.bad-N` (the first N not taken), so that the
  /// operator can inspect it and the VM can start without it. Returns the new path.
  [[nodiscard]] store_status set_aside(std::string_view file) const {
    const std::string target = path_of(file);
    if (!valid_name(file)) return {store_error::bad_name, 0, target};
    for (int n = 1; n <= 999; ++n) {
      const std::string aside = target + ".bad-" + std::to_string(n);
      struct stat st {};
      if (::lstat(aside.c_str(), &st) == 0) continue;
      if (::rename(target.c_str(), aside.c_str()) != 0) return {store_error::io, errno, target};
      const store_status synced = sync_directory(target);
      return synced ? store_status{store_error::ok, 0, aside} : synced;
    }
    return {store_error::io, EEXIST, target};
  }

 private:
  static bool valid_name(std::string_view file) noexcept {
    return !file.empty() && file.front() != '.' && file.find('/') == std::string_view::npos;
  }

  static bool write_all(int fd, std::span<const std::uint8_t> bytes) noexcept {
    while (!bytes.empty()) {
      const ssize_t n = ::write(fd, bytes.data(), bytes.size());
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) {
        if (n == 0) errno = EIO;
        return false;
      }
      bytes = bytes.subspan(static_cast<std::size_t>(n));
    }
    return true;
  }

  [[nodiscard]] store_status sync_directory(const std::string& target) const {
    const int dfd = ::open(dir_.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd < 0) return {store_error::io, errno, dir_};
    const int failed = ::fsync(dfd) != 0 ? errno : 0;
    ::close(dfd);
    if (failed != 0) return {store_error::io, failed, dir_};
    return {store_error::ok, 0, target};
  }

  std::string dir_;
};

}  // namespace ipmikit_bmc
