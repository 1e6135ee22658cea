#include "plugin/pipeline.h"

#include <sys/stat.h>

#include <algorithm>
#include <condition_variable>
#include <cstdio>
#include <deque>
#include <fstream>
#include <iostream>
#include <map>
#include <mutex>
#include <new>
#include <optional>
#include <thread>
#include <utility>

#include "core/profile_merge.h"
#include "formats/url_fetch.h"
#include "plugin/same_samples.h"

namespace gcspike {
namespace {

// The URLs among the inputs (http:// or https://), as they are fetched (--seconds applied), all
// at once: a fleet's profiles take as long as the slowest one, not their sum.
struct FetchedUrls {
  std::vector<std::string> urls;
  std::vector<Result<std::vector<uint8_t>>> bodies;
};

FetchedUrls FetchUrlInputs(const std::vector<std::string>& inputs, const ReadOptions& options) {
  FetchedUrls f;
  for (const std::string& input : inputs) {
    if (!IsUrlInput(input)) continue;
    f.urls.push_back(options.url_seconds > 0 ? UrlWithSeconds(input, options.url_seconds) : input);
  }
  if (f.urls.empty()) return f;
  UrlFetchOptions fetch;
  fetch.max_bytes = options.max_input_bytes;
  fetch.timeout_seconds = options.url_timeout_seconds;
  fetch.diagnostics = options.diagnostics;
  f.bodies = FetchUrls(f.urls, fetch);
  if (options.diagnostics != nullptr) options.diagnostics->ProgressDone();
  return f;
}

// One input, read: the profile or its error, the warnings its reader gave, and the fingerprint
// of its samples (made on the reading thread).
struct LoadedInput {
  std::optional<Result<Profile>> profile;
  std::vector<std::string> warnings;
  SampleFingerprint fingerprint;
};

// Reads inputs[i] (its URL body, if it is a URL, is taken from `fetched`).
class InputReader {
 public:
  InputReader(const std::vector<std::string>& inputs, const ReadOptions& options,
              FetchedUrls& fetched)
      : inputs_(inputs), options_(options), fetched_(fetched), url_index_(inputs.size(), 0) {
    size_t next_url = 0;
    for (size_t i = 0; i < inputs.size(); ++i) {
      if (IsUrlInput(inputs[i])) url_index_[i] = next_url++;
    }
  }

  const std::string& Name(size_t i) const {
    static const std::string kStdin = "<stdin>";
    if (IsUrlInput(inputs_[i])) return fetched_.urls[url_index_[i]];
    return inputs_[i] == "-" ? kStdin : inputs_[i];
  }

  LoadedInput ReadOne(size_t i) const {
    LoadedInput d;
    CollectingDiagnostics diagnostics;
    ReadOptions options = options_;
    options.diagnostics = &diagnostics;
    d.profile = Read(i, options);
    d.warnings = std::move(diagnostics.warnings);
    if (d.profile->ok()) d.fingerprint = FingerprintSamples(**d.profile);
    if (d.profile->ok() && !options_.input_label_key.empty()) {
      Profile& p = **d.profile;
      if (Status s = MaterializeSpool(p, options_.max_input_bytes); !s.ok()) {
        Error e = s.error();
        e.file = Name(i);
        d.profile = std::move(e);
        return d;
      }
      const StrId key = p.Intern(options_.input_label_key);
      const StrId value = p.Intern(Name(i));
      for (Sample& s : p.samples) {
        if (p.FindLabel(s, key) != nullptr) continue;
        Label l;
        l.key = key;
        l.str = value;
        s.labels.push_back(l);
      }
    }
    return d;
  }

 private:
  Result<Profile> Read(size_t i, const ReadOptions& options) const {
    if (!IsUrlInput(inputs_[i])) return ReadProfileFile(inputs_[i], options);
    const size_t u = url_index_[i];
    Result<std::vector<uint8_t>>& body = fetched_.bodies[u];
    if (!body.ok()) return std::move(body.error());
    auto in = InputSource::FromBytes(fetched_.urls[u], std::move(body).value(), "");
    return ReadProfile(*in, options);
  }

  const std::vector<std::string>& inputs_;
  const ReadOptions& options_;
  FetchedUrls& fetched_;
  std::vector<size_t> url_index_;
};

// Worker threads reading inputs in order of their index; at most `window` read inputs wait
// (claimed but not yet taken), so memory does not grow with the number of inputs.
class ReaderPool {
 public:
  ReaderPool(const InputReader& reader, size_t count, size_t jobs)
      : reader_(reader), count_(count), window_(jobs) {
    for (size_t t = 0; t < jobs; ++t) threads_.emplace_back([this] { Work(); });
  }
  ~ReaderPool() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      stop_ = true;
    }
    cv_.notify_all();
    for (std::thread& t : threads_) t.join();
  }

  // The read input `i`; inputs are taken in order 0, 1, 2, ...
  LoadedInput Take(size_t i) {
    std::unique_lock<std::mutex> lock(mu_);
    cv_.wait(lock, [&] { return ready_.size() > i - taken_ && ready_[i - taken_].has_value(); });
    LoadedInput d = std::move(*ready_.front());
    ready_.pop_front();
    ++taken_;
    lock.unlock();
    cv_.notify_all();
    return d;
  }

 private:
  void Work() {
    while (true) {
      size_t i;
      {
        std::unique_lock<std::mutex> lock(mu_);
        cv_.wait(lock, [&] { return stop_ || next_ >= count_ || next_ < taken_ + window_; });
        if (stop_ || next_ >= count_) return;
        i = next_++;
        ready_.emplace_back();  // slot i - taken_
      }
      LoadedInput d;
      try {
        d = reader_.ReadOne(i);
      } catch (const std::bad_alloc&) {
        // Not on the main thread, where main() tells it: the error names the input instead.
        Error e = MakeError(
            "out of memory (std::bad_alloc) while decoding it; --jobs 1 holds "
            "fewer inputs at once, --max-memory sets the budget for one");
        e.file = reader_.Name(i);
        d.profile = std::move(e);
      }
      {
        std::lock_guard<std::mutex> lock(mu_);
        ready_[i - taken_] = std::move(d);
      }
      cv_.notify_all();
    }
  }

  const InputReader& reader_;
  const size_t count_;
  const size_t window_;
  std::mutex mu_;
  std::condition_variable cv_;
  size_t next_ = 0;                               // next input to claim
  size_t taken_ = 0;                              // inputs handed to the merger
  std::deque<std::optional<LoadedInput>> ready_;  // inputs taken_, taken_ + 1, ...
  bool stop_ = false;
  std::vector<std::thread> threads_;
};

// A file named twice (by another spelling too: ./a, a symlink): its samples would be counted
// twice, and every share's interval would be narrower than its samples support (gates judge
// them counted once: CountedTwice). Told once per repeat; URLs are fetched anew each time, so
// never the same. Returns which inputs repeat an earlier one.
std::vector<bool> WarnRepeatedFiles(const std::vector<std::string>& inputs,
                                    Diagnostics* diagnostics) {
  std::vector<bool> repeated(inputs.size(), false);
  std::map<std::pair<dev_t, ino_t>, size_t> first;
  for (size_t i = 0; i < inputs.size(); ++i) {
    struct stat st;
    if (inputs[i] == "-" || IsUrlInput(inputs[i]) || ::stat(inputs[i].c_str(), &st) != 0 ||
        !S_ISREG(st.st_mode)) {
      continue;
    }
    const auto [at, added] = first.emplace(std::pair{st.st_dev, st.st_ino}, i);
    if (added) continue;
    repeated[i] = true;
    if (diagnostics == nullptr) continue;
    diagnostics->Warn(inputs[i] + ": the same file as " + inputs[at->second] +
                      ", named again: its samples count twice, so every share's 95% interval "
                      "is narrower than its samples support (--fail-on gates judge them "
                      "counted once)");
  }
  return repeated;
}

// Tells the inputs that hold the same samples as an earlier one (plugin/same_samples.h), as
// they are merged, and counts the samples of those and of the files named again.
class CountedTwiceTeller {
 public:
  CountedTwiceTeller(std::vector<bool> repeated, Diagnostics* diagnostics)
      : repeated_(std::move(repeated)), diagnostics_(diagnostics) {}

  void Add(size_t i, const std::string& name, const SampleFingerprint& f) {
    names_.push_back(name);
    const std::optional<SameSamplesFinder::Match> match = finder_.Add(f);
    counted_.total += f.total;
    if (repeated_[i]) {
      Count(f.total, name + " is a file named again");
      return;
    }
    if (!match) return;
    Count(match->shared, name + " holds the same samples as " + names_[match->earlier]);
    if (++told_ > kMaxCountedTwiceTold || diagnostics_ == nullptr) return;
    char agreeing[32];
    std::snprintf(agreeing, sizeof agreeing, "%.1f%%", match->agreeing * 100);
    diagnostics_->Warn(
        name + " and " + names_[match->earlier] + ": they hold the same samples (" + agreeing +
        " agree stack by stack: a copy, or a CPU profile and the execution trace of one run); "
        "each counts twice, so every share's 95% interval is narrower than its samples support "
        "(--fail-on gates judge them counted once); pass one of them (of a CPU profile and its "
        "trace, the trace: it holds the same samples and the timeline)");
  }

  CountedTwice Finish() {
    if (told_ > kMaxCountedTwiceTold && diagnostics_ != nullptr) {
      diagnostics_->Warn(std::to_string(told_ - kMaxCountedTwiceTold) +
                         " more inputs hold the same samples as an earlier input (not each "
                         "told): their samples count twice too");
    }
    return std::move(counted_);
  }

 private:
  void Count(uint64_t samples, std::string what) {
    counted_.samples += samples;
    if (counted_.first.empty()) counted_.first = std::move(what);
  }

  std::vector<bool> repeated_;
  Diagnostics* diagnostics_;
  SameSamplesFinder finder_;
  std::vector<std::string> names_;
  size_t told_ = 0;
  CountedTwice counted_;
};

}  // namespace

std::string ResolveInputName(const std::string& input) {
  struct stat st;
  return input == "-" || ::stat(input.c_str(), &st) == 0 ? input : PprofStyleInput(input);
}

Result<Profile> LoadInputs(const std::vector<std::string>& named, const ReadOptions& options,
                           CountedTwice* counted_twice) {
  std::vector<std::string> inputs;
  for (const std::string& n : named) inputs.push_back(ResolveInputName(n));
  if (inputs.empty()) return MakeError("no input given (a profile path, or - for stdin)");
  if (std::count(inputs.begin(), inputs.end(), "-") > 1) {
    return MakeError("standard input (-) can be named only once");
  }
  CountedTwiceTeller teller(WarnRepeatedFiles(inputs, options.diagnostics), options.diagnostics);
  if (options.url_seconds > 0 && options.diagnostics != nullptr &&
      std::none_of(inputs.begin(), inputs.end(),
                   [](const std::string& i) { return IsUrlInput(i); })) {
    options.diagnostics->Warn("--seconds " + std::to_string(options.url_seconds) +
                              " sets how long a server profiles for a URL input, and no input is "
                              "a URL: it does nothing here (--from/--to cut a profile's time)");
  }
  FetchedUrls fetched = FetchUrlInputs(inputs, options);
  InputReader reader(inputs, options, fetched);
  size_t jobs = options.jobs > 0 ? static_cast<size_t>(options.jobs)
                                 : std::max(1u, std::thread::hardware_concurrency());
  jobs = std::min(jobs, inputs.size());
  std::optional<ReaderPool> pool;
  if (jobs > 1) pool.emplace(reader, inputs.size(), jobs);
  ProfileMerger merger(options.diagnostics, options.max_input_bytes);
  for (size_t i = 0; i < inputs.size(); ++i) {
    LoadedInput d = pool.has_value() ? pool->Take(i) : reader.ReadOne(i);
    if (options.diagnostics != nullptr) {
      for (const std::string& w : d.warnings) options.diagnostics->Warn(w);
      if (inputs.size() > 1) options.diagnostics->Progress("merging inputs", i + 1, inputs.size());
    }
    if (!d.profile->ok()) return std::move(d.profile->error());
    teller.Add(i, reader.Name(i), d.fingerprint);
    GCSPIKE_RETURN_IF_ERROR(merger.Add(std::move(**d.profile), reader.Name(i)));
  }
  CountedTwice twice = teller.Finish();
  if (counted_twice != nullptr) *counted_twice = std::move(twice);
  return merger.Finish();
}

Result<std::vector<std::string>> ReadInputList(const std::string& path) {
  std::ifstream file;
  std::istream* in = &std::cin;
  if (path != "-") {
    file.open(path);
    if (!file) {
      Error e = MakeError("cannot open the list of inputs (--inputs-from)");
      e.file = path;
      return e;
    }
    in = &file;
  }
  std::vector<std::string> inputs;
  std::string line;
  while (std::getline(*in, line)) {
    const size_t b = line.find_first_not_of(" \t\r");
    if (b == std::string::npos || line[b] == '#') continue;
    const size_t e = line.find_last_not_of(" \t\r");
    inputs.push_back(line.substr(b, e - b + 1));
  }
  if (in->bad()) {
    Error e = MakeError("cannot read the list of inputs (--inputs-from)");
    e.file = path == "-" ? "<stdin>" : path;
    return e;
  }
  return inputs;
}

}  // namespace gcspike
