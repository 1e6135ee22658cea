// tracefill fills maps that grow while filled, under runtime/trace, for the end-to-end tests
// that need a trace whose content they know (prepause_test, time_features_test,
// trace_cut_test). It builds with Go 1.19 as well as with the Go on PATH.
//
//	tracefill [-cpu=false] [-workers N] [-rounds N] [-keys N] [-memstats] [-spin D] [-lead D] TRACE
//
// Each of -workers goroutines fills -rounds fresh map[string]int of -keys keys; after each map,
// -memstats calls runtime.ReadMemStats (a stop-the-world that is not the GC's) and -spin
// busy-loops that long without a map or an allocation. The work is fixed, so the number of CPU
// samples does not depend on the machine's load. With -cpu (the default) the CPU is profiled
// alongside (TRACE.cpu), so the trace holds CPU samples; -lead busy-loops that long before the
// trace starts and after it stops, so TRACE.cpu has samples that the trace has not.
package main

import (
	"flag"
	"log"
	"os"
	"runtime"
	"runtime/pprof"
	"runtime/trace"
	"strconv"
	"sync"
	"time"
)

var sink []int

func fill(w, rounds, keys int, memstats bool, spin time.Duration) {
	var ms runtime.MemStats
	for r := 0; r < rounds; r++ {
		m := map[string]int{} // not presized: it grows while filled
		for i := 0; i < keys; i++ {
			m["k"+strconv.Itoa(i)] = i
		}
		sink[w] += len(m)
		if memstats {
			runtime.ReadMemStats(&ms)
		}
		for end := time.Now().Add(spin); time.Now().Before(end); {
			sink[w]++
		}
	}
}

func spinFor(d time.Duration) {
	for end := time.Now().Add(d); time.Now().Before(end); {
		sink[0]++
	}
}

func main() {
	cpu := flag.Bool("cpu", true, "profile the CPU while tracing (TRACE.cpu)")
	workers := flag.Int("workers", 1, "goroutines filling maps")
	rounds := flag.Int("rounds", 12, "maps each worker fills")
	keys := flag.Int("keys", 200000, "keys per map")
	memstats := flag.Bool("memstats", false, "runtime.ReadMemStats after each map")
	spin := flag.Duration("spin", 0, "busy loop after each map")
	lead := flag.Duration("lead", 0, "with -cpu: busy loop before the trace starts and after it stops")
	flag.Parse()
	if flag.NArg() != 1 {
		log.Fatal("usage: tracefill [flags] TRACE")
	}
	f, err := os.Create(flag.Arg(0))
	if err != nil {
		log.Fatal(err)
	}
	if *cpu {
		c, err := os.Create(flag.Arg(0) + ".cpu")
		if err != nil {
			log.Fatal(err)
		}
		if err := pprof.StartCPUProfile(c); err != nil {
			log.Fatal(err)
		}
	}
	sink = make([]int, *workers)
	spinFor(*lead)
	if err := trace.Start(f); err != nil {
		log.Fatal(err)
	}
	var wg sync.WaitGroup
	for w := 0; w < *workers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			fill(w, *rounds, *keys, *memstats, *spin)
		}(w)
	}
	wg.Wait()
	trace.Stop()
	spinFor(*lead)
	if *cpu {
		pprof.StopCPUProfile()
	}
	if err := f.Close(); err != nil {
		log.Fatal(err)
	}
}
