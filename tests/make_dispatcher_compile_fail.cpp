// tests/make_dispatcher_compile_fail.cpp — compiled by make_dispatcher_compile_fail.cmake, once
// as it is (it must compile) and once with each of IPMIKIT_DUPLICATE_TABLE and IPMIKIT_TOO_SMALL
// (each must not: bmc::make_dispatcher turns a table it cannot register into a compile error).
#include <ipmikit/bmc/controller.hpp>

namespace {
struct context {
  ipmikit::bmc::controller mc;
};
constexpr auto controller_table = ipmikit::bmc::add_controller_commands<&context::mc>;

#if defined(IPMIKIT_DUPLICATE_TABLE)
constinit auto d = ipmikit::bmc::make_dispatcher<context, 16>(controller_table, controller_table);
#elif defined(IPMIKIT_TOO_SMALL)
constinit auto d = ipmikit::bmc::make_dispatcher<context, 6>(controller_table);  // 7 commands
#else
constinit auto d = ipmikit::bmc::make_dispatcher<context, 16>(controller_table);
#endif
}  // namespace

int main() { return static_cast<int>(d.entries().size()) - 7; }
