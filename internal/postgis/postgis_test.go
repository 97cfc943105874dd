package postgis

import (
	"context"
	"math"
	"os"
	"testing"
)

// The oracle must answer the geodesic problem as GeographicLib does:
// Karney's example, Flinders Peak to Buninyong, is 54,972.271 m on WGS84.
func TestGeodesicDistance(t *testing.T) {
	t.Parallel()
	conn := Connect(t)
	var d float64
	err := conn.QueryRow(context.Background(), `SELECT ST_Distance(
		ST_SetSRID(ST_MakePoint($1, $2), 4326)::geography,
		ST_SetSRID(ST_MakePoint($3, $4), 4326)::geography)`,
		144.42486788, -37.95103342, 143.92649554, -37.65282113).Scan(&d)
	if err != nil {
		t.Fatal(err)
	}
	if math.Abs(d-54972.271) > 0.001 {
		t.Fatalf("ST_Distance = %.4f m, want 54972.271 m within 1 mm", d)
	}
}

// Two tests creating the same table do not collide: each has its own
// schema, which is first on its search_path and gone afterwards.
func TestOwnSchema(t *testing.T) {
	t.Parallel()
	// Connect first: without PostGIS this test skips with the reason,
	// rather than comparing the schema names of two skipped subtests.
	conn := Connect(t)
	var schemas [2]string
	for i := range schemas {
		t.Run("", func(t *testing.T) {
			conn := Connect(t)
			ctx := context.Background()
			if _, err := conn.Exec(ctx, `CREATE TABLE site (id text PRIMARY KEY, at geography(Point, 4326))`); err != nil {
				t.Fatal(err)
			}
			if _, err := conn.Exec(ctx, `INSERT INTO site VALUES ('zaporizhzhia', 'SRID=4326;POINT(34.5863 47.5119)')`); err != nil {
				t.Fatal(err)
			}
			var within bool
			if err := conn.QueryRow(ctx, `SELECT ST_DWithin(at, 'SRID=4326;POINT(34.6 47.5)'::geography, 5000) FROM site`).Scan(&within); err != nil {
				t.Fatal(err)
			}
			if !within {
				t.Error("ST_DWithin: a point ~1.6 km away is not within 5 km")
			}
			if err := conn.QueryRow(ctx, `SELECT current_schema()`).Scan(&schemas[i]); err != nil {
				t.Fatal(err)
			}
		})
	}
	if schemas[0] == "" || schemas[1] == "" {
		t.Fatalf("a subtest did not get as far as its schema: %q", schemas)
	}
	if schemas[0] == schemas[1] {
		t.Fatalf("both tests used schema %q", schemas[0])
	}
	var n int
	if err := conn.QueryRow(context.Background(), `SELECT count(*) FROM pg_namespace WHERE nspname = ANY($1)`, schemas[:]).Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != 0 {
		t.Fatalf("%d of the subtests' schemas outlived them", n)
	}
}

func TestGeometryContains(t *testing.T) {
	t.Parallel()
	conn := Connect(t)
	var in, out bool
	err := conn.QueryRow(context.Background(), `SELECT
		ST_Contains(g, ST_GeomFromText('POINT(1 1)', 4326)),
		ST_Contains(g, ST_GeomFromText('POINT(3 1)', 4326))
		FROM (SELECT ST_GeomFromText('POLYGON((0 0, 2 0, 2 2, 0 2, 0 0))', 4326) AS g) AS q`).Scan(&in, &out)
	if err != nil {
		t.Fatal(err)
	}
	if !in || out {
		t.Fatalf("ST_Contains: inside %v (want true), outside %v (want false)", in, out)
	}
}

// Without TRUCE_POSTGIS_URL the helper starts its own cluster, shares it
// between the tests that overlap, and removes it after the last one.
func TestThrowawayCluster(t *testing.T) {
	t.Setenv(URLEnv, "")
	var dir string
	t.Run("outer", func(t *testing.T) {
		a := Connect(t)
		local.Lock()
		if local.c == nil {
			local.Unlock()
			t.Fatal("no throwaway cluster started")
		}
		dir = local.c.dir
		local.Unlock()
		t.Run("inner", func(t *testing.T) {
			b := Connect(t)
			local.Lock()
			shared := local.c != nil && local.c.dir == dir
			local.Unlock()
			if !shared {
				t.Error("an overlapping test started a second cluster")
			}
			var v string
			if err := b.QueryRow(context.Background(), `SELECT postgis_lib_version()`).Scan(&v); err != nil {
				t.Fatal(err)
			}
		})
		if err := a.Ping(context.Background()); err != nil {
			t.Fatalf("the cluster went away with the inner test: %v", err)
		}
	})
	if dir == "" {
		t.Skip("no throwaway cluster: the subtest says why")
	}
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Fatalf("the throwaway cluster's directory %s is still there (%v)", dir, err)
	}
}

func TestRedact(t *testing.T) {
	for in, want := range map[string]string{
		"postgres://u:secret@127.0.0.1:5432/db": "postgres://u:***@127.0.0.1:5432/db",
		"postgres://u@127.0.0.1/db":             "postgres://u@127.0.0.1/db",
		"host=127.0.0.1":                        "host=127.0.0.1",
	} {
		if got := redact(in); got != want {
			t.Errorf("redact(%q) = %q, want %q", in, got, want)
		}
	}
}

// Without a URL and without a server to start, the helper says why it
// skips; with TRUCE_REQUIRE_POSTGIS=1 it fails instead (checked through a
// recording TB, since a real failure would fail this test).
func TestUnavailable(t *testing.T) {
	t.Setenv(RequireEnv, "")
	rec := &recorder{TB: t}
	run(func() { unavailable(rec, "no server") })
	if !rec.skipped || rec.failed || rec.msg != "PostGIS oracle skipped: no server" {
		t.Errorf("without %s: skipped %v failed %v msg %q", RequireEnv, rec.skipped, rec.failed, rec.msg)
	}
	t.Setenv(RequireEnv, "1")
	rec = &recorder{TB: t}
	run(func() { unavailable(rec, "no server") })
	if rec.skipped || !rec.failed {
		t.Errorf("with %s=1: skipped %v failed %v", RequireEnv, rec.skipped, rec.failed)
	}
}

type recorder struct {
	testing.TB
	skipped, failed bool
	msg             string
}

type stop struct{}

func (r *recorder) Helper() {}
func (r *recorder) Skip(args ...any) {
	r.skipped = true
	r.msg = args[0].(string)
	panic(stop{})
}
func (r *recorder) Fatalf(format string, args ...any) {
	r.failed = true
	panic(stop{})
}

// run stands in for the runtime.Goexit that Skip and Fatal do.
func run(f func()) {
	defer func() {
		if r := recover(); r != nil {
			if _, ok := r.(stop); !ok {
				panic(r)
			}
		}
	}()
	f()
}
