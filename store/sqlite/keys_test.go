package sqlite_test

import (
	"context"
	"slices"
	"testing"

	"truce/store/sqlite"
	"truce/store/storetest"
)

// A database written before the key index existed gets it on opening, from
// the ledger, exactly as the fold would have written it: rotated-away keys
// included.
func TestKeyIndexFromOldDatabase(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	st, err := sqlite.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	f := storetest.NewFixture(t, st)
	if _, err := f.Centre.RotateKey(ctx, storetest.UARep, nil, "scheduled rotation"); err != nil {
		t.Fatal(err)
	}
	want, _ := st.Dump(ctx)
	if _, err := st.ExecForTest(ctx, `DROP TABLE member_keys`); err != nil {
		t.Fatal(err)
	}
	f.Centre.Close()
	st.Close()
	st, err = sqlite.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	got, _ := st.Dump(ctx)
	if !slices.Equal(got, want) {
		t.Fatalf("rebuilt key index differs:\n got %q\nwant %q", keyRows(got), keyRows(want))
	}
	if len(keyRows(got)) != len(f.Tokens)+1 { // every member's key, the operator's, and UARep's old one
		t.Fatalf("%d keys indexed, want %d", len(keyRows(got)), len(f.Tokens)+1)
	}
}

func keyRows(dump []string) []string {
	var out []string
	for _, r := range dump {
		if len(r) > 4 && r[:4] == "key " {
			out = append(out, r)
		}
	}
	return out
}
