// The perf.data reader in layers (each in its own file):
//   perf_record_reader   bytes -> attrs, records, header features (framing, pipe/file, zstd)
//   perf_sample_layout   perf_event_attr -> the fields of a SAMPLE record
//   perf_address_space   MMAP/COMM/FORK -> mappings, thread names, interned frames
//   perf_symbolize       the one door into symbolizer/ (binaries, unwinding, kernel symbols)
//   perf_profile_assembler  samples -> the Profile
//   perf_record_pipeline    the records, in batches, from a reading thread to the calling one
// This file routes the records between them: on the reading thread it copies the records it
// uses into a batch and decodes their samples (what needs only the bytes and the attrs); on the
// calling thread it hands them to the address space and the assembler (what keeps state).
#include "formats/perf_data_reader.h"

#include <optional>
#include <unordered_map>
#include <vector>

#include "core/profile_builder.h"
#include "formats/perf_address_space.h"
#include "formats/perf_event_abi.h"
#include "formats/perf_profile_assembler.h"
#include "formats/perf_record_pipeline.h"
#include "formats/perf_record_reader.h"
#include "formats/perf_sample_layout.h"
#include "formats/perf_symbolize.h"

namespace gcspike {
namespace {

// What an event costs in the model (docs/memory.md#perfdata): its attr with its offset, a
// hash-table entry per id its samples carry, and each of the three copies of its name (its
// own and its two interned sample types) a string's bookkeeping on top of its characters.
constexpr uint64_t kAttrBytes = sizeof(PerfAttr) + 8;  // 104
constexpr uint64_t kIdBytes = 64;
constexpr uint64_t kNameBytes = 96;

class PerfDataReader : public PerfRecordHandler {
 public:
  PerfDataReader(InputSource& in, const ReadOptions& options)
      : in_(in),
        options_(options),
        builder_(profile_),
        records_(in, options.diagnostics, *this, {options.max_gzip_ratio, options.max_input_bytes}),
        symbolizer_(options, space_, records_.header(), [this](const std::string& m) { Warn(m); }),
        assembler_(profile_, builder_, space_, symbolizer_, options.spool_samples),
        pipeline_(std::in_place, [this](const PerfRecordBatch& b) { return HandleBatch(b); }) {}

  Result<Profile> Run();

  Status OnAttr(PerfAttr attr, std::span<const uint64_t> ids, uint64_t offset) override;
  Status OnRecord(uint32_t type, uint16_t misc, ByteCursor body, uint64_t offset) override;
  void OnComment(const std::string& text) override {
    (void)pipeline_->Drain();  // the handler interns strings too; an error of its comes again
    profile_.comments.push_back(profile_.Intern(text));
  }
  Status Sync() override { return pipeline_->Drain(); }
  Status OnHeaderBytes(uint64_t bytes, uint64_t offset) override {
    header_bytes_ = bytes;
    return CheckBudget(offset);
  }

 private:
  // The reading thread's part of a SAMPLE record (body: its copy in the batch).
  Status DecodeSample(PerfRecordBatch& batch, uint16_t misc, ByteCursor body);
  // The handling thread's part: every record of a batch, in order.
  Status HandleBatch(const PerfRecordBatch& batch);
  Status CheckBudget(uint64_t offset) const;
  // Names the events and counts their names (in the event and its two sample types) at the
  // offset of each one's attr.
  Status NameEvents();
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
  std::vector<uint64_t> attr_offsets_;  // of each attr's entry or HEADER_ATTR record
  // What the attrs and the record layer's header facts take (docs/memory.md#perfdata), set
  // while the handler is idle.
  uint64_t attr_bytes_ = 0;
  uint64_t header_bytes_ = 0;
  std::optional<PerfRecordPipeline> pipeline_;  // until every record is handled
  // The handling thread's:
  uint64_t lost_samples_ = 0;
  uint64_t lost_records_ = 0;
  // The reading thread's:
  uint64_t unknown_id_samples_ = 0;
};

Status PerfDataReader::OnAttr(PerfAttr attr, std::span<const uint64_t> ids, uint64_t offset) {
  GCSPIKE_RETURN_IF_ERROR(pipeline_->Drain());  // the handler is idle from here
  // Every sample has one value pair per event, so events must all be known before samples.
  if (assembler_.has_samples()) return MakeErrorAt(offset, "event attr after samples");
  if (!attrs_.empty()) {
    // All events must put the sample id at the same place for samples to be attributed.
    if ((attr.sample_type & (perf::sample::kIdentifier | perf::sample::kId)) == 0) {
      return MakeErrorAt(offset, "several events but this one's samples carry no id");
    }
  }
  // The attr, and an entry of attr_by_id_ per id (counted per id named, repeated or not),
  // counted before they are stored.
  attr_bytes_ += kAttrBytes + kIdBytes * ids.size();
  GCSPIKE_RETURN_IF_ERROR(CheckBudget(offset));
  const size_t index = attrs_.size();
  for (uint64_t id : ids) attr_by_id_[id] = index;
  attrs_.push_back(std::move(attr));
  attr_offsets_.push_back(offset);
  return {};
}

Status PerfDataReader::OnRecord(uint32_t type, uint16_t misc, ByteCursor body, uint64_t offset) {
  switch (type) {
    case perf::record::kSample:
    case perf::record::kMmap:
    case perf::record::kMmap2:
    case perf::record::kComm:
    case perf::record::kFork:
    case perf::record::kLost:
      break;
    default:
      return {};  // carries nothing we use (EXIT, THROTTLE, KSYMBOL, CPU_MAP, ...)
  }
  PerfRecordBatch& batch = pipeline_->filling();
  const ByteCursor copy = batch.Add(type, misc, body, offset);
  if (type == perf::record::kSample) {
    if (Status s = DecodeSample(batch, misc, copy); !s.ok()) {
      batch.DropLast();  // the records before it are still handled
      return s;
    }
  }
  return pipeline_->HandOverIfFull();
}

Status PerfDataReader::DecodeSample(PerfRecordBatch& batch, uint16_t misc, ByteCursor body) {
  const uint64_t record_at = body.offset() - perf::kRecordHeaderSize;
  if (attrs_.empty()) return MakeErrorAt(record_at, "SAMPLE record before any event attr");
  size_t ai = 0;
  if (attrs_.size() > 1) {
    GCSPIKE_ASSIGN_OR_RETURN(uint64_t id, PerfSampleId(attrs_[0].sample_type, body));
    auto it = attr_by_id_.find(id);
    if (it == attr_by_id_.end()) {
      ++unknown_id_samples_;
      batch.DropLast();
      return {};
    }
    ai = it->second;
  }
  PerfDecodedSample& d = batch.AddSample();
  d.attr = ai;
  GCSPIKE_RETURN_IF_ERROR(ReadPerfSample(attrs_[ai], body, &d.fields));
  d.stack_hash = PerfProfileAssembler::RawStackHash(misc, d.fields);
  return {};
}

Status PerfDataReader::HandleBatch(const PerfRecordBatch& batch) {
  // Each sample's stack lookup misses the cache twice (slot, then key) unless fetched ahead:
  // the slot kAhead samples ahead, and the key once that slot has arrived.
  constexpr size_t kAhead = 8;
  const std::span<const PerfRecordBatch::Record> records = batch.records();
  auto prefetch = [&](size_t i, bool key) {
    if (i < records.size() && records[i].sample >= 0) {
      assembler_.PrefetchStack(batch.sample(records[i]).stack_hash, key);
    }
  };
  for (size_t i = 0; i < kAhead; ++i) prefetch(i, false);
  for (size_t i = 0; i < records.size(); ++i) {
    prefetch(i + kAhead, false);
    prefetch(i + kAhead / 2, true);
    const PerfRecordBatch::Record& r = records[i];
    ByteCursor body = batch.body(r);
    switch (r.type) {
      case perf::record::kSample: {
        const PerfDecodedSample& d = batch.sample(r);
        GCSPIKE_RETURN_IF_ERROR(assembler_.AddSample(attrs_, d.attr, r.misc, d.fields,
                                                     r.body_offset - perf::kRecordHeaderSize,
                                                     d.stack_hash));
        break;
      }
      case perf::record::kMmap:
      case perf::record::kMmap2:
        GCSPIKE_RETURN_IF_ERROR(space_.AddMmap(r.type, r.misc, body));
        break;
      case perf::record::kComm:
        GCSPIKE_RETURN_IF_ERROR(space_.AddComm(body));
        break;
      case perf::record::kFork:
        GCSPIKE_RETURN_IF_ERROR(space_.AddFork(body));
        break;
      default: {                                // kLost
        GCSPIKE_RETURN_IF_ERROR(body.skip(8));  // id
        GCSPIKE_ASSIGN_OR_RETURN(uint64_t lost, body.u64le());
        lost_samples_ += lost;
        ++lost_records_;
      }
    }
    GCSPIKE_RETURN_IF_ERROR(CheckBudget(r.offset));
  }
  return {};
}

// The model is checked after every record, and the header's entries as they are read (the
// record layer's OnHeaderBytes), so one record or entry takes it at most its own growth past
// the budget (docs/memory.md#perfdata).
Status PerfDataReader::CheckBudget(uint64_t offset) const {
  const uint64_t bytes =
      space_.model_bytes() + assembler_.model_bytes() + attr_bytes_ + header_bytes_;
  if (bytes <= options_.max_input_bytes) [[likely]]
    return {};
  return MakeErrorAt(offset, "the profile built so far takes about " + std::to_string(bytes) +
                                 " bytes of memory, more than the memory budget of " +
                                 std::to_string(options_.max_input_bytes) +
                                 " bytes; --max-memory raises it");
}

Status PerfDataReader::NameEvents() {
  NamePerfEvents(attrs_, attr_by_id_, records_.header());
  for (size_t i = 0; i < attrs_.size(); ++i) {
    attr_bytes_ += 3 * (kNameBytes + attrs_[i].name.size());
    GCSPIKE_RETURN_IF_ERROR(CheckBudget(attr_offsets_[i]));
  }
  return {};
}

Result<Profile> PerfDataReader::Run() {
  // The records are read on a second thread and handled on this one.
  GCSPIKE_RETURN_IF_ERROR(pipeline_->Run([this] { return records_.Read(); }));
  pipeline_.reset();    // its batches
  in_.ReleaseBuffer();  // before the binaries are mapped: memory peaks while symbolizing
  GCSPIKE_RETURN_IF_ERROR(NameEvents());
  GCSPIKE_RETURN_IF_ERROR(assembler_.Finish(attrs_, records_.header(), options_.diagnostics));
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
