package main

import (
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

// The LiveKit release the figures are compared with.
const (
	livekitModule  = "github.com/livekit/livekit-server/cmd/server"
	livekitVersion = "v1.11.0"
	apiKey         = "benchkey"
	apiSecret      = "bench-secret-that-is-long-enough-for-livekit"
)

// installLivekit builds livekit-server from the module proxy into the cache
// once; later runs reuse the binary.
func installLivekit() (string, error) {
	cache, err := os.UserCacheDir()
	if err != nil {
		return "", fmt.Errorf("find the cache dir: %w", err)
	}
	dir := filepath.Join(cache, "cloudwindow", "bin")
	bin := filepath.Join(dir, "livekit-server-"+livekitVersion)
	if _, err := os.Stat(bin); err == nil {
		return bin, nil
	}
	tmp, err := os.MkdirTemp("", "livekit-install-")
	if err != nil {
		return "", err
	}
	defer os.RemoveAll(tmp)
	cmd := exec.Command("go", "install", livekitModule+"@"+livekitVersion)
	cmd.Dir = tmp // outside any module: go install pkg@version builds it on its own
	cmd.Env = append(os.Environ(), "GOBIN="+tmp, "GOFLAGS=")
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("go install %s@%s: %w", livekitModule, livekitVersion, err)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	if err := os.Rename(filepath.Join(tmp, "server"), bin); err != nil {
		return "", fmt.Errorf("keep the livekit binary: %w", err)
	}
	return bin, nil
}

// server is a running livekit-server on loopback.
type server struct {
	cmd     *exec.Cmd
	done    chan struct{}
	url     string // ws://
	health  string // http://, 200 when ready
	metrics string // http:// Prometheus endpoint
	dir     string
}

// startServer runs LiveKit on loopback only: node_ip 127.0.0.1, one UDP mux
// port, no STUN, no TURN, logs at warn.
func startServer(ctx context.Context, bin string) (*server, error) {
	dir, err := os.MkdirTemp("", "livekit-bench-")
	if err != nil {
		return nil, err
	}
	s, err := launch(dir, bin)
	if err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	if err := s.waitReady(ctx); err != nil {
		log, _ := os.ReadFile(filepath.Join(dir, "livekit.log"))
		s.stop() // removes dir: the log goes into the error
		return nil, fmt.Errorf("%w; its log:\n%s", err, log[max(0, len(log)-2000):])
	}
	return s, nil
}

// launch writes the config into dir and starts LiveKit on it.
func launch(dir, bin string) (*server, error) {
	ports, err := freePorts(3)
	if err != nil {
		return nil, err
	}
	udp, err := freeUDPPort()
	if err != nil {
		return nil, err
	}
	cfg := fmt.Sprintf(`port: %d
bind_addresses: ["127.0.0.1"]
rtc:
  udp_port: %d
  tcp_port: %d
  node_ip: 127.0.0.1
  use_external_ip: false
  enable_loopback_candidate: true
  stun_servers: []
turn:
  enabled: false
keys:
  %s: %s
logging:
  level: warn
prometheus:
  port: %d
`, ports[0], udp, ports[1], apiKey, apiSecret, ports[2])
	path := filepath.Join(dir, "livekit.yaml")
	if err := os.WriteFile(path, []byte(cfg), 0o600); err != nil {
		return nil, err
	}
	logf, err := os.Create(filepath.Join(dir, "livekit.log"))
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(bin, "--config", path)
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		logf.Close()
		return nil, fmt.Errorf("start %s: %w", bin, err)
	}
	s := &server{cmd: cmd, done: make(chan struct{}), dir: dir,
		health: fmt.Sprintf("http://127.0.0.1:%d/", ports[0]),
		url:    fmt.Sprintf("ws://127.0.0.1:%d", ports[0]), metrics: fmt.Sprintf("http://127.0.0.1:%d/metrics", ports[2])}
	go func() { cmd.Wait(); logf.Close(); close(s.done) }()
	return s, nil
}

func (s *server) waitReady(ctx context.Context) error {
	for range 300 {
		if resp, err := http.Get(s.health); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-s.done:
			return errors.New("livekit-server exited at start")
		case <-time.After(100 * time.Millisecond):
		}
	}
	return errors.New("livekit-server not ready after 30 s")
}

func (s *server) pid() int { return s.cmd.Process.Pid }

// stop asks LiveKit to shut down, kills it if it does not in time, and
// removes its config dir.
func (s *server) stop() {
	s.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-s.done:
	case <-time.After(15 * time.Second):
		s.cmd.Process.Kill()
		<-s.done
	}
	os.RemoveAll(s.dir)
}

func freePorts(n int) ([]int, error) {
	var ports []int
	for range n {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, err
		}
		defer ln.Close()
		ports = append(ports, ln.Addr().(*net.TCPAddr).Port)
	}
	return ports, nil
}

func freeUDPPort() (int, error) {
	c, err := net.ListenPacket("udp4", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer c.Close()
	return c.LocalAddr().(*net.UDPAddr).Port, nil
}

// processCPUSeconds is a process's user+system CPU from /proc/<pid>/stat.
func processCPUSeconds(pid int) (float64, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, err
	}
	// The command name may hold spaces; fields count from after its ')'.
	f := strings.Fields(string(b[strings.LastIndexByte(string(b), ')')+1:]))
	if len(f) < 13 {
		return 0, fmt.Errorf("short /proc/%d/stat", pid)
	}
	utime, _ := strconv.ParseFloat(f[11], 64)
	stime, _ := strconv.ParseFloat(f[12], 64)
	return (utime + stime) / 100, nil // USER_HZ is 100 on Linux
}

// selfCPUSeconds is this process's own CPU: the generator's.
func selfCPUSeconds() float64 {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return float64(ru.Utime.Nano()+ru.Stime.Nano()) / 1e9
}

// cpuPressure is /proc/pressure/cpu "some" avg60: the share of the last
// minute in which a runnable task waited for a CPU.
func cpuPressure() float64 {
	b, err := os.ReadFile("/proc/pressure/cpu")
	if err != nil {
		return 0
	}
	for _, f := range strings.Fields(string(b)) {
		if v, ok := strings.CutPrefix(f, "avg60="); ok {
			p, _ := strconv.ParseFloat(v, 64)
			return p
		}
	}
	return 0
}
