package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// proc is a child process the bench started: a node or the relay. The
// bench owns it and stops it before the next scenario starts.
type proc struct {
	cmd  *exec.Cmd
	done chan struct{}
	log  *os.File
}

func startProc(bin string, args []string, logPath string) (*proc, error) {
	logf, err := os.Create(logPath)
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(bin, args...)
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		logf.Close()
		return nil, fmt.Errorf("start %s: %w", bin, err)
	}
	p := &proc{cmd: cmd, done: make(chan struct{}), log: logf}
	go func() {
		cmd.Wait()
		close(p.done)
	}()
	return p, nil
}

func (p *proc) pid() int { return p.cmd.Process.Pid }

// stop asks the process to shut down and kills it if it does not in time.
func (p *proc) stop() {
	p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(20 * time.Second):
		p.cmd.Process.Kill()
		<-p.done
	}
	p.log.Close()
}

// startNode starts the cloudwindow binary on a free loopback port with the
// data dir, media on loopback only, and waits until it is healthy.
func startNode(ctx context.Context, bin, dir string, extra []string) (*proc, string, error) {
	port, err := freePort()
	if err != nil {
		return nil, "", err
	}
	url := fmt.Sprintf("http://127.0.0.1:%d", port)
	var args []string
	if self, _ := os.Executable(); bin == self {
		args = []string{"node"}
	}
	args = append(args, []string{
		"--addr", fmt.Sprintf("127.0.0.1:%d", port), "--data-dir", dir, "--media-loopback-only",
		"--media-udp-port", "0", "--media-tcp-port", "-1", "--log-level", "warn", "--node-name", "bench",
		// Every load client comes from loopback: one address for thousands.
		"--ws-max-per-address", "100000",
	}...)
	args = append(args, extra...)
	p, err := startProc(bin, args, filepath.Join(dir, "node.log"))
	if err != nil {
		return nil, "", err
	}
	if err := waitHealthy(ctx, url, p.done); err != nil {
		p.stop()
		return nil, "", fmt.Errorf("%w (see %s)", err, p.log.Name())
	}
	return p, url, nil
}

func waitHealthy(ctx context.Context, url string, exited <-chan struct{}) error {
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		resp, err := http.Get(url + "/healthz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-exited:
			return errors.New("node exited at start")
		case <-time.After(100 * time.Millisecond):
		}
	}
	return fmt.Errorf("node at %s not healthy after 60 s", url)
}

// freePort asks the kernel for a free loopback TCP port. Another process
// could take it before the node binds it; the node then fails to start and
// the bench says so.
func freePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

// startRelay runs this program's relay command and reads its address.
func startRelay(dir string, readBuffer int) (*proc, string, error) {
	self, err := os.Executable()
	if err != nil {
		return nil, "", err
	}
	logPath := filepath.Join(dir, "relay.log")
	args := []string{"relay", "--addr", "127.0.0.1:0", "--max-duration", "10m", "--read-buffer", strconv.Itoa(readBuffer)}
	p, err := startProc(self, args, logPath)
	if err != nil {
		return nil, "", err
	}
	for range 100 {
		if addr, ok := relayAddr(logPath); ok {
			return p, addr, nil
		}
		time.Sleep(50 * time.Millisecond)
	}
	p.stop()
	return nil, "", errors.New("relay did not start")
}

func relayAddr(logPath string) (string, bool) {
	f, err := os.Open(logPath)
	if err != nil {
		return "", false
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if addr, ok := strings.CutPrefix(sc.Text(), "relay listening on "); ok {
			return addr, true
		}
	}
	return "", false
}

// buildNode builds cmd/cloudwindow into dir when no binary was given, so
// that the node runs as its own process, not under `go run`.
func buildNode(dir string) (string, error) {
	bin := filepath.Join(dir, "cloudwindow")
	cmd := exec.Command("go", "build", "-o", bin, "./cmd/cloudwindow")
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("build the node (run from the repository root, or pass -server-bin): %w", err)
	}
	return bin, nil
}
