package i18n

import (
	"regexp"
	"slices"
	"strings"
	"testing"
)

func TestCataloguesAgree(t *testing.T) {
	en := Keys("en")
	slices.Sort(en)
	for _, l := range Languages[1:] {
		ks := Keys(l)
		slices.Sort(ks)
		if !slices.Equal(en, ks) {
			t.Errorf("catalogue %s has different keys from en", l)
		}
		for _, k := range en {
			if a, b := verbs.FindAllString(string(catalogs["en"][k]), -1), verbs.FindAllString(string(catalogs[l][k]), -1); !slices.Equal(a, b) && !strings.HasPrefix(string(catalogs[l][k]), "{") {
				t.Errorf("%s %s: format verbs %v, English has %v", l, k, b, a)
			}
		}
	}
}

func TestPlurals(t *testing.T) {
	cases := []struct {
		lang string
		n    int
		want string
	}{
		{"en", 1, "1 incident"}, {"en", 2, "2 incidents"}, {"en", 0, "0 incidents"},
		{"uk", 1, "1 інцидент"}, {"uk", 3, "3 інциденти"}, {"uk", 5, "5 інцидентів"}, {"uk", 11, "11 інцидентів"}, {"uk", 21, "21 інцидент"}, {"uk", 22, "22 інциденти"},
		{"ru", 1, "1 инцидент"}, {"ru", 4, "4 инцидента"}, {"ru", 12, "12 инцидентов"}, {"ru", 101, "101 инцидент"},
	}
	for _, c := range cases {
		if got := (Printer{Lang: c.lang}).N("list.count", c.n); got != c.want {
			t.Errorf("%s %d: %q, want %q", c.lang, c.n, got, c.want)
		}
	}
	if got := (Printer{Lang: "zh"}).N("list.count", 3); !strings.Contains(got, "3") {
		t.Errorf("zh: %q", got)
	}
}

func TestNegotiation(t *testing.T) {
	for in, want := range map[string]string{"uk_UA.UTF-8": "uk", "ru-RU,ru;q=0.9,en;q=0.5": "ru", "zh-Hans-CN": "zh", "de-DE": "en", "": "en", "C": "en", "fr;q=0.9, uk;q=0.8": "uk"} {
		if got := For(in).Lang; got != want {
			t.Errorf("For(%q) = %s, want %s", in, got, want)
		}
	}
}

var verbs = regexp.MustCompile(`%[-+# 0-9.]*[a-zA-Z]`)
