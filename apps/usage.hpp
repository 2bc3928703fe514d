// apps/usage.hpp — what the programs in apps/ (ipmikit-bmc, ipmikit-load) say the same way on
// their command line: a usage error, on stderr, with the way to the help, and exit status 2.
#pragma once

#include <cstdio>
#include <string_view>

namespace ipmikit_apps {

/// Both programs' exit status for a usage or configuration error.
inline constexpr int exit_usage = 2;

/// Prints "PROGRAM: MESSAGE" and "Try 'PROGRAM --help'." on stderr; returns exit_usage.
inline int usage_error(std::string_view program, std::string_view message) {
  std::fprintf(stderr, "%.*s: %.*s\nTry '%.*s --help'.\n", static_cast<int>(program.size()), program.data(),
               static_cast<int>(message.size()), message.data(), static_cast<int>(program.size()), program.data());
  return exit_usage;
}

}  // namespace ipmikit_apps
