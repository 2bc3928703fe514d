// ipmikit-bmc — an external BMC for QEMU's ipmi-bmc-extern device: the IPMI watchdog, chassis
// control and status of many VMs, from one process, outside the VMs. When a guest kernel hangs
// and stops resetting its watchdog, this program resets (or powers off) that VM through QEMU.
//
//   ipmikit-bmc --config FILE [--control PATH] [--verbose]    many VMs (docs/ipmikit-bmc.md)
//   ipmikit-bmc --config FILE --check                          validate the file and exit
//   ipmikit-bmc [--listen ADDR:PORT] [--verbose]               one VM named "vm", no file
//
// Layout: config.hpp reads the file; bmc.hpp is one VM's BMC (IPMI commands, watchdog, power
// state) on a vm::bmc_session, with no socket in it; control.hpp is the operator's line
// protocol; this file is the POSIX side: one epoll loop over every VM's listener and
// connection, the control socket and a signalfd; one timer heap for every VM's deadlines.
//
// Isolation: each VM has its own listener, connection and session. A read takes at most
// `read_chunk` bytes per VM per loop turn (level-triggered epoll: a flooding VM gets its turn
// like the others); a VM whose output is backed up is not read until it drains, so its
// responses never pile up; garbage is a counted protocol problem. No input ends the process.
//
// Under stress (docs/ipmikit-bmc.md): before a VM's watchdog fires, what it sent is read (a
// pet waiting in the socket counts after any stall); timers are one heap entry per VM; log
// lines go through per-VM budgets into a bounded, non-blocking output; control clients are
// bounded in input, output, work per turn and idle time; accept() out of descriptors sheds the
// connection with a reserve descriptor; power commands are coalesced in vm_bmc.
//
// Exit status: 0 stopped by SIGINT/SIGTERM; 1 runtime error (cannot listen, epoll failed,
// open-file limit too low); 2 usage or configuration error (FILE:LINE: message).
#include <dirent.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <poll.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cstring>
#include <fstream>
#include <memory>
#include <sstream>
#include <vector>

#include "bmc.hpp"
#include "config.hpp"
#include "control.hpp"
#include "lan.hpp"
#include "log.hpp"
#include "timers.hpp"
#include "../usage.hpp"

namespace {

using namespace ipmikit_bmc;

constexpr int exit_ok = 0;
constexpr int exit_runtime = 1;
constexpr int exit_usage = ipmikit_apps::exit_usage;

constexpr std::size_t read_chunk = 512;        // bytes read from one VM per loop turn
constexpr std::size_t backed_up_room = 1024;   // stop reading a VM with less outbound room
constexpr std::size_t drain_limit = 1u << 20;  // bytes read from a VM before its watchdog fires
constexpr std::size_t max_control_clients = 16;
constexpr std::size_t control_output_cap = 64u << 10;  // a client's unsent answers before it is paused
constexpr int control_lines_per_turn = 8;
constexpr long long stall_threshold_ms = 500;  // a loop this late is logged as a stall

std::string errno_text() { return std::strerror(errno); }

std::string address_text(const sockaddr* addr, socklen_t len) {
  if (addr->sa_family == AF_UNIX) return "unix";
  char host[NI_MAXHOST];
  char port[NI_MAXSERV];
  if (::getnameinfo(addr, len, host, sizeof host, port, sizeof port, NI_NUMERICHOST | NI_NUMERICSERV) != 0)
    return "?";
  return addr->sa_family == AF_INET6 ? "[" + std::string(host) + "]:" + port : std::string(host) + ":" + port;
}

/// Listens on a TCP address or UNIX path. Returns the socket, or -1 with errno's text in `why`.
int open_listener(const listen_address& where, std::string& bound, std::string& why) {
  int fd = -1;
  if (where.type == listen_address::kind::unix_socket) {
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::memcpy(addr.sun_path, where.path.c_str(), where.path.size() + 1);
    // A socket file left by an earlier run is replaced — unless a process still listens on it
    // (a second ipmikit-bmc started by mistake must not steal a running one's VMs). Any other
    // kind of file is an error (bind fails).
    struct stat st {};
    if (::lstat(where.path.c_str(), &st) == 0 && S_ISSOCK(st.st_mode)) {
      const int probe = ::socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
      const bool live = probe >= 0 && (::connect(probe, reinterpret_cast<const sockaddr*>(&addr), sizeof addr) == 0 ||
                                       errno == EAGAIN || errno == EINPROGRESS);
      if (probe >= 0) ::close(probe);
      if (live) {
        why = "a process is listening there already";
        return -1;
      }
      ::unlink(where.path.c_str());
    }
    fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0 || ::bind(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof addr) != 0 || ::listen(fd, 8) != 0) {
      why = errno_text();
      if (fd >= 0) ::close(fd);
      return -1;
    }
    bound = where.text();
    return fd;
  }
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
  addrinfo* found = nullptr;
  const std::string port = std::to_string(where.port);
  if (const int rc = ::getaddrinfo(where.host.c_str(), port.c_str(), &hints, &found); rc != 0) {
    why = std::string("cannot resolve '") + where.host + "': " + ::gai_strerror(rc);
    return -1;
  }
  fd = ::socket(found->ai_family, found->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, found->ai_protocol);
  const int one = 1;
  const bool ok = fd >= 0 && ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) == 0 &&
                  ::bind(fd, found->ai_addr, found->ai_addrlen) == 0 && ::listen(fd, 8) == 0;
  if (!ok) why = errno_text();
  ::freeaddrinfo(found);
  if (!ok) {
    if (fd >= 0) ::close(fd);
    return -1;
  }
  sockaddr_storage addr{};
  socklen_t len = sizeof addr;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  bound = address_text(reinterpret_cast<const sockaddr*>(&addr), len);
  return fd;
}

// ---------------------------------------------------------------------------------------------
// The server

/// What an epoll event belongs to: the low 4 bits say the kind, the rest an index.
enum class source : std::uint64_t {
  signal = 0, vm_listener = 1, vm_connection = 2, control_listener = 3, control_client = 4, log_output = 5,
  lan_socket = 6, serial = 7, qmp_connection = 8
};
constexpr unsigned source_bits = 4;
constexpr std::uint64_t tag(source s, std::size_t index = 0) {
  return (static_cast<std::uint64_t>(index) << source_bits) | static_cast<std::uint64_t>(s);
}

struct vm_slot {
  std::unique_ptr<vm_bmc> bmc;
  int listener = -1;
  int conn = -1;
  std::uint32_t watched = 0;               // epoll events registered for conn
  bool touched = false;                    // in this turn's list to flush and reschedule
  bool bound_path = false;                 // a UNIX socket file this process created
  bool listener_paused = false;            // out of descriptors: not watched until resume_at_
  int qmp = -1;                            // the connection to QEMU's QMP socket (`qmp`), or -1
  std::uint32_t serial_watched = 0;        // epoll events registered for the serial console's socket
  std::uint32_t qmp_watched = 0;           // epoll events registered for qmp
};

struct control_client {
  std::size_t id = 0;  // the epoll tag's index: stable while clients come and go
  int fd = -1;
  std::string in;      // received, not yet run: at most one read beyond a whole line
  std::string out;     // answers not yet sent: commands run only while this is under the cap
  time_point last_activity{};  // a byte received or sent (the idle timeout counts from here)
  std::uint32_t watched = 0;
  bool eof = false;    // the client closed its side: finish what it sent, then close
  bool closing = false;
};

class server {
 public:
  server(const config& cfg, bool verbose) : cfg_(cfg), timers_(cfg.vms.size()) {
    slots_.resize(cfg.vms.size());
    for (std::size_t i = 0; i < cfg.vms.size(); ++i) {
      slots_[i].bmc = std::make_unique<vm_bmc>(cfg.vms[i]);
      slots_[i].bmc->set_verbose(verbose);
      view_.push_back(slots_[i].bmc.get());
    }
    lan_ = std::make_unique<lan_side>(cfg_, view_);
    serial_.resize(cfg.vms.size());
    for (std::size_t i = 0; i < cfg.vms.size(); ++i)
      if (cfg.vms[i].serial) {
        serial_[i] = std::make_unique<serial_console>(cfg.vms[i].name, *cfg.vms[i].serial, cfg.vms[i].sol_history);
        serial_vms_.push_back(i);
      }
    lan_->attach_serial(&serial_);
    accept_log_.burst = 3;            // accept failures: a few lines, then one per 10 s
    accept_log_.per_second = 0.1;
    accept_log_.tokens = accept_log_.burst;
  }
  server(const server&) = delete;
  server& operator=(const server&) = delete;
  ~server() {
    for (vm_slot& s : slots_) {
      if (s.conn >= 0) ::close(s.conn);
      if (s.listener >= 0) ::close(s.listener);
      if (s.qmp >= 0) ::close(s.qmp);
    }
    for (control_client& c : clients_) ::close(c.fd);
    if (control_fd_ >= 0) ::close(control_fd_);
    if (signal_fd_ >= 0) ::close(signal_fd_);
    if (epoll_fd_ >= 0) ::close(epoll_fd_);
    if (reserve_fd_ >= 0) ::close(reserve_fd_);
    // Only the socket files this process bound (never another process's).
    for (std::size_t i = 0; i < slots_.size(); ++i)
      if (slots_[i].bound_path) ::unlink(cfg_.vms[i].listen.path.c_str());
    if (control_bound_) ::unlink(cfg_.control_path.c_str());
  }

  /// Opens everything; false (with a message on stderr) on the first failure.
  bool open() {
    epoll_fd_ = ::epoll_create1(EPOLL_CLOEXEC);
    if (epoll_fd_ < 0) return fail("epoll_create1: " + errno_text());
    sigset_t mask;
    sigemptyset(&mask);
    sigaddset(&mask, SIGINT);
    sigaddset(&mask, SIGTERM);
    if (::sigprocmask(SIG_BLOCK, &mask, nullptr) != 0) return fail("sigprocmask: " + errno_text());
    signal_fd_ = ::signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC);
    if (signal_fd_ < 0 || !watch(signal_fd_, EPOLLIN, tag(source::signal))) return fail("signalfd: " + errno_text());
    ::signal(SIGPIPE, SIG_IGN);  // a VM that went away is seen by send(), not by a signal
    // The descriptor kept in reserve: when accept() fails for want of descriptors, it is closed
    // so that the waiting connection can be accepted and closed instead of spinning on it.
    reserve_fd_ = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
    if (reserve_fd_ < 0) return fail("open /dev/null: " + errno_text());
    // The log's descriptor is watched for EPOLLOUT while lines wait (never for a regular file,
    // which epoll refuses and which never makes a writer wait).
    if (const int fd = g_log_output().poll_fd(); fd >= 0) log_watchable_ = watch(fd, 0, tag(source::log_output));

    for (std::size_t i = 0; i < slots_.size(); ++i) {
      std::string bound;
      std::string why;
      const vm_config& v = cfg_.vms[i];
      slots_[i].listener = open_listener(v.listen, bound, why);
      if (slots_[i].listener < 0) return fail("VM '" + v.name + "': cannot listen on " + v.listen.text() + ": " + why);
      slots_[i].bound_path = v.listen.type == listen_address::kind::unix_socket;
      if (!watch(slots_[i].listener, EPOLLIN, tag(source::vm_listener, i))) return fail("epoll_ctl: " + errno_text());
      log_event(v.name, "event=listening address=%s", quoted(bound).c_str());
    }
    if (auto e = lan_->open()) return fail(*e);
    for (std::size_t i = 0; i < lan_->sockets().size(); ++i)
      if (!watch(lan_->sockets()[i].fd, EPOLLIN, tag(source::lan_socket, i))) return fail("epoll_ctl: " + errno_text());
    if (lan_->enabled()) lan_->poll(clock_type::now());
    serial_poll(clock_type::now());
    if (!cfg_.control_path.empty()) {
      std::string bound;
      std::string why;
      listen_address where{listen_address::kind::unix_socket, {}, 0, cfg_.control_path};
      control_fd_ = open_listener(where, bound, why);
      if (control_fd_ < 0) return fail("cannot open the control socket " + cfg_.control_path + ": " + why);
      control_bound_ = true;
      ::chmod(cfg_.control_path.c_str(), 0600);  // the operator's, not every local user's
      if (!watch(control_fd_, EPOLLIN, tag(source::control_listener))) return fail("epoll_ctl: " + errno_text());
    }
    // After the listeners: a second process on the same configuration stopped at its first
    // address in use, before it could touch these files.
    for (std::size_t i = 0; i < slots_.size(); ++i)
      if (auto e = slots_[i].bmc->load_state()) return fail("VM '" + cfg_.vms[i].name + "': state_dir: " + *e);
    // QMP connections start at the first loop turn (run_timers): their first try is due now.
    for (std::size_t i = 0; i < slots_.size(); ++i)
      if (slots_[i].bmc->has_qmp()) timers_.schedule(i, slots_[i].bmc->next_deadline());
    log_event({}, "event=ready vms=%zu control=%s", slots_.size(),
              cfg_.control_path.empty() ? "none" : quoted(cfg_.control_path).c_str());
    flush_log();
    return true;
  }

  int run() {
    std::array<epoll_event, 256> events{};
    while (true) {
      const time_point before = clock_type::now();
      const int timeout = timeout_ms(before);
      const int n = ::epoll_wait(epoll_fd_, events.data(), static_cast<int>(events.size()), timeout);
      time_point now = clock_type::now();
      // Woken later than planned: the process was stopped, starved or swapped out.
      if (timeout >= 0) note_stall(now - (before + std::chrono::milliseconds(timeout)), "woke_late");
      if (n < 0) {
        if (errno == EINTR) continue;  // e.g. SIGSTOP/SIGCONT
        log_event({}, "event=fatal reason=%s", quoted("epoll_wait: " + errno_text()).c_str());
        flush_log_before_exit();
        return exit_runtime;
      }
      for (int k = 0; k < n; ++k) {
        const std::uint64_t t = events[static_cast<std::size_t>(k)].data.u64;
        const std::uint32_t ev = events[static_cast<std::size_t>(k)].events;
        const std::size_t index = static_cast<std::size_t>(t >> source_bits);
        switch (static_cast<source>(t & ((1u << source_bits) - 1u))) {
          case source::signal:
            if (stop_requested()) return shut_down(now);
            break;
          case source::vm_listener: accept_vm(index, now); break;
          case source::vm_connection: vm_io(index, ev, now); break;
          case source::control_listener: accept_control(now); break;
          case source::control_client: control_io(index, ev, now); break;
          case source::log_output: break;  // flushed below
          case source::lan_socket:
            lan_->readable(index, now);
            for (const std::size_t i : lan_->take_touched()) touch(i);
            for (const std::size_t i : lan_->touched_serial())  // typed characters to write, deadlines moved
              serial_io(i, serial_[i] && serial_[i]->connected() ? EPOLLOUT : 0u, now);
            lan_->clear_touched_serial();
            break;
          case source::serial: serial_io(index, ev, now); break;
          case source::qmp_connection: qmp_io(index, ev, now); break;
        }
      }
      if (const auto due = lan_->next_poll(); due && *due <= now) lan_->poll(now);
      if (serial_due_ && *serial_due_ <= now) serial_poll(now);
      serve_control_clients(now);
      resume_listeners(now);
      run_timers(now);
      settle(now);
      reap_control_clients();
      // A turn that took this long held every VM up (a burst of work, a slow disk for the log).
      note_stall(clock_type::now() - now, "slow_turn");
      flush_log();
    }
  }

 private:
  // --- serial consoles (serial.hpp) and their SOL instances ------------------------------------

  /// Events on VM `i`'s serial console (or characters queued for it: EPOLLOUT).
  void serial_io(std::size_t i, std::uint32_t ev, time_point now) {
    serial_console* c = serial_[i].get();
    if (c == nullptr) return;
    if (ev != 0 && c->fd() >= 0 && !c->io(ev, now)) slots_[i].serial_watched = 0;  // closed by io(): gone from epoll
    lan_->pump_sol(i, now);
    if (c->fd() >= 0) rewatch_serial(i);  // flow control: EPOLLIN follows SOL's room and its console
    note_serial_deadline(i);
  }

  void rewatch_serial(std::size_t i) {
    serial_console* c = serial_[i].get();
    const std::uint32_t want = c->wanted_events();
    if (want != slots_[i].serial_watched && watch(c->fd(), want, tag(source::serial, i), EPOLL_CTL_MOD))
      slots_[i].serial_watched = want;
  }

  /// Connections due, SOL retries and packets due; then the next time this has work.
  void serial_poll(time_point now) {
    serial_due_.reset();
    for (const std::size_t i : serial_vms_) {
      serial_console* c = serial_[i].get();
      if (c->connect_if_due(now)) {
        if (watch(c->fd(), c->wanted_events(), tag(source::serial, i)))
          slots_[i].serial_watched = c->wanted_events();
      }
      lan_->pump_sol(i, now);
      if (c->fd() >= 0) rewatch_serial(i);  // a retry may end the hold
      note_serial_deadline(i);
    }
  }
  void note_serial_deadline(std::size_t i) {
    if (const auto d = serial_[i]->next_deadline(); d && (!serial_due_ || *d < *serial_due_)) serial_due_ = d;
  }

  bool fail(const std::string& message) {
    std::fprintf(stderr, "ipmikit-bmc: %s\n", message.c_str());
    return false;
  }
  bool watch(int fd, std::uint32_t events, std::uint64_t t, int op = EPOLL_CTL_ADD) {
    epoll_event e{};
    e.events = events;
    e.data.u64 = t;
    return ::epoll_ctl(epoll_fd_, op, fd, &e) == 0;
  }

  bool stop_requested() {
    signalfd_siginfo info{};
    if (::read(signal_fd_, &info, sizeof info) != static_cast<ssize_t>(sizeof info)) return false;
    log_event({}, "event=stopping signal=%s", info.ssi_signo == SIGINT ? "SIGINT" : "SIGTERM");
    return true;
  }

  int shut_down(time_point now) {
    for (std::size_t i = 0; i < slots_.size(); ++i)
      if (slots_[i].conn >= 0) drop(i, now, "ipmikit-bmc is stopping");
    log_event({}, "event=stopped");
    flush_log_before_exit();
    return exit_ok;
  }

  // --- the log ---------------------------------------------------------------------------------

  void flush_log() {
    log_output& out = g_log_output();
    out.flush();
    const std::uint32_t want = out.pending() ? EPOLLOUT : 0u;
    if (log_watchable_ && want != log_watched_ && watch(out.poll_fd(), want, tag(source::log_output), EPOLL_CTL_MOD))
      log_watched_ = want;
  }

  /// At exit: what stdout takes within a second. A reader that is stuck does not keep the
  /// process from stopping (SIGTERM must work with a blocked log pipe).
  static void flush_log_before_exit() {
    log_output& out = g_log_output();
    const time_point give_up = clock_type::now() + std::chrono::seconds(1);
    for (int k = 0; k < 1000 && out.flush() && out.pending(); ++k) {
      const auto left = std::chrono::ceil<std::chrono::milliseconds>(give_up - clock_type::now()).count();
      if (left <= 0 || out.poll_fd() < 0) break;
      pollfd p{out.poll_fd(), POLLOUT, 0};
      ::poll(&p, 1, static_cast<int>(left));
    }
  }

  /// Logs a stall of the loop (at most one line per stall; a stall is over 500 ms).
  void note_stall(clock_type::duration late, const char* cause) {
    const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(late).count();
    if (ms < stall_threshold_ms) return;
    log_event({}, "event=stall late_ms=%lld cause=%s note=%s", static_cast<long long>(ms), cause,
              quoted("input waiting in the VMs' sockets is read before any watchdog fires").c_str());
  }

  // --- VMs -----------------------------------------------------------------------------------

  /// accept() failed for want of descriptors (or kernel memory): the reserve descriptor is
  /// given back so that the waiting connection can be accepted and closed at once (with
  /// `goodbye` first, if any) instead of being reported by epoll again and again. Returns false
  /// if even that failed: the caller pauses the listener for a second.
  bool shed_connection(int listener, std::string_view goodbye) {
    if (reserve_fd_ >= 0) {
      ::close(reserve_fd_);
      reserve_fd_ = -1;
    }
    const int fd = ::accept4(listener, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd >= 0) {
      if (!goodbye.empty()) (void)!::send(fd, goodbye.data(), goodbye.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
      ::close(fd);
    }
    reserve_fd_ = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
    return fd >= 0;
  }

  static bool out_of_descriptors(int err) { return err == EMFILE || err == ENFILE || err == ENOBUFS || err == ENOMEM; }

  /// One line per accept failure, at most 3 at once and then one per 10 s for the whole process
  /// (a listener that fails fails at the rate connections arrive).
  void log_accept_failure(std::string_view vm, const char* listener, int err, const char* outcome) {
    if (!accept_log_.take(clock_type::now())) {
      ++accept_failures_unlogged_;
      return;
    }
    log_event(vm, "event=accept_failed listener=%s reason=%s outcome=%s suppressed=%llu", listener,
              quoted(std::strerror(err)).c_str(), outcome, static_cast<unsigned long long>(accept_failures_unlogged_));
    accept_failures_unlogged_ = 0;
  }

  /// Stops watching a listener until `resume_at_` (accept fails even with the reserve given back).
  void pause_listener(int fd, std::uint64_t t, time_point now) {
    watch(fd, 0, t, EPOLL_CTL_MOD);
    resume_at_ = now + std::chrono::seconds(1);
  }

  void resume_listeners(time_point now) {
    if (!resume_at_ || now < *resume_at_) return;
    resume_at_.reset();
    for (std::size_t i = 0; i < slots_.size(); ++i) {
      if (!slots_[i].listener_paused) continue;
      slots_[i].listener_paused = false;
      watch(slots_[i].listener, EPOLLIN, tag(source::vm_listener, i), EPOLL_CTL_MOD);
    }
    if (control_paused_) {
      control_paused_ = false;
      watch(control_fd_, EPOLLIN, tag(source::control_listener), EPOLL_CTL_MOD);
    }
  }

  void accept_vm(std::size_t i, time_point now) {
    vm_slot& s = slots_[i];
    for (int tries = 0; tries < 4; ++tries) {
      sockaddr_storage addr{};
      socklen_t len = sizeof addr;
      const int fd = ::accept4(s.listener, reinterpret_cast<sockaddr*>(&addr), &len, SOCK_NONBLOCK | SOCK_CLOEXEC);
      if (fd < 0) {
        const int err = errno;
        if (err == EINTR || err == ECONNABORTED) continue;
        if (err == EAGAIN || err == EWOULDBLOCK) return;
        if (out_of_descriptors(err) && shed_connection(s.listener, {})) {
          log_accept_failure(s.bmc->name(), "vm", err, "closed");
          continue;
        }
        log_accept_failure(s.bmc->name(), "vm", err, "paused_1s");
        s.listener_paused = true;
        pause_listener(s.listener, tag(source::vm_listener, i), now);
        return;
      }
      const std::string who = address_text(reinterpret_cast<const sockaddr*>(&addr), len);
      if (s.conn >= 0) {  // one connection per VM, like ipmi_sim: the newcomer is closed at once
        if (s.bmc->admit(log_kind::chatter))
          log_event(s.bmc->name(), "event=refused peer=%s reason=\"a VM is connected\"", quoted(who).c_str());
        ::close(fd);
        continue;
      }
      if (addr.ss_family != AF_UNIX) {
        const int one = 1;
        ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
      }
      s.watched = EPOLLIN | EPOLLRDHUP;
      if (!watch(fd, s.watched, tag(source::vm_connection, i))) {
        log_accept_failure(s.bmc->name(), "vm", errno, "closed");
        ::close(fd);
        return;
      }
      s.conn = fd;
      s.bmc->connected(now, who);
      touch(i);
    }
  }

  void vm_io(std::size_t i, std::uint32_t ev, time_point now) {
    vm_slot& s = slots_[i];
    if (s.conn < 0) return;
    touch(i);
    if ((ev & (EPOLLIN | EPOLLHUP | EPOLLERR | EPOLLRDHUP)) != 0 && (s.watched & EPOLLIN) != 0) {
      read_input(i, now, read_chunk);
    } else if ((ev & EPOLLRDHUP) != 0) {
      // Not being read (its answers are backed up) and its side is closed: it is gone. Without
      // this the slot stayed held until a zero-window probe drew an RST (~5.6 s on TCP).
      return drop(i, now, "closed by the VM");
    } else if ((ev & (EPOLLHUP | EPOLLERR)) != 0 && (ev & EPOLLOUT) == 0) {
      return drop(i, now, "connection error");
    }
    // EPOLLOUT needs nothing here: settle() flushes every touched VM.
  }

  /// Feeds the VM's bytes to its BMC until `limit` bytes were read or its socket is empty;
  /// drops the connection on EOF or an error. A turn reads `read_chunk` (one recv); before a
  /// watchdog fires, `drain_limit`: a pet that is waiting counts, however late the loop got to it
  /// (the output is flushed on the way, so the pets' answers are not dropped).
  void read_input(std::size_t i, time_point now, std::size_t limit) {
    vm_slot& s = slots_[i];
    std::array<std::uint8_t, 4096> buf;
    for (std::size_t total = 0; s.conn >= 0 && total < limit;) {
      const std::size_t want = std::min(buf.size(), limit - total);
      const ssize_t n = ::recv(s.conn, buf.data(), want, 0);
      if (n > 0) {
        total += static_cast<std::size_t>(n);
        s.bmc->receive(std::span<const std::uint8_t>(buf.data(), static_cast<std::size_t>(n)), now);
        if (static_cast<std::size_t>(n) < want) return;  // a short read: the socket is empty
        if (total < limit && s.bmc->session().outbound_room() < backed_up_room) flush(i, now);
      } else if (n == 0) {
        return drop(i, now, "closed by the VM");
      } else if (errno == EINTR) {
        continue;
      } else if (errno == EAGAIN || errno == EWOULDBLOCK) {
        return;
      } else {
        return drop(i, now, errno_text());
      }
    }
  }

  /// Writes what the session lets out now. Each outbound() chunk goes to one send(): a VM
  /// command always ends a write (vm/session.hpp).
  void flush(std::size_t i, time_point now) {
    vm_slot& s = slots_[i];
    auto& session = s.bmc->session();
    bool blocked = false;
    for (int k = 0; k < 64 && s.conn >= 0; ++k) {
      const std::span<const std::uint8_t> chunk = session.outbound(now);
      if (chunk.empty()) break;
      const ssize_t n = ::send(s.conn, chunk.data(), chunk.size(), MSG_NOSIGNAL);
      if (n < 0) {
        if (errno == EINTR) continue;
        if (errno == EAGAIN || errno == EWOULDBLOCK) {
          blocked = true;
          break;
        }
        return drop(i, now, errno_text());
      }
      if (s.bmc->verbose() && s.bmc->admit(log_kind::verbose)) log_event(s.bmc->name(), "event=sent bytes=%zd", n);
      s.bmc->consumed(static_cast<std::size_t>(n), now);
      if (static_cast<std::size_t>(n) < chunk.size()) {
        blocked = true;
        break;
      }
    }
    if (s.conn < 0) return;
    // Backpressure: a VM that does not read its answers is not read either (but its close is
    // still seen: EPOLLRDHUP).
    const bool read = session.outbound_room() >= backed_up_room;
    const std::uint32_t want = (read ? EPOLLIN : 0u) | (blocked ? EPOLLOUT : 0u) | EPOLLRDHUP;
    if (want != s.watched) {
      s.watched = want;
      watch(s.conn, want, tag(source::vm_connection, i), EPOLL_CTL_MOD);
    }
  }

  void drop(std::size_t i, time_point now, const std::string& why) {
    vm_slot& s = slots_[i];
    ::epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, s.conn, nullptr);
    ::close(s.conn);
    s.conn = -1;
    s.watched = 0;
    s.bmc->disconnected(now, why);
    touch(i);
  }

  void touch(std::size_t i) {
    if (!slots_[i].touched) {
      slots_[i].touched = true;
      touched_.push_back(i);
    }
  }

  /// Flushes every VM that had an event this turn and moves its deadline in the timer heap.
  void settle(time_point now) {
    // By index: a flush that fails drops the connection, which touches the VM again (appended).
    for (std::size_t k = 0; k < touched_.size(); ++k) {
      const std::size_t i = touched_[k];
      vm_slot& s = slots_[i];
      s.touched = false;
      if (s.conn >= 0) flush(i, now);
      if (s.qmp >= 0) qmp_flush(i, now);
      timers_.schedule(i, s.bmc->next_deadline());
    }
    touched_.clear();
  }

  // --- timers: one entry per VM (timers.hpp), plus the control clients' idle deadlines -------

  int timeout_ms(time_point now) const {
    std::optional<time_point> due;
    auto sooner = [&due](time_point t) {
      if (!due || t < *due) due = t;
    };
    if (!timers_.empty()) sooner(timers_.next_time());
    if (resume_at_) sooner(*resume_at_);
    if (const auto lan_due = lan_->next_poll()) sooner(*lan_due);
    if (serial_due_) sooner(*serial_due_);
    for (const control_client& c : clients_) {
      if (runnable(c)) return 0;  // lines waiting to run: come straight back
      sooner(c.last_activity + idle_timeout());
    }
    if (!due) return -1;
    const long long ms = std::chrono::ceil<std::chrono::milliseconds>(*due - now).count();
    return static_cast<int>(std::clamp<long long>(ms, 0, INT_MAX));
  }

  void run_timers(time_point now) {
    while (!timers_.empty() && timers_.next_time() <= now) {
      const std::size_t i = timers_.next_vm();
      timers_.cancel(i);  // settle() schedules its next deadline
      // Before a watchdog fires, what the VM sent counts: after a stall (the process stopped,
      // a burst of work, more ready VMs than one epoll_wait returns) its pet may be waiting.
      if (slots_[i].conn >= 0 && slots_[i].bmc->watchdog_due(now)) read_input(i, now, drain_limit);
      slots_[i].bmc->poll(now);
      if (slots_[i].qmp >= 0 && slots_[i].bmc->qmp_overdue(now)) qmp_drop(i, now, "no QMP greeting within 5 s");
      if (slots_[i].qmp < 0 && slots_[i].bmc->qmp_connect_due(now)) qmp_connect(i, now);
      touch(i);
    }
  }

  // --- QMP: ipmikit-bmc is the client of QEMU's -qmp socket (qmp.hpp; docs "Power") --------

  /// One non-blocking connect (a UNIX socket answers at once: connected, or refused / missing /
  /// backlog full); a failure is retried a second later (the VM's next deadline).
  void qmp_connect(std::size_t i, time_point now) {
    vm_slot& s = slots_[i];
    const std::string& path = cfg_.vms[i].qmp_path;
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::memcpy(addr.sun_path, path.c_str(), path.size() + 1);  // ≤ 107 bytes: checked when read
    const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0 || ::connect(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof addr) != 0) {
      const std::string why = errno_text();
      if (fd >= 0) ::close(fd);
      return s.bmc->qmp_disconnected(now, why, false);
    }
    s.qmp_watched = EPOLLIN | EPOLLRDHUP;
    if (!watch(fd, s.qmp_watched, tag(source::qmp_connection, i))) {
      const std::string why = "epoll_ctl: " + errno_text();
      ::close(fd);
      return s.bmc->qmp_disconnected(now, why, false);
    }
    s.qmp = fd;
    s.bmc->qmp_connected(now);
  }

  void qmp_drop(std::size_t i, time_point now, const std::string& why) {
    vm_slot& s = slots_[i];
    ::epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, s.qmp, nullptr);
    ::close(s.qmp);
    s.qmp = -1;
    s.qmp_watched = 0;
    s.bmc->qmp_disconnected(now, why, true);
    touch(i);
  }

  /// Reads what QEMU sent (at most 64 KiB a turn: QEMU's lines are short, a flood waits its turn).
  void qmp_io(std::size_t i, std::uint32_t ev, time_point now) {
    vm_slot& s = slots_[i];
    if (s.qmp < 0) return;
    touch(i);
    std::array<char, 4096> buf;
    for (std::size_t total = 0; s.qmp >= 0 && total < qmp_machine::max_line;) {
      const ssize_t n = ::recv(s.qmp, buf.data(), buf.size(), 0);
      if (n > 0) {
        total += static_cast<std::size_t>(n);
        if (!s.bmc->qmp_receive(std::span<const char>(buf.data(), static_cast<std::size_t>(n)), now))
          return qmp_drop(i, now, "closed after a QMP protocol error");
        if (static_cast<std::size_t>(n) < buf.size()) break;
      } else if (n == 0) {
        return qmp_drop(i, now, "closed by QEMU");
      } else if (errno == EINTR) {
        continue;
      } else if (errno == EAGAIN || errno == EWOULDBLOCK) {
        break;
      } else {
        return qmp_drop(i, now, errno_text());
      }
    }
    if ((ev & (EPOLLHUP | EPOLLERR)) != 0 && (ev & EPOLLIN) == 0) qmp_drop(i, now, "connection error");
  }

  /// Writes the QMP commands waiting (a few short lines); the rest on EPOLLOUT.
  void qmp_flush(std::size_t i, time_point now) {
    vm_slot& s = slots_[i];
    bool blocked = false;
    while (s.qmp >= 0 && !s.bmc->qmp_outbound().empty()) {
      const std::string_view out = s.bmc->qmp_outbound();
      const ssize_t n = ::send(s.qmp, out.data(), out.size(), MSG_NOSIGNAL);
      if (n < 0) {
        if (errno == EINTR) continue;
        if (errno == EAGAIN || errno == EWOULDBLOCK) {
          blocked = true;
          break;
        }
        return qmp_drop(i, now, errno_text());
      }
      s.bmc->qmp_consumed(static_cast<std::size_t>(n));
    }
    const std::uint32_t want = EPOLLIN | EPOLLRDHUP | (blocked ? EPOLLOUT : 0u);
    if (s.qmp >= 0 && want != s.qmp_watched && watch(s.qmp, want, tag(source::qmp_connection, i), EPOLL_CTL_MOD))
      s.qmp_watched = want;
  }

  // --- the control socket --------------------------------------------------------------------

  [[nodiscard]] clock_type::duration idle_timeout() const { return std::chrono::seconds(cfg_.control_idle_timeout_s); }

  /// A whole line waits and the client's unsent answers are under the cap.
  static bool runnable(const control_client& c) {
    return !c.closing && c.out.size() < control_output_cap && c.in.find('\n') != std::string::npos;
  }

  void accept_control(time_point now) {
    const int fd = ::accept4(control_fd_, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) {
      const int err = errno;
      if (err == EAGAIN || err == EWOULDBLOCK || err == EINTR || err == ECONNABORTED) return;
      if (out_of_descriptors(err) && shed_connection(control_fd_, "error out of file descriptors\n")) {
        log_accept_failure({}, "control", err, "closed");
        return;
      }
      log_accept_failure({}, "control", err, "paused_1s");
      control_paused_ = true;
      pause_listener(control_fd_, tag(source::control_listener), now);
      return;
    }
    if (clients_.size() >= max_control_clients) {
      const char busy[] = "error too many control connections\n";
      (void)!::send(fd, busy, sizeof busy - 1, MSG_NOSIGNAL);
      ::close(fd);
      return;
    }
    const std::size_t slot = next_client_id_++;
    if (!watch(fd, EPOLLIN, tag(source::control_client, slot))) {
      ::close(fd);
      return;
    }
    control_client c;
    c.id = slot;
    c.fd = fd;
    c.last_activity = now;
    c.watched = EPOLLIN;
    clients_.push_back(std::move(c));
  }

  /// Reads and writes one client's socket; the lines run in serve_control_clients().
  void control_io(std::size_t id, std::uint32_t ev, time_point now) {
    const auto it = std::find_if(clients_.begin(), clients_.end(), [id](const control_client& x) { return x.id == id; });
    if (it == clients_.end()) return;
    control_client& c = *it;
    // Input is read only while no whole line waits: what a client can make us hold is one
    // read beyond a line (≤ 1 KiB), whatever it sends.
    if ((ev & (EPOLLIN | EPOLLHUP | EPOLLERR)) != 0 && !c.closing && !c.eof && c.in.find('\n') == std::string::npos) {
      char buf[512];
      const ssize_t n = ::recv(c.fd, buf, sizeof buf, 0);
      if (n > 0) {
        c.in.append(buf, static_cast<std::size_t>(n));
        c.last_activity = now;
      } else if (n == 0) {
        c.eof = true;
      } else if (errno != EAGAIN && errno != EINTR) {
        c.closing = true;
      }
    }
    if ((ev & EPOLLOUT) != 0) send_answers(c, now);
  }

  void send_answers(control_client& c, time_point now) {
    if (c.out.empty() || c.closing) return;
    const ssize_t n = ::send(c.fd, c.out.data(), c.out.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
    if (n > 0) {
      c.out.erase(0, static_cast<std::size_t>(n));
      c.last_activity = now;
    } else if (n < 0 && errno != EAGAIN && errno != EINTR) {
      c.closing = true;
    }
  }

  /// Runs waiting lines: per client at most `control_lines_per_turn`, and only while its unsent
  /// answers are under `control_output_cap` — the cap holds before an answer is made, so a
  /// client that sends many commands and reads nothing is paused, not buffered for.
  void serve_control_clients(time_point now) {
    for (control_client& c : clients_) {
      if (c.closing) continue;
      const std::size_t unsent_before = c.out.size();
      for (int k = 0; k < control_lines_per_turn && runnable(c); ++k) {
        const std::size_t nl = c.in.find('\n');
        if (nl > max_control_line) break;  // reported below
        const std::string line = c.in.substr(0, nl);
        c.in.erase(0, nl + 1);
        std::size_t acted_on = slots_.size();
        c.out += control_command(line, view_, now, &acted_on);
        // A power action queues VM commands: flush that VM this turn (view_ is in slot order).
        if (acted_on < slots_.size() && (slots_[acted_on].conn >= 0 || slots_[acted_on].qmp >= 0)) touch(acted_on);
      }
      // A line over the limit ends the client, wherever the reads split it.
      const std::size_t nl = c.in.find('\n');
      if ((nl != std::string::npos && nl > max_control_line) || (nl == std::string::npos && c.in.size() > max_control_line)) {
        c.out += "error line longer than 512 bytes\n";
        c.closing = true;
        continue;
      }
      if (now - c.last_activity >= idle_timeout()) {
        c.out += "error idle for " + std::to_string(cfg_.control_idle_timeout_s) + " s, closing\n";
        c.closing = true;
        continue;
      }
      // New answers go out now; older ones wait for EPOLLOUT (control_io), not a send per turn.
      if (c.out.size() > unsent_before || unsent_before == 0) send_answers(c, now);
      // Done: it closed its side and everything it asked for was answered and sent.
      if (c.eof && c.out.empty() && !runnable(c)) {
        c.closing = true;
        continue;
      }
      const bool want_input = !c.eof && c.in.find('\n') == std::string::npos;
      const std::uint32_t want = (want_input ? EPOLLIN : 0u) | (c.out.empty() ? 0u : EPOLLOUT);
      if (want != c.watched && watch(c.fd, want, tag(source::control_client, c.id), EPOLL_CTL_MOD)) c.watched = want;
    }
  }

  void reap_control_clients() {
    for (std::size_t k = 0; k < clients_.size();) {
      control_client& c = clients_[k];
      if (c.closing) {  // a last try for what is left (e.g. the "line too long" error), then close
        if (!c.out.empty()) (void)!::send(c.fd, c.out.data(), c.out.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
        ::close(c.fd);
        clients_.erase(clients_.begin() + static_cast<std::ptrdiff_t>(k));
        continue;
      }
      ++k;
    }
  }

  const config& cfg_;
  std::vector<vm_slot> slots_;
  std::vector<vm_bmc*> view_;
  std::vector<std::size_t> touched_;
  timer_heap timers_;
  std::vector<control_client> clients_;
  std::size_t next_client_id_ = 0;
  int epoll_fd_ = -1;
  int signal_fd_ = -1;
  int control_fd_ = -1;
  int reserve_fd_ = -1;
  bool control_bound_ = false;
  bool control_paused_ = false;
  bool log_watchable_ = false;
  std::uint32_t log_watched_ = 0;
  std::optional<time_point> resume_at_;  // paused listeners are watched again
  std::unique_ptr<lan_side> lan_;        // IPMI over LAN (lan.hpp); after view_, which it reads
  std::vector<std::unique_ptr<serial_console>> serial_;  // by VM; null: no serial console
  std::vector<std::size_t> serial_vms_;                  // the VMs that have one
  std::optional<time_point> serial_due_;                 // the earliest console deadline
  log_bucket accept_log_;
  std::uint64_t accept_failures_unlogged_ = 0;
};

// ---------------------------------------------------------------------------------------------
// Command line

constexpr const char* usage_text =
    "usage: ipmikit-bmc --config FILE [--control PATH] [--verbose] [--check]\n"
    "       ipmikit-bmc [--listen ADDR:PORT] [--verbose]\n"
    "\n"
    "An external BMC for QEMU's ipmi-bmc-extern device (the \"VM\" protocol over TCP or a UNIX\n"
    "socket), for many VMs in one process. It answers each guest's IPMI requests (device id,\n"
    "self test, global enables, message flags, event message buffer, chassis status and\n"
    "control, the watchdog timer) and runs the IPMI watchdog outside the VM: when a guest stops\n"
    "resetting it, that VM is reset or powered off.\n"
    "\n"
    "  --config FILE       the VMs to serve (docs/ipmikit-bmc.md, \"Configuration\")\n"
    "  --check             only read the configuration; exit 0 if it is valid, 2 if not\n"
    "  --control PATH      the operator's UNIX control socket (overrides [bmc] control)\n"
    "  --listen ADDR:PORT  without --config: one VM named \"vm\" there (default 127.0.0.1:9002;\n"
    "                      [ADDR]:PORT for IPv6, port 0 picks a free one; unix:PATH too)\n"
    "  -v, --verbose       also log every request and write\n"
    "  -h, --help          show this help\n"
    "\n"
    "QEMU side, per VM:\n"
    "  -chardev socket,id=ipmi0,host=127.0.0.1,port=9002,reconnect=1   (or path=SOCKET)\n"
    "  -device ipmi-bmc-extern,id=bmc0,chardev=ipmi0 -device isa-ipmi-kcs,bmc=bmc0\n"
    "\n"
    "One logfmt line per event on stdout. Control socket: list, status NAME,\n"
    "power on|off|cycle|reset|nmi|soft NAME, sel list|clear NAME, boot get|set NAME (help: all).\n"
    "With qmp = unix:PATH for a VM (QEMU -no-shutdown -qmp unix:PATH,server=on,wait=off), power on,\n"
    "off and cycle are real and the power state is QEMU's (docs/ipmikit-bmc.md, \"Power\").\n"
    "Exit status: 0 stopped by SIGINT/SIGTERM, 1 runtime error, 2 usage or configuration error.\n";

int usage_error(const std::string& message) { return ipmikit_apps::usage_error("ipmikit-bmc", message); }

/// Descriptors open now: those inherited from whoever started us count against the limit too.
std::size_t open_descriptors() {
  std::size_t n = 0;
  if (DIR* d = ::opendir("/proc/self/fd")) {
    while (const dirent* e = ::readdir(d))
      if (e->d_name[0] != '.') ++n;
    ::closedir(d);
    return n - 1;  // the directory's own descriptor
  }
  for (int fd = 0; fd < 65536; ++fd)  // no /proc: ask each number (bounded)
    if (::fcntl(fd, F_GETFD) != -1) ++n;
  return n;
}

/// Raises the open-file limit to what `vms` VMs need (listener + connection each, a QMP
/// connection each of the `qmp_vms` that have one, the control
/// clients, the process's own and the inherited descriptors); false if the hard limit is too low.
bool raise_file_limit(std::size_t vms, std::size_t qmp_vms) {
  constexpr std::size_t own = 16;  // epoll, signalfd, control listener, reserve, log, probes, margin
  const std::size_t inherited = open_descriptors();
  const rlim_t need = static_cast<rlim_t>(inherited + 2 * vms + qmp_vms + max_control_clients + own);
  rlimit lim{};
  if (::getrlimit(RLIMIT_NOFILE, &lim) != 0) return false;
  if (lim.rlim_cur >= need) return true;
  if (lim.rlim_max != RLIM_INFINITY && lim.rlim_max < need) {
    std::fprintf(stderr,
                 "ipmikit-bmc: %zu VMs need %llu open files (%zu of them already open when it started); the hard "
                 "limit is %llu (raise it: ulimit -Hn, or close the descriptors it inherits)\n",
                 vms, static_cast<unsigned long long>(need), inherited, static_cast<unsigned long long>(lim.rlim_max));
    return false;
  }
  lim.rlim_cur = need;
  return ::setrlimit(RLIMIT_NOFILE, &lim) == 0;
}

}  // namespace

int main(int argc, char** argv) {
  std::optional<std::string> config_path;
  std::optional<std::string> listen_spec;
  std::optional<std::string> control_path;
  bool verbose = false;
  bool check_only = false;
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    auto value = [&](std::string_view option, std::optional<std::string>& into) -> bool {
      if (arg == option) {
        if (i + 1 >= argc) return false;
        into = argv[++i];
        return true;
      }
      into = std::string(arg.substr(option.size() + 1));
      return true;
    };
    if (arg == "-h" || arg == "--help") {
      std::fputs(usage_text, stdout);
      return exit_ok;
    }
    if (arg == "-v" || arg == "--verbose") {
      verbose = true;
    } else if (arg == "--check") {
      check_only = true;
    } else if (arg == "--config" || arg.starts_with("--config=")) {
      if (!value("--config", config_path)) return usage_error("--config needs a FILE");
    } else if (arg == "--listen" || arg.starts_with("--listen=")) {
      if (!value("--listen", listen_spec)) return usage_error("--listen needs ADDR:PORT");
    } else if (arg == "--control" || arg.starts_with("--control=")) {
      if (!value("--control", control_path)) return usage_error("--control needs a PATH");
    } else {
      return usage_error("unknown option '" + std::string(arg) + "'");
    }
  }
  if (config_path && listen_spec) return usage_error("--listen and --config exclude each other (put listen in the file)");
  if (check_only && !config_path) return usage_error("--check needs --config FILE");

  config cfg;
  if (config_path) {
    std::ifstream in(*config_path);
    if (!in) {
      std::fprintf(stderr, "ipmikit-bmc: %s: cannot read: %s\n", config_path->c_str(), errno_text().c_str());
      return exit_usage;
    }
    std::stringstream text;
    text << in.rdbuf();
    config_result r = parse_config(text.str());
    if (!r.ok()) {
      std::fprintf(stderr, "%s:%d: %s\n", config_path->c_str(), r.error->line, r.error->message.c_str());
      return exit_usage;
    }
    cfg = std::move(r.cfg);
    if (check_only) {
      std::printf("%s: ok, %zu VMs\n", config_path->c_str(), cfg.vms.size());
      return exit_ok;
    }
  } else {
    vm_config v;
    v.name = "vm";
    if (auto e = parse_listen(listen_spec.value_or("127.0.0.1:9002"), v.listen)) return usage_error("--listen: " + *e);
    cfg.vms.push_back(std::move(v));
  }
  if (control_path) cfg.control_path = *control_path;
  const auto qmp_vms = static_cast<std::size_t>(
      std::count_if(cfg.vms.begin(), cfg.vms.end(), [](const vm_config& v) { return !v.qmp_path.empty(); }));
  if (!raise_file_limit(cfg.vms.size(), qmp_vms)) return exit_runtime;

  // Log lines go through a bounded buffer written without blocking (log.hpp).
  g_log_output().open_stdout();
  g_log_sink = &buffered_sink;
  server s(cfg, verbose);
  if (!s.open()) return exit_runtime;
  return s.run();
}
