// Command receiver is the benchmark's webhook endpoint: it answers 200 to every request and
// counts requests, records and bytes without parsing the records, so it is never the bottleneck.
//
//	receiver --listen 127.0.0.1:0 --addr-file /tmp/addr
//
// GET /stats returns {"requests":…,"records":…,"bytes":…,"changed":…,"deleted":…};
// POST /reset zeroes them. Any other request is a delivery.
package main

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"os"
	"sync"
	"sync/atomic"
)

type stats struct {
	requests, records, bytes, changed, deleted atomic.Int64
}

var bufs = sync.Pool{New: func() any { b := make([]byte, 0, 1<<20); return &b }}

func main() {
	listen := flag.String("listen", "127.0.0.1:0", "address to listen on")
	addrFile := flag.String("addr-file", "", "write the address actually listened on to this file")
	flag.Parse()

	var s stats
	mux := http.NewServeMux()
	mux.HandleFunc("GET /stats", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]int64{
			"requests": s.requests.Load(), "records": s.records.Load(), "bytes": s.bytes.Load(),
			"changed": s.changed.Load(), "deleted": s.deleted.Load(),
		})
	})
	mux.HandleFunc("POST /reset", func(w http.ResponseWriter, r *http.Request) {
		s.requests.Store(0)
		s.records.Store(0)
		s.bytes.Store(0)
		s.changed.Store(0)
		s.deleted.Store(0)
	})
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		bp := bufs.Get().(*[]byte)
		defer bufs.Put(bp)
		body, err := readAll((*bp)[:0], r.Body)
		*bp = body
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		n := countRecords(body)
		s.requests.Add(1)
		s.records.Add(int64(n))
		s.bytes.Add(int64(len(body)))
		switch {
		case bytes.Contains(body[:min(len(body), 64)], []byte(`"operation":"deleted"`)):
			s.deleted.Add(int64(n))
		case bytes.Contains(body[:min(len(body), 64)], []byte(`"operation":"changed"`)):
			s.changed.Add(int64(n))
		}
		w.WriteHeader(http.StatusOK)
	})

	ln, err := net.Listen("tcp", *listen)
	if err != nil {
		log.Fatal(err)
	}
	if *addrFile != "" {
		if err := os.WriteFile(*addrFile, []byte(ln.Addr().String()), 0o644); err != nil {
			log.Fatal(err)
		}
	}
	fmt.Fprintf(os.Stderr, "receiver: listening on http://%s\n", ln.Addr())
	log.Fatal(http.Serve(ln, mux))
}

func readAll(b []byte, r io.Reader) ([]byte, error) {
	for {
		if len(b) == cap(b) {
			b = append(b, 0)[:len(b)]
		}
		n, err := r.Read(b[len(b):cap(b)])
		b = b[:len(b)+n]
		if err == io.EOF {
			return b, nil
		}
		if err != nil {
			return b, err
		}
	}
}

// countRecords counts the objects directly inside the envelope's "data" array. It skips strings
// with IndexByte (most of a record's bytes are in strings) and tracks depth only between them.
func countRecords(b []byte) int {
	i := bytes.Index(b, []byte(`"data":[`))
	if i < 0 {
		return 0
	}
	i += len(`"data":[`)
	depth, n := 1, 0
	for i < len(b) {
		switch b[i] {
		case '"':
			i++
			for {
				j := bytes.IndexByte(b[i:], '"')
				if j < 0 {
					return n
				}
				i += j
				bs := 0
				for k := i - 1; k >= 0 && b[k] == '\\'; k-- {
					bs++
				}
				i++
				if bs%2 == 0 {
					break
				}
			}
			continue
		case '{':
			if depth == 1 {
				n++
			}
			depth++
		case '[':
			depth++
		case '}', ']':
			depth--
			if depth == 0 {
				return n
			}
		}
		i++
	}
	return n
}
