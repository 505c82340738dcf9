package schedule

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// cronField is one of the five fields of a cron expression, with the values it takes.
type cronField struct {
	name     string // "minute"
	min, max uint   // the values robfig/cron accepts
	top      uint   // the largest value written: max, or 7 for Sunday in the day-of-week field
	wildcard bool   // "?" is allowed (as robfig/cron and Quartz allow it: in the day fields only)
	names    map[string]uint
}

var cronFields = [5]cronField{
	{name: "minute", min: 0, max: 59, top: 59},
	{name: "hour", min: 0, max: 23, top: 23},
	{name: "day-of-month", min: 1, max: 31, top: 31, wildcard: true},
	{name: "month", min: 1, max: 12, top: 12, names: map[string]uint{
		"jan": 1, "feb": 2, "mar": 3, "apr": 4, "may": 5, "jun": 6,
		"jul": 7, "aug": 8, "sep": 9, "oct": 10, "nov": 11, "dec": 12}},
	// Day 7 is Sunday, as 0 is: standard (Vixie) cron accepts both. robfig/cron accepts 0-6
	// only, so checkCronFields rewrites a 7 to 0.
	{name: "day-of-week", min: 0, max: 6, top: 7, wildcard: true, names: map[string]uint{
		"sun": 0, "mon": 1, "tue": 2, "wed": 3, "thu": 4, "fri": 5, "sat": 6}},
}

// checkCronFields checks a five-field expression field by field, refusing what robfig/cron
// would accept with a meaning nobody writes (a step longer than the field, so only its first
// value; "*-5", which is "*"; "1,,2"; "+5"; "?" in the minute, hour or month), and returns the
// expression for robfig/cron: the same, with day-of-week 7 written 0.
func checkCronFields(e string) (string, error) {
	fields := strings.Fields(e)
	if len(fields) != len(cronFields) {
		return "", fmt.Errorf("expected 5 fields (minute hour day-of-month month day-of-week), found %d", len(fields))
	}
	for i, f := range cronFields {
		out, err := f.check(fields[i])
		if err != nil {
			return "", fmt.Errorf("the %s field %q: %w", f.name, fields[i], err)
		}
		fields[i] = out
	}
	return strings.Join(fields, " "), nil
}

// check checks one field, a comma-separated list, and returns it for robfig/cron.
func (f cronField) check(field string) (string, error) {
	items := strings.Split(field, ",")
	for i, item := range items {
		out, err := f.item(item)
		if err != nil {
			if len(items) > 1 {
				return "", fmt.Errorf("%q: %w", item, err)
			}
			return "", err
		}
		items[i] = out
	}
	return strings.Join(items, ","), nil
}

// item checks one item of a list: *, ?, a value or a range, each optionally with /step.
func (f cronField) item(item string) (string, error) {
	if item == "" {
		return "", fmt.Errorf("an empty item in a list: write values separated by single commas, e.g. 1,15")
	}
	base, stepText, stepped := strings.Cut(item, "/")
	var start, end uint
	switch base {
	case "*":
		start, end = f.min, f.max
	case "?":
		if !f.wildcard {
			return "", fmt.Errorf("? is for the day-of-month and day-of-week fields only: write * instead")
		}
		start, end = f.min, f.max
	default:
		lo, hi, isRange := strings.Cut(base, "-")
		var err error
		if start, err = f.value(lo); err != nil {
			return "", err
		}
		end = start
		if isRange {
			if end, err = f.value(hi); err != nil {
				return "", err
			}
			if start > end {
				return "", fmt.Errorf("the range %d-%d runs backwards: write it low-high, e.g. %s for one that wraps around",
					start, end, f.wrapped(start, end))
			}
		} else if stepped {
			// "N/step" means N to the end of the field, as in robfig/cron (for day-of-week, to 6).
			end = max(f.max, start)
		}
	}
	if !stepped {
		return f.robfig(item, start, end, 1)
	}
	step, err := digits(stepText)
	if err != nil {
		return "", fmt.Errorf("the step %q is not a whole number: write e.g. */15", stepText)
	}
	if step == 0 {
		return "", fmt.Errorf("a step of 0 never advances: write a step of 1 or more, e.g. */5")
	}
	if size := f.max - f.min + 1; step > size {
		return "", fmt.Errorf("a step of %d is longer than the %d values of the field (%d-%d), so it would only ever mean %d: write %d, or a step of at most %d",
			step, size, f.min, f.max, start, start, size)
	}
	return f.robfig(item, start, end, step)
}

// robfig returns the item as robfig/cron reads it: unchanged unless it holds day-of-week 7
// (Sunday), which robfig/cron refuses: then its days, with 0 for 7.
func (f cronField) robfig(item string, start, end, step uint) (string, error) {
	if end <= f.max {
		return item, nil
	}
	var days []string
	for v := start; v <= end; v += step {
		d := strconv.FormatUint(uint64(v%(f.max+1)), 10)
		if !slices.Contains(days, d) {
			days = append(days, d)
		}
	}
	return strings.Join(days, ","), nil
}

// value parses one value: digits or, in the month and day-of-week fields, a name such as JAN or MON.
func (f cronField) value(s string) (uint, error) {
	if v, ok := f.names[strings.ToLower(s)]; ok {
		return v, nil
	}
	v, err := digits(s)
	if err != nil {
		if f.names != nil {
			return 0, fmt.Errorf("%q is neither a number nor a name such as %s", s, f.example())
		}
		return 0, fmt.Errorf("%q is not a number", s)
	}
	if v < f.min || v > f.top {
		return 0, fmt.Errorf("%d is outside %d-%d", v, f.min, f.top)
	}
	return v, nil
}

func (f cronField) example() string {
	if f.name == "month" {
		return "JAN"
	}
	return "MON"
}

// wrapped is a list for the range start-end that runs backwards past the end of the field.
func (f cronField) wrapped(start, end uint) string {
	part := func(a, b uint) string {
		if a == b {
			return strconv.FormatUint(uint64(a), 10)
		}
		return fmt.Sprintf("%d-%d", a, b)
	}
	if start > f.max { // day-of-week 7-1: Sunday is 0
		return part(f.min, end)
	}
	return part(start, f.max) + "," + part(f.min, end)
}

// digits parses a non-empty string of ASCII digits (no sign, no space).
func digits(s string) (uint, error) {
	if s == "" || strings.TrimLeft(s, "0123456789") != "" {
		return 0, fmt.Errorf("not digits: %q", s)
	}
	v, err := strconv.ParseUint(s, 10, 16)
	if err != nil {
		return 0, err
	}
	return uint(v), nil
}
