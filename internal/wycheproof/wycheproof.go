// Package wycheproof reads the Wycheproof Ed25519 test vectors from the
// shared data sets, for the tests of every verifier the project ships.
package wycheproof

import (
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"testing"

	"truce/internal/shareddata"
)

// Load returns every vector of the shared data sets' file, or skips tb when
// a clone has no ../shared/data (fails it under TRUCE_REQUIRE_SHARED=1).
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
		return nil, fmt.Errorf("the Wycheproof vectors belong in ../shared/data: %w", err)
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
