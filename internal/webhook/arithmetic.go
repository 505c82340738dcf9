package webhook

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"math/big"
	"reflect"
	"regexp"
	"strconv"
	"strings"
)

// Liquid's arithmetic filters (plus, minus, times, divided_by, modulo, abs, ceil, floor, round),
// exact, as Shopify's Liquid computes them: the Liquid library Backflow uses does all of them in
// float64 and prints a float64 as Go's fmt does, so {{ record.count | plus: 1 }} sent
// "1.500001e+06" for 1500000, {{ record.signed_up_at | unix | times: 1000 }} "1.709243999e+12",
// an integer past 2⁵³ lost its last digits, and divided_by, ceil and floor of a number past
// 2⁶³ gave another number, of either sign.
//
// Here, as in Shopify's Liquid, integers (a record's, a template's, a text of digits) stay
// integers, of any size, and divided_by and modulo of two integers floor (-7 | divided_by: 2 is
// -4, -7 | modulo: 2 is 1); a decimal (a record's numeric or float, as its exact text, a
// template's 0.1) is computed exactly as written, and its result is the nearest float64 (0.1 |
// plus: 0.2 is 0.3, 19.99 | times: 100 is 1999). A result prints in full, never with an
// exponent, and is a number in a condition ({% if n > 100 %}) but for an integer past 2⁶³,
// which keeps its exact text as a record's does.

// maxNumberDigits bounds the digits of an arithmetic filter's operands and integer results, so
// that a template that multiplies a number by itself in a loop stops with an error instead of
// taking the runner's memory, and an operation costs about what a step of the render's budget
// does (tens of microseconds at this bound): more than any number a warehouse sends in practice
// (a float64 has at most 309 digits before its point, a numeric(1000) column 1,000).
const maxNumberDigits = 1000

// liquidFloat is a decimal result: Liquid compares it as a number (its kind is float64's), and it
// prints as its shortest text, without an exponent.
type liquidFloat float64

func (f liquidFloat) String() string { return strconv.FormatFloat(float64(f), 'f', -1, 64) }

func (f liquidFloat) MarshalJSON() ([]byte, error) { return []byte(f.String()), nil }

// decimalText matches a text that is a number as written by a person (Shopify's Liquid reads a
// string as a number this way too): digits, with a sign and a fractional part.
var decimalText = regexp.MustCompile(`^[-+]?[0-9]+(\.[0-9]+)?$`)

// exactNumber is v as an exact number for the arithmetic filters, and whether it is an integer.
// nil is 0, as in Shopify's Liquid. A text that is not a number, a boolean, a date, a list, are
// errors, as in the Liquid library.
func exactNumber(v any) (*big.Rat, bool, error) {
	fromFloat := func(f float64, bits int) (*big.Rat, bool, error) {
		if math.IsNaN(f) || math.IsInf(f, 0) {
			return nil, false, fmt.Errorf("%v is not a number it can compute with", f)
		}
		// As the template or the warehouse wrote it: 0.1 is 1/10, not float64's nearest to it.
		r, _ := new(big.Rat).SetString(strconv.FormatFloat(f, 'f', -1, bits))
		return r, false, nil
	}
	fromText := func(s string) (*big.Rat, bool, error) {
		if len(s) > maxNumberDigits+2 { // a sign and a point
			return nil, false, fmt.Errorf("%.20s… has more than the %d digits a template may compute with", s, maxNumberDigits)
		}
		if decimalText.MatchString(s) {
			r, ok := new(big.Rat).SetString(s)
			if ok {
				return r, !strings.Contains(s, "."), nil
			}
		}
		// An exponent (a float column's 1e+30) is read as a float64, which bounds it.
		f, err := strconv.ParseFloat(s, 64)
		if err != nil && math.IsInf(f, 0) {
			return nil, false, fmt.Errorf("%q is too large to compute with (a number with an exponent is read as a float64, of at most about 1.8e308)", truncate(s, 64))
		}
		if err != nil {
			return nil, false, fmt.Errorf("%q is not a number", truncate(s, 64))
		}
		return fromFloat(f, 64)
	}
	switch v := v.(type) {
	case nil:
		return new(big.Rat), true, nil
	case anyValue: // a plan-time sample's JSON value, any number among others
		return big.NewRat(1, 1), true, nil
	case liquidFloat:
		return fromFloat(float64(v), 64)
	case json.Number:
		return fromText(string(v))
	case string:
		return fromText(strings.TrimSpace(v))
	case float32:
		return fromFloat(float64(v), 32)
	case float64:
		return fromFloat(v, 64)
	}
	rv := reflect.ValueOf(v)
	switch rv.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return new(big.Rat).SetInt64(rv.Int()), true, nil
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		return new(big.Rat).SetInt(new(big.Int).SetUint64(rv.Uint())), true, nil
	}
	return nil, false, fmt.Errorf("%s is not a number", truncate(textOf(v), 64))
}

// numberResult is r as a filter's result: for integers (integer), an int when it fits one, else
// its exact text (json.Number, as a record's integer past 2⁶³ is); else the float64 nearest to r,
// as Shopify's Liquid gives a decimal's result (a liquidFloat, which prints it in full).
func numberResult(r *big.Rat, integer bool) (any, error) {
	if integer && r.IsInt() {
		n := r.Num()
		if n.IsInt64() && n.Int64() >= math.MinInt && n.Int64() <= math.MaxInt {
			return int(n.Int64()), nil
		}
		s := n.String()
		if len(strings.TrimPrefix(s, "-")) > maxNumberDigits {
			return nil, fmt.Errorf("its result has %d digits, more than the %d a template may compute with",
				len(strings.TrimPrefix(s, "-")), maxNumberDigits)
		}
		return json.Number(s), nil
	}
	f, _ := r.Float64()
	if math.IsInf(f, 0) {
		return nil, errors.New("its result is too large for a number")
	}
	return liquidFloat(f), nil
}

// decimalPlaces is how many digits after the point a number whose denominator (in lowest terms)
// is d takes to be written exactly; false when no decimal holds it (d has a prime factor but 2
// and 5).
func decimalPlaces(d *big.Int) (int, bool) {
	n := new(big.Int).Set(d)
	two, five := big.NewInt(2), big.NewInt(5)
	var twos, fives int
	m := new(big.Int)
	for n.Cmp(big.NewInt(1)) != 0 {
		if m.Mod(n, two).Sign() == 0 {
			n.Quo(n, two)
			twos++
		} else if m.Mod(n, five).Sign() == 0 {
			n.Quo(n, five)
			fives++
		} else {
			return 0, false
		}
	}
	return max(twos, fives), true
}

var errDivisionByZero = errors.New("division by zero")

// sampleNumber is exactNumber for a plan-time check, where a text column's value is a sample
// text (sampleTexts) that stands for any text the column may hold, numbers among them: a text
// column that holds digits (an id, a zip code, a quantity read from a file) is made a number with
// {{ record.code | plus: 0 }}, as the docs advise, and its sample "sample code" failed there, so
// the plan refused a template that every record renders. It is 1, as an anyValue is.
func sampleNumber(samples sampleTexts) func(v any) (*big.Rat, bool, error) {
	return func(v any) (*big.Rat, bool, error) {
		if samples.kind(v)&sampleOfNumber != 0 || samples.mayBe(v, sampleOfNumber, numberForms, false) {
			return big.NewRat(1, 1), true, nil
		}
		return exactNumber(v)
	}
}

// arithmeticFilters are the arithmetic filters, by name, each taking its input and an operand
// (round: its places, optional). Strict ones (samples not nil) are the plan-time checks'
// (newEngine): they read a sample record's text as a number (sampleNumber).
func arithmeticFilters(samples sampleTexts) map[string]any {
	number := exactNumber
	if samples != nil {
		number = sampleNumber(samples)
	}
	binary := func(op func(a, b *big.Rat, integers bool) (*big.Rat, error)) func(a, b any) (any, error) {
		return func(a, b any) (any, error) {
			x, xi, err := number(a)
			if err != nil {
				return nil, err
			}
			y, yi, err := number(b)
			if err != nil {
				return nil, err
			}
			r, err := op(x, y, xi && yi)
			if err != nil {
				return nil, err
			}
			return numberResult(r, xi && yi)
		}
	}
	floorQuo := func(a, b *big.Rat) *big.Int { // ⌊a/b⌋, b ≠ 0
		q := new(big.Rat).Quo(a, b)
		// Euclidean division floors, the denominator being positive.
		z, _ := new(big.Int).DivMod(q.Num(), q.Denom(), new(big.Int))
		return z
	}
	unary := func(op func(x *big.Rat) *big.Rat, toInteger bool) func(a any) (any, error) {
		return func(a any) (any, error) {
			x, xi, err := number(a)
			if err != nil {
				return nil, err
			}
			return numberResult(op(x), xi || toInteger)
		}
	}
	return map[string]any{
		"plus":  binary(func(a, b *big.Rat, _ bool) (*big.Rat, error) { return new(big.Rat).Add(a, b), nil }),
		"minus": binary(func(a, b *big.Rat, _ bool) (*big.Rat, error) { return new(big.Rat).Sub(a, b), nil }),
		"times": binary(func(a, b *big.Rat, _ bool) (*big.Rat, error) { return new(big.Rat).Mul(a, b), nil }),
		"divided_by": binary(func(a, b *big.Rat, integers bool) (*big.Rat, error) {
			if b.Sign() == 0 {
				return nil, errDivisionByZero
			}
			if integers {
				return new(big.Rat).SetInt(floorQuo(a, b)), nil
			}
			return new(big.Rat).Quo(a, b), nil
		}),
		"modulo": binary(func(a, b *big.Rat, _ bool) (*big.Rat, error) {
			if b.Sign() == 0 {
				return nil, errDivisionByZero
			}
			// a - b·⌊a/b⌋: the sign of b, as Ruby's % (Shopify's Liquid).
			q := new(big.Rat).SetInt(floorQuo(a, b))
			return new(big.Rat).Sub(a, q.Mul(q, b)), nil
		}),
		"abs": unary(func(x *big.Rat) *big.Rat { return new(big.Rat).Abs(x) }, false),
		"floor": unary(func(x *big.Rat) *big.Rat {
			return new(big.Rat).SetInt(floorQuo(x, big.NewRat(1, 1)))
		}, true),
		"ceil": unary(func(x *big.Rat) *big.Rat { // -⌊-x⌋
			f := floorQuo(new(big.Rat).Neg(x), big.NewRat(1, 1))
			return new(big.Rat).SetInt(f.Neg(f))
		}, true),
		"round": func(a any, places func(int) int) (any, error) {
			x, xi, err := number(a)
			if err != nil {
				return nil, err
			}
			p := places(0)
			// Past the digits x has, rounding changes nothing (after its point) or makes 0 (before).
			frac, _ := decimalPlaces(x.Denom())
			whole := len(new(big.Int).Abs(floorQuo(x, big.NewRat(1, 1))).String())
			p = min(max(p, -whole-1), frac)
			scale := new(big.Rat).SetInt(new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(absInt(p))), nil))
			if p < 0 {
				scale.Inv(scale)
			}
			// Half away from zero, as Shopify's Liquid (2.5 is 3, -2.5 is -3).
			y := new(big.Rat).Abs(x)
			y.Mul(y, scale).Add(y, big.NewRat(1, 2))
			r := new(big.Rat).SetInt(floorQuo(y, big.NewRat(1, 1)))
			r.Quo(r, scale)
			if x.Sign() < 0 {
				r.Neg(r)
			}
			return numberResult(r, xi || places(0) <= 0)
		},
	}
}

// arithmeticSteps is the steps the arithmetic filter name (none for another filter) spends on
// args, its input and operands: a number's digits read, the exact operation and the digits its
// result is written in each cost about the square of its digits, a step (one to a few
// microseconds) for every 64² (a round of 1,000 digits takes tens of microseconds). Without them
// it spent a step per KiB it read and made, as a text's filter, and a loop of operations on large
// numbers ran a render for minutes within its budget. The numbers of a record cost nothing.
func arithmeticSteps(name string, args []any) int {
	if !isArithmetic[name] {
		return 0
	}
	n := 0
	for _, a := range args {
		d := 0
		switch a := a.(type) {
		case string:
			d = len(a)
		case json.Number:
			d = len(a)
		case float64, float32, liquidFloat:
			d = len(textOf(a))
		}
		n += d * d >> 12
	}
	return n
}

// isArithmetic is the names of arithmeticFilters.
var isArithmetic = func() map[string]bool {
	m := map[string]bool{}
	for name := range arithmeticFilters(nil) {
		m[name] = true
	}
	return m
}()

func absInt(n int) int {
	if n < 0 {
		return -n
	}
	return n
}
