// fuzz/standalone_main.cpp — a main() for the fuzz targets without libFuzzer (e.g. with g++):
// runs LLVMFuzzerTestOneInput once on every file named on the command line and on every
// regular file under every directory named (recursively, in sorted order). Arguments that start
// with '-' are libFuzzer options and are ignored, so the same command line works for both
// builds. With no file arguments it reads one input from standard input.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <filesystem>

#include "input_files.hpp"
#include <fstream>
#include <iostream>
#include <iterator>
#include <string>
#include <system_error>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size);

namespace {

int run_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    std::cerr << "cannot read " << path << '\n';
    return 1;
  }
  const std::vector<char> raw((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::vector<std::uint8_t> bytes(raw.size());
  std::transform(raw.begin(), raw.end(), bytes.begin(),
                 [](char c) { return static_cast<std::uint8_t>(c); });
  // Run from a heap buffer of exactly the input's size, as libFuzzer does.
  LLVMFuzzerTestOneInput(bytes.data(), bytes.size());
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::filesystem::path> files;
  bool any_path = false;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (!arg.empty() && arg[0] == '-') continue;
    any_path = true;
    const auto found = fuzz::input_files(arg);
    if (!found) {
      std::cerr << "no such file or directory: " << arg << '\n';
      return 1;
    }
    files.insert(files.end(), found->begin(), found->end());
  }

  if (!any_path) {
    const std::vector<char> raw((std::istreambuf_iterator<char>(std::cin)), std::istreambuf_iterator<char>());
    std::vector<std::uint8_t> bytes(raw.size());
    std::transform(raw.begin(), raw.end(), bytes.begin(),
                   [](char c) { return static_cast<std::uint8_t>(c); });
    LLVMFuzzerTestOneInput(bytes.data(), bytes.size());
    std::cout << "ran 1 input from standard input\n";
    return 0;
  }

  int failures = 0;
  for (const auto& f : files) failures += run_file(f);
  std::cout << "ran " << files.size() << " inputs" << (failures ? ", some unreadable" : "") << '\n';
  return failures == 0 ? 0 : 1;
}
