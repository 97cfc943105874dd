// Package wycheproof reads the Wycheproof Ed25519 test vectors from the
// shared data sets, for the tests of every verifier the project ships.
package wycheproof

import (
	"crypto/ed25519"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"testing"

	"truce/internal/shareddata"
)

// Load returns every vector of the shared data sets' file. Without the data
// sets, shareddata.Path skips tb and says why (or fails it when
// TRUCE_REQUIRE_SHARED=1).
func Load(tb testing.TB) []Vector {
	tb.Helper()
	vs, err := Ed25519(shareddata.Path(tb, "wycheproof-ed25519/ed25519_test.json"))
	if err != nil {
		tb.Fatal(err)
	}
	return vs
}

// Vector is one verification test.
type Vector struct {
	ID         int
	Key        []byte
	Msg, Sig   []byte
	WantsValid bool
}

// Ed25519 loads every vector of the file at path.
func Ed25519(path string) ([]Vector, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read the Wycheproof vectors: %w", err)
	}
	var file struct {
		Groups []struct {
			Key struct {
				PK string `json:"pk"`
			} `json:"publicKey"`
			Tests []struct {
				ID     int    `json:"tcId"`
				Msg    string `json:"msg"`
				Sig    string `json:"sig"`
				Result string `json:"result"`
			} `json:"tests"`
		} `json:"testGroups"`
	}
	if err := json.Unmarshal(raw, &file); err != nil {
		return nil, err
	}
	var out []Vector
	for _, g := range file.Groups {
		key, _ := hex.DecodeString(g.Key.PK)
		for _, t := range g.Tests {
			msg, _ := hex.DecodeString(t.Msg)
			sig, _ := hex.DecodeString(t.Sig)
			out = append(out, Vector{ID: t.ID, Key: key, Msg: msg, Sig: sig, WantsValid: t.Result == "valid"})
		}
	}
	return out, nil
}

// Count is how many vectors the shared data sets' file holds. A test that
// saw fewer would pass on part of the file.
const Count = 151

// Check runs every vector through verify, the raw ed25519 check of one of
// the verifiers we ship, and fails t for each verdict that is not the
// expected one (the malleable, non-canonical S and wrong-length cases
// included) and for each vector that makes verify panic. It skips t as Load
// does when a clone has no shared data.
func Check(t *testing.T, verify func(key ed25519.PublicKey, msg, sig []byte) bool) {
	t.Helper()
	vs := Load(t)
	for _, v := range vs {
		got, panicked := run(verify, v)
		switch {
		case panicked != nil:
			t.Errorf("tcId %d: the verifier panicked: %v", v.ID, panicked)
		case got != v.WantsValid:
			t.Errorf("tcId %d: verdict %v, want valid=%v", v.ID, got, v.WantsValid)
		}
	}
	if len(vs) != Count {
		t.Fatalf("%d vectors, want %d", len(vs), Count)
	}
}

func run(verify func(key ed25519.PublicKey, msg, sig []byte) bool, v Vector) (ok bool, panicked any) {
	defer func() { panicked = recover() }()
	return verify(v.Key, v.Msg, v.Sig), nil
}
