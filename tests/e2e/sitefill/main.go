// sitefill fills maps that grow while filled in three ways whose insert is not in the function
// that makes the map, for e2e_site_stdlib_test (the site to presize is that function):
//
//	sitefill -mode index|collect|json [-duration D] CPUPROFILE
//
// index: main.index fills its map in a range-over-func loop over slices.All (the insert is in
// the loop body, a closure the iterator calls); collect: main.collect gets its map from
// maps.Collect (made and filled in the standard library); json: main.decode has
// encoding/json fill a map it decodes into. Each runs on one goroutine with a pointerful live
// heap and GOGC=25, so the maps' growth shows in a short CPU profile.
package main

import (
	"encoding/json"
	"flag"
	"log"
	"maps"
	"os"
	"runtime/debug"
	"runtime/pprof"
	"slices"
	"strconv"
	"strings"
	"time"
)

var (
	mode     = flag.String("mode", "index", "index | collect | json")
	duration = flag.Duration("duration", time.Second, "how long to fill maps")
	sink     int
	live     []*string
)

//go:noinline
func index(keys []string) int {
	m := map[string]bool{}
	for _, k := range slices.All(keys) {
		m[k] = true
	}
	return len(m)
}

//go:noinline
func collect(src map[string]int) int {
	return len(maps.Collect(maps.All(src)))
}

//go:noinline
func decode(doc []byte) int {
	var m map[string]int
	if err := json.Unmarshal(doc, &m); err != nil {
		log.Fatal(err)
	}
	return len(m)
}

func main() {
	flag.Parse()
	if flag.NArg() != 1 {
		log.Fatal("usage: sitefill -mode index|collect|json [-duration D] CPUPROFILE")
	}
	debug.SetGCPercent(25)
	for i := 0; i < 1<<19; i++ {
		s := strconv.Itoa(i)
		live = append(live, &s)
	}
	keys := make([]string, 20000)
	src := make(map[string]int, len(keys))
	var doc strings.Builder
	doc.WriteString("{")
	for i := range keys {
		keys[i] = "user-" + strconv.Itoa(i*7919%len(keys))
		src[keys[i]] = i
		if i > 0 {
			doc.WriteString(",")
		}
		doc.WriteString(strconv.Quote(keys[i]) + ":" + strconv.Itoa(i))
	}
	doc.WriteString("}")
	f, err := os.Create(flag.Arg(0))
	if err != nil {
		log.Fatal(err)
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		log.Fatal(err)
	}
	for stop := time.Now().Add(*duration); time.Now().Before(stop); {
		switch *mode {
		case "index":
			sink += index(keys)
		case "collect":
			sink += collect(src)
		case "json":
			sink += decode([]byte(doc.String()))
		default:
			log.Fatalf("unknown mode %q", *mode)
		}
	}
	pprof.StopCPUProfile()
	if err := f.Close(); err != nil {
		log.Fatal(err)
	}
}
