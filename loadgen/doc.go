// Package loadgen loads a Cloud Window node the way real kiosks and agents
// do: synthetic stations and agents sign in over HTTP, talk the signaling
// protocol over WebSockets and carry media over their own pion
// PeerConnections, so the node under test does all of its real work.
//
// Run drives calls (stations ask at a set rate, agents accept after a delay
// and hang up after a call length) and measures call setup, per-track loss
// and jitter, the node's CPU, memory and forwarded packets, and its own CPU.
// Idle, Ramp, SetupTimes and QueueRouting build the benchmark scenarios on
// top of it; the UDP relay (ServeRelay, RelayBaseline) is the physical floor
// the SFU's forwarding cost is compared with.
//
// The generator only ever talks to the loopback address it is given and
// stops by itself: every run is bounded by its configured duration.
package loadgen
