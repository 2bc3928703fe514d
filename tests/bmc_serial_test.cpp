// tests/bmc_serial_test.cpp — ipmikit-bmc's serial console (apps/ipmikit-bmc/serial.hpp) for
// Serial over LAN, against a real UNIX socket standing in for QEMU's socket chardev: the `serial`
// and `sol_history` keys, connecting when the chardev appears and again after it goes, the
// bounded history replayed at activation, characters typed over SOL reaching the VM with flow
// control, and a VM that keeps printing while the console does not read (dropped from SOL,
// counted, never a wait).
#include <doctest/doctest.h>

#include <ipmikit-bmc/config.hpp>
#include <ipmikit-bmc/serial.hpp>

#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <array>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

namespace {

using namespace ipmikit_bmc;
using namespace std::chrono_literals;

/// QEMU's side of `-chardev socket,server=on`: a listening UNIX socket and its one client.
struct chardev {
  std::string path;
  int listener = -1;
  int client = -1;
  explicit chardev(std::string p) : path(std::move(p)) { ::unlink(path.c_str()); }
  ~chardev() { stop(); }
  void listen() {
    listener = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_un a{};
    a.sun_family = AF_UNIX;
    std::memcpy(a.sun_path, path.c_str(), path.size() + 1);
    REQUIRE(::bind(listener, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);
    REQUIRE(::listen(listener, 1) == 0);
  }
  void accept() {
    client = ::accept(listener, nullptr, nullptr);
    REQUIRE(client >= 0);
  }
  void print(std::string_view s) const { REQUIRE(::send(client, s.data(), s.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(s.size())); }
  std::string read_some() const {
    std::array<char, 8192> b{};
    const ssize_t n = ::recv(client, b.data(), b.size(), MSG_DONTWAIT);
    return n > 0 ? std::string(b.data(), static_cast<std::size_t>(n)) : std::string();
  }
  void stop() {
    if (client >= 0) ::close(client);
    if (listener >= 0) ::close(listener);
    client = listener = -1;
    ::unlink(path.c_str());
  }
};

std::string temp_path(const char* name) {
  const char* dir = std::getenv("TMPDIR");
  return std::string(dir != nullptr ? dir : "/tmp") + "/ipmikit-serial-test-" + std::to_string(::getpid()) + "-" + name;
}

listen_address unix_address(const std::string& p) {
  listen_address a;
  a.type = listen_address::kind::unix_socket;
  a.path = p;
  return a;
}

/// The log lines of a test (log.hpp's sink swapped for the test's duration).
std::vector<std::string> g_serial_lines;
struct capture_log {
  void (*saved)(std::string_view) = g_log_sink;
  capture_log() {
    g_serial_lines.clear();
    g_log_sink = [](std::string_view l) { g_serial_lines.emplace_back(l); };
  }
  ~capture_log() { g_log_sink = saved; }
  capture_log(const capture_log&) = delete;
  capture_log& operator=(const capture_log&) = delete;
  [[nodiscard]] static std::size_t count(std::string_view needle) {
    std::size_t n = 0;
    for (const auto& l : g_serial_lines) n += l.find(needle) != std::string::npos ? 1u : 0u;
    return n;
  }
};

/// Reads what the VM printed into the console (bounded: a few turns).
void pump_reads(serial_console& c, time_point now) {
  for (int i = 0; i < 8; ++i) REQUIRE(c.io(EPOLLIN, now));
}

}  // namespace

TEST_SUITE("ipmikit-bmc serial") {
  TEST_CASE("config: serial and sol_history; SOL is enabled by a console, and its port is the VM's LAN port") {
    const config_result r = parse_config(
        "[bmc]\nlan = 127.0.0.1:9623\n[vm a]\nlisten = unix:/a\nserial = unix:/run/a.serial\nsol_history = 100\n"
        "[vm b]\nlisten = unix:/b\nserial = 127.0.0.1:4555\nlan = 127.0.0.1:9624\n[vm c]\nlisten = unix:/c\n");
    REQUIRE(r.ok());
    REQUIRE(r.cfg.vms[0].serial);
    CHECK(r.cfg.vms[0].serial->text() == "unix:/run/a.serial");
    CHECK(r.cfg.vms[0].sol_history == 100);
    CHECK(r.cfg.vms[0].lan_port == 9623);
    CHECK(r.cfg.vms[1].serial->port == 4555);
    CHECK(r.cfg.vms[1].sol_history == default_sol_history);
    CHECK(r.cfg.vms[1].lan_port == 9624);
    CHECK_FALSE(r.cfg.vms[2].serial);
  }

  TEST_CASE("config error: a serial address with port 0, a history over 64 KiB") {
    const config_result port0 = parse_config("[vm a]\nlisten = unix:/a\nserial = 127.0.0.1:0\n");
    REQUIRE(port0.error);
    CHECK(port0.error->line == 3);
    CHECK(port0.error->message.find("serial") != std::string::npos);
    const config_result big = parse_config("[vm a]\nlisten = unix:/a\nsol_history = 65537\n");
    REQUIRE(big.error);
    CHECK(big.error->line == 3);
  }

  TEST_CASE("serial console: connects when the chardev appears, keeps a bounded history, reconnects after QEMU "
            "goes away") {
    const capture_log log;
    chardev qemu(temp_path("a"));
    serial_console c("vm1", unix_address(qemu.path), 16);
    time_point now = clock_type::now();
    CHECK_FALSE(c.connect_if_due(now));  // nothing listens yet
    CHECK_FALSE(c.connected());
    CHECK(c.next_deadline() == now + serial_retry_interval);
    for (int i = 1; i <= 3; ++i) CHECK_FALSE(c.connect_if_due(now + i * serial_retry_interval));
    now += 3 * serial_retry_interval;
    CHECK(capture_log::count("event=serial_unavailable") == 1);  // one line per outage, not per try
    qemu.listen();
    CHECK_FALSE(c.connect_if_due(now + 500ms));  // not due yet
    now += serial_retry_interval;
    REQUIRE(c.connect_if_due(now));
    CHECK(c.connected());
    qemu.accept();
    qemu.print("0123456789abcdefXYZ");  // 19 bytes into a 16-byte history
    pump_reads(c, now);
    CHECK(c.history() == "3456789abcdefXYZ");
    CHECK(c.stats().from_vm == 19);
    // QEMU goes away: the console notices, and connects to the next QEMU on the same path.
    qemu.stop();
    CHECK_FALSE(c.io(EPOLLIN, now));
    CHECK_FALSE(c.connected());
    CHECK(c.stats().disconnects == 1);
    CHECK(capture_log::count("event=serial_disconnected") == 1);
    CHECK_FALSE(c.connect_if_due(now + serial_retry_interval));  // still gone: quiet
    now += serial_retry_interval;
    CHECK(capture_log::count("event=serial_unavailable") == 1);
    qemu.listen();
    CHECK_FALSE(c.connect_if_due(now));  // a second later, not at once
    now += serial_retry_interval;
    REQUIRE(c.connect_if_due(now));
    qemu.accept();
    CHECK(c.stats().connects == 2);
    CHECK(capture_log::count("event=serial_connected") == 2);
    CHECK(c.history() == "3456789abcdefXYZ");  // the history survives
  }

  TEST_CASE("serial console: SOL sees the history first, typed characters reach the VM within the bound, a VM "
            "that outprints a live console is held back (nothing lost), and one whose console is silent is not") {
    chardev qemu(temp_path("b"));
    qemu.listen();
    serial_console c("vm1", unix_address(qemu.path), 64);
    time_point now = clock_type::now();
    REQUIRE(c.connect_if_due(now));
    qemu.accept();
    qemu.print("guest login: ");
    pump_reads(c, now);
    // No SOL yet: characters from a console are refused (no instance), the history grows.
    CHECK(c.sol() == nullptr);
    c.activate(now, sol_type::settings{}, 0x1234);
    CHECK(c.sol_session() == 0x1234);
    REQUIRE(c.sol() != nullptr);
    std::array<std::uint8_t, ipmikit::lan::sol_max_payload> packet{};
    const std::size_t n = c.sol()->poll(now + 1s, packet);
    REQUIRE(n == 4 + 13);
    CHECK(std::string(packet.begin() + 4, packet.begin() + static_cast<std::ptrdiff_t>(n)) == "guest login: ");
    // Typed characters: taken up to the bound, written when the socket is writable.
    const std::string typed = "root\r";
    CHECK(c.characters(std::span(reinterpret_cast<const std::uint8_t*>(typed.data()), typed.size())) == 5);
    CHECK((c.wanted_events() & EPOLLOUT) != 0);
    REQUIRE(c.io(EPOLLOUT, now));
    CHECK(qemu.read_some() == "root\r");
    CHECK((c.wanted_events() & EPOLLOUT) == 0);
    const std::string lots(serial_to_vm_capacity + 100, 'k');
    CHECK(c.characters(std::span(reinterpret_cast<const std::uint8_t*>(lots.data()), lots.size())) == serial_to_vm_capacity);
    // The VM prints more than the SOL buffer holds. While the console keeps up (its packet is
    // not overdue), the VM is held: read only up to SOL's room, no EPOLLIN, nothing lost.
    const std::string flood(8192, 'f');
    std::size_t printed = 0;
    for (int i = 0; i < 10; ++i) {
      qemu.print(flood);
      printed += flood.size();
      pump_reads(c, now);
    }
    CHECK(c.stats().from_vm == sol_buffer);  // 13 of history + what fitted
    CHECK(c.sol()->buffered() == sol_buffer);
    CHECK(c.sol()->stats().characters_overrun == 0);
    CHECK(c.holding_vm());
    CHECK((c.wanted_events() & EPOLLIN) == 0);
    // The console ACKs the history: room for 13 more, read at once.
    const std::array<std::uint8_t, 4> ack{0, 1, 13, 0};
    REQUIRE(c.sol()->receive(ack, now + 1s, c, packet) == 0);
    CHECK((c.wanted_events() & EPOLLIN) != 0);
    pump_reads(c, now + 1s);
    CHECK(c.stats().from_vm == sol_buffer + 13);
    CHECK(c.holding_vm());
    // Then the console goes silent: its next packet needs a retry, and from then on the VM is
    // read at full speed again; what SOL cannot hold is dropped and counted, never waited for.
    REQUIRE(c.sol()->poll(now + 1s, packet) == 4 + 255);
    CHECK(c.holding_vm());
    REQUIRE(c.sol()->poll(now + 1s + 500ms, packet) == 4 + 255);  // the retry
    CHECK_FALSE(c.holding_vm());
    CHECK((c.wanted_events() & EPOLLIN) != 0);
    pump_reads(c, now + 2s);
    CHECK(c.stats().from_vm == 13 + printed);
    CHECK(c.sol()->stats().characters_overrun == 13 + printed - sol_buffer - 13);
    c.deactivate();
    CHECK(c.sol() == nullptr);
    CHECK(c.sol_session() == 0);
  }

  TEST_CASE("serial console refused: characters while the VM's console is disconnected ('transfer unavailable')") {
    serial_console c("vm1", unix_address(temp_path("none")), 64);
    CHECK_FALSE(c.available());
    c.activate(clock_type::now(), sol_type::settings{}, 1);
    std::array<std::uint8_t, ipmikit::lan::sol_max_payload> reply{};
    const std::array<std::uint8_t, 5> typed{1, 0, 0, 0, 'x'};
    const std::size_t n = c.sol()->receive(typed, clock_type::now(), c, reply);
    REQUIRE(n == 4);
    CHECK(reply[2] == 0);
    CHECK(reply[3] == ipmikit::lan::sol_status::transfer_unavailable);
  }
}
