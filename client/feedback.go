package client

import (
	"github.com/pion/rtcp"
	"github.com/pion/webrtc/v4"
)

// ReadFeedback reads the server's RTCP for every published track until the
// PeerConnection closes, calling onKeyframe with the track's source
// ("camera" …) when the server asks for a keyframe. Reading also lets pion's
// interceptors answer NACKs and use receiver reports. Call it once, right
// after StartMedia.
func (m *Media) ReadFeedback(onKeyframe func(source string)) {
	for _, sender := range m.pc.GetSenders() {
		source := m.sourceOf(sender.Track())
		if source == "" {
			continue
		}
		m.wg.Add(1)
		go func() {
			defer m.wg.Done()
			readFeedback(sender, source, onKeyframe)
		}()
	}
}

func (m *Media) sourceOf(tr webrtc.TrackLocal) string {
	for source, t := range m.Tracks {
		if webrtc.TrackLocal(t) == tr {
			return source
		}
	}
	return ""
}

func readFeedback(sender *webrtc.RTPSender, source string, onKeyframe func(string)) {
	for {
		pkts, _, err := sender.ReadRTCP()
		if err != nil {
			return
		}
		for _, p := range pkts {
			switch p.(type) {
			case *rtcp.PictureLossIndication, *rtcp.FullIntraRequest:
				if onKeyframe != nil {
					onKeyframe(source)
				}
			}
		}
	}
}
