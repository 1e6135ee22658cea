// The workload of the perf.data golden recordings (record.sh): a static binary without libc, so
// the recordings name one small file that is committed beside them and symbolize the same on
// any machine. Two user-space call chains burn CPU; a third makes system calls, for samples
// with kernel frames.
#define NOINLINE __attribute__((noinline))

static volatile unsigned long sink;

static long Syscall0(long nr) {
  long ret;
  __asm__ volatile("syscall" : "=a"(ret) : "a"(nr) : "rcx", "r11", "memory");
  return ret;
}

NOINLINE static void SpinLeaf(unsigned long n) {
  for (unsigned long i = 0; i < n; ++i) sink += i * i;
}

NOINLINE static void SpinMiddle(unsigned long n) {
  SpinLeaf(n);
  sink ^= n;
}

NOINLINE static void Mix(unsigned long n) {
  for (unsigned long i = 0; i < n; ++i) sink = sink * 6364136223846793005UL + i;
}

NOINLINE static void Syscalls(unsigned long n) {
  for (unsigned long i = 0; i < n; ++i) sink += (unsigned long)Syscall0(39);  // getpid
}

NOINLINE static void Run(unsigned long rounds) {
  for (unsigned long r = 0; r < rounds; ++r) {
    SpinMiddle(2000000);
    Mix(1000000);
    Syscalls(20000);
  }
}

NOINLINE static void Exit0(void) {
  __asm__ volatile("syscall" : : "a"(60L), "D"(0L) : "rcx", "r11", "memory");  // exit(0)
  __builtin_unreachable();
}

void _start(void) {
  Run(30);
  Exit0();
}
