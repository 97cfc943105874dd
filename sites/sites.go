// Package sites is the registry of protected sites — power plants, nuclear
// plants, later water works and hospitals — that a ceasefire forbids
// striking, and the readers that import them from public data sets.
//
// Every reader takes an io.Reader and returns []Site. Errors name the line,
// row and column (as a *ledger.FieldError wrapped with that context), so an
// operator can fix the file. IDs come from the data, never from the order
// of reading, so importing a file twice yields the same sites.
package sites

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"sync"
	"unicode"

	"golang.org/x/text/language"
	"golang.org/x/text/language/display"
	"golang.org/x/text/unicode/norm"

	"truce/ledger"
	"truce/progress"
)

// Kinds of site.
const (
	KindNuclear  = "nuclear"
	KindEnergy   = "energy" // a power plant of any fuel but nuclear
	KindWater    = "water"
	KindHospital = "hospital"
)

// Site is one protected place.
type Site struct {
	ID, Name string
	Kind     string
	Lon, Lat float64
	// Country is ISO 3166-1 alpha-3.
	Country string
	// CapacityMW is 0 when the source does not state it.
	CapacityMW float64
	Fuel       string
	// Source names the data set, and after a colon the source it cites for
	// the row when it cites one.
	Source string
	// Units is the number of reactor units grouped into a nuclear site
	// (GeoNuclearData), 0 where the source has one row per plant.
	Units int
	// Status is the source's operating status where it gives one; for a
	// nuclear site, that of its most active unit.
	Status string
}

// Options tune a reader. The zero value reads every row and fails on the
// first row without a location.
type Options struct {
	// SkipUnlocated skips rows without usable coordinates — latitude or
	// longitude empty, or outside [-90, 90] / [-180, 180] — and reports
	// them in Stats.Skipped instead of failing. Text that is not a number
	// is still an error: the file is malformed, not just incomplete.
	SkipUnlocated bool
	// Countries keeps only rows of these countries, as ISO 3166-1 alpha-2
	// or alpha-3 codes ("UA", "RUS"); empty keeps all.
	Countries []string
	// Progress, if set, is called as input is consumed with the bytes read
	// so far and the input's size, or -1 when the reader cannot tell it
	// (sizes are known for *os.File, *bytes.Reader, *strings.Reader).
	Progress func(done, total int64)
}

// Stats says what a reader did with the rows it did not return as sites.
type Stats struct {
	Rows     int    // data rows read, the header excluded
	Skipped  []Skip // rows without usable coordinates (with SkipUnlocated)
	Filtered int    // rows of countries not asked for
}

// Skip is one row left out, with the reason (a line-numbered error).
type Skip struct {
	Line int
	Err  error
}

// table reads a CSV file by header name, for line-numbered errors.
type table struct {
	source string
	r      *csv.Reader
	header []string
	cols   map[string]int
	rec    []string
	row    int
	keep   map[string]bool // ISO3 codes; nil keeps all
}

func newTable(source string, in io.Reader, opt Options, required ...string) (*table, error) {
	keep, err := countrySet(opt.Countries)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", source, err)
	}
	if opt.Progress != nil {
		in = progress.Reader(in, opt.Progress)
	}
	r := csv.NewReader(in)
	r.ReuseRecord = true
	header, err := r.Read()
	if err == io.EOF {
		return nil, fmt.Errorf("%s: empty file, want a header row", source)
	}
	if err != nil {
		return nil, fmt.Errorf("%s: header: %w", source, err)
	}
	t := &table{source: source, r: r, header: append([]string(nil), header...), cols: map[string]int{}, keep: keep}
	for i, h := range t.header {
		h = strings.TrimSpace(strings.TrimPrefix(h, "\uFEFF")) // a BOM from spreadsheet exports
		t.header[i] = h
		if _, dup := t.cols[strings.ToLower(h)]; !dup {
			t.cols[strings.ToLower(h)] = i
		}
	}
	var missing []string
	for _, c := range required {
		if _, ok := t.cols[strings.ToLower(c)]; !ok {
			missing = append(missing, strconv.Quote(c))
		}
	}
	if len(missing) > 0 {
		return nil, fmt.Errorf("%s: line 1: %w", source, ledger.Invalid("", "header lacks column %s", strings.Join(missing, ", ")))
	}
	return t, nil
}

// next reads the next row; false at the end of the file.
func (t *table) next() (bool, error) {
	rec, err := t.r.Read()
	if err == io.EOF {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("%s: %w", t.source, err) // *csv.ParseError names the line
	}
	t.rec = rec
	t.row++
	return true, nil
}

// get is a column's trimmed value; "" for a column the header lacks.
func (t *table) get(col string) string {
	i, ok := t.cols[strings.ToLower(col)]
	if !ok || i >= len(t.rec) {
		return ""
	}
	return strings.TrimSpace(t.rec[i])
}

// line is where col of the current row starts in the file.
func (t *table) line(col string) int {
	i, ok := t.cols[strings.ToLower(col)]
	if !ok {
		i = 0
	}
	line, _ := t.r.FieldPos(i)
	return line
}

// invalid is a validation error for col of the current row.
func (t *table) invalid(col, format string, args ...any) error {
	name := col
	if i, ok := t.cols[strings.ToLower(col)]; ok {
		name = t.header[i]
	}
	return fmt.Errorf("%s: line %d (row %d): %w", t.source, t.line(col), t.row, ledger.Invalid(name, format, args...))
}

// errUnlocated marks errors that SkipUnlocated turns into skips.
var errUnlocated = errors.New("no usable coordinates")

type unlocated struct{ err error }

func (u unlocated) Error() string   { return u.err.Error() }
func (u unlocated) Unwrap() []error { return []error{u.err, errUnlocated} }

// coords parses the row's position. Missing or out-of-range coordinates
// wrap errUnlocated.
func (t *table) coords(latCol, lonCol string) (lon, lat float64, err error) {
	lat, err = t.coord(latCol, 90)
	if err != nil {
		return 0, 0, err
	}
	lon, err = t.coord(lonCol, 180)
	return lon, lat, err
}

func (t *table) coord(col string, limit float64) (float64, error) {
	s := t.get(col)
	if s == "" {
		return 0, unlocated{t.invalid(col, "is empty: the row has no location")}
	}
	v, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsNaN(v) || math.IsInf(v, 0) {
		return 0, t.invalid(col, "%q is not a number", s)
	}
	if v < -limit || v > limit {
		return 0, unlocated{t.invalid(col, "%g is outside [-%g, %g]", v, limit, limit)}
	}
	return v, nil
}

// capacity parses a capacity in MW; empty is unknown, 0.
func (t *table) capacity(col string) (float64, error) {
	s := t.get(col)
	if s == "" {
		return 0, nil
	}
	v, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsNaN(v) || math.IsInf(v, 0) {
		return 0, t.invalid(col, "%q is not a number", s)
	}
	if v < 0 {
		return 0, t.invalid(col, "%g is negative", v)
	}
	return v, nil
}

// required is a column's value, which must not be empty.
func (t *table) required(col string) (string, error) {
	s := t.get(col)
	if s == "" {
		return "", t.invalid(col, "is empty")
	}
	return s, nil
}

// country resolves col (an alpha-2 or alpha-3 code, or an English country
// name) to alpha-3, and reports whether the caller wants that country.
func (t *table) country(col string) (string, bool, error) {
	s := t.get(col)
	if s == "" {
		return "", false, t.invalid(col, "is empty")
	}
	iso3, ok := iso3Of(s)
	if !ok {
		return "", false, t.invalid(col, "%q is not a country code or name we know", s)
	}
	return iso3, t.keep == nil || t.keep[iso3], nil
}

// skipOrFail turns an unlocated row into a Skip when asked to.
func skipOrFail(st *Stats, opt Options, line int, err error) error {
	if opt.SkipUnlocated && errors.Is(err, errUnlocated) {
		st.Skipped = append(st.Skipped, Skip{Line: line, Err: err})
		return nil
	}
	return err
}

func countrySet(codes []string) (map[string]bool, error) {
	if len(codes) == 0 {
		return nil, nil
	}
	set := map[string]bool{}
	for _, c := range codes {
		r, err := language.ParseRegion(strings.TrimSpace(c))
		if err != nil || !r.IsCountry() {
			return nil, fmt.Errorf("country filter: %q is not an ISO 3166-1 code", c)
		}
		set[r.ISO3()] = true
	}
	return set, nil
}

// iso3Of accepts ISO codes and English names ("Ukraine", "Russia"): the
// WRI raw files name the country in full.
func iso3Of(s string) (string, bool) {
	if len(s) == 2 || len(s) == 3 {
		if r, err := language.ParseRegion(s); err == nil && r.IsCountry() {
			return r.ISO3(), true
		}
	}
	iso3, ok := countryNames()[strings.ToLower(s)]
	return iso3, ok
}

// countryNames maps lower-case English country names to alpha-3, built
// from the CLDR names x/text carries rather than a hand-kept table.
var countryNames = sync.OnceValue(func() map[string]string {
	m := map[string]string{}
	names := display.English.Regions()
	for a := 'A'; a <= 'Z'; a++ {
		for b := 'A'; b <= 'Z'; b++ {
			r, err := language.ParseRegion(string([]rune{a, b}))
			if err != nil || !r.IsCountry() {
				continue
			}
			if n := names.Name(r); n != "" {
				m[strings.ToLower(n)] = r.ISO3()
			}
		}
	}
	m["russian federation"] = "RUS" // the UN's name, common in energy data
	return m
})

// slug is an ASCII, lower-case, hyphenated form of s for IDs.
func slug(s string) string {
	var b strings.Builder
	hyphen := false
	for _, r := range norm.NFD.String(s) {
		switch {
		case unicode.Is(unicode.Mn, r): // accents, dropped after NFD split them off
		case r < unicode.MaxASCII && (unicode.IsLetter(r) || unicode.IsDigit(r)):
			if hyphen && b.Len() > 0 {
				b.WriteByte('-')
			}
			hyphen = false
			b.WriteRune(unicode.ToLower(r))
		default:
			hyphen = true
		}
	}
	return b.String()
}

func kindOfFuel(fuel string) string {
	if strings.EqualFold(fuel, "nuclear") {
		return KindNuclear
	}
	return KindEnergy
}

func source(dataset, cited string) string {
	if cited == "" {
		return dataset
	}
	return dataset + ": " + cited
}
