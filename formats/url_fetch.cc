#include "formats/url_fetch.h"

#include <algorithm>
#include <cstdlib>
#include <memory>

#ifndef GCSPIKE_NO_CURL
#include <curl/curl.h>
#endif

namespace gcspike {
namespace {

struct UrlParts {
  size_t path_begin;   // first byte of the path (after scheme://host[:port])
  size_t query_begin;  // '?' or npos
  size_t end;          // '#' or size
};

UrlParts SplitUrl(const std::string& url) {
  UrlParts p{};
  const size_t scheme_end = url.find("://");
  const size_t host_begin = scheme_end == std::string::npos ? 0 : scheme_end + 3;
  p.end = std::min(url.find('#', host_begin), url.size());
  p.path_begin = std::min(url.find_first_of("/?", host_begin), p.end);
  p.query_begin = url.find('?', host_begin);
  if (p.query_begin >= p.end) p.query_begin = std::string::npos;
  return p;
}

bool EndsWith(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

// The value of `seconds=` among the query's &-separated parameters, if present.
std::optional<std::string> SecondsParameter(const std::string& url, const UrlParts& p) {
  if (p.query_begin == std::string::npos) return std::nullopt;
  std::string_view query(url.data() + p.query_begin + 1, p.end - p.query_begin - 1);
  while (!query.empty()) {
    const size_t amp = query.find('&');
    std::string_view param = query.substr(0, amp);
    if (param.substr(0, 8) == "seconds=") return std::string(param.substr(8));
    if (amp == std::string_view::npos) break;
    query.remove_prefix(amp + 1);
  }
  return std::nullopt;
}

// "host:port" of "host:port[/path][?query][#fragment]", the part before the path: a host name
// or IPv4 address, or [IPv6], then ':' and 1-5 digits.
bool IsHostAndPort(std::string_view s) {
  const size_t colon = s.rfind(':');
  if (colon == std::string_view::npos || colon == 0) return false;
  const std::string_view host = s.substr(0, colon), port = s.substr(colon + 1);
  if (port.empty() || port.size() > 5) return false;
  for (char c : port) {
    if (c < '0' || c > '9') return false;
  }
  if (host.front() == '[') return host.back() == ']' && host.size() > 2;
  for (char c : host) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '.' || c == '-';
    if (!ok) return false;
  }
  return true;
}

constexpr std::string_view kCpuProfilePath = "/debug/pprof/profile";

}  // namespace

std::string PprofStyleInput(const std::string& input) {
  std::string url = input;
  if (!IsUrlInput(url)) {
    if (!IsHostAndPort(std::string_view(url).substr(0, url.find_first_of("/?#")))) return input;
    url = "http://" + url;
  }
  const UrlParts p = SplitUrl(url);
  const size_t path_end = p.query_begin == std::string::npos ? p.end : p.query_begin;
  const std::string_view path(url.data() + p.path_begin, path_end - p.path_begin);
  if (path.empty() || path == "/") {
    url = url.substr(0, p.path_begin) + std::string(kCpuProfilePath) + url.substr(path_end);
  }
  return url;
}

bool IsUrlInput(std::string_view input) {
  return input.substr(0, 7) == "http://" || input.substr(0, 8) == "https://";
}

std::string UrlWithSeconds(const std::string& url, int seconds) {
  const UrlParts p = SplitUrl(url);
  const std::string_view path(
      url.data() + p.path_begin,
      (p.query_begin == std::string::npos ? p.end : p.query_begin) - p.path_begin);
  std::string_view trimmed = path;
  while (!trimmed.empty() && trimmed.back() == '/') trimmed.remove_suffix(1);
  if (!EndsWith(trimmed, "/profile") && !EndsWith(trimmed, "/trace")) return url;
  const std::string param = "seconds=" + std::to_string(seconds);
  const std::string fragment = url.substr(p.end);
  if (p.query_begin == std::string::npos) return url.substr(0, p.end) + "?" + param + fragment;
  std::string query = url.substr(p.query_begin + 1, p.end - p.query_begin - 1);
  std::string out;
  bool replaced = false;
  size_t start = 0;
  while (start <= query.size()) {
    size_t amp = query.find('&', start);
    if (amp == std::string::npos) amp = query.size();
    std::string piece = query.substr(start, amp - start);
    if (piece.rfind("seconds=", 0) == 0 || piece == "seconds") {
      piece = replaced ? std::string() : param;  // a repeated seconds= is dropped
      replaced = true;
    }
    if (!piece.empty()) out += (out.empty() ? "" : "&") + piece;
    start = amp + 1;
  }
  if (!replaced) out += (out.empty() ? "" : "&") + param;
  return url.substr(0, p.query_begin) + "?" + out + fragment;
}

std::optional<int> SecondsInUrl(const std::string& url) {
  auto value = SecondsParameter(url, SplitUrl(url));
  if (!value || value->empty()) return std::nullopt;
  char* end = nullptr;
  const long n = std::strtol(value->c_str(), &end, 10);
  if (*end != '\0' || n < 0 || n > (1 << 30)) return std::nullopt;
  return static_cast<int>(n);
}

double DefaultUrlTimeoutSeconds(const std::string& url) {
  const std::optional<int> seconds = SecondsInUrl(url);
  if (!seconds || *seconds == 0) return 60;
  return std::max(1.5 * *seconds, *seconds + 30.0);
}

#ifdef GCSPIKE_NO_CURL

std::vector<Result<std::vector<uint8_t>>> FetchUrls(const std::vector<std::string>& urls,
                                                    const UrlFetchOptions&) {
  std::vector<Result<std::vector<uint8_t>>> out;
  for (const std::string& url : urls) {
    Error e = MakeError("URL inputs are not supported by this build (no libcurl)");
    e.file = url;
    out.push_back(std::move(e));
  }
  return out;
}

#else

namespace {

struct Transfer {
  std::string url;
  CURL* easy = nullptr;
  std::vector<uint8_t> body;
  uint64_t limit = 0;
  bool too_large = false;
  bool done = false;
  CURLcode code = CURLE_OK;
  char error[CURL_ERROR_SIZE] = {};
};

size_t WriteBody(char* data, size_t size, size_t count, void* user) {
  auto* t = static_cast<Transfer*>(user);
  const size_t n = size * count;
  if (t->body.size() + n > t->limit) {
    t->too_large = true;
    return 0;  // curl aborts the transfer with CURLE_WRITE_ERROR
  }
  t->body.insert(t->body.end(), reinterpret_cast<uint8_t*>(data),
                 reinterpret_cast<uint8_t*>(data) + n);
  return n;
}

std::string FirstLine(const std::vector<uint8_t>& body) {
  std::string line;
  for (uint8_t c : body) {
    if (c == '\n' || c == '\r' || line.size() >= 200) break;
    line.push_back(c >= 0x20 && c < 0x7f ? static_cast<char>(c) : '?');
  }
  while (!line.empty() && line.back() == ' ') line.pop_back();
  return line;
}

Error UrlError(const std::string& url, std::string message) {
  Error e = MakeError(std::move(message));
  e.file = url;
  return e;
}

Result<std::vector<uint8_t>> Outcome(Transfer& t, double timeout) {
  if (t.too_large) {
    Error e = MakeErrorAt(
        t.limit, "response exceeds the size limit of " + std::to_string(t.limit) + " bytes");
    e.file = t.url;
    return e;
  }
  if (t.code != CURLE_OK) {
    std::string why = t.error[0] != '\0' ? t.error : curl_easy_strerror(t.code);
    if (t.code == CURLE_OPERATION_TIMEDOUT) {
      char buf[64];
      std::snprintf(buf, sizeof buf, " (--timeout %g s)", timeout);
      why += buf;
    }
    return UrlError(t.url, "cannot fetch: " + why);
  }
  long status = 0;
  curl_easy_getinfo(t.easy, CURLINFO_RESPONSE_CODE, &status);
  if (status >= 400) {
    std::string message = "server responded with HTTP status " + std::to_string(status);
    if (const std::string first = FirstLine(t.body); !first.empty()) message += ": " + first;
    return UrlError(t.url, std::move(message));
  }
  return std::move(t.body);
}

// curl_global_init is not thread-safe; gcspike calls it once, from the thread that fetches.
void InitCurlOnce() {
  static const bool done = [] {
    curl_global_init(CURL_GLOBAL_DEFAULT);
    return true;
  }();
  (void)done;
}

}  // namespace

std::vector<Result<std::vector<uint8_t>>> FetchUrls(const std::vector<std::string>& urls,
                                                    const UrlFetchOptions& options) {
  InitCurlOnce();
  std::vector<std::unique_ptr<Transfer>> transfers;
  std::vector<double> timeouts;
  CURLM* multi = curl_multi_init();
  for (const std::string& url : urls) {
    auto t = std::make_unique<Transfer>();
    t->url = url;
    t->limit = options.max_bytes;
    t->easy = curl_easy_init();
    const double timeout =
        options.timeout_seconds > 0 ? options.timeout_seconds : DefaultUrlTimeoutSeconds(url);
    timeouts.push_back(timeout);
    CURL* e = t->easy;
    curl_easy_setopt(e, CURLOPT_URL, url.c_str());
    curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(e, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 1L);
    curl_easy_setopt(e, CURLOPT_MAXREDIRS, 10L);
    curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, static_cast<long>(timeout * 1000));
    curl_easy_setopt(e, CURLOPT_USERAGENT, "gcspike");
    curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, WriteBody);
    curl_easy_setopt(e, CURLOPT_WRITEDATA, t.get());
    curl_easy_setopt(e, CURLOPT_ERRORBUFFER, t->error);
    curl_easy_setopt(e, CURLOPT_PRIVATE, t.get());
    curl_multi_add_handle(multi, e);
    transfers.push_back(std::move(t));
  }

  const std::string what = urls.size() == 1 ? "fetching " + urls[0]
                                            : "fetching " + std::to_string(urls.size()) + " URLs";
  int running = static_cast<int>(transfers.size());
  while (running > 0) {
    if (curl_multi_perform(multi, &running) != CURLM_OK) break;
    int queued = 0;
    while (CURLMsg* msg = curl_multi_info_read(multi, &queued)) {
      if (msg->msg != CURLMSG_DONE) continue;
      Transfer* t = nullptr;
      curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, &t);
      t->code = msg->data.result;
      t->done = true;
    }
    if (options.diagnostics != nullptr) {
      uint64_t received = 0;
      for (const auto& t : transfers) received += t->body.size();
      options.diagnostics->Progress(what, received, 0);
    }
    if (running > 0) curl_multi_poll(multi, nullptr, 0, 200, nullptr);
  }

  std::vector<Result<std::vector<uint8_t>>> out;
  for (size_t i = 0; i < transfers.size(); ++i) {
    Transfer& t = *transfers[i];
    if (!t.done && t.code == CURLE_OK) t.code = CURLE_FAILED_INIT;
    out.push_back(Outcome(t, timeouts[i]));
    curl_multi_remove_handle(multi, t.easy);
    curl_easy_cleanup(t.easy);
  }
  curl_multi_cleanup(multi);
  return out;
}

#endif  // GCSPIKE_NO_CURL

}  // namespace gcspike
