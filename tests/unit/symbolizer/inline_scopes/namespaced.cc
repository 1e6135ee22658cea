// One unit of the program ElfSymbolizerTest.InlinedCallsUnderANamespace builds with clang++-14
// (tests/unit/symbolizer/elf_symbolizer_test.cc). clang writes the definitions of namespace
// members as DW_TAG_subprogram children of the DW_TAG_namespace, so the inlined calls below lie
// outside every subprogram at the unit's top level: the symbolizer indexes this unit's inlined
// calls as a whole. Each call is forced inline and each level has its own lines.
namespace shapes {

static inline __attribute__((always_inline)) int Scale(int x) {
  int y = x * 3;
  return y + 1;
}

static inline __attribute__((always_inline)) int Mix(int x) {
  int s = Scale(x);
  return s ^ (x >> 2);
}

namespace detail {

static inline __attribute__((always_inline)) int Fold(int x) {
  int m = Mix(x);
  return m - Scale(x + 5);
}

__attribute__((noinline)) int Nested(int x) {
  int f = Fold(x);
  return f * Mix(x - 1);
}

}  // namespace detail

__attribute__((noinline)) int Area(int x) {
  int a = Mix(x);
  return a + Mix(x + 7);
}

}  // namespace shapes

// At the unit's top level, but in the same unit: found through the whole unit's index too.
static inline __attribute__((always_inline)) int Twice(int x) { return shapes::Area(x) * 2; }

__attribute__((noinline)) int NamespacedEntry(int x) {
  int t = Twice(x);
  return t + shapes::detail::Nested(x);
}
