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
// Exit status: 0 stopped by SIGINT/SIGTERM; 1 runtime error (cannot listen, epoll failed,
// open-file limit too low); 2 usage or configuration error (FILE:LINE: message).
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
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
#include <queue>
#include <sstream>
#include <vector>

#include "bmc.hpp"
#include "config.hpp"
#include "control.hpp"
#include "log.hpp"

namespace {

using namespace ipmikit_bmc;

constexpr int exit_ok = 0;
constexpr int exit_runtime = 1;
constexpr int exit_usage = 2;

constexpr std::size_t read_chunk = 512;        // bytes read from one VM per loop turn
constexpr std::size_t backed_up_room = 1024;   // stop reading a VM with less outbound room
constexpr std::size_t max_control_clients = 16;

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

/// What an epoll event belongs to: the low 3 bits say the kind, the rest an index.
enum class source : std::uint64_t { signal = 0, vm_listener = 1, vm_connection = 2, control_listener = 3, control_client = 4 };
constexpr std::uint64_t tag(source s, std::size_t index = 0) { return (static_cast<std::uint64_t>(index) << 3) | static_cast<std::uint64_t>(s); }

struct vm_slot {
  std::unique_ptr<vm_bmc> bmc;
  int listener = -1;
  int conn = -1;
  std::uint32_t watched = 0;               // epoll events registered for conn
  std::optional<time_point> scheduled;     // the deadline in the timer heap
  bool touched = false;                    // in this turn's list to flush and reschedule
  bool bound_path = false;                 // a UNIX socket file this process created
};

struct control_client {
  std::size_t id = 0;  // the epoll tag's index: stable while clients come and go
  int fd = -1;
  std::string in;
  std::string out;
  bool closing = false;
};

class server {
 public:
  server(const config& cfg, bool verbose) : cfg_(cfg) {
    slots_.resize(cfg.vms.size());
    for (std::size_t i = 0; i < cfg.vms.size(); ++i) {
      slots_[i].bmc = std::make_unique<vm_bmc>(cfg.vms[i]);
      slots_[i].bmc->set_verbose(verbose);
      view_.push_back(slots_[i].bmc.get());
    }
  }
  server(const server&) = delete;
  server& operator=(const server&) = delete;
  ~server() {
    for (vm_slot& s : slots_) {
      if (s.conn >= 0) ::close(s.conn);
      if (s.listener >= 0) ::close(s.listener);
    }
    for (control_client& c : clients_) ::close(c.fd);
    if (control_fd_ >= 0) ::close(control_fd_);
    if (signal_fd_ >= 0) ::close(signal_fd_);
    if (epoll_fd_ >= 0) ::close(epoll_fd_);
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
    log_event({}, "event=ready vms=%zu control=%s", slots_.size(),
              cfg_.control_path.empty() ? "none" : quoted(cfg_.control_path).c_str());
    return true;
  }

  int run() {
    std::array<epoll_event, 256> events{};
    while (true) {
      time_point now = clock_type::now();
      const int n = ::epoll_wait(epoll_fd_, events.data(), static_cast<int>(events.size()), timeout_ms(now));
      if (n < 0) {
        if (errno == EINTR) continue;
        log_event({}, "event=fatal reason=%s", quoted("epoll_wait: " + errno_text()).c_str());
        return exit_runtime;
      }
      now = clock_type::now();
      for (int k = 0; k < n; ++k) {
        const std::uint64_t t = events[static_cast<std::size_t>(k)].data.u64;
        const std::uint32_t ev = events[static_cast<std::size_t>(k)].events;
        const std::size_t index = static_cast<std::size_t>(t >> 3);
        switch (static_cast<source>(t & 7u)) {
          case source::signal:
            if (stop_requested()) return shut_down(now);
            break;
          case source::vm_listener: accept_vm(index, now); break;
          case source::vm_connection: vm_io(index, ev, now); break;
          case source::control_listener: accept_control(); break;
          case source::control_client: control_io(index, ev, now); break;
        }
      }
      run_timers(now);
      settle(now);
      reap_control_clients();
    }
  }

 private:
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
    return exit_ok;
  }

  // --- VMs -----------------------------------------------------------------------------------

  void accept_vm(std::size_t i, time_point now) {
    vm_slot& s = slots_[i];
    for (int tries = 0; tries < 4; ++tries) {
      sockaddr_storage addr{};
      socklen_t len = sizeof addr;
      const int fd = ::accept4(s.listener, reinterpret_cast<sockaddr*>(&addr), &len, SOCK_NONBLOCK | SOCK_CLOEXEC);
      if (fd < 0) {
        if (errno == EINTR || errno == ECONNABORTED) continue;
        if (errno != EAGAIN && errno != EWOULDBLOCK)
          log_event(s.bmc->name(), "event=accept_failed reason=%s", quoted(errno_text()).c_str());
        return;
      }
      const std::string who = address_text(reinterpret_cast<const sockaddr*>(&addr), len);
      if (s.conn >= 0) {  // one connection per VM, like ipmi_sim: the newcomer is closed at once
        log_event(s.bmc->name(), "event=refused peer=%s reason=\"a VM is connected\"", quoted(who).c_str());
        ::close(fd);
        continue;
      }
      if (addr.ss_family != AF_UNIX) {
        const int one = 1;
        ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
      }
      s.watched = EPOLLIN;
      if (!watch(fd, s.watched, tag(source::vm_connection, i))) {
        log_event(s.bmc->name(), "event=accept_failed reason=%s", quoted("epoll_ctl: " + errno_text()).c_str());
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
    if ((ev & (EPOLLIN | EPOLLHUP | EPOLLERR)) != 0 && (s.watched & EPOLLIN) != 0) {
      std::array<std::uint8_t, read_chunk> buf;
      const ssize_t n = ::recv(s.conn, buf.data(), buf.size(), 0);
      if (n > 0) {
        s.bmc->receive(std::span<const std::uint8_t>(buf.data(), static_cast<std::size_t>(n)), now);
      } else if (n == 0) {
        return drop(i, now, "closed by the VM");
      } else if (errno != EINTR && errno != EAGAIN && errno != EWOULDBLOCK) {
        return drop(i, now, errno_text());
      }
    } else if ((ev & (EPOLLHUP | EPOLLERR)) != 0 && (ev & EPOLLOUT) == 0) {
      return drop(i, now, "connection error");
    }
    // EPOLLOUT needs nothing here: settle() flushes every touched VM.
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
      if (s.bmc->verbose()) log_event(s.bmc->name(), "event=sent bytes=%zd", n);
      session.consume(static_cast<std::size_t>(n), now);
      if (static_cast<std::size_t>(n) < chunk.size()) {
        blocked = true;
        break;
      }
    }
    if (s.conn < 0) return;
    // Backpressure: a VM that does not read its answers is not read either.
    const bool read = session.outbound_room() >= backed_up_room;
    const std::uint32_t want = (read ? EPOLLIN : 0u) | (blocked ? EPOLLOUT : 0u);
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

  /// Flushes every VM that had an event this turn and puts its next deadline in the heap.
  void settle(time_point now) {
    // By index: a flush that fails drops the connection, which touches the VM again (appended).
    for (std::size_t k = 0; k < touched_.size(); ++k) {
      const std::size_t i = touched_[k];
      vm_slot& s = slots_[i];
      s.touched = false;
      if (s.conn >= 0) flush(i, now);
      const auto due = s.bmc->next_deadline();
      if (due && (!s.scheduled || *due != *s.scheduled)) timers_.push({*due, i});
      s.scheduled = due;
    }
    touched_.clear();
  }

  // --- timers: one heap for every VM; an entry whose time is no longer the VM's is stale ----

  struct timer {
    time_point when;
    std::size_t vm;
    bool operator>(const timer& o) const { return when > o.when; }
  };

  void drop_stale_timers() {
    while (!timers_.empty()) {
      const timer& t = timers_.top();
      if (slots_[t.vm].scheduled && *slots_[t.vm].scheduled == t.when) return;
      timers_.pop();
    }
  }

  int timeout_ms(time_point now) {
    drop_stale_timers();
    if (timers_.empty()) return -1;
    const long long ms = std::chrono::ceil<std::chrono::milliseconds>(timers_.top().when - now).count();
    return static_cast<int>(std::clamp<long long>(ms, 0, INT_MAX));
  }

  void run_timers(time_point now) {
    drop_stale_timers();
    while (!timers_.empty() && timers_.top().when <= now) {
      const std::size_t i = timers_.top().vm;
      timers_.pop();
      slots_[i].scheduled.reset();
      slots_[i].bmc->poll(now);
      touch(i);
      drop_stale_timers();
    }
  }

  // --- the control socket --------------------------------------------------------------------

  void accept_control() {
    const int fd = ::accept4(control_fd_, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) return;
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
    clients_.push_back(control_client{slot, fd, {}, {}, false});
  }

  void control_io(std::size_t id, std::uint32_t ev, time_point now) {
    const auto it = std::find_if(clients_.begin(), clients_.end(), [id](const control_client& x) { return x.id == id; });
    if (it == clients_.end()) return;
    control_client& c = *it;
    if ((ev & (EPOLLIN | EPOLLHUP | EPOLLERR)) != 0 && !c.closing) {
      char buf[512];
      const ssize_t n = ::recv(c.fd, buf, sizeof buf, 0);
      if (n <= 0) {
        if (n == 0 || (errno != EAGAIN && errno != EINTR)) c.closing = true;
      } else {
        c.in.append(buf, static_cast<std::size_t>(n));
        for (std::size_t nl; (nl = c.in.find('\n')) != std::string::npos;) {
          const std::string line = c.in.substr(0, nl);
          c.in.erase(0, nl + 1);
          std::size_t acted_on = slots_.size();
          c.out += control_command(line, view_, now, &acted_on);
          // A power action queues VM commands: flush that VM this turn (view_ is in slot order).
          if (acted_on < slots_.size() && slots_[acted_on].conn >= 0) touch(acted_on);
        }
        if (c.in.size() > max_control_line) {
          c.out += "error line longer than 512 bytes\n";
          c.closing = true;
        }
      }
    }
    if (!c.out.empty()) {
      const ssize_t n = ::send(c.fd, c.out.data(), c.out.size(), MSG_NOSIGNAL);
      if (n > 0) c.out.erase(0, static_cast<std::size_t>(n));
      else if (n < 0 && errno != EAGAIN && errno != EINTR) c.closing = true;
      watch(c.fd, c.out.empty() ? EPOLLIN : EPOLLIN | EPOLLOUT, tag(source::control_client, id), EPOLL_CTL_MOD);
    }
    if (c.out.size() > 1u << 20) c.closing = true;  // a client that never reads
  }

  void reap_control_clients() {
    for (std::size_t k = 0; k < clients_.size();) {
      control_client& c = clients_[k];
      if (c.closing) {  // a last try for what is left (e.g. the "line too long" error), then close
        if (!c.out.empty()) (void)!::send(c.fd, c.out.data(), c.out.size(), MSG_NOSIGNAL);
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
  std::priority_queue<timer, std::vector<timer>, std::greater<>> timers_;
  std::vector<control_client> clients_;
  std::size_t next_client_id_ = 0;
  int epoll_fd_ = -1;
  int signal_fd_ = -1;
  int control_fd_ = -1;
  bool control_bound_ = false;
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
    "power off|reset|nmi|soft NAME.\n"
    "Exit status: 0 stopped by SIGINT/SIGTERM, 1 runtime error, 2 usage or configuration error.\n";

int usage_error(const std::string& message) {
  std::fprintf(stderr, "ipmikit-bmc: %s\nTry 'ipmikit-bmc --help'.\n", message.c_str());
  return exit_usage;
}

/// Raises the open-file limit to what `vms` VMs need (listener + connection each); false if
/// the hard limit is too low.
bool raise_file_limit(std::size_t vms) {
  const rlim_t need = static_cast<rlim_t>(2 * vms + max_control_clients + 16);
  rlimit lim{};
  if (::getrlimit(RLIMIT_NOFILE, &lim) != 0) return false;
  if (lim.rlim_cur >= need) return true;
  if (lim.rlim_max != RLIM_INFINITY && lim.rlim_max < need) {
    std::fprintf(stderr, "ipmikit-bmc: %zu VMs need %llu open files; the hard limit is %llu (raise it: ulimit -Hn)\n",
                 vms, static_cast<unsigned long long>(need), static_cast<unsigned long long>(lim.rlim_max));
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
  if (!raise_file_limit(cfg.vms.size())) return exit_runtime;

  server s(cfg, verbose);
  if (!s.open()) return exit_runtime;
  return s.run();
}
