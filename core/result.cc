#include "core/result.h"

namespace gcspike {

std::string Error::ToString() const {
  // An error about no input in particular (a usage error) is just its sentence.
  if (file.empty() && !offset) return message;
  std::string out = file.empty() ? std::string("<input>") : file;
  out += ": ";
  if (offset) {
    out += "byte " + std::to_string(*offset);
    if (!where.empty()) out += " of " + where;
    out += ": ";
  }
  out += message;
  return out;
}

Error MakeError(std::string message) {
  Error e;
  e.message = std::move(message);
  return e;
}

Error MakeErrorAt(uint64_t offset, std::string message) {
  Error e;
  e.offset = offset;
  e.message = std::move(message);
  return e;
}

}  // namespace gcspike
