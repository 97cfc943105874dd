package main

import (
	"fmt"
	"io"
	"os"
	"strings"
	"time"
)

// progress draws a one-line progress bar on a terminal, and stays quiet
// (one line at the end) when the output is not a terminal.
type progress struct {
	w     io.Writer
	label string
	tty   bool
	last  time.Time
	n, of int64
}

func newProgress(w io.Writer, label string) *progress {
	p := &progress{w: w, label: label}
	if f, ok := w.(*os.File); ok {
		if fi, err := f.Stat(); err == nil && fi.Mode()&os.ModeCharDevice != 0 {
			p.tty = true
		}
	}
	return p
}

func (p *progress) set(done, total int) { p.set64(int64(done), int64(total)) }

func (p *progress) set64(done, total int64) {
	p.n, p.of = done, total
	if !p.tty || (time.Since(p.last) < 100*time.Millisecond && done < total) {
		return
	}
	p.last = time.Now()
	const width = 30
	filled := 0
	if total > 0 {
		filled = int(done * width / total)
	}
	fmt.Fprintf(p.w, "\r%s [%s%s] %d/%d", p.label, strings.Repeat("#", filled), strings.Repeat(".", width-filled), done, total)
}

func (p *progress) done() {
	if p.tty {
		fmt.Fprintln(p.w)
		return
	}
	fmt.Fprintf(p.w, "%s %d/%d\n", p.label, p.n, p.of)
}

// countingReader reports bytes read, for upload progress.
type countingReader struct {
	r        io.Reader
	n, total int64
	progress func(done, total int)
}

func (c *countingReader) Read(b []byte) (int, error) {
	n, err := c.r.Read(b)
	c.n += int64(n)
	if c.progress != nil {
		c.progress(int(c.n), int(c.total))
	}
	return n, err
}

func readAll(r io.Reader) ([]byte, error) { return io.ReadAll(io.LimitReader(r, 16<<20)) }
