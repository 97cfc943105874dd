package ledger

import (
	"crypto/ed25519"
	"encoding/json"
	"testing"
)

func benchEnvelope(b *testing.B) ([]byte, ed25519.PublicKey) {
	pub, priv, _ := ed25519.GenerateKey(nil)
	st := testStatement()
	st.Payload = json.RawMessage(`{"type":"missile","observed_at":"2026-01-24T01:30:00Z","time_precision":"hour",
		"location":{"geometry":{"type":"Point","coordinates":[30.52,50.45]},"precision_m":2000,"place":"Kyiv"},
		"counts":{"launched":12,"intercepted":9},"weapon":"Kh-22","alleged_actor":"ru",
		"description":{"lang":"uk","text":"Ракетний удар по Києву: 12 ракет, 9 збито."}}`)
	s, err := Sign(st, priv)
	if err != nil {
		b.Fatal(err)
	}
	raw, _ := json.Marshal(s.Seal())
	return raw, pub
}

// BenchmarkCanonical: canonicalising a report-sized statement envelope.
func BenchmarkCanonical(b *testing.B) {
	raw, _ := benchEnvelope(b)
	b.SetBytes(int64(len(raw)))
	for b.Loop() {
		if _, err := Canonical(raw); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkOpenVerify: what the server does to a submitted envelope before
// the append: strict decode, canonicalise, parse and verify the signature.
func BenchmarkOpenVerify(b *testing.B) {
	raw, pub := benchEnvelope(b)
	for b.Loop() {
		s, err := OpenEnvelope(raw)
		if err != nil {
			b.Fatal(err)
		}
		if err := s.Verify(pub); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkVerify: ed25519 verification alone, the bound on ingest.
func BenchmarkVerify(b *testing.B) {
	raw, pub := benchEnvelope(b)
	s, _ := OpenEnvelope(raw)
	for b.Loop() {
		if err := s.Verify(pub); err != nil {
			b.Fatal(err)
		}
	}
}
