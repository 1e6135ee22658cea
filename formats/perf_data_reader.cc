// The perf.data reader in layers (each in its own file):
//   perf_record_reader   bytes -> attrs, records, header features (framing, pipe/file, zstd)
//   perf_sample_layout   perf_event_attr -> the fields of a SAMPLE record
//   perf_address_space   MMAP/COMM/FORK -> mappings, thread names, interned frames
//   perf_symbolize       the one door into symbolizer/ (binaries, unwinding, kernel symbols)
//   perf_profile_assembler  samples -> the Profile
// This file routes the records between them.
#include "formats/perf_data_reader.h"

#include <unordered_map>
#include <vector>

#include "core/profile_builder.h"
#include "formats/perf_address_space.h"
#include "formats/perf_event_abi.h"
#include "formats/perf_profile_assembler.h"
#include "formats/perf_record_reader.h"
#include "formats/perf_sample_layout.h"
#include "formats/perf_symbolize.h"

namespace gcspike {
namespace {

class PerfDataReader : public PerfRecordHandler {
 public:
  PerfDataReader(InputSource& in, const ReadOptions& options)
      : in_(in),
        options_(options),
        builder_(profile_),
        records_(in, options.diagnostics, *this),
        symbolizer_(options, space_, records_.header(), [this](const std::string& m) { Warn(m); }),
        assembler_(profile_, builder_, space_, symbolizer_, options.spool_samples) {}

  Result<Profile> Run();

  Status OnAttr(PerfAttr attr, std::span<const uint64_t> ids, uint64_t offset) override;
  Status OnRecord(uint32_t type, uint16_t misc, ByteCursor body, uint64_t offset) override;
  void OnComment(const std::string& text) override {
    profile_.comments.push_back(profile_.Intern(text));
  }

 private:
  Status OnSample(uint16_t misc, ByteCursor body);
  void Warn(const std::string& m) {
    if (options_.diagnostics != nullptr) options_.diagnostics->Warn(in_.name() + ": " + m);
  }

  InputSource& in_;
  const ReadOptions& options_;
  Profile profile_;
  ProfileBuilder builder_;
  PerfRecordReader records_;
  PerfAddressSpace space_;
  PerfSymbolizer symbolizer_;
  PerfProfileAssembler assembler_;
  std::vector<PerfAttr> attrs_;
  std::unordered_map<uint64_t, size_t> attr_by_id_;
  PerfSample sample_;  // reused
  uint64_t lost_samples_ = 0;
  uint64_t lost_records_ = 0;
  uint64_t unknown_id_samples_ = 0;
};

Status PerfDataReader::OnAttr(PerfAttr attr, std::span<const uint64_t> ids, uint64_t offset) {
  // Every sample has one value pair per event, so events must all be known before samples.
  if (assembler_.has_samples()) return MakeErrorAt(offset, "event attr after samples");
  const size_t index = attrs_.size();
  for (uint64_t id : ids) attr_by_id_[id] = index;
  if (!attrs_.empty()) {
    // All events must put the sample id at the same place for samples to be attributed.
    if ((attr.sample_type & (perf::sample::kIdentifier | perf::sample::kId)) == 0) {
      return MakeErrorAt(offset, "several events but this one's samples carry no id");
    }
  }
  attrs_.push_back(std::move(attr));
  return {};
}

Status PerfDataReader::OnRecord(uint32_t type, uint16_t misc, ByteCursor body, uint64_t) {
  switch (type) {
    case perf::record::kSample:
      return OnSample(misc, body);
    case perf::record::kMmap:
    case perf::record::kMmap2:
      return space_.AddMmap(type, misc, body);
    case perf::record::kComm:
      return space_.AddComm(body);
    case perf::record::kFork:
      return space_.AddFork(body);
    case perf::record::kLost: {
      GCSPIKE_RETURN_IF_ERROR(body.skip(8));  // id
      GCSPIKE_ASSIGN_OR_RETURN(uint64_t lost, body.u64le());
      lost_samples_ += lost;
      ++lost_records_;
      return {};
    }
    default:
      return {};  // carries nothing we use (EXIT, THROTTLE, KSYMBOL, CPU_MAP, ...)
  }
}

Status PerfDataReader::OnSample(uint16_t misc, ByteCursor body) {
  const uint64_t record_at = body.offset() - perf::kRecordHeaderSize;
  if (attrs_.empty()) return MakeErrorAt(record_at, "SAMPLE record before any event attr");
  size_t ai = 0;
  if (attrs_.size() > 1) {
    GCSPIKE_ASSIGN_OR_RETURN(uint64_t id, PerfSampleId(attrs_[0].sample_type, body));
    auto it = attr_by_id_.find(id);
    if (it == attr_by_id_.end()) {
      ++unknown_id_samples_;
      return {};
    }
    ai = it->second;
  }
  GCSPIKE_RETURN_IF_ERROR(ReadPerfSample(attrs_[ai], body, &sample_));
  return assembler_.AddSample(attrs_, ai, misc, sample_, record_at);
}

Result<Profile> PerfDataReader::Run() {
  GCSPIKE_RETURN_IF_ERROR(records_.Read());
  in_.ReleaseBuffer();  // before the binaries are mapped: memory peaks while symbolizing
  assembler_.Finish(attrs_, attr_by_id_, records_.header(), options_.diagnostics);
  if (lost_samples_ != 0) {
    Warn(std::to_string(lost_samples_) + " samples were lost while recording (" +
         std::to_string(lost_records_) + " PERF_RECORD_LOST records)");
  }
  if (unknown_id_samples_ != 0) {
    Warn(std::to_string(unknown_id_samples_) +
         " samples name an event id no attr declares; skipped");
  }
  assembler_.WarnUnwinding([this](const std::string& m) { Warn(m); });
  records_.WarnSkipped();
  GCSPIKE_RETURN_IF_ERROR(assembler_.Close());
  return std::move(profile_);
}

}  // namespace

Result<Profile> ReadPerfData(InputSource& in, const ReadOptions& options) {
  PerfDataReader reader(in, options);
  return reader.Run();
}

}  // namespace gcspike
