package witness

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
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

// Latest fetches the latest checkpoint of the log origin that the witness
// cosigned, with its cosignature; nil when it has cosigned none.
func (c *Client) Latest(ctx context.Context, origin string) ([]byte, error) {
	body, status, err := c.get(ctx, "/checkpoint?origin="+url.QueryEscape(origin))
	if status == http.StatusNotFound {
		return nil, nil
	}
	return body, err
}

// Forks fetches the checkpoints of origin the witness refused as forks.
func (c *Client) Forks(ctx context.Context, origin string) ([]Fork, error) {
	body, _, err := c.get(ctx, "/forks?origin="+url.QueryEscape(origin))
	if err != nil {
		return nil, err
	}
	var out struct {
		Forks []Fork `json:"forks"`
	}
	if err := json.Unmarshal(body, &out); err != nil {
		return nil, fmt.Errorf("witness forks: %w", err)
	}
	return out.Forks, nil
}

func (c *Client) get(ctx context.Context, path string) ([]byte, int, error) {
	req, err := http.NewRequestWithContext(ctx, "GET", strings.TrimRight(c.URL, "/")+path, nil)
	if err != nil {
		return nil, 0, err
	}
	hc := c.HTTP
	if hc == nil {
		hc = http.DefaultClient
	}
	resp, err := hc.Do(req)
	if err != nil {
		return nil, 0, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 16<<20))
	if err != nil {
		return nil, resp.StatusCode, err
	}
	if resp.StatusCode != http.StatusOK {
		return nil, resp.StatusCode, &Error{Status: resp.StatusCode, Msg: strings.TrimSpace(string(body))}
	}
	return body, resp.StatusCode, nil
}
