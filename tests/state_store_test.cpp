// ipmikit-bmc's state files (apps/ipmikit-bmc/state_store.hpp): the frame and each way a file
// is refused, by name; save and load in a temporary directory; a damaged file set aside; and
// kill -9 of a process saving a stream of changes, at many points: after each kill, the file
// holds the last change the process was told was saved, or the one after it, never less and
// never a damaged file.
#include <doctest/doctest.h>

#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <string>
#include <thread>
#include <vector>

#include <ipmikit-bmc/state_store.hpp>

using namespace ipmikit_bmc;
using bytes = std::vector<std::uint8_t>;

namespace {

/// A fresh directory under /tmp, removed (with its files) at the end of the test.
struct temp_dir {
  std::string path;
  temp_dir() {
    char pattern[] = "/tmp/ipmikit-state-XXXXXX";
    const char* made = ::mkdtemp(pattern);
    REQUIRE(made != nullptr);
    path = made;
  }
  ~temp_dir() { (void)std::system(("rm -rf '" + path + "'").c_str()); }
  temp_dir(const temp_dir&) = delete;
  temp_dir& operator=(const temp_dir&) = delete;
};

bytes read_file(const std::string& path) {
  bytes b;
  if (FILE* f = std::fopen(path.c_str(), "rb")) {
    for (int c = std::fgetc(f); c != EOF; c = std::fgetc(f)) b.push_back(static_cast<std::uint8_t>(c));
    std::fclose(f);
  }
  return b;
}

void write_file(const std::string& path, const bytes& b) {
  FILE* f = std::fopen(path.c_str(), "wb");
  REQUIRE(f != nullptr);
  REQUIRE(std::fwrite(b.data(), 1, b.size(), f) == b.size());
  std::fclose(f);
}

store_error unframe(const bytes& file) {
  std::span<const std::uint8_t> payload;
  return unframe_state(file, payload);
}

}  // namespace

TEST_SUITE("state_store") {
  TEST_CASE("state file: the frame round-trips and holds the payload after a 12-byte header") {
    const bytes payload{1, 2, 3, 0xA0, 0xFF};
    const bytes file = frame_state(payload);
    REQUIRE(file.size() == payload.size() + state_file_overhead);
    CHECK(bytes(file.begin(), file.begin() + 4) == bytes{'i', 'k', 'S', 'T'});
    CHECK(file[8] == 5);
    std::span<const std::uint8_t> back;
    REQUIRE(unframe_state(file, back) == store_error::ok);
    CHECK(bytes(back.begin(), back.end()) == payload);
    const bytes empty = frame_state({});
    REQUIRE(unframe_state(empty, back) == store_error::ok);
    CHECK(back.empty());
  }

  TEST_CASE("state file refused: truncated (every shorter prefix)") {
    const bytes file = frame_state(bytes{9, 8, 7, 6});
    for (std::size_t n = 0; n < file.size(); ++n) {
      const store_error e = unframe(bytes(file.begin(), file.begin() + static_cast<std::ptrdiff_t>(n)));
      CHECK_MESSAGE(e == store_error::truncated, "prefix of ", n, " bytes: ", name(e));
    }
  }

  TEST_CASE("state file refused: bad magic, bad version, bad length, too large") {
    const bytes good = frame_state(bytes{1, 2, 3});
    bytes f = good;
    f[0] = 'x';
    CHECK(unframe(f) == store_error::bad_magic);
    f = good;
    f[4] = 2;
    CHECK(unframe(f) == store_error::bad_version);
    f = good;
    f[6] = 1;
    CHECK(unframe(f) == store_error::bad_version);
    f = good;
    f.push_back(0);
    CHECK(unframe(f) == store_error::bad_length);
    f = good;
    f[11] = 0x7F;  // a length of 2 GiB
    CHECK(unframe(f) == store_error::too_large);
  }

  TEST_CASE("state file refused: bad checksum, for every single bit flipped in the payload or the CRC") {
    const bytes good = frame_state(bytes{0x10, 0x20, 0x30, 0x40, 0x50});
    for (std::size_t bit = state_file_header_size * 8; bit < good.size() * 8; ++bit) {
      bytes f = good;
      f[bit / 8] = static_cast<std::uint8_t>(f[bit / 8] ^ (1u << (bit % 8)));
      CHECK_MESSAGE(unframe(f) == store_error::bad_checksum, "bit ", bit);
    }
  }

  TEST_CASE("state directory: save then load; a second save replaces; no temporary file is left") {
    temp_dir d;
    const state_directory store(d.path + "/vm1");
    REQUIRE(store.prepare());
    REQUIRE(store.prepare());  // again: it exists
    bytes out;
    const store_status missing = store.load("sel", out);
    CHECK(missing.error == store_error::not_found);
    CHECK(missing.path == d.path + "/vm1/sel");

    REQUIRE(store.save("sel", bytes{1, 2, 3}));
    REQUIRE(store.load("sel", out));
    CHECK(out == bytes{1, 2, 3});
    REQUIRE(store.save("sel", bytes{4}));
    REQUIRE(store.load("sel", out));
    CHECK(out == bytes{4});
    CHECK(read_file(d.path + "/vm1/.sel.tmp").empty());
    CHECK(::access((d.path + "/vm1/.sel.tmp").c_str(), F_OK) != 0);
  }

  TEST_CASE("state directory refused: a missing parent, a file where the directory should be, bad names") {
    temp_dir d;
    const store_status no_parent = state_directory(d.path + "/no/such").prepare();
    CHECK(no_parent.error == store_error::io);
    CHECK(no_parent.sys_errno == ENOENT);
    CHECK(no_parent.describe().find(d.path + "/no/such: io") == 0);

    write_file(d.path + "/plain", bytes{1});
    const store_status not_dir = state_directory(d.path + "/plain").prepare();
    CHECK(not_dir.error == store_error::io);
    CHECK(not_dir.sys_errno == ENOTDIR);

    const state_directory store(d.path);
    bytes out;
    CHECK(store.save("", bytes{1}).error == store_error::bad_name);
    CHECK(store.save("../escape", bytes{1}).error == store_error::bad_name);
    CHECK(store.save(".hidden", bytes{1}).error == store_error::bad_name);
    CHECK(store.load("a/b", out).error == store_error::bad_name);
  }

  TEST_CASE("state directory: a damaged file is reported with its path and set aside, never loaded") {
    temp_dir d;
    const state_directory store(d.path);
    REQUIRE(store.save("chassis", bytes{5, 6, 7, 8}));
    bytes file = read_file(d.path + "/chassis");
    file[state_file_header_size + 1] ^= 0x01;
    write_file(d.path + "/chassis", file);

    bytes out{0xEE};
    const store_status st = store.load("chassis", out);
    CHECK(st.error == store_error::bad_checksum);
    CHECK(st.describe() == d.path + "/chassis: bad_checksum");
    CHECK(out == bytes{0xEE});  // untouched

    const store_status aside = store.set_aside("chassis");
    REQUIRE(aside);
    CHECK(aside.path == d.path + "/chassis.bad-1");
    CHECK(read_file(aside.path) == file);
    CHECK(store.load("chassis", out).error == store_error::not_found);
    write_file(d.path + "/chassis", bytes{1});
    CHECK(store.set_aside("chassis").path == d.path + "/chassis.bad-2");
  }

  TEST_CASE("state directory: kill -9 during a stream of saves never loses an acknowledged change") {
    // A child saves 1, 2, 3, … (the counter as 4 bytes, padded to 200 so a write takes a
    // moment) and reports each acknowledged value through a pipe. The parent kills it with
    // SIGKILL at a varying moment, then loads: the file must hold the last acknowledged value
    // or the next one (saved but not yet reported), and be intact.
    temp_dir d;
    const state_directory store(d.path);
    std::uint32_t floor = 0;  // the value every later load must reach at least
    for (int round = 0; round < 25; ++round) {
      int fds[2];
      REQUIRE(::pipe(fds) == 0);
      const pid_t child = ::fork();
      REQUIRE(child >= 0);
      if (child == 0) {
        ::close(fds[0]);
        for (std::uint32_t v = floor + 1; v < floor + 100000; ++v) {
          bytes payload(200, static_cast<std::uint8_t>(v));
          for (std::size_t i = 0; i < 4; ++i) payload[i] = static_cast<std::uint8_t>(v >> (8 * i));
          if (!store.save("counter", payload)) ::_exit(3);
          if (::write(fds[1], &v, sizeof v) != static_cast<ssize_t>(sizeof v)) ::_exit(4);
        }
        ::_exit(0);
      }
      ::close(fds[1]);
      std::uint32_t acked = floor, v = 0;
      if (round % 2 == 1) {  // every other round the child's first save is waited for: the floor
        pollfd p{fds[0], POLLIN, 0};  // rises however slow the machine (ASan, a busy CPU) is
        if (::poll(&p, 1, 5000) == 1 && ::read(fds[0], &v, sizeof v) == static_cast<ssize_t>(sizeof v)) acked = v;
      }
      std::this_thread::sleep_for(std::chrono::microseconds(500 + 700 * round));
      REQUIRE(::kill(child, SIGKILL) == 0);
      int status = 0;
      REQUIRE(::waitpid(child, &status, 0) == child);
      CHECK((WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL));
      while (::read(fds[0], &v, sizeof v) == static_cast<ssize_t>(sizeof v)) acked = v;
      ::close(fds[0]);

      bytes out;
      const store_status st = store.load("counter", out);
      if (acked == 0 && st.error == store_error::not_found) continue;  // killed before the first save
      REQUIRE_MESSAGE(st, st.describe());
      REQUIRE(out.size() == 200);
      const std::uint32_t loaded = static_cast<std::uint32_t>(out[0] | out[1] << 8 | out[2] << 16 | out[3] << 24);
      CHECK_MESSAGE((loaded == acked || loaded == acked + 1), "round ", round, ": acknowledged ", acked,
                    ", loaded ", loaded);
      for (std::size_t i = 4; i < out.size(); ++i) REQUIRE(out[i] == static_cast<std::uint8_t>(loaded));
      floor = loaded;
    }
    CHECK(floor > 0);
  }
}
