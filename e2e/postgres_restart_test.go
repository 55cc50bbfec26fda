package e2e

import (
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
	"time"

	"cloudwindow/node"
)

// privatePostgres is a PostgreSQL server of the test's own, that it can
// stop and start again.
type privatePostgres struct {
	t        *testing.T
	bin, dir string
	port     int
	cmd      *exec.Cmd
}

func startPrivatePostgres(t *testing.T) *privatePostgres {
	t.Helper()
	bins, _ := filepath.Glob("/usr/lib/postgresql/*/bin/postgres")
	if len(bins) == 0 {
		t.Skip("PostgreSQL server binaries are not installed")
	}
	// Not t.TempDir: its parent is closed to the postgres user.
	dir, err := os.MkdirTemp("", "cloudwindow-pg-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	p := &privatePostgres{t: t, bin: filepath.Dir(bins[len(bins)-1]), dir: dir, port: freePort(t)}
	if os.Geteuid() == 0 { // PostgreSQL refuses to run as root
		u, err := user.Lookup("postgres")
		if err != nil {
			t.Skip("running as root without a postgres user")
		}
		uid, _ := strconv.Atoi(u.Uid)
		gid, _ := strconv.Atoi(u.Gid)
		if err := os.Chown(dir, uid, gid); err != nil {
			t.Fatal(err)
		}
	}
	if out, err := p.command("initdb", "-D", p.data(), "-U", "postgres", "--auth=trust", "-E", "UTF8").CombinedOutput(); err != nil {
		t.Fatalf("initdb: %v\n%s", err, out)
	}
	p.start()
	t.Cleanup(p.stop)
	return p
}

func (p *privatePostgres) data() string { return filepath.Join(p.dir, "data") }

func (p *privatePostgres) url() string {
	return fmt.Sprintf("postgres://postgres@127.0.0.1:%d/postgres?sslmode=disable", p.port)
}

// command runs a PostgreSQL program, as the postgres user when the test
// runs as root.
func (p *privatePostgres) command(prog string, args ...string) *exec.Cmd {
	path := filepath.Join(p.bin, prog)
	if os.Geteuid() == 0 {
		return exec.Command("runuser", append([]string{"-u", "postgres", "--", path}, args...)...)
	}
	return exec.Command(path, args...)
}

func (p *privatePostgres) start() {
	p.t.Helper()
	p.cmd = p.command("postgres", "-D", p.data(), "-p", strconv.Itoa(p.port), "-k", p.dir,
		"-c", "listen_addresses=127.0.0.1", "-c", "fsync=off")
	p.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := p.cmd.Start(); err != nil {
		p.t.Fatalf("start postgres: %v", err)
	}
	for deadline := time.Now().Add(20 * time.Second); ; {
		if p.command("pg_isready", "-q", "-h", "127.0.0.1", "-p", strconv.Itoa(p.port)).Run() == nil {
			return
		}
		if time.Now().After(deadline) {
			p.t.Fatalf("postgres on port %d does not answer", p.port)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// stop shuts PostgreSQL down at once (immediate mode, as a crash would).
func (p *privatePostgres) stop() {
	if p.cmd == nil {
		return
	}
	syscall.Kill(-p.cmd.Process.Pid, syscall.SIGQUIT)
	p.cmd.Wait()
	p.cmd = nil
}

func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("find a free port: %v", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// TestPostgresRestart checks that a node answers not-ready while its
// PostgreSQL is down and serves again once it is back, without a restart.
func TestPostgresRestart(t *testing.T) {
	pg := startPrivatePostgres(t)
	n := startNode(t, func(c *node.Config) { c.DatabaseURL = pg.url() })
	if code := notReady(t, n); code != "" {
		t.Fatalf("readyz before the restart: %s", code)
	}
	pg.stop()
	if code := notReady(t, n); code != "store_unreachable" {
		t.Errorf("readyz with PostgreSQL down: %q, want store_unreachable", code)
	}
	pg.start()
	for deadline := time.Now().Add(20 * time.Second); notReady(t, n) != ""; {
		if time.Now().After(deadline) {
			t.Fatalf("node not ready 20 s after PostgreSQL came back")
		}
		time.Sleep(100 * time.Millisecond)
	}
	ready(t, dial(t, n, "agent1")) // sign-in reads the store again
}

// notReady returns the error code /readyz answers, "" when ready.
func notReady(t *testing.T, n *node.Node) string {
	t.Helper()
	status, r := readyz(t, n)
	if status == http.StatusOK {
		return ""
	}
	return r.Error.Code
}
