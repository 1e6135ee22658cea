// Mappings of files that survive the file being cut short under them. A page of a file mapping
// that lies past the file's end raises SIGBUS when it is touched, so a file truncated by another
// process while gcspike reads it through a mapping would kill gcspike. Two kinds of files are
// read so: inputs (formats/input_source.h) and the binaries and debug files the symbolizer opens
// (symbolizer/elf_image.h). Each such mapping is registered here; the SIGBUS handler installed
// here (InstallFaultHandler) looks for the faulting address among them, and if it lies in one,
// the rest of that mapping, from the faulting page on, is replaced by zero pages (the access is
// retried and reads zeros) and the file offset of that page is recorded. The owner of the
// mapping then reports the file as cut short (FileShrankError) whatever was made of the zeros.
//
// The registry is a fixed array of slots holding lock-free atomics, so the handler needs no
// lock and no allocation (async-signal-safe), and mappings on several threads (--jobs) register
// at once. A mapping that finds no free slot must not be used: read the file instead.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>

#include "core/result.h"

namespace gcspike {

// Registers [begin, begin + len) as mapped from byte `file_offset` of a file; begin is page
// aligned. `writable`: the mapping is private and writable (libelf writes to its image), and
// so are the zero pages that replace it. Installs the SIGBUS handler on first use. Returns a
// handle, or -1 when every slot is taken or the handler could not be installed.
int RegisterMappedRegion(const void* begin, size_t len, uint64_t file_offset,
                         bool writable = false);
// The file offset of the first page of the region that faulted (was past the file's end), if
// any did.
std::optional<uint64_t> MappedRegionFault(int handle);
// Ends the registration (call it before unmapping) and returns MappedRegionFault. -1: nothing.
std::optional<uint64_t> UnregisterMappedRegion(int handle);

// Installs the SIGBUS handler (once; RegisterMappedRegion calls it). It chains to the action it
// replaces for faults outside the registered mappings, after running the cleanup of
// SetFaultCleanup. False when it is not in place (a sanitizer kept SIGBUS to itself): then
// mappings are not protected, and callers read their files instead of mapping them.
bool InstallFaultHandler();
// What the handler runs before a SIGBUS it does not rescue ends the process (removing the
// temporary outputs, formats/signal_cleanup.h). Must be async-signal-safe; nullptr: nothing.
void SetFaultCleanup(void (*cleanup)());

// Where a file mapped from its start with `mapped_size` bytes, open as `fd`, was found cut
// short: the first faulting page's offset (or the file's size now, if lower), or the size now
// when it is below mapped_size though nothing faulted (a cut inside a page already read, whose
// tail the kernel zeroes); nullopt when neither.
std::optional<uint64_t> MappedFileCut(int handle, int fd, uint64_t mapped_size);

// The error for `file` found cut short at byte `at` while it was read, and the test for it.
Error FileShrankError(std::string file, uint64_t at);
bool IsFileShrankError(const Error& e);

}  // namespace gcspike
