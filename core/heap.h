// The process heap's resident size: glibc keeps the pages of freed memory inside its heap
// resident until it is asked to trim them, so after a phase that frees large tables the peak
// memory of the next phase would count the dead ones too.
#pragma once

namespace gcspike {

// Hands the heap's free pages back to the system (a no-op without glibc).
void ReturnFreedMemory();

}  // namespace gcspike
