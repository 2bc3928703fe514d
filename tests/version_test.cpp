// tests/version_test.cpp — include/ipmikit/version.hpp agrees with the CMake project version
// (CMakeLists.txt reads it from the header; this checks the reading, and the macros' arithmetic).
#include <doctest/doctest.h>

#include <ipmikit/ipmikit.hpp>

#include <string>

TEST_SUITE("version") {
  TEST_CASE("the version macros are the CMake project's version") {
    const std::string from_headers = std::to_string(IPMIKIT_VERSION_MAJOR) + "." + std::to_string(IPMIKIT_VERSION_MINOR) +
                                     "." + std::to_string(IPMIKIT_VERSION_PATCH);
    CHECK(from_headers == IPMIKIT_TEST_PROJECT_VERSION);
    CHECK(IPMIKIT_VERSION == IPMIKIT_VERSION_MAJOR * 10000 + IPMIKIT_VERSION_MINOR * 100 + IPMIKIT_VERSION_PATCH);
    static_assert(ipmikit::version.major == IPMIKIT_VERSION_MAJOR && ipmikit::version.minor == IPMIKIT_VERSION_MINOR &&
                  ipmikit::version.patch == IPMIKIT_VERSION_PATCH);
  }
}
