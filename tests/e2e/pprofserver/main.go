// Command pprofserver serves net/http/pprof on 127.0.0.1 for gcspike's URL-input test
// (tests/e2e/url_inputs_test.sh) while a workload grows maps, so a CPU profile fetched from it
// shows map growth. It listens on a free port and prints the port on stdout, then serves until
// killed. Besides /debug/pprof/ it has:
//
//	/fixed   the file given by -fixed, as it is (a recorded profile: the same bytes every time)
//	/fail    HTTP 500 with a two-line body
//	/html    an HTML page (200), which is not a profile
package main

import (
	"flag"
	"fmt"
	"log"
	"net"
	"net/http"
	_ "net/http/pprof"
	"os"
	"runtime"
	"strconv"
)

// grow fills maps that start empty, so the runtime grows them again and again (the pattern
// gcspike labels grow-spike), and keeps a few alive so the GC has work.
func grow(worker int) {
	keys := make([]string, 1<<15)
	for i := range keys {
		keys[i] = "key-" + strconv.Itoa(worker) + "-" + strconv.Itoa(i)
	}
	var keep []map[string]int
	for round := 0; ; round++ {
		m := make(map[string]int)
		for i, k := range keys {
			m[k] = i + round
		}
		keep = append(keep, m)
		if len(keep) > 4 {
			keep = keep[1:]
		}
	}
}

func main() {
	fixed := flag.String("fixed", "", "file served at /fixed")
	flag.Parse()
	http.HandleFunc("/fixed", func(w http.ResponseWriter, r *http.Request) {
		if *fixed == "" {
			http.NotFound(w, r)
			return
		}
		http.ServeFile(w, r, *fixed)
	})
	http.HandleFunc("/fail", func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "injected failure for the test\nsecond line", http.StatusInternalServerError)
	})
	http.HandleFunc("/html", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprint(w, "<!DOCTYPE html>\n<html><body>not a profile</body></html>\n")
	})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		log.Fatal(err)
	}
	for w := 0; w < runtime.GOMAXPROCS(0); w++ {
		go grow(w)
	}
	fmt.Println(ln.Addr().(*net.TCPAddr).Port)
	os.Stdout.Sync()
	log.Fatal(http.Serve(ln, nil))
}
