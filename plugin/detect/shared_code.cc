#include "plugin/detect/shared_code.h"

#include "plugin/detect/runtime_signature_catalogue.h"
#include "plugin/detect/sample_weight.h"

namespace gcspike {

bool IsUserFunction(std::string_view name) {
  name = name.substr(0, name.find('['));  // type arguments name other packages
  // "main.(*T).Run", "main.main.func1": the program's own package.
  if (name.substr(0, 5) == "main.") return true;
  // The package path ends at the last '/' and then the first '.'; its first element ends at the
  // first '/' (or, without one, at the first '.'). A dot in that element names a module host
  // (github.com/...); the standard library's paths have none (fmt, encoding/json,
  // internal/runtime/maps), nor do assembly routines without a package (aeshashbody).
  const size_t slash = name.find('/');
  const std::string_view first = name.substr(0, slash);
  if (slash == std::string_view::npos) return false;  // one element: fmt.Println, sort.Ints
  return first.find('.') != std::string_view::npos;
}

UserCode CollectUserCode(const Profile& profile) {
  std::vector<int8_t> user(profile.functions.size() + 1, -1);  // by function id, lazily
  auto is_user = [&](uint64_t id) {
    if (user[id] < 0) user[id] = IsUserFunction(profile.str(profile.function(id).name));
    return user[id] == 1;
  };
  UserCode out;
  const SampleWeights weight(profile);
  for (size_t i = 0; i < profile.samples.size(); ++i) {
    uint64_t innermost = 0;
    for (uint64_t loc : profile.samples[i].location_ids) {
      for (const Line& line : profile.location(loc).lines) {  // innermost first
        if (line.function_id != 0 && is_user(line.function_id)) {
          innermost = line.function_id;
          break;
        }
      }
      if (innermost != 0) break;
    }
    if (innermost == 0) continue;
    const double w = weight(i);
    out.samples += w;
    out.innermost[EraseTypeArguments(profile.str(profile.function(innermost).name))] += w;
  }
  return out;
}

std::optional<double> SharedShare(const UserCode& side, const UserCode& other) {
  if (side.samples <= 0) return std::nullopt;
  double shared = 0;
  for (const auto& [name, w] : side.innermost) {
    if (other.innermost.count(name) != 0) shared += w;
  }
  return shared / side.samples;
}

}  // namespace gcspike
