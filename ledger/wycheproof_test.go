package ledger

import (
	"encoding/hex"
	"encoding/json"
	"os"
	"testing"
)

// WycheproofVector is one Ed25519 verification test.
type wycheproofVector struct {
	ID     int    `json:"tcId"`
	Msg    string `json:"msg"`
	Sig    string `json:"sig"`
	Result string `json:"result"`
}

// loadWycheproof reads the vectors from the shared data sets.
func loadWycheproof(t *testing.T) map[string][]wycheproofVector {
	raw, err := os.ReadFile("../../shared/data/wycheproof-ed25519/ed25519_test.json")
	if err != nil {
		t.Fatalf("the Wycheproof vectors belong in ../shared/data: %v", err)
	}
	var file struct {
		Groups []struct {
			Key struct {
				PK string `json:"pk"`
			} `json:"publicKey"`
			Tests []wycheproofVector `json:"tests"`
		} `json:"testGroups"`
	}
	if err := json.Unmarshal(raw, &file); err != nil {
		t.Fatal(err)
	}
	out := map[string][]wycheproofVector{}
	for _, g := range file.Groups {
		out[g.Key.PK] = append(out[g.Key.PK], g.Tests...)
	}
	return out
}

// Every Wycheproof Ed25519 vector gets its expected verdict from the
// verifier behind statement signatures.
func TestWycheproofEd25519(t *testing.T) {
	n := 0
	for pk, tests := range loadWycheproof(t) {
		pub, _ := hex.DecodeString(pk)
		for _, v := range tests {
			msg, _ := hex.DecodeString(v.Msg)
			sig, _ := hex.DecodeString(v.Sig)
			if got := VerifySignature(pub, msg, sig); got != (v.Result == "valid") {
				t.Errorf("tcId %d: verdict %v, want %s", v.ID, got, v.Result)
			}
			n++
		}
	}
	if n != 151 {
		t.Fatalf("%d vectors, want 151", n)
	}
}
