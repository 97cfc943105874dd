package report

import (
	"context"
	"errors"
	"fmt"
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

// PDF prints an HTML page (one that loads nothing from outside) to A4.
func PDF(ctx context.Context, html []byte) ([]byte, error) {
	path, err := ChromiumPath()
	if err != nil {
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
