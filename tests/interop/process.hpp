// tests/interop/process.hpp — child processes, temporary directories and free ports for the
// real-peer tests (POSIX; Linux extras where noted).
//
// * `process::spawn(argv, options)`: fork + exec with stdin from /dev/null and stdout/stderr
//   appended to a log file. The program is looked up in PATH *before* fork (what execvp would
//   do), so the child only calls async-signal-safe functions; an exec failure is reported to
//   the parent through a close-on-exec pipe, so `spawn` fails instead of leaving a child that
//   exits 127. On Linux the child gets PR_SET_PDEATHSIG = SIGKILL: if the test process dies
//   (ctest timeout, crash), its children die with it instead of holding ports.
//   `spawn_options` can also give the child stdin, stdout and stderr on descriptors the test
//   holds (pipes, separate files) instead of /dev/null and the log, leave it `inherit_count` open
//   descriptors without close-on-exec (copies of /dev/null at the lowest free numbers from
//   `inherit_from` up), and set its RLIMIT_NOFILE (soft = hard = `nofile`) just before exec;
//   a failure of those steps is reported like an exec failure. The defaults do none of it.
// * `process::stop()`: SIGTERM, a bounded wait, SIGKILL, a bounded wait; the destructor calls
//   it. A process is only ever signalled while it is our unreaped child, so its PID cannot have
//   been reused.
// * `temp_dir`: mkdtemp under $TMPDIR (or /tmp), removed recursively by the destructor unless
//   `keep()` was called (the harness keeps it when a check failed, to leave the logs).
// * `free_tcp_port()` / `free_udp_port()`: bind 127.0.0.1:0, read the port, close. Another
//   process could take the port before it is used; on a test machine that is rare.
#pragma once

#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <system_error>
#include <vector>

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>
#ifdef __linux__
#include <sys/prctl.h>
#endif

#include "check.hpp"
#include "common.hpp"

namespace ipmikit::interop {

// ---------------------------------------------------------------------------------------------
// Files

[[nodiscard]] inline status write_file(const std::string& path, std::span<const std::uint8_t> data) {
  unique_fd fd(::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
  if (!fd) return fail_errno("open " + path);
  std::size_t done_bytes = 0;
  while (done_bytes < data.size()) {
    const ssize_t n = ::write(fd.get(), data.data() + done_bytes, data.size() - done_bytes);
    if (n < 0) {
      if (errno == EINTR) continue;
      return fail_errno("write " + path);
    }
    done_bytes += static_cast<std::size_t>(n);
  }
  if (::close(fd.release()) != 0) return fail_errno("close " + path);
  return success();
}

[[nodiscard]] inline status write_file(const std::string& path, std::string_view text) {
  return write_file(path, as_bytes(text));
}

/// The first `max_bytes` of a file.
[[nodiscard]] inline result<std::string> read_file(const std::string& path,
                                                   std::size_t max_bytes = 1u << 20) {
  unique_fd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd) return fail_errno("open " + path);
  std::string text;
  char buf[4096];
  while (text.size() < max_bytes) {
    const ssize_t n = ::read(fd.get(), buf, sizeof buf);
    if (n < 0) {
      if (errno == EINTR) continue;
      return fail_errno("read " + path);
    }
    if (n == 0) break;
    text.append(buf, std::min(static_cast<std::size_t>(n), max_bytes - text.size()));
  }
  return text;
}

/// The last `max_bytes` of a file, or a note saying why it could not be read.
[[nodiscard]] inline std::string file_tail(const std::string& path, std::size_t max_bytes = 4096) {
  auto text = read_file(path, 16u << 20);
  if (!text) return "(" + text.error() + ")";
  if (text->size() <= max_bytes) return *text;
  return "…" + text->substr(text->size() - max_bytes);
}

// ---------------------------------------------------------------------------------------------
// Temporary directory

class temp_dir {
 public:
  temp_dir() = default;
  temp_dir(const temp_dir&) = delete;
  temp_dir& operator=(const temp_dir&) = delete;
  temp_dir(temp_dir&& other) noexcept
      : path_(std::exchange(other.path_, {})), keep_(other.keep_) {}
  temp_dir& operator=(temp_dir&& other) noexcept {
    if (this != &other) {
      remove();
      path_ = std::exchange(other.path_, {});
      keep_ = other.keep_;
    }
    return *this;
  }
  ~temp_dir() { remove(); }

  /// A new directory `$TMPDIR/<prefix>-XXXXXX` (or /tmp when TMPDIR is unset or empty).
  [[nodiscard]] static result<temp_dir> create(std::string_view prefix = "ipmikit-interop") {
    const char* base = std::getenv("TMPDIR");
    std::string templ = (base != nullptr && *base != '\0') ? base : "/tmp";
    while (templ.size() > 1 && templ.back() == '/') templ.pop_back();
    templ += '/';
    templ += prefix;
    templ += "-XXXXXX";
    std::vector<char> buf(templ.begin(), templ.end());
    buf.push_back('\0');
    if (::mkdtemp(buf.data()) == nullptr) return fail_errno("mkdtemp " + templ);
    temp_dir d;
    d.path_ = buf.data();
    return d;
  }

  [[nodiscard]] const std::string& path() const noexcept { return path_; }
  /// path()/name.
  [[nodiscard]] std::string file(std::string_view name) const {
    std::string p = path_;
    p += '/';
    p += name;
    return p;
  }
  /// Leaves the directory in place (for the logs after a failure).
  void keep(bool k = true) noexcept { keep_ = k; }
  [[nodiscard]] bool kept() const noexcept { return keep_; }

 private:
  void remove() noexcept {
    if (path_.empty() || keep_) return;
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);  // error ignored: nothing useful to do about it
    path_.clear();
  }

  std::string path_;
  bool keep_ = false;
};

/// Keeps `dir` for a look at its files, and says where, when a check failed or
/// IPMIKIT_INTEROP_KEEP asks for it.
inline void keep_for_inspection(temp_dir& dir, int failures) {
  if (failures == 0 && !keep_requested()) return;
  dir.keep();
  say("kept " + dir.path());
}

// ---------------------------------------------------------------------------------------------
// Free ports on 127.0.0.1

namespace detail {
[[nodiscard]] inline result<std::uint16_t> free_port(int type, const char* what) {
  unique_fd fd(::socket(AF_INET, type | SOCK_CLOEXEC, 0));
  if (!fd) return fail_errno(std::string("socket for a free ") + what + " port");
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = 0;
  if (::inet_pton(AF_INET, "127.0.0.1", &addr.sin_addr) != 1) return fail("inet_pton 127.0.0.1");
  if (::bind(fd.get(), reinterpret_cast<const sockaddr*>(&addr), sizeof addr) != 0)
    return fail_errno(std::string("bind 127.0.0.1:0 (") + what + ")");
  socklen_t len = sizeof addr;
  if (::getsockname(fd.get(), reinterpret_cast<sockaddr*>(&addr), &len) != 0)
    return fail_errno("getsockname");
  return static_cast<std::uint16_t>(ntohs(addr.sin_port));
}
}  // namespace detail

/// A TCP port on 127.0.0.1 that was free a moment ago.
[[nodiscard]] inline result<std::uint16_t> free_tcp_port() {
  return detail::free_port(SOCK_STREAM, "TCP");
}
/// A UDP port on 127.0.0.1 that was free a moment ago (IPMI LAN is UDP).
[[nodiscard]] inline result<std::uint16_t> free_udp_port() {
  return detail::free_port(SOCK_DGRAM, "UDP");
}

// ---------------------------------------------------------------------------------------------
// Processes

/// How a child ended.
struct exit_status {
  bool exited = false;  // exited normally: `code` is valid; otherwise `signal` killed it
  int code = 0;
  int signal = 0;

  [[nodiscard]] static exit_status from_wait_status(int st) noexcept {
    exit_status s;
    if (WIFEXITED(st)) {
      s.exited = true;
      s.code = WEXITSTATUS(st);
    } else if (WIFSIGNALED(st)) {
      s.signal = WTERMSIG(st);
    }
    return s;
  }
  [[nodiscard]] bool success() const noexcept { return exited && code == 0; }
  [[nodiscard]] bool killed_by(int sig) const noexcept { return !exited && signal == sig; }

  [[nodiscard]] std::string describe() const {
    if (exited) return "exited with code " + std::to_string(code);
    const char* name = ::strsignal(signal);
    return "killed by signal " + std::to_string(signal) + " (" + (name ? name : "?") + ")";
  }
};

/// Where an executable named `name` is: `name` itself if it contains a '/', else the first
/// match in $PATH (as execvp searches).
[[nodiscard]] inline std::optional<std::string> find_program(std::string_view name) {
  if (name.empty()) return std::nullopt;
  if (name.find('/') != std::string_view::npos) {
    std::string p(name);
    if (::access(p.c_str(), X_OK) == 0) return p;
    return std::nullopt;
  }
  const char* env = std::getenv("PATH");
  std::string_view path = (env != nullptr && *env != '\0') ? env : "/usr/local/bin:/usr/bin:/bin";
  while (true) {
    const auto colon = path.find(':');
    std::string_view dir = path.substr(0, colon);
    std::string candidate(dir.empty() ? std::string_view(".") : dir);
    candidate += '/';
    candidate += name;
    struct stat st {};
    if (::stat(candidate.c_str(), &st) == 0 && S_ISREG(st.st_mode) &&
        ::access(candidate.c_str(), X_OK) == 0)
      return candidate;
    if (colon == std::string_view::npos) break;
    path.remove_prefix(colon + 1);
  }
  return std::nullopt;
}

struct spawn_options {
  std::string log_path;    // stdout and stderr are appended here; empty: inherit the test's
  bool stdin_null = true;  // stdin from /dev/null; false: inherit
  int input_fd = -1;       // >= 0: stdin dup2'd from this descriptor instead (a pipe the test writes)
  int output_fd = -1;      // >= 0: stdout (and stderr, unless error_fd >= 0) dup2'd from this
                           // descriptor instead of log_path, which is then not opened
  int error_fd = -1;       // >= 0: stderr dup2'd from this descriptor
  int inherit_count = 0;   // copies of /dev/null left open across exec (no close-on-exec)…
  int inherit_from = 100;  // …at the lowest free descriptor numbers from here up
  rlim_t nofile = 0;       // not 0: RLIMIT_NOFILE soft = hard = this, set just before exec
};

class process {
 public:
  process() = default;
  process(const process&) = delete;
  process& operator=(const process&) = delete;
  process(process&& other) noexcept
      : pid_(std::exchange(other.pid_, -1)),
        status_(std::exchange(other.status_, std::nullopt)),
        name_(std::move(other.name_)),
        log_path_(std::move(other.log_path_)) {}
  process& operator=(process&& other) noexcept {
    if (this != &other) {
      (void)stop();
      pid_ = std::exchange(other.pid_, -1);
      status_ = std::exchange(other.status_, std::nullopt);
      name_ = std::move(other.name_);
      log_path_ = std::move(other.log_path_);
    }
    return *this;
  }
  ~process() { (void)stop(); }

  /// Starts argv[0] (looked up in PATH) with arguments argv[1..].
  [[nodiscard]] static result<process> spawn(const std::vector<std::string>& argv,
                                             const spawn_options& options = {}) {
    if (argv.empty()) return fail("spawn: empty argv");
    const auto program = find_program(argv[0]);
    if (!program) return fail("spawn: program not found in PATH: " + argv[0]);

    // Everything the child needs is prepared here: after fork() it only calls
    // async-signal-safe functions (the test may have other threads).
    std::vector<std::string> args = argv;
    std::vector<char*> cargv;
    cargv.reserve(args.size() + 1);
    for (auto& a : args) cargv.push_back(a.data());
    cargv.push_back(nullptr);

    unique_fd log;
    if (!options.log_path.empty() && options.output_fd < 0) {
      log.reset(::open(options.log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644));
      if (!log) return fail_errno("spawn: open log " + options.log_path);
    }
    unique_fd null_in;
    if (options.stdin_null && options.input_fd < 0) {
      null_in.reset(::open("/dev/null", O_RDONLY | O_CLOEXEC));
      if (!null_in) return fail_errno("spawn: open /dev/null");
    }
    int pipe_fds[2];
    if (::pipe2(pipe_fds, O_CLOEXEC) != 0) return fail_errno("spawn: pipe2");
    unique_fd err_read(pipe_fds[0]);
    unique_fd err_write(pipe_fds[1]);

    const pid_t parent = ::getpid();
    const pid_t pid = ::fork();
    if (pid < 0) return fail_errno("spawn: fork");
    if (pid == 0) {
      // Child.
#ifdef __linux__
      ::prctl(PR_SET_PDEATHSIG, SIGKILL);
      if (::getppid() != parent) ::_exit(127);  // the parent is already gone
#else
      (void)parent;
#endif
      sigset_t none;
      sigemptyset(&none);
      ::sigprocmask(SIG_SETMASK, &none, nullptr);
      struct sigaction dfl {};
      dfl.sa_handler = SIG_DFL;
      ::sigaction(SIGPIPE, &dfl, nullptr);
      if (options.input_fd >= 0) ::dup2(options.input_fd, STDIN_FILENO);
      else if (null_in.valid()) ::dup2(null_in.get(), STDIN_FILENO);
      const int out = options.output_fd >= 0 ? options.output_fd : log.get();
      const int err_out = options.error_fd >= 0 ? options.error_fd : out;
      if (out >= 0) ::dup2(out, STDOUT_FILENO);
      if (err_out >= 0) ::dup2(err_out, STDERR_FILENO);
      // {step, errno} to the parent: which step failed (0 exec, 1 inherited descriptors,
      // 2 RLIMIT_NOFILE) and why.
      int failed[2] = {0, 0};
      if (options.inherit_count > 0) {
        const int nul = ::open("/dev/null", O_RDWR);  // no O_CLOEXEC: that is the point
        if (nul < 0) failed[1] = errno;
        for (int k = 0; k < options.inherit_count && failed[1] == 0; ++k)
          if (::fcntl(nul, F_DUPFD, options.inherit_from) < 0) failed[1] = errno;
        if (nul >= 0) ::close(nul);
        if (failed[1] != 0) failed[0] = 1;
      }
      if (failed[1] == 0 && options.nofile != 0) {
        const rlimit lim{options.nofile, options.nofile};
        if (::setrlimit(RLIMIT_NOFILE, &lim) != 0) {
          failed[0] = 2;
          failed[1] = errno;
        }
      }
      if (failed[1] == 0) {
        ::execv(program->c_str(), cargv.data());
        failed[1] = errno;
      }
      ssize_t ignored = ::write(err_write.get(), failed, sizeof failed);
      (void)ignored;
      ::_exit(127);
    }

    // Parent: EOF on the pipe means exec succeeded (close-on-exec closed it).
    err_write.reset();
    process p;
    p.pid_ = pid;
    p.name_ = argv[0];
    p.log_path_ = options.output_fd < 0 ? options.log_path : std::string();
    pollfd pfd{err_read.get(), POLLIN, 0};
    int ready = -1;
    for (int tries = 0; tries < 100; ++tries) {
      ready = ::poll(&pfd, 1, 10000);
      if (ready >= 0 || errno != EINTR) break;
    }
    if (ready <= 0) return fail("spawn " + argv[0] + ": no word from the child within 10 s");
    int failed[2] = {0, 0};
    const ssize_t n = ::read(err_read.get(), failed, sizeof failed);
    if (n == static_cast<ssize_t>(sizeof failed)) {
      (void)p.wait_exit(millis(2000));  // reap it
      static constexpr const char* steps[] = {"exec ", "inherited descriptors for ",
                                              "RLIMIT_NOFILE for "};
      const int step = failed[0] >= 0 && failed[0] <= 2 ? failed[0] : 0;
      return fail(errno_text("spawn: " + std::string(steps[step]) + *program, failed[1]));
    }
    return p;
  }

  [[nodiscard]] pid_t pid() const noexcept { return pid_; }
  [[nodiscard]] const std::string& name() const noexcept { return name_; }
  [[nodiscard]] const std::string& log_path() const noexcept { return log_path_; }
  /// How it ended, once reaped.
  [[nodiscard]] const std::optional<exit_status>& ended() const noexcept { return status_; }

  /// True while the child runs (reaps it if it has ended).
  [[nodiscard]] bool alive() {
    if (pid_ < 0 || status_) return false;
    return !reap();
  }

  /// Waits up to `timeout` for the child to end; nullopt if it still runs.
  [[nodiscard]] std::optional<exit_status> wait_exit(millis timeout) {
    if (pid_ < 0) return std::nullopt;
    const deadline d(timeout);
    for (int i = 0;; ++i) {
      if (status_ || reap()) return status_;
      if (d.expired()) return std::nullopt;
      sleep_ms(i < 20 ? 1 : 10);
    }
  }

  /// SIGTERM, up to `grace` to end, then SIGKILL and up to 2 s more. Returns how it ended.
  result<exit_status> stop(millis grace = millis(3000)) {
    if (pid_ < 0) return fail("stop: no process");
    if (status_ || reap()) return *status_;
    ::kill(pid_, SIGTERM);
    if (auto s = wait_exit(grace)) return *s;
    ::kill(pid_, SIGKILL);
    if (auto s = wait_exit(millis(2000))) return *s;
    return fail("stop: " + name_ + " (pid " + std::to_string(pid_) +
                ") did not end 2 s after SIGKILL");
  }

 private:
  // One waitpid(WNOHANG); true once the child has been reaped.
  bool reap() {
    if (status_) return true;
    int st = 0;
    pid_t r;
    do {
      r = ::waitpid(pid_, &st, WNOHANG);
    } while (r < 0 && errno == EINTR);
    if (r == 0) return false;
    if (r == pid_) {
      status_ = exit_status::from_wait_status(st);
    } else {
      status_ = exit_status{false, 0, 0};  // ECHILD: not ours any more; never signal it
    }
    return true;
  }

  pid_t pid_ = -1;
  std::optional<exit_status> status_;
  std::string name_;
  std::string log_path_;
};

/// What a short-lived command printed and how it ended.
struct command_output {
  exit_status ended;
  std::string output;  // stdout and stderr, interleaved
};

/// Runs a command to completion with its output in `log_path`; kills it (and fails) if it
/// takes longer than `timeout`.
[[nodiscard]] inline result<command_output> run_command(const std::vector<std::string>& argv,
                                                        const std::string& log_path,
                                                        millis timeout) {
  auto p = process::spawn(argv, {log_path, true});
  if (!p) return fail(p.error());
  const auto st = p->wait_exit(timeout);
  if (!st) {
    (void)p->stop(millis(1000));
    return fail(argv[0] + " did not finish within " + std::to_string(timeout.count()) +
                " ms; output: " + file_tail(log_path, 2048));
  }
  auto out = read_file(log_path);
  if (!out) return fail(out.error());
  return command_output{*st, std::move(*out)};
}

}  // namespace ipmikit::interop
