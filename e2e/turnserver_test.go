package e2e

import (
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
	"time"
)

// turnServer is a coturn run by one test: loopback only, short-lived
// credentials from a shared secret (the TURN REST API), TURN over UDP and
// TCP on port and TURNS over TLS on tlsPort with a self-signed certificate.
type turnServer struct {
	secret        string
	port, tlsPort int
	spki          string // base64 SHA-256 of the TLS certificate's public key
	log           string // coturn's log file, shown when a test fails
}

// URLs are the three transports as ICE server URLs, by name.
func (s *turnServer) URLs() map[string]string {
	return map[string]string{
		"udp": fmt.Sprintf("turn:127.0.0.1:%d?transport=udp", s.port),
		"tcp": fmt.Sprintf("turn:127.0.0.1:%d?transport=tcp", s.port),
		"tls": fmt.Sprintf("turns:127.0.0.1:%d?transport=tcp", s.tlsPort),
	}
}

// startTURN starts Debian's coturn (turnserver) on free loopback ports; it
// is stopped by t.Cleanup. Without coturn the test is skipped, unless
// CLOUDWINDOW_REQUIRE_BROWSER asks for every browser-side dependency.
func startTURN(t *testing.T) *turnServer {
	t.Helper()
	bin, err := exec.LookPath("turnserver")
	if err != nil {
		if os.Getenv("CLOUDWINDOW_REQUIRE_BROWSER") == "1" {
			t.Fatal("coturn is not installed and CLOUDWINDOW_REQUIRE_BROWSER=1: install it (apt-get install coturn)")
		}
		t.Skip("coturn is not installed (apt-get install coturn)")
	}
	dir := t.TempDir()
	cert, key := selfSignedCert(t, dir)
	s := &turnServer{secret: "turn-test-secret", port: freeUDPTCPPort(t), tlsPort: freeUDPTCPPort(t), log: filepath.Join(dir, "turn.log"), spki: spkiHash(t, cert)}
	relayMin := 20000 + (os.Getpid()*7+s.port)%20000
	args := []string{
		"-n", "-v", "--no-cli", "--no-software-attribute", "--fingerprint",
		"--listening-ip=127.0.0.1", "--relay-ip=127.0.0.1", "--allow-loopback-peers",
		"--listening-port=" + strconv.Itoa(s.port), "--tls-listening-port=" + strconv.Itoa(s.tlsPort),
		"--alt-listening-port=0", "--alt-tls-listening-port=0",
		"--min-port=" + strconv.Itoa(relayMin), "--max-port=" + strconv.Itoa(relayMin+200),
		"--use-auth-secret", "--static-auth-secret=" + s.secret, "--realm=cloudwindow.test",
		"--cert=" + cert, "--pkey=" + key, "--no-dtls",
		"--db=" + filepath.Join(dir, "turndb"), "--pidfile=" + filepath.Join(dir, "turn.pid"),
		"--log-file=" + s.log, "--simple-log", "--no-stdout-log",
	}
	cmd := exec.Command(bin, args...)
	if err := cmd.Start(); err != nil {
		t.Fatalf("start coturn: %v", err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		<-exited
		if t.Failed() {
			b, _ := os.ReadFile(s.log)
			t.Logf("coturn log:\n%s", tail(string(b), 4000))
		}
	})
	for _, port := range []int{s.port, s.tlsPort} {
		waitListening(t, port, exited)
	}
	return s
}

// waitListening waits until coturn accepts TCP connections on port.
func waitListening(t *testing.T, port int, exited <-chan error) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		c, err := net.DialTimeout("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(port)), time.Second)
		if err == nil {
			c.Close()
			return
		}
		select {
		case err := <-exited:
			t.Fatalf("coturn exited: %v", err)
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("coturn does not listen on %d: %v", port, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// freeUDPTCPPort is a loopback port free for both TCP and UDP just now.
func freeUDPTCPPort(t *testing.T) int {
	t.Helper()
	for range 20 {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		port := l.Addr().(*net.TCPAddr).Port
		u, err := net.ListenPacket("udp", net.JoinHostPort("127.0.0.1", strconv.Itoa(port)))
		l.Close()
		if err == nil {
			u.Close()
			return port
		}
	}
	t.Fatal("no free port")
	return 0
}

func tail(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return "…" + s[len(s)-n:]
}

// spkiHash is what Chromium's --ignore-certificate-errors-spki-list takes
// for the PEM certificate in file.
func spkiHash(t *testing.T, file string) string {
	t.Helper()
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	block, _ := pem.Decode(b)
	if block == nil {
		t.Fatalf("%s holds no PEM certificate", file)
	}
	cert, err := x509.ParseCertificate(block.Bytes)
	if err != nil {
		t.Fatalf("parse %s: %v", file, err)
	}
	sum := sha256.Sum256(cert.RawSubjectPublicKeyInfo)
	return base64.StdEncoding.EncodeToString(sum[:])
}
