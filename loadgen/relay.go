package loadgen

import (
	"bytes"
	"context"
	"errors"
	"net"
	"net/netip"
)

// Relay pairing messages: a leg sends helloPrefix+id until it reads
// pairedReply; two legs with the same id are then peers.
const (
	helloPrefix = "pair "
	pairedReply = "paired"
)

// ServeRelay forwards UDP datagrams between paired legs until ctx ends: a
// bare relay that receives a packet and sends it to the peer unchanged, with
// no crypto, no parsing and no copies. It is the floor the SFU's forwarding
// cost is measured against. conn is closed when ServeRelay returns.
func ServeRelay(ctx context.Context, conn *net.UDPConn) error {
	stop := context.AfterFunc(ctx, func() { conn.Close() })
	defer stop()
	defer conn.Close()
	peers := map[netip.AddrPort]netip.AddrPort{}
	waiting := map[string]netip.AddrPort{}
	buf := make([]byte, 2048)
	for {
		n, from, err := conn.ReadFromUDPAddrPort(buf)
		if err != nil {
			if ctx.Err() != nil || errors.Is(err, net.ErrClosed) {
				return nil
			}
			return err
		}
		if to, ok := peers[from]; ok {
			conn.WriteToUDPAddrPort(buf[:n], to)
			continue
		}
		pair(conn, buf[:n], from, peers, waiting)
	}
}

// pair handles a hello: the second leg of an id completes the pair, and
// both legs are told (again, if their first reply was lost).
func pair(conn *net.UDPConn, msg []byte, from netip.AddrPort, peers map[netip.AddrPort]netip.AddrPort, waiting map[string]netip.AddrPort) {
	id, ok := bytes.CutPrefix(msg, []byte(helloPrefix))
	if !ok {
		return // not paired yet: dropped
	}
	other, ok := waiting[string(id)]
	if !ok || other == from {
		waiting[string(id)] = from
		return
	}
	delete(waiting, string(id))
	peers[from], peers[other] = other, from
	conn.WriteToUDPAddrPort([]byte(pairedReply), from)
	conn.WriteToUDPAddrPort([]byte(pairedReply), other)
}
