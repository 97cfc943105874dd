package ledger

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"unicode/utf16"
	"unicode/utf8"
)

// maxDepth bounds nesting so that hostile input cannot exhaust the stack.
const maxDepth = 64

// Canonical re-encodes a JSON document in the canonical form that statements
// are signed over: RFC 8785 (JCS) — object keys sorted by UTF-16 code units,
// no insignificant whitespace, numbers in their shortest ECMAScript form and
// strings with the minimal escapes. Duplicate object keys, invalid UTF-8,
// lone surrogates, trailing data and nesting deeper than 64 are refused, so
// that one statement has exactly one encoding.
//
// It is a single-pass parser rather than encoding/json's token stream:
// every statement goes through it, and it dominates ingest cost otherwise.
func Canonical(doc []byte) ([]byte, error) {
	p := &canonParser{in: doc, out: make([]byte, 0, len(doc))}
	p.space()
	if err := p.value(0); err != nil {
		return nil, err
	}
	p.space()
	if p.i != len(p.in) {
		return nil, Invalid("", "unexpected data after the JSON value at byte %d", p.i)
	}
	return p.out, nil
}

// CanonicalValue marshals v with encoding/json and canonicalises the result.
func CanonicalValue(v any) ([]byte, error) {
	raw, err := json.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("marshal: %w", err)
	}
	return Canonical(raw)
}

type pathSeg struct {
	key   string
	index int // -1 for object members
}

type canonParser struct {
	in     []byte
	i      int
	out    []byte
	path   []pathSeg
	copied int // bytes copied to reorder objects, bounded against hostile nesting
}

func (p *canonParser) where() string {
	var b strings.Builder
	for _, s := range p.path {
		if s.index >= 0 {
			fmt.Fprintf(&b, "[%d]", s.index)
			continue
		}
		if b.Len() > 0 {
			b.WriteByte('.')
		}
		b.WriteString(s.key)
	}
	return b.String()
}

func (p *canonParser) fail(format string, args ...any) error {
	if p.i >= len(p.in) {
		return Invalid(p.where(), "JSON ends too early")
	}
	return Invalid(p.where(), "malformed JSON at byte %d: "+format, append([]any{p.i}, args...)...)
}

func (p *canonParser) space() {
	for p.i < len(p.in) {
		switch p.in[p.i] {
		case ' ', '\t', '\n', '\r':
			p.i++
		default:
			return
		}
	}
}

func (p *canonParser) literal(word string) error {
	if !bytes.HasPrefix(p.in[p.i:], []byte(word)) {
		return p.fail("invalid literal")
	}
	p.i += len(word)
	p.out = append(p.out, word...)
	return nil
}

func (p *canonParser) value(depth int) error {
	if depth > maxDepth {
		return Invalid(p.where(), "JSON nested deeper than %d levels", maxDepth)
	}
	if p.i >= len(p.in) {
		return p.fail("")
	}
	switch c := p.in[p.i]; {
	case c == '{':
		return p.object(depth)
	case c == '[':
		return p.array(depth)
	case c == '"':
		s, err := p.str()
		if err != nil {
			return err
		}
		p.out = appendString(p.out, s)
		return nil
	case c == 't':
		return p.literal("true")
	case c == 'f':
		return p.literal("false")
	case c == 'n':
		return p.literal("null")
	case c == '-' || (c >= '0' && c <= '9'):
		return p.number()
	default:
		return p.fail("unexpected character %q", c)
	}
}

type member struct {
	key        string
	start, end int // span of `"key":value` in out
}

func (p *canonParser) object(depth int) error {
	p.i++ // {
	start := len(p.out)
	p.out = append(p.out, '{')
	var members []member
	sorted := true
	p.space()
	if p.i < len(p.in) && p.in[p.i] == '}' {
		p.i++
		p.out = append(p.out, '}')
		return nil
	}
	for {
		p.space()
		if p.i >= len(p.in) || p.in[p.i] != '"' {
			return p.fail("expected an object key")
		}
		key, err := p.str()
		if err != nil {
			return err
		}
		p.space()
		if p.i >= len(p.in) || p.in[p.i] != ':' {
			return p.fail("expected ':'")
		}
		p.i++
		p.space()
		if len(members) > 0 {
			p.out = append(p.out, ',')
			if c := utf16Compare(members[len(members)-1].key, key); c >= 0 {
				sorted = false
			}
		}
		ms := len(p.out)
		p.out = appendString(p.out, key)
		p.out = append(p.out, ':')
		p.path = append(p.path, pathSeg{key: key, index: -1})
		if err := p.value(depth + 1); err != nil {
			return err
		}
		p.path = p.path[:len(p.path)-1]
		members = append(members, member{key: key, start: ms, end: len(p.out)})
		p.space()
		if p.i >= len(p.in) {
			return p.fail("")
		}
		if p.in[p.i] == ',' {
			p.i++
			continue
		}
		if p.in[p.i] == '}' {
			p.i++
			break
		}
		return p.fail("expected ',' or '}'")
	}
	if sorted { // strictly ascending: no duplicates, already in order
		p.out = append(p.out, '}')
		return nil
	}
	order := slices.Clone(members)
	slices.SortStableFunc(order, func(a, b member) int { return utf16Compare(a.key, b.key) })
	for i := 1; i < len(order); i++ {
		if order[i].key == order[i-1].key {
			p.path = append(p.path, pathSeg{key: order[i].key, index: -1})
			return Invalid(p.where(), "duplicate key %q", order[i].key)
		}
	}
	// Each unsorted object copies its content once; nested unsorted objects
	// copy again. Bound the total so that deep hostile nesting cannot make a
	// small body cost gigabytes.
	if p.copied += len(p.out) - start; p.copied > 16*len(p.in)+1<<16 {
		return Invalid(p.where(), "too many nested objects with unsorted keys")
	}
	region := slices.Clone(p.out[start:])
	p.out = append(p.out[:start], '{')
	for i, m := range order {
		if i > 0 {
			p.out = append(p.out, ',')
		}
		p.out = append(p.out, region[m.start-start:m.end-start]...)
	}
	p.out = append(p.out, '}')
	return nil
}

func (p *canonParser) array(depth int) error {
	p.i++ // [
	p.out = append(p.out, '[')
	p.space()
	if p.i < len(p.in) && p.in[p.i] == ']' {
		p.i++
		p.out = append(p.out, ']')
		return nil
	}
	for n := 0; ; n++ {
		if n > 0 {
			p.out = append(p.out, ',')
		}
		p.space()
		p.path = append(p.path, pathSeg{index: n})
		if err := p.value(depth + 1); err != nil {
			return err
		}
		p.path = p.path[:len(p.path)-1]
		p.space()
		if p.i >= len(p.in) {
			return p.fail("")
		}
		if p.in[p.i] == ',' {
			p.i++
			continue
		}
		if p.in[p.i] == ']' {
			p.i++
			p.out = append(p.out, ']')
			return nil
		}
		return p.fail("expected ',' or ']'")
	}
}

// str reads a JSON string and returns its value.
func (p *canonParser) str() (string, error) {
	p.i++ // opening quote
	start := p.i
	// Fast path: no escapes.
	for p.i < len(p.in) {
		c := p.in[p.i]
		if c == '"' {
			s := p.in[start:p.i]
			p.i++
			if !utf8.Valid(s) {
				return "", Invalid(p.where(), "string is not valid UTF-8")
			}
			return string(s), nil
		}
		if c == '\\' {
			break
		}
		if c < 0x20 {
			return "", p.fail("control character in string")
		}
		p.i++
	}
	buf := append([]byte(nil), p.in[start:p.i]...)
	for p.i < len(p.in) {
		c := p.in[p.i]
		switch {
		case c == '"':
			p.i++
			if !utf8.Valid(buf) {
				return "", Invalid(p.where(), "string is not valid UTF-8")
			}
			return string(buf), nil
		case c < 0x20:
			return "", p.fail("control character in string")
		case c != '\\':
			buf = append(buf, c)
			p.i++
			continue
		}
		if p.i+1 >= len(p.in) {
			return "", p.fail("")
		}
		e := p.in[p.i+1]
		p.i += 2
		switch e {
		case '"', '\\', '/':
			buf = append(buf, e)
		case 'b':
			buf = append(buf, '\b')
		case 'f':
			buf = append(buf, '\f')
		case 'n':
			buf = append(buf, '\n')
		case 'r':
			buf = append(buf, '\r')
		case 't':
			buf = append(buf, '\t')
		case 'u':
			r, err := p.hex4()
			if err != nil {
				return "", err
			}
			if utf16.IsSurrogate(r) {
				if r >= 0xDC00 || p.i+1 >= len(p.in) || p.in[p.i] != '\\' || p.in[p.i+1] != 'u' {
					return "", Invalid(p.where(), "lone UTF-16 surrogate in string")
				}
				p.i += 2
				r2, err := p.hex4()
				if err != nil {
					return "", err
				}
				if r2 < 0xDC00 || r2 > 0xDFFF {
					return "", Invalid(p.where(), "lone UTF-16 surrogate in string")
				}
				r = utf16.DecodeRune(r, r2)
			}
			buf = utf8.AppendRune(buf, r)
		default:
			return "", p.fail("invalid escape \\%c", e)
		}
	}
	return "", p.fail("")
}

func (p *canonParser) hex4() (rune, error) {
	if p.i+4 > len(p.in) {
		return 0, p.fail("")
	}
	n, err := strconv.ParseUint(string(p.in[p.i:p.i+4]), 16, 16)
	if err != nil {
		return 0, p.fail("invalid \\u escape")
	}
	p.i += 4
	return rune(n), nil
}

func (p *canonParser) number() error {
	start := p.i
	digits := func() int {
		n := 0
		for p.i < len(p.in) && p.in[p.i] >= '0' && p.in[p.i] <= '9' {
			p.i++
			n++
		}
		return n
	}
	if p.in[p.i] == '-' {
		p.i++
	}
	intStart := p.i
	if digits() == 0 {
		return p.fail("invalid number")
	}
	if p.in[intStart] == '0' && p.i-intStart > 1 {
		return p.fail("leading zero in number")
	}
	simple := p.i-intStart <= 15
	if p.i < len(p.in) && p.in[p.i] == '.' {
		p.i++
		if digits() == 0 {
			return p.fail("invalid number")
		}
		simple = false
	}
	if p.i < len(p.in) && (p.in[p.i] == 'e' || p.in[p.i] == 'E') {
		p.i++
		if p.i < len(p.in) && (p.in[p.i] == '+' || p.in[p.i] == '-') {
			p.i++
		}
		if digits() == 0 {
			return p.fail("invalid number")
		}
		simple = false
	}
	lit := p.in[start:p.i]
	if simple { // an integer of at most 15 digits is already canonical
		if string(lit) == "-0" {
			lit = []byte("0")
		}
		p.out = append(p.out, lit...)
		return nil
	}
	f, err := strconv.ParseFloat(string(lit), 64)
	if err != nil || math.IsInf(f, 0) {
		return Invalid(p.where(), "number %s is out of range", lit)
	}
	if f == 0 {
		p.out = append(p.out, '0')
		return nil
	}
	// encoding/json prints float64 as ECMAScript's Number.prototype.toString.
	out, _ := json.Marshal(f)
	p.out = append(p.out, out...)
	return nil
}

// appendString writes s as a JCS string: only '"', '\\' and control
// characters are escaped.
func appendString(b []byte, s string) []byte {
	b = append(b, '"')
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '"':
			b = append(b, '\\', '"')
		case c == '\\':
			b = append(b, '\\', '\\')
		case c >= 0x20:
			b = append(b, c)
		case c == '\b':
			b = append(b, '\\', 'b')
		case c == '\f':
			b = append(b, '\\', 'f')
		case c == '\n':
			b = append(b, '\\', 'n')
		case c == '\r':
			b = append(b, '\\', 'r')
		case c == '\t':
			b = append(b, '\\', 't')
		default:
			b = fmt.Appendf(b, `\u%04x`, c)
		}
	}
	return append(b, '"')
}

func utf16Compare(a, b string) int {
	if a == b {
		return 0
	}
	// Below U+10000, UTF-8 byte order is UTF-16 code-unit order; convert
	// only when a supplementary character (a 4-byte UTF-8 sequence) appears.
	if !hasSupplementary(a) && !hasSupplementary(b) {
		return strings.Compare(a, b)
	}
	ua, ub := utf16.Encode([]rune(a)), utf16.Encode([]rune(b))
	return slices.Compare(ua, ub)
}

// Decode reads a JSON document into dst strictly: unknown fields, duplicate
// keys, trailing data and type mismatches are refused with an error naming
// the field.
func Decode(doc []byte, dst any) error {
	c, err := Canonical(doc)
	if err != nil {
		return err
	}
	// Decoding the canonical form hands embedded raw JSON (a statement in
	// an envelope) on already canonical.
	return decodeFields(c, dst)
}

// decodeFields decodes a document already known to be well formed, refusing
// unknown fields and type mismatches.
func decodeFields(doc []byte, dst any) error {
	if err := exactFields(doc, dst); err != nil {
		return err
	}
	d := json.NewDecoder(bytes.NewReader(doc))
	d.DisallowUnknownFields()
	if err := d.Decode(dst); err != nil {
		return fieldErrorFromJSON(err)
	}
	return nil
}

// DecodePayload decodes the payload of a statement that came out of
// ParseStatement or Encode, which already canonicalised it.
func DecodePayload(st Statement, dst any) error {
	return decodeFields(st.Payload, dst)
}

func fieldErrorFromJSON(err error) error {
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		return Invalid(te.Field, "expected %s, got JSON %s", te.Type.String(), te.Value)
	}
	var fe *FieldError
	if errors.As(err, &fe) {
		return fe
	}
	msg := err.Error()
	if rest, ok := strings.CutPrefix(msg, "json: unknown field "); ok {
		name, _ := strconv.Unquote(rest)
		return Invalid(name, "unknown field %s", rest)
	}
	return Invalid("", "%s", strings.TrimPrefix(msg, "json: "))
}

func hasSupplementary(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0xF0 {
			return true
		}
	}
	return false
}
