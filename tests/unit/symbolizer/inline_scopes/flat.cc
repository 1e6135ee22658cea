// The other unit of the program ElfSymbolizerTest.InlinedCallsUnderANamespace builds with
// clang++-14: every inlined call lies in a subprogram at the unit's top level, so the symbolizer
// indexes each subprogram's inlined calls on the first lookup in it.
int NamespacedEntry(int x);

static inline __attribute__((always_inline)) int Step(int x) {
  int y = x * 5;
  return y - 3;
}

static inline __attribute__((always_inline)) int Walk(int x) {
  int s = Step(x);
  return s + Step(x >> 1);
}

__attribute__((noinline)) int FlatEntry(int x) {
  int w = Walk(x);
  return w ^ Walk(x + 11);
}

int main(int argc, char**) { return FlatEntry(argc) + NamespacedEntry(argc); }
