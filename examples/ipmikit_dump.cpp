// ipmikit-dump — decode a captured QEMU ⇄ BMC "VM protocol" byte stream, one line per frame.
//
//   ipmikit-dump capture.bin                 raw bytes, e.g. from a socat/tcpdump capture
//   ipmikit-dump --hex capture.hex           hex text: "FF 01 A1  # comment"
//   socat ... | ipmikit-dump                 stdin, decoded as it arrives
//
// Every line starts with the stream offset of the frame's first byte (hex, as `xxd` prints it),
// then what the frame is: a VM command, an IPMI request or response (told apart by the netfn's
// low bit), or a decode error with the offset where the problem was seen and the bytes kept.
// A summary goes to stderr at the end.
//
// Exit status: 0 the stream was clean; 1 it had malformed frames (or ended inside a frame);
// 2 usage error, unreadable input, bad hex text, or a write error on stdout. With bad hex text
// the frames before the error are printed first, as they would be from a live pipe.
//
// It reads in chunks and feeds them to ipmikit::vm::decoder as they come, which is how a live
// monitor would use the decoder too: the decoder finds the same frames whatever the chunking.
// POSIX read(2) is used instead of fread so that piped, live input is shown without waiting for
// a full buffer.

#include <ipmikit/ipmikit.hpp>

#include <fcntl.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cinttypes>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <span>
#include <string_view>

namespace {

namespace vm = ipmikit::vm;

constexpr const char* usage_text =
    "usage: ipmikit-dump [--hex] [--min-message N] [--bytes N] [FILE | -]\n"
    "\n"
    "Decodes a captured VM-protocol stream (QEMU ipmi-bmc-extern <-> ipmi_sim or another\n"
    "external BMC) and prints one line per frame. Reads FILE, or stdin when FILE is '-' or absent.\n"
    "\n"
    "  --hex            input is hex text: hex digit pairs (\"FF 01 A1\" or \"ff01a1\") separated\n"
    "                   by any whitespace; '#' starts a comment that runs to the end of the line\n"
    "  --min-message N  fewest unescaped bytes in a message frame (msg id .. checksum), 4 to 302;\n"
    "                   default 4, what OpenIPMI accepts for a request. QEMU drops responses\n"
    "                   shorter than 5 (no completion code): use 5 to see BMC replies as QEMU does\n"
    "  --bytes N        show at most N bytes of data per frame (default 16, 0 = all)\n"
    "  -h, --help       show this help\n"
    "\n"
    "Each line: stream offset of the frame (hex), then 'command', 'request', 'response', 'error'\n"
    "or 'partial' (input ended inside a frame), then the details. A summary goes to stderr.\n"
    "\n"
    "Exit status: 0 clean stream; 1 the stream had malformed frames or ended inside a frame;\n"
    "2 usage error, unreadable input, bad hex text, or an error writing the output.\n";

struct options {
  bool hex = false;
  std::size_t min_message = vm::min_request_frame;
  std::size_t max_bytes = 16;
  const char* path = nullptr;  // nullptr or "-": stdin
};

// ---------------------------------------------------------------------------------------------
// Output. Everything goes through stdio; write errors are checked after each chunk and at exit.

void put(std::string_view s) { std::fwrite(s.data(), 1, s.size(), stdout); }

// "00 18 01", at most `limit` bytes (0 = all), then "… (N bytes)"; "-" when empty.
void put_bytes(std::span<const std::uint8_t> bytes, std::size_t limit) {
  if (bytes.empty()) {
    put("-");
    return;
  }
  const std::size_t shown = (limit == 0 || bytes.size() <= limit) ? bytes.size() : limit;
  for (std::size_t i = 0; i < shown; ++i) std::printf(i == 0 ? "%02X" : " %02X", bytes[i]);
  if (shown < bytes.size()) std::printf(" … (%zu bytes)", bytes.size());
}

// "id=0x00 App(0x06) LUN 0 (BMC) Get Device ID (0x01)"; `align` pads the fields into columns.
void put_header(std::uint8_t msg_id, std::uint8_t netfn_lun, std::uint8_t cmd, bool align) {
  const ipmikit::netfn fn = ipmikit::netfn_of(netfn_lun);
  const ipmikit::lun lun = ipmikit::lun_of(netfn_lun);
  const std::string_view family = ipmikit::name(fn);
  const std::string_view lun_name = ipmikit::name(lun);
  const std::string_view command = ipmikit::command_name(fn, cmd);
  char netfn_field[40];
  char lun_field[24];
  char command_field[80];
  std::snprintf(netfn_field, sizeof netfn_field, "%.*s(0x%02X)", static_cast<int>(family.size()),
                family.data(), static_cast<unsigned>(fn));
  std::snprintf(lun_field, sizeof lun_field, "LUN %u (%.*s)", static_cast<unsigned>(lun),
                static_cast<int>(lun_name.size()), lun_name.data());
  if (command.empty()) {
    std::snprintf(command_field, sizeof command_field, "command 0x%02X", cmd);
  } else {
    std::snprintf(command_field, sizeof command_field, "%.*s (0x%02X)",
                  static_cast<int>(command.size()), command.data(), cmd);
  }
  // Widths fit "Sensor/Event(0x05)", "LUN 1 (OEM1)" and most command names.
  std::printf("id=0x%02X %-*s %-*s %-*s", msg_id, align ? 18 : 0, netfn_field, align ? 12 : 0,
              lun_field, align ? 32 : 0, command_field);
}

void begin_line(std::uint64_t offset, const char* kind) {
  std::printf("%08" PRIX64 "  %-9s ", offset, kind);
}

// ---------------------------------------------------------------------------------------------
// The decoder's event handler: prints each frame and counts what the decoder does not.

class printer {
 public:
  explicit printer(std::size_t max_bytes) : max_bytes_(max_bytes) {}

  void operator()(const vm::message_event& m) {
    const bool request = ipmikit::is_request(m.function());
    ++(request ? requests : responses);
    begin_line(m.offset, request ? "request" : "response");
    put_header(m.msg_id, m.netfn_lun(), m.cmd(), true);
    if (request) {
      put(" data: ");
      put_bytes(m.data(), max_bytes_);
    } else if (const auto r = ipmikit::response_view::parse(m.body)) {
      const std::string_view cc_name = ipmikit::name(r->code);
      std::printf(" cc=0x%02X", static_cast<unsigned>(r->code));
      if (!cc_name.empty()) std::printf(" %.*s", static_cast<int>(cc_name.size()), cc_name.data());
      if (r->code != ipmikit::completion_code::success) {
        const std::string_view why = ipmikit::describe(r->code);
        std::printf(" (%.*s)", static_cast<int>(why.size()), why.data());
      }
      put("  data: ");
      put_bytes(r->data, max_bytes_);
    } else {
      put(" no completion code (QEMU drops responses shorter than 5 bytes)");
    }
    put("\n");
  }

  void operator()(const vm::command_event& c) {
    begin_line(c.offset, "command");
    const std::string_view name = vm::name(c.code);
    put(name);
    if (c.code == vm::command::version) {
      std::printf(" %u", static_cast<unsigned>(c.argument()));
      if (c.argument() != vm::protocol_version)
        std::printf(" (not the protocol version %u)", static_cast<unsigned>(vm::protocol_version));
    } else if (c.code == vm::command::capabilities) {
      const vm::capabilities caps = vm::capabilities::from_byte(c.argument());
      std::printf(" 0x%02X (", caps.to_byte());
      const char* sep = "";
      for (const vm::capability cap : vm::all_capabilities_list) {
        if (!caps.has(cap)) continue;
        std::printf("%s%.*s", sep, static_cast<int>(vm::name(cap).size()), vm::name(cap).data());
        sep = "|";
      }
      if (caps.unknown_bits() != 0) std::printf("%sunknown 0x%02X", sep, caps.unknown_bits());
      put(caps.empty() ? "none)" : ")");
    }
    put("\n");
  }

  void operator()(const vm::error_event& e) {
    begin_line(e.frame_offset, "error");
    const std::string_view name = vm::name(e.error);
    const std::string_view why = vm::describe(e.error);
    std::printf("%.*s at %08" PRIX64 ": %.*s (%s frame, %zu byte%s", static_cast<int>(name.size()),
                name.data(), e.offset, static_cast<int>(why.size()), why.data(),
                e.kind == vm::frame_kind::message ? "message" : "command", e.length,
                e.length == 1 ? "" : "s");
    if (e.bytes.size() < e.length) std::printf(", first %zu kept", e.bytes.size());
    put(")");
    if (e.error == vm::decode_error::frame_too_long) {
      if (const auto h = e.header()) {
        put("  header: ");
        put_header(h->msg_id, h->netfn_lun, h->cmd, false);
      }
    }
    put("  bytes: ");
    put_bytes(e.bytes, max_bytes_);
    put("\n");
  }

  std::uint64_t requests = 0;
  std::uint64_t responses = 0;

 private:
  std::size_t max_bytes_;
};

// ---------------------------------------------------------------------------------------------
// Hex text to bytes, resumable across chunks like the decoder, tracking line and column.

class hex_text {
 public:
  // Converts `text` to bytes in `out` (room for text.size() / 2 + 1) and returns how many. On a
  // syntax error `ok` becomes false (see message()) and the bytes before the error are returned.
  std::size_t convert(std::span<const std::uint8_t> text, std::uint8_t* out, bool& ok) {
    std::size_t n = 0;
    ok = false;
    for (const std::uint8_t c : text) {
      if (c == '\n') {
        if (!end_of_token()) return n;
        ++line_;
        column_ = 0;
        in_comment_ = false;
        continue;
      }
      ++column_;
      if (in_comment_) continue;
      if (const int v = digit(c); v >= 0) {
        if (high_ < 0) {
          high_ = v;
          digit_line_ = line_;
          digit_column_ = column_;
          digit_char_ = static_cast<char>(c);
        } else {
          out[n++] = static_cast<std::uint8_t>(high_ << 4 | v);
          high_ = -1;
        }
      } else if (c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f' || c == '#') {
        if (!end_of_token()) return n;
        in_comment_ = c == '#';
      } else {
        if (c >= 0x21 && c <= 0x7E) {
          std::snprintf(message_, sizeof message_, "line %lu, column %lu: unexpected character '%c'"
                        " (expected hex digit pairs, whitespace or a '#' comment)", line_, column_, c);
        } else {
          std::snprintf(message_, sizeof message_, "line %lu, column %lu: unexpected byte 0x%02X"
                        " (expected hex digit pairs, whitespace or a '#' comment)", line_, column_, c);
        }
        return n;
      }
    }
    ok = true;
    return n;
  }

  // At end of input: false if a hex digit is still waiting for its partner.
  bool finish() { return end_of_token(); }

  const char* message() const { return message_; }

 private:
  static int digit(std::uint8_t c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  }

  bool end_of_token() {
    if (high_ < 0) return true;
    std::snprintf(message_, sizeof message_, "line %lu, column %lu: hex digit '%c' has no partner"
                  " (write every byte as two hex digits)", digit_line_, digit_column_, digit_char_);
    return false;
  }

  unsigned long line_ = 1, column_ = 0;  // of the last character seen; columns count bytes
  unsigned long digit_line_ = 0, digit_column_ = 0;
  int high_ = -1;  // first digit of a pair, or -1
  char digit_char_ = 0;
  bool in_comment_ = false;
  char message_[160] = {};
};

// ---------------------------------------------------------------------------------------------

bool parse_count(const char* text, std::size_t low, std::size_t high, std::size_t& value) {
  if (text == nullptr || *text < '0' || *text > '9') return false;
  char* end = nullptr;
  errno = 0;
  const unsigned long long v = std::strtoull(text, &end, 10);
  if (errno != 0 || *end != '\0' || v < low || v > high) return false;
  value = static_cast<std::size_t>(v);
  return true;
}

int usage_error(const char* what, const char* arg) {
  std::fprintf(stderr, "ipmikit-dump: %s%s%s%s\n", what, arg ? " '" : "", arg ? arg : "", arg ? "'" : "");
  std::fprintf(stderr, "Try 'ipmikit-dump --help'.\n");
  return 2;
}

bool stdout_ok() {
  if (std::fflush(stdout) == 0 && !std::ferror(stdout)) return true;
  std::fprintf(stderr, "ipmikit-dump: error writing output: %s\n", std::strerror(errno));
  return false;
}

void print_summary(const vm::decoder& dec, const printer& p, bool unterminated) {
  const vm::decoder_stats& s = dec.stats();
  std::fprintf(stderr,
               "ipmikit-dump: %" PRIu64 " bytes, %" PRIu64 " messages (%" PRIu64 " requests, %" PRIu64
               " responses), %" PRIu64 " commands, %" PRIu64 " errors",
               s.bytes, s.messages, p.requests, p.responses, s.commands, s.total_errors());
  const char* sep = " (";  // then ", " between the kinds of error seen
  for (const vm::decode_error e : vm::all_decode_errors) {
    if (s.count(e) == 0) continue;
    std::fprintf(stderr, "%s%.*s %" PRIu64, sep, static_cast<int>(vm::name(e).size()),
                 vm::name(e).data(), s.count(e));
    sep = ", ";
  }
  if (s.total_errors() > 0) std::fputs(")", stderr);
  std::fputs(unterminated ? ", input ended inside a frame\n" : "\n", stderr);
}

int run(const options& opt) {
  const bool use_stdin = opt.path == nullptr || std::strcmp(opt.path, "-") == 0;
  const char* display = use_stdin ? "<stdin>" : opt.path;
  const int fd = use_stdin ? STDIN_FILENO : ::open(opt.path, O_RDONLY);
  if (fd < 0) {
    std::fprintf(stderr, "ipmikit-dump: cannot open '%s': %s\n", display, std::strerror(errno));
    return 2;
  }

  vm::decoder dec(opt.min_message);
  printer print(opt.max_bytes);
  hex_text hex;
  bool looks_like_text = true;  // raw input made only of printable ASCII: probably wanted --hex
  constexpr std::size_t chunk_size = 4096;
  std::array<std::uint8_t, chunk_size> chunk;
  std::array<std::uint8_t, chunk_size / 2 + 1> bytes;  // a chunk of hex text, converted
  int status = 0;

  for (;;) {
    const ssize_t got = ::read(fd, chunk.data(), chunk.size());
    if (got < 0 && errno == EINTR) continue;
    if (got < 0) {
      std::fprintf(stderr, "ipmikit-dump: cannot read '%s': %s\n", display, std::strerror(errno));
      status = 2;
      break;
    }
    if (got == 0) {  // end of input
      if (opt.hex && !hex.finish()) {
        std::fprintf(stderr, "ipmikit-dump: %s: %s\n", display, hex.message());
        status = 2;
      }
      break;
    }
    std::span<const std::uint8_t> input(chunk.data(), static_cast<std::size_t>(got));
    bool hex_ok = true;
    if (opt.hex) {
      input = std::span<const std::uint8_t>(bytes.data(), hex.convert(input, bytes.data(), hex_ok));
    } else {
      for (const std::uint8_t c : input)
        looks_like_text = looks_like_text && ((c >= 0x20 && c <= 0x7E) || c == '\n' || c == '\t' || c == '\r');
    }
    dec.feed(input, print);  // with bad hex text: the frames before the error are shown
    if (!stdout_ok()) {
      status = 2;
      break;
    }
    if (!hex_ok) {
      std::fprintf(stderr, "ipmikit-dump: %s: %s\n", display, hex.message());
      status = 2;
      break;
    }
  }
  if (!use_stdin) ::close(fd);
  if (status != 0) return status;

  // Bytes after the last terminator: a frame the capture cut off, or a peer that never ended it.
  const bool unterminated = dec.in_frame();
  if (unterminated) {
    begin_line(dec.frame_offset(), "partial");
    std::printf("%" PRIu64 " bytes after the last terminator, input ended inside a frame\n",
                dec.offset() - dec.frame_offset());
  }
  if (!stdout_ok()) return 2;
  print_summary(dec, print, unterminated);
  if (!opt.hex && looks_like_text && dec.stats().bytes > 0)
    std::fprintf(stderr, "ipmikit-dump: note: the input is all text; use --hex for hex dumps\n");
  return (dec.stats().total_errors() > 0 || unterminated) ? 1 : 0;
}

}  // namespace

int main(int argc, char** argv) {
  options opt;
  bool only_files = false;  // after "--"
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    if (!only_files && (arg == "-h" || arg == "--help")) {
      put(usage_text);
      return stdout_ok() ? 0 : 2;
    } else if (!only_files && arg == "--hex") {
      opt.hex = true;
    } else if (!only_files && (arg == "--min-message" || arg == "--bytes")) {
      const char* value = i + 1 < argc ? argv[++i] : nullptr;
      if (value == nullptr) return usage_error("missing value for option", argv[i]);
      const bool ok = arg == "--bytes" ? parse_count(value, 0, SIZE_MAX, opt.max_bytes)
                                       : parse_count(value, vm::min_request_frame, vm::decoder::capacity,
                                                     opt.min_message);
      if (!ok) {
        return usage_error(arg == "--bytes" ? "--bytes needs a number of bytes (0 = all), not"
                                            : "--min-message needs a number from 4 to 302, not",
                           value);
      }
    } else if (!only_files && arg == "--") {
      only_files = true;
    } else if (!only_files && arg.size() > 1 && arg[0] == '-') {
      return usage_error("unknown option", argv[i]);
    } else if (opt.path != nullptr) {
      return usage_error("only one input file can be given; extra argument", argv[i]);
    } else {
      opt.path = argv[i];
    }
  }
  return run(opt);
}
