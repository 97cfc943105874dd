package main

import (
	"bytes"
	"crypto/ed25519"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"errors"
	"flag"
	"fmt"
	"io"
	"mime"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"truce/api"
	"truce/ledger"
	"truce/party"
)

// client talks to a running server. With a key it signs statements itself
// and submits them to /v1/statements; otherwise the server signs for it.
type client struct {
	server, token string
	key           ed25519.PrivateKey
	me            *party.Member
	http          *http.Client
}

func clientFlags(fs *flag.FlagSet) func() (*client, error) {
	// Defaults come from the environment after parsing, so that a usage
	// message never prints a token.
	server := fs.String("server", "", "server URL (env TRUCE_SERVER, default http://127.0.0.1:8080)")
	token := fs.String("token", "", "bearer token (env TRUCE_TOKEN)")
	keyFile := fs.String("key", "", "sign statements with this private key file (env TRUCE_KEY)")
	return func() (*client, error) {
		if *server == "" {
			*server = envOr("TRUCE_SERVER", "http://127.0.0.1:8080")
		}
		if *token == "" {
			*token = os.Getenv("TRUCE_TOKEN")
		}
		if *keyFile == "" {
			*keyFile = os.Getenv("TRUCE_KEY")
		}
		c := &client{server: strings.TrimRight(*server, "/"), token: *token, http: &http.Client{Timeout: 60 * time.Second}}
		if *keyFile != "" {
			k, err := readKey(*keyFile)
			if err != nil {
				return nil, err
			}
			c.key = k
		}
		return c, nil
	}
}

func envOr(k, def string) string {
	if v := os.Getenv(k); v != "" {
		return v
	}
	return def
}

// problemError is an API error as the server described it.
type problemError struct{ api.Problem }

func (e *problemError) Error() string {
	s := fmt.Sprintf("%d %s", e.Status, e.Title)
	if e.Detail != "" {
		s += ": " + e.Detail
	}
	if e.Status == 401 {
		s += " — " + msg.T("cli.need_token")
	}
	return s
}

// do sends a request. A body goes with its media type: the server refuses a
// JSON body without "application/json" (415), and takes evidence as given.
func (c *client) do(method, path string, body io.Reader, contentType string, out any) error {
	if body != nil && contentType == "" {
		return fmt.Errorf("%s %s: a request body needs a content type", method, path)
	}
	req, err := http.NewRequest(method, c.server+path, body)
	if err != nil {
		return err
	}
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	req.Header.Set("Accept-Language", msg.Lang)
	resp, err := c.http.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		return err
	}
	if resp.StatusCode >= 400 {
		var p problemError
		if mt, _, _ := mime.ParseMediaType(resp.Header.Get("Content-Type")); mt == "application/problem+json" && json.Unmarshal(raw, &p.Problem) == nil {
			return &p
		}
		return fmt.Errorf("%s %s: %s", method, path, resp.Status)
	}
	if out == nil {
		return nil
	}
	if rt, ok := out.(*rawText); ok {
		*rt.dst = string(raw)
		return nil
	}
	return json.Unmarshal(raw, out)
}

func (c *client) get(path string, out any) error { return c.do("GET", path, nil, "", out) }

func (c *client) post(path string, in, out any) error {
	raw, err := json.Marshal(in)
	if err != nil {
		return err
	}
	return c.do("POST", path, bytes.NewReader(raw), "application/json", out)
}

// say makes a statement: signed here when the client holds a key, else
// posted to the typed endpoint for the server to sign.
func (c *client) say(endpoint, typ string, payload any, out any) error {
	if c.key == nil {
		return c.post(endpoint, payload, out)
	}
	if c.me == nil {
		var me struct {
			Member party.Member `json:"member"`
		}
		if err := c.get("/v1/me", &me); err != nil {
			return err
		}
		c.me = &me.Member
	}
	raw, err := json.Marshal(payload)
	if err != nil {
		return err
	}
	signed, err := ledger.Sign(ledger.Statement{Type: typ, Party: c.me.Party, Author: c.me.ID,
		Time: time.Now().UTC().Truncate(time.Millisecond), Payload: raw, Nonce: ledger.NewNonce()}, c.key)
	if err != nil {
		return err
	}
	return c.post("/v1/statements", signed.Seal(), out)
}

func writeKey(path string, key ed25519.PrivateKey) error {
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return err
	}
	// Never overwrite: a member whose key file is replaced can never sign again.
	f, err := os.OpenFile(path, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
	if err != nil {
		return fmt.Errorf("key file: %w", err)
	}
	if _, err := f.Write(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

func readKey(path string) (ed25519.PrivateKey, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	b, _ := pem.Decode(raw)
	if b == nil {
		return nil, fmt.Errorf("%s: not a PEM private key", path)
	}
	k, err := x509.ParsePKCS8PrivateKey(b.Bytes)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	ek, ok := k.(ed25519.PrivateKey)
	if !ok {
		return nil, errors.New(path + ": not an ed25519 key")
	}
	return ek, nil
}

func printJSON(v any) error {
	enc := json.NewEncoder(os.Stdout)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(v)
}
