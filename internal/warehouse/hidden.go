package warehouse

import (
	"cmp"
	"encoding/json"
	"errors"
	"regexp"
	"slices"
	"strings"

	"github.com/go-sql-driver/mysql"
	"github.com/jackc/pgx/v5/pgconn"
)

// hiddenText stands in an error's text for what a connection keeps secret.
const hiddenText = "[init_sql, not shown]"

// textHidden is an error whose text leaves out what the connection it came from keeps secret;
// errors.Is and errors.As still see the original.
type textHidden struct {
	text string
	err  error
}

func (e *textHidden) Error() string { return e.text }
func (e *textHidden) Unwrap() error { return e.err }

// initSQLLiteral is a quoted literal of SQL ('...' or "..."), or a quote left open to the end of
// its line.
var initSQLLiteral = regexp.MustCompile(`'[^'\n]*'?|"[^"\n]*"?`)

// hideInitSQL returns err with the text of initSQL (a DuckDB connection's init_sql, which holds
// credentials: CREATE SECRET, SET s3_secret_access_key) left out, wherever DuckDB quoted it: the
// "LINE n: ..." context of its parser errors (and the caret line under it), whole lines of it,
// its quoted literals, and its words of 8 characters or more (a key given bare, or a literal
// cut by DuckDB's "..."); a line or literal shorter than that where it stands as a word of the
// error (not inside one: 'x' in "exist"). err is returned as it is when nothing needs hiding. Every error
// DuckDB returns for init_sql goes through it, so that no plan, run record, log line or
// notification shows it.
func hideInitSQL(initSQL string, err error) error {
	if err == nil || strings.TrimSpace(initSQL) == "" {
		return err
	}
	lines := strings.Split(err.Error(), "\n")
	out := lines[:0:0]
	for i := 0; i < len(lines); i++ {
		if strings.HasPrefix(strings.TrimSpace(lines[i]), "LINE ") {
			out = append(out, hiddenText)
			if i+1 < len(lines) && strings.Trim(lines[i+1], " ^") == "" {
				i++ // the caret line under it
			}
			continue
		}
		out = append(out, lines[i])
	}
	text := strings.Join(out, "\n")
	var parts []string
	for _, l := range strings.FieldsFunc(initSQL, func(r rune) bool { return r == '\n' || r == ';' }) {
		if l = strings.TrimSpace(l); len(l) >= 4 {
			parts = append(parts, l)
		}
	}
	for _, lit := range initSQLLiteral.FindAllString(initSQL, -1) {
		if lit = strings.Trim(lit, `'"`); lit != "" {
			parts = append(parts, lit)
		}
	}
	for _, w := range strings.FieldsFunc(initSQL, func(r rune) bool { return strings.ContainsRune(" \t\r\n,;()='\"", r) }) {
		if len(w) >= 8 {
			parts = append(parts, w)
		}
	}
	// The longest first, so that a part of a longer one does not break it up; in any case, as
	// DuckDB folds unquoted names to lower case and a function of init_sql may change a
	// literal's (upper('...') was shown as written in upper case).
	slices.SortFunc(parts, func(a, b string) int { return cmp.Compare(len(b), len(a)) })
	if len(parts) > 0 {
		quoted := make([]string, len(parts))
		for i, p := range parts {
			quoted[i] = regexp.QuoteMeta(p)
			// A part shorter than a word of 8 (a literal 'x', 'UTC', a line "LOAD json") only
			// where it stands as a word: inside the error's own words ("context deadline
			// exceeded", "Table with name"), each of its letters was left out.
			if len(p) < 8 {
				if isWordByte(p[0]) {
					quoted[i] = `\b` + quoted[i]
				}
				if isWordByte(p[len(p)-1]) {
					quoted[i] += `\b`
				}
			}
		}
		text = regexp.MustCompile("(?i)"+strings.Join(quoted, "|")).ReplaceAllLiteralString(text, hiddenText)
	}
	if text == err.Error() {
		return err
	}
	return &textHidden{text: text, err: err}
}

// isWordByte: c is a letter, a digit or '_', as regexp's \b reads a word.
func isWordByte(c byte) bool {
	return c == '_' || c >= '0' && c <= '9' || isLetter(c)
}

// valueHidden stands in an error's text for a data value the warehouse quoted.
const valueHidden = "[value not shown]"

// The rule, one home per warehouse: a value of the warehouse's data that the warehouse quotes in
// an error (a model that casts a text column fails on "alice@example.com") is customer data, and
// errors go where the data does not: plans, run records, the status page, notifications to
// Slack or a webhook, logs. So every error a driver returns (Describe, Open, Ping, a stream's
// Err and Close) goes through its warehouse's function below, applied once by For: what failed
// (the type, the column, the row, DuckDB's LINE context of the SQL) and the error's code stay,
// each quoted value gives way to valueHidden. Only the errors a value causes are touched:
// Postgres's and MySQL's data exceptions (SQLSTATE class 22), the errors of a name a value gives
// (Postgres's text cast to regclass, current_setting(email)) and the errors MySQL gives another
// SQLSTATE (mySQLValueErrors), DuckDB's Conversion, Invalid Input and Out of Range errors, as text
// or as the JSON of its errors_as_json. Errors about the SQL (a syntax error, an unknown column)
// quote the model's SQL, which is configuration, and stay whole. errors.Is and errors.As still
// see the original error.

// hidePostgresValues is the rule for Postgres: the quoted values of a data exception
// (`invalid input syntax for type integer: "<value>"`, `value "<value>" is out of range for type
// integer`, `invalid value "<value>" for "<format>"`), the unquoted ones (postgresUnquotedValues),
// and the bytes of an encoding's (`invalid byte sequence for encoding "UTF8": 0xe9 0x80`); the
// names of a value's object (postgresNamedByValue).
func hidePostgresValues(err error) error {
	var pe *pgconn.PgError
	if err == nil || !errors.As(err, &pe) || !strings.HasPrefix(pe.Code, "22") && pe.Code != "54000" && !postgresNamedByValue(pe) {
		return err
	}
	msg := pe.Message
	for _, re := range postgresUnquotedValues {
		msg = re.ReplaceAllString(msg, "${1}"+valueHidden)
	}
	keep := postgresNamePrefixes
	if !strings.HasPrefix(pe.Code, "22") {
		keep = nil // `column "<value>" of relation "u"`: a name may be a value
	}
	msg = hideQuoted(msg, '"', keep)
	if pe.Code == "22021" || pe.Code == "22P05" { // character_not_in_repertoire, untranslatable_character
		msg = postgresBytes.ReplaceAllString(msg, valueHidden)
	}
	return replaceMessage(err, pe.Message, msg)
}

// postgresUnquotedValues are the values Postgres names without quotes, each the second of two
// groups: make_date's, make_timestamp's and make_time's `date field value out of range:
// 2020-13-17` (22008; a text cast's is quoted), chr's `requested character too large for
// encoding: 1700000` (54000, program_limit_exceeded).
var postgresUnquotedValues = []*regexp.Regexp{
	regexp.MustCompile(`((?:date|time) field value out of range: )([^"].*)`),
	regexp.MustCompile(`(requested character too large for encoding: )(.+)`),
}

// postgresNamePrefixes are namePrefixes and Postgres's encoding: `for encoding "UTF8"`.
var postgresNamePrefixes = slices.Concat(namePrefixes, []string{"encoding "})

// postgresBytes are the bytes of a value Postgres's encoding errors print: `0xe9 0x80`.
var postgresBytes = regexp.MustCompile(`0x[0-9a-f]{2}( 0x[0-9a-f]{2})*`)

// postgresNamedByValue: pe is an error about an object (a relation, a schema, a database, a
// setting, a file) named by a value while the query ran (a text column cast to regclass or
// regproc, current_setting, pg_database_size or pg_read_file of a column: `relation "<value>" does
// not exist`, `schema "<value>" does not exist`), or a query a value holds (query_to_xml), not by
// the SQL: such an error points at no position of the SQL, nor has the context of a function's
// body (a name the SQL gives, even a literal cast, points at its position). A FATAL error is the
// connection's (`unrecognized configuration parameter "x"` of the URL's options), not a value's.
// A text cast to regtype that does not parse is a syntax error in the value (`syntax error at or
// near "@"`), whose context names it (`invalid type name "<value>"`) and whose position is in it.
func postgresNamedByValue(pe *pgconn.PgError) bool {
	if strings.HasPrefix(pe.Where, "invalid type name ") {
		return true
	}
	switch pe.Code[:min(2, len(pe.Code))] {
	case "42", "3D", "3F", "58": // syntax error or access rule violation, invalid catalog name, invalid schema name, system error
		return pe.Position == 0 && pe.Where == "" && cmp.Or(pe.SeverityUnlocalized, pe.Severity) == "ERROR"
	}
	return false
}

// namePrefixes introduce a name, not a value, quoted in a data exception: MySQL's `Incorrect
// integer value: '<value>' for column 'n' at row 1`, DuckDB's `Error when converting column "n"`.
var namePrefixes = []string{"column ", "function "}

// hideMySQLValues is the rule for MySQL and MariaDB: the quoted values of a data exception
// (`Incorrect integer value: '<value>' for column 'n' at row 1`, `Truncated incorrect DOUBLE
// value: '<value>'`), which a stored function the model calls fails with in strict mode, and of
// mySQLValueErrors; the column's and the function's names stay.
func hideMySQLValues(err error) error {
	var me *mysql.MySQLError
	if err == nil || !errors.As(err, &me) || string(me.SQLState[:2]) != "22" && !mySQLValueErrors[me.Number] ||
		me.Number == mySQLOutOfRangeIn {
		return err
	}
	return replaceMessage(err, me.Message, hideQuoted(me.Message, '\'', mySQLNamePrefixes))
}

// mySQLOutOfRangeIn is MySQL's and MariaDB's ER_DATA_OUT_OF_RANGE, a data exception (22003) that
// quotes the model's expression, not a value (`BIGINT value is out of range in '<expression>'`,
// the expression written with its columns' names, also those of a one-row table): it stays
// whole, to tell which expression to fix.
const mySQLOutOfRangeIn = 1690

// mySQLNamePrefixes are namePrefixes and MySQL's key: `for key 'group_key'`.
var mySQLNamePrefixes = slices.Concat(namePrefixes, []string{"key "})

// mySQLValueErrors are the errors that quote a value which MySQL or MariaDB give a SQLSTATE of
// another class than 22 (HY000, 23000): Oracle MySQL's 1366 `Incorrect integer value: '<value>'
// for column` (MariaDB's is 22007), 1411 `Incorrect datetime value: '<value>' for function
// str_to_date`, 1525 `Incorrect DATE value: '<value>'`, 1300 `Invalid utf8mb4 character string:
// '<value>'`, and 1062 `Duplicate entry '<value>' for key`, which a read only gets from the
// temporary table of its GROUP BY.
var mySQLValueErrors = map[uint16]bool{1062: true, 1300: true, 1366: true, 1411: true, 1525: true}

// duckNamePrefixes are namePrefixes and what DuckDB quotes of the SQL in a data exception: the
// type converted to (a CSV reader's `Could not convert string "<value>" to 'INTEGER'`, an enum's
// `to ENUM('happy')`), a CSV reader's null string (`nullstr = '<the option>'`).
var duckNamePrefixes = slices.Concat(namePrefixes, []string{"to ", "ENUM(", "nullstr = "})

// duckDataErrors start the text of DuckDB's data exceptions. DuckDB returns its errors as text
// (its C API's): they are known by their type's prefix. One Not implemented error is one too, known
// by its message's start: a time zone a column gives (timezone(tz, ts), AT TIME ZONE,
// make_timestamptz) that ICU does not know fails with `Unknown TimeZone '<value>'!` and the names
// of the zones nearest to it. Its others quote the model's SQL, not data, and say what to write
// instead (`Enum value: unrecognized value "FOO" for enum "OrderType"` and its candidates, of
// list_sort([...], 'FOO')): they stay.
var duckDataErrors = []string{"Conversion Error: ", "Invalid Input Error: ", "Out of Range Error: ", "Not implemented Error: Unknown TimeZone "}

// duckUnquotedValues are the values DuckDB names without quotes, each the second of three groups:
// `Type INT64 with value 99999999999 can't be cast`, `Overflow in multiplication of INT32
// (2147483647 * 2)!`, `Could not cast value 1000 to DECIMAL(4,2)`, `Date out of range:
// 2020-1-37` (make_date), `Interval value 200000000 years out of range`, `Invalid input for hex
// digit: l` (unhex), the part of a regular expression RE2 could not compile (`missing ): (<value>`,
// a pattern a column gives: a literal's is hidden too), and the JSON of a value its JSON
// functions and casts could not transform
// (`Object {"b":"<value>"} does not have key "a"`, `Expected OBJECT, but got ARRAY: [...]`,
// `Failed to cast value to numerical: <value>`).
var duckUnquotedValues = []*regexp.Regexp{
	regexp.MustCompile(`(Object )(.+?)( (?:has unknown key|does not have key|has duplicate key) |$)`),
	regexp.MustCompile(`(Expected [A-Za-z0-9_]+, but got [A-Za-z0-9_]+: )(.+)()`),
	regexp.MustCompile(`(Failed to cast value to [A-Za-z0-9_ ]+: )(.+)()`),
	regexp.MustCompile(`(with value )(.+?)( can't be cast)`),
	regexp.MustCompile(`(Overflow in [a-z]+ of [A-Za-z0-9_]+ \()(.*)(\)!)`),
	regexp.MustCompile(`(Could not cast value )(.+?)( to [A-Z])`),
	regexp.MustCompile(`(Date out of range: )(.+)()`),
	regexp.MustCompile(`(Interval value )(.+?)( out of range)`),
	regexp.MustCompile(`(Invalid input for hex digit: )(.+)()`),
	regexp.MustCompile(`(^(?:Invalid Input Error: )?(?:missing [\])]|unexpected \)|trailing \\|no argument for repetition operator|` +
		`invalid repetition size|bad repetition operator|invalid perl operator|invalid UTF-8|invalid named capture group|` +
		`invalid escape sequence|invalid character class(?: range)?): )(.+)()`),
}

// duckValueLine starts a line of a DuckDB data exception that is a value of the data: a CSV
// reader's "Original Line: 2,alice@example.com".
const duckValueLine = "Original Line: "

// duckCSVReasons start the line after a CSV reader's original line, which says what is wrong
// with it (DuckDB's CSVError).
var duckCSVReasons = []string{"Error when converting column ", "Expected Number of Columns: ", "Value with unterminated quote",
	"Invalid unicode", "Maximum line size of ", "The CSV Parser state machine", "The parallel scanner"}

// hideDuckDBValues is the rule for DuckDB: the values of a data exception, quoted (`Could not
// convert string '<value>' to INT32`, `invalid date field format: "<value>"`, `Input:
// "<value>"`) or not (`with value <value> can't be cast`), a CSV reader's original line, and the
// line a caret points into (a strptime's value); its other lines (what it expected, a CSV
// reader's column, file and options) stay, as does the LINE context, which quotes the model's SQL.
// A connection whose init_sql sets errors_as_json gets its errors as JSON
// ({"exception_type":"Conversion","exception_message":"..."}): the same goes for its message.
func hideDuckDBValues(err error) error {
	if err == nil {
		return err
	}
	text := err.Error()
	if i := strings.Index(text, duckJSONError); i >= 0 {
		if hidden, ok := hideDuckDBJSON(text[i:]); ok {
			return &textHidden{text: text[:i] + hidden, err: err}
		}
		return err
	}
	start := -1
	for _, p := range duckDataErrors {
		if i := strings.Index(text, p); i >= 0 && (start < 0 || i < start) {
			start = i
		}
	}
	if start < 0 {
		return err
	}
	end := len(text)
	if e := strings.Index(text[start:], "\nLINE "); e >= 0 {
		end = start + e
	}
	msg := hideDuckDBMessage(text[start:end])
	if msg == text[start:end] {
		return err
	}
	return &textHidden{text: text[:start] + msg + text[end:], err: err}
}

// duckJSONError starts the JSON of a DuckDB error under errors_as_json.
const duckJSONError = `{"exception_type":"`

// hideDuckDBJSON returns text, which starts with the JSON of a DuckDB error, with the values of
// its exception_message hidden when its exception_type and message start as a data exception's
// (duckDataErrors), its other fields as they are; ok is whether anything was hidden.
func hideDuckDBJSON(text string) (hidden string, ok bool) {
	dec := json.NewDecoder(strings.NewReader(text))
	if t, err := dec.Token(); err != nil || t != json.Delim('{') {
		return text, false
	}
	var typ, msg string
	var from, to int // text[from:to] is exception_message's JSON string
	for dec.More() {
		t, err := dec.Token()
		if err != nil {
			return text, false
		}
		var raw json.RawMessage
		if dec.Decode(&raw) != nil {
			return text, false
		}
		switch t {
		case "exception_type":
			_ = json.Unmarshal(raw, &typ)
		case "exception_message":
			to = int(dec.InputOffset())
			from = to - len(raw)
			if json.Unmarshal(raw, &msg) != nil {
				return text, false
			}
		}
	}
	if full := typ + " Error: " + msg; to == 0 || !slices.ContainsFunc(duckDataErrors, func(p string) bool { return strings.HasPrefix(full, p) }) {
		return text, false
	}
	h := hideDuckDBMessage(msg)
	if h == msg {
		return text, false
	}
	var b strings.Builder
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if enc.Encode(h) != nil {
		return text, false
	}
	return text[:from] + strings.TrimSuffix(b.String(), "\n") + text[to:], true
}

// hideDuckDBMessage returns msg, the message of a DuckDB data exception without its LINE
// context, with its values hidden (hideDuckDBValues).
func hideDuckDBMessage(msg string) string {
	lines := strings.Split(msg, "\n")
	out := lines[:0:0]
	for i := 0; i < len(lines); i++ {
		l := lines[i]
		switch {
		case i+1 < len(lines) && strings.Contains(lines[i+1], "^") && strings.Trim(lines[i+1], " ^") == "":
			l, i = valueHidden, i+1 // the caret line under it goes too
		case strings.HasPrefix(l, duckValueLine):
			// The row runs to the line that says what is wrong with it: DuckDB 1.4 and later
			// start it on the next line, and a quoted field's line break (a CRLF file's row
			// too) spans it over several. The row's own lines may read as such a line
			// ("Error when converting column x"), so it is the last of them; a conversion's
			// reason quotes the value after it, up to the last `" to '` (its type). None such:
			// the rest of the message.
			l = duckValueLine + valueHidden
			rest := strings.Join(lines[i+1:], "\n")
			at := -1
			for _, p := range duckCSVReasons {
				at = max(at, strings.LastIndex("\n"+rest, "\n"+p))
			}
			var tail string
			if to := strings.LastIndex(rest, `" to '`); to > at {
				tail = `Could not convert string "` + valueHidden + rest[to:]
			} else if at >= 0 {
				tail = rest[at:]
			}
			lines = append(lines[:i+1:i+1], strings.Split(tail, "\n")...)
			if tail == "" {
				lines = lines[:i+1]
			}
		default:
			// A value holding a line break (a CSV field's, "Could not convert string "a
			// b" to 'INTEGER'") leaves a quote open at the end of its line: its lines are
			// hidden as one.
			for i+1 < len(lines) && (strings.Count(l, `"`)%2 == 1 || strings.Count(l, "'")%2 == 1) {
				i++
				l += "\n" + lines[i]
			}
			for _, re := range duckUnquotedValues { // first: what they hide may hold quotes
				l = re.ReplaceAllString(l, "${1}"+valueHidden+"${3}")
			}
			l = hideQuoted(hideQuoted(l, '\'', duckNamePrefixes), '"', duckNamePrefixes)
		}
		out = append(out, l)
	}
	return strings.Join(out, "\n")
}

// replaceMessage returns err with message, where its text has it, in place of the warehouse's
// original one; where it has not (a wrapper that reworded it), every quoted value of its text
// gives way.
func replaceMessage(err error, original, message string) error {
	if message == original {
		return err
	}
	text := err.Error()
	if i := strings.LastIndex(text, original); i >= 0 {
		text = text[:i] + message + text[i+len(original):]
	} else {
		text = hideQuoted(hideQuoted(text, '"', nil), '\'', nil)
	}
	return &textHidden{text: text, err: err}
}

// hideQuoted returns msg with each value it quotes with quote given way to valueHidden, and the
// text between the values as it is; a value after one of keep ("column ") is a name and stays.
// Warehouses quote a value without escaping the quotes in it, so a quote opens a value where it
// starts a word (after the start, a space, '(', ':' or '='), and closes it where it ends one
// (before the end, a space or punctuation): the value runs to the last such closing quote before
// the next quote that opens another (`invalid value "<value>" for "YYYY"`), and a quote that
// opens one and is never closed (a message cut short) runs to the end. A value after ": " is
// the last thing of its message but for a name (`integer: "<value>"`, `value: '<value>' for
// column 'n' at row 1`): it runs to the message's last quote, or to the last quote before
// " for " and a name, whatever quotes and spaces it holds.
func hideQuoted(msg string, quote byte, keep []string) string {
	opens := func(i int) bool { return i == 0 || strings.IndexByte(" (:=,\n", msg[i-1]) >= 0 }
	closes := func(i int) bool { return i == len(msg)-1 || strings.IndexByte(" ,.;:)!]\r\n", msg[i+1]) >= 0 }
	var b strings.Builder
	last := 0 // msg[:last] is written
	for i := 0; i < len(msg); i++ {
		if msg[i] != quote || !opens(i) {
			continue
		}
		end := -1
		for j := i + 1; j < len(msg); j++ {
			if msg[j] != quote {
				continue
			}
			if closes(j) {
				end = j
			} else if end >= 0 && opens(j) {
				break
			}
		}
		if strings.HasSuffix(msg[:i], ": ") {
			last := -1
			for _, k := range keep {
				last = max(last, strings.LastIndex(msg, string(quote)+" for "+k))
			}
			if last < 0 && msg[len(msg)-1] == quote {
				last = len(msg) - 1
			}
			if last > i {
				end = last
			}
		}
		kept := false
		for _, k := range keep {
			kept = kept || strings.HasSuffix(msg[:i], k)
		}
		if end < 0 {
			end = len(msg)
		}
		if !kept {
			b.WriteString(msg[last : i+1])
			b.WriteString(valueHidden)
			last = end
		}
		i = end
	}
	b.WriteString(msg[last:])
	return b.String()
}
