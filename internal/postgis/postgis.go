// Package postgis gives tests a PostGIS database to use as an oracle for the
// geo engine: PostGIS's geography and geometry functions are the reference
// our own distance and containment code is held to.
//
// Connect uses the server named by TRUCE_POSTGIS_URL (CI sets it up, see
// .ci/run). Without it, Connect starts a throwaway cluster from a local
// PostgreSQL installation (/usr/lib/postgresql/*/bin with PostGIS). When
// neither is possible the test is skipped with the reason, or fails if
// TRUCE_REQUIRE_POSTGIS=1, so that CI cannot pass by skipping the oracle.
package postgis

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// URLEnv names the server to use; RequireEnv=1 turns a skip into a failure.
const (
	URLEnv     = "TRUCE_POSTGIS_URL"
	RequireEnv = "TRUCE_REQUIRE_POSTGIS"
)

// setupTimeout bounds connecting and preparing a schema, so that a wedged
// server fails the test instead of hanging it until the go test deadline.
const setupTimeout = 60 * time.Second

// extensionLock is an arbitrary advisory-lock key: test binaries of several
// packages run at once, and concurrent CREATE EXTENSION IF NOT EXISTS can
// still collide on the catalogue's unique index.
const extensionLock = 0x7472756365 // "truce"

// Connect returns a connection whose search_path starts with a schema of the
// test's own (dropped, with everything in it, when the test ends), so tests
// in parallel packages may create tables with the same names. The postgis
// functions stay reachable through the public schema.
func Connect(t testing.TB) *pgx.Conn {
	t.Helper()
	url := os.Getenv(URLEnv)
	if url == "" {
		var err error
		url, err = localCluster(t)
		if err != nil {
			unavailable(t, "%s is not set and no local cluster could be started: %v", URLEnv, err)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), setupTimeout)
	defer cancel()
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		unavailable(t, "cannot connect to %s: %v", redact(url), err)
	}
	if err := ensureExtension(ctx, conn); err != nil {
		_ = conn.Close(context.Background())
		unavailable(t, "%v", err)
	}
	schema := "t_" + randomHex(8)
	if _, err := conn.Exec(ctx, "CREATE SCHEMA "+schema); err != nil {
		_ = conn.Close(context.Background())
		t.Fatalf("postgis: create schema: %v", err)
	}
	// SET and not set_config(..., false): both last for the session, which is
	// the connection this test alone holds.
	if _, err := conn.Exec(ctx, "SET search_path = "+schema+", public"); err != nil {
		_ = conn.Close(context.Background())
		t.Fatalf("postgis: set search_path: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), setupTimeout)
		defer cancel()
		if _, err := conn.Exec(ctx, "DROP SCHEMA IF EXISTS "+schema+" CASCADE"); err != nil && !conn.IsClosed() {
			t.Errorf("postgis: drop schema %s: %v", schema, err)
		}
		_ = conn.Close(ctx)
	})
	return conn
}

// ensureExtension creates postgis unless it exists. PostGIS is not a
// trusted extension, so on a shared server an administrator creates it
// beforehand (.ci/run does) and IF NOT EXISTS makes this a no-op.
func ensureExtension(ctx context.Context, conn *pgx.Conn) error {
	if _, err := conn.Exec(ctx, "SELECT pg_advisory_lock($1)", extensionLock); err != nil {
		return fmt.Errorf("advisory lock: %w", err)
	}
	_, err := conn.Exec(ctx, "CREATE EXTENSION IF NOT EXISTS postgis")
	if _, uerr := conn.Exec(ctx, "SELECT pg_advisory_unlock($1)", extensionLock); uerr != nil && err == nil {
		err = fmt.Errorf("advisory unlock: %w", uerr)
	}
	if err != nil {
		return fmt.Errorf("CREATE EXTENSION postgis (installed? created by a superuser?): %w", err)
	}
	return nil
}

// unavailable skips the test, or fails it when PostGIS is required.
func unavailable(t testing.TB, format string, args ...any) {
	t.Helper()
	msg := "PostGIS oracle skipped: " + fmt.Sprintf(format, args...)
	if os.Getenv(RequireEnv) == "1" {
		t.Fatalf("%s (%s=1)", msg, RequireEnv)
	}
	t.Skip(msg)
}

// redact hides a password in a connection URL for messages.
func redact(url string) string {
	at := strings.LastIndex(url, "@")
	scheme := strings.Index(url, "://")
	if at < 0 || scheme < 0 || at < scheme {
		return url
	}
	userinfo := url[scheme+3 : at]
	if i := strings.Index(userinfo, ":"); i >= 0 {
		userinfo = userinfo[:i] + ":***"
	}
	return url[:scheme+3] + userinfo + url[at:]
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b) // crypto/rand.Read never fails on supported platforms
	return hex.EncodeToString(b)
}

// The throwaway cluster is shared by the tests of one test binary and
// stopped when the last test using it ends; a later test starts a new one.
var local struct {
	sync.Mutex
	users int
	c     *cluster
}

func localCluster(t testing.TB) (string, error) {
	local.Lock()
	defer local.Unlock()
	if local.c == nil {
		c, err := startCluster()
		if err != nil {
			return "", err
		}
		local.c = c
	}
	local.users++
	c := local.c
	t.Cleanup(func() {
		local.Lock()
		defer local.Unlock()
		local.users--
		if local.users == 0 && local.c == c {
			if err := c.stop(); err != nil {
				t.Logf("postgis: stopping the throwaway cluster: %v", err)
			}
			local.c = nil
		}
	})
	return c.url, nil
}
