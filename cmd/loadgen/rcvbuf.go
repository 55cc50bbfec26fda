package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
)

// setUDPReadBuffer sets SO_RCVBUF on this process's UDP socket bound to
// port. It lets `loadgen node` try a larger media socket buffer than the
// node's default without changing the node: the socket is found through
// /proc/self/net/udp (its inode) and /proc/self/fd. The kernel caps the
// size at net.core.rmem_max.
func setUDPReadBuffer(port, size int) error {
	inode, err := udpSocketInode(port)
	if err != nil {
		return err
	}
	fds, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		return err
	}
	want := fmt.Sprintf("socket:[%s]", inode)
	for _, e := range fds {
		link, err := os.Readlink(filepath.Join("/proc/self/fd", e.Name()))
		if err != nil || link != want {
			continue
		}
		fd, _ := strconv.Atoi(e.Name())
		if err := syscall.SetsockoptInt(fd, syscall.SOL_SOCKET, syscall.SO_RCVBUF, size); err != nil {
			return fmt.Errorf("set SO_RCVBUF on UDP port %d: %w", port, err)
		}
		return nil
	}
	return fmt.Errorf("no descriptor for UDP port %d", port)
}

// udpSocketInode finds the inode of the IPv4 UDP socket bound to port.
func udpSocketInode(port int) (string, error) {
	b, err := os.ReadFile("/proc/self/net/udp")
	if err != nil {
		return "", err
	}
	suffix := fmt.Sprintf(":%04X", port)
	for _, line := range strings.Split(string(b), "\n")[1:] {
		f := strings.Fields(line)
		if len(f) > 9 && strings.HasSuffix(f[1], suffix) {
			return f[9], nil
		}
	}
	return "", fmt.Errorf("no UDP socket on port %d", port)
}
