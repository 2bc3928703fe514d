// tiny-bmc: a BMC for QEMU's ipmi-bmc-extern on stdin/stdout (docs/bmc-core.md). Exit status:
// 0 when the emulator hung up, 1 on an I/O error, 2 if the commands could not be registered.
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <unistd.h>
#include <array>
#include <chrono>
#include <cstdio>
#include <type_traits>
#include <ipmikit/ipmikit.hpp>
using namespace ipmikit;
using clk = std::chrono::steady_clock;

struct my_bmc { cmd::guid system_guid{0x10, 0x32, 0x54, 0x76, 0x98, 0xBA, 0xDC, 0xFE}; };

completion_code device_id(my_bmc&, const cmd::no_data&, cmd::get_device_id::response& r, const bmc::request&) {
  r.device_id = 0x20;
  r.firmware_major = 1;
  r.ipmi_version = 0x02;  // IPMI 2.0
  return completion_code::success;
}
completion_code self_test(my_bmc&, const cmd::no_data&, cmd::get_self_test_results::response& r, const bmc::request&) {
  r.result = cmd::self_test_result::passed;
  return completion_code::success;
}
completion_code guid(my_bmc& b, const cmd::no_data&, cmd::get_system_guid::response& r, const bmc::request&) {
  r.value = b.system_guid;
  return completion_code::success;
}

int main() {
  my_bmc state;
  bmc::dispatcher<my_bmc> commands;
  if (commands.add<cmd::get_device_id, &device_id>(bmc::privilege::user) != bmc::add_error::ok ||
      commands.add<cmd::get_self_test_results, &self_test>(bmc::privilege::user) != bmc::add_error::ok ||
      commands.add<cmd::get_system_guid, &guid>(bmc::privilege::unspecified) != bmc::add_error::ok) {
    std::fprintf(stderr, "tiny-bmc: could not register the commands\n");
    return 2;
  }
  signal(SIGPIPE, SIG_IGN);  // a closed stdout is an error from write(), not a silent death
  vm::bmc_session<clk> session;
  const auto on_event = [&](const auto& e) {
    if constexpr (std::is_same_v<std::decay_t<decltype(e)>, vm::request_event>) {
      std::array<std::uint8_t, vm::max_message_size> out{};
      const auto r = commands.dispatch(state, e.body, {}, out);  // unknown: C1, bad length: C7
      if (!r) std::fprintf(stderr, "tiny-bmc: request not answered: %s\n", bmc::name(r.error).data());
      else if (const auto err = session.respond(e.msg_id, std::span(out).first(r.size)); err != vm::session_error::ok)
        std::fprintf(stderr, "tiny-bmc: respond: %s\n", vm::name(err).data());
    }
  };
  session.connect(clk::now(), on_event);
  for (std::array<std::uint8_t, 512> in{};;) {
    for (auto o = session.outbound(clk::now()); !o.empty(); o = session.outbound(clk::now())) {
      const ssize_t n = write(STDOUT_FILENO, o.data(), o.size());
      if (n < 0 && errno != EINTR) {
        perror("tiny-bmc: write");
        return 1;
      }
      if (n > 0) session.consume(static_cast<std::size_t>(n), clk::now());
    }
    pollfd p{STDIN_FILENO, POLLIN, 0};  // wake for input, or in 10 ms if bytes wait out a command gap
    const int ready = poll(&p, 1, session.pending().empty() ? -1 : 10);
    if (ready < 0 && errno != EINTR) {
      perror("tiny-bmc: poll");
      return 1;
    }
    if (ready <= 0) continue;  // interrupted, or the command gap is over
    const ssize_t n = read(STDIN_FILENO, in.data(), in.size());
    if (n == 0) return 0;  // the emulator hung up
    if (n < 0 && errno != EINTR && errno != EAGAIN) {
      perror("tiny-bmc: read");
      return 1;
    }
    if (n > 0) session.receive(std::span(in).first(static_cast<std::size_t>(n)), clk::now(), on_event);
  }
}
