// fuzz/fuzz_session_emulator.cpp — vm::session in the emulator role; see fuzz_session.hpp.
#include "fuzz_session.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  return fuzz_session::one_input<ipmikit::vm::role::emulator>(data, size);
}
