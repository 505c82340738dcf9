package warehouse

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/backflowhq/terraform-provider-backflow/internal/controlplane"
)

// Rows streams a model's rows ordered by the text form of its key column. It reads the wire
// protocol directly (pgconn) so each row costs no allocation: values are the raw bytes of the
// DataRow message, encoded to JSON straight into the caller's buffer.
type Rows struct {
	conn   *Conn
	rr     *pgconn.ResultReader
	cols   []controlplane.Column
	codecs []codec // one per model column
	keyIdx int     // the key's text form: the key column itself (text, varchar) or a helper after the model's
	// keyText, when set, writes the key's text from the key column's binary value (keyIdx), into
	// keyBuf: for the types whose ::text follows TimeZone or IntervalStyle (pgtext.go).
	keyText func(dst, v []byte) []byte
	keyBuf  []byte
	vals    [][]byte
	err     error
	done    bool
	closed  bool
}

// Open runs query on the warehouse wh and streams its rows in the warehouse's order, with the key
// column's text form as Key (Postgres.Open sorts them by it: extsort.go). keyColumn must be a
// column of the query's result. SQL the warehouse rejects returns an
// error carrying the warehouse's message. It reads on a Connect connection, so in a read-only
// transaction with the connection's timeouts. The caller must Close the Rows; that closes the
// connection too.
func Open(ctx context.Context, wh *controlplane.PostgresConfig, query, keyColumn string, since *Since) (*Rows, error) {
	conn, err := Connect(ctx, wh)
	if err != nil {
		return nil, err
	}
	r, err := open(ctx, conn, query, keyColumn, since)
	if err != nil {
		_ = conn.Close(context.WithoutCancel(ctx))
		return nil, err
	}
	return r, nil
}

func open(ctx context.Context, conn *Conn, query, keyColumn string, since *Since) (*Rows, error) {
	query = trimQuery(query)
	cols, err := DescribeConn(ctx, conn, query)
	if err != nil {
		return nil, err
	}
	keyIdx := -1
	for i, c := range cols {
		if c.Name == keyColumn {
			keyIdx = i
			break
		}
	}
	if keyIdx < 0 {
		names := make([]string, len(cols))
		for i, c := range cols {
			names[i] = c.Name
		}
		return nil, fmt.Errorf("the model lost its key column: its result has no column %q (it has %s); add the column back to the model's SQL or change the sync's primary_key",
			keyColumn, strings.Join(names, ", "))
	}

	// A text or varchar key is its own text form, read in place; a timestamptz or an interval
	// key's text is written from its binary value (pgKeyText); any other key is added last as
	// text (a column without a name, so it cannot collide with a model column's).
	ident := pgx.Identifier{keyColumn}.Sanitize()
	textKey := cols[keyIdx].Type == "text" || cols[keyIdx].Type == "varchar"
	modelKey := keyIdx
	ownText := pgKeyTextTypes[cols[keyIdx].Type]
	nfields := len(cols)
	where, params, err := pgSince(cols, since)
	if err != nil {
		return nil, err
	}
	var wrapped string
	if textKey || ownText {
		wrapped = fmt.Sprintf("SELECT * FROM (\n%s\n) AS m%s", query, where)
	} else {
		wrapped = fmt.Sprintf("SELECT m.*, (m.%s)::text FROM (\n%s\n) AS m%s", ident, query, where)
		keyIdx = len(cols)
		nfields++
	}
	pc := conn.pg.PgConn()
	sd, err := pc.Prepare(ctx, "", wrapped, nil)
	if err != nil {
		return nil, conn.rejected(err)
	}
	if len(sd.Fields) != nfields || (textKey && sd.Fields[keyIdx].DataTypeOID != 25 && sd.Fields[keyIdx].DataTypeOID != 1043) {
		return nil, errors.New("the model's SQL returned other columns when read than when described: it changed while being read; try again")
	}
	oids := make([]uint32, len(cols))
	for i := range cols {
		oids[i] = sd.Fields[i].DataTypeOID
	}
	codecs, err := codecsFor(ctx, conn, oids)
	if err != nil {
		return nil, err
	}
	formats := make([]int16, nfields)
	for i, c := range codecs {
		formats[i] = c.format()
	}
	if !textKey && !ownText {
		formats[keyIdx] = textFormat
	}
	r := &Rows{conn: conn, cols: cols, codecs: codecs, keyIdx: keyIdx}
	if keyText := pgKeyText(codecs[modelKey]); keyText != nil && codecs[modelKey].format() == binaryFormat {
		// A domain over such a type is read with its ::text too, which is not used.
		r.keyText, r.keyIdx = keyText, modelKey
	} else if ownText {
		return nil, errors.New("the model's SQL returned other columns when read than when described: it changed while being read; try again")
	}
	r.rr = pc.ExecPrepared(ctx, "", params, nil, formats)
	return r, nil
}

// pgSince is the WHERE clause of a read narrowed by since (nil: none) and its parameter, as
// text that Postgres parses as the column's type. The planner pushes the condition into the
// model's query, so an index on the column serves it.
func pgSince(cols []controlplane.Column, since *Since) (string, [][]byte, error) {
	if since == nil {
		return "", nil, nil
	}
	typ, err := since.columnType(cols)
	if err != nil {
		return "", nil, err
	}
	c := "m." + pgx.Identifier{since.Column}.Sanitize()
	from := since.From
	switch {
	case since.Kind == CursorText:
		c += ` COLLATE "C"`
	case since.Kind == CursorTime && zoned(typ):
		from += "+00"
	}
	return fmt.Sprintf(" WHERE (%s >= $1 OR %s IS NULL)", c, c), [][]byte{[]byte(from)}, nil
}

// trimQuery drops trailing semicolons and blanks so the query can be wrapped in a subquery.
func trimQuery(q string) string {
	return strings.TrimRight(q, " \t\r\n;")
}

// Columns returns the model's columns (without the helper key column).
func (r *Rows) Columns() []controlplane.Column { return r.cols }

// Next advances to the next row. It returns false at the end or on an error (see Err).
func (r *Rows) Next() bool {
	if r.done {
		return false
	}
	if r.rr.NextRow() {
		r.vals = r.rr.Values()
		return true
	}
	r.vals = nil
	r.done = true
	if _, err := r.rr.Close(); err != nil {
		r.err = fmt.Errorf("read the model from the warehouse: %w", r.conn.explain(err))
	}
	return false
}

// Key returns the current row's key as Postgres's ::text prints it (a timestamptz or interval's
// as pgtext.go writes it, whatever the session's settings). The bytes are valid until
// the next call to Next.
func (r *Rows) Key() (key []byte, isNull bool) {
	v := r.vals[r.keyIdx]
	if r.keyText != nil && v != nil {
		r.keyBuf = r.keyText(r.keyBuf[:0], v)
		return r.keyBuf, false
	}
	return v, v == nil
}

// AppendValue appends the JSON encoding of column col of the current row to buf.
func (r *Rows) AppendValue(buf []byte, col int) []byte {
	return r.codecs[col].appendJSON(buf, r.vals[col])
}

// AppendObject appends {"name":value,...} for the given column indexes of the current row;
// names[i] is the JSON-encoded (quoted) name for cols[i], without the colon.
func (r *Rows) AppendObject(buf []byte, cols []int, names [][]byte) []byte {
	return appendObject(r, buf, cols, names)
}

// Err returns the error that ended the iteration, if any.
func (r *Rows) Err() error { return r.err }

// Close stops reading and closes the connection. Closing before the end does not drain the
// remaining rows: the connection is simply dropped, which the warehouse treats as a cancel.
func (r *Rows) Close() error {
	if r.closed {
		return nil
	}
	r.closed = true
	r.done = true
	// Closing the connection never drains a result still streaming (pgconn just sends
	// Terminate and hangs up), so this is quick even mid-result.
	return r.conn.Close(context.Background())
}

// codecsFor chooses how each result column is requested and encoded. OIDs pgx does not know
// (domains, enums, extension types such as citext, arrays of those) are looked up in pg_type.
func codecsFor(ctx context.Context, conn *Conn, oids []uint32) ([]codec, error) {
	types := map[uint32]pgType{}
	var unknown []uint32
	for _, oid := range oids {
		if _, ok := builtinKinds[oid]; !ok {
			unknown = append(unknown, oid)
		}
	}
	// A domain's base type or an array's element type may itself be unknown: look up until
	// everything is resolved (a few rounds at most).
	for round := 0; len(unknown) > 0 && round < 8; round++ {
		rows, err := conn.pg.Query(ctx, "SELECT oid, typtype, typbasetype, typelem, typcategory, typdelim FROM pg_catalog.pg_type WHERE oid = ANY($1)", unknown)
		if err != nil {
			return nil, fmt.Errorf("look up the model's column types in the warehouse: %w", err)
		}
		var next []uint32
		for rows.Next() {
			var t pgType
			var typtype, category, delim byte
			if err := rows.Scan(&t.oid, &typtype, &t.base, &t.elem, &category, &delim); err != nil {
				rows.Close()
				return nil, fmt.Errorf("look up the model's column types in the warehouse: %w", err)
			}
			t.domain = typtype == 'd'
			t.array = category == 'A' && t.elem != 0
			t.delim = delim
			types[t.oid] = t
			for _, o := range []uint32{t.base, t.elem} {
				if o == 0 {
					continue
				}
				if _, ok := builtinKinds[o]; ok {
					continue
				}
				if _, ok := types[o]; !ok {
					next = append(next, o)
				}
			}
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, fmt.Errorf("look up the model's column types in the warehouse: %w", err)
		}
		unknown = next
	}
	codecs := make([]codec, len(oids))
	for i, oid := range oids {
		codecs[i] = resolve(oid, types, 0)
	}
	return codecs, nil
}

type pgType struct {
	oid, base, elem uint32
	domain, array   bool
	delim           byte
}

// resolve maps a type OID to its codec: builtins directly, domains through their base type,
// arrays binary when their element has a binary codec and as parsed text otherwise, anything
// else as its text form.
func resolve(oid uint32, types map[uint32]pgType, depth int) codec {
	if k, ok := builtinKinds[oid]; ok {
		return k
	}
	t, ok := types[oid]
	if !ok || depth > 8 {
		return codec{kind: kText}
	}
	if t.domain {
		return resolve(t.base, types, depth+1)
	}
	if t.array {
		elem := resolve(t.elem, types, depth+1)
		if elem.kind == kArray {
			// An array of a domain over an array type: each element is a whole array of its
			// own, on the wire a binary array in the element's place ({"{1,2}","{3}"} is
			// [[1,2],[3]], whatever the lengths).
			return codec{kind: kArray, elem: kArrayBin, sub: &elem}
		}
		if ek, ok := binaryElemKind(elem); ok {
			return codec{kind: kArray, elem: ek}
		}
		// The delimiter belongs to the element type (box uses ';').
		var delim byte
		if et, ok := types[t.elem]; ok {
			delim = et.delim
		}
		if delim == 0 {
			delim = ','
		}
		c := codec{kind: kTextArray, delim: delim}
		if elem.kind == kTextArray {
			// As above, read as text: each element is the quoted text of an array.
			c.sub = &elem
		}
		return c
	}
	return codec{kind: kText}
}
