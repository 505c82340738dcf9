// Package schedule is the one home of a sync's schedule: it parses `every` and `cron` (for the
// provider's plan-time checks and the runner alike) and computes when a sync is next due.
package schedule

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/robfig/cron/v3"
)

// MinEvery is the shortest `every` schedule: the runner polls on the order of seconds and a
// shorter interval would only queue runs behind each other.
const MinEvery = time.Minute

// cronParser is the standard five-field parser (minute hour day-of-month month day-of-week),
// plus descriptors such as @hourly. Schedules run in UTC.
var cronParser = cron.NewParser(cron.Minute | cron.Hour | cron.Dom | cron.Month | cron.Dow | cron.Descriptor)

// ParseCron parses a five-field cron expression evaluated in UTC. Day-of-week 7 is Sunday, and the
// days it runs on are those Linux cron runs it on (linuxDays). It refuses `@every`, which the
// descriptor syntax would accept with any interval (bypassing MinEvery), schedules that never fire, such as "0 0 31 2 *", and fields robfig/cron
// would read as something else than written (checkCronFields), such as the step of "*/61".
func ParseCron(expr string) (cron.Schedule, error) {
	e := strings.TrimSpace(expr)
	if strings.HasPrefix(e, "TZ=") || strings.HasPrefix(e, "CRON_TZ=") {
		return nil, errors.New("a time zone prefix is not supported: cron schedules run in UTC")
	}
	if e == "" {
		return nil, errors.New("the cron expression is empty")
	}
	if strings.HasPrefix(strings.ToLower(e), "@every") {
		return nil, fmt.Errorf("@every is not supported in cron: use schedule.every instead (at least %s)", MinEvery)
	}
	var written []string // the fields as written, before checkCronFields rewrites them for robfig/cron
	if !strings.HasPrefix(e, "@") {
		written = strings.Fields(e)
		var err error
		if e, err = checkCronFields(e); err != nil {
			return nil, err
		}
	}
	s, err := cronParser.Parse(e)
	if err != nil {
		return nil, err
	}
	spec, ok := s.(*cron.SpecSchedule)
	if !ok {
		return nil, fmt.Errorf("%q is not a schedule of fields", expr) // robfig/cron parses none other
	}
	if written != nil {
		linuxDays(spec, written[2], written[4])
	}
	s = farSchedule{spec}
	if s.Next(time.Now().UTC()).IsZero() {
		if written != nil && dayFieldsLimitEachOther(written[2], written[4]) {
			// A schedule that ran before 6 Dec 2026 (robfig/cron read "0 0 31 2 */2" as either).
			return nil, fmt.Errorf("the schedule never fires: a day field that starts with * (here %q) limits the other "+
				"(%q), as in Linux cron, so a day must match both, and none does; to run on the days either matches, "+
				"write the * field as a range (e.g. 1-31/2 for */2 of the day of month, 0-6/2 of the day of week)",
				starred(written[2], written[4]), unstarred(written[2], written[4]))
		}
		return nil, errors.New("the schedule never fires: no date matches it (e.g. the 31st of a month that has 30 days or fewer)")
	}
	return s, nil
}

// farSchedule is a schedule whose Next looks as far ahead as the calendar repeats: robfig/cron's
// looks 5 years ahead, and answers zero (no slot) for a slot further: 29 February after 2096
// (2100 is no leap year), or 1 February when it is a Wednesday (0 0 */29 2 WED), 11 years apart.
type farSchedule struct{ *cron.SpecSchedule }

// calendarYears is how long the Gregorian calendar takes to repeat: a schedule with no slot
// within them has none.
const calendarYears = 400

// Next is the first slot after t, zero if there is none.
func (s farSchedule) Next(t time.Time) time.Time {
	for from := t; from.Year() <= t.Year()+calendarYears; {
		if next := s.SpecSchedule.Next(from); !next.IsZero() {
			return next
		}
		// robfig/cron looked through the end of the 5th year after from's: go on from the next
		// year's first instant (Next starts at the second after the time it is given).
		from = time.Date(from.Year()+6, 1, 1, 0, 0, 0, 0, from.Location()).Add(-time.Nanosecond)
	}
	return time.Time{}
}

// starBit marks a day field of a cron.SpecSchedule as unrestricted: robfig/cron's own (unexported)
// flag, which only its day matching reads.
const starBit = 1 << 63

// linuxDays makes spec, parsed from a five-field expression whose day-of-month and day-of-week
// fields were written dom and dow, pick its days as Vixie cron and cronie (the cron of Linux
// distributions, which crontab.guru explains) do: when both fields are restricted a day matches
// either, but a field whose first character is * (here, or ?) counts as unrestricted, and then
// a day must match both. robfig/cron counts a * with a step (*/2) as restricted, and a list
// with a * anywhere (10,*) as not: "0 0 */2 * MON" ran on every odd day and every Monday, where Linux cron
// runs on the odd days that are Mondays.
func linuxDays(spec *cron.SpecSchedule, dom, dow string) {
	star := func(bits uint64, field string) uint64 {
		if isStar(field) {
			return bits | starBit
		}
		return bits &^ starBit
	}
	spec.Dom, spec.Dow = star(spec.Dom, dom), star(spec.Dow, dow)
}

// dayFieldsLimitEachOther reports whether exactly one of the day fields dom and dow, as written,
// starts with * or ? (linuxDays) without being just that (*/2, not *), and the other is
// restricted: a day then runs when both match, where it ran when either did before 6 Dec 2026.
func dayFieldsLimitEachOther(dom, dow string) bool {
	s := starred(dom, dow)
	return isStar(dom) != isStar(dow) && s != "*" && s != "?"
}

func isStar(field string) bool { return strings.HasPrefix(field, "*") || strings.HasPrefix(field, "?") }

func starred(dom, dow string) string {
	if isStar(dom) {
		return dom
	}
	return dow
}

func unstarred(dom, dow string) string {
	if isStar(dom) {
		return dow
	}
	return dom
}

// ParseEvery parses an `every` schedule: a Go duration of at least MinEvery.
func ParseEvery(s string) (time.Duration, error) {
	d, err := time.ParseDuration(s)
	if err != nil {
		return 0, fmt.Errorf("%q is not a duration such as 15m, 1h or 1h30m: %w", s, err)
	}
	if d < MinEvery {
		return 0, fmt.Errorf("%q is shorter than the minimum of %s", s, MinEvery)
	}
	return d, nil
}

// NextDue is when a sync with schedule every or cron (at most one set) is due: the first slot of
// its schedule after base (the slot its last scheduled run served, or the start of a run started
// by hand; zero when it never ran: it is due from its creation). A sync that fell behind (its
// runner was down) is due at its latest slot not after now, once: missed slots are not run one
// after the other. Slots are in UTC. ok is false for a sync without a schedule.
func NextDue(every, cronExpr string, created, base, now time.Time) (due time.Time, ok bool, err error) {
	switch {
	case every != "":
		d, err := ParseEvery(every)
		if err != nil {
			return time.Time{}, false, fmt.Errorf("schedule every: %w", err)
		}
		if base.IsZero() {
			return created.UTC(), true, nil
		}
		due = base.Add(d)
		if behind := now.Sub(due); behind >= d {
			due = due.Add(behind / d * d)
		}
		return due.UTC(), true, nil
	case cronExpr != "":
		s, err := ParseCron(cronExpr)
		if err != nil {
			return time.Time{}, false, fmt.Errorf("schedule cron %q: %w", cronExpr, err)
		}
		if base.IsZero() {
			base = created
		}
		due = s.Next(base.UTC())
		if due.IsZero() {
			// A zero slot is none found (ParseCron refuses a schedule without one), not one due now.
			return time.Time{}, false, fmt.Errorf("schedule cron %q: no slot after %s",
				cronExpr, base.UTC().Format(time.RFC3339))
		}
		if due.After(now) {
			return due, true, nil
		}
		return latestSlot(s, due, now.UTC()), true, nil
	}
	return time.Time{}, false, nil
}

// latestSlot is the latest slot of s not after now, given slot, one not after now. It bisects
// the time between them (about 40 steps whatever the distance), so a sync months behind costs
// no more than one a slot behind, and the answer is a slot: the same at every poll and on every
// replica until the next slot. (Walking slot by slot was bounded at 100000 slots, 69 days of a
// minutely cron, and answered now beyond: a due time that changed at every poll, so every poll
// queued another run.)
func latestSlot(s cron.Schedule, slot, now time.Time) time.Time {
	// Invariants: lo's next slot is not after now; there is no slot in (hi, now].
	lo, hi := slot, now
	if n := s.Next(lo); n.IsZero() || n.After(now) {
		return lo
	}
	for {
		next := s.Next(lo)
		if n := s.Next(next); n.IsZero() || n.After(now) {
			return next
		}
		mid := lo.Add(hi.Sub(lo) / 2)
		if n := s.Next(mid); !n.IsZero() && !n.After(now) {
			lo = mid
		} else {
			hi = mid
		}
	}
}
