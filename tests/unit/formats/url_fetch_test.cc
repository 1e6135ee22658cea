// URL inputs: --seconds rewrites the query of duration endpoints only, the default timeout, and
// fetching against a tiny HTTP server on 127.0.0.1 (body, HTTP errors with the first body line,
// a refused connection, the size limit, progress). The e2e test url_inputs_test.sh runs the
// whole command against net/http/pprof.
#include "formats/url_fetch.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <string>
#include <thread>

#include "tests/unit/recording_diagnostics.h"
#include "tests/unit/test_support.h"

namespace gcspike {
namespace {

// Answers each of `connections` connections with the same raw HTTP response, then stops.
class FixedResponseServer {
 public:
  explicit FixedResponseServer(std::string response, int connections = 1)
      : response_(std::move(response)) {
    fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof addr;
    if (::bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
        ::listen(fd_, 8) != 0 ||
        ::getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
      ADD_FAILURE() << "cannot listen on 127.0.0.1";
      return;
    }
    port_ = ntohs(addr.sin_port);
    thread_ = std::thread([this, connections] {
      for (int i = 0; i < connections; ++i) {
        const int c = ::accept(fd_, nullptr, nullptr);
        if (c < 0) return;
        char request[4096];
        std::string got;
        while (got.find("\r\n\r\n") == std::string::npos) {
          const ssize_t n = ::read(c, request, sizeof request);
          if (n <= 0) break;
          got.append(request, static_cast<size_t>(n));
        }
        for (size_t done = 0; done < response_.size();) {
          const ssize_t n = ::write(c, response_.data() + done, response_.size() - done);
          if (n <= 0) break;
          done += static_cast<size_t>(n);
        }
        ::close(c);
      }
    });
  }
  ~FixedResponseServer() {
    ::shutdown(fd_, SHUT_RDWR);  // ends a pending accept
    if (thread_.joinable()) thread_.join();
    ::close(fd_);
  }
  std::string Url(const std::string& path) const {
    return "http://127.0.0.1:" + std::to_string(port_) + path;
  }

 private:
  std::string response_;
  int fd_ = -1;
  int port_ = 0;
  std::thread thread_;
};

std::string Http(int status, const std::string& reason, const std::string& body) {
  return "HTTP/1.1 " + std::to_string(status) + " " + reason +
         "\r\nContent-Length: " + std::to_string(body.size()) + "\r\nConnection: close\r\n\r\n" +
         body;
}

// A port nobody listens on: bound, then released.
int FreePort() {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof addr;
  ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  ::close(fd);
  return ntohs(addr.sin_port);
}

TEST(UrlInput, Recognized) {
  EXPECT_TRUE(IsUrlInput("http://host:6060/debug/pprof/heap"));
  EXPECT_TRUE(IsUrlInput("https://host/debug/pprof/profile"));
  EXPECT_FALSE(IsUrlInput("cpu.pprof"));
  EXPECT_FALSE(IsUrlInput("-"));
  EXPECT_FALSE(IsUrlInput("http:relative"));
}

// Names that are not files, read as go tool pprof reads them (e2e_url_inputs_test checks the
// URLs against the one go tool pprof says it fetches).
TEST(UrlInput, HostAndPortAndEmptyPathsAsPprofReadsThem) {
  EXPECT_EQ(PprofStyleInput("localhost:6060"), "http://localhost:6060/debug/pprof/profile");
  EXPECT_EQ(PprofStyleInput("127.0.0.1:6060/debug/pprof/heap"),
            "http://127.0.0.1:6060/debug/pprof/heap");
  EXPECT_EQ(PprofStyleInput("svc-1.example.com:80?seconds=5"),
            "http://svc-1.example.com:80/debug/pprof/profile?seconds=5");
  EXPECT_EQ(PprofStyleInput("[::1]:6060"), "http://[::1]:6060/debug/pprof/profile");
  EXPECT_EQ(PprofStyleInput("http://localhost:6060"), "http://localhost:6060/debug/pprof/profile");
  EXPECT_EQ(PprofStyleInput("https://h:1/"), "https://h:1/debug/pprof/profile");
  EXPECT_EQ(PprofStyleInput("http://h:1/?seconds=3"), "http://h:1/debug/pprof/profile?seconds=3");
  // Left as they are: URLs with a path, and names that are not host:port.
  for (const char* same : {"http://h:1/debug/pprof/trace", "cpu.pb.gz", "dir/a:1", "a:b",
                           "host:123456", ":6060", "mem_2023-11-02_03:55:24", "-", "C:x", "[]:1"}) {
    EXPECT_EQ(PprofStyleInput(same), same);
  }
}

TEST(UrlInput, SecondsOnDurationEndpointsOnly) {
  const std::string base = "http://h:6060/debug/pprof/";
  EXPECT_EQ(UrlWithSeconds(base + "profile", 5), base + "profile?seconds=5");
  EXPECT_EQ(UrlWithSeconds(base + "profile?seconds=30", 5), base + "profile?seconds=5");
  EXPECT_EQ(UrlWithSeconds(base + "profile?debug=0&seconds=30&x=1", 5),
            base + "profile?debug=0&seconds=5&x=1");
  EXPECT_EQ(UrlWithSeconds(base + "trace?x=1", 2), base + "trace?x=1&seconds=2");
  EXPECT_EQ(UrlWithSeconds(base + "trace#top", 2), base + "trace?seconds=2#top");
  EXPECT_EQ(UrlWithSeconds(base + "heap", 5), base + "heap");
  EXPECT_EQ(UrlWithSeconds(base + "heap?gc=1", 5), base + "heap?gc=1");
  EXPECT_EQ(UrlWithSeconds("http://profile/heap", 5), "http://profile/heap");
}

TEST(UrlInput, DefaultTimeout) {
  EXPECT_EQ(SecondsInUrl("http://h/debug/pprof/profile?seconds=10"), 10);
  EXPECT_EQ(SecondsInUrl("http://h/debug/pprof/profile?xseconds=10"), std::nullopt);
  EXPECT_EQ(SecondsInUrl("http://h/debug/pprof/heap"), std::nullopt);
  EXPECT_EQ(DefaultUrlTimeoutSeconds("http://h/debug/pprof/profile?seconds=10"), 40);
  EXPECT_EQ(DefaultUrlTimeoutSeconds("http://h/debug/pprof/profile?seconds=100"), 150);
  EXPECT_EQ(DefaultUrlTimeoutSeconds("http://h/debug/pprof/heap"), 60);
}

TEST(UrlFetch, BodiesInOrderWithProgress) {
  FixedResponseServer a(Http(200, "OK", "first body"));
  FixedResponseServer b(Http(200, "OK", std::string(100000, 'x')));
  testing::RecordingDiagnostics diag;
  UrlFetchOptions options;
  options.diagnostics = &diag;
  auto got = FetchUrls({a.Url("/a"), b.Url("/b")}, options);
  ASSERT_EQ(got.size(), 2u);
  ASSERT_OK(got[0]);
  ASSERT_OK(got[1]);
  EXPECT_EQ(std::string(got[0]->begin(), got[0]->end()), "first body");
  EXPECT_EQ(got[1]->size(), 100000u);
  const auto reports = diag.About("fetching 2 URLs");
  ASSERT_FALSE(reports.empty());
  EXPECT_EQ(reports.back().done, 100000u + 10u);
}

TEST(UrlFetch, HttpStatusNamesUrlAndFirstBodyLine) {
  FixedResponseServer s(Http(500, "Internal Server Error", "profiling failed\nmore detail\n"));
  auto got = FetchUrls({s.Url("/debug/pprof/profile")}, {});
  ASSERT_FALSE(got[0].ok());
  EXPECT_EQ(got[0].error().file, s.Url("/debug/pprof/profile"));
  EXPECT_EQ(got[0].error().message, "server responded with HTTP status 500: profiling failed");
}

TEST(UrlFetch, RefusedConnectionNamesUrl) {
  const std::string url = "http://127.0.0.1:" + std::to_string(FreePort()) + "/debug/pprof/heap";
  auto got = FetchUrls({url}, {});
  ASSERT_FALSE(got[0].ok());
  EXPECT_EQ(got[0].error().file, url);
  EXPECT_NE(got[0].error().message.find("cannot fetch"), std::string::npos)
      << got[0].error().message;
}

TEST(UrlFetch, ResponseOverTheSizeLimitIsRefused) {
  FixedResponseServer s(Http(200, "OK", std::string(200000, 'x')));
  UrlFetchOptions options;
  options.max_bytes = 1000;
  auto got = FetchUrls({s.Url("/big")}, options);
  ASSERT_FALSE(got[0].ok());
  EXPECT_EQ(got[0].error().offset, 1000u);
  EXPECT_NE(got[0].error().message.find("size limit of 1000 bytes"), std::string::npos);
}

}  // namespace
}  // namespace gcspike
