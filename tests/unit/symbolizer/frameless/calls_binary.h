// tests/unit/symbolizer/frameless/calls.s linked by gcc into a non-PIE binary, and the
// addresses of its labels as nm lists them (independently of the code under test).
#pragma once

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <string>

#include "tests/unit/test_support.h"

namespace gcspike::testing {

struct CallsBinary {
  std::string path;  // empty when gcc failed
  std::map<std::string, uint64_t> symbols;
};

inline CallsBinary BuildCallsBinary(const std::string& dir) {
  CallsBinary out;
  const std::string src = (SourceDir() / "tests/unit/symbolizer/frameless/calls.s").string();
  const std::string path = dir + "/calls";
  if (std::system(("gcc -no-pie '" + src + "' -o '" + path + "'").c_str()) != 0) return out;
  FILE* nm = popen(("nm '" + path + "'").c_str(), "r");
  if (nm == nullptr) return out;
  char line[512];
  while (std::fgets(line, sizeof line, nm) != nullptr) {
    unsigned long long address = 0;
    char type = 0;
    char name[400];
    if (std::sscanf(line, "%llx %c %399s", &address, &type, name) == 3) {
      out.symbols[name] = address;
    }
  }
  if (pclose(nm) == 0) out.path = path;
  return out;
}

}  // namespace gcspike::testing
