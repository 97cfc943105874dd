package ledger

import (
	"bytes"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestCanonicalRFC8785(t *testing.T) {
	cases := []struct{ in, want string }{
		// RFC 8785 §3.2.2: numbers in ECMAScript form.
		{`[1e30, 4.50, 2e-3, 0.000000000000000000000000001, -0, 1E+2, 333333333.33333329]`, `[1e+30,4.5,0.002,1e-27,0,100,333333333.3333333]`},
		// RFC 8785 §3.2.3: keys sorted by UTF-16 code units (the emoji's
		// surrogate pair sorts before U+FB33, unlike in UTF-8).
		{`{"\u20ac":"Euro","\r":"CR","\ufb33":"Hebrew","1":"One","\ud83d\ude00":"Emoji","\u0080":"Control","\u00f6":"Umlaut","\u05d2":"Hebrew2"}`,
			"{\"\\r\":\"CR\",\"1\":\"One\",\"\u0080\":\"Control\",\"ö\":\"Umlaut\",\"ג\":\"Hebrew2\",\"€\":\"Euro\",\"😀\":\"Emoji\",\"דּ\":\"Hebrew\"}"},
		// Minimal escapes; no HTML escaping; other characters as they are.
		{`{"s":"<a & b>\u0007\t\"\\/ Київ 基辅"}`, `{"s":"<a & b>\u0007\t\"\\/ Київ 基辅"}`},
		{" { \"b\" : [ true , false , null ] , \"a\" : { } } ", `{"a":{},"b":[true,false,null]}`},
	}
	for _, c := range cases {
		got, err := Canonical([]byte(c.in))
		if err != nil {
			t.Fatalf("%s: %v", c.in, err)
		}
		if string(got) != c.want {
			t.Errorf("Canonical(%s)\n got %s\nwant %s", c.in, got, c.want)
		}
	}
}

func TestCanonicalRefuses(t *testing.T) {
	for _, in := range []string{
		`{"a":1,"a":2}`,    // duplicate key
		`{"a":1} {}`,       // trailing data
		`{"a":1`,           // truncated
		"{\"a\":\"\xff\"}", // invalid UTF-8
		`[1e400]`,          // out of range
		`{"a":NaN}`,        // not JSON
		strings.Repeat("[", 100) + strings.Repeat("]", 100), // too deep
	} {
		_, err := Canonical([]byte(in))
		var fe *FieldError
		if !errors.As(err, &fe) {
			t.Errorf("Canonical(%.40q) = %v, want a field error", in, err)
		}
	}
	_, err := Canonical([]byte(`{"outer":{"x":1,"x":2}}`))
	var fe *FieldError
	if !errors.As(err, &fe) || fe.Field != "outer.x" {
		t.Errorf("duplicate nested key: %v", err)
	}
}

func TestDecodeNamesField(t *testing.T) {
	var v struct {
		A struct {
			B int `json:"b"`
		} `json:"a"`
	}
	cases := map[string]string{`{"a":{"b":"x"}}`: "a.b", `{"a":{"c":1}}`: "a.c", `{"a":{"b":1,"b":2}}`: "a.b"}
	for in, field := range cases {
		err := Decode([]byte(in), &v)
		var fe *FieldError
		if !errors.As(err, &fe) || fe.Field != field {
			t.Errorf("Decode(%s) = %v, want field %q", in, err, field)
		}
	}
}

func testStatement() Statement {
	return Statement{Type: "incident.report", Party: "ua", Author: "ua-rep", Time: time.Date(2026, 1, 24, 3, 15, 0, 123e6, time.UTC),
		Payload: json.RawMessage(`{"z":1,"a":"Харків"}`), Nonce: "n1-AAAAAAAAAAAAAAAAAAA"}
}

func TestSignVerifyAndLeaf(t *testing.T) {
	pub, priv, _ := ed25519.GenerateKey(nil)
	s, err := Sign(testStatement(), priv)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"author":"ua-rep","nonce":"n1-AAAAAAAAAAAAAAAAAAA","party":"ua","payload":{"a":"Харків","z":1},"time":"2026-01-24T03:15:00.123Z","type":"incident.report","v":1}`
	if string(s.Body) != want {
		t.Fatalf("body\n got %s\nwant %s", s.Body, want)
	}
	s.Key = nil
	if err := s.Verify(pub); err != nil || !bytes.Equal(s.Key, pub) {
		t.Fatalf("verify: %v", err)
	}
	leaf := s.Leaf()
	var l struct {
		Sig       []byte          `json:"sig"`
		Statement json.RawMessage `json:"statement"`
	}
	if err := json.Unmarshal(leaf, &l); err != nil || !bytes.Equal(l.Sig, s.Sig) || string(l.Statement) != want {
		t.Fatalf("leaf %s: %v", leaf, err)
	}
	if c, _ := Canonical(leaf); !bytes.Equal(c, leaf) {
		t.Fatal("leaf is not canonical JSON")
	}
	h := s.LeafHash()
	if exp := sha256.Sum256(append([]byte{0}, leaf...)); h != exp {
		t.Fatal("leaf hash is not SHA-256(0x00 || leaf)")
	}
	// Any change to the signed bytes breaks the signature.
	other, _ := Sign(testStatement(), priv)
	other.Body = bytes.Replace(other.Body, []byte("Харків"), []byte("Київ"), 1)
	if err := other.Verify(pub); err == nil {
		t.Fatal("tampered body verified")
	}
	pub2, _, _ := ed25519.GenerateKey(nil)
	if err := s.Verify(pub2); err == nil {
		t.Fatal("verified against the wrong key")
	}
}

// A client may send the statement in any JSON spelling: the signature is
// over the canonical bytes, so an equivalent spelling verifies.
func TestEnvelopeRoundTrip(t *testing.T) {
	pub, priv, _ := ed25519.GenerateKey(nil)
	s, _ := Sign(testStatement(), priv)
	env := s.Seal()
	var obj map[string]any
	json.Unmarshal(env.Statement, &obj)
	respelled, _ := json.MarshalIndent(obj, "", "   ")
	opened, err := openRef(Envelope{Statement: respelled, Signature: env.Signature})
	if err != nil {
		t.Fatal(err)
	}
	if err := opened.Verify(pub); err != nil {
		t.Fatalf("re-spelled statement: %v", err)
	}
	if opened.LeafHash() != s.LeafHash() {
		t.Fatal("equivalent statements have different leaf hashes")
	}
	for _, bad := range []Envelope{
		{Statement: json.RawMessage(`{"v":2}`), Signature: env.Signature},
		{Statement: env.Statement, Signature: "c2ln"},
		{Statement: bytes.Replace(env.Statement, []byte(`"2026-01-24T03:15:00.123Z"`), []byte(`"2026-01-24T03:15:00Z"`), 1), Signature: env.Signature},
		{Statement: bytes.Replace(env.Statement, []byte(`"incident.report"`), []byte(`"Incident Report"`), 1), Signature: env.Signature},
	} {
		raw, _ := json.Marshal(bad)
		if _, err := OpenEnvelope(raw); err == nil {
			t.Errorf("opened %s", bad.Statement)
		}
	}
}

func FuzzCanonical(f *testing.F) {
	for _, s := range []string{`{"a":[1,2.5,"x"],"b":null}`, `[1e30,-0,0.1]`, `"\u00e9"`, `{"a":{"b":{"c":[]}}}`, `{"a":1,"a":2}`, `[`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		c, err := Canonical(in)
		if err != nil {
			return
		}
		if !json.Valid(in) {
			t.Fatalf("accepted invalid JSON %q", in)
		}
		// Same meaning as encoding/json reads it.
		var a, b any
		json.Unmarshal(in, &a)
		json.Unmarshal(c, &b)
		if !reflect.DeepEqual(a, b) {
			t.Fatalf("%q canonicalised to %q changes its value", in, c)
		}
		if !json.Valid(c) {
			t.Fatalf("canonical form is not JSON: %q", c)
		}
		again, err := Canonical(c)
		if err != nil || !bytes.Equal(again, c) {
			t.Fatalf("not idempotent: %q → %q (%v)", c, again, err)
		}
	})
}

func FuzzEnvelope(f *testing.F) {
	_, priv, _ := ed25519.GenerateKey(nil)
	s, _ := Sign(testStatement(), priv)
	raw, _ := json.Marshal(s.Seal())
	f.Add(raw)
	f.Add([]byte(`{"statement":{"v":1},"signature":""}`))
	f.Fuzz(func(t *testing.T, in []byte) {
		// The ingest fast path and the general path agree on every input.
		fast, ferr := OpenEnvelope(in)
		var env Envelope
		derr := Decode(in, &env)
		var opened *Signed
		err := derr
		if err == nil {
			opened, err = openRef(env)
		}
		if (ferr == nil) != (err == nil) {
			t.Fatalf("OpenEnvelope error %v, Decode+Open error %v", ferr, err)
		}
		if err != nil {
			return
		}
		if !bytes.Equal(fast.Body, opened.Body) || !bytes.Equal(fast.Sig, opened.Sig) || fast.Statement.Time != opened.Statement.Time ||
			fast.Statement.Nonce != opened.Statement.Nonce || !bytes.Equal(fast.Statement.Payload, opened.Statement.Payload) {
			t.Fatalf("the two paths read %q differently", in)
		}
		body, err := opened.Statement.Encode()
		if err != nil || !bytes.Equal(body, opened.Body) {
			t.Fatalf("opened statement does not re-encode to its body: %v", err)
		}
		// The leaf is a function of the statement and its signature alone:
		// however the envelope was spelled, sealing what was read and
		// opening it again gives the same leaf, and the signature's text
		// is its one spelling.
		again, _ := json.Marshal(fast.Seal())
		reopened, err := OpenEnvelope(again)
		if err != nil || reopened.LeafHash() != fast.LeafHash() || !bytes.Equal(reopened.Body, fast.Body) {
			t.Fatalf("%q sealed again reads differently: %v", in, err)
		}
		if env.Signature != base64.StdEncoding.EncodeToString(opened.Sig) {
			t.Fatalf("signature %q accepted in a second spelling", env.Signature)
		}
	})
}

func FuzzOpenBatch(f *testing.F) {
	_, priv, _ := ed25519.GenerateKey(nil)
	s, _ := Sign(testStatement(), priv)
	env, _ := json.Marshal(s.Seal())
	f.Add([]byte(`{"statements":[` + string(env) + `,` + string(env) + `]}`))
	f.Add([]byte(`{"statements":[{},[],"x",1]}`))
	f.Add([]byte(`{"statements":[]}`))
	f.Fuzz(func(t *testing.T, in []byte) {
		opened, errs, err := OpenBatch(in, 10)
		if err != nil {
			return
		}
		if len(opened) != len(errs) || len(opened) == 0 || len(opened) > 10 {
			t.Fatalf("%d opened, %d verdicts", len(opened), len(errs))
		}
		for i := range opened {
			if (opened[i] == nil) == (errs[i] == nil) {
				t.Fatalf("statement %d: both or neither of a statement and an error", i)
			}
			if opened[i] != nil {
				if again, err := OpenEnvelope(opened[i].Body); err == nil || again != nil {
					// Body is a statement, not an envelope: must not open as one.
					t.Fatalf("statement body opened as an envelope")
				}
			}
		}
	})
}

// Field names match exactly: a second spelling of a field that
// encoding/json would fold onto it ("Summary", "ſummary") is refused, so a
// record can never take a value the signed bytes hide.
func TestFieldNamesAreExact(t *testing.T) {
	type inner struct {
		Text string `json:"text"`
	}
	var v struct {
		Summary inner   `json:"summary"`
		Notes   []inner `json:"notes"`
	}
	for _, doc := range []string{
		`{"summary":{"text":"benign"},"ſummary":{"text":"EVIL"}}`,
		`{"Summary":{"text":"x"}}`,
		`{"summary":{"TEXT":"x"}}`,
		`{"notes":[{"text":"a"},{"Text":"b"}]}`,
	} {
		err := Decode([]byte(doc), &v)
		var fe *FieldError
		if !errors.As(err, &fe) {
			t.Errorf("%s: accepted (%v)", doc, err)
		}
	}
	if err := Decode([]byte(`{"summary":{"text":"ok"},"notes":[{"text":"a"}]}`), &v); err != nil || v.Summary.Text != "ok" {
		t.Fatalf("exact names refused: %v", err)
	}
}

// Deeply nested objects with unsorted keys are refused before their
// reordering costs more than a bounded multiple of the input.
func TestCanonicalCopyBound(t *testing.T) {
	var b strings.Builder
	const depth = 60
	for i := 0; i < depth; i++ {
		b.WriteString(`{"z":1,"a":`)
	}
	b.WriteString(`"` + strings.Repeat("x", 100000) + `"`)
	for i := 0; i < depth; i++ {
		b.WriteString(`}`)
	}
	if _, err := Canonical([]byte(b.String())); err == nil {
		t.Fatal("60 nested unsorted objects around 100 kB were canonicalised")
	}
	// A realistic unsorted statement of the same size still passes.
	big := `{"z":{"y":{"x":{"w":"` + strings.Repeat("x", 100000) + `","a":1},"a":1},"a":1},"a":1}`
	if _, err := Canonical([]byte(big)); err != nil {
		t.Fatalf("four unsorted levels refused: %v", err)
	}
}

// openRef is the envelope reader by the general path — strict decoding,
// then ParseStatement — that the fuzzers hold OpenEnvelope to.
func openRef(e Envelope) (*Signed, error) {
	if len(e.Statement) == 0 {
		return nil, Invalid("statement", "is required")
	}
	st, body, err := ParseStatement(e.Statement)
	if err != nil {
		return nil, err
	}
	sig, err := base64.StdEncoding.Strict().DecodeString(e.Signature)
	if err != nil || len(sig) != ed25519.SignatureSize || base64.StdEncoding.EncodeToString(sig) != e.Signature {
		return nil, Invalid("signature", "must be a base64 ed25519 signature of 64 bytes")
	}
	return &Signed{Statement: st, Body: body, Sig: sig}, nil
}

// A statement signed in process keeps the time its bytes say, to the
// millisecond: the fold of the statement in hand and the fold of its bytes
// read back must agree.
func TestSignKeepsTheSignedTime(t *testing.T) {
	_, key, _ := ed25519.GenerateKey(nil)
	at := time.Date(2026, 2, 3, 7, 5, 0, 476084215, time.FixedZone("UTC+2", 7200))
	s, err := Sign(Statement{Type: "incident.report", Party: "ua", Author: "ua-rep", Time: at, Payload: []byte(`{}`)}, key)
	if err != nil {
		t.Fatal(err)
	}
	back, _, err := ParseStatement(s.Body)
	if err != nil {
		t.Fatal(err)
	}
	if !s.Statement.Time.Equal(back.Time) || s.Statement.Time.Location() != time.UTC {
		t.Fatalf("kept %v, signed %v", s.Statement.Time, back.Time)
	}
}
