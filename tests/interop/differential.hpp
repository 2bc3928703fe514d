// tests/interop/differential.hpp — the machinery the differential tests share
// (kcs_differential_test.cpp: kcs::device against QEMU's isa-ipmi-kcs; bt_differential_test.cpp:
// bt::basic_device against isa-ipmi-bt; ssif_differential_test.cpp: ssif::basic_device against
// smbus-ipmi). What stays in each test: its ops (their parser, how
// the device runs them, how qtest runs them), its sequences and macros, its table of known
// differences and its masking rules. What is here:
//
//   sequences as data    "op; op; @macro; …" texts, expanded (macros recursively) and parsed by
//                        the test's parse function into `sequence<Op>` (Op has a `text` member:
//                        the canonical op text, as in the transcript); `op_words` reads an op's
//                        arguments (hex bytes, counts, byte lists); `parse_op_with` parses an
//                        op into `basic_op<Kind>` with the test's grammar (a table of
//                        `op_syntax`: name, kind, arguments)
//   the transcript       "<sequence> <op index>  <op> => <value>" lines; read, written (--record)
//   the BMC side         `bmc_peer`: ipmikit's vm::bmc_session behind ipmi-bmc-extern
//                        (bmc_link.hpp), pumped from the test's thread only, answering only when
//                        told; the ops every test shares (bmc_request, bmc_respond, attention,
//                        ENABLE_IRQ), port writes and reads, the bounded register poll
//                        (`poll_register`)
//   the device side      `device_bmc`: the BMC behind the library's device (the request it was
//                        handed, bmc_request, bmc_respond); `run_on_device`: a sequence on a
//                        fresh device, op by op with the test's function
//   QEMU per sequence    `run_qemu_sequence`: a fresh QEMU (qemu.hpp) and BMC per sequence
//   the driver           `run_differential(argc, argv, config)`: the modes (transcript replay,
//                        --live, --record FILE, --only NAME, --verbose; the transcript's header
//                        and its recording script are named from the interface's tag), the
//                        comparison against the known-differences table (an unlisted
//                        difference fails, a listed one
//                        that no longer occurs fails, every entry names a sequence and is listed
//                        once), QEMU-versus-transcript drift, timings, exit status (0 passed,
//                        1 failed, 2 usage, 77 skipped: qemu-system-x86_64 missing, or 1 under
//                        IPMIKIT_INTEROP_REQUIRED=1)
//
// How two values compare is the test's: its `judge` returns a verdict per op (same, differ, or
// not compared under a named rule).
#pragma once

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <deque>
#include <fstream>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <span>
#include <sstream>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <ipmikit/si/interface.hpp>
#include <ipmikit/vm/session.hpp>

#include "bmc_link.hpp"
#include "check.hpp"
#include "common.hpp"
#include "net.hpp"
#include "process.hpp"
#include "qemu.hpp"

namespace ipmikit::interop::differential {

using bytes = std::vector<std::uint8_t>;

// ---------------------------------------------------------------------------------------------
// Text helpers

[[nodiscard]] inline std::string trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.remove_suffix(1);
  return std::string(s);
}

[[nodiscard]] inline std::vector<std::string> split(std::string_view s, char sep) {
  std::vector<std::string> out;
  for (;;) {
    const auto p = s.find(sep);
    out.push_back(trim(s.substr(0, p)));
    if (p == std::string_view::npos) return out;
    s.remove_prefix(p + 1);
  }
}

[[nodiscard]] inline std::vector<std::string> words(std::string_view s) {
  std::vector<std::string> out;
  std::istringstream in{std::string(s)};
  for (std::string w; in >> w;) out.push_back(w);
  return out;
}

[[nodiscard]] inline result<std::uint8_t> parse_byte(const std::string& w) {
  if (w.empty() || w.size() > 2) return fail("not a hex byte: '" + w + "'");
  unsigned v = 0;
  for (const char c : w) {
    v <<= 4;
    if (c >= '0' && c <= '9') v |= static_cast<unsigned>(c - '0');
    else if (c >= 'A' && c <= 'F') v |= static_cast<unsigned>(c - 'A' + 10);
    else if (c >= 'a' && c <= 'f') v |= static_cast<unsigned>(c - 'a' + 10);
    else return fail("not a hex byte: '" + w + "'");
  }
  return static_cast<std::uint8_t>(v);
}

/// A decimal count in [1, max].
[[nodiscard]] inline result<std::size_t> parse_count(const std::string& w, std::size_t max) {
  if (w.empty() || w.size() > 6 || !std::all_of(w.begin(), w.end(), [](char c) { return c >= '0' && c <= '9'; }))
    return fail("not a count: '" + w + "'");
  const auto n = static_cast<std::size_t>(std::strtoul(w.c_str(), nullptr, 10));
  if (n == 0 || n > max) return fail("count " + w + " not in 1.." + std::to_string(max));
  return n;
}

/// An op value that is one hex byte, or nullopt.
[[nodiscard]] inline std::optional<std::uint8_t> as_byte(const std::string& v) {
  auto b = parse_byte(v);
  if (!b) return std::nullopt;
  return *b;
}

/// An op's text as words — the op's name, then its arguments — for a test's parse function.
/// Every error names the op's text.
class op_words {
 public:
  explicit op_words(std::string text) : text_(std::move(text)), w_(words(text_)) {}

  [[nodiscard]] bool empty() const noexcept { return w_.empty(); }
  [[nodiscard]] std::size_t size() const noexcept { return w_.size(); }
  [[nodiscard]] const std::string& operator[](std::size_t i) const { return w_.at(i); }
  /// The op's name (the first word; empty() first).
  [[nodiscard]] const std::string& name() const { return w_.at(0); }

  /// Argument `i` (1 is the first) as a hex byte.
  [[nodiscard]] result<std::uint8_t> byte(std::size_t i) const {
    if (i >= w_.size()) return fail("'" + text_ + "': missing argument");
    return parse_byte(w_[i]);
  }
  /// Exactly `n` arguments.
  [[nodiscard]] status args(std::size_t n) const {
    if (w_.size() != n + 1) return fail("'" + text_ + "': expected " + std::to_string(n) + " argument(s)");
    return success();
  }
  /// "op V": one argument, a hex byte.
  [[nodiscard]] result<std::uint8_t> one_byte() const {
    if (auto st = args(1); !st) return fail(st.error());
    return byte(1);
  }
  /// "op M V": two hex bytes (a mask and the value wanted under it).
  [[nodiscard]] result<std::pair<std::uint8_t, std::uint8_t>> two_bytes() const {
    if (auto st = args(2); !st) return fail(st.error());
    auto m = byte(1);
    auto v = byte(2);
    if (!m || !v) return fail("'" + text_ + "': bad argument");
    return std::pair<std::uint8_t, std::uint8_t>(*m, *v);
  }
  /// "op N V": a decimal count in [1, max] and a hex byte.
  [[nodiscard]] result<std::pair<std::size_t, std::uint8_t>> count_and_byte(std::size_t max) const {
    if (auto st = args(2); !st) return fail(st.error());
    auto n = parse_count(w_[1], max);
    auto v = byte(2);
    if (!n || !v) return fail("'" + text_ + "': bad argument");
    return std::pair<std::size_t, std::uint8_t>(*n, *v);
  }
  /// "op B…": every argument a hex byte, at least `min` of them.
  [[nodiscard]] result<bytes> byte_list(std::size_t min) const {
    if (w_.size() < min + 1) return fail("'" + text_ + "': at least " + std::to_string(min) + " byte(s)");
    bytes out;
    for (std::size_t i = 1; i < w_.size(); ++i) {
      auto v = byte(i);
      if (!v) return fail(v.error());
      out.push_back(*v);
    }
    return out;
  }
  [[nodiscard]] failure unknown() const { return fail("unknown op '" + text_ + "'"); }
  [[nodiscard]] failure bad(std::string_view why) const { return fail("'" + text_ + "': " + std::string(why)); }

 private:
  std::string text_;
  std::vector<std::string> w_;
};

/// An op as parsed: its kind and the arguments its syntax has. `Kind` is the test's enum.
template <class Kind>
struct basic_op {
  Kind kind{};
  std::uint8_t a = 0;      // byte: the value; mask_value: the mask
  std::uint8_t b = 0;      // mask_value: the value wanted; count_byte: the byte
  std::size_t count = 0;   // count_byte, count
  bytes payload;           // byte_list
  std::string text;        // canonical op text, as in the transcript
};

/// How an op's arguments are written (op_words reads each).
enum class op_args : std::uint8_t {
  none,        // "op"
  byte,        // "op V", V at most `max`                                     → a
  mask_value,  // "op M V"                                                     → a, b
  count_byte,  // "op N V", N in [`min`, `max`]                                → count, b
  byte_list,   // "op B…", at least `min` bytes                                → payload
  count,       // "op [N]", N in [1, `max`], 1 when left out                   → count
};

/// One line of a test's op grammar: the name, the kind it parses to, its arguments.
template <class Kind>
struct op_syntax {
  std::string_view name;
  Kind kind;
  op_args args;
  std::size_t min = 0;
  std::size_t max = 0xFF;
};

/// Parses an op with the test's grammar; its canonical text names the arguments as parsed.
template <class Kind>
[[nodiscard]] result<basic_op<Kind>> parse_op_with(std::span<const op_syntax<Kind>> grammar, const std::string& text) {
  const op_words w(text);
  if (w.empty()) return fail("empty op");
  const std::string& k = w.name();
  const auto it = std::find_if(grammar.begin(), grammar.end(), [&](const op_syntax<Kind>& g) { return g.name == k; });
  if (it == grammar.end()) return w.unknown();
  basic_op<Kind> o;
  o.kind = it->kind;
  switch (it->args) {
    case op_args::none:
      if (auto st = w.args(0); !st) return fail(st.error());
      o.text = k;
      break;
    case op_args::byte: {
      auto v = w.one_byte();
      if (!v) return fail(v.error());
      if (*v > it->max) return w.bad("at most " + std::to_string(it->max));
      o.a = *v;
      o.text = k + " " + hex(o.a);
      break;
    }
    case op_args::mask_value: {
      auto mv = w.two_bytes();
      if (!mv) return fail(mv.error());
      o.a = mv->first;
      o.b = mv->second;
      o.text = k + " " + hex(o.a) + " " + hex(o.b);
      break;
    }
    case op_args::count_byte: {
      auto nv = w.count_and_byte(it->max);
      if (!nv) return fail(nv.error());
      if (nv->first < it->min) return w.bad("at least " + std::to_string(it->min));
      o.count = nv->first;
      o.b = nv->second;
      o.text = k + " " + std::to_string(o.count) + " " + hex(o.b);
      break;
    }
    case op_args::byte_list: {
      auto b = w.byte_list(it->min);
      if (!b) return fail(b.error());
      o.payload = std::move(*b);
      o.text = k + " " + hex(o.payload);
      break;
    }
    case op_args::count: {
      if (w.size() > 2) return w.bad(k + " [N]");
      o.count = 1;
      if (w.size() == 2) {
        auto n = parse_count(w[1], it->max);
        if (!n) return w.bad(n.error());
        o.count = *n;
      }
      o.text = k + " " + std::to_string(o.count);
      break;
    }
  }
  return o;
}

/// A request as recorded: short ones in full, long ones by length, head and tail.
[[nodiscard]] inline std::string describe_request(std::span<const std::uint8_t> b) {
  if (b.size() <= 16) return hex(b);
  return "len=" + std::to_string(b.size()) + " " + hex(b.first(4)) + " ... " + hex(b.last(2));
}

// ---------------------------------------------------------------------------------------------
// Sequences as data

struct sequence_spec {
  std::string_view name;
  std::string_view about;
  std::string_view ops;  // "op; op; …", with @macros
};

/// Macros expanded in sequence texts (recursively).
using macro_map = std::map<std::string, std::string, std::less<>>;

inline void expand(const macro_map& macros, std::string_view text, std::vector<std::string>& out, int depth) {
  for (const auto& part : split(text, ';')) {
    if (part.empty()) continue;
    if (part[0] == '@' && depth < 8) {
      const auto m = macros.find(part);
      if (m != macros.end()) {
        expand(macros, m->second, out, depth + 1);
        continue;
      }
    }
    out.push_back(part);
  }
}

template <class Op>
struct sequence {
  std::string name;
  std::string about;
  std::vector<Op> ops;
};

template <class Op>
using op_parser = std::function<result<Op>(const std::string&)>;

template <class Op>
[[nodiscard]] result<std::vector<sequence<Op>>> build_sequences(const std::vector<sequence_spec>& specs,
                                                                const macro_map& macros,
                                                                const op_parser<Op>& parse) {
  std::vector<sequence<Op>> out;
  std::set<std::string, std::less<>> seen;
  for (const auto& spec : specs) {
    if (!seen.insert(std::string(spec.name)).second) return fail("duplicate sequence " + std::string(spec.name));
    sequence<Op> s{std::string(spec.name), std::string(spec.about), {}};
    std::vector<std::string> texts;
    expand(macros, spec.ops, texts, 0);
    for (const auto& t : texts) {
      auto o = parse(t);
      if (!o) return fail(s.name + ": " + o.error());
      s.ops.push_back(std::move(*o));
    }
    out.push_back(std::move(s));
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Known differences and verdicts

struct known_difference {
  std::string_view sequence;
  std::size_t op;
  std::string_view reason;
};

struct diff_key {
  std::string sequence;
  std::size_t op;
  friend bool operator<(const diff_key& a, const diff_key& b) {
    return a.sequence != b.sequence ? a.sequence < b.sequence : a.op < b.op;
  }
};

/// How the test's judge rates one op's QEMU and device values.
struct verdict {
  enum class kind : std::uint8_t {
    same,          // equal (possibly after a masking rule; `note` says which)
    differ,        // a difference: must be in the table
    not_compared,  // left out by a named rule (`note` says which); counted and reported
  };
  kind what = kind::same;
  std::string note;
};

/// The judge without masking rules: every value compared as it is.
template <class Op>
[[nodiscard]] std::vector<verdict> judge_exact(const sequence<Op>& s, const std::vector<std::string>& qemu,
                                               const std::vector<std::string>& device) {
  std::vector<verdict> out;
  for (std::size_t i = 0; i < s.ops.size(); ++i)
    out.push_back({qemu[i] == device[i] ? verdict::kind::same : verdict::kind::differ, {}});
  return out;
}

// ---------------------------------------------------------------------------------------------
// The transcript

struct transcript_entry {
  std::string op;
  std::string value;
};
using transcript = std::map<std::string, std::vector<transcript_entry>, std::less<>>;

[[nodiscard]] inline std::string transcript_line(const std::string& seq, std::size_t i, const std::string& op_text,
                                                 const std::string& value) {
  char idx[24];  // a size_t has up to 20 digits
  std::snprintf(idx, sizeof idx, "%3zu", i);
  return seq + " " + idx + "  " + op_text + " => " + value;
}

[[nodiscard]] inline result<transcript> read_transcript(const std::string& path) {
  std::ifstream in(path);
  if (!in) return fail("cannot open transcript " + path);
  transcript t;
  std::string line;
  for (int n = 1; std::getline(in, line); ++n) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.empty() || line[0] == '#') continue;
    const auto arrow = line.find(" => ");
    if (arrow == std::string::npos) return fail(path + ":" + std::to_string(n) + ": no ' => '");
    const auto w = words(line.substr(0, arrow));
    if (w.size() < 3) return fail(path + ":" + std::to_string(n) + ": expected 'sequence index op'");
    auto& v = t[w[0]];
    if (std::to_string(v.size()) != w[1])
      return fail(path + ":" + std::to_string(n) + ": op index " + w[1] + ", expected " + std::to_string(v.size()));
    std::string op_text = w[2];
    for (std::size_t i = 3; i < w.size(); ++i) op_text += " " + w[i];
    v.push_back({op_text, trim(std::string_view(line).substr(arrow + 4))});
  }
  return t;
}

[[nodiscard]] inline std::string qemu_version(const std::string& log_path) {
  auto r = run_command({"qemu-system-x86_64", "--version"}, log_path, millis(10000));
  if (!r) return "unknown";
  std::string s = r->output;
  const auto nl = s.find('\n');
  return nl == std::string::npos ? s : s.substr(0, nl);
}

/// `header` = the comment lines before "# Recorded with:"; `format` = those after it.
template <class Op>
[[nodiscard]] status write_transcript(const std::string& path, std::string_view header, std::string_view format,
                                      const std::vector<sequence<Op>>& seqs,
                                      const std::map<std::string, std::vector<std::string>>& values,
                                      const std::string& version) {
  std::string text = std::string(header) + "# Recorded with: " + version + "\n" + std::string(format);
  for (const auto& s : seqs) {
    const auto it = values.find(s.name);
    if (it == values.end()) continue;
    text += "\n# " + s.name + ": " + s.about + "\n";
    for (std::size_t i = 0; i < s.ops.size(); ++i) text += transcript_line(s.name, i, s.ops[i].text, it->second[i]) + "\n";
  }
  return write_file(path, text);
}

// ---------------------------------------------------------------------------------------------
// The QEMU side: the BMC session behind ipmi-bmc-extern (bmc_link.hpp), pumped from this thread
// only — nothing happens between two ops

class bmc_peer {
 public:
  /// Keeps every request `link` gets until respond() answers it.
  explicit bmc_peer(bmc_link& link) : link_(link) {
    link_.set_hook([this](bmc_session&, const vm::request_event& e, bool&) {
      unanswered_.emplace_back(e.msg_id, bytes(e.body.begin(), e.body.end()));
    });
  }
  bmc_peer(const bmc_peer&) = delete;
  bmc_peer& operator=(const bmc_peer&) = delete;

  /// After link.accept(): waits for QEMU's CAPABILITIES and writes the session's greeting.
  [[nodiscard]] status greet(int timeout_ms) {
    auto caps = link_.pump_until(greeted_since(0), timeout_ms, 20);
    if (!caps) return fail(caps.error());
    if (!*caps) return fail("no CAPABILITIES from QEMU within " + std::to_string(timeout_ms) + " ms");
    return link_.flush_all(1000);
  }

  /// Waits up to `wait_ms` for input, takes all that is there, writes what is due.
  [[nodiscard]] status pump(int wait_ms) { return link_.pump(wait_ms); }

  /// The oldest unanswered request, waiting up to `wait_ms` for one.
  [[nodiscard]] result<std::optional<std::pair<std::uint8_t, bytes>>> request(int wait_ms) {
    auto got = link_.pump_until([this](const session_log&) { return !unanswered_.empty(); }, wait_ms, 10);
    if (!got) return fail(got.error());
    if (unanswered_.empty()) return std::optional<std::pair<std::uint8_t, bytes>>{};
    return std::optional<std::pair<std::uint8_t, bytes>>(unanswered_.front());
  }

  /// Answers the oldest unanswered request: "answered" or "refused:<why>".
  [[nodiscard]] result<std::string> respond(std::uint8_t id, std::span<const std::uint8_t> body) {
    const auto e = link_.with([&](bmc_session& s) { return s.respond(id, body); });
    if (e != vm::session_error::ok) return "refused:" + std::string(vm::name(e));
    unanswered_.pop_front();
    if (auto f = link_.flush_all(1000); !f) return fail(f.error());
    return std::string("answered");
  }

  [[nodiscard]] status attention(bool on, bool irq = false) {
    const auto e = link_.with([&](bmc_session& s) { return s.set_attention(on, irq); });
    if (e != vm::session_error::ok) return fail("set_attention: " + std::string(vm::name(e)));
    return link_.flush_all(1000);
  }

  /// VM command ENABLE_IRQ / DISABLE_IRQ (QEMU's `irqs_enabled`).
  [[nodiscard]] status enable_irq(bool on) {
    const auto e = link_.with([&](bmc_session& s) { return s.enable_irq(on); });
    if (e != vm::session_error::ok) return fail("enable_irq: " + std::string(vm::name(e)));
    return link_.flush_all(1000);
  }

 private:
  bmc_link& link_;
  std::deque<std::pair<std::uint8_t, bytes>> unanswered_;
};

/// QEMU writes a request frame while handling the port write that completes the request, so it
/// is on the socket already when it exists; 250 ms is a generous bound for "none".
inline constexpr int no_request_wait_ms = 250;

/// bmc_request (`body` empty) / bmc_respond on QEMU: "none", "req …", "req … answered",
/// "req … refused:why".
[[nodiscard]] inline result<std::string> qemu_bmc_request(bmc_peer& bmc, const bytes* body) {
  auto r = bmc.request(no_request_wait_ms);
  if (!r) return fail(r.error());
  if (!*r) return std::string("none");
  std::string s = "req " + describe_request((*r)->second);
  if (body == nullptr) return s;
  auto a = bmc.respond((*r)->first, *body);
  if (!a) return fail(a.error());
  return s + " " + *a;
}

/// A port write on QEMU, then the BMC pumped (the write may have made QEMU send a frame): "-".
[[nodiscard]] inline result<std::string> qemu_write(qtest& qt, bmc_peer& bmc, std::uint16_t port, std::uint8_t value) {
  if (!qt.outb(port, value)) return fail(qt.last_error());
  if (auto p = bmc.pump(0); !p) return fail(p.error());
  return std::string("-");
}

/// A port read on QEMU: the value in hex.
[[nodiscard]] inline result<std::string> qemu_read(qtest& qt, std::uint16_t port) {
  const auto v = qt.inb(port);
  if (!v) return fail(qt.last_error());
  return hex(*v);
}

/// bmc_attention 0|1|2 on QEMU: VM command NOATTN / ATTN / ATTN_IRQ; "-".
[[nodiscard]] inline result<std::string> qemu_attention(bmc_peer& bmc, std::uint8_t a) {
  if (auto st = bmc.attention(a != 0, a == 2); !st) return fail(st.error());
  return std::string("-");
}

/// Polls the register at `port` until (value & mask) == want, bounded (1.5 s), pumping the BMC
/// in between; the final value. A poll that gives up is noted (the value shows it).
[[nodiscard]] inline result<std::uint8_t> poll_register(qtest& qt, bmc_peer& bmc, std::uint16_t port, std::uint8_t mask,
                                                        std::uint8_t want, const std::string& text) {
  const deadline d{millis(1500)};
  for (int polls = 1;; ++polls) {
    const auto v = qt.inb(port);
    if (!v) return fail(qt.last_error());
    if ((*v & mask) == want || d.expired() || polls > 100000) {
      if ((*v & mask) != want) say("    note: " + text + " gave up after " + std::to_string(polls) + " polls");
      return *v;
    }
    if (auto p = bmc.pump(0); !p) return fail(p.error());
    if (polls > 50) sleep_ms(1);
  }
}

/// poll_register() as an op's value (hex).
[[nodiscard]] inline result<std::string> qemu_wait(qtest& qt, bmc_peer& bmc, std::uint16_t port, std::uint8_t mask,
                                                   std::uint8_t want, const std::string& text) {
  auto v = poll_register(qt, bmc, port, mask, want, text);
  if (!v) return fail(v.error());
  return hex(*v);
}

struct qemu_run {
  std::vector<std::string> values;
  long long startup_ms = 0;
  long long ops_ms = 0;
};

template <class Op>
using qemu_op_runner = std::function<result<std::string>(qtest&, bmc_peer&, const Op&)>;

/// A fresh QEMU with interface `iface` and BMC session (on a port of their own) for the
/// sequence; `setup` runs once both are up (e.g. irq_intercept_in), then every op.
template <class Op>
[[nodiscard]] result<qemu_run> run_qemu_sequence(const temp_dir& dir, ipmi_interface iface, const sequence<Op>& s,
                                                 const qemu_op_runner<Op>& run_op,
                                                 const std::function<status(qtest&)>& setup) {
  qemu_run out;
  auto listener = listen_tcp(0);
  if (!listener) return fail("BMC listener: " + listener.error());
  auto port = local_port(listener->get());
  if (!port) return fail("BMC listener: " + port.error());
  bmc_link link(std::move(*listener));
  const auto t0 = steady::now();
  auto q = start_qemu(dir, *port, iface);
  if (!q) return fail("starting QEMU: " + q.error());
  auto stop = [&] {
    q->qt.close();
    (void)q->proc.stop();
  };
  if (auto a = link.accept(5000); !a) {
    stop();
    return fail("QEMU did not connect to the BMC: " + a.error() + "; log: " + file_tail(q->log_path, 1500));
  }
  bmc_peer bmc(link);
  if (auto g = bmc.greet(5000); !g) {
    stop();
    return fail(g.error());
  }
  if (setup) {
    if (auto st = setup(q->qt); !st) {
      stop();
      return fail("setup: " + st.error());
    }
  }
  out.startup_ms = elapsed_ms(t0);
  const auto t1 = steady::now();
  for (std::size_t i = 0; i < s.ops.size(); ++i) {
    auto r = run_op(q->qt, bmc, s.ops[i]);
    if (!r) {
      const std::string tail = file_tail(q->log_path, 1500);
      stop();
      return fail("op " + std::to_string(i) + " (" + s.ops[i].text + "): " + r.error() + "; QEMU log: " + tail);
    }
    out.values.push_back(std::move(*r));
  }
  out.ops_ms = elapsed_ms(t1);
  const bool alive = q->proc.alive();
  stop();
  if (!alive) return fail("QEMU ended during the sequence; log: " + file_tail(q->log_path, 1500));
  return out;
}

// ---------------------------------------------------------------------------------------------
// The device side: the library's device with the same BMC behind it

/// The BMC behind a kcs::device / bt::device: note() every event a host access returned, and
/// it keeps the request the device handed it (a new one, or one that replaced the last) until
/// respond() answers it.
template <class Device>
class device_bmc {
 public:
  explicit device_bmc(Device& d) : d_(d) {}

  void note(si::event e) {
    if (!si::has_new_request(e)) return;  // request_ready or request_replaced
    const auto p = d_.pending_request();
    if (!p) return;
    req_id_ = p->id;
    req_.assign(p->bytes.begin(), p->bytes.end());
    have_req_ = true;
  }

  /// bmc_request: "req …" / "none".
  [[nodiscard]] std::string request() const { return have_req_ ? "req " + describe_request(req_) : "none"; }

  /// bmc_respond: "req … answered", "req … refused:why" (the device refused it), or "none".
  std::string respond(std::span<const std::uint8_t> payload) {
    if (!have_req_) return "none";
    const auto e = d_.respond(req_id_, payload);
    std::string s = "req " + describe_request(req_);
    if (e == si::device_error::ok) {
      have_req_ = false;
      return s + " answered";
    }
    return s + " refused:" + std::string(si::name(e));
  }

 private:
  Device& d_;
  // The BMC's unanswered request. A flag, id and bytes rather than std::optional: GCC 12 at -O3
  // flags an optional<pair<…, vector>> member as maybe-uninitialized (its std::optional false
  // positive, PR 80635).
  bool have_req_ = false;
  std::uint32_t req_id_ = 0;
  bytes req_;
};

/// The device's values for `s`: a fresh `Device` (default configuration) with the BMC behind
/// it, every op run in order by RunOp(device, bmc, op) → the op's value.
template <class Device, class Op, std::string (*RunOp)(Device&, device_bmc<Device>&, const Op&)>
[[nodiscard]] std::vector<std::string> run_on_device(const sequence<Op>& s) {
  Device d;
  device_bmc<Device> bmc(d);
  std::vector<std::string> out;
  for (const auto& o : s.ops) out.push_back(RunOp(d, bmc, o));
  return out;
}

// ---------------------------------------------------------------------------------------------
// The driver

template <class Op>
struct config {
  std::string tag;                   // "kcs": temp dir prefix; names the test, the transcript
                                     // and its recording script (transcript_header())
  ipmi_interface iface = ipmi_interface::kcs;
  std::string default_transcript;    // path
  std::string transcript_format;     // comment lines after "# Recorded with:"
  const std::vector<sequence_spec>* specs = nullptr;
  const macro_map* macros = nullptr;
  const std::vector<known_difference>* known = nullptr;
  op_parser<Op> parse;
  std::function<std::vector<std::string>(const sequence<Op>&)> run_device;
  qemu_op_runner<Op> run_qemu_op;
  std::function<status(qtest&)> qemu_setup;  // optional
  /// One verdict per op of the sequence.
  std::function<std::vector<verdict>(const sequence<Op>&, const std::vector<std::string>& qemu,
                                     const std::vector<std::string>& device)>
      judge;
  /// What not_compared verdicts mean, for the summary line ("dummy reads (…)").
  std::string not_compared_what;
};

/// The config of an interface's test from the pieces every one of them defines: its tables,
/// its op parser, an op on a `Device` (RunDeviceOp) and on QEMU, and its judge. The optional
/// members (transcript_format, qemu_setup, not_compared_what) are left to the caller.
template <class Device, class Op, std::string (*RunDeviceOp)(Device&, device_bmc<Device>&, const Op&)>
[[nodiscard]] config<Op> interface_config(std::string tag, ipmi_interface iface, std::string default_transcript,
                                          const std::vector<sequence_spec>& specs, const macro_map& macros,
                                          const std::vector<known_difference>& known, op_parser<Op> parse,
                                          qemu_op_runner<Op> run_qemu_op, decltype(config<Op>::judge) judge) {
  config<Op> cfg;
  cfg.tag = std::move(tag);
  cfg.iface = iface;
  cfg.default_transcript = std::move(default_transcript);
  cfg.specs = &specs;
  cfg.macros = &macros;
  cfg.known = &known;
  cfg.parse = std::move(parse);
  cfg.run_device = run_on_device<Device, Op, RunDeviceOp>;
  cfg.run_qemu_op = std::move(run_qemu_op);
  cfg.judge = std::move(judge);
  return cfg;
}

/// The script that re-records the checked-in transcript of the interface `tag`.
[[nodiscard]] inline std::string record_script(const std::string& tag) {
  return "scripts/record-" + tag + "-transcript.sh";
}

/// The comment lines of a transcript before "# Recorded with:": what it is, how to remake it.
[[nodiscard]] inline std::string transcript_header(const std::string& tag, ipmi_interface iface) {
  return "# tests/interop/data/" + tag + "_qemu_transcript.txt — what QEMU's " + std::string(device_model(iface)) +
         " returned for every op of\n"
         "# every sequence in tests/interop/" + tag + "_differential_test.cpp (a fresh QEMU per sequence, a BMC\n"
         "# session behind ipmi-bmc-extern that answers only at bmc_respond). Regenerate with\n"
         "# " + record_script(tag) + "; do not edit by hand.\n";
}

/// Compares QEMU's values (live or from the transcript) with the device's for one sequence;
/// returns the differences found. Counts not-compared ops in `skipped`.
template <class Op>
std::set<diff_key> compare(checker& c, const config<Op>& cfg, const sequence<Op>& s, const std::vector<std::string>& qemu,
                           const std::vector<std::string>& device, bool verbose, std::size_t& skipped) {
  std::set<diff_key> found;
  const auto verdicts = cfg.judge(s, qemu, device);
  for (std::size_t i = 0; i < s.ops.size(); ++i) {
    const verdict& v = verdicts.at(i);
    if (v.what == verdict::kind::not_compared) {
      ++skipped;
      if (verbose)
        say("  " + v.note + " " + s.name + " #" + std::to_string(i) + " " + s.ops[i].text + ": qemu " + qemu[i] +
            " device " + device[i] + " (not compared)");
      continue;
    }
    const auto known = std::find_if(cfg.known->begin(), cfg.known->end(), [&](const known_difference& k) {
      return k.sequence == s.name && k.op == i;
    });
    const std::string where = s.name + " #" + std::to_string(i) + " " + s.ops[i].text + ": qemu " + qemu[i] +
                              " device " + device[i];
    if (v.what == verdict::kind::differ) {
      found.insert({s.name, i});
      if (known == cfg.known->end()) {
        c.check(false, "unlisted difference " + where,
                "table entry: {\"" + s.name + "\", " + std::to_string(i) + ", why::?},");
      } else if (verbose) {
        say("  diff " + where + " (" + std::string(known->reason.substr(0, 60)) + "…)");
      }
    } else if (verbose) {
      say("  same " + s.name + " #" + std::to_string(i) + " " + s.ops[i].text + " => " + qemu[i] +
          (qemu[i] != device[i] ? " (device " + device[i] + ", " + v.note + ")" : ""));
    }
  }
  return found;
}

inline int usage(const char* argv0) {
  std::fprintf(stderr,
               "usage: %s [--live | --record FILE] [--transcript FILE] [--only NAME]... [--verbose]\n", argv0);
  return 2;
}

template <class Op>
int run_differential(int argc, char** argv, const config<Op>& cfg) {
  bool live = false, verbose = false;
  std::string record_path;
  std::string transcript_path = cfg.default_transcript;
  std::set<std::string, std::less<>> only;
  for (int i = 1; i < argc; ++i) {
    const std::string_view a = argv[i];
    if (a == "--live") {
      live = true;
    } else if (a == "--verbose") {
      verbose = true;
    } else if ((a == "--record" || a == "--transcript" || a == "--only") && i + 1 < argc) {
      const std::string v = argv[++i];
      if (a == "--record") record_path = v, live = true;
      else if (a == "--transcript") transcript_path = v;
      else only.insert(v);
    } else {
      return usage(argv[0]);
    }
  }

  checker c;
  auto built = build_sequences<Op>(*cfg.specs, *cfg.macros, cfg.parse);
  if (!built) {
    say("FAIL sequence table: " + built.error());
    return 1;
  }
  std::vector<sequence<Op>> seqs;
  for (auto& s : *built)
    if (only.empty() || only.count(s.name) != 0) seqs.push_back(std::move(s));
  if (seqs.empty()) {
    say("FAIL no sequence selected");
    return 1;
  }
  std::size_t op_total = 0;
  for (const auto& s : seqs) op_total += s.ops.size();
  say(std::to_string(seqs.size()) + " sequences, " + std::to_string(op_total) + " ops; " +
      std::to_string(cfg.known->size()) + " listed differences");

  // The QEMU values: live, or from the transcript.
  std::optional<transcript> recorded;
  if (record_path.empty()) {
    auto t = read_transcript(transcript_path);
    if (!t) {
      say("FAIL " + t.error());
      return 1;
    }
    recorded = std::move(*t);
    say("transcript " + transcript_path);
  }
  if (live && !find_program("qemu-system-x86_64")) return missing_program_exit("qemu-system-x86_64");

  std::optional<temp_dir> dir;
  if (live) {
    auto d = temp_dir::create("ipmikit-" + cfg.tag + "-diff");
    if (!d) {
      say("FAIL setup: " + d.error());
      return 1;
    }
    dir.emplace(std::move(*d));
  }

  std::map<std::string, std::vector<std::string>> live_values;
  std::set<diff_key> found;
  std::set<std::string, std::less<>> compared;  // sequences whose comparison ran
  std::size_t skipped = 0;
  long long startup_total = 0, ops_total = 0;
  for (const auto& s : seqs) {
    say("-- " + s.name + " (" + std::to_string(s.ops.size()) + " ops): " + s.about);
    const auto device = cfg.run_device(s);
    std::vector<std::string> from_transcript;
    if (recorded) {
      const auto it = recorded->find(s.name);
      bool ok = it != recorded->end() && it->second.size() == s.ops.size();
      if (ok)
        for (std::size_t i = 0; i < s.ops.size() && ok; ++i) ok = it->second[i].op == s.ops[i].text;
      if (!c.check(ok, s.name + ": the transcript has this sequence with the same ops",
                   "re-record with " + record_script(cfg.tag) + " after changing a sequence"))
        continue;
      for (const auto& e : it->second) from_transcript.push_back(e.value);
    }
    std::vector<std::string> qemu_values;
    if (live) {
      auto r = run_qemu_sequence<Op>(*dir, cfg.iface, s, cfg.run_qemu_op, cfg.qemu_setup);
      if (!c.check_ok(r, s.name + ": ran against QEMU")) {
        dir->keep();
        continue;
      }
      say("  QEMU: start + greeting " + std::to_string(r->startup_ms) + " ms, ops " + std::to_string(r->ops_ms) + " ms");
      startup_total += r->startup_ms;
      ops_total += r->ops_ms;
      qemu_values = r->values;
      live_values[s.name] = r->values;
      if (recorded) {
        std::string drift;
        for (std::size_t i = 0; i < s.ops.size(); ++i)
          if (qemu_values[i] != from_transcript[i])
            drift += "\n         #" + std::to_string(i) + " " + s.ops[i].text + ": live " + qemu_values[i] +
                     ", transcript " + from_transcript[i];
        c.check(drift.empty(), s.name + ": live QEMU matches the checked-in transcript", "QEMU drift:" + drift);
      }
    } else {
      qemu_values = from_transcript;
    }
    const auto d = compare(c, cfg, s, qemu_values, device, verbose, skipped);
    found.insert(d.begin(), d.end());
    compared.insert(s.name);
    say("  " + std::to_string(d.size()) + " difference(s) between QEMU and the device");
  }
  if (recorded && only.empty())
    for (const auto& entry : *recorded) {
      const std::string& name = entry.first;
      c.check(std::any_of(seqs.begin(), seqs.end(), [&](const sequence<Op>& s) { return s.name == name; }),
              "transcript sequence " + name + " is still in the test", "re-record the transcript");
    }

  // A listed difference that did not occur fails (only for the sequences that ran).
  std::set<diff_key> listed;
  for (const auto& k : *cfg.known)
    if (!listed.insert({std::string(k.sequence), k.op}).second)
      c.check(false, "known_differences lists " + std::string(k.sequence) + " #" + std::to_string(k.op) + " once");
  for (const auto& k : *cfg.known) {
    const bool exists =
        std::any_of(cfg.specs->begin(), cfg.specs->end(), [&](const sequence_spec& s) { return s.name == k.sequence; });
    if (!exists) {
      c.check(false, "table entry names a sequence: " + std::string(k.sequence));
      continue;
    }
    if (compared.count(k.sequence) == 0) continue;  // not selected, or already failed above
    const bool occurred = found.count({std::string(k.sequence), k.op}) != 0;
    if (!occurred)
      c.check(false, "listed difference did not occur: " + std::string(k.sequence) + " #" + std::to_string(k.op),
              "remove it from known_differences (reason was: " + std::string(k.reason) + ")");
  }

  if (!record_path.empty())
    c.check_ok(write_transcript(record_path, transcript_header(cfg.tag, cfg.iface), cfg.transcript_format, seqs, live_values,
                                qemu_version(dir->file("version.txt"))),
               "transcript written to " + record_path);
  if (live)
    say("live QEMU: " + std::to_string(seqs.size()) + " QEMU starts, " + std::to_string(startup_total) +
        " ms starting + greeting, " + std::to_string(ops_total) + " ms of ops");
  if (!cfg.not_compared_what.empty())
    say(std::to_string(skipped) + " " + cfg.not_compared_what + " differed and were not compared");
  say(c.failures() == 0 ? "PASS (" + std::to_string(elapsed_ms(g_test_start)) + " ms, " + std::to_string(found.size()) +
                              " listed differences seen)"
                        : "FAIL: " + std::to_string(c.failures()) + " check(s) failed");
  if (c.failures() != 0 && dir) dir->keep();
  return c.failures() == 0 ? 0 : 1;
}

}  // namespace ipmikit::interop::differential
