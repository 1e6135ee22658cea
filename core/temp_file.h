// Unlinked temporary files for data spilled out of memory (the sample spool, a trace
// generation's batches): created in $TMPDIR (else /tmp), readable only through the descriptor,
// gone when it is closed.
#pragma once

#include <cstddef>
#include <cstdint>

#include "core/result.h"

namespace gcspike {

// An unlinked file nobody else can open; -1 when the directory does not allow one.
int OpenTempFile();

Status WriteAll(int fd, const uint8_t* p, size_t n);
Status WriteAllAt(int fd, const uint8_t* p, size_t n, uint64_t offset);
Status ReadAllAt(int fd, uint8_t* p, size_t n, uint64_t offset);

}  // namespace gcspike
