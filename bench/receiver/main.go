// Command receiver is the benchmark's webhook endpoint: it answers 200 to every request and
// counts requests, records and bytes without parsing the records, so it is never the bottleneck.
//
//	receiver --listen 127.0.0.1:0 --addr-file /tmp/addr [--limit 200] [--burst 20] [--latency 50ms]
//
// --latency holds every delivery that long before answering. --limit is a hidden rate limit: a
// token bucket of that many requests per second (--burst tokens deep, default a tenth of a
// second's worth) beyond which a delivery is answered 429 with Retry-After: 1 and not counted as
// delivered; it sends no RateLimit headers, so a client must find the limit by itself.
//
// GET /stats returns {"requests":…,"records":…,"bytes":…,"changed":…,"deleted":…,"limited":…,
// "first_ns":…,"last_ns":…,"per_second":[…],"max_window":…}: limited counts 429s, first_ns and
// last_ns are when the first and last delivered request arrived (Unix ns), per_second the
// delivered requests in each whole second (by arrival) between them, and max_window the most
// delivered requests that arrived within any one second (a sliding window, so at least every
// per_second's count). POST /reset zeroes them. Any other request is a delivery.
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
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/time/rate"

	"github.com/backflowhq/terraform-provider-backflow/internal/pacing"
)

type stats struct {
	requests, records, bytes, changed, deleted, limited atomic.Int64

	mu        sync.Mutex
	perSecond map[int64]int64 // delivered requests by arrival second (Unix)
	first     int64           // Unix ns of the first delivered request; 0: none
	last      int64
	arrivals  []time.Time // of each delivered request, up to maxArrivals
}

// maxArrivals bounds the arrival times kept for max_window (24 MB): the pacing cases send
// thousands of requests, the throughput cases' millions are not counted by the window.
const maxArrivals = 1 << 20

// arrived counts a delivered request that arrived at t.
func (s *stats) arrived(t time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	ns := t.UnixNano()
	if s.first == 0 {
		s.first = ns
	}
	s.last = ns
	s.perSecond[t.Unix()]++
	if len(s.arrivals) < maxArrivals {
		s.arrivals = append(s.arrivals, t)
	}
}

// maxWindow is the most delivered requests that arrived within one second of each other.
func (s *stats) maxWindow() int {
	s.mu.Lock()
	a := slices.Clone(s.arrivals)
	s.mu.Unlock()
	return pacing.MostWithin(a, time.Second)
}

// seconds are the delivered requests of each whole second between the first and the last.
func (s *stats) seconds() []int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := []int64{}
	if s.first == 0 {
		return out
	}
	for sec := s.first/1e9 + 1; sec < s.last/1e9; sec++ {
		out = append(out, s.perSecond[sec])
	}
	return out
}

var bufs = sync.Pool{New: func() any { b := make([]byte, 0, 1<<20); return &b }}

func main() {
	listen := flag.String("listen", "127.0.0.1:0", "address to listen on")
	addrFile := flag.String("addr-file", "", "write the address actually listened on to this file")
	limit := flag.Float64("limit", 0, "hidden rate limit in requests per second: 429 with Retry-After: 1 beyond it (0: none)")
	burst := flag.Int("burst", 0, "the limit's bucket depth in requests (0: a tenth of -limit, at least 1)")
	latency := flag.Duration("latency", 0, "how long every delivery is held before it is answered")
	flag.Parse()

	var bucket *rate.Limiter
	if *limit > 0 {
		b := *burst
		if b <= 0 {
			b = max(int(*limit/10), 1)
		}
		bucket = rate.NewLimiter(rate.Limit(*limit), b)
	}
	s := stats{perSecond: map[int64]int64{}}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /stats", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		s.mu.Lock()
		first, last := s.first, s.last
		s.mu.Unlock()
		_ = json.NewEncoder(w).Encode(map[string]any{
			"requests": s.requests.Load(), "records": s.records.Load(), "bytes": s.bytes.Load(),
			"changed": s.changed.Load(), "deleted": s.deleted.Load(), "limited": s.limited.Load(),
			"first_ns": first, "last_ns": last, "per_second": s.seconds(), "max_window": s.maxWindow(),
		})
	})
	mux.HandleFunc("POST /reset", func(w http.ResponseWriter, r *http.Request) {
		s.requests.Store(0)
		s.records.Store(0)
		s.bytes.Store(0)
		s.changed.Store(0)
		s.deleted.Store(0)
		s.limited.Store(0)
		s.mu.Lock()
		s.perSecond, s.first, s.last, s.arrivals = map[int64]int64{}, 0, 0, nil
		s.mu.Unlock()
	})
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		at := time.Now()
		if bucket != nil && !bucket.AllowN(at, 1) {
			_, _ = io.Copy(io.Discard, r.Body)
			s.limited.Add(1)
			time.Sleep(*latency)
			w.Header().Set("Retry-After", "1")
			http.Error(w, "rate limit exceeded", http.StatusTooManyRequests)
			return
		}
		bp := bufs.Get().(*[]byte)
		defer bufs.Put(bp)
		body, err := readAll((*bp)[:0], r.Body)
		*bp = body
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		n := countRecords(body)
		time.Sleep(*latency)
		s.arrived(at)
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
