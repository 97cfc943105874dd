package report

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os/exec"
	"sync"
	"time"

	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
)

// The PDF is the HTML page printed by a headless Chromium found at run
// time: it lays out Cyrillic and Chinese with the system's fonts, and the
// plots, drawn as SVG, stay vector art. Chromium rather than a PDF library
// because the page then exists once, and a library would need TrueType
// fonts for three scripts shipped or found by hand.

// ErrNoChromium: no Chromium to print with.
var ErrNoChromium = errors.New("the PDF is printed by Chromium, and none was found on PATH (chromium, chromium-browser or google-chrome; Debian: apt-get install chromium); JSON, CSV and HTML need nothing")

// ErrNoFont: the machine has no font for the report's language, and the
// PDF would print boxes in place of its text.
var ErrNoFont = errors.New("no font on this machine covers the report's language")

// Unprintable tells the errors that mean this machine cannot print the
// PDF (HTTP 501), not that the request was wrong.
func Unprintable(err error) bool { return errors.Is(err, ErrNoChromium) || errors.Is(err, ErrNoFont) }

// fontLangs are fontconfig's names for the catalogue's languages, and the
// Debian packages that cover them.
var fontLangs = map[string][2]string{
	"en": {"en", "fonts-dejavu-core"},
	"uk": {"uk", "fonts-dejavu-core"},
	"ru": {"ru", "fonts-dejavu-core"},
	"zh": {"zh-cn", "fonts-wqy-zenhei, fonts-noto-cjk or fonts-droid-fallback"},
}

// CheckFonts asks fontconfig, as Chromium does, whether a font covers
// lang. Without fontconfig's fc-list it cannot tell, and says so once in
// the log.
func CheckFonts(lang string) error {
	want, ok := fontLangs[lang]
	if !ok {
		return nil
	}
	fc, err := exec.LookPath("fc-list")
	if err != nil {
		noFontconfig.Do(func() {
			slog.Warn("fc-list (Debian: fontconfig) is not on PATH: PDFs are printed without checking that a font covers their language")
		})
		return nil
	}
	out, err := exec.Command(fc, ":lang="+want[0], "family").Output()
	if err != nil {
		return fmt.Errorf("list the fonts for %s: %w", lang, err)
	}
	if len(bytes.TrimSpace(out)) == 0 {
		return fmt.Errorf("%w (%s); install one (Debian: apt-get install %s), or ask for HTML, JSON or CSV", ErrNoFont, lang, want[1])
	}
	return nil
}

var noFontconfig sync.Once

// Browsers are the commands looked for, in order.
var Browsers = []string{"chromium", "chromium-browser", "google-chrome"}

// printing lets one Chromium run at a time: a report is printed rarely,
// and each run takes a few hundred megabytes.
var printing sync.Mutex

// ChromiumPath returns the browser PDF printing would use.
func ChromiumPath() (string, error) {
	for _, b := range Browsers {
		if p, err := exec.LookPath(b); err == nil {
			return p, nil
		}
	}
	return "", ErrNoChromium
}

// PDF prints an HTML page in lang (one that loads nothing from outside)
// to A4.
func PDF(ctx context.Context, html []byte, lang string) ([]byte, error) {
	path, err := ChromiumPath()
	if err != nil {
		return nil, err
	}
	if err := CheckFonts(lang); err != nil {
		return nil, err
	}
	printing.Lock()
	defer printing.Unlock()
	ctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(path), chromedp.NoSandbox,
		chromedp.Flag("headless", true), chromedp.Flag("disable-gpu", true), chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.Flag("disable-background-networking", true), chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true), chromedp.Flag("no-first-run", true))
	alloc, cancelAlloc := chromedp.NewExecAllocator(ctx, opts...)
	defer cancelAlloc()
	bctx, cancelBrowser := chromedp.NewContext(alloc)
	defer cancelBrowser()
	var pdf []byte
	err = chromedp.Run(bctx,
		chromedp.Navigate("about:blank"),
		chromedp.ActionFunc(func(ctx context.Context) error {
			tree, err := page.GetFrameTree().Do(ctx)
			if err != nil {
				return err
			}
			return page.SetDocumentContent(tree.Frame.ID, string(html)).Do(ctx)
		}),
		chromedp.ActionFunc(func(ctx context.Context) error {
			var err error
			pdf, _, err = page.PrintToPDF().WithPrintBackground(true).WithPaperWidth(8.27).WithPaperHeight(11.69).
				WithMarginTop(0.5).WithMarginBottom(0.5).WithMarginLeft(0.5).WithMarginRight(0.5).Do(ctx)
			return err
		}))
	if err != nil {
		return nil, fmt.Errorf("print the report with %s: %w", path, err)
	}
	return pdf, nil
}
