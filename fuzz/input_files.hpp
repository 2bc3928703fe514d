// fuzz/input_files.hpp — the files a fuzz main reads from a command-line path: a file itself,
// or every regular file below a directory, sorted (so runs are repeatable). Shared by
// standalone_main.cpp (replays) and campaign_main.cpp (seeds).
#pragma once

#include <algorithm>
#include <filesystem>
#include <optional>
#include <vector>

namespace fuzz {

/// The input files named by `p`, or nothing when `p` does not exist.
inline std::optional<std::vector<std::filesystem::path>> input_files(const std::filesystem::path& p) {
  std::error_code ec;
  if (std::filesystem::is_directory(p, ec)) {
    std::vector<std::filesystem::path> found;
    for (const auto& entry : std::filesystem::recursive_directory_iterator(p, ec))
      if (entry.is_regular_file()) found.push_back(entry.path());
    std::sort(found.begin(), found.end());
    return found;
  }
  if (std::filesystem::exists(p, ec)) return std::vector<std::filesystem::path>{p};
  return std::nullopt;
}

}  // namespace fuzz
