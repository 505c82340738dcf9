package warehouse

import (
	"context"
	"errors"
	"fmt"
	"slices"
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
	// keyJSON, when set, is the key's JSON from its text where the column's type alone does not
	// say it (streamKeyJSON): a character(n) key's, padded to its n characters.
	keyJSON KeyJSON
	// zoned: the columns whose text zonedText rewrites (pgzoned.go), each read in binary too;
	// keyZoned, the one of them that is the key when its text is read as a helper column (else -1).
	zoned    []zonedCol
	zonedBuf [][]byte
	keyZoned int
	types    map[uint32]pgType
	// reread reads the rows again, anonymous records as their text only (open's anonText), when
	// Postgres could not send one in binary before any row was read (read counts them).
	reread func() (*Rows, error)
	read   int
	vals   [][]byte
	err    error
	done   bool
	closed bool
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
	r, err := open(ctx, conn, query, keyColumn, since, false)
	if err != nil {
		_ = conn.Close(context.WithoutCancel(ctx))
		return nil, err
	}
	return r, nil
}

// anonText leaves out of the binary reads (pgzoned.go) the columns of an anonymous record type,
// whose fields' types are not known before a value is sent: one holding a field of a type with no
// binary send function (aclitem, an extension's such as seg) fails the read when sent in binary,
// and is then read again with anonText, as its text only (Next).
func open(ctx context.Context, conn *Conn, query, keyColumn string, since *Since, anonText bool) (*Rows, error) {
	query = pgLexicon.statement(query)
	cols, err := DescribeConn(ctx, conn, query)
	if err != nil {
		return nil, err
	}
	// The describe (EXPLAIN) has locked every relation the model reads, until the transaction
	// ends: none can be truncated or replaced any more. Before it got them, one could have been.
	if err := conn.checkNotReplaced(ctx); err != nil {
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
		return nil, HasKey(cols, keyColumn)
	}

	// A text or varchar key is its own text form, read in place; a timestamptz or an interval
	// key's text is written from its binary value (pgKeyText); any other key is added last as
	// text (a column without a name, so it cannot collide with a model column's).
	ident := pgx.Identifier{keyColumn}.Sanitize()
	textKey := cols[keyIdx].Type == "text" || cols[keyIdx].Type == "varchar"
	modelKey := keyIdx
	ownText := pgKeyTextTypes[cols[keyIdx].Type]
	nfields := len(cols)
	where, params, err := pgSince(cols, since, conn.pg.PgConn().ParameterStatus("server_encoding"))
	if err != nil {
		return nil, err
	}
	sel := "m.*"
	if !textKey && !ownText {
		sel += fmt.Sprintf(", (m.%s)::text", ident)
		keyIdx = len(cols)
		nfields++
	}
	wrapped := fmt.Sprintf("SELECT %s FROM (\n%s\n) AS m%s", sel, query, where)
	pc := conn.pg.PgConn()
	conn.send()
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
	codecs, types, err := codecsFor(ctx, conn, oids)
	if err != nil {
		return nil, err
	}
	// A column read as its text that holds a timestamptz or an interval inside (pgzoned.go) is
	// read once more, in binary, after the others, and its text rewritten from it.
	var zoned []zonedCol
	for i, c := range codecs {
		if c.format() == textFormat && zonedType(oids[i], types, 0) && binarySendable(oids[i], types, 0) && !(anonText && anonymous(oids[i])) {
			zoned = append(zoned, zonedCol{col: i, bin: nfields + len(zoned), oid: oids[i]})
			sel += ", m." + pgx.Identifier{cols[i].Name}.Sanitize()
		}
	}
	anonZoned := slices.ContainsFunc(zoned, func(z zonedCol) bool { return anonymous(z.oid) })
	if anonZoned {
		// Read again from here, in the same snapshot, should Postgres not send an anonymous
		// record in binary (Next). Set before the statement is prepared: a statement sent so
		// drops the unnamed prepared one.
		conn.send()
		if _, err := pc.Exec(ctx, "SAVEPOINT backflow_anonymous_record").ReadAll(); err != nil {
			return nil, fmt.Errorf("read the model from the warehouse: %w", conn.explain(err))
		}
	}
	if len(zoned) > 0 {
		wrapped = fmt.Sprintf("SELECT %s FROM (\n%s\n) AS m%s", sel, query, where)
		conn.send()
		if sd, err = pc.Prepare(ctx, "", wrapped, nil); err != nil {
			return nil, conn.rejected(err)
		}
		if len(sd.Fields) != nfields+len(zoned) {
			return nil, errors.New("the model's SQL returned other columns when read than when described: it changed while being read; try again")
		}
		for _, z := range zoned {
			if sd.Fields[z.bin].DataTypeOID != z.oid {
				return nil, errors.New("the model's SQL returned other columns when read than when described: it changed while being read; try again")
			}
		}
	}
	formats := make([]int16, nfields+len(zoned))
	for i, c := range codecs {
		formats[i] = c.format()
	}
	if !textKey && !ownText {
		formats[keyIdx] = textFormat
	}
	for _, z := range zoned {
		formats[z.bin] = binaryFormat
	}
	r := &Rows{conn: conn, cols: cols, codecs: codecs, keyIdx: keyIdx, zoned: zoned, types: types, keyZoned: -1}
	for i, z := range zoned {
		if z.col == modelKey && keyIdx != modelKey {
			r.keyZoned = i // the key's ::text, read after the model's columns, is the column's text
		}
	}
	r.zonedBuf = make([][]byte, len(zoned))
	// A character(n) key's ::text, which the ledger keeps, drops the blanks that pad it to n
	// characters; its value, which upserts send, keeps them: its deletes pad it back.
	if f := sd.Fields[modelKey]; f.DataTypeOID == bpcharOID && f.TypeModifier > 4 {
		r.keyJSON = paddedKeyJSON(int(f.TypeModifier - 4))
	} else if _, named := conn.pg.TypeMap().TypeForOID(oids[modelKey]); !named {
		// The name the model's columns give a type pgx does not know (typeName) does not say
		// what a domain in it is over: an array of a domain over jsonb is "_djb", and its
		// elements are sent as JSON, not as the strings a type of that name would be.
		r.keyJSON = pgKeyTypeOf(oids[modelKey], types, conn.pg.TypeMap(), 0).keyJSON()
	}
	if keyText := pgKeyText(codecs[modelKey]); keyText != nil && codecs[modelKey].format() == binaryFormat {
		// A domain over such a type is read with its ::text too, which is not used.
		r.keyText, r.keyIdx = keyText, modelKey
	} else if ownText {
		return nil, errors.New("the model's SQL returned other columns when read than when described: it changed while being read; try again")
	}
	if anonZoned {
		r.reread = func() (*Rows, error) {
			if _, err := pc.Exec(ctx, "ROLLBACK TO SAVEPOINT backflow_anonymous_record").ReadAll(); err != nil {
				return nil, err
			}
			return open(ctx, conn, query, keyColumn, since, true)
		}
	}
	conn.send()
	r.rr = pc.ExecPrepared(ctx, "", params, nil, formats)
	return r, nil
}

// noBinaryOutput reports whether err is Postgres refusing to send a value in binary because a
// type in it has no send function.
func noBinaryOutput(err error) bool {
	var pe *pgconn.PgError
	return errors.As(err, &pe) && pe.Code == "42883" && strings.Contains(pe.Message, "no binary output function")
}

// pgSince is the WHERE clause of a read narrowed by since (nil: none) and its parameter, as
// text that Postgres parses as the column's type. The planner pushes the condition into the
// model's query, so an index on the column serves it. serverEncoding is the database's
// (server_encoding).
func pgSince(cols []controlplane.Column, since *Since, serverEncoding string) (string, [][]byte, error) {
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
	case since.Kind == CursorText && typ == "char":
		// Postgres's one-byte "char" (pg_class.relkind's type, not char(n): bpchar) has no
		// collation (COLLATE "C" failed every incremental read) and compares as the byte's
		// value: as the mark's bytes, for ASCII; other bytes are read as an octal escape
		// ("\351"), whose backslash sorts before the letters that the byte is after. Up to the
		// first of either, the bound is at or below every value after the mark.
		from = textBefore(from, func(b byte) bool { return b == '\\' || b >= 0x80 })
	case since.Kind == CursorText:
		c += ` COLLATE "C"`
		if !strings.EqualFold(serverEncoding, "UTF8") {
			from = textBefore(from, func(b byte) bool { return b >= 0x80 })
		}
		if typ == "bpchar" {
			from = textBefore(from, func(b byte) bool { return b < ' ' })
		}
	case since.Kind == CursorTime && zoned(typ):
		from += "+00"
	}
	return fmt.Sprintf(" WHERE (%s >= $1 OR %s IS NULL)", c, c), [][]byte{[]byte(from)}, nil
}

// textBefore is text s up to its first byte that stop is true of: the bound of a Postgres text
// cursor whose mark (the highest value by the bytes of its UTF-8, CursorText) the column's
// comparison may put after a value the mark is below, which the read would then miss until a
// full read; the bound is then a prefix of the mark, which every such value is at or after:
//   - In a database whose encoding is not UTF-8 (LATIN1, WIN1252, EUC_JP, SQL_ASCII...),
//     COLLATE "C" compares the bytes of that encoding: in WIN1252, '€' (0x80) sorts before 'ÿ'
//     (0xFF), in UTF-8 after it. ASCII is the same bytes in every encoding Postgres serves, and
//     each writes every other character with bytes above ASCII's: a text at or after the mark in
//     UTF-8 is at or after its ASCII prefix in the database's encoding too.
//   - A char(n) (bpchar) is read padded with blanks to n, and compared without its trailing
//     blanks: 'b' is after 'b\t' read as 'b  ' and 'b\t ', before it compared. Up to the
//     mark's first byte below the blank, a value after the mark read padded is after the bound
//     compared.
//
// ASCII marks without control characters (most text cursors: ISO strings, ULIDs) are their own
// bound.
func textBefore(s string, stop func(byte) bool) string {
	for i := 0; i < len(s); i++ {
		if stop(s[i]) {
			return s[:i]
		}
	}
	return s
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
		r.read++
		for i, z := range r.zoned {
			if v := r.vals[z.col]; v != nil {
				if t, ok := zonedText(r.zonedBuf[i][:0], z.oid, v, r.vals[z.bin], r.types, 0); ok {
					r.zonedBuf[i], r.vals[z.col] = t, t
					if i == r.keyZoned {
						r.vals[r.keyIdx] = t
					}
				}
			}
		}
		return true
	}
	r.vals = nil
	r.done = true
	_, err := r.rr.Close()
	if err != nil && r.reread != nil && r.read == 0 && noBinaryOutput(err) {
		// An anonymous record's field has a type Postgres cannot send in binary: its first value
		// failed, so nothing was read yet; read the rows again, such columns as their text only.
		nr, rerr := r.reread()
		if rerr == nil {
			*r = *nr
			return r.Next()
		}
		err = rerr
	}
	if err != nil {
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

func (r *Rows) streamKeyJSON() (KeyJSON, error) { return r.keyJSON, nil }

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
// (domains, enums, extension types such as citext, arrays of those) are looked up in pg_type,
// with the fields of composites and the subtypes of ranges (for pgzoned.go): the types looked up
// are returned too.
func codecsFor(ctx context.Context, conn *Conn, oids []uint32) ([]codec, map[uint32]pgType, error) {
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
		rows, err := conn.pg.Query(ctx, pgTypesSQL, unknown)
		if err != nil {
			return nil, nil, fmt.Errorf("look up the model's column types in the warehouse: %w", err)
		}
		var next []uint32
		for rows.Next() {
			var t pgType
			var typtype, category, delim byte
			if err := rows.Scan(&t.oid, &typtype, &t.base, &t.elem, &category, &delim, &t.sub, &t.attrs, &t.send); err != nil {
				rows.Close()
				return nil, nil, fmt.Errorf("look up the model's column types in the warehouse: %w", err)
			}
			t.domain = typtype == 'd'
			t.array = category == 'A' && t.elem != 0
			t.delim = delim
			t.multi = typtype == 'm' // pgTypesSQL gives a subtype to ranges and multiranges only
			types[t.oid] = t
			for _, o := range append([]uint32{t.base, t.elem, t.sub}, t.attrs...) {
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
			return nil, nil, fmt.Errorf("look up the model's column types in the warehouse: %w", err)
		}
		unknown = next
	}
	codecs := make([]codec, len(oids))
	for i, oid := range oids {
		codecs[i] = resolve(oid, types, 0)
	}
	return codecs, types, nil
}

// pgTypesSQL looks up types by OID: pg_type's columns, a range's subtype (a multirange's, through
// its range: pg_range.rngmultitypid, read through to_jsonb since Postgres before 14 has no such
// column), a composite's field types in order, and whether the type has a binary send function.
const pgTypesSQL = `SELECT t.oid, t.typtype, t.typbasetype, t.typelem, t.typcategory, t.typdelim,
	coalesce((SELECT r.rngsubtype FROM pg_catalog.pg_range r
		WHERE r.rngtypid = t.oid OR (to_jsonb(r)->>'rngmultitypid')::oid = t.oid LIMIT 1), 0),
	coalesce((SELECT array_agg(a.atttypid ORDER BY a.attnum) FROM pg_catalog.pg_attribute a
		WHERE t.typrelid <> 0 AND a.attrelid = t.typrelid AND a.attnum > 0 AND NOT a.attisdropped), '{}'),
	t.typsend <> 0
FROM pg_catalog.pg_type t WHERE t.oid = ANY($1)`

type pgType struct {
	oid, base, elem uint32
	domain, array   bool
	delim           byte
	// For pgzoned.go: sub, a range's or multirange's subtype (multi: a multirange); attrs, a
	// composite's field types in order; send, whether the type has a binary send function.
	sub   uint32
	multi bool
	attrs []uint32
	send  bool
}

// zonedCol is a column whose text zonedText rewrites: col, its index; bin, the index of its
// binary value; oid, its type.
type zonedCol struct {
	col, bin int
	oid      uint32
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
