// Package media is the selective forwarding unit (SFU) of Cloud Window.
//
// One Room exists per call. Every party (station, agent, supervisor monitor) holds a
// single PeerConnection to the server; the server forwards RTP between them without
// decoding it, answers NACKs from its own packet cache, coalesces keyframe requests
// towards publishers and hands every published track to in-process Sinks such as the
// recorder. All peers share one ICE UDP port and one ICE-TCP port.
//
// The server is the polite side of negotiation. pion cannot roll back a local offer
// (pion/webrtc#2133), so a server offer stays a proposal that is committed with
// SetLocalDescription only when its answer arrives; a client offer that crosses it
// simply supersedes it and the server offers again once the client has its answer.
package media
