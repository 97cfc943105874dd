// Package i18n holds the message catalogues for text meant for people, in
// English, Ukrainian, Russian and Chinese, with CLDR plural rules.
package i18n

import (
	"embed"
	"encoding/json"
	"fmt"
	"os"
	"regexp"
	"strconv"
	"strings"

	"golang.org/x/text/language"
)

//go:embed catalog/*.json
var files embed.FS

// Languages are the supported catalogues, the first being the fallback.
var Languages = []string{"en", "uk", "ru", "zh"}

var (
	posixLocale = regexp.MustCompile(`^([a-zA-Z]{2,3}(?:_[a-zA-Z]{2})?)(?:\.[^@]*)?(?:@.*)?$`)
	catalogs    = map[string]map[string]json.RawMessage{}
	matcher     language.Matcher
)

func init() {
	tags := make([]language.Tag, len(Languages))
	for i, l := range Languages {
		raw, err := files.ReadFile("catalog/" + l + ".json")
		if err != nil {
			panic(err)
		}
		m := map[string]json.RawMessage{}
		if err := json.Unmarshal(raw, &m); err != nil {
			panic(fmt.Sprintf("catalog %s: %v", l, err))
		}
		catalogs[l] = m
		tags[i] = language.MustParse(l)
	}
	matcher = language.NewMatcher(tags)
}

// Printer renders messages in one language.
type Printer struct{ Lang string }

// For picks the best supported language for a list of preferences, such as
// an Accept-Language header or $LANG ("uk_UA.UTF-8").
func For(prefs ...string) Printer {
	var tags []language.Tag
	for _, p := range prefs {
		if m := posixLocale.FindStringSubmatch(p); m != nil {
			p = strings.ReplaceAll(m[1], "_", "-") // uk_UA.UTF-8 → uk-UA
		}
		if p == "" || p == "C" || p == "POSIX" {
			continue
		}
		if ts, _, err := language.ParseAcceptLanguage(p); err == nil {
			tags = append(tags, ts...)
		}
	}
	// The first preference the catalogues can serve wins; the matcher alone
	// would let an unsupported first choice pull in the fallback.
	for _, tag := range tags {
		if _, i, conf := matcher.Match(tag); conf >= language.High {
			return Printer{Lang: Languages[i]}
		}
	}
	return Printer{Lang: Languages[0]}
}

// FromEnv picks the language from LC_ALL, LC_MESSAGES and LANG.
func FromEnv() Printer {
	for _, v := range []string{"LC_ALL", "LC_MESSAGES", "LANG"} {
		if s := os.Getenv(v); s != "" {
			return For(s)
		}
	}
	return For()
}

// T renders the message key with fmt-style args. Keys missing in the
// language fall back to English, then to the key itself.
func (p Printer) T(key string, args ...any) string {
	var s string
	if raw, ok := lookup(p.Lang, key); ok && json.Unmarshal(raw, &s) == nil {
		return fmt.Sprintf(s, args...)
	}
	return key
}

// N renders a plural message: the catalogue entry is an object with CLDR
// plural categories (one, few, many, other), each a format taking n first.
func (p Printer) N(key string, n int, args ...any) string {
	raw, ok := lookup(p.Lang, key)
	var forms map[string]string
	if !ok || json.Unmarshal(raw, &forms) != nil {
		return key + " " + strconv.Itoa(n)
	}
	form, ok := forms[Plural(p.Lang, n)]
	if !ok {
		form = forms["other"]
	}
	return fmt.Sprintf(form, append([]any{n}, args...)...)
}

func lookup(lang, key string) (json.RawMessage, bool) {
	if raw, ok := catalogs[lang][key]; ok {
		return raw, true
	}
	raw, ok := catalogs["en"][key]
	return raw, ok
}

// Plural is the CLDR cardinal plural category of integer n in lang.
func Plural(lang string, n int) string {
	if n < 0 {
		n = -n
	}
	switch lang {
	case "zh":
		return "other"
	case "uk", "ru":
		switch {
		case n%10 == 1 && n%100 != 11:
			return "one"
		case n%10 >= 2 && n%10 <= 4 && (n%100 < 12 || n%100 > 14):
			return "few"
		default:
			return "many"
		}
	default:
		if n == 1 {
			return "one"
		}
		return "other"
	}
}

// Keys lists the keys of a catalogue, for tests that keep catalogues aligned.
func Keys(lang string) []string {
	var ks []string
	for k := range catalogs[lang] {
		ks = append(ks, k)
	}
	return ks
}

// Messages returns the catalogue entries of lang whose keys start with
// prefix, falling back to English for missing ones: the web console loads
// its texts this way.
func Messages(lang, prefix string) map[string]json.RawMessage {
	out := map[string]json.RawMessage{}
	for k, v := range catalogs["en"] {
		if strings.HasPrefix(k, prefix) {
			out[k] = v
		}
	}
	for k, v := range catalogs[lang] {
		if strings.HasPrefix(k, prefix) {
			out[k] = v
		}
	}
	return out
}
