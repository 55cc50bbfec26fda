package media

import (
	"errors"
	"fmt"

	"github.com/pion/sdp/v3"
)

// maxSDPSize bounds a client's session description; a call's SDP is a few KiB.
const maxSDPSize = 64 << 10

// checkSDP rejects descriptions that pion would only fail on after changing its
// signaling state, which it cannot roll back: a peer given bad input must stay
// usable. wantMedia is the number of media sections an answer must have, -1 for an
// offer.
func checkSDP(text string, wantMedia int) error {
	if text == "" {
		return errors.New("empty SDP")
	}
	if len(text) > maxSDPSize {
		return fmt.Errorf("SDP of %d bytes exceeds %d", len(text), maxSDPSize)
	}
	var d sdp.SessionDescription
	if err := d.UnmarshalString(text); err != nil {
		return fmt.Errorf("parse SDP: %w", err)
	}
	if len(d.MediaDescriptions) == 0 {
		return errors.New("SDP has no media section")
	}
	if wantMedia >= 0 && len(d.MediaDescriptions) != wantMedia {
		return fmt.Errorf("answer has %d media sections, the offer had %d", len(d.MediaDescriptions), wantMedia)
	}
	_, sessionUfrag := d.Attribute("ice-ufrag")
	_, sessionPwd := d.Attribute("ice-pwd")
	_, sessionFingerprint := d.Attribute("fingerprint")
	for i, m := range d.MediaDescriptions {
		if mid, ok := m.Attribute("mid"); !ok || mid == "" {
			return fmt.Errorf("media section %d has no mid", i)
		}
		if m.MediaName.Port.Value == 0 {
			continue // rejected section
		}
		if _, ok := m.Attribute("ice-ufrag"); !ok && !sessionUfrag {
			return fmt.Errorf("media section %d has no ice-ufrag", i)
		}
		if _, ok := m.Attribute("ice-pwd"); !ok && !sessionPwd {
			return fmt.Errorf("media section %d has no ice-pwd", i)
		}
		if _, ok := m.Attribute("fingerprint"); !ok && !sessionFingerprint {
			return fmt.Errorf("media section %d has no DTLS fingerprint", i)
		}
	}
	return nil
}

// countMedia is the number of media sections of a description the SFU made itself.
func countMedia(text string) int {
	var d sdp.SessionDescription
	if err := d.UnmarshalString(text); err != nil {
		return -1
	}
	return len(d.MediaDescriptions)
}
