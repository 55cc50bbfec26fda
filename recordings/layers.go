package recordings

import "github.com/pion/rtp/codecs"

// temporalLayer is where a video frame sits in its stream's temporal layers
// (VP8's L1T3, which every camera here sends), as its first packet's payload
// descriptor says (RFC 7741 §4.2).
type temporalLayer struct {
	known bool  // the frame names its layer
	tid   uint8 // 0: the base layer
	tl0   uint8 // TL0PICIDX: counts the base layer's frames
	sync  bool  // Y: refers to base frames only
}

// vp8Layer reads the layer of a frame from its first packet's payload.
func vp8Layer(payload []byte) temporalLayer {
	var d codecs.VP8Packet
	if _, err := d.Unmarshal(payload); err != nil || d.L == 0 || d.T == 0 {
		return temporalLayer{}
	}
	return temporalLayer{known: true, tid: d.TID, tl0: d.TL0PICIDX, sync: d.Y == 1}
}

// layerChain follows which frames of a layered stream still decode after a
// loss, as a browser's receiver does. A base frame refers to the base frame
// before it, so the base decodes on as long as no base frame is lost, which
// the base frames' TL0PICIDX, one more each, shows. A frame above the base
// may refer to frames of its own layer and below since the base's last
// cycle began; after a loss, a layer decodes again from a frame marked as a
// layer sync (Y), which refers to the base alone. Only a lost base frame
// costs a keyframe; a lost frame above it costs the frames above the base
// until the layers sync again, a few hundred milliseconds: libwebrtc syncs
// them at the start of every cycle of two base frames.
type layerChain struct {
	base   bool    // a keyframe was written, and no base frame lost since
	tl0    uint8   // the last base frame's TL0PICIDX
	synced [4]bool // by layer: its frames decode
	behind uint8   // base frames in a row after which a frame did not decode
	missed bool    // a frame since the last base frame did not decode
}

// maxBehind is how many base frames in a row may each be followed by a frame
// that does not decode before the layers count as never syncing (a sender
// that marks no sync), and a keyframe is asked for. libwebrtc needs two.
const maxBehind = 3

// keyframe starts the chain over from a keyframe, a base frame.
func (c *layerChain) keyframe(l temporalLayer) {
	c.base, c.tl0 = l.known, l.tl0
	c.synced = [4]bool{true, true, true, true}
	c.behind, c.missed = 0, false
}

// lost notes that frames were lost, of layers unknown.
func (c *layerChain) lost() { c.synced = [4]bool{true} }

// stuck reports whether the layers above the base have not synced within
// maxBehind base frames of a loss.
func (c *layerChain) stuck() bool { return c.behind > maxBehind }

// decodes reports whether frame l decodes after the frames before it, and
// takes it in.
func (c *layerChain) decodes(l temporalLayer) bool {
	if !c.base || !l.known {
		return false
	}
	if l.tid == 0 {
		c.base = l.tl0 == c.tl0+1
		c.tl0 = l.tl0
		if c.missed {
			c.behind++
		} else {
			c.behind = 0
		}
		c.missed = false
		return c.base
	}
	ok := c.aboveDecodes(l)
	c.missed = c.missed || !ok
	return ok
}

// aboveDecodes reports whether frame l, above the base, decodes.
func (c *layerChain) aboveDecodes(l temporalLayer) bool {
	if l.tl0 != c.tl0 {
		return false // its base frame was lost
	}
	if l.sync {
		c.synced[l.tid] = true
		return true
	}
	for k := uint8(1); k <= l.tid; k++ {
		if !c.synced[k] {
			return false
		}
	}
	return true
}
