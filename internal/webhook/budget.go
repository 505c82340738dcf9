package webhook

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"math/bits"
	"reflect"
	"regexp"
	"strings"
	"unicode/utf8"

	"github.com/osteele/liquid"
	"github.com/osteele/liquid/expressions"
	liquidrender "github.com/osteele/liquid/render"
	"github.com/osteele/liquid/values"
)

// A render's budget: how much work a template may do and how large a value it may make, besides
// how much it may write (boundedBuffer). A loop whose turns write nothing ({% for i in
// (1..2000000000) %}{% endfor %}), loops nested over the records, or a value doubled in a loop
// ({% assign s = s | append: s %}) would otherwise hold the runner (or terraform plan) for hours
// or exhaust its memory. Liquid has no hook for either, so each engine is given three:
//
//   - every for and tablerow loop's body starts with a turn tag (loopTurnTag), put there after
//     parsing, that spends one step for each tag, output and text of the body, and steps for
//     the values its tags and outputs read (reads);
//   - every filter is wrapped (budget.guard): it spends a step per KiB it reads and makes and
//     per item of a list it goes through (itemSteps), and a value larger than the bound is refused, before the filter runs when it is one that could
//     make far more than it reads (replace, join, split, json, inspect, a range made a list);
//   - capture writes into a buffer bounded like any value (captureTag).
//
// Past the budget, rendering stops with an error: the record, or the batch, is rejected with it,
// and at plan the template is refused. The engine (its filters and tags hold the budget) renders
// one template at a time: a template keeps one compiled copy per render under way (template.get).

// Steps a render may spend: the larger of stepFloor and stepsPerRecord for each record. A step
// is one to a few microseconds of Liquid's interpreter (a tag, an output, a KiB a filter reads or
// makes): a batch of 10,000 records reshaped in a loop of seven fields spends about 220,000.
var stepFloor = 1_000_000

const stepsPerRecord = 1_000

// limits bound one render.
type limits struct {
	output int // bytes it may write
	value  int // bytes any value it makes (a filter's result, a capture) may hold
	steps  int // work
}

// bodyLimits are a body's limits for records: it writes, and makes values of, at most
// bodyRenderLimit.
func bodyLimits(records [][]byte) limits {
	n := bodyRenderLimit(records)
	return limits{output: n, value: n, steps: max(stepFloor, stepsPerRecord*len(records))}
}

// pathLimits are a path's: a body's, but for what it writes.
func pathLimits(records [][]byte) limits {
	l := bodyLimits(records)
	l.output = maxPathRender
	return l
}

// budget is what the render under way of an engine may still do.
type budget struct {
	limits
	spent   int
	stopped error // why it was stopped, once it is
}

func (b *budget) reset(l limits) { *b = budget{limits: l} }

func (b *budget) stop(err error) error {
	if b.stopped == nil {
		b.stopped = err
	}
	return b.stopped
}

// spend takes n steps; line and column say where in the template (0 when unknown).
func (b *budget) spend(n, line, column int) error {
	if b.stopped != nil {
		return b.stopped
	}
	if b.spent += n; b.spent > b.steps {
		return b.stop(&tooMuchWork{steps: b.steps, line: line, column: column})
	}
	return nil
}

// value refuses a value of size bytes (as sizeOf counts) when it is larger than the bound.
func (b *budget) value(size int) error {
	if size > b.limits.value {
		return b.stop(&valueTooLarge{limit: b.limits.value})
	}
	return nil
}

// tooMuchWork is a render past its steps, at a loop's line and column when it is a loop's turn
// (Liquid would say the outermost block's).
type tooMuchWork struct{ steps, line, column int }

func (e *tooMuchWork) Error() string {
	return fmt.Sprintf("it does more work than a render may (%d steps: a tag or output in a loop's turn, an item or a KiB a filter handles), where rendering stops (a loop over a large range, or loops nested over the records?)", e.steps)
}

// valueTooLarge is a render that made a value larger than it may.
type valueTooLarge struct{ limit int }

func (e *valueTooLarge) Error() string {
	return fmt.Sprintf("it makes a value of more than %s, where rendering stops (a value that grows in a loop, or a filter given a large range?)", byteSize(e.limit))
}

// Names of the tags an engine adds for its budget. Nothing stops a template from using them:
// the turn tag only spends steps, and the capture tag is capture.
const (
	loopTurnTag     = "backflow_loop_turn"
	captureTag      = "backflow_capture"
	loopRangeFilter = "backflow_loop_range"
)

// engine is a Liquid engine with its budget, and the nodes its budget puts in what it parses.
type engine struct {
	*liquid.Engine
	b       *budget
	turn    *liquidrender.TagNode      // a loop's turn, copied into each loop
	reads   [][]expressions.Expression // by loop: the variables its turn's tags and outputs read
	capture *liquidrender.BlockNode    // capture, bounded; copied in place of each capture
	output  *liquidrender.BlockNode    // marks what an output writes in a path (markOutputs)
	samples sampleTexts                // a strict engine's: the sample texts of its render (sampleTexts)
}

// addBudget registers filters guarded by e's budget, and the budget's tags.
func (e *engine) addBudget(filters filterSet) {
	b := e.b
	for name, fn := range filters {
		e.RegisterFilter(name, b.guard(name, fn))
	}
	e.RegisterTag(loopTurnTag, func(ctx liquidrender.Context) (string, error) {
		var n, line, column, loop int // the turn's weight, the loop's position, its reads (instrument)
		_, _ = fmt.Sscan(ctx.TagArgs(), &n, &line, &column, &loop)
		if loop >= 0 && loop < len(e.reads) {
			for _, x := range e.reads[loop] {
				if v, err := ctx.Evaluate(x); err == nil {
					n += readSteps(v, b.steps-b.spent)
				}
			}
		}
		return "", b.spend(max(n, 1), line, column)
	})
	e.RegisterBlock(captureTag, func(ctx liquidrender.Context) (string, error) {
		w := &boundedBuffer{b: new(bytes.Buffer), limit: b.limits.value, over: func() error { return b.stop(&valueTooLarge{limit: b.limits.value}) }}
		if err := ctx.RenderChildren(w); err != nil {
			return "", err
		}
		ctx.Set(strings.TrimSpace(ctx.TagArgs()), w.b.String())
		return "", nil
	})
	// Not guarded: it hands on what it is given, and a range stays one (the loop's).
	e.RegisterFilter(loopRangeFilter, func(v any) (any, error) {
		r, ok := v.(values.Range)
		if !ok {
			return v, nil
		}
		lo, _ := r.Index(0).(int)
		hi := lo + r.Len() - 1 // exact in wrapping arithmetic, as in rangeLen
		switch {
		case hi < lo:
			return values.NewRange(0, -1), nil
		case uint64(hi)-uint64(lo) >= math.MaxInt:
			return nil, b.stop(&loopRangeTooWide{lo: lo, hi: hi})
		}
		return r, nil
	})
	protos, err := e.ParseString("{% " + loopTurnTag + " %}{% " + captureTag + " x %}{% end" + captureTag + " %}")
	if err != nil {
		panic(err)
	}
	nodes := protos.GetRoot().(*liquidrender.SeqNode).Children
	e.turn, e.capture = nodes[0].(*liquidrender.TagNode), nodes[1].(*liquidrender.BlockNode)
}

// instrument puts the budget's nodes in a parsed template (of text src): a turn at the start
// of each loop's body, weighing what the body renders at each turn; the bounded capture for
// capture.
func (e *engine) instrument(src string, nodes []liquidrender.Node) {
	for i, n := range nodes {
		switch n := n.(type) {
		case *liquidrender.SeqNode:
			e.instrument(src, n.Children)
		case *liquidrender.BlockNode:
			e.instrument(src, n.Body)
			for _, c := range n.Clauses {
				e.instrument(src, c.Body)
			}
			switch n.Name {
			case "for", "tablerow":
				if g := e.guardLoopRange(n); g != nil {
					nodes[i], n = g, g
				}
				turn := *e.turn
				turn.Token = n.Token // an error is the loop's
				line, column := n.SourceLoc.LineNo, 0
				if lines := strings.Split(src, "\n"); line >= 1 && line <= len(lines) {
					column = strings.Index(lines[line-1], n.Source) + 1
				}
				turn.Args = fmt.Sprintf("%d %d %d %d", weight(n.Body), line, column, len(e.reads))
				e.reads = append(e.reads, reads(n.Body))
				n.Body = append([]liquidrender.Node{&turn}, n.Body...)
			case "capture":
				c := *e.capture
				c.Token, c.Body, c.Clauses = n.Token, n.Body, n.Clauses
				nodes[i] = &c
			}
		}
	}
}

// A loop over a range counts its turns with Liquid's Range.Len, e+1-b, which wraps around for
// a range of more integers than an int holds: {% for i in (0..record.n) %} with n the largest
// int ran no turn, and the record was sent with the loop left out (with offset: 2, its length
// wrapped back and it ran turns of its own); a range from a large integer down to a small one
// ((9223372036854775807..-9223372036854775808)) ran two turns where it is empty. And an empty
// range such as (3..1) has a negative length, so its loop rendered neither a turn nor its else.
// So each loop's collection goes through loopRangeFilter before the loop's modifiers (reversed,
// offset, limit, cols) apply: a range too wide for its length stops the render (the record is
// rejected, the template refused at plan), an empty one is made (0..-1), of length 0.

// loopRangeTooWide is a loop over a range of more integers than Liquid can count.
type loopRangeTooWide struct{ lo, hi int }

func (e *loopRangeTooWide) Error() string {
	return fmt.Sprintf("it loops over a range of more integers than a loop can count (%d..%d), where rendering stops (a loop up to a field's value that is far larger than expected?)", e.lo, e.hi)
}

// guardLoopRange returns n, a for or tablerow loop, with its collection given to loopRangeFilter
// first: the same loop compiled from its arguments with the filter after the collection's
// expression (and its filters), given n's position, body and clauses. It returns nil when n's
// arguments are not found to have that form, which the tests say does not happen.
func (e *engine) guardLoopRange(n *liquidrender.BlockNode) *liquidrender.BlockNode {
	at := loopCollectionEnd(n.Args)
	if at < 0 {
		return nil
	}
	src := "{% " + n.Name + " " + n.Args[:at] + " | " + loopRangeFilter + " " + n.Args[at:] + " %}"
	for _, c := range n.Clauses {
		src += "{% " + c.Name + " %}"
	}
	src += "{% end" + n.Name + " %}"
	t, err := e.ParseString(src)
	if err != nil {
		return nil
	}
	root, ok := t.GetRoot().(*liquidrender.SeqNode)
	if !ok || len(root.Children) != 1 {
		return nil
	}
	g, ok := root.Children[0].(*liquidrender.BlockNode)
	if !ok || len(g.Clauses) != len(n.Clauses) {
		return nil
	}
	// The loop's renderer holds the clauses it was compiled with: they are given n's bodies.
	for i, c := range n.Clauses {
		g.Clauses[i].Token, g.Clauses[i].Body, g.Clauses[i].Clauses = c.Token, c.Body, c.Clauses
	}
	out := *g
	out.Token, out.Body = n.Token, n.Body
	return &out
}

// loopCollectionEnd is where, in a loop's arguments (i in (1..n) | slice: 1 reversed limit: 2),
// the collection's expression ends and its modifiers start: at the first reversed, limit:,
// offset: or cols: outside parentheses, brackets and quotes that is not a filter's name or one
// of its arguments (after a | , : or .); at the end when there is none. -1 when there is no in.
func loopCollectionEnd(args string) int {
	in := loopIn.FindStringIndex(args)
	if in == nil {
		return -1
	}
	depth := 0
	prev := byte('|') // the last byte that is not a space: the start is no modifier's place
	for i := in[1]; i < len(args); {
		c := args[i]
		switch {
		case c == '"' || c == '\'':
			j := strings.IndexByte(args[i+1:], c)
			if j < 0 {
				return -1
			}
			i, prev = i+j+2, c
			continue
		case c == '(' || c == '[':
			depth++
		case c == ')' || c == ']':
			depth--
		case c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z':
			m := loopWord.FindStringSubmatch(args[i:])
			modifier := m[1] == "reversed" && m[2] == "" || m[2] != "" && (m[1] == "limit" || m[1] == "offset" || m[1] == "cols")
			if depth == 0 && modifier && prev != '|' && prev != ',' && prev != ':' && prev != '.' {
				return i
			}
			i, prev = i+len(m[0]), 'a'
			if m[2] != "" {
				prev = ':'
			}
			continue
		}
		if c != ' ' && c != '\t' && c != '\n' && c != '\r' {
			prev = c
		}
		i++
	}
	return len(args)
}

var (
	loopIn   = regexp.MustCompile(`^\s*[A-Za-z_][\w-]*\s+in\b`)
	loopWord = regexp.MustCompile(`^([A-Za-z_][\w-]*\??)(\s*:)?`)
)

// A loop's turn also spends steps for the values its tags and outputs read (readSteps): a
// comparison or a contains goes through them ({% if a contains "q" %} with a split into a
// million items compares each), and a record's field is decoded at each read ({% if record.n
// == record.m %} copies both), none of it in a filter. A variable read as it is, not compared
// ({{ records | size }}, {% assign b = a %}), costs nothing: a filter counts what it reads.

// Variable paths in a tag's or an output's expression: names, with their dotted properties.
var (
	quotedText   = regexp.MustCompile(`"[^"]*"|'[^']*'`)
	variablePath = regexp.MustCompile(`(\|\s*)?[A-Za-z_][\w-]*(?:\.[A-Za-z_][\w-]*)*\??(\s*:)?`)
	notVariables = map[string]bool{"and": true, "or": true, "contains": true, "true": true, "false": true,
		"nil": true, "null": true, "empty": true, "blank": true, "in": true, "reversed": true}
)

// reads are what the tags and outputs of a loop's body read at each turn (not those of the body
// of a loop in it, whose turns count them, but its collection), parsed: the properties they read
// (a.b: a record's field is decoded), and the variables that conditions compare.
func reads(nodes []liquidrender.Node) []expressions.Expression {
	var out []expressions.Expression
	seen := map[string]bool{}
	add := func(name, args string) {
		compared := false
		switch name {
		case "for", "tablerow":
			_, args, _ = strings.Cut(args, " in ")
		case "assign":
			_, args, _ = strings.Cut(args, "=")
		case "if", "unless", "elsif", "case", "when":
			compared = true
		case "capture", "increment", "decrement", "comment", "raw", "break", "continue", "else", loopTurnTag, captureTag:
			return
		}
		args = quotedText.ReplaceAllString(args, `""`)
		for _, m := range variablePath.FindAllStringSubmatchIndex(args, -1) {
			path := strings.TrimSpace(args[m[0]:m[1]])
			filtered := strings.HasPrefix(strings.TrimSpace(args[m[1]:]), "|") // given to a filter
			if m[2] >= 0 || m[4] >= 0 || notVariables[path] || seen[path] ||   // a filter, a named argument
				!strings.Contains(path, ".") && (!compared || filtered) {
				continue
			}
			seen[path] = true
			if x, err := expressions.Parse(path); err == nil {
				out = append(out, x)
			}
		}
	}
	var walk func([]liquidrender.Node)
	walk = func(nodes []liquidrender.Node) {
		for _, x := range nodes {
			switch x := x.(type) {
			case *liquidrender.SeqNode:
				walk(x.Children)
			case *liquidrender.BlockNode:
				add(x.Name, x.Args)
				if x.Name != "for" && x.Name != "tablerow" {
					walk(x.Body)
					for _, c := range x.Clauses {
						add(c.Name, c.Args)
						walk(c.Body)
					}
				}
			case *liquidrender.TagNode:
				add(x.Name, x.Args)
			case *liquidrender.ObjectNode:
				add("", x.Args)
			}
		}
	}
	walk(nodes)
	return out
}

// readSteps is what reading v costs: a step per KiB of text (a record's JSON, a string), and
// per item of a list or a map, with their items' own; counted until it passes limit.
func readSteps(v any, limit int) int {
	switch v := v.(type) {
	case string:
		return len(v) >> 10
	case json.Number: // a numeric column's text, of any length
		return len(v) >> 10
	case []byte:
		return len(v) >> 10
	case recordDrop:
		return len(v.r.raw) >> 10
	case *rawRecord:
		return len(v.raw) >> 10
	case []any:
		n := len(v)
		for _, x := range v {
			if n > limit {
				break
			}
			n += readSteps(x, limit)
		}
		return n
	case map[string]any:
		n := len(v)
		for _, x := range v {
			if n > limit {
				break
			}
			n += readSteps(x, limit)
		}
		return n
	}
	if rv := reflect.ValueOf(v); rv.Kind() == reflect.Slice || rv.Kind() == reflect.Map {
		return rv.Len()
	}
	return 0
}

// weight is how many nodes nodes render, but for the bodies of loops (their turns count them).
func weight(nodes []liquidrender.Node) int {
	n := 1
	for _, x := range nodes {
		switch x := x.(type) {
		case *liquidrender.SeqNode:
			n += weight(x.Children)
		case *liquidrender.BlockNode:
			if x.Name != "for" && x.Name != "tablerow" {
				n += weight(x.Body)
				for _, c := range x.Clauses {
					n += weight(c.Body)
				}
			}
		default:
			n++
		}
	}
	return n
}

// guard wraps the filter fn: it refuses to make a value larger than the bound, and spends a
// step per KiB read and made, and for a filter that goes through a list, steps for the items it
// handles (itemSteps) before it does.
func (b *budget) guard(name string, fn any) func(any, ...any) (any, error) {
	f := reflect.ValueOf(fn)
	return func(in any, params ...any) (any, error) {
		args := append([]any{in}, params...)
		if err := b.value(b.estimate(name, args)); err != nil {
			return nil, err
		}
		if err := b.spend(itemSteps(name, in)+arithmeticSteps(name, args), 0, 0); err != nil {
			return nil, err
		}
		read := 0
		for i, a := range args {
			read += sizeOf(a)
			if r, ok := a.(values.Range); ok {
				// Every range is bounded here, whichever argument it is (estimate bounds those
				// of the filters it knows no better for).
				if err := b.value(sizeOf(r)); err != nil {
					return nil, err
				}
				args[i] = rangeList(r)
			}
		}
		out, err := call(f, args)
		if err != nil {
			return nil, err
		}
		made := sizeOf(out)
		if err := b.value(made); err != nil {
			return nil, err
		}
		return out, b.spend((read+made)>>10, 0, 0)
	}
}

// call calls the filter f with args. A filter that panics (Liquid's slice given an offset past
// a text's end, {{ "abc" | slice: 5, -3 }}: a slice out of range) fails with the panic's text
// instead: Liquid lets it through, and it took the runner (or terraform plan) down. A TypeError
// is Liquid's way of saying an argument has the wrong type, which it reports.
func call(f reflect.Value, args []any) (out any, err error) {
	defer func() {
		if r := recover(); r != nil {
			if e, ok := r.(values.TypeError); ok {
				panic(e)
			}
			out, err = nil, fmt.Errorf("%v", r)
		}
	}()
	return values.Call(f, args)
}

// itemSteps is what a filter that goes through the list in spends on its items: one step each
// (a record's field is decoded to sort or map it), n·log2(n) to sort, and for uniq, whose items
// that are lists, maps or records are each compared with every one kept, n²/32 of those.
func itemSteps(name string, in any) int {
	rv := reflect.ValueOf(in)
	n := 0
	switch r, ok := in.(values.Range); {
	case ok:
		n, rv = rangeLen(r), reflect.Value{} // integers: uniq hashes them
	case rv.Kind() == reflect.Slice:
		n = rv.Len()
	default:
		return 0
	}
	switch name {
	case "map", "compact", "reverse", "concat", "join", "json", "inspect", "where":
		return n
	case "sort", "sort_natural":
		return n * max(bits.Len(uint(n)), 1)
	case "uniq":
		m := 0 // items compared one by one
		for i := 0; rv.Kind() == reflect.Slice && i < n; i++ {
			if x := rv.Index(i); x.Kind() == reflect.Interface && !x.IsNil() {
				if k := x.Elem().Kind(); k >= reflect.Array && k != reflect.Pointer && k != reflect.UnsafePointer {
					m++
				}
			}
		}
		return n + m*m/32
	}
	return 0
}

// estimate is, for a filter that could make a value far larger than what it reads, how large
// that value would be (sizeOf's measure), computed before it is made; otherwise the size of the
// largest range given (a filter sees it as a list).
func (b *budget) estimate(name string, args []any) int {
	text := func(i int, def string) string {
		if i < len(args) && args[i] != nil {
			return textOf(args[i])
		}
		return def
	}
	count := func(s, sep string) int {
		if sep == "" {
			return utf8.RuneCountInString(s) + 1
		}
		return strings.Count(s, sep) + 1
	}
	switch name {
	case "replace":
		s, old, new := text(0, ""), text(1, ""), text(2, "")
		return len(s) + (count(s, old)-1)*max(len(new)-len(old), 0)
	case "split":
		return 16 * count(text(0, ""), text(1, ""))
	case "join":
		sep := text(1, " ")
		n := 0
		if list, ok := args[0].([]any); ok {
			for _, x := range list {
				if n += deepSize(x, b.limits.value) + len(sep); n > b.limits.value {
					break
				}
			}
			return n
		}
	case "json", "inspect":
		return deepSize(args[0], b.limits.value)
	}
	n := 0
	for _, a := range args {
		if r, ok := a.(values.Range); ok {
			n = max(n, 16*rangeLen(r))
		}
	}
	return n
}

// maxRangeLen is where rangeLen stops counting: more items than any bound allows, few enough
// that 16 bytes each still fit an int.
const maxRangeLen = math.MaxInt / 16

// rangeLen is how many integers r holds, at most maxRangeLen. Liquid's Len is e+1-b, which
// wraps around for a range wider than an int holds: (-9223372036854775808..9223372036854775807)
// has a Len of 0, and its AsArray then appends items until memory runs out. Its first and last
// integers are b and b+Len-1, exact in wrapping arithmetic.
func rangeLen(r values.Range) int {
	b, _ := r.Index(0).(int)
	e := b + r.Len() - 1
	if e < b {
		return 0
	}
	if span := uint64(e) - uint64(b); span < maxRangeLen {
		return int(span) + 1
	}
	return maxRangeLen
}

// rangeList is r as the list a filter is given, made here rather than by Liquid, whose
// conversion (Range.AsArray) goes on without end for a range that ends at the largest int (its
// counter wraps around before it passes the end), fails for an empty range (5..1) with a slice
// of negative capacity, and is skipped for filters that take any value: size counted (1..3) as
// 0 items, json wrote it as {}. guard has refused a range too large to be a value first.
func rangeList(r values.Range) []any {
	n := rangeLen(r)
	b, _ := r.Index(0).(int)
	list := make([]any, n)
	for i := range list {
		list[i] = b + i
	}
	return list
}

// sizeOf is about how many bytes v holds at its top level: a string's length, a record's JSON,
// 16 per item of a list or a map.
func sizeOf(v any) int {
	switch v := v.(type) {
	case string:
		return len(v)
	case json.Number: // a number's text, of any length
		return len(v)
	case []byte:
		return len(v)
	case *rawRecord:
		return len(v.raw)
	case recordDrop:
		return len(v.r.raw)
	case values.Range:
		return 16 * rangeLen(v)
	case nil:
		return 0
	}
	if rv := reflect.ValueOf(v); rv.Kind() == reflect.Slice || rv.Kind() == reflect.Map {
		return 16 * rv.Len()
	}
	return 16
}

// deepSize is about how many bytes v's text takes (as JSON), counted until it passes limit.
func deepSize(v any, limit int) int {
	switch v := v.(type) {
	case []any:
		n := 2
		for _, x := range v {
			if n += deepSize(x, limit) + 1; n > limit {
				break
			}
		}
		return n
	case map[string]any:
		n := 2
		for k, x := range v {
			if n += len(k) + 4 + deepSize(x, limit); n > limit {
				break
			}
		}
		return n
	case values.Range:
		return 12 * rangeLen(v)
	case string:
		return len(v) + 2
	}
	return sizeOf(v)
}
