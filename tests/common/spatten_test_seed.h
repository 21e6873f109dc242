// Seeds for random tests: SPATTEN_SEED from the environment, else a fixed
// default, always printed so that a failure can be replayed with
//   SPATTEN_SEED=<n> ctest -R <test>
#pragma once
#include <cstdint>
#include <cstdlib>
#include <iostream>
#include <string>

namespace spatten::test {

inline std::uint64_t test_seed(std::uint64_t fallback = 20210227u) {
  std::uint64_t seed = fallback;
  if (const char* env = std::getenv("SPATTEN_SEED"); env != nullptr && *env != '\0') {
    seed = std::stoull(env);
  }
  std::cout << "[ seed     ] SPATTEN_SEED=" << seed << "\n";
  return seed;
}

}  // namespace spatten::test
