package webhook

import (
	"fmt"
	"runtime"
	"strings"
	"sync"
	"testing"

	"github.com/osteele/liquid"
	liquidrender "github.com/osteele/liquid/render"

	"github.com/backflowhq/terraform-provider-backflow/internal/controlplane"
)

const (
	tooMuchWorkMsg = "does more work than a render may"
	valueTooBig    = "makes a value of more than 1 MiB"
)

// A template that works without writing (a loop over a huge range with an empty body, loops
// nested over the records) or grows a value (doubled in a loop, squared by replace, a range
// made a list) held the runner, or terraform plan, for hours or took all its memory: an
// empty loop over (1..2000000000) ran for more than 20 minutes, append doubling in a loop and
// (1..2000000000) | join died out of memory. Each now stops at its budget, and the record is
// rejected (or the plan refused) saying why.
func TestRenderBudget(t *testing.T) {
	defer func(f, s int) { renderFloor, stepFloor = f, s }(renderFloor, stepFloor)
	renderFloor, stepFloor = 1<<20, 50_000
	long := strings.Repeat("x", 100_000)
	rec := `{"k": 1, "n": "` + long + `"}`
	for i, tc := range []struct{ src, want string }{
		{`{% for i in (1..2000000000) %}{% endfor %}`, tooMuchWorkMsg},
		{`{% for a in (1..100000) %}{% for b in (1..100000) %}{% endfor %}{% endfor %}`, tooMuchWorkMsg},
		{`{% for i in (1..2000000000) reversed limit: 1000000000 %}{% if i == 0 %}{% break %}{% endif %}{% endfor %}`, tooMuchWorkMsg},
		// A range as large as a record's value.
		{`{% assign n = record.n | size %}{% for i in (1..n) %}{% endfor %}`, tooMuchWorkMsg},
		// A capture that writes without bound, or that doubles in a loop.
		{`{% capture x %}{% for i in (1..2000000000) %}0123456789{% endfor %}{% endcapture %}`, tooMuchWorkMsg},
		{`{% assign s = "x" %}{% for i in (1..100) %}{% capture s %}{{ s }}{{ s }}{% endcapture %}{% endfor %}`, valueTooBig},
		// A value that grows in a loop, or squared, or a large range made a list.
		{`{% assign s = "x" %}{% for i in (1..100) %}{% assign s = s | append: s %}{% endfor %}`, valueTooBig},
		{`{% assign s = "aaaa" %}{% assign s = s | replace: "a", s %}{% assign s = s | replace: "a", s %}{% assign s = s | replace: "a", s %}{% assign s = s | replace: "a", s %}`, valueTooBig},
		{`{{ (1..2000000000) | join: "," }}`, valueTooBig},
		{`{{ (1..2000000000) | first }}`, valueTooBig},
		{`{{ record.n | split: "" | join: record.n }}`, valueTooBig},
		// (concat spends a step per item too: whichever comes first.)
		{`{% assign a = "a,b" | split: "," %}{% for i in (1..40) %}{% assign a = a | concat: a %}{% endfor %}`, "where rendering stops"},
		{`{% assign a = record.n | split: "," %}{% for i in (1..12) %}{% assign a = a | concat: a %}{% endfor %}{{ a | json }}`, valueTooBig},
		// Work in filters counts: a large value handled in a loop.
		{`{% for i in (1..100000) %}{% assign u = record.n | upcase %}{% endfor %}`, tooMuchWorkMsg},
	} {
		t.Run(fmt.Sprint(i), func(t *testing.T) {
			got, err := render(t, tc.src, rec)
			if err == nil || !strings.Contains(err.Error(), tc.want) || len(got) > 0 {
				t.Errorf("%s: %d bytes, %v; want an error saying it %s", tc.src, len(got), err, tc.want)
			}
			// At plan, for the sample record.
			errs := CheckRequests(&controlplane.RequestSpec{Mode: controlplane.RequestModeRecord,
				New: &controlplane.OperationRequest{Method: "POST", ContentType: "text/plain", Body: tc.src}}, Vars{}, []byte(rec), []byte(rec))
			if len(errs) != 1 || !strings.Contains(errs[0].Error(), tc.want) {
				t.Errorf("plan check of %s: %v, want one error saying it %s", tc.src, errs, tc.want)
			}
		})
	}
	// A record-dependent render past the budget leaves the next record's render its whole budget.
	rs, err := CompileRequests(&controlplane.RequestSpec{Mode: controlplane.RequestModeRecord,
		New: &controlplane.OperationRequest{Method: "POST", ContentType: "text/plain", Body: `{% assign n = record.n | size %}{% for i in (1..n) %}.{% endfor %}`}}, Vars{})
	if err != nil {
		t.Fatal(err)
	}
	for i, r := range []string{rec, `{"n": "` + long[:20_000] + `"}`, rec, `{"n": "` + long[:20_000] + `"}`} {
		b, err := rs.Build(nil, &Meta{}, controlplane.OpNew, [][]byte{[]byte(r)})
		if ok := err == nil && len(b.Body) == 20_000; ok != (i%2 == 1) {
			t.Errorf("record %d: %d bytes, %v", i, len(b.Body), err)
		}
	}
	// The error says where: the loop that went on (Liquid would say the outermost block).
	if _, err := render(t, "{}{% if true %}\n  {% for i in (1..2000000000) %}{% endfor %}{% endif %}", rec); err == nil ||
		!strings.HasPrefix(err.Error(), "the request's body could not be rendered: line 2, column 3: it does more work than a render may (50000 steps") {
		t.Errorf("the error of a loop past the budget: %v", err)
	}
	// A path, and a notification body (rendered at run time, and checked at plan).
	rs, err = CompileRequests(&controlplane.RequestSpec{Mode: controlplane.RequestModeRecord,
		New: &controlplane.OperationRequest{Method: "POST", Path: `/c/{% for i in (1..2000000000) %}{% endfor %}`}}, Vars{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := rs.Build(nil, &Meta{}, controlplane.OpNew, [][]byte{[]byte(rec)}); err == nil || !strings.Contains(err.Error(), tooMuchWorkMsg) {
		t.Errorf("a path's loop: %v", err)
	}
	loop := `{% for i in (1..2000000000) %}{% endfor %}`
	if _, err := RenderEvent(loop, "text/plain", []byte(`{"event": "run.failed"}`)); err == nil || !strings.Contains(err.Error(), tooMuchWorkMsg) {
		t.Errorf("a notification body's loop: %v", err)
	}
	if err := CheckEventTemplate(loop, "text/plain", []string{"run.failed"}, func(string) []byte { return []byte(`{"event": "run.failed"}`) }); err == nil ||
		!strings.Contains(err.Error(), tooMuchWorkMsg) {
		t.Errorf("plan check of a notification body's loop: %v", err)
	}
}

// A loop's turn spends steps for the values its tags read, not only its filters: comparing or
// searching a large value, or reading a record's large field (decoded at each read), at each turn
// of a loop that writes nothing ran its course (each of these for seconds here, and hours for a
// range as large as the budget's steps).
func TestRenderBudgetReads(t *testing.T) {
	defer func(f, s int) { renderFloor, stepFloor = f, s }(renderFloor, stepFloor)
	renderFloor, stepFloor = 1<<20, 50_000
	long := strings.Repeat("x", 100_000)
	// A number's text is read as a string's is (a Postgres numeric may have 131,072 digits).
	rec := `{"n": "` + long + `", "m": "` + long + `y", "arr": [` + strings.Repeat("1,", 20_000) + `1], "big": ` +
		strings.Repeat("9", 100_000) + `}`
	for _, src := range []string{
		`{% for i in (1..10000) %}{% if record.big == 1 %}{% endif %}{% endfor %}`,
		`{% for i in (1..10000) %}{% assign s = record.big | size %}{% endfor %}`,
		`{% for i in (1..10000) %}{% if record.n == record.m %}{% endif %}{% endfor %}`,
		`{% for i in (1..10000) %}{% if record.n contains "q" %}{% endif %}{% endfor %}`,
		`{% for i in (1..1000) %}{% unless record.arr contains 2 %}{% endunless %}{% endfor %}`,
		`{% for i in (1..10000) %}{% assign x = record.n %}{% endfor %}`,
		`{% for i in (1..10000) %}{% case record.n %}{% when record.m %}{% endcase %}{% endfor %}`,
		`{% for i in (1..1000) %}{% for x in record.arr limit: 1 %}{% endfor %}{% endfor %}`,
		`{% assign a = record.n | split: "" %}{% for i in (1..300) %}{% if a contains "q" %}{% endif %}{% endfor %}`,
		`{% assign a = record.n | split: "" %}{% assign b = record.n | split: "" %}{% for i in (1..300) %}{% if a == b %}{% endif %}{% endfor %}`,
	} {
		got, err := render(t, src, rec)
		if err == nil || !strings.Contains(err.Error(), tooMuchWorkMsg) || len(got) > 0 {
			t.Errorf("%s: %d bytes, %v; want an error saying it %s", src, len(got), err, tooMuchWorkMsg)
		}
	}
	// Small values read at each turn of a loop over a batch spend little: the loop renders.
	small := `{"n": "a", "m": "b", "arr": [1, 2, 3]}`
	if got, err := render(t, `{% for i in (1..5000) %}{% if record.n == record.m or record.arr contains 2 %}.{% endif %}{% endfor %}`, small); err != nil || len(got) != 5000 {
		t.Errorf("small reads in a loop: %d bytes, %v", len(got), err)
	}
}

// Loops nested over a batch's records stop at the batch's budget (a thousand steps a record), a
// filter that goes through the records at each turn too.
func TestRenderBudgetQuadraticBatch(t *testing.T) {
	recs := make([][]byte, 1000)
	for i := range recs {
		recs[i] = []byte(fmt.Sprintf(`{"id": %d}`, i))
	}
	for _, body := range []string{
		`{% for r in records %}{% for r2 in records %}{% if r.id == r2.id %}{{ r.id }}{% endif %}{% endfor %}{% endfor %}`,
		`{% for r in records %}{{ records | uniq | size }}{% endfor %}`,
		`{% for r in records %}{{ records | sort: "id" | size }}{% endfor %}`,
	} {
		rs, err := CompileRequests(&controlplane.RequestSpec{Mode: controlplane.RequestModeBatch,
			New: &controlplane.OperationRequest{Method: "POST", ContentType: "text/plain", Body: body}}, Vars{})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := rs.Build(nil, &Meta{}, controlplane.OpNew, recs); err == nil || !strings.Contains(err.Error(), tooMuchWorkMsg+" (1000000 steps") {
			t.Errorf("%s over 1000 records: %v, want an error saying it %s (1000000 steps", body, err, tooMuchWorkMsg)
		}
	}
}

// A batch of 10,000 records reshaped in a loop renders within a twentieth of its budget, from
// several goroutines at once (each render has its own).
func TestRenderBudgetLargeBatch(t *testing.T) {
	src := `[{% for r in records %}{"id": {{ r.id | json }}, "email": {{ r.email | downcase | strip | json }}, ` +
		`"name": {{ r.name | json }}, "plan": {{ r.plan | default: "free" | json }}, "seats": {{ r.seats | json }}, ` +
		`"created": {{ r.created_at | json }}, "tags": {{ r.tags | join: "," | json }}}{% unless forloop.last %},{% endunless %}{% endfor %}]`
	recs := make([][]byte, controlplane.MaxBatchSize)
	for i := range recs {
		recs[i] = []byte(fmt.Sprintf(`{"id": %d, "email": "User%d@Example.com", "name": "User %d", "plan": "pro", "seats": 12, `+
			`"created_at": "2024-01-02T03:04:05Z", "tags": ["a", "b"]}`, i, i, i))
	}
	tp, err := compileTemplate(false, src)
	if err != nil {
		t.Fatal(err)
	}
	rs, err := CompileRequests(&controlplane.RequestSpec{Mode: controlplane.RequestModeBatch, New: &controlplane.OperationRequest{Method: "POST", Body: src}}, Vars{})
	if err != nil {
		t.Fatal(err)
	}
	lim := bodyLimits(recs)
	lim.steps /= 20
	var wg sync.WaitGroup
	for range 3 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			out, err := tp.render(rs.bindings(controlplane.OpNew, recs), lim)
			if err != nil || checkJSON(out) != nil || !strings.Contains(string(out), `"email": "user9999@example.com"`) {
				t.Errorf("a batch of 10,000 records: %d bytes, %v", len(out), err)
			}
		}()
	}
	wg.Wait()
}

// Filters keep their meaning under the budget: each renders what Liquid's own does.
func TestGuardedFiltersAgreeWithLiquid(t *testing.T) {
	plain := liquid.NewEngine()
	for _, src := range []string{
		`{{ "a,b,,c" | split: "," | join }}|{{ "a b" | split: " " | join: "-" }}|{{ nothing | default: "d" }}|{{ "" | default: 3 }}`,
		`{{ "Hello World" | truncate: 8 }}|{{ "Hello World" | truncate: 8, "" }}|{{ "a b c d" | truncatewords: 2 }}`,
		`{{ "abcabc" | replace: "b", "xy" }}|{{ "abc" | replace: "", "-" }}|{{ "abcabc" | replace_first: "b", "y" }}|{{ "abc" | remove: "b" }}`,
		`{{ 3 | plus: 4 }}|{{ 10 | divided_by: 4 }}|{{ 10.0 | divided_by: 4.0 }}|{{ 7 | modulo: 3 }}|{{ 2.5 | round }}|{{ -3 | abs }}`,
		`{{ "c,a,b,a" | split: "," | sort | uniq | reverse | join: "" }}|{{ "x,y" | split: "," | first }}{{ "x,y" | split: "," | last }}|{{ "abc" | size }}`,
		`{{ "2024-02-29T10:00:00Z" | date: "%Y/%m/%d %H" }}|{{ "<a>" | escape }}|{{ "a\nb" | newline_to_br }}|{{ " a " | strip }}!`,
		`{{ "hello" | slice: 1, 3 }}|{{ "hello" | capitalize }}|{{ "a" | append: "b" | prepend: "c" }}|{{ (1..3) | join: "+" }}`,
		`{% capture c %}x{{ 1 | plus: 1 }}{% endcapture %}{{ c }}|{% for i in (1..5) limit: 2 offset: 1 %}{{ i }}{{ forloop.last }}{% else %}none{% endfor %}`,
		`{% for i in (1..5) %}{% if i == 2 %}{% continue %}{% endif %}{% if i == 4 %}{% break %}{% endif %}{% cycle "a", "b" %}{{ i }}{% endfor %}|{% for i in (1..0) %}x{% else %}empty{% endfor %}`,
		`{% tablerow i in (1..3) cols: 2 %}{{ i }}{% endtablerow %}`,
	} {
		want, err := plain.ParseAndRenderString(src, nil)
		if err != nil {
			t.Fatalf("%s: %v", src, err)
		}
		got, gerr := render(t, src, `{"k": 1}`)
		if gerr != nil || got != want {
			t.Errorf("%s = %q (%v), want %q as Liquid renders it", src, got, gerr, want)
		}
	}
}

// A template's compiled copies outlive garbage collections: a render allocates enough to start
// several, and copies kept in a sync.Pool were dropped by the second (the pool keeps them for
// one), so most renders compiled the template again (a compile allocates several times what a
// small render does).
func TestCompiledCopiesSurviveCollections(t *testing.T) {
	tp, err := compileTemplate(false, `{"data": [{% for r in records %}{{ r.id | json }}{% unless forloop.last %},{% endunless %}{% endfor %}]}`)
	if err != nil {
		t.Fatal(err)
	}
	recs := [][]byte{[]byte(`{"id": 1}`), []byte(`{"id": 2}`)}
	rs, err := CompileRequests(&controlplane.RequestSpec{Mode: controlplane.RequestModeBatch, New: &controlplane.OperationRequest{Method: "POST", Body: `{}`}}, Vars{})
	if err != nil {
		t.Fatal(err)
	}
	b, lim := rs.bindings(controlplane.OpNew, recs), bodyLimits(recs)
	render := func() {
		if _, err := tp.render(b, lim); err != nil {
			t.Fatal(err)
		}
	}
	collect := func() { runtime.GC(); runtime.GC() }
	plain := testing.AllocsPerRun(50, render)
	gc := testing.AllocsPerRun(50, collect)
	collected := testing.AllocsPerRun(50, func() { collect(); render() }) - gc
	if collected > 2*plain {
		t.Errorf("a render after two garbage collections made %.0f allocations, %.0f without them: the template was compiled again", collected, plain)
	}
}

// truncate and truncatewords are Liquid's without its regular expressions: past a length of 1000
// Liquid's panicked (the runner, or terraform plan, went down with it), and truncatewords ran in
// time of the length times the text. Below it, each renders what Liquid's does, for texts of
// words, spaces, newlines and multibyte characters. Another filter that panics fails instead.
func TestTruncateFilters(t *testing.T) {
	long := strings.Repeat("x", 32_000)
	rec := `{"n": "` + long + `", "w": "` + strings.Repeat("ab ", 3000) + `"}`
	for _, tc := range []struct{ src, want string }{
		{`{{ record.n | truncate: 2000 }}`, long[:1997] + "..."},
		{`{{ record.n | truncate: 2000, "" }}`, long[:2000]},
		{`{{ "abc" | truncate: 2000 }}`, "abc"},
		{`{{ record.w | truncatewords: 2000 }}`, strings.Repeat("ab ", 1999) + "ab..."},
		{`{{ record.w | truncatewords: 6000 }}`, strings.Repeat("ab ", 2999) + "ab..."},
		{`{{ record.w | truncatewords: 6001 }}`, strings.Repeat("ab ", 3000)},
		{`{% for i in (1..20) %}{{ record.n | truncatewords: 1000 | size }}{% endfor %}`, strings.Repeat("32003", 20)},
	} {
		got, err := render(t, tc.src, rec)
		if err != nil || got != tc.want {
			t.Errorf("%s = %.80q (%d bytes), %v; want %.80q (%d bytes)", tc.src, got, len(got), err, tc.want, len(tc.want))
		}
	}
	// A filter that panics fails instead, at run time and at plan.
	src := `{{ "abc" | slice: 5, -3 }}`
	if got, err := render(t, src, `{"k": 1}`); err == nil || !strings.Contains(err.Error(), "slice bounds out of range") {
		t.Errorf("%s = %q, %v; want an error saying the slice is out of range", src, got, err)
	}
	if errs := CheckRequests(&controlplane.RequestSpec{Mode: controlplane.RequestModeRecord,
		New: &controlplane.OperationRequest{Method: "POST", ContentType: "text/plain", Body: src}}, Vars{}, []byte(`{"k": 1}`), []byte(`{"k": 1}`)); len(errs) != 1 {
		t.Errorf("plan check of %s: %v, want one error", src, errs)
	}
	plain, e := liquid.NewEngine(), newEngine(false)
	texts := []string{"", " ", "a", "abc", "ab cd", " ab  cd\tef\n", "abcdef gh", "ab c", "x\ny z", "héllo wörld ünï", "a\fb\rc\vd", "one two three four five",
		"\xffab \xfe", "a$b c", "long line here\nsecond line", strings.Repeat("word ", 40), strings.Repeat("é", 70) + "\nrest"}
	for _, s := range texts {
		for n := -2; n <= 60; n++ {
			for _, el := range []string{"", "...", "…", "$1x", "abcdefghij"} {
				for _, f := range []string{"truncate", "truncatewords"} {
					src := fmt.Sprintf(`{{ s | %s: %d, e }}`, f, n)
					want, werr := plain.ParseAndRenderString(src, map[string]any{"s": s, "e": el})
					e.b.reset(limits{output: 1 << 20, value: 1 << 20, steps: 1 << 30})
					got, gerr := e.ParseAndRenderString(src, map[string]any{"s": s, "e": el})
					if werr != nil || gerr != nil || got != want {
						t.Errorf("%q | %s: %d, %q = %q (%v), want %q (%v)", s, f, n, el, got, gerr, want, werr)
					}
				}
			}
		}
	}
}

// Batch templates as users write them render within the budget of 10,000 records, as Liquid
// renders them without it: a loop over a few fields for each record, a variable given to a
// filter at each turn ({{ records | size }}: not a comparison, it spends nothing more), sort by a
// field (which left records in their order: Liquid's sorts maps only), map and join, conditions and case on each record's fields, and the batch as JSON.
func TestRenderBudgetBatchTemplates(t *testing.T) {
	recs := make([][]byte, controlplane.MaxBatchSize)
	plainRecs := make([]any, len(recs))
	for i := range recs {
		recs[i] = []byte(fmt.Sprintf(`{"id": %d, "email": "user%d@example.com", "name": "User %d", "plan": %q, "seats": %d, "tags": ["a", "b"], `+
			`"notes": "%s"}`, i, i, (i*7919)%10000, []string{"pro", "free", "team"}[i%3], i%20, strings.Repeat("n", 200)))
		m, err := decodeRecord(recs[i])
		if err != nil {
			t.Fatal(err)
		}
		plainRecs[i] = m
	}
	plain := liquid.NewEngine()
	for _, src := range []string{
		`{% assign keys = "id,email,name,plan" | split: "," %}[{% for r in records %}{ {% for k in keys %}"{{ k }}": "{{ r[k] }}"{% unless forloop.last %}, {% endunless %}{% endfor %} }{% unless forloop.last %},{% endunless %}{% endfor %}]`,
		`{% for r in records %}{{ records | size }}{% if forloop.index < records.size %},{% endif %}{% endfor %}`,
		`{% assign s = records | sort: "name" %}{% for r in s %}{{ r.id }},{% endfor %}`,
		`{% assign s = records | sort_natural: "name" | reverse %}{% for r in s limit: 100 %}{{ r.id }},{% endfor %}{{ records | sort: "plan" | map: "plan" | uniq | join }}`,
		`{{ records | map: "name" | join: ", " }}`,
		`{% for r in records %}{% if r.plan == "pro" and r.seats > 10 or r.tags contains "c" %}{{ r.id }}{% endif %}{% case r.plan %}{% when "pro" %}P{% when "free" %}F{% else %}O{% endcase %}{% endfor %}`,
	} {
		want, lerr := plain.ParseAndRenderString(src, map[string]any{"records": plainRecs})
		if lerr != nil {
			t.Fatalf("%s: %v", src, lerr)
		}
		rs, err := CompileRequests(&controlplane.RequestSpec{Mode: controlplane.RequestModeBatch,
			New: &controlplane.OperationRequest{Method: "POST", ContentType: "text/plain", Body: src}}, Vars{})
		if err != nil {
			t.Fatal(err)
		}
		b, err := rs.Build(nil, &Meta{}, controlplane.OpNew, recs)
		if err != nil || string(b.Body) != want {
			t.Errorf("%s over 10,000 records: %.100q (%d bytes), %v; want %.100q (%d bytes)", src, b.Body, len(b.Body), err, want, len(want))
		}
	}
	rs, err := CompileRequests(&controlplane.RequestSpec{Mode: controlplane.RequestModeBatch,
		New: &controlplane.OperationRequest{Method: "POST", Body: `{"records": {{ records | json }}}`}}, Vars{})
	if err != nil {
		t.Fatal(err)
	}
	if b, err := rs.Build(nil, &Meta{}, controlplane.OpNew, recs); err != nil || !strings.HasPrefix(string(b.Body), `{"records": [`+string(recs[0])+",") {
		t.Errorf("the batch as JSON: %.100q, %v", b.Body, err)
	}
}

// Renders from several goroutines at once (the runner delivers with a concurrency of 4 to 16),
// of the same template, some past the budget and some within it: each render has its own, so one
// record's exhausted budget fails no other's, and none leaks into the next render of a copy.
func TestRenderBudgetConcurrent(t *testing.T) {
	defer func(f, s int) { renderFloor, stepFloor = f, s }(renderFloor, stepFloor)
	renderFloor, stepFloor = 1<<20, 20_000
	rs, err := CompileRequests(&controlplane.RequestSpec{Mode: controlplane.RequestModeRecord,
		New: &controlplane.OperationRequest{Method: "POST", ContentType: "text/plain",
			Path: `/x/{% assign p = record.p | size %}{% for i in (1..p) %}{% endfor %}{{ p }}`,
			Body: `{% assign n = record.n | size %}{% for i in (1..n) %}{% if record.n contains "q" %}{% endif %}.{% endfor %}`}}, Vars{})
	if err != nil {
		t.Fatal(err)
	}
	over, within := `{"p": "p", "n": "`+strings.Repeat("x", 30_000)+`"}`, `{"p": "p", "n": "`+strings.Repeat("x", 1000)+`"}`
	pathOver := `{"p": "` + strings.Repeat("p", 100_000) + `", "n": "x"}`
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 12 {
				rec, ok := within, true
				switch (g + i) % 3 {
				case 1:
					rec, ok = over, false
				case 2:
					rec, ok = pathOver, false
				}
				b, err := rs.Build(nil, &Meta{}, controlplane.OpNew, [][]byte{[]byte(rec)})
				if ok && (err != nil || len(b.Body) != 1000) || !ok && (err == nil || !strings.Contains(err.Error(), tooMuchWorkMsg)) {
					t.Errorf("goroutine %d, render %d (within the budget: %v): %d bytes, %v", g, i, ok, len(b.Body), err)
					return
				}
			}
		}()
	}
	wg.Wait()
}

// A range whose length does not fit an int, (-9223372036854775808..9223372036854775807) with a
// record's integers or literals, has a length Liquid computes as 0 (e+1-b wraps around): the
// guard saw a range of no items, let the filter make it a list, and Liquid's AsArray appended
// items until the process died out of memory ("fatal error: out of memory" in
// values.Range.AsArray): one record, or one template at plan, took down the runner with every
// sync it serves. Such a range is now as large as it is, so refused before it is made a list;
// a range of 2^59 items or more (whose 16 bytes an item wrapped around too) as well.
func TestRenderBudgetRangeLengthOverflow(t *testing.T) {
	rec := `{"lo": -9223372036854775808, "hi": 9223372036854775807, "one": 1, "big": 1152921504606846976}`
	for _, src := range []string{
		`{{ (record.lo..record.hi) | first }}`,
		`{{ (record.lo..record.hi) | join: "," }}`,
		`{{ (record.lo..record.hi) | size }}`,
		`{{ (-9223372036854775808..9223372036854775807) | last }}`,
		`{% assign r = (record.lo..record.hi) %}{{ r | reverse | first }}`,
		`{{ (record.one..record.big) | first }}`,
		`{{ (record.one..record.hi) | first }}`,
		// A range given as an argument, to a filter whose estimate measures something else.
		`{{ record | json: (record.lo..record.hi) }}`,
		`{{ "a" | split: (record.lo..record.hi) }}`,
		`{{ "a" | replace: "a", (record.one..record.hi) }}`,
	} {
		got, err := render(t, src, rec)
		if err == nil || !strings.Contains(err.Error(), "makes a value of more than") || got != "" {
			t.Errorf("%s: %q, %v; want an error saying it makes a value too large", src, got, err)
		}
	}
	// At plan, for the sample record: terraform plan died the same way.
	errs := CheckRequests(&controlplane.RequestSpec{Mode: controlplane.RequestModeRecord,
		New: &controlplane.OperationRequest{Method: "POST", ContentType: "text/plain",
			Body: `{{ (-9223372036854775808..9223372036854775807) | last }}`}}, Vars{}, []byte(rec), []byte(rec))
	if len(errs) != 1 || !strings.Contains(errs[0].Error(), "makes a value of more than") {
		t.Errorf("plan check of a range wider than an int: %v, want one error saying it makes a value too large", errs)
	}
	// Ranges that fit are the lists they stand for, for every filter: size counted (1..3) as 0
	// items and json wrote it as {} (Liquid converted a range only for filters taking a list), an
	// empty range failed with "makeslice: cap out of range", and one ending at the largest int
	// never ended (Liquid's counter wrapped around before it passed the end).
	for src, want := range map[string]string{
		`{{ (1..3) | size }} {{ (1..3) | json }} {{ (3..1) | join }}.`:   "3 [1,2,3] .",
		`{{ (record.one..3) | inspect }} {{ (5..1) | size }}`:            "[1,2,3] 0",
		`{{ (record.one..3) | join: "," }}`:                              "1,2,3",
		`{{ (-9223372036854775808..-9223372036854775807) | join: "," }}`: "-9223372036854775808,-9223372036854775807",
		`{{ (9223372036854775806..record.hi) | last }}`:                  "9223372036854775807",
	} {
		if got, err := render(t, src, rec); err != nil || got != want {
			t.Errorf("%s: %q, %v; want %q", src, got, err, want)
		}
	}
}

// A loop over a range of more integers than an int holds ran no turn (Liquid's Range length
// wraps around), so the record was sent with the body's loop left out; one from a large integer
// down to a small one ran two turns where it is empty. The first is refused, the second empty.
func TestRenderLoopRangeLengthOverflow(t *testing.T) {
	rec := `{"lo": -9223372036854775808, "hi": 9223372036854775807, "zero": 0, "three": 3, "n": 9223372036854775807}`
	for _, src := range []string{
		`[{% for i in (0..record.n) %}{{ i }}{% endfor %}]`,
		`[{% for i in (record.lo..record.hi) %}{{ i }}{% endfor %}]`,
		`[{% for i in (record.lo..record.zero) %}{{ i }}{% endfor %}]`,
		`[{% for i in (0..record.n) limit: 3 %}{{ i }}{% endfor %}]`,
		`[{% for i in (0..record.n) offset: 2 limit: 1 %}{{ i }}{% endfor %}]`,
		`[{% for i in (0..record.n) reversed %}{{ i }}{% endfor %}]`,
		`[{% for i in (0..record.n) reversed limit:record.three %}{{ i }}{% endfor %}]`,
		`[{% for i in (0..record.n) %}{{ i }}{% else %}none{% endfor %}]`,
		`[{% assign r = (0..record.n) %}{% for i in r %}{{ i }}{% endfor %}]`,
		`[{% for x in (1..2) %}{% for i in (-1..record.n) %}{{ i }}{% endfor %}{% endfor %}]`,
		`[{% tablerow i in (0..record.n) cols: 2 %}{{ i }}{% endtablerow %}]`,
	} {
		got, err := render(t, src, rec)
		if err == nil || !strings.Contains(err.Error(), "loops over a range of more integers") || got != "" {
			t.Errorf("%s: %q, %v; want an error saying the range is too wide for a loop", src, got, err)
		}
	}
	// At plan, for the sample record.
	errs := CheckRequests(&controlplane.RequestSpec{Mode: controlplane.RequestModeRecord,
		New: &controlplane.OperationRequest{Method: "POST", ContentType: "text/plain",
			Body: `[{% for i in (record.lo..record.hi) %}{{ i }}{% endfor %}]`}}, Vars{}, []byte(rec), []byte(rec))
	if len(errs) != 1 || !strings.Contains(errs[0].Error(), "loops over a range of more integers") {
		t.Errorf("plan check of a loop over a range wider than an int: %v, want one error saying so", errs)
	}
	// Loops that fit run as they did, whatever their modifiers and filters. A range from a large
	// integer down to a small one is empty, and so is (3..1), whose else is rendered (Liquid's
	// length for it was -2, not 0, so it rendered neither turns nor its else).
	for src, want := range map[string]string{
		`{% for i in (1..5) reversed offset: 1 limit: 2 %}{{ i }}{% endfor %}`:                                                       "43",
		`{% for i in (record.hi..record.lo) %}{{ i }}{% else %}empty{% endfor %}`:                                                    "empty",
		`{% for i in (record.hi..record.zero) %}{{ i }}{% endfor %}.`:                                                                ".",
		`{% for i in (3..1) %}{{ i }}{% else %}e{% endfor %}`:                                                                        "e",
		`{% for i in (9223372036854775805..record.hi) %}{{ i }},{% endfor %}`:                                                        "9223372036854775805,9223372036854775806,9223372036854775807,",
		`{% for i in (record.lo..-9223372036854775807) %}{{ i }},{% endfor %}`:                                                       "-9223372036854775808,-9223372036854775807,",
		`{% for c in "a,b,c" | split: "," limit: 2 %}{{ c }}{% endfor %}`:                                                            "ab",
		`{% for c in "a,b,c" | split: ',' | reverse offset:1 %}{{ c }}{% endfor %}`:                                                  "ba",
		`{% assign reversed = "x" %}{% for c in "abc" | split: "" | join: reversed | split: reversed reversed %}{{ c }}{% endfor %}`: "cba",
		`{% for i in (1..record.three) %}{{ forloop.index }}{{ forloop.rindex }}{% endfor %}`:                                        "132231",
		`{% tablerow i in (1..3) cols: 2 limit: 2 %}{{ i }}{% endtablerow %}`:                                                        `<tr class="row1"><td class="col1">1</td><td class="col2">2</td></tr>`,
		`{% for i in (1..3) %}{% if i == 2 %}{% break %}{% endif %}{{ i }}{% endfor %}`:                                              "1",
		"{% for\ti\tin\t(1..2)\t%}{{ i }}{% endfor %}":                                                                               "12",
	} {
		if got, err := render(t, src, rec); err != nil || got != want {
			t.Errorf("%s: %q, %v; want %q", src, got, err, want)
		}
	}
}

// Every loop's collection is guarded (guardLoopRange finds where its expression ends), whatever
// its form: guardLoopRange leaves a loop it cannot rewrite as it was.
func TestLoopRangeGuardFindsCollection(t *testing.T) {
	for _, args := range []string{
		`i in (1..5)`, `i in(1..5)`, "i\tin\t(1..2)\t", `i in (1..5) reversed offset: 1 limit: 2`,
		`i in (0..record.n) reversed limit:record.three`, `r in records limit: 100`,
		`c in "a,b,c" | split: "," limit: 2`, `c in "a, limit: b" | split: ", " offset: 1`,
		`c in 'x)' | split: ')' reversed`, `c in "abc" | split: "" | join: reversed | split: reversed reversed`,
		`x in record.arr limit: 1`, `x in record["limit"] reversed`, `x in record.limit`, `x in reversed`,
		`x in my-list | concat: (1..3) offset: (1)`, `i in (m..5) cols: 2`,
	} {
		for _, tag := range []string{"for", "tablerow"} {
			e := newEngine(false)
			src := "{% " + tag + " " + args + " %}{{ i }}{% end" + tag + " %}"
			if tag == "for" {
				src = "{% for " + args + " %}{{ i }}{% else %}e{% endfor %}"
			}
			lt, err := e.ParseString(src)
			if err != nil {
				t.Fatalf("%s: %v", src, err)
			}
			n := lt.GetRoot().(*liquidrender.SeqNode).Children[0].(*liquidrender.BlockNode)
			if e.guardLoopRange(n) == nil {
				t.Errorf("%s: not guarded", src)
			}
		}
	}
}

// Arithmetic on numbers of hundreds of digits spends steps as it costs: a round, a division, a
// modulo of two numbers of 1,000 digits takes tens of microseconds (a step is one to a few), and
// spent a step for the KiB it read, so a loop of them ran a render for over ten minutes within
// its budget ({% for i in (1..100000000) %}{% assign y = x | round: 900 %}{% endfor %}).
// Arithmetic on the numbers a record holds spends nothing more.
func TestArithmeticOnLargeNumbersSpendsSteps(t *testing.T) {
	defer func(f, s int) { renderFloor, stepFloor = f, s }(renderFloor, stepFloor)
	renderFloor, stepFloor = 1<<20, 20_000
	x := `{% assign x = "0.` + strings.Repeat("3", 999) + `" %}{% assign n = "` + strings.Repeat("7", 999) + `" %}`
	for _, op := range []string{`x | round: 900`, `x | plus: x`, `n | modulo: 7`, `n | divided_by: 7`, `n | abs`} {
		src := x + `{% for i in (1..2000) %}{% assign y = ` + op + ` %}{% endfor %}`
		if got, err := render(t, src, `{}`); err == nil || !strings.Contains(err.Error(), tooMuchWorkMsg) {
			t.Errorf("2,000 turns of %s on 1,000 digits: %.40q, %v; want it stopped past the budget", op, got, err)
		}
	}
	src := `{% for i in (1..2000) %}{% assign y = record.price | times: i | plus: 0.01 | round: 2 | modulo: 7 %}{% endfor %}{{ y }}`
	if got, err := render(t, src, `{"price": 19.99}`); err != nil || got != "3.01" {
		t.Errorf("2,000 turns of arithmetic on a price: %q, %v; want 3.01", got, err)
	}
}
