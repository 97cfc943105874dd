package witness

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"

	"golang.org/x/mod/sumdb/tlog"
)

// Client submits a log's checkpoints to one witness.
type Client struct {
	URL  string
	HTTP *http.Client
}

// Add sends a checkpoint with a consistency proof from old. On 409 it
// returns an *Error whose Size is where the witness stands.
func (c *Client) Add(ctx context.Context, old int64, proof []tlog.Hash, signed []byte) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, "POST", strings.TrimRight(c.URL, "/")+"/add-checkpoint", bytes.NewReader(FormatRequest(old, proof, signed)))
	if err != nil {
		return nil, err
	}
	hc := c.HTTP
	if hc == nil {
		hc = http.DefaultClient
	}
	resp, err := hc.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	if err != nil {
		return nil, err
	}
	switch resp.StatusCode {
	case http.StatusOK:
		return body, nil
	case http.StatusConflict:
		size, err := strconv.ParseInt(strings.TrimSpace(string(body)), 10, 64)
		if err != nil {
			return nil, fmt.Errorf("witness answered 409 without a size: %q", body)
		}
		return nil, &Error{Status: http.StatusConflict, Size: size, Msg: "witness is at another size"}
	default:
		return nil, &Error{Status: resp.StatusCode, Msg: strings.TrimSpace(string(body))}
	}
}
