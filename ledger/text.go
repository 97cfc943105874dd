package ledger

import (
	"bytes"
	"errors"
	"fmt"
	"strconv"
	"unicode"
	"unicode/utf8"
)

// The characters the record refuses in text. What a reader sees must be
// what the signed bytes say, so characters that reorder, hide or overwrite
// text on a screen or a terminal are refused rather than kept and flagged:
// a flag travels less far than the text it is attached to. See "Text" in
// docs/statements.md.
//
// Every string of every statement (values and keys, at any depth) is held
// to the free-text rule; CheckText applies it to one field. Names, titles,
// places and file names are held to the stricter label rule (CheckLabel).

// textRefusal says why r is refused in any text, or "" when it is not.
// next is the character after r (utf8.RuneError at the end).
func textRefusal(r, next rune) string {
	switch {
	case r == '\t' || r == '\n':
		return ""
	case r == '\r':
		if next == '\n' {
			return ""
		}
		return "a carriage return is allowed only before a line feed (\\r\\n): alone, it overwrites a line on a terminal"
	case r < 0x20 || 0x7F <= r && r <= 0x9F:
		return "control characters are refused in text (tab, line feed and \\r\\n excepted)"
	case 0x202A <= r && r <= 0x202E || 0x2066 <= r && r <= 0x2069:
		return "bidi embedding, override and isolate controls are refused: they reorder what a reader sees"
	case 0x206A <= r && r <= 0x206F:
		return "deprecated format characters are refused: they change how text is shaped"
	case r == 0xFEFF:
		return "a byte-order mark or zero-width no-break space is refused: it is invisible"
	case r == 0x200B || r == 0x2060:
		return "zero-width spaces and word joiners are refused: they are invisible, and no script needs them to be spelled"
	case r == 0x2028 || r == 0x2029:
		return "line and paragraph separators are refused: write a line break as \\n"
	case 0xFFF9 <= r && r <= 0xFFFB:
		return "interlinear annotation characters are refused: they hide text"
	}
	return ""
}

// labelRefusal says why r is refused in a label (a name, title, place or
// file name), or "" when it is not: everything refused in text, and every
// control, format character (zero-width joiners and directional marks
// among them) and line or paragraph separator.
func labelRefusal(r, next rune) string {
	switch {
	case r == '\t' || r == '\n' || r == '\r':
		return "a name or title is one line: tabs and line breaks are refused"
	case r == 0x200C || r == 0x200D:
		return "zero-width joiners are refused in names and titles: two names that look the same must be the same"
	case r == 0x200E || r == 0x200F || r == 0x061C:
		return "directional marks are refused in names and titles: two names that look the same must be the same"
	}
	if why := textRefusal(r, next); why != "" {
		return why
	}
	if unicode.In(r, unicode.Cc, unicode.Cf, unicode.Zl, unicode.Zp) {
		return "invisible format characters are refused in names and titles"
	}
	return ""
}

// CheckText checks free text (a description, a finding, a response, a
// note): the error names field and the position of the first refused
// character. Invalid UTF-8 is refused too.
func CheckText(field, s string) error { return check(field, s, textRefusal) }

// CheckLabel checks a one-line label: a name, a title, a place, a file name.
func CheckLabel(field, s string) error { return check(field, s, labelRefusal) }

func check(field, s string, refusal func(r, next rune) string) error {
	// Fast path: printable ASCII needs no look at the tables.
	i := 0
	for i < len(s) && 0x20 <= s[i] && s[i] < 0x7F {
		i++
	}
	if i == len(s) {
		return nil
	}
	n := i // characters before s[i]: all ASCII so far
	for i < len(s) {
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size <= 1 {
			return Invalid(field, "character %d is not valid UTF-8", n+1)
		}
		next, _ := utf8.DecodeRuneInString(s[i+size:])
		if why := refusal(r, next); why != "" {
			return Invalid(field, "character %d is %s: %s", n+1, describeRune(r), why)
		}
		i += size
		n++
	}
	return nil
}

// runeNames names the characters refused most often.
var runeNames = map[rune]string{
	0x00: "NUL", 0x07: "BELL", 0x08: "BACKSPACE", 0x09: "TAB", 0x0A: "LINE FEED", 0x0B: "LINE TABULATION",
	0x0C: "FORM FEED", 0x0D: "CARRIAGE RETURN", 0x1B: "ESCAPE", 0x7F: "DELETE", 0x9B: "CONTROL SEQUENCE INTRODUCER",
	0x061C: "ARABIC LETTER MARK", 0x200B: "ZERO WIDTH SPACE", 0x200C: "ZERO WIDTH NON-JOINER", 0x200D: "ZERO WIDTH JOINER",
	0x200E: "LEFT-TO-RIGHT MARK", 0x200F: "RIGHT-TO-LEFT MARK", 0x2028: "LINE SEPARATOR", 0x2029: "PARAGRAPH SEPARATOR",
	0x202A: "LEFT-TO-RIGHT EMBEDDING", 0x202B: "RIGHT-TO-LEFT EMBEDDING", 0x202C: "POP DIRECTIONAL FORMATTING",
	0x202D: "LEFT-TO-RIGHT OVERRIDE", 0x202E: "RIGHT-TO-LEFT OVERRIDE", 0x2060: "WORD JOINER",
	0x2066: "LEFT-TO-RIGHT ISOLATE", 0x2067: "RIGHT-TO-LEFT ISOLATE", 0x2068: "FIRST STRONG ISOLATE",
	0x2069: "POP DIRECTIONAL ISOLATE", 0xFEFF: "ZERO WIDTH NO-BREAK SPACE (BYTE ORDER MARK)",
}

func describeRune(r rune) string {
	if name, ok := runeNames[r]; ok {
		return fmt.Sprintf("U+%04X (%s)", r, name)
	}
	return fmt.Sprintf("U+%04X", r)
}

// bodyText checks every string of a canonical JSON statement, keys
// included, against the free-text rule; errors name the string by its path
// ("payload.description.text"). Canonical JSON escapes only '"', '\\' and
// controls, so a scan of the raw bytes finds every candidate, and only then
// is the document walked for the path.
func bodyText(c []byte) error {
	if !suspectBytes(c) {
		return nil
	}
	return walkStrings(c, "", CheckText)
}

// suspectBytes reports whether canonical JSON c may hold a string that
// textRefusal refuses: an escaped control other than \t and \n, a \r, DEL,
// or the first bytes of a C1 control or of a refused character from
// U+2000 to U+206F or U+FE00 to U+FFFF. A false positive only costs a walk.
func suspectBytes(c []byte) bool {
	for i := 0; i < len(c); i++ {
		switch b := c[i]; {
		case b == '\\':
			if i+1 < len(c) {
				switch c[i+1] {
				case 'u', 'b', 'f', 'r':
					return true
				}
			}
			i++
		case b == 0x7F:
			return true
		case b == 0xC2 && i+1 < len(c) && c[i+1] <= 0x9F:
			return true
		case b == 0xE2 && i+1 < len(c) && (c[i+1] == 0x80 || c[i+1] == 0x81):
			if i+2 < len(c) {
				t := rune(c[i+1]&0x3F)<<6 | rune(c[i+2]&0x3F) // low 12 bits after 0x2000
				if r := 0x2000 + t; textRefusal(r, 0) != "" {
					return true
				}
			}
		case b == 0xEF && i+1 < len(c) && (c[i+1] == 0xBB || c[i+1] == 0xBF):
			return true
		}
	}
	return false
}

// walkStrings calls fn with the path and value of every string in the
// canonical JSON value c, and with the path of its object and each key.
func walkStrings(c []byte, path string, fn func(path, s string) error) error {
	if len(c) == 0 {
		return nil
	}
	switch c[0] {
	case '"':
		s, err := unquote(c)
		if err != nil {
			return Invalid(path, "unreadable string")
		}
		return fn(path, s)
	case '{':
		for i := 1; i < len(c)-1; {
			kEnd := skipString(c, i)
			key, err := unquote(c[i:kEnd])
			if err != nil {
				return Invalid(path, "unreadable key")
			}
			if err := fn(path, key); err != nil {
				var fe *FieldError
				if errors.As(err, &fe) {
					return Invalid(path, "key %q: %s", key, fe.Reason)
				}
				return err
			}
			vEnd := skipValue(c, kEnd+1)
			if err := walkStrings(c[kEnd+1:vEnd], joinField(path, key), fn); err != nil {
				return err
			}
			i = vEnd + 1 // past the comma
		}
	case '[':
		n := 0
		for i := 1; i < len(c)-1; n++ {
			end := skipValue(c, i)
			if err := walkStrings(c[i:end], fmt.Sprintf("%s[%d]", path, n), fn); err != nil {
				return err
			}
			i = end + 1
		}
	}
	return nil
}

// unquote reads a canonical JSON string, which escapes only '"', '\\' and
// controls (as \b, \t, \n, \f, \r or \u00XX): Go's escapes read the same.
func unquote(raw []byte) (string, error) {
	if len(raw) < 2 || raw[0] != '"' || raw[len(raw)-1] != '"' {
		return "", errors.New("not a string")
	}
	if bytes.IndexByte(raw, '\\') < 0 {
		return string(raw[1 : len(raw)-1]), nil
	}
	return strconv.Unquote(string(raw))
}
