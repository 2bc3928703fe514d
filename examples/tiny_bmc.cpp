// tiny-bmc [UUID]: a BMC for QEMU's ipmi-bmc-extern on stdin/stdout, from the library's components
// (docs/bmc-core.md); UUID (QEMU's -uuid) is the System GUID. Exit 0: the emulator hung up; 1: I/O error; 2: bad UUID.
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
constinit auto dispatcher = bmc::make_dispatcher<tiny, 32>(bmc::add_controller_commands<&tiny::mc, &tiny::watchdog>,
    bmc::add_watchdog_commands<&tiny::watchdog>, bmc::add_sel_commands<&tiny::sel>, bmc::add_guid_commands<&tiny::ids>);
int main(int argc, char** argv) {
  if (argc > 1 && state.ids.set_system_uuid(argv[1]) != bmc::guid_text_error::ok)
    return std::fprintf(stderr, "tiny-bmc: not a UUID: %s\n", argv[1]), 2;
  signal(SIGPIPE, SIG_IGN);  // a closed stdout is an error from write(), not a silent death
  vm::bmc_session<clk> qemu;
  bmc::vm_link link{qemu, dispatcher, state, state.mc, state.watchdog, state.sel};  // requests; watchdog -> SEL, RESET
  qemu.connect(clk::now(), link);
  for (std::array<std::uint8_t, 512> in{};;) {
    for (auto o = qemu.outbound(clk::now()); !o.empty(); o = qemu.outbound(clk::now()))
      if (const ssize_t n = write(STDOUT_FILENO, o.data(), o.size()); n >= 0) qemu.consume(std::size_t(n), clk::now());
      else if (errno != EINTR) return std::perror("tiny-bmc: write"), 1;
    pollfd p{STDIN_FILENO, POLLIN, 0};  // input; every 100 ms the watchdog; 10 ms in a command gap
    if (poll(&p, 1, qemu.pending().empty() ? 100 : 10) < 0 && errno != EINTR) return std::perror("tiny-bmc: poll"), 1;
    state.watchdog.poll(clk::now(), link);
    if (p.revents == 0) continue;  // no input yet
    const ssize_t n = read(STDIN_FILENO, in.data(), in.size());
    if (n == 0) return 0;  // the emulator hung up
    if (n < 0 && errno != EINTR && errno != EAGAIN) return std::perror("tiny-bmc: read"), 1;
    if (n > 0) qemu.receive(std::span(in).first(std::size_t(n)), clk::now(), link);
  }
}
