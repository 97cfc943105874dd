package postgis

import (
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
)

// Debian's layout: one directory per major version, PostGIS installed per
// version.
const (
	debianBin   = "/usr/lib/postgresql/*/bin"
	debianShare = "/usr/share/postgresql/%s/extension/postgis.control"
)

// cluster is a throwaway PostgreSQL instance in a temporary directory,
// listening on 127.0.0.1 only, trusting local connections: nothing in it
// outlives the test binary's use of it.
type cluster struct {
	bin  string
	dir  string
	url  string
	runs []string // prefix that runs a command as the cluster's owner
}

// startCluster runs initdb and pg_ctl start from the newest PostgreSQL
// installation that has PostGIS.
func startCluster() (*cluster, error) {
	bin, err := findBin()
	if err != nil {
		return nil, err
	}
	c := &cluster{bin: bin}
	// PostgreSQL refuses to run as root, so root runs it as postgres in a
	// directory that user owns.
	owner := -1
	if os.Geteuid() == 0 {
		u, err := user.Lookup("postgres")
		if err != nil {
			return nil, fmt.Errorf("running as root and there is no postgres user to run the server as: %w", err)
		}
		if owner, err = strconv.Atoi(u.Uid); err != nil {
			return nil, fmt.Errorf("postgres uid %q: %w", u.Uid, err)
		}
		runuser, err := exec.LookPath("runuser")
		if err != nil {
			return nil, fmt.Errorf("running as root and runuser is missing: %w", err)
		}
		c.runs = []string{runuser, "-u", "postgres", "--"}
	}
	// A short name under the system temp dir: the socket path must stay
	// under the kernel's 107-byte limit.
	if c.dir, err = os.MkdirTemp("", "truce-pg-"); err != nil {
		return nil, fmt.Errorf("temp dir: %w", err)
	}
	if owner >= 0 {
		if err := os.Chown(c.dir, owner, -1); err != nil {
			_ = os.RemoveAll(c.dir)
			return nil, fmt.Errorf("chown %s to postgres: %w", c.dir, err)
		}
	}
	data := filepath.Join(c.dir, "data")
	if out, err := c.run("initdb", "-D", data, "-U", "postgres", "-A", "trust", "-E", "UTF8", "--locale=C", "--no-sync", "--no-instructions"); err != nil {
		_ = os.RemoveAll(c.dir)
		return nil, fmt.Errorf("initdb: %w: %s", err, out)
	}
	// The port is free when asked and taken by the server a moment later;
	// another process can slip in between, so a failed start tries again.
	for attempt := 0; ; attempt++ {
		port, err := freePort()
		if err != nil {
			_ = os.RemoveAll(c.dir)
			return nil, err
		}
		opts := fmt.Sprintf("-c listen_addresses=127.0.0.1 -p %d -k %s -c fsync=off -c synchronous_commit=off -c full_page_writes=off", port, c.dir)
		out, err := c.run("pg_ctl", "-D", data, "-l", filepath.Join(c.dir, "log"), "-w", "-t", "60", "-o", opts, "start")
		if err == nil {
			c.url = fmt.Sprintf("postgres://postgres@127.0.0.1:%d/postgres?sslmode=disable", port)
			return c, nil
		}
		if attempt == 2 {
			log, _ := os.ReadFile(filepath.Join(c.dir, "log"))
			_ = os.RemoveAll(c.dir)
			return nil, fmt.Errorf("pg_ctl start: %w: %s%s", err, out, tail(log, 2000))
		}
	}
}

func (c *cluster) stop() error {
	out, err := c.run("pg_ctl", "-D", filepath.Join(c.dir, "data"), "-m", "immediate", "-w", "stop")
	if err != nil {
		err = fmt.Errorf("pg_ctl stop: %w: %s", err, out)
	}
	return errors.Join(err, os.RemoveAll(c.dir))
}

func (c *cluster) run(name string, args ...string) ([]byte, error) {
	argv := append(append(append([]string{}, c.runs...), filepath.Join(c.bin, name)), args...)
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Dir = c.dir // the postgres user may not be able to enter the caller's
	return cmd.CombinedOutput()
}

// findBin picks the newest major version under Debian's layout that has
// PostGIS, or else initdb from PATH (other layouts; PostGIS then shows
// itself at CREATE EXTENSION).
func findBin() (string, error) {
	dirs, _ := filepath.Glob(debianBin)
	sort.Slice(dirs, func(i, j int) bool { return version(dirs[i]) > version(dirs[j]) })
	var without []string
	for _, d := range dirs {
		if _, err := os.Stat(filepath.Join(d, "initdb")); err != nil {
			continue
		}
		v := filepath.Base(filepath.Dir(d))
		if _, err := os.Stat(fmt.Sprintf(debianShare, v)); err != nil {
			without = append(without, v)
			continue
		}
		return d, nil
	}
	if len(without) > 0 {
		return "", fmt.Errorf("PostgreSQL %s installed without PostGIS (apt-get install postgresql-%s-postgis-3)", strings.Join(without, ", "), without[0])
	}
	if p, err := exec.LookPath("initdb"); err == nil {
		return filepath.Dir(p), nil
	}
	return "", fmt.Errorf("no PostgreSQL server found in %s or on PATH (apt-get install postgresql-15 postgresql-15-postgis-3)", debianBin)
}

// version is the major version in .../postgresql/<major>/bin, 0 if none.
func version(bin string) int {
	v, _ := strconv.Atoi(filepath.Base(filepath.Dir(bin)))
	return v
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("free port: %w", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

func tail(b []byte, n int) string {
	if len(b) > n {
		b = b[len(b)-n:]
	}
	if len(b) == 0 {
		return ""
	}
	return "\nserver log:\n" + string(b)
}
