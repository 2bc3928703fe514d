// ipmikit/version.hpp — the library's version, for code that needs to know it at compile time.
//
// This header is the one place the version is written: CMakeLists.txt reads it from here for
// project(VERSION …), the CMake package's version file and ipmikit.pc (as fmt and nlohmann/json
// do), so the macros and the installed package can never disagree.
#pragma once

#define IPMIKIT_VERSION_MAJOR 0
#define IPMIKIT_VERSION_MINOR 1
#define IPMIKIT_VERSION_PATCH 0

/// One number for comparisons: MAJOR * 10000 + MINOR * 100 + PATCH (0.1.0 is 100).
#define IPMIKIT_VERSION (IPMIKIT_VERSION_MAJOR * 10000 + IPMIKIT_VERSION_MINOR * 100 + IPMIKIT_VERSION_PATCH)

namespace ipmikit {

struct version_info {
  int major;
  int minor;
  int patch;
};

/// The version of the headers in use.
inline constexpr version_info version{IPMIKIT_VERSION_MAJOR, IPMIKIT_VERSION_MINOR, IPMIKIT_VERSION_PATCH};

}  // namespace ipmikit
