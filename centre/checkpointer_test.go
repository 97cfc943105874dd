package centre_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"truce/store/sqlite"
	"truce/store/storetest"
	"truce/witness"
)

// A witness that answers 200 without its own cosignature records nothing
// and cannot spoil the checkpoint for the witnesses that do cosign.
func TestBadWitnessIsIgnored(t *testing.T) {
	st, err := sqlite.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	f := storetest.NewFixture(t, st)
	ctx := context.Background()
	skey, vkey, _ := witness.NewKeys("good")
	good, err := witness.New(t.TempDir(), skey, map[string]string{f.Centre.Log.Origin: f.Centre.Log.VKey})
	if err != nil {
		t.Fatal(err)
	}
	goodSrv := httptest.NewServer(good)
	defer goodSrv.Close()
	_, badKey, _ := witness.NewKeys("bad")
	badSrv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte("\n— bad AAAA\n")) // 200, but no valid cosignature
	}))
	defer badSrv.Close()
	f.Centre.Log.SetWitnesses(&witness.Config{
		Witnesses: []witness.Member{{Name: "good", Key: vkey, URL: goodSrv.URL}, {Name: "bad", Key: badKey, URL: badSrv.URL}},
		Policy:    []witness.Group{{Group: "g", Threshold: 1, Witnesses: []string{"good"}}},
	})
	f.Walk(t)
	signed, err := f.Centre.Log.Checkpoint(ctx)
	if err != nil || signed == nil {
		t.Fatal(err)
	}
	f.Centre.Log.Collect(ctx, signed)
	size, verdict, err := f.Centre.Log.Status(ctx)
	if err != nil || verdict == nil || !verdict.Final {
		t.Fatalf("size %d: %v %v", size, verdict, err)
	}
	published, _, err := f.Centre.Log.Published(ctx)
	if err != nil || strings.Count(string(published), "\n— ") != 2 {
		t.Fatalf("published checkpoint:\n%s\n%v", published, err)
	}
}
