// ipmikit/bmc/fru.hpp — the BMC's FRU inventory (IPMI v2.0 §34) as a component: an image built
// from configured fields (FRU Information Storage Definition v1.0: common header, chassis, board
// and product info areas), Get FRU Inventory Area Info, Read FRU Data and Write FRU Data within
// the area, write-protected ranges, and a versioned save/load so that FRU writes survive a
// restart; with the System and Device GUIDs (IPMI v2.0 §22.14, §20.8), settable from the RFC 4122
// text QEMU's `-uuid` takes, and their commands.
//
//   bmc::fru_inventory fru;                                  // 1024 bytes, as QEMU's ipmi-bmc-sim
//   fru.build(bmc::fru_config{.board_manufacturer = "ACME", ...});   // a valid image, or an error
//   fru.protect(0, 8);                                       // Write FRU Data answers 80h there
//   if (fru.generation() != saved) n = fru.save(buffer);     // persist; fru.load(buffer) at start
//   bmc::guids ids;  ids.set_system_uuid("12345678-9abc-def0-1234-56789abcdef0");
//   bmc::add_fru_commands<&my_bmc::fru>(dispatcher);         // FRU Info / Read / Write
//   bmc::add_guid_commands<&my_bmc::ids>(dispatcher);        // Get Device GUID, Get System GUID
//
// Sans-IO: no clock, no heap, no exceptions, no I/O; everything is constexpr. Saving the bytes
// save() writes, and handing load() what was saved, are the owner's. docs/bmc-fru.md.
#pragma once

#include <array>
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>
#include <type_traits>

#include "../cmd/app.hpp"
#include "../cmd/codec.hpp"
#include "../cmd/fru.hpp"
#include "../message.hpp"
#include "dispatcher.hpp"
#include "saved.hpp"

namespace ipmikit::bmc {

// ---------------------------------------------------------------------------------------------
// Numbers

inline constexpr std::size_t fru_default_area_size = 1024;  // QEMU ipmi-bmc-sim fruareasize= default (bmc-commands.md §6)
inline constexpr std::uint8_t fru_bmc_device_id = 0x00;     // IPMI v2.0 §34.1: FRU device 0 is the BMC's own
/// Write FRU Data's "write-protected offset" (IPMI v2.0 §34.3, command-specific 80h).
inline constexpr completion_code fru_write_protected = static_cast<completion_code>(0x80);  // IPMI v2.0 §34.3

// ---------------------------------------------------------------------------------------------
// Configured fields

/// The fields of a FRU image as a BMC is configured with them (all 8-bit text, English). An
/// area is written when one of its fields is set: the chassis area when the part or serial
/// number is, the board area when a text field or the manufacturing date is, the product area
/// when a text field is. A one-character text would be C1h, the end-of-fields marker (FRU spec
/// §13): it is stored as 6-bit packed ASCII instead when it has a 6-bit code (space, digits,
/// upper case, punctuation), and refused (reserved_field) otherwise.
struct fru_config {
  std::uint8_t chassis_type = 0x17;  // SMBIOS enclosure type: 17h rack mount chassis
  std::string_view chassis_part{};
  std::string_view chassis_serial{};

  std::string_view board_manufacturer{};
  std::string_view board_product{};
  std::string_view board_serial{};
  std::string_view board_part{};
  std::uint32_t board_mfg_minutes = cmd::fru_mfg_time_unspecified;  // since 1996-01-01 00:00 UTC (cmd::fru_time_from_unix)

  std::string_view product_manufacturer{};
  std::string_view product_name{};
  std::string_view product_part{};
  std::string_view product_version{};
  std::string_view product_serial{};
  std::string_view product_asset_tag{};

  /// The image these fields make (cmd::fru_image), or the first field's error.
  [[nodiscard]] constexpr cmd::fru_parsed<cmd::fru_image> image() const noexcept {
    cmd::fru_image img;
    cmd::fru_error err = cmd::fru_error::ok;
    const auto put = [&err](std::string_view s, cmd::fru_field& f) {
      if (err != cmd::fru_error::ok) return;
      auto p = cmd::fru_field::of_text(s);
      if (p.error == cmd::fru_error::reserved_field) p = cmd::fru_field::of_ascii6(s);
      if (p.error == cmd::fru_error::out_of_range) p.error = cmd::fru_error::reserved_field;
      if (!p) err = p.error;
      else f = p.value;
    };
    img.has_chassis = !chassis_part.empty() || !chassis_serial.empty();
    img.chassis.chassis_type = chassis_type;
    put(chassis_part, img.chassis.part_number);
    put(chassis_serial, img.chassis.serial_number);

    img.has_board = !board_manufacturer.empty() || !board_product.empty() || !board_serial.empty() ||
                    !board_part.empty() || board_mfg_minutes != cmd::fru_mfg_time_unspecified;
    img.board.mfg_minutes = board_mfg_minutes;
    put(board_manufacturer, img.board.manufacturer);
    put(board_product, img.board.product_name);
    put(board_serial, img.board.serial_number);
    put(board_part, img.board.part_number);

    img.has_product = !product_manufacturer.empty() || !product_name.empty() || !product_part.empty() ||
                      !product_version.empty() || !product_serial.empty() || !product_asset_tag.empty();
    put(product_manufacturer, img.product.manufacturer);
    put(product_name, img.product.product_name);
    put(product_part, img.product.part_number);
    put(product_version, img.product.version);
    put(product_serial, img.product.serial_number);
    put(product_asset_tag, img.product.asset_tag);

    if (err == cmd::fru_error::ok && board_mfg_minutes > 0xFFFFFF) err = cmd::fru_error::out_of_range;
    if (err != cmd::fru_error::ok) return {cmd::fru_image{}, err};
    return {img, cmd::fru_error::ok};
  }
};

// ---------------------------------------------------------------------------------------------
// Saved state

/// Why load() refused saved bytes (and changed nothing). 0 is success; 1-6 are
/// detail::saved_error's.
enum class fru_load_error : std::uint8_t {
  ok = 0,
  too_short = 1,      // fewer bytes than the saved header
  bad_magic = 2,      // not "ikFR": not a saved FRU area
  bad_version = 3,    // a format version this ipmikit does not read
  size_mismatch = 4,  // saved from an area of another size than AreaSize
  bad_length = 5,     // the byte count does not match the header (truncated, or bytes after it)
  bad_checksum = 6,   // the CRC-32 does not match: the bytes are damaged
};

[[nodiscard]] constexpr std::string_view name(fru_load_error e) noexcept {
  return cmd::detail::enum_name<fru_load_error, 7>(
      e, {"ok", "too_short", "bad_magic", "bad_version", "size_mismatch", "bad_length", "bad_checksum"});
}

/// The saved format (ipmikit's own, little-endian): "ikFR", format version, 3 zero bytes, the
/// area size (4 bytes), the area's bytes, then the CRC-32 of everything before it (4 bytes).
inline constexpr std::array<std::uint8_t, 4> fru_save_magic{0x69, 0x6B, 0x46, 0x52};  // "ikFR"
inline constexpr std::uint8_t fru_save_version = 1;
inline constexpr std::size_t fru_save_header_size = detail::saved_header_size;
inline constexpr std::size_t fru_save_overhead = fru_save_header_size + detail::saved_trailer_size;


// ---------------------------------------------------------------------------------------------
// The FRU inventory

/// What a Read or Write FRU Data did: its completion code and, with success, the count of bytes
/// read or written.
struct fru_io_result {
  completion_code code = completion_code::success;
  std::size_t count = 0;
  friend constexpr bool operator==(const fru_io_result&, const fru_io_result&) noexcept = default;
};

/// Where a FRU inventory keeps its area: std::array<std::uint8_t, AreaSize> (the default; no
/// heap), or a growable container of bytes — std::vector<std::uint8_t> — kept only as long as
/// the area's bytes that may be nonzero (the image built or assigned, and what Write FRU Data
/// wrote past it); the rest of the area reads as zeros, as in the fixed one. A fleet of VMs with
/// ~200-byte images then holds ~200 bytes each, not 1 KiB. A growable storage's allocation
/// failure is the container's (the members are noexcept: std::vector's bad_alloc ends the
/// program).
template <class S>
concept fru_area_storage = std::default_initializable<S> && requires(S& s, const S& c, std::size_t i) {
  { s[i] } -> std::same_as<std::uint8_t&>;
  { c[i] } -> std::same_as<const std::uint8_t&>;
  { c.size() } -> std::convertible_to<std::size_t>;
};
template <class S>
concept growable_fru_area_storage = fru_area_storage<S> && requires(S& s, std::size_t n) { s.resize(n); };

/// FRU device 0, an area of AreaSize bytes accessed by bytes (not words).
template <std::size_t AreaSize, fru_area_storage Storage = std::array<std::uint8_t, AreaSize>>
class basic_fru_inventory {
  static_assert(AreaSize >= cmd::fru_header_size, "the area holds at least the 8-byte common header");
  static_assert(AreaSize <= 0xFFFF, "Get FRU Inventory Area Info counts the area in 16 bits");
  static constexpr bool growable = growable_fru_area_storage<Storage>;
  static_assert(growable || std::is_same_v<Storage, std::array<std::uint8_t, AreaSize>>,
                "the area's storage is std::array<std::uint8_t, AreaSize> or growable");

 public:
  static constexpr std::size_t area_size = AreaSize;
  /// The bytes save() writes.
  static constexpr std::size_t saved_size = fru_save_overhead + AreaSize;

  /// An area of zero bytes (no valid image: build(), assign() or load() fills it).
  constexpr basic_fru_inventory() noexcept = default;

  // --- the image -----------------------------------------------------------------------------

  /// Writes `image` (the common header, then the areas present) to the start of the area, and
  /// zeros after it. Refused, and nothing changes: a field that cannot be written (its
  /// cmd::fru_error), or an image that does not fit (buffer_too_small). Returns the image size.
  constexpr cmd::fru_encoded build(const cmd::fru_image& image) noexcept {
    std::array<std::uint8_t, AreaSize> next{};
    const cmd::fru_encoded e = image.encode(next);
    if (!e) return e;
    replace(std::span<const std::uint8_t>(next).first(e.size));
    return e;
  }
  /// The image the configured fields make (fru_config::image()), as build(image).
  constexpr cmd::fru_encoded build(const fru_config& config) noexcept {
    const auto img = config.image();
    if (!img) return {0, img.error};
    return build(img.value);
  }
  /// Sets the area to `bytes` as they are (a file of FRU data, as QEMU's frudatafile=), zeros
  /// after them; false, and nothing changes, when they do not fit.
  constexpr bool assign(std::span<const std::uint8_t> bytes) noexcept {
    if (bytes.size() > AreaSize) return false;
    replace(bytes);
    return true;
  }

  /// The area as it is: all of it (a fixed storage), or (a growable one) its bytes up to the
  /// last that may be nonzero — the rest of the area is zeros.
  [[nodiscard]] constexpr auto bytes() const noexcept {
    if constexpr (growable)
      return std::span<const std::uint8_t>(area_.data(), area_.size());
    else
      return std::span<const std::uint8_t, AreaSize>(area_);
  }
  /// The area read as a FRU image (cmd::fru_image::parse): what `ipmitool fru print` would find.
  [[nodiscard]] constexpr cmd::fru_parsed<cmd::fru_image> image() const noexcept {
    if constexpr (growable) {
      std::array<std::uint8_t, AreaSize> whole{};
      for (std::size_t i = 0; i < area_.size(); ++i) whole[i] = area_[i];
      return cmd::fru_image::parse(whole);
    } else {
      return cmd::fru_image::parse(area_);
    }
  }
  /// Counts the changes of the area's bytes (build, assign, a Write FRU Data that changed a
  /// byte, load): the owner saves when it differs from the one it saved at.
  [[nodiscard]] constexpr std::uint64_t generation() const noexcept { return generation_; }

  // --- write protection ----------------------------------------------------------------------

  /// Marks `count` bytes from `offset` read-only for Write FRU Data (80h). false, and nothing
  /// changes, for a range past the area. build(), assign() and load() ignore it.
  constexpr bool protect(std::size_t offset, std::size_t count) noexcept { return mark(offset, count, true); }
  /// Makes `count` bytes from `offset` writable again.
  constexpr bool unprotect(std::size_t offset, std::size_t count) noexcept { return mark(offset, count, false); }
  [[nodiscard]] constexpr bool is_protected(std::size_t offset) const noexcept {
    return offset < AreaSize && (protected_[offset / 8] & (1u << (offset % 8))) != 0;
  }

  // --- the commands --------------------------------------------------------------------------

  /// Get FRU Inventory Area Info (IPMI v2.0 §34.1): the area size, byte access. A FRU device
  /// other than 0: 0xCB, requested sensor, data, or record not present.
  constexpr completion_code info(const cmd::get_fru_inventory_area_info::request& r,
                                 cmd::get_fru_inventory_area_info::response& out) const noexcept {
    if (r.fru_device_id != fru_bmc_device_id) return completion_code::requested_sensor_not_present;
    out.area_size = static_cast<std::uint16_t>(AreaSize);
    out.word_access = false;
    return completion_code::success;
  }

  /// Read FRU Data (IPMI v2.0 §34.2): copies up to `r.count` bytes from `r.offset` to `out`,
  /// fewer at the end of the area; the count is the bytes copied. Refused: a FRU device other
  /// than 0 (0xCB), an offset at or past the end (0xC9, parameter out of range), more bytes
  /// than `out` holds (0xCA, cannot return the requested number of bytes: ipmitool then asks
  /// for fewer, bmc-commands.md §6).
  constexpr fru_io_result read(const cmd::read_fru_data::request& r, std::span<std::uint8_t> out) const noexcept {
    if (r.fru_device_id != fru_bmc_device_id) return {completion_code::requested_sensor_not_present, 0};
    if (r.offset >= AreaSize) return {completion_code::parameter_out_of_range, 0};
    const std::size_t left = AreaSize - r.offset;
    const std::size_t n = r.count < left ? r.count : left;
    if (n > out.size()) return {completion_code::cannot_return_requested_bytes, 0};
    for (std::size_t i = 0; i < n; ++i) out[i] = at(r.offset + i);
    return {completion_code::success, n};
  }
  /// Read FRU Data into its typed response.
  constexpr completion_code read(const cmd::read_fru_data::request& r, cmd::read_fru_data::response& out) const noexcept {
    out = {};
    const fru_io_result res = read(r, out.data);
    if (res.code == completion_code::success) out.length = res.count;
    return res.code;
  }

  /// Write FRU Data (IPMI v2.0 §34.3): writes the bytes at `r.offset`; those that would go past
  /// the end of the area are not written, and the count written says how many were (§34.3's
  /// "count written"). Refused, and nothing is written: a FRU device other than 0 (0xCB), an
  /// offset at or past the end (0xC9), a byte to be written in a protected range (80h).
  constexpr fru_io_result write(std::uint8_t fru_device_id, std::uint16_t offset,
                                std::span<const std::uint8_t> data) noexcept {
    if (fru_device_id != fru_bmc_device_id) return {completion_code::requested_sensor_not_present, 0};
    if (offset >= AreaSize) return {completion_code::parameter_out_of_range, 0};
    const std::size_t left = AreaSize - offset;
    const std::size_t n = data.size() < left ? data.size() : left;
    for (std::size_t i = 0; i < n; ++i)
      if (is_protected(offset + i)) return {fru_write_protected, 0};
    bool changed = false;
    for (std::size_t i = 0; i < n; ++i) changed = changed || at(offset + i) != data[i];
    if (!changed) return {completion_code::success, n};
    if constexpr (growable) {
      if (area_.size() < offset + n) area_.resize(offset + n);
    }
    for (std::size_t i = 0; i < n; ++i) area_[offset + i] = data[i];
    if (changed) ++generation_;
    return {completion_code::success, n};
  }
  /// Write FRU Data with its typed request and response.
  constexpr completion_code write(const cmd::write_fru_data::request& r, cmd::write_fru_data::response& out) noexcept {
    const fru_io_result res = write(r.fru_device_id, r.offset, r.bytes());
    out.count_written = static_cast<std::uint8_t>(res.count);
    return res.code;
  }

  // --- durability ----------------------------------------------------------------------------

  /// Writes the area in the saved format (saved_size bytes) to `out`; returns the size, or 0
  /// (and writes nothing) when `out` is shorter.
  constexpr std::size_t save(std::span<std::uint8_t> out) const noexcept {
    if (out.size() < saved_size) return 0;
    cmd::writer w(out);
    detail::open_saved(w, frame_);
    for (std::size_t i = 0; i < AreaSize; ++i) w.u8(at(i));
    detail::seal_saved(w, out);
    return saved_size;
  }

  /// Restores the area from what save() wrote (exactly saved_size bytes). Refused, and nothing
  /// changes, with a named fru_load_error. The write protection is configuration, not saved.
  constexpr fru_load_error load(std::span<const std::uint8_t> in) noexcept {
    if (const detail::saved_error e = detail::check_saved(in, frame_, saved_size); e != detail::saved_error::ok)
      return static_cast<fru_load_error>(e);
    std::span<const std::uint8_t> area = in.subspan(fru_save_header_size, AreaSize);
    if constexpr (growable) {
      while (!area.empty() && area.back() == 0) area = area.first(area.size() - 1);  // zeros are implied
    }
    replace(area);
    return fru_load_error::ok;
  }

 private:
  static constexpr detail::saved_frame frame_{fru_save_magic, fru_save_version, static_cast<std::uint32_t>(AreaSize)};

  /// The area becomes `next` (at most AreaSize bytes), then zeros.
  constexpr void replace(std::span<const std::uint8_t> next) noexcept {
    if constexpr (growable) {
      area_.resize(next.size());
      area_.shrink_to_fit();
    } else {
      area_ = {};
    }
    for (std::size_t i = 0; i < next.size(); ++i) area_[i] = next[i];
    ++generation_;
  }
  /// Byte `i` of the area (i < AreaSize): zero past a growable storage's end.
  [[nodiscard]] constexpr std::uint8_t at(std::size_t i) const noexcept {
    if constexpr (growable) return i < area_.size() ? area_[i] : std::uint8_t{0};
    else return area_[i];
  }
  constexpr bool mark(std::size_t offset, std::size_t count, bool on) noexcept {
    if (offset > AreaSize || count > AreaSize - offset) return false;
    for (std::size_t i = offset; i < offset + count; ++i) {
      const auto bit = static_cast<std::uint8_t>(1u << (i % 8));
      protected_[i / 8] = static_cast<std::uint8_t>(on ? (protected_[i / 8] | bit) : (protected_[i / 8] & ~bit));
    }
    return true;
  }

  Storage area_{};
  std::array<std::uint8_t, (AreaSize + 7) / 8> protected_{};  // bit i%8 of byte i/8: byte i is read-only
  std::uint64_t generation_ = 0;
};

using fru_inventory = basic_fru_inventory<fru_default_area_size>;

// ---------------------------------------------------------------------------------------------
// GUIDs

/// Why RFC 4122 text was refused. 0 is success.
enum class guid_text_error : std::uint8_t {
  ok = 0,
  wrong_length = 1,    // not 36 characters
  misplaced_dash = 2,  // a dash other than at 8, 13, 18 and 23, or another character there
  bad_hex = 3,         // a character other than 0-9, a-f, A-F where a hex digit belongs
};

[[nodiscard]] constexpr std::string_view name(guid_text_error e) noexcept {
  return cmd::detail::enum_name<guid_text_error, 4>(e, {"ok", "wrong_length", "misplaced_dash", "bad_hex"});
}

/// A parsed GUID: the 16 bytes when `error` is ok (zeros otherwise).
struct guid_parsed {
  cmd::guid value{};
  guid_text_error error = guid_text_error::ok;

  [[nodiscard]] constexpr explicit operator bool() const noexcept { return error == guid_text_error::ok; }
};

inline constexpr std::size_t guid_text_size = 36;  // RFC 4122 §3: 8-4-4-4-12 hex digits and 4 dashes

namespace detail::fru {
[[nodiscard]] constexpr bool dash_at(std::size_t i) noexcept { return i == 8 || i == 13 || i == 18 || i == 23; }
[[nodiscard]] constexpr int hex_value(char c) noexcept {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}
}  // namespace detail::fru

/// The 16 bytes of RFC 4122 text ("00112233-4455-6677-8899-aabbccddeeff", either case) in the
/// order the text writes them (00 11 … ff). No braces, no "urn:uuid:".
[[nodiscard]] constexpr guid_parsed parse_rfc4122(std::string_view text) noexcept {
  if (text.size() != guid_text_size) return {{}, guid_text_error::wrong_length};
  for (std::size_t i = 0; i < text.size(); ++i)
    if (detail::fru::dash_at(i) != (text[i] == '-')) return {{}, guid_text_error::misplaced_dash};
  guid_parsed p;
  std::size_t n = 0;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (detail::fru::dash_at(i)) continue;
    const int v = detail::fru::hex_value(text[i]);
    if (v < 0) return {{}, guid_text_error::bad_hex};
    p.value[n / 2] = static_cast<std::uint8_t>(p.value[n / 2] | (n % 2 == 0 ? v << 4 : v));
    ++n;
  }
  return p;
}

/// The wire bytes (cmd::guid: least significant byte first, IPMI v2.0 §20.8) of RFC 4122 text,
/// as QEMU's `-uuid` takes it: parse_rfc4122, then cmd::guid_from_rfc4122.
[[nodiscard]] constexpr guid_parsed guid_from_text(std::string_view text) noexcept {
  guid_parsed p = parse_rfc4122(text);
  if (p) p.value = cmd::guid_from_rfc4122(p.value);
  return p;
}

/// The RFC 4122 text (lower case) of a GUID given in wire order: guid_from_text's inverse.
[[nodiscard]] constexpr std::array<char, guid_text_size> guid_to_text(const cmd::guid& wire) noexcept {
  constexpr std::string_view digits = "0123456789abcdef";
  std::array<char, guid_text_size> t{};
  std::size_t n = 0;
  for (std::size_t i = 0; i < t.size(); ++i) {
    if (detail::fru::dash_at(i)) {
      t[i] = '-';
      continue;
    }
    const std::uint8_t b = wire[15 - n / 2];
    t[i] = digits[static_cast<std::size_t>(n % 2 == 0 ? b >> 4 : b & 0x0F)];
    ++n;
  }
  return t;
}

/// The System GUID (Get System GUID, IPMI v2.0 §22.14) and the Device GUID (Get Device GUID,
/// §20.8), 16 bytes each in wire order; zeros until set. Give the System GUID the UUID QEMU's
/// `-uuid` gives the guest's SMBIOS, so that the two agree.
class guids {
 public:
  constexpr guids() noexcept = default;
  constexpr guids(const cmd::guid& system, const cmd::guid& device) noexcept : system_(system), device_(device) {}

  [[nodiscard]] constexpr const cmd::guid& system() const noexcept { return system_; }
  [[nodiscard]] constexpr const cmd::guid& device() const noexcept { return device_; }
  constexpr void set_system(const cmd::guid& g) noexcept { system_ = g; }
  constexpr void set_device(const cmd::guid& g) noexcept { device_ = g; }

  /// Sets the System GUID from RFC 4122 text (guid_from_text); on an error it is unchanged.
  constexpr guid_text_error set_system_uuid(std::string_view text) noexcept { return set(system_, text); }
  /// Sets the Device GUID from RFC 4122 text; on an error it is unchanged.
  constexpr guid_text_error set_device_uuid(std::string_view text) noexcept { return set(device_, text); }

  friend constexpr bool operator==(const guids&, const guids&) noexcept = default;

 private:
  static constexpr guid_text_error set(cmd::guid& g, std::string_view text) noexcept {
    const guid_parsed p = guid_from_text(text);
    if (p) g = p.value;
    return p.error;
  }

  cmd::guid system_{};
  cmd::guid device_{};
};

// ---------------------------------------------------------------------------------------------
// The commands on a dispatcher

namespace detail::fru {
template <class Context, auto Member>
constexpr reply read_handler(Context& c, const request& r, std::span<std::uint8_t> out) {
  const auto rq = cmd::read_fru_data::request::parse(r.data);
  if (!rq) return {cmd::to_completion_code(rq.error), 0};
  if (out.empty()) return {completion_code::cannot_return_requested_bytes, 0};
  const fru_io_result res = (c.*Member).read(rq.value, out.subspan(1));
  if (res.code != completion_code::success) return {res.code, 0};
  out[0] = static_cast<std::uint8_t>(res.count);
  return {completion_code::success, 1 + res.count};
}
}  // namespace detail::fru

/// A Context whose basic_fru_inventory member `Member` the FRU commands drive.
template <class Context, auto Member>
concept fru_context =
    has_member<Context, Member> &&
    detail::sized_typed_instance_of<member_type<Member>, basic_fru_inventory>;

/// A Context whose bmc::guids member `Member` the GUID commands answer from.
template <class Context, auto Member>
concept guid_context =
    has_member<Context, Member> &&
    std::is_same_v<member_type<Member>, guids>;

namespace detail::fru {
/// add_fru_commands' table: an object, like every component's (make_dispatcher); the Read FRU
/// Data handler is instantiated for the dispatcher's Context.
template <auto Member>
struct table {
  template <class Context, std::size_t Capacity>
    requires fru_context<Context, Member>
  constexpr add_error operator()(dispatcher<Context, Capacity>& d) const noexcept {
    using F = member_type<Member>;
    using write_command = completion_code (F::*)(const cmd::write_fru_data::request&, cmd::write_fru_data::response&);
    return add_commands<Member, command<cmd::get_fru_inventory_area_info, &F::info, privilege::user>,
                        command<cmd::read_fru_data, &read_handler<Context, Member>, privilege::user>,
                        command<cmd::write_fru_data, static_cast<write_command>(&F::write), privilege::operator_>>(d);
  }
};
}  // namespace detail::fru

/// Registers Get FRU Inventory Area Info (user), Read FRU Data (user) and Write FRU Data
/// (operator) — the privileges of IPMI v2.0 Appendix G — on `d`, driving `context.*Member`
/// (`add_fru_commands<&my_bmc::fru>(d)`). All three or none (duplicate, full).
template <auto Member>
inline constexpr detail::fru::table<Member> add_fru_commands{};

/// Registers Get Device GUID (user) and Get System GUID (none: `privilege::unspecified`, allowed
/// without a session) — IPMI v2.0 Appendix G — on `d`, answering from `context.*Member`. Both
/// or none (duplicate, full).
template <auto Member>
inline constexpr command_table<Member, command<cmd::get_device_guid, &guids::device, privilege::user>,
                               command<cmd::get_system_guid, &guids::system, privilege::unspecified>>
    add_guid_commands{};

}  // namespace ipmikit::bmc
