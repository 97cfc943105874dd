package ledger

import (
	"bytes"
	"crypto/ed25519"
	"encoding/base64"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestTextRules(t *testing.T) {
	cases := []struct {
		s           string
		text, label string // the refused character's position, "" when accepted
	}{
		{"Обстріл житлового кварталу, 14 вибухів.", "", ""},
		{"基辅 — 哈尔科夫", "", ""},
		{"line one\nline two\ttabbed", "", "character 9"},
		{"windows\r\nline", "", "character 8"},
		{"bare\rreturn", "character 5", "character 5"},
		{"ends with\r", "character 10", "character 10"},
		{"nul\x00byte", "character 4", "character 4"},
		{"escape \x1b[2J", "character 8", "character 8"},
		{"del\x7f", "character 4", "character 4"},
		{"c1 \u009b31m", "character 4", "character 4"},
		{"abc\u202Egpj.exe", "character 4", "character 4"}, // RIGHT-TO-LEFT OVERRIDE
		{"\u202Aembedded\u202C", "character 1", "character 1"},
		{"isolate \u2066x\u2069", "character 9", "character 9"},
		{"\uFEFFwith BOM", "character 1", "character 1"},
		{"zero\u200Bwidth", "character 5", "character 5"},
		{"word\u2060joiner", "character 5", "character 5"},
		{"line\u2028separator", "character 5", "character 5"},
		{"hidden\uFFF9annotation\uFFFB", "character 7", "character 7"},
		{"shape \u206Ax", "character 7", "character 7"},
		// ZWJ and ZWNJ: legitimate in emoji, Indic and Persian text, refused in labels.
		{"👩\u200D💻 family 👨\u200D👩\u200D👧", "", "character 2"},
		{"क्\u200Dष", "", "character 3"},
		{"می\u200Cخواهم", "", "character 3"},
		// Directional marks: legitimate in mixed Arabic and Hebrew text.
		{"עברית\u200F 123", "", "character 6"},
		{"soft\u00ADhyphen", "", "character 5"},
		{"bad \xff utf8", "character 5", "character 5"},
	}
	for _, c := range cases {
		for _, x := range []struct {
			rule  string
			check func(string, string) error
			want  string
		}{{"text", CheckText, c.text}, {"label", CheckLabel, c.label}} {
			err := x.check("f", c.s)
			if x.want == "" {
				if err != nil {
					t.Errorf("%s %+q: %v", x.rule, c.s, err)
				}
				continue
			}
			var fe *FieldError
			if !errors.As(err, &fe) || fe.Field != "f" || !strings.HasPrefix(fe.Reason, x.want+" ") {
				t.Errorf("%s %+q: %v, want field f, %s", x.rule, c.s, err, x.want)
			}
		}
	}
	if err := CheckText("f", "x\u202Ey"); err == nil || !strings.Contains(err.Error(), "U+202E (RIGHT-TO-LEFT OVERRIDE)") {
		t.Errorf("the reason does not name the character: %v", err)
	}
}

// Every string of a statement is held to the free-text rule, named by its
// path, however deep; keys too.
func TestStatementText(t *testing.T) {
	_, priv, _ := ed25519.GenerateKey(nil)
	for payload, field := range map[string]string{
		`{"description":{"lang":"en","text":"a\u202Eb"}}`: "payload.description.text",
		`{"evidence":[{"name":"ok"},{"name":"x\u0000"}]}`: "payload.evidence[1].name",
		`{"names":{"uk\u200B":"Україна"}}`:                "payload.names",
		`{"note":"bare\rcarriage return"}`:                "payload.note",
		`{"a":[[["\u2066"]]]}`:                            "payload.a[0][0][0]",
	} {
		st := testStatement()
		st.Payload = json.RawMessage(payload)
		_, err := Sign(st, priv)
		var fe *FieldError
		if !errors.As(err, &fe) || fe.Field != field {
			t.Errorf("Sign %s: %v, want field %s", payload, err, field)
		}
		// The same statement submitted by a client is refused on opening.
		body, _ := CanonicalValue(map[string]any{"v": 1, "type": st.Type, "party": st.Party, "author": st.Author,
			"time": st.Time.Format(TimeLayout), "payload": json.RawMessage(payload)})
		env, _ := json.Marshal(Envelope{Statement: body, Signature: base64.StdEncoding.EncodeToString(make([]byte, 64))})
		_, err = OpenEnvelope(env)
		if !errors.As(err, &fe) || fe.Field != "statement."+field {
			t.Errorf("OpenEnvelope %s: %v, want field statement.%s", payload, err, field)
		}
	}
	st := testStatement()
	st.Payload = json.RawMessage(`{"text":"line\r\nbreaks\tand \u200D joiners — “quotes” …"}`)
	if _, err := Sign(st, priv); err != nil {
		t.Fatalf("ordinary text refused: %v", err)
	}
}

// A nonce is absent or 16 to 64 URL-safe base64 characters: "nonce": ""
// would be a second spelling, and a second leaf hash, of a statement
// without one.
func TestNonce(t *testing.T) {
	_, priv, _ := ed25519.GenerateKey(nil)
	if n := NewNonce(); !NoncePattern.MatchString(n) || len(n) != 22 {
		t.Fatalf("NewNonce() = %q", n)
	}
	for _, n := range []string{"short", strings.Repeat("a", 65), "with space-aaaaaaaaaaa", "plus+slash/aaaaaaaaaaa", "ünïcödé-aaaaaaaaaaaaaaaa"} {
		st := testStatement()
		st.Nonce = n
		if _, err := Sign(st, priv); err == nil {
			t.Errorf("nonce %q accepted", n)
		}
	}
	s, _ := Sign(testStatement(), priv)
	for _, body := range [][]byte{
		bytes.Replace(s.Body, []byte(`"nonce":"n1-AAAAAAAAAAAAAAAAAAA"`), []byte(`"nonce":""`), 1),
		bytes.Replace(s.Body, []byte(`"nonce":"n1-AAAAAAAAAAAAAAAAAAA"`), []byte(`"nonce":"n1"`), 1),
		bytes.Replace(s.Body, []byte(`"nonce":"n1-AAAAAAAAAAAAAAAAAAA"`), []byte(`"nonce":null`), 1),
	} {
		env, _ := json.Marshal(Envelope{Statement: body, Signature: base64.StdEncoding.EncodeToString(s.Sig)})
		_, err := OpenEnvelope(env)
		var fe *FieldError
		if !errors.As(err, &fe) || fe.Field != "statement.nonce" {
			t.Errorf("%s: %v, want a statement.nonce error", body, err)
		}
	}
	// Without a nonce, the statement has one spelling: no nonce member.
	st := testStatement()
	st.Nonce = ""
	s, err := Sign(st, priv)
	if err != nil || bytes.Contains(s.Body, []byte("nonce")) {
		t.Fatalf("statement without a nonce: %s, %v", s.Body, err)
	}
}

// A signature has one spelling: standard base64, padded, without line
// breaks or stray bits in its last character.
func TestSignatureSpelling(t *testing.T) {
	_, priv, _ := ed25519.GenerateKey(nil)
	s, _ := Sign(testStatement(), priv)
	good := base64.StdEncoding.EncodeToString(s.Sig)
	last := strings.IndexByte("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/", good[85])
	stray := good[:85] + string("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"[last^1]) + "=="
	for _, sig := range []string{
		good[:40] + "\n" + good[40:],
		good[:40] + "\r\n" + good[40:],
		strings.TrimRight(good, "="),
		" " + good,
		stray,
	} {
		if b, err := base64.StdEncoding.DecodeString(sig); sig == stray && (err != nil || !bytes.Equal(b, s.Sig)) {
			t.Fatalf("test is wrong: %q does not decode to the signature", sig)
		}
		env, _ := json.Marshal(Envelope{Statement: s.Body, Signature: sig})
		_, err := OpenEnvelope(env)
		var fe *FieldError
		if !errors.As(err, &fe) || fe.Field != "signature" {
			t.Errorf("signature %q: %v, want a signature error", sig, err)
		}
	}
	env, _ := json.Marshal(Envelope{Statement: s.Body, Signature: good})
	if _, err := OpenEnvelope(env); err != nil {
		t.Fatal(err)
	}
}

// The byte scan that spares most statements the walk never misses a
// string the free-text rule refuses.
func FuzzTextRules(f *testing.F) {
	for _, s := range []string{"plain", "a\u202Eb", "x\r\ny", "x\ry", "\u200D", "\u0000", "\uFEFF", "\u2028", "\u0085", "“quotes”", "\u2069"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if !utf8.ValidString(s) || len(s) > 4096 {
			return // Canonical refuses invalid UTF-8, json.Marshal would replace it; long strings only cost time
		}
		doc, err := CanonicalValue(map[string]any{"payload": map[string]string{s: s}, "list": []string{"ok", s}})
		if err != nil {
			t.Fatal(err)
		}
		textErr := CheckText("x", s)
		if textErr != nil && !suspectBytes(doc) {
			t.Fatalf("%+q is refused (%v) but the scan passes it", s, textErr)
		}
		bodyErr := bodyText(doc)
		if (textErr == nil) != (bodyErr == nil) {
			t.Fatalf("%+q: CheckText %v, bodyText %v", s, textErr, bodyErr)
		}
		if CheckLabel("x", s) == nil && textErr != nil {
			t.Fatalf("%+q: a label accepts what text refuses", s)
		}
	})
}
