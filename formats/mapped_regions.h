// Mappings of input files that survive the file being cut short under them. A page of a file
// mapping that lies past the file's end raises SIGBUS when it is touched, so a file truncated by
// another process while gcspike reads it through a mapping (InputSource) would kill gcspike.
// Each such mapping is registered here; the SIGBUS handler (formats/signal_cleanup.cc) asks
// RescueMappedFault whether the faulting address lies in one, and if so the rest of that
// mapping, from the faulting page on, is replaced by zero pages (the access is retried and
// reads zeros) and the file offset of that page is recorded. The owner of the mapping then
// reports the file as cut short (InputSource::CheckNotShrunk) whatever was made of the zeros.
//
// The registry is a fixed array of slots holding lock-free atomics, so the handler needs no
// lock and no allocation (async-signal-safe), and mappings on several threads (--jobs) register
// at once. A mapping that finds no free slot must not be used: read the file instead.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>

namespace gcspike {

// Registers [begin, begin + len) as mapped from byte `file_offset` of a file; begin is page
// aligned. Installs the SIGBUS handler on first use. Returns a handle, or -1 when every slot is
// taken or the handler could not be installed.
int RegisterMappedRegion(const void* begin, size_t len, uint64_t file_offset);
// The file offset of the first page of the region that faulted (was past the file's end), if
// any did.
std::optional<uint64_t> MappedRegionFault(int handle);
// Ends the registration (call it before unmapping) and returns MappedRegionFault. -1: nothing.
std::optional<uint64_t> UnregisterMappedRegion(int handle);

// For the SIGBUS handler only (async-signal-safe): when `addr` lies in a registered region,
// maps zero pages over that region from addr's page to its end, records the fault and returns
// true; false when addr is in none (or the zero pages cannot be mapped).
bool RescueMappedFault(const void* addr);

}  // namespace gcspike
