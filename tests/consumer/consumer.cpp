// A consumer of the installed (or add_subdirectory'd) ipmikit: encode a frame, decode it back.
#include <ipmikit/ipmikit.hpp>

#include <array>
#include <cstdio>
#include <string>

int main() {
  namespace vm = ipmikit::vm;
  const std::array<std::uint8_t, 3> body{
      ipmikit::pack_netfn_lun(ipmikit::netfn::app, ipmikit::lun::bmc), 0x2E, 0x0F};
  std::array<std::uint8_t, vm::max_message_frame_size(body.size())> wire{};
  const vm::encode_result r = vm::encode_message(wire, 0x01, body);
  if (!r) return std::printf("encode failed: %s\n", vm::name(r.error).data()), 1;

  int matched = 0;
  struct handler {
    int& matched;
    const std::array<std::uint8_t, 3>& body;
    void operator()(const vm::message_event& m) {
      matched += m.msg_id == 0x01 && std::equal(m.body.begin(), m.body.end(), body.begin(), body.end());
    }
    void operator()(const vm::command_event&) {}
    void operator()(const vm::error_event&) {}
  };
  vm::decoder d;
  d.feed(std::span(wire.data(), r.size), handler{matched, body});
  std::printf("consumer: %zu-byte frame, decoded %s\n", r.size, matched == 1 ? "back" : "WRONG");
#ifdef IPMIKIT_CONSUMER_PACKAGE_VERSION  // find_package: the package version is the headers' version
  const std::string headers = std::to_string(IPMIKIT_VERSION_MAJOR) + "." + std::to_string(IPMIKIT_VERSION_MINOR) + "." +
                              std::to_string(IPMIKIT_VERSION_PATCH);
  std::printf("consumer: package %s, headers %s\n", IPMIKIT_CONSUMER_PACKAGE_VERSION, headers.c_str());
  if (headers != IPMIKIT_CONSUMER_PACKAGE_VERSION) return 1;
#endif
  return matched == 1 ? 0 : 1;
}
