package party

import (
	"errors"
	"strings"
	"testing"

	"truce/ledger"
)

func TestRegisterNames(t *testing.T) {
	ok := Register{ID: "ua", Name: "Ukraine", Names: map[string]string{"uk": "Україна", "zh-Hans": "乌克兰"}, Kind: Belligerent}
	if err := ok.Validate(); err != nil {
		t.Fatalf("names in two languages: %v", err)
	}
	for _, c := range []struct {
		names map[string]string
		field string
	}{
		{map[string]string{"not a tag!": "x"}, "names"},
		{map[string]string{"uk": " "}, "names.uk"},
		{map[string]string{"ru": strings.Repeat("я", 101)}, "names.ru"},
		{map[string]string{"uk": "\xff"}, "names.uk"},
	} {
		r := ok
		r.Names = c.names
		var fe *ledger.FieldError
		if err := r.Validate(); !errors.As(err, &fe) || fe.Field != c.field {
			t.Errorf("names %q: %v, want an error at %s", c.names, err, c.field)
		}
	}
}
