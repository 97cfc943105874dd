// Package progress counts what an importer has read of its input, so that a
// terminal can show how far a long import has come.
package progress

import (
	"io"
	"io/fs"
)

// Reader wraps r and calls report after each read with the bytes read so far
// and r's size: -1 when r cannot tell (sizes are known for files and for
// readers with a Size method, such as *bytes.Reader and *strings.Reader).
func Reader(r io.Reader, report func(done, total int64)) io.Reader {
	return &reader{r: r, total: sizeOf(r), report: report}
}

type reader struct {
	r           io.Reader
	done, total int64
	report      func(done, total int64)
}

func (p *reader) Read(b []byte) (int, error) {
	n, err := p.r.Read(b)
	p.done += int64(n)
	if n > 0 || err == io.EOF {
		p.report(p.done, p.total)
	}
	return n, err
}

func sizeOf(r io.Reader) int64 {
	switch v := r.(type) {
	case interface{ Size() int64 }:
		return v.Size()
	case interface{ Stat() (fs.FileInfo, error) }:
		if fi, err := v.Stat(); err == nil && fi.Mode().IsRegular() {
			return fi.Size()
		}
	}
	return -1
}
