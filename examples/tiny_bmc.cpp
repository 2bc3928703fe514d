// tiny-bmc [UUID]: a BMC for QEMU's ipmi-bmc-extern on stdin/stdout, from the library's BMC
// components (docs/bmc-core.md); UUID (QEMU's -uuid) is the System GUID. Exit status: 0 when the
// emulator hung up, 1 on an I/O error, 2 on a bad UUID or commands that could not be registered.
#include <poll.h>
#include <signal.h>
#include <unistd.h>
#include <cerrno>
#include <cstdio>
#include <ipmikit/ipmikit.hpp>
using namespace ipmikit;
using clk = std::chrono::steady_clock;

struct tiny {  // the components, reached by member pointer; now() is their clock
  bmc::controller mc{};
  bmc::basic_watchdog<clk> watchdog{bmc::watchdog_support{}};
  bmc::basic_sel<64, clk> sel{};
  bmc::guids ids{};
  clk::time_point now() const { return clk::now(); }
} state;
bmc::dispatcher<tiny, 32> dispatcher;

int main(int argc, char** argv) {
  if (argc > 1 && state.ids.set_system_uuid(argv[1]) != bmc::guid_text_error::ok)
    return std::fprintf(stderr, "tiny-bmc: not a UUID: %s\n", argv[1]), 2;
  if (bmc::add_controller_commands<&tiny::mc, &tiny::watchdog>(dispatcher) != bmc::add_error::ok ||
      bmc::add_watchdog_commands<&tiny::watchdog>(dispatcher) != bmc::add_error::ok ||
      bmc::add_sel_commands<&tiny::sel>(dispatcher) != bmc::add_error::ok ||
      bmc::add_guid_commands<&tiny::ids>(dispatcher) != bmc::add_error::ok)
    return std::fputs("tiny-bmc: could not register the commands\n", stderr), 2;
  signal(SIGPIPE, SIG_IGN);  // a closed stdout is an error from write(), not a silent death
  vm::bmc_session<clk> qemu;
  const auto on_event = [&](const auto& e) {  // a request: the dispatcher answers it (or C1, C7, ...)
    std::array<std::uint8_t, vm::max_message_size> out{};
    if constexpr (std::is_same_v<std::decay_t<decltype(e)>, vm::request_event>)
      if (const auto r = dispatcher.dispatch(state, e.body, {}, out)) (void)qemu.respond(e.msg_id, std::span(out).first(r.size));
  };
  const auto on_watchdog = [&](const auto& e) {  // logged in the SEL; an expiry's action is carried out
    if (!e.dont_log) (void)bmc::deliver_event(state.mc, state.sel, e.event.sel_record(0, 0, 0), clk::now());
    if constexpr (requires { e.action; })
      (void)(e.action == cmd::watchdog_timeout_action::hard_reset   ? qemu.send_reset()
             : e.action == cmd::watchdog_timeout_action::power_down ? qemu.power_off()
                                                                    : vm::session_error::ok);
  };
  qemu.connect(clk::now(), on_event);
  for (std::array<std::uint8_t, 512> in{};;) {
    for (auto o = qemu.outbound(clk::now()); !o.empty(); o = qemu.outbound(clk::now())) {
      const ssize_t n = write(STDOUT_FILENO, o.data(), o.size());
      if (n < 0 && errno != EINTR) return std::perror("tiny-bmc: write"), 1;
      if (n > 0) qemu.consume(static_cast<std::size_t>(n), clk::now());
    }
    pollfd p{STDIN_FILENO, POLLIN, 0};  // input; every 100 ms the watchdog; 10 ms in a command gap
    if (poll(&p, 1, qemu.pending().empty() ? 100 : 10) < 0 && errno != EINTR) return std::perror("tiny-bmc: poll"), 1;
    state.watchdog.poll(clk::now(), on_watchdog);
    if ((p.revents & (POLLIN | POLLHUP)) == 0) continue;
    const ssize_t n = read(STDIN_FILENO, in.data(), in.size());
    if (n == 0) return 0;  // the emulator hung up
    if (n < 0 && errno != EINTR && errno != EAGAIN) return std::perror("tiny-bmc: read"), 1;
    if (n > 0) qemu.receive(std::span(in).first(static_cast<std::size_t>(n)), clk::now(), on_event);
  }
}
