package ledger

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"sort"
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
// trailing data and nesting deeper than 64 are refused, so two different
// byte strings never canonicalise to the same statement by accident.
func Canonical(doc []byte) ([]byte, error) {
	v, err := decodeStrict(doc)
	if err != nil {
		return nil, err
	}
	var b bytes.Buffer
	if err := writeCanonical(&b, v); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// CanonicalValue marshals v with encoding/json and canonicalises the result.
func CanonicalValue(v any) ([]byte, error) {
	raw, err := json.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("marshal: %w", err)
	}
	return Canonical(raw)
}

// decodeStrict parses one JSON value, refusing duplicate keys and trailing data.
func decodeStrict(doc []byte) (any, error) {
	if !utf8.Valid(doc) {
		return nil, Invalid("", "body is not valid UTF-8")
	}
	d := json.NewDecoder(bytes.NewReader(doc))
	d.UseNumber()
	v, err := readValue(d, "", 0)
	if err != nil {
		return nil, err
	}
	if _, err := d.Token(); err != io.EOF {
		return nil, Invalid("", "unexpected data after the JSON value")
	}
	return v, nil
}

func syntaxError(err error, path string) error {
	if err == io.EOF || errors.Is(err, io.ErrUnexpectedEOF) {
		return Invalid(path, "JSON ends too early")
	}
	var se *json.SyntaxError
	if errors.As(err, &se) {
		return Invalid(path, "malformed JSON at byte %d: %s", se.Offset, se.Error())
	}
	return Invalid(path, "malformed JSON: %v", err)
}

func readValue(d *json.Decoder, path string, depth int) (any, error) {
	if depth > maxDepth {
		return nil, Invalid(path, "JSON nested deeper than %d levels", maxDepth)
	}
	tok, err := d.Token()
	if err != nil {
		return nil, syntaxError(err, path)
	}
	switch t := tok.(type) {
	case json.Delim:
		switch t {
		case '{':
			obj := map[string]any{}
			for d.More() {
				kt, err := d.Token()
				if err != nil {
					return nil, syntaxError(err, path)
				}
				k, ok := kt.(string)
				if !ok {
					return nil, Invalid(path, "object key is not a string")
				}
				child := joinPath(path, k)
				if _, dup := obj[k]; dup {
					return nil, Invalid(child, "duplicate key %q", k)
				}
				v, err := readValue(d, child, depth+1)
				if err != nil {
					return nil, err
				}
				obj[k] = v
			}
			if _, err := d.Token(); err != nil {
				return nil, syntaxError(err, path)
			}
			return obj, nil
		case '[':
			arr := []any{}
			for i := 0; d.More(); i++ {
				v, err := readValue(d, fmt.Sprintf("%s[%d]", path, i), depth+1)
				if err != nil {
					return nil, err
				}
				arr = append(arr, v)
			}
			if _, err := d.Token(); err != nil {
				return nil, syntaxError(err, path)
			}
			return arr, nil
		}
		return nil, Invalid(path, "unexpected %q", t)
	case json.Number:
		f, err := strconv.ParseFloat(string(t), 64)
		if err != nil || math.IsInf(f, 0) || math.IsNaN(f) {
			return nil, Invalid(path, "number %s is out of range", t)
		}
		return f, nil
	default: // string, bool, nil
		return t, nil
	}
}

func joinPath(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

func writeCanonical(b *bytes.Buffer, v any) error {
	switch t := v.(type) {
	case nil:
		b.WriteString("null")
	case bool:
		if t {
			b.WriteString("true")
		} else {
			b.WriteString("false")
		}
	case float64:
		writeNumber(b, t)
	case string:
		writeString(b, t)
	case []any:
		b.WriteByte('[')
		for i, e := range t {
			if i > 0 {
				b.WriteByte(',')
			}
			if err := writeCanonical(b, e); err != nil {
				return err
			}
		}
		b.WriteByte(']')
	case map[string]any:
		keys := make([]string, 0, len(t))
		for k := range t {
			keys = append(keys, k)
		}
		sort.Slice(keys, func(i, j int) bool { return utf16Less(keys[i], keys[j]) })
		b.WriteByte('{')
		for i, k := range keys {
			if i > 0 {
				b.WriteByte(',')
			}
			writeString(b, k)
			b.WriteByte(':')
			if err := writeCanonical(b, t[k]); err != nil {
				return err
			}
		}
		b.WriteByte('}')
	default:
		return fmt.Errorf("canonical: unexpected %T", v)
	}
	return nil
}

// writeNumber prints f as ECMAScript's Number.prototype.toString does, which
// is what encoding/json implements for float64 (apart from negative zero).
func writeNumber(b *bytes.Buffer, f float64) {
	if f == 0 {
		b.WriteByte('0')
		return
	}
	out, _ := json.Marshal(f) // cannot fail: f is finite
	b.Write(out)
}

func writeString(b *bytes.Buffer, s string) {
	b.WriteByte('"')
	for _, r := range s {
		switch r {
		case '"':
			b.WriteString(`\"`)
		case '\\':
			b.WriteString(`\\`)
		case '\b':
			b.WriteString(`\b`)
		case '\f':
			b.WriteString(`\f`)
		case '\n':
			b.WriteString(`\n`)
		case '\r':
			b.WriteString(`\r`)
		case '\t':
			b.WriteString(`\t`)
		default:
			if r < 0x20 {
				fmt.Fprintf(b, `\u%04x`, r)
			} else {
				b.WriteRune(r)
			}
		}
	}
	b.WriteByte('"')
}

func utf16Less(a, b string) bool {
	ua, ub := utf16.Encode([]rune(a)), utf16.Encode([]rune(b))
	for i := 0; i < len(ua) && i < len(ub); i++ {
		if ua[i] != ub[i] {
			return ua[i] < ub[i]
		}
	}
	return len(ua) < len(ub)
}

// Decode reads a canonical or non-canonical JSON document into dst strictly:
// unknown fields, duplicate keys, trailing data and type mismatches are
// refused with an error naming the field.
func Decode(doc []byte, dst any) error {
	if _, err := decodeStrict(doc); err != nil {
		return err
	}
	d := json.NewDecoder(bytes.NewReader(doc))
	d.DisallowUnknownFields()
	if err := d.Decode(dst); err != nil {
		return fieldErrorFromJSON(err)
	}
	return nil
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
