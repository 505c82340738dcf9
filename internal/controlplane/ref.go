package controlplane

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"
)

// A reference (NAME|ID) names a connection, model, sync or notification: what terraform import
// takes, the runner's commands take (sync NAME|ID, trigger, runs, ...) and the runner's API takes
// in its paths. Its rules live here, in resolveRef, behind the Lookup methods:
//
//   - `id:N` is the row with id N;
//   - `name:TEXT` is the row named TEXT exactly (a name that itself begins with id: or name: is
//     named this way);
//   - anything else is the row with that name or, when it is all digits, with that id. An
//     all-digit reference that is the id of one row and the name of another is refused
//     (ErrAmbiguousRef), saying how to pick each: taking the id would act on the other row.

// Errors of a reference that names no row, besides ErrNotFound.
var (
	// ErrBadRef: `id:` followed by something that is not an id.
	ErrBadRef = errors.New("not a valid reference")
	// ErrAmbiguousRef: all digits, the id of one row and the name of another.
	ErrAmbiguousRef = errors.New("ambiguous reference")
)

// ParseRef tells whether ref is a numeric id; otherwise it is a name.
func ParseRef(ref string) (id int64, isID bool) {
	id, err := strconv.ParseInt(ref, 10, 64)
	return id, err == nil && id > 0
}

// refError is a reference's error: its message says it all, and errors.Is matches is
// (ErrNotFound, ErrBadRef or ErrAmbiguousRef).
type refError struct {
	msg string
	is  error
}

func (e *refError) Error() string { return e.msg }
func (e *refError) Unwrap() error { return e.is }

// resolveRef reads the row ref names, by the rules above; kind is the row's noun in messages
// ("sync"), id and name read a row's.
func resolveRef[T any](ctx context.Context, kind, ref string,
	byID func(context.Context, int64) (T, error), byName func(context.Context, string) (T, error),
	id func(T) int64, name func(T) string) (row T, err error) {
	// A name Postgres cannot hold (bytes that are not UTF-8, a NUL: a path's %ff or %00, an
	// argument in another encoding) names no row: it is not found, not a query the control
	// plane refuses (which the API answered as 503 and the commands as Postgres's error).
	readByName := byName
	byName = func(ctx context.Context, s string) (T, error) {
		if !TextHolds(s) {
			var zero T
			return zero, ErrNotFound
		}
		return readByName(ctx, s)
	}
	notFound := func(err error, format string, args ...any) (T, error) {
		if errors.Is(err, ErrNotFound) {
			return row, &refError{msg: fmt.Sprintf(format, args...), is: ErrNotFound}
		}
		return row, err
	}
	if s, ok := strings.CutPrefix(ref, "id:"); ok {
		n, isID := ParseRef(s)
		if !isID {
			return row, &refError{is: ErrBadRef, msg: fmt.Sprintf("%q: id: is followed by a %s's id, a number above 0 "+
				"(name:%s names the %s whose name is %q)", ref, kind, ref, kind, ref)}
		}
		row, err = byID(ctx, n)
		if err != nil {
			return notFound(err, "no %s has the id %d", kind, n)
		}
		return row, nil
	}
	if s, ok := strings.CutPrefix(ref, "name:"); ok {
		row, err = byName(ctx, s)
		if err != nil {
			return notFound(err, "no %s has the name %q", kind, s)
		}
		return row, nil
	}
	if n, isID := ParseRef(ref); isID {
		row, err = byID(ctx, n)
		if err == nil {
			named, nerr := byName(ctx, ref)
			switch {
			case nerr == nil && id(named) != n:
				var zero T
				return zero, &refError{is: ErrAmbiguousRef, msg: fmt.Sprintf("%q is both the id of the %s %q and the name "+
					"of the %s with id %d: say which, with id:%d or name:%s", ref, kind, name(row), kind, id(named), n, ref)}
			case nerr != nil && !errors.Is(nerr, ErrNotFound):
				var zero T
				return zero, nerr
			}
			return row, nil
		}
		if !errors.Is(err, ErrNotFound) {
			return row, err
		}
	}
	row, err = byName(ctx, ref)
	if err != nil {
		return notFound(err, "no %s has the id or name %q", kind, ref)
	}
	return row, nil
}

// TextHolds reports whether the control plane's text can hold s: UTF-8 without a NUL. A name
// or key that it cannot hold is no row's (Postgres refuses it as a query's argument, SQLSTATE
// 22021): a lookup of one answers not found without asking.
func TextHolds(s string) bool {
	return utf8.ValidString(s) && !strings.ContainsRune(s, 0)
}

// LookupConnection reads the connection ref names (see resolveRef).
func (s *Store) LookupConnection(ctx context.Context, ref string) (*Connection, error) {
	return resolveRef(ctx, "connection", ref, s.GetConnection, s.GetConnectionByName,
		func(c *Connection) int64 { return c.ID }, func(c *Connection) string { return c.Name })
}

// LookupModel reads the model ref names (see resolveRef).
func (s *Store) LookupModel(ctx context.Context, ref string) (*Model, error) {
	return resolveRef(ctx, "model", ref, s.GetModel, s.GetModelByName,
		func(m *Model) int64 { return m.ID }, func(m *Model) string { return m.Name })
}

// LookupSync reads the sync ref names (see resolveRef).
func (s *Store) LookupSync(ctx context.Context, ref string) (*Sync, error) {
	return resolveRef(ctx, "sync", ref, s.GetSync, s.GetSyncByName,
		func(y *Sync) int64 { return y.ID }, func(y *Sync) string { return y.Name })
}

// LookupNotification reads the notification ref names (see resolveRef).
func (s *Store) LookupNotification(ctx context.Context, ref string) (*Notification, error) {
	return resolveRef(ctx, "notification", ref, s.GetNotification, s.GetNotificationByName,
		func(n *Notification) int64 { return n.ID }, func(n *Notification) string { return n.Name })
}
