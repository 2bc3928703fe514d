// fuzz/fuzz_session_bmc.cpp — vm::session in the bmc role; see fuzz_session.hpp.
#include "fuzz_session.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  return fuzz_session::one_input<ipmikit::vm::role::bmc>(data, size);
}
