package recordings

import "time"

// ntpEpochOffset is the number of seconds from 1900 (NTP) to 1970 (Unix).
const ntpEpochOffset = 2208988800

// ntpToUnixNano converts a 64-bit NTP timestamp from a sender report.
func ntpToUnixNano(ntp uint64) int64 {
	secs := int64(ntp>>32) - ntpEpochOffset
	frac := (ntp & 0xFFFFFFFF) * uint64(time.Second) >> 32
	return secs*int64(time.Second) + int64(frac)
}

// rtpClock maps one track's RTP timestamps to wall-clock time (Unix
// nanoseconds on this node's clock).
//
// Until the track's first sender report, its first packet's arrival time is
// the anchor. Each sender report then re-anchors it on the sender's NTP
// clock, shifted onto ours by an offset the file measured once: every track
// of one sender shares that clock, so their audio and video line up exactly,
// whatever network delay each track had.
type rtpClock struct {
	rate     int64
	anchorTS uint32
	anchor   int64
	valid    bool
	fromSR   bool
}

func (c *rtpClock) observePacket(ts uint32, arrival int64) {
	if !c.valid {
		c.anchorTS, c.anchor, c.valid = ts, arrival, true
	}
}

// observeSR re-anchors on a sender report; senderToLocal turns the sender's
// NTP time into this node's time.
func (c *rtpClock) observeSR(rtpTime uint32, ntp uint64, senderToLocal int64) {
	c.anchorTS, c.anchor = rtpTime, ntpToUnixNano(ntp)+senderToLocal
	c.valid, c.fromSR = true, true
}

// wall returns the time of an RTP timestamp. The signed 32-bit distance
// handles wrap-around; anchors are refreshed by every sender report, far
// more often than the ±2^31 ticks it can span.
func (c *rtpClock) wall(ts uint32) int64 {
	return c.anchor + int64(int32(ts-c.anchorTS))*int64(time.Second)/c.rate
}
