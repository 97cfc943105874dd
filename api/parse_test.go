package api

import (
	"errors"
	"math"
	"testing"

	"truce/ledger"
)

func FuzzParseBBox(f *testing.F) {
	for _, s := range []string{"29,46,41,52", "-180,-90,180,90", "1,2,3", "a,b,c,d", "NaN,0,1,1", "1e999,0,1,1", "30,48,29,47"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		b, err := parseBBox(s)
		if err != nil {
			var fe *ledger.FieldError
			if !errors.As(err, &fe) || fe.Field != "bbox" {
				t.Fatalf("error does not name bbox: %v", err)
			}
			return
		}
		for _, x := range b {
			if math.IsNaN(x) || math.IsInf(x, 0) {
				t.Fatalf("accepted %v", b)
			}
		}
		if b[0] > b[2] || b[1] > b[3] || b[0] < -180 || b[2] > 180 || b[1] < -90 || b[3] > 90 {
			t.Fatalf("accepted %v", b)
		}
	})
}

func FuzzParseTilePath(f *testing.F) {
	for _, s := range []string{"0/000", "1/x001/234.p/17", "entries/x123/456", "entries/000.p/255", "0/000.p/256", "x/y", "63/x999/999"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, p string) {
		level, n, width, err := parseTilePath(p)
		if err != nil {
			return
		}
		if level < -1 || level > 63 || n < 0 || width < 1 || width > 256 {
			t.Fatalf("%q parsed to level %d, n %d, width %d", p, level, n, width)
		}
	})
}
