#include "formats/perf_tracing_data.h"

#include <charconv>
#include <string_view>

namespace gcspike {
namespace {

constexpr std::string_view kMagic("\x17\x08\x44tracing", 10);

// A NUL-terminated string; the cursor moves past the NUL.
Result<std::string_view> CString(ByteCursor& c) {
  const std::span<const uint8_t> rest = c.rest();
  size_t n = 0;
  while (n < rest.size() && rest[n] != 0) ++n;
  if (n == rest.size()) return c.error_here("tracing data string without its terminating NUL");
  GCSPIKE_ASSIGN_OR_RETURN(std::string_view s, c.str(n));
  GCSPIKE_RETURN_IF_ERROR(c.skip(1));
  return s;
}

// Skips `"<name>\0"`, u64 size and that many bytes.
Status SkipHeaderFile(ByteCursor& c, std::string_view name) {
  GCSPIKE_ASSIGN_OR_RETURN(std::string_view got, CString(c));
  if (got != name) {
    return c.error_here("tracing data has \"" + std::string(got) + "\" where \"" +
                        std::string(name) + "\" belongs");
  }
  GCSPIKE_ASSIGN_OR_RETURN(uint64_t size, c.u64le());
  return c.skip(size);
}

// The value of the line "<key>: value" in a format text, empty when none.
std::string_view FormatField(std::string_view text, std::string_view key) {
  for (size_t at = 0; at < text.size();) {
    size_t end = text.find('\n', at);
    if (end == std::string_view::npos) end = text.size();
    std::string_view line = text.substr(at, end - at);
    if (line.size() > key.size() + 1 && line.substr(0, key.size()) == key &&
        line[key.size()] == ':') {
      line.remove_prefix(key.size() + 1);
      while (!line.empty() && line.front() == ' ') line.remove_prefix(1);
      return line;
    }
    at = end + 1;
  }
  return {};
}

// `u32 count` event formats {u64 size; text} of one system.
Status ReadFormats(ByteCursor& c, std::string_view system, const TracepointFn& add) {
  GCSPIKE_ASSIGN_OR_RETURN(uint32_t count, c.u32le());
  for (uint32_t i = 0; i < count; ++i) {
    const uint64_t at = c.offset();
    GCSPIKE_ASSIGN_OR_RETURN(uint64_t size, c.u64le());
    GCSPIKE_ASSIGN_OR_RETURN(std::string_view text, c.str(size));
    const std::string_view name = FormatField(text, "name");
    const std::string_view id_text = FormatField(text, "ID");
    uint64_t id = 0;
    const auto [end, ec] = std::from_chars(id_text.data(), id_text.data() + id_text.size(), id);
    if (name.empty() || ec != std::errc() || end != id_text.data() + id_text.size()) continue;
    GCSPIKE_RETURN_IF_ERROR(add(id, std::string(system) + ":" + std::string(name), at));
  }
  return {};
}

}  // namespace

Status ReadTracepointNames(ByteCursor c, const TracepointFn& add) {
  GCSPIKE_ASSIGN_OR_RETURN(std::string_view magic, c.str(kMagic.size()));
  if (magic != kMagic) return MakeErrorAt(c.offset() - kMagic.size(), "bad tracing data magic");
  GCSPIKE_ASSIGN_OR_RETURN(std::string_view version, CString(c));
  (void)version;
  GCSPIKE_ASSIGN_OR_RETURN(uint8_t big_endian, c.u8());
  if (big_endian != 0) return c.error_here("big-endian tracing data is not supported");
  GCSPIKE_RETURN_IF_ERROR(c.skip(1 + 4));  // sizeof(long), page size
  GCSPIKE_RETURN_IF_ERROR(SkipHeaderFile(c, "header_page"));
  GCSPIKE_RETURN_IF_ERROR(SkipHeaderFile(c, "header_event"));
  GCSPIKE_RETURN_IF_ERROR(ReadFormats(c, "ftrace", add));
  GCSPIKE_ASSIGN_OR_RETURN(uint32_t systems, c.u32le());
  for (uint32_t i = 0; i < systems; ++i) {
    GCSPIKE_ASSIGN_OR_RETURN(std::string_view system, CString(c));
    GCSPIKE_RETURN_IF_ERROR(ReadFormats(c, system, add));
  }
  return {};
}

}  // namespace gcspike
