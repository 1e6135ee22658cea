// Writes a small execution trace with CPU samples, GC cycles and mark assists:
// go run . OUT
package main

import (
	"os"
	"runtime/pprof"
	"runtime/trace"
	"strconv"
	"time"
)

var sink map[string]bool

func devnull() *os.File { f, _ := os.Create(os.DevNull); return f }

func main() {
	f, _ := os.Create(os.Args[1])
	pprof.StartCPUProfile(devnull())
	trace.Start(f)
	deadline := time.Now().Add(60 * time.Millisecond)
	for time.Now().Before(deadline) {
		m := map[string]bool{}
		for i := 0; i < 20000; i++ {
			m["k"+strconv.Itoa(i)] = true
		}
		sink = m
	}
	trace.Stop()
	pprof.StopCPUProfile()
	f.Close()
}
