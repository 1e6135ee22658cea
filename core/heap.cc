#include "core/heap.h"

#if defined(__GLIBC__)
#include <malloc.h>
#endif

namespace gcspike {

void ReturnFreedMemory() {
#if defined(__GLIBC__)
  malloc_trim(0);
#endif
}

}  // namespace gcspike
