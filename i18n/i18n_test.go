package i18n

import (
	"encoding/json"
	"maps"
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

// Every plural message has the forms its language needs: an "other" to
// fall back on, and, where a language distinguishes them (one, few and many
// in Ukrainian and Russian; one in English), either all of those forms or
// none, so that no count quietly falls back to a form of the wrong number.
func TestPluralForms(t *testing.T) {
	need := map[string][]string{"en": {"one"}, "uk": {"one", "few", "many"}, "ru": {"one", "few", "many"}, "zh": nil}
	for _, l := range Languages {
		for k, raw := range catalogs[l] {
			if !strings.HasPrefix(string(raw), "{") {
				continue
			}
			var forms map[string]string
			if err := json.Unmarshal(raw, &forms); err != nil {
				t.Errorf("%s %s: %v", l, k, err)
				continue
			}
			if forms["other"] == "" {
				t.Errorf("%s %s: no other form", l, k)
			}
			has := 0
			for _, f := range need[l] {
				if forms[f] != "" {
					has++
				}
			}
			if has != 0 && has != len(need[l]) {
				t.Errorf("%s %s: forms %v, want all or none of %v", l, k, slices.Sorted(maps.Keys(forms)), need[l])
			}
			for f := range forms {
				if !slices.Contains(append([]string{"other"}, need[l]...), f) {
					t.Errorf("%s %s: form %q is not a plural category of %s", l, k, f, l)
				}
			}
			// Plural messages are plural in every language, or in none.
			if en := catalogs["en"][k]; !strings.HasPrefix(string(en), "{") {
				t.Errorf("%s %s: plural here, not in English", l, k)
			}
		}
	}
}

// The CLI's counted messages agree with their numbers.
func TestCountedMessages(t *testing.T) {
	en, uk, ru := Printer{Lang: "en"}, Printer{Lang: "uk"}, Printer{Lang: "ru"}
	for _, c := range []struct{ got, want string }{
		{en.N("eval.summary", 1, 0, "2ms"), "1 event, 0 with possible violations, in 2ms"},
		{en.N("eval.summary", 3, 1, "2ms"), "3 events, 1 with possible violations, in 2ms"},
		{uk.N("eval.summary", 21, 1, "2ms"), "21 подія, з можливими порушеннями: 1, за 2ms"},
		{ru.N("eval.summary", 5, 1, "2ms"), "5 событий, с возможными нарушениями: 1, за 2ms"},
		{en.N("eval.outside", 1), "1 event was observed outside the agreement's effective window and is not judged (--at judges it as if in force)."},
		{en.N("evidence.stored", 1, "ab12"), "Stored evidence ab12 (1 byte)."},
		{ru.N("evidence.stored", 3, "ab12"), "Сохранено доказательство ab12 (3 байта)."},
		{en.T("audit.summary", en.N("audit.entries", 1), en.N("audit.checkpoints", 2), "r"), "1 entry, 2 checkpoints, root r"},
		{uk.T("audit.summary", uk.N("audit.entries", 2), uk.N("audit.checkpoints", 5), "r"), "2 записи, 5 контрольних точок, корінь r"},
		{en.N("count.impacts", 1), "1 impact"},
		{uk.N("count.impacts", 1), "влучань: 1"},
		{en.T("step.done", "incident.finding", 7, en.T("step.state.finding", "inc-3")), "Recorded incident.finding at ledger index 7: inc-3 has a finding, awaiting publication."},
		{en.T("import.line_done", en.N("import.n_parts", 1), en.N("import.n_vertices", 1), 2.0), "Line of contact: 1 part, 1 vertex, 2 km."},
	} {
		if c.got != c.want {
			t.Errorf("%q, want %q", c.got, c.want)
		}
	}
}
