// tracegen writes a large Go execution trace for bench/trace_bench.sh: goroutines that hand
// work over channels (many scheduler events) and fill map[string]bool maps (map growth, GC
// cycles, mark assists), traced with CPU profiling on so the trace carries CPU samples.
//
//	go run . -out big.trace -duration 30s
package main

import (
	"flag"
	"log"
	"os"
	"runtime/pprof"
	"runtime/trace"
	"strconv"
	"sync"
	"time"
)

var sink sync.Map

func worker(id int, in <-chan int, out chan<- int, wg *sync.WaitGroup) {
	defer wg.Done()
	m := map[string]bool{}
	for v := range in {
		m["k"+strconv.Itoa(v)] = true
		if len(m) > 50000 {
			sink.Store(id, m)
			m = map[string]bool{}
		}
		out <- v + 1
	}
}

func main() {
	out := flag.String("out", "big.trace", "trace file to write")
	duration := flag.Duration("duration", 30*time.Second, "how long to trace")
	flag.Parse()
	f, err := os.Create(*out)
	if err != nil {
		log.Fatal(err)
	}
	devnull, _ := os.Create(os.DevNull)
	if err := pprof.StartCPUProfile(devnull); err != nil {
		log.Fatal(err)
	}
	if err := trace.Start(f); err != nil {
		log.Fatal(err)
	}
	const workers = 8
	var wg sync.WaitGroup // counts the workers; not waited for
	chans := make([]chan int, workers+1)
	for i := range chans {
		chans[i] = make(chan int)
	}
	for i := 0; i < workers; i++ {
		wg.Add(1)
		go worker(i, chans[i], chans[i+1], &wg)
	}
	go func() {
		for range chans[workers] {
		}
	}()
	deadline := time.Now().Add(*duration)
	for i := 0; time.Now().Before(deadline); i++ {
		chans[0] <- i
	}
	close(chans[0]) // the workers exit with the process; only the trace matters
	trace.Stop()
	pprof.StopCPUProfile()
	f.Close()
}
