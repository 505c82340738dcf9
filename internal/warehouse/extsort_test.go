package warehouse

import (
	"bytes"
	"context"
	"crypto/md5"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"math"
	"math/rand/v2"
	"os"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/backflowhq/terraform-provider-backflow/internal/controlplane"
)

// sliceStream is a Stream over rows held in memory, in the order given: row[0] is the key
// (nil: NULL), the rest the columns' JSON.
type sliceStream struct {
	rows   [][][]byte
	i      int
	failAt int // Err after this many rows (0: never)
	closed bool
	onNext func(i int) // called with the number of rows read so far, before each Next
}

func (s *sliceStream) Columns() []controlplane.Column {
	return []controlplane.Column{{Name: "k", Type: "text"}, {Name: "v", Type: "text"}}
}

func (s *sliceStream) Next() bool {
	if s.onNext != nil {
		s.onNext(s.i)
	}
	if s.failAt > 0 && s.i >= s.failAt {
		return false
	}
	s.i++
	return s.i <= len(s.rows)
}

func (s *sliceStream) Key() ([]byte, bool) {
	k := s.rows[s.i-1][0]
	return k, k == nil
}

func (s *sliceStream) AppendValue(buf []byte, col int) []byte {
	return append(buf, s.rows[s.i-1][col+1]...)
}

func (s *sliceStream) AppendObject(buf []byte, cols []int, names [][]byte) []byte {
	panic("not used by sortByKey")
}

func (s *sliceStream) Err() error {
	if s.failAt > 0 && s.i >= s.failAt {
		return errors.New("the warehouse failed mid-stream")
	}
	return nil
}

func (s *sliceStream) Close() error { s.closed = true; return nil }

// compareKeys is the key order written plainly: keys by their bytes, NULL (null) keys last.
func compareKeys(a []byte, aNull bool, b []byte, bNull bool) int {
	switch {
	case aNull || bNull:
		if aNull == bNull {
			return 0
		}
		if aNull {
			return 1
		}
		return -1
	}
	return bytes.Compare(a, b)
}

// sortKeys are keys a sort by key gets wrong when it trusts a prefix, a collation or a length:
// 16-byte common prefixes differing after them, several groups of keys equal in their first 16,
// 32 or 48 bytes (with keys ending exactly there, and NULs after them), keys that are prefixes
// of others (with and without a NUL after), bytes above 0x7f, the empty key, duplicates and NULL.
func sortKeys(n int) [][]byte {
	long := strings.Repeat("0123456789abcdef", 3)
	var keys [][]byte
	for i := range n {
		var k string
		switch i % 12 {
		case 0:
			k = "alycia.adams.samelongprefix" + strconv.Itoa(i)
		case 1:
			k = "alycia.adams.samelongprefix"
		case 2:
			k = "alycia.adams.samelongprefix\x00" + strconv.Itoa(i%5)
		case 3:
			k = "Émile" + strconv.Itoa(i)
		case 4:
			k = strconv.Itoa(i)
		case 5:
			k = ""
		case 6:
			k = "z\xff" + strconv.Itoa(i%7)
		case 7:
			keys = append(keys, nil)
			continue
		case 8:
			// Groups equal in 16, 32 or 48 bytes; some keys end there, some have NULs next.
			w := 16 * (1 + i/12%3)
			k = []string{"b", "c", "d"}[i/36%3] + long[1:w] + []string{"", "\x00", "\x00\x00", "x", strconv.Itoa(i % 50)}[i/108%5]
		case 9:
			k = "kirsten.lindqvist" + strconv.Itoa(i%300) + "@example.com"
		case 10:
			k = "wanjiru.kowalski" + strconv.Itoa(i%300) + "@example.com"
		case 11:
			k = "wanjiru.kowalski"[:1+i/12%16]
		}
		keys = append(keys, []byte(k))
	}
	return keys
}

// TestSortByKey: rows in a random order come out in the key order (bytes, NULL last), each row
// once with its columns, whether they fit one buffer or many runs spilled to disk; the temporary
// files are gone from the directory at once.
func TestSortByKey(t *testing.T) {
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp)
	for _, bufBytes := range []int{1 << 20, 300, 1} {
		t.Run(fmt.Sprintf("buffer %d bytes", bufBytes), func(t *testing.T) {
			keys := sortKeys(4000)
			rows := make([][][]byte, len(keys))
			for i, k := range keys {
				rows[i] = [][]byte{k, fmt.Appendf(nil, "%q", k), []byte(strconv.Itoa(i))}
			}
			rand.Shuffle(len(rows), func(i, j int) { rows[i], rows[j] = rows[j], rows[i] })
			in := &sliceStream{rows: rows}
			s, err := sortByKeyIn(context.Background(), in, bufBytes, nil)
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			if !in.closed {
				t.Error("the warehouse's stream is still open once every row is read")
			}
			if bufBytes < 1<<20 && len(s.ends) < 2 {
				t.Errorf("%d runs on disk, want several", len(s.ends))
			}
			if ents, _ := os.ReadDir(tmp); len(ents) != 0 {
				t.Errorf("%d temporary files left in the directory while reading, want 0 (removed at once)", len(ents))
			}
			var got []string
			var prev []byte
			prevNull, first := false, true
			names := [][]byte{[]byte(`"v"`), []byte(`"i"`)}
			for s.Next() {
				k, null := s.Key()
				if !first && compareKeys(prev, prevNull, k, null) > 0 {
					t.Fatalf("key %q (null %v) after %q (null %v)", k, null, prev, prevNull)
				}
				prev, prevNull, first = append(prev[:0], k...), null, false
				obj := string(s.AppendObject(nil, []int{0, 1}, names))
				if v := string(s.AppendValue(nil, 0)); v != fmt.Sprintf("%q", k) {
					t.Fatalf("key %q has the value %s", k, v)
				}
				got = append(got, obj)
			}
			if err := s.Err(); err != nil {
				t.Fatal(err)
			}
			var want []string
			for _, r := range rows {
				want = append(want, fmt.Sprintf(`{"v":%s,"i":%s}`, r[1], r[2]))
			}
			slices.Sort(got)
			slices.Sort(want)
			if !slices.Equal(got, want) {
				t.Errorf("read %d rows, want the %d given, each once", len(got), len(want))
			}
		})
	}
}

// TestSortByKeyFetched: the count of rows read moves while the warehouse is still sending
// (the progress of a long read, before the sort returns its first row) and ends at every row.
func TestSortByKeyFetched(t *testing.T) {
	t.Setenv("TMPDIR", t.TempDir())
	rows := make([][][]byte, 5000)
	for i := range rows {
		rows[i] = [][]byte{[]byte(strconv.Itoa(i)), []byte(`"x"`), []byte("1")}
	}
	var fetched atomic.Int64
	var seen []int64
	in := &sliceStream{rows: rows, onNext: func(i int) {
		if i > 0 && i%1000 == 0 {
			seen = append(seen, fetched.Load())
		}
	}}
	s, err := sortByKeyIn(context.Background(), in, 500, &fetched)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if got := fetched.Load(); got != int64(len(rows)) {
		t.Errorf("fetched %d once the read is over, want %d", got, len(rows))
	}
	// At the 1000th row, 0 (counted every 1024); at the 2000th, 1024; then 2048, 3072, 4096.
	if want := []int64{0, 1024, 2048, 3072, 4096}; !slices.Equal(seen, want) {
		t.Errorf("fetched while reading: %v, want %v", seen, want)
	}
}

// TestSortByKeyRandomKeys: random keys of few distinct bytes (NUL, 0x01, 'a', 0xff), of 0 to
// 50 bytes, with many duplicates and long common prefixes, come out in the order of their bytes
// (NULL last), in one buffer and in many runs: the sort of a buffer by 16-byte windows, by
// digits and by insertion agrees with bytes.Compare for every shape of key.
func TestSortByKeyRandomKeys(t *testing.T) {
	t.Setenv("TMPDIR", t.TempDir())
	r := rand.New(rand.NewPCG(1, 2))
	for _, bufBytes := range []int{4 << 20, 64 << 10} {
		for trial := range 5 {
			var keys [][]byte
			for range 20000 {
				if r.IntN(50) == 0 {
					keys = append(keys, nil)
					continue
				}
				// Long runs of one byte make keys equal in 16, 32 or 48 bytes.
				k := make([]byte, r.IntN(51))
				for j := range k {
					if j > 0 && r.IntN(4) > 0 {
						k[j] = k[j-1]
					} else {
						k[j] = "\x00\x01a\xff"[r.IntN(4)]
					}
				}
				keys = append(keys, k)
			}
			rows := make([][][]byte, len(keys))
			for i, k := range keys {
				rows[i] = [][]byte{k, []byte(strconv.Itoa(i)), []byte("0")}
			}
			s, err := sortByKeyIn(context.Background(), &sliceStream{rows: rows}, bufBytes, nil)
			if err != nil {
				t.Fatal(err)
			}
			var got []int
			for s.Next() {
				i, _ := strconv.Atoi(string(s.AppendValue(nil, 0)))
				got = append(got, i)
			}
			if err := s.Err(); err != nil {
				t.Fatal(err)
			}
			s.Close()
			if len(got) != len(keys) {
				t.Fatalf("read %d rows, want %d", len(got), len(keys))
			}
			for j := 1; j < len(got); j++ {
				a, b := keys[got[j-1]], keys[got[j]]
				if compareKeys(a, a == nil, b, b == nil) > 0 {
					t.Fatalf("buffer %d, trial %d: key %q after %q", bufBytes, trial, b, a)
				}
			}
			slices.Sort(got)
			for j, i := range got {
				if i != j {
					t.Fatalf("row %d not read once", j)
				}
			}
		}
	}
}

// TestSortByKeyFails: the warehouse's error mid-stream, and the end of the context, end the
// sort with that error, and the warehouse's stream is closed.
func TestSortByKeyFails(t *testing.T) {
	rows := make([][][]byte, 5000)
	for i := range rows {
		rows[i] = [][]byte{[]byte(strconv.Itoa(i)), []byte(`"x"`), []byte("1")}
	}
	in := &sliceStream{rows: rows, failAt: 4000}
	if _, err := sortByKeyIn(context.Background(), in, 500, nil); err == nil || !strings.Contains(err.Error(), "mid-stream") {
		t.Errorf("a warehouse that fails: %v, want its error", err)
	}
	if !in.closed {
		t.Error("the warehouse's stream is still open")
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	in = &sliceStream{rows: rows}
	if _, err := sortByKeyIn(ctx, in, 500, nil); !errors.Is(err, context.Canceled) {
		t.Errorf("an ended context: %v, want context.Canceled", err)
	}
}

// TestSortByKeyNoTMPDIR: a sort that cannot make its file (TMPDIR missing, read-only, full)
// fails with an error that names the directory, TMPDIR and what to do, and closes the
// warehouse's stream, as the runner's own runs showed with TMPDIR on a full tmpfs.
func TestSortByKeyNoTMPDIR(t *testing.T) {
	missing := t.TempDir() + "/missing"
	t.Setenv("TMPDIR", missing)
	rows := make([][][]byte, 5000)
	for i := range rows {
		rows[i] = [][]byte{[]byte(strconv.Itoa(i)), []byte(`"x"`), []byte("1")}
	}
	in := &sliceStream{rows: rows}
	_, err := sortByKeyIn(context.Background(), in, 500, nil)
	if err == nil || !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("a sort with TMPDIR missing: %v, want the error of its file", err)
	}
	for _, want := range []string{"in " + missing + " (TMPDIR sets it)", "point TMPDIR at a writable directory with room for it"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("the error does not say %q: %v", want, err)
		}
	}
	if !in.closed {
		t.Error("the warehouse's stream is still open")
	}
}

// TestSortByKeyManyRuns: a model of many runs holds one file descriptor and read buffers within
// runReadBudget, not one file and 64 KB per run (a model of 2 TB of JSON would be 120000 runs of
// 16 MB: past the process's file limit, and 8 GB of read buffers).
func TestSortByKeyManyRuns(t *testing.T) {
	t.Setenv("TMPDIR", t.TempDir())
	fds := func() int {
		ents, err := os.ReadDir("/proc/self/fd")
		if err != nil {
			t.Skip("this system has no /proc/self/fd to count open files in")
		}
		return len(ents)
	}
	rows := make([][][]byte, 5000)
	for i := range rows {
		v := []byte(`"x"`)
		if i%100 == 0 { // larger than a run's read buffer
			v = []byte(`"` + strings.Repeat("y", 2*minRunReadBytes) + `"`)
		}
		rows[i] = [][]byte{[]byte(strconv.Itoa(i * 7919 % len(rows))), v, []byte(strconv.Itoa(i))}
	}
	before := fds()
	s, err := sortByKeyIn(context.Background(), &sliceStream{rows: rows}, 1, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if len(s.ends) < len(rows)-1 {
		t.Fatalf("%d runs on disk, want one per row", len(s.ends))
	}
	n := 0
	for s.Next() {
		n++
		i, _ := strconv.Atoi(string(s.AppendValue(nil, 1)))
		if k, _ := s.Key(); string(k) != string(rows[i][0]) || string(s.AppendValue(nil, 0)) != string(rows[i][1]) {
			t.Fatalf("row %d read back as key %q and a value of %d bytes", i, k, len(s.AppendValue(nil, 0)))
		}
		if n == 1 {
			if open := fds() - before; open > 1 {
				t.Errorf("%d files open while merging %d runs, want 1", open, len(s.ends))
			}
			read := 0
			for _, r := range s.runs {
				if r.r != nil {
					read += r.r.Size()
				}
			}
			if limit := max(runReadBudget, len(s.ends)*minRunReadBytes); read > limit {
				t.Errorf("%d MB of read buffers for %d runs, want at most %d MB", read>>20, len(s.ends), limit>>20)
			}
		}
	}
	if err := s.Err(); err != nil {
		t.Fatal(err)
	}
	if n != len(rows) {
		t.Errorf("read %d rows, want %d", n, len(rows))
	}
	s.Close()
	if open := fds() - before; open != 0 {
		t.Errorf("%d files still open after Close", open)
	}
}

// TestSortByKeyCorruptRun: a record length read back that is longer than any record written
// (the temporary file changed under the runner) ends the rows with errCorruptRun, without first
// allocating the up to 4 GB it claims.
func TestSortByKeyCorruptRun(t *testing.T) {
	t.Setenv("TMPDIR", t.TempDir())
	rows := make([][][]byte, 4000)
	for i := range rows {
		rows[i] = [][]byte{[]byte(strconv.Itoa(i * 7919 % len(rows))), []byte(`"` + strings.Repeat("v", 1000) + `"`), []byte("1")}
	}
	s, err := sortByKeyIn(context.Background(), &sliceStream{rows: rows}, 1<<20, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if len(s.ends) < 2 || s.ends[0] < 4*runReadBytes {
		t.Fatalf("runs ending at %v, want several of more than %d bytes", s.ends, 4*runReadBytes)
	}
	// The first record of run 0 that starts past what its reader has buffered.
	var off int64
	var head [lenSize]byte
	for off < 2*runReadBytes {
		if _, err := s.file.ReadAt(head[:], off); err != nil {
			t.Fatal(err)
		}
		off += lenSize + int64(binary.LittleEndian.Uint32(head[:]))
	}
	binary.LittleEndian.PutUint32(head[:], math.MaxUint32-16)
	if _, err := s.file.WriteAt(head[:], off); err != nil {
		t.Fatal(err)
	}
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	n := 0
	for s.Next() {
		n++
	}
	runtime.ReadMemStats(&after)
	if err := s.Err(); !errors.Is(err, errCorruptRun) || n >= len(rows) {
		t.Errorf("%d of %d rows, then %v; want errCorruptRun before the end", n, len(rows), err)
	}
	if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 256<<20 {
		t.Errorf("%d MB allocated reading the runs back, want no buffer for the corrupt length", alloc>>20)
	}
}

// TestSortByKeyNarrowRows: a buffer's entries count in its memory. A narrow model's row (a
// short key and a number) is a record of about the size of its entry, so a buffer counting only
// its records held as much again in entries: the sort of such a model took three times
// SortBufferBytes.
func TestSortByKeyNarrowRows(t *testing.T) {
	t.Setenv("TMPDIR", t.TempDir())
	rows := make([][][]byte, 200000)
	for i := range rows {
		k := []byte(strconv.Itoa(i * 7919 % len(rows)))
		rows[i] = [][]byte{k, k, []byte("1")}
	}
	const bufBytes = 1 << 20
	s, err := sortByKeyIn(context.Background(), &sliceStream{rows: rows}, bufBytes, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if len(s.ends) < 2 {
		t.Fatalf("%d runs on disk, want several", len(s.ends))
	}
	// The last buffer, in memory: the one that filled least, and still within bufBytes with its entries.
	var last *sortBuf
	for _, r := range s.runs {
		if r.mem != nil {
			last = r.mem
		}
	}
	if used := len(last.data) + len(last.entries)*entryBytes; used > bufBytes {
		t.Errorf("the last buffer holds %d bytes of records and %d of entries, more than its %d",
			len(last.data), len(last.entries)*entryBytes, bufBytes)
	}
	// And the runs on disk are of buffers that counted their entries: each smaller than bufBytes.
	var start int64
	for i, end := range s.ends {
		if recs := end - start; recs > bufBytes*3/4 {
			t.Fatalf("run %d holds %d bytes of records from a buffer of %d: its entries were not counted", i, recs, bufBytes)
		}
		start = end
	}
	n := 0
	for s.Next() {
		n++
	}
	if err := s.Err(); err != nil {
		t.Fatal(err)
	}
	if n != len(rows) {
		t.Errorf("read %d rows, want %d", n, len(rows))
	}
}

// usersRows is the bench's users table (warehousetest's users.sql) as the Postgres driver hands
// it to the sort: in the table's order, each row's key (unique_id, an email) and its 11 columns'
// JSON, about 300 bytes a record. Made once and held in one buffer (values and 12 offsets a
// row), so a benchmark times the sort, not the rows' making.
type usersRows struct {
	data []byte
	offs []uint32 // row i: key at offs[12i:12i+2], column c at offs[12i+1+c:12i+2+c]
}

var benchUsers = map[int]*usersRows{}

func makeUsersRows(n int) *usersRows {
	if u := benchUsers[n]; u != nil {
		return u
	}
	firsts := strings.Split("Alycia Bernard Chioma Dmitri Elena Farid Grace Hiroshi Ines Jamal Kirsten Luis Mei Nikolai Olga Priya Quentin Rosa Sven Tomasz Ursula Viktor Wanjiru Xavier Yara Zoltan", " ")
	lasts := strings.Split("Adams Baker Castillo Dubois Eriksen Fischer Garcia Haddad Ivanova Johnson Kowalski Lindqvist Moreau Nakamura Okafor Patel Quinn Rossi Schmidt Tanaka Urquhart Varga Walsh Yilmaz Zhang", " ")
	companies := strings.Split("Walsh and Sons,Stehr Weber,Acme Analytics,Blue Harbor Labs,Cobalt Freight,Delta Orchards,Evergreen Health,Foxglove Studio,Granite Payments,Helix Robotics,Ironwood Legal,Juniper Travel,Kestrel Energy,Lumen Schools,Meridian Foods,Northwind Traders,Orbit Media,Pinecrest Realty", ",")
	tlds := strings.Split(".co.uk .com .io .biz .net .de", " ")
	roles := strings.Split("International Mobility Assistant,Account Executive,Data Engineer,Head of Growth,Customer Success Manager,Product Designer,VP Engineering,Marketing Analyst,Operations Lead,Founder,Support Specialist,Solutions Architect", ",")
	letters := func(s string) string {
		return strings.Map(func(r rune) rune {
			if r >= 'a' && r <= 'z' {
				return r
			}
			return -1
		}, strings.ToLower(s))
	}
	u := &usersRows{data: make([]byte, 0, n*300), offs: make([]uint32, 0, 12*n+1)}
	t0 := time.Date(2019, 1, 1, 8, 0, 0, 0, time.UTC)
	for i := 1; i <= n; i++ {
		first, last := firsts[i*7%len(firsts)], lasts[i*11%len(lasts)]
		company := companies[i*5%len(companies)]
		domain := letters(company) + tlds[i*3%len(tlds)]
		typ := "free user"
		switch {
		case i%10 == 0:
			typ = "churned user"
		case i%3 == 0:
			typ = "paid user"
		case i%7 == 0:
			typ = "trial user"
		}
		sum := md5.Sum([]byte("user" + strconv.Itoa(i)))
		h := strings.ToUpper(hex.EncodeToString(sum[:]))
		email := strings.ToLower(first) + "." + strings.ToLower(last) + strconv.Itoa(i) + "@" + domain
		u.offs = append(u.offs, uint32(len(u.data)))
		u.data = append(u.data, email...)
		for _, v := range []string{company, domain,
			t0.Add(time.Duration(i%3000) * (17*time.Hour + 23*time.Minute + 7*time.Second)).Format("2006-01-02T15:04:05"),
			email, first, first + " " + last, last, roles[i*13%len(roles)], typ,
			h[:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:],
			"http://" + letters(last) + "and" + domain} {
			u.offs = append(u.offs, uint32(len(u.data)))
			u.data = strconv.AppendQuote(u.data, v)
		}
	}
	u.offs = append(u.offs, uint32(len(u.data)))
	benchUsers[n] = u
	return u
}

// usersStream is a Stream over usersRows.
type usersStream struct {
	*usersRows
	i     int // the current row + 1
	limit int // rows to read (0: all)
}

func (s *usersStream) Columns() []controlplane.Column {
	cols := make([]controlplane.Column, len(usersColumns))
	for i, c := range usersColumns {
		cols[i] = controlplane.Column{Name: c, Type: "text"}
	}
	return cols
}

func (s *usersStream) Next() bool {
	if s.i >= len(s.offs)/12 || s.i == s.limit && s.limit > 0 {
		return false
	}
	s.i++
	return true
}

func (s *usersStream) Key() ([]byte, bool) {
	o := s.offs[12*(s.i-1):]
	return s.data[o[0]:o[1]], false
}

func (s *usersStream) AppendValue(buf []byte, col int) []byte {
	o := s.offs[12*(s.i-1)+1+col:]
	return append(buf, s.data[o[0]:o[1]]...)
}

func (s *usersStream) AppendObject(buf []byte, cols []int, names [][]byte) []byte {
	return appendObject(s, buf, cols, names)
}

func (s *usersStream) Err() error   { return nil }
func (s *usersStream) Close() error { return nil }

// BenchmarkSortByKey: the runner's sort of the bench's users (1M rows of 11 columns, keys like
// emails, about 300 MB of JSON), spilled in runs as a first run's read of the model does, and
// merged; each row's object is made as the engine does. cpu-ns/row is the process's user+sys
// CPU (the spilling goroutine and the GC included) per row, minflt/row its minor page faults.
func BenchmarkSortByKey(b *testing.B) {
	n := 1000000
	if testing.Short() {
		n = 200000
	}
	users := makeUsersRows(n)
	cols, names := usersNames()
	buf := make([]byte, 0, 4096)
	b.ReportAllocs()
	before := readUsage()
	for b.Loop() {
		s, err := sortByKeyIn(context.Background(), &usersStream{usersRows: users}, SortBufferBytes/2, nil)
		if err != nil {
			b.Fatal(err)
		}
		rows := 0
		for s.Next() {
			buf = s.AppendObject(buf[:0], cols, names)
			rows++
		}
		if err := s.Err(); err != nil {
			b.Fatal(err)
		}
		s.Close()
		if rows != n {
			b.Fatalf("read %d rows, want %d", rows, n)
		}
	}
	if before.ok {
		after := readUsage()
		rows := float64(b.N) * float64(n)
		b.ReportMetric(float64(after.cpu-before.cpu)/rows, "cpu-ns/row")
		b.ReportMetric(float64(after.minflt-before.minflt)/rows, "minflt/row")
	}
}

// BenchmarkSortBuffer: the sort of one full buffer of the bench's users, alone (the part of
// BenchmarkSortByKey that grows with n log n).
func BenchmarkSortBuffer(b *testing.B) {
	users := makeUsersRows(1000000)
	// Nearly as many rows as a buffer holds, so that they stay in memory: a row takes its JSON,
	// 13 lengths and an entry.
	per := len(users.data)/(len(users.offs)/12) + 13*lenSize + entryBytes
	s, err := sortByKeyIn(context.Background(), &usersStream{usersRows: users, limit: SortBufferBytes / 2 / per * 98 / 100}, SortBufferBytes/2, nil)
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	var buf *sortBuf
	for _, r := range s.runs {
		if r.mem != nil {
			buf = r.mem
		}
	}
	// The entries as fill made them: in the rows' order, with their keys' first 16 bytes.
	read := slices.Clone(buf.entries)
	slices.SortFunc(read, func(x, y sortEntry) int { return int(x.off) - int(y.off) })
	for i := range read {
		read[i].p0, read[i].p1 = prefixOf(buf.key(read[i]))
	}
	if len(s.ends) != 0 {
		b.Fatalf("%d runs spilled, want the rows in one buffer", len(s.ends))
	}
	before := readUsage()
	for b.Loop() {
		copy(buf.entries, read)
		buf.sort()
	}
	if before.ok {
		b.ReportMetric(float64(readUsage().cpu-before.cpu)/float64(b.N*len(read)), "cpu-ns/row")
	}
}
