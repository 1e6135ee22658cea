// Fuzzes the --rules parser: any text gives signatures or an error naming the file, line and
// column; accepted rules must match the names they were written for.
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "plugin/detect/runtime_signature_catalogue.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace gcspike;
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  RuntimeSignatureCatalogue c;
  const Status s = c.AddRules(text, "fuzz.rules");
  if (!s.ok()) {
    if (s.error().ToString().rfind("fuzz.rules: line ", 0) != 0) std::abort();
    return 0;
  }
  for (const Signature& sig : c.signatures()) {
    // A prefix rule matches its own prefix; an exact rule its own name.
    if ((c.RolesOf(sig.pattern) & sig.role) != sig.role) std::abort();
  }
  return 0;
}
