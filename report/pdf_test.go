package report

import (
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"truce/incident"
)

// needPDFTools skips, saying why, where Chromium or poppler's tools are
// missing; .ci/run installs them and sets TRUCE_REQUIRE_PDF=1.
func needPDFTools(t *testing.T) {
	t.Helper()
	missing := []string{}
	if _, err := ChromiumPath(); err != nil {
		missing = append(missing, "chromium")
	}
	for _, tool := range []string{"pdftotext", "pdftoppm"} {
		if _, err := exec.LookPath(tool); err != nil {
			missing = append(missing, tool+" (poppler-utils)")
		}
	}
	if len(missing) > 0 {
		if os.Getenv("TRUCE_REQUIRE_PDF") != "" {
			t.Fatalf("TRUCE_REQUIRE_PDF is set, and %s are missing", strings.Join(missing, ", "))
		}
		t.Skipf("the PDF test needs %s: not found", strings.Join(missing, ", "))
	}
}

// The PDF, printed by Chromium, holds the Chinese and the Ukrainian titles
// and the counts as text (pdftotext), and its first page renders
// (pdftoppm), saved beside the browser tests' screenshots.
func TestPDF(t *testing.T) {
	needPDFTools(t)
	incs := []*incident.Incident{
		inc(1, at("2026-02-03 10:00:00"), incident.Shelling, "ru", incident.Reported),
		inc(2, at("2026-02-03 11:00:00"), incident.Shelling, "ru", incident.Reported),
		inc(3, at("2026-02-02 11:00:00"), incident.Drone, "ua", incident.Reported),
	}
	r := Build(Input{Config: Default(), Date: day("2026-02-03"), Audience: Internal, Incidents: incs})
	dir := t.TempDir()
	for _, c := range []struct{ lang, title, total string }{
		{"zh", "2026-02-03 每日报告", "事件: 2"},
		{"uk", "Щоденний звіт за 2026-02-03", "Інциденти: 2"},
	} {
		html, err := r.HTML(c.lang)
		if err != nil {
			t.Fatal(err)
		}
		pdf, err := PDF(context.Background(), html, c.lang)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.HasPrefix(pdf, []byte("%PDF-")) {
			t.Fatalf("%s: not a PDF: %.20q", c.lang, pdf)
		}
		path := filepath.Join(dir, "sitrep-"+c.lang+".pdf")
		os.WriteFile(path, pdf, 0o644)
		text, err := exec.Command("pdftotext", "-layout", path, "-").Output()
		if err != nil {
			t.Fatal(err)
		}
		flat := strings.Join(strings.Fields(string(text)), " ")
		for _, want := range []string{c.title, strings.Join(strings.Fields(c.total), " "), "inc-1", "inc-2"} {
			if !strings.Contains(flat, want) {
				t.Errorf("%s: the PDF's text lacks %q:\n%s", c.lang, want, text)
			}
		}
		art := os.Getenv("TRUCE_ARTIFACTS")
		if art == "" {
			art = filepath.Join(os.TempDir(), "truce-ui-artifacts")
		}
		os.MkdirAll(art, 0o755)
		if out, err := exec.Command("pdftoppm", "-png", "-r", "60", "-f", "1", "-l", "1", path, filepath.Join(art, "TestPDF-"+c.lang)).CombinedOutput(); err != nil {
			t.Fatalf("pdftoppm: %v %s", err, out)
		}
		if m, _ := filepath.Glob(filepath.Join(art, "TestPDF-"+c.lang+"*.png")); len(m) == 0 {
			t.Errorf("%s: pdftoppm drew no page", c.lang)
		}
	}
}

// A machine whose fontconfig knows no font for the language refuses the
// PDF with a message that names the package to install, rather than
// printing boxes; with the machine's fonts, each language has one.
func TestPDFWithoutFont(t *testing.T) {
	if _, err := exec.LookPath("fc-list"); err != nil {
		if os.Getenv("TRUCE_REQUIRE_PDF") != "" {
			t.Fatal("TRUCE_REQUIRE_PDF is set, and fc-list (fontconfig) is missing")
		}
		t.Skip("the font check needs fc-list (Debian: fontconfig): not found")
	}
	if os.Getenv("TRUCE_REQUIRE_PDF") != "" {
		for _, lang := range []string{"en", "uk", "ru", "zh"} {
			if err := CheckFonts(lang); err != nil {
				t.Errorf("%s: %v", lang, err)
			}
		}
	}
	conf := filepath.Join(t.TempDir(), "fonts.conf")
	if err := os.WriteFile(conf, []byte(`<?xml version="1.0"?><fontconfig></fontconfig>`), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Setenv("FONTCONFIG_FILE", conf)
	err := CheckFonts("zh")
	if !errors.Is(err, ErrNoFont) || !Unprintable(err) || !strings.Contains(err.Error(), "fonts-wqy-zenhei") {
		t.Fatalf("no fonts at all: %v", err)
	}
	if _, err := ChromiumPath(); err == nil {
		if _, err := PDF(context.Background(), []byte("<p>无</p>"), "zh"); !errors.Is(err, ErrNoFont) {
			t.Fatalf("a Chinese PDF without a Chinese font: %v", err)
		}
	}
}
