// tests/interop/vm_wire.hpp — a VM-protocol byte stream over a socket, for the real-peer tests:
// ipmikit's wire codec (vm::decoder, vm::encode_*) on one connected socket, with every decoded
// frame turned into an owned `vm_event` and every received byte kept for wire-level checks.
// Deliberately independent of vm/session.hpp: the harness must be able to check the peers
// before the session layer exists.
#pragma once

#include <array>
#include <deque>
#include <optional>
#include <string>
#include <vector>

#include <ipmikit/vm/decoder.hpp>
#include <ipmikit/vm/encoder.hpp>
#include <ipmikit/vm/protocol.hpp>

#include "check.hpp"
#include "common.hpp"
#include "net.hpp"

namespace ipmikit::interop {

/// One decoded frame, owning its bytes.
struct vm_event {
  enum class kind : std::uint8_t { message, command, error };

  kind what = kind::error;
  std::uint8_t msg_id = 0;                  // message
  std::vector<std::uint8_t> body;           // message: netfn/LUN, cmd, data; error: bytes kept
  vm::command code{};                       // command
  std::uint8_t argument = 0;                // command: the argument byte, if it has one
  vm::decode_error error{};                 // error
  std::uint64_t offset = 0;                 // stream offset of the frame's first byte
  std::vector<std::uint8_t> raw;            // the frame as received, terminator included

  [[nodiscard]] bool is_message() const noexcept { return what == kind::message; }
  [[nodiscard]] bool is_command(vm::command c) const noexcept {
    return what == kind::command && code == c;
  }
  [[nodiscard]] std::uint8_t netfn_lun() const noexcept { return body.empty() ? 0 : body[0]; }
  [[nodiscard]] std::uint8_t netfn() const noexcept {
    return static_cast<std::uint8_t>(netfn_lun() >> 2);
  }
  [[nodiscard]] std::uint8_t cmd() const noexcept { return body.size() < 2 ? 0 : body[1]; }
  /// A response's completion code (the first data byte), or 0xFF if there is none.
  [[nodiscard]] std::uint8_t completion_code() const noexcept {
    return body.size() < 3 ? 0xFF : body[2];
  }

  [[nodiscard]] std::string describe() const {
    switch (what) {
      case kind::message:
        return "message msg_id " + hex(msg_id) + " body [" + hex(body) + "] (wire " + hex(raw) +
               ")";
      case kind::command: {
        std::string s = "command ";
        s += vm::name(code);
        if (vm::argument_count(code) != 0) s += " " + hex(argument);
        return s + " (wire " + hex(raw) + ")";
      }
      case kind::error: {
        std::string s = "decode error ";
        s += vm::name(error);
        return s + " (wire " + hex(raw) + ")";
      }
    }
    return "?";
  }
};

/// A connected socket speaking the VM protocol.
class vm_connection {
 public:
  /// `min_message`: vm::min_request_frame (4) when we play the BMC, vm::min_response_frame (5)
  /// when we play the emulator (QEMU's rule for responses).
  explicit vm_connection(unique_fd fd, std::size_t min_message = vm::min_request_frame)
      : fd_(std::move(fd)), decoder_(min_message) {}

  [[nodiscard]] int fd() const noexcept { return fd_.get(); }
  [[nodiscard]] bool eof() const noexcept { return eof_; }
  /// Every byte received so far (index = stream offset).
  [[nodiscard]] const std::vector<std::uint8_t>& received() const noexcept { return raw_; }
  /// Every byte sent so far.
  [[nodiscard]] const std::vector<std::uint8_t>& sent() const noexcept { return sent_; }
  void close() noexcept { fd_.reset(); }

  [[nodiscard]] status send(std::span<const std::uint8_t> bytes, int timeout_ms = 5000) {
    if (!fd_) return fail("send: connection closed");
    auto w = write_all(fd_.get(), bytes, timeout_ms);
    if (!w) return w;
    sent_.insert(sent_.end(), bytes.begin(), bytes.end());
    return success();
  }

  /// Frames and sends an IPMI message (the encoder escapes it). `frame` receives the bytes.
  [[nodiscard]] status send_message(std::uint8_t msg_id, std::span<const std::uint8_t> body,
                                    std::vector<std::uint8_t>* frame = nullptr) {
    std::array<std::uint8_t, vm::max_message_frame_size(vm::max_message_size)> buf{};
    const auto r = vm::encode_message(buf, msg_id, body);
    if (!r) return fail(std::string("encode_message: ") + std::string(vm::name(r.error)));
    if (frame != nullptr) frame->assign(buf.begin(), buf.begin() + static_cast<std::ptrdiff_t>(r.size));
    return send(std::span<const std::uint8_t>(buf.data(), r.size));
  }

  [[nodiscard]] status send_command(vm::command code) {
    std::array<std::uint8_t, vm::max_command_frame_size(1)> buf{};
    const auto r = vm::encode_command(buf, code);
    if (!r) return fail(std::string("encode_command: ") + std::string(vm::name(r.error)));
    return send(std::span<const std::uint8_t>(buf.data(), r.size));
  }

  [[nodiscard]] status send_command(vm::command code, std::uint8_t argument) {
    std::array<std::uint8_t, vm::max_command_frame_size(1)> buf{};
    const auto r = vm::encode_command(buf, code, argument);
    if (!r) return fail(std::string("encode_command: ") + std::string(vm::name(r.error)));
    return send(std::span<const std::uint8_t>(buf.data(), r.size));
  }

  /// The next frame, or nullopt if none arrived within `timeout_ms`. Fails on EOF or a socket
  /// error (after the frames received before it have been handed out).
  [[nodiscard]] result<std::optional<vm_event>> poll_event(int timeout_ms) {
    const deadline d{millis(timeout_ms)};
    for (int reads = 0; pending_.empty(); ++reads) {
      if (eof_) return fail("the peer closed the connection");
      if (!fd_) return fail("connection closed");
      if (reads > 100000) return fail("poll_event: too many reads without a frame");
      std::array<std::uint8_t, 2048> buf{};
      auto r = read_some(fd_.get(), buf, d.remaining_ms());
      if (!r) return fail(r.error());
      if (r->state == read_state::timeout) return std::optional<vm_event>{};
      if (r->state == read_state::eof) {
        eof_ = true;
        continue;
      }
      feed(std::span<const std::uint8_t>(buf.data(), r->size));
    }
    vm_event e = std::move(pending_.front());
    pending_.pop_front();
    return std::optional<vm_event>(std::move(e));
  }

  /// The next frame within `timeout_ms`; a timeout is a failure.
  [[nodiscard]] result<vm_event> next_event(int timeout_ms) {
    auto e = poll_event(timeout_ms);
    if (!e) return fail(e.error());
    if (!*e)
      return fail("no VM frame within " + std::to_string(timeout_ms) + " ms (received so far: " +
                  hex(raw_) + ")");
    return std::move(**e);
  }

 private:
  struct handler {
    vm_connection& conn;
    void operator()(const vm::message_event& m) {
      vm_event e;
      e.what = vm_event::kind::message;
      e.msg_id = m.msg_id;
      e.body.assign(m.body.begin(), m.body.end());
      e.offset = m.offset;
      conn.push(std::move(e));
    }
    void operator()(const vm::command_event& c) {
      vm_event e;
      e.what = vm_event::kind::command;
      e.code = c.code;
      e.argument = c.argument();
      e.offset = c.offset;
      conn.push(std::move(e));
    }
    void operator()(const vm::error_event& err) {
      vm_event e;
      e.what = vm_event::kind::error;
      e.error = err.error;
      e.body.assign(err.bytes.begin(), err.bytes.end());
      e.offset = err.frame_offset;
      conn.push(std::move(e));
    }
  };

  void feed(std::span<const std::uint8_t> bytes) {
    raw_.insert(raw_.end(), bytes.begin(), bytes.end());
    decoder_.feed(bytes, handler{*this});
  }

  // The frame's wire bytes: from its first byte to the first terminator (terminators are
  // never escaped, so the first one after the start ends this frame).
  void push(vm_event e) {
    const auto start = static_cast<std::size_t>(e.offset);
    std::size_t end = start;
    while (end < raw_.size() && raw_[end] != vm::end_of_message && raw_[end] != vm::end_of_command)
      ++end;
    if (start <= raw_.size())
      e.raw.assign(raw_.begin() + static_cast<std::ptrdiff_t>(start),
                   raw_.begin() + static_cast<std::ptrdiff_t>(std::min(end + 1, raw_.size())));
    pending_.push_back(std::move(e));
  }

  unique_fd fd_;
  vm::decoder decoder_;
  std::deque<vm_event> pending_;
  std::vector<std::uint8_t> raw_;
  std::vector<std::uint8_t> sent_;
  bool eof_ = false;
};

/// The next frame (within 5 s; checked as `which`, e.g. "first frame from QEMU") is VM command
/// `code`, with `argument` when one is given: checked as "`what`: <the frame>". False when no
/// frame came.
inline bool check_next_command(checker& c, vm_connection& conn, const std::string& which, vm::command code,
                               std::optional<std::uint8_t> argument, const std::string& what) {
  auto e = conn.next_event(5000);
  if (!c.check_ok(e, which)) return false;
  c.check(e->is_command(code) && (!argument || e->argument == *argument), what + ": " + e->describe());
  return true;
}

}  // namespace ipmikit::interop
