package ledger

import (
	"bytes"
	"crypto/ed25519"
	"encoding/base64"
	"fmt"
	"strconv"
	"time"
)

// OpenEnvelope reads a submitted envelope — {"statement": {...},
// "signature": "..."} — in one canonicalising pass and without reflection:
// this is the ingest path, run once per submitted statement. It refuses what
// Decode and Envelope.Open refuse, naming the field. It does not verify the
// signature.
func OpenEnvelope(body []byte) (*Signed, error) {
	c, err := Canonical(body)
	if err != nil {
		return nil, err
	}
	return openCanonical(c)
}

// OpenBatch reads {"statements": [envelope, ...]} in one canonicalising
// pass. opened[i] or errs[i] is set for each envelope; err is set when the
// batch as a whole is unreadable.
func OpenBatch(body []byte, max int) (opened []*Signed, errs []error, err error) {
	c, err := Canonical(body)
	if err != nil {
		return nil, nil, err
	}
	top, err := members(c, "", "statements")
	if err != nil {
		return nil, nil, err
	}
	arr := top["statements"]
	if len(arr) < 2 || arr[0] != '[' {
		return nil, nil, Invalid("statements", "must be an array of envelopes")
	}
	for i := 1; i < len(arr)-1; {
		end := skipValue(arr, i)
		if len(opened) == max {
			return nil, nil, Invalid("statements", "at most %d statements in one batch", max)
		}
		s, err := openCanonical(arr[i:end])
		opened = append(opened, s)
		errs = append(errs, Within(fmt.Sprintf("statements[%d]", len(errs)), err))
		i = end + 1 // past the comma
	}
	if len(opened) == 0 {
		return nil, nil, Invalid("statements", "send at least one statement")
	}
	return opened, errs, nil
}

// openCanonical reads an envelope already in canonical form.
func openCanonical(c []byte) (*Signed, error) {
	top, err := members(c, "", "statement", "signature")
	if err != nil {
		return nil, err
	}
	stmt, ok := top["statement"]
	if !ok || len(stmt) == 0 || stmt[0] != '{' {
		return nil, Invalid("statement", "must be a JSON object")
	}
	sigText, err := stringValue(top, "signature", true)
	if err != nil {
		return nil, err
	}
	sig, err := DecodeSignature(sigText)
	if err != nil {
		return nil, err
	}
	st, err := statementFrom(stmt)
	if err != nil {
		return nil, err
	}
	return &Signed{Statement: st, Body: stmt, Sig: sig}, nil
}

// statementFrom reads a statement from its canonical JSON.
func statementFrom(c []byte) (Statement, error) {
	f, err := members(c, "statement", "v", "type", "party", "author", "time", "nonce", "payload")
	if err != nil {
		return Statement{}, err
	}
	if string(f["v"]) != "1" {
		return Statement{}, Invalid("statement.v", "unsupported version %s", f["v"])
	}
	var st Statement
	for _, x := range []struct {
		name     string
		dst      *string
		required bool
	}{{"type", &st.Type, true}, {"party", &st.Party, true}, {"author", &st.Author, true}, {"nonce", &st.Nonce, false}} {
		if *x.dst, err = stringValue(f, x.name, x.required); err != nil {
			return Statement{}, Within("statement", err)
		}
	}
	ts, err := stringValue(f, "time", true)
	if err != nil {
		return Statement{}, Within("statement", err)
	}
	t, err := time.Parse(TimeLayout, ts)
	if err != nil || t.Format(TimeLayout) != ts {
		return Statement{}, Invalid("statement.time", "must be UTC with milliseconds, like 2026-01-24T03:15:00.000Z")
	}
	st.Time = t
	p := f["payload"]
	if len(p) == 0 || p[0] != '{' {
		return Statement{}, Invalid("statement.payload", "must be a JSON object")
	}
	st.Payload = p
	if err := st.validate(); err != nil {
		return Statement{}, err
	}
	return st, Within("statement", bodyText(c))
}

// DecodeSignature reads a statement signature: 64 bytes in standard base64
// with padding, spelled as base64 spells them (no line breaks, no stray
// bits in the last character), so that a signature has one spelling.
func DecodeSignature(text string) ([]byte, error) {
	sig, err := base64.StdEncoding.Strict().DecodeString(text)
	if err != nil || len(sig) != ed25519.SignatureSize || base64.StdEncoding.EncodeToString(sig) != text {
		return nil, Invalid("signature", "must be a base64 ed25519 signature of 64 bytes (88 characters, standard alphabet, padded)")
	}
	return sig, nil
}

// members splits a canonical JSON object into its members' raw values,
// refusing keys not in allowed. c must be canonical: no whitespace, valid.
func members(c []byte, path string, allowed ...string) (map[string][]byte, error) {
	if len(c) < 2 || c[0] != '{' {
		return nil, Invalid(path, "must be a JSON object")
	}
	out := make(map[string][]byte, len(allowed))
	i := 1
	for i < len(c)-1 {
		kEnd := skipString(c, i)
		key, err := strconv.Unquote(string(c[i:kEnd]))
		if err != nil {
			key = string(c[i+1 : kEnd-1])
		}
		known := false
		for _, a := range allowed {
			known = known || a == key
		}
		if !known {
			return nil, Invalid(joinField(path, key), "unknown field %q", key)
		}
		vStart := kEnd + 1 // skip ':'
		vEnd := skipValue(c, vStart)
		out[key] = c[vStart:vEnd]
		i = vEnd
		if i < len(c) && c[i] == ',' {
			i++
		}
	}
	return out, nil
}

func joinField(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

// stringValue reads member name as a JSON string.
func stringValue(f map[string][]byte, name string, required bool) (string, error) {
	raw, ok := f[name]
	if !ok {
		if required {
			return "", Invalid(name, "is required")
		}
		return "", nil
	}
	if !required && string(raw) == `""` {
		return "", Invalid(name, "is empty: leave it out instead")
	}
	if len(raw) < 2 || raw[0] != '"' {
		return "", Invalid(name, "must be a string")
	}
	if bytes.IndexByte(raw[1:len(raw)-1], '\\') < 0 {
		return string(raw[1 : len(raw)-1]), nil
	}
	s, err := strconv.Unquote(string(raw))
	if err != nil {
		return "", Invalid(name, "unreadable string")
	}
	return s, nil
}

// skipString returns the index just past the string starting at c[i].
func skipString(c []byte, i int) int {
	for j := i + 1; j < len(c); j++ {
		switch c[j] {
		case '\\':
			j++
		case '"':
			return j + 1
		}
	}
	return len(c)
}

// skipValue returns the index just past the canonical JSON value at c[i].
func skipValue(c []byte, i int) int {
	if i >= len(c) {
		return i
	}
	switch c[i] {
	case '"':
		return skipString(c, i)
	case '{', '[':
		depth := 0
		for j := i; j < len(c); j++ {
			switch c[j] {
			case '"':
				j = skipString(c, j) - 1
			case '{', '[':
				depth++
			case '}', ']':
				depth--
				if depth == 0 {
					return j + 1
				}
			}
		}
		return len(c)
	default: // number, true, false, null
		j := i
		for j < len(c) && c[j] != ',' && c[j] != '}' && c[j] != ']' {
			j++
		}
		return j
	}
}
