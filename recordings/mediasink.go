package recordings

import "cloudwindow/media"

// SinkFactory returns what signaling adds to the call's room
// (room.AddSink(recorder.SinkFactory(call))): it records every track the
// station and the agent publish.
func (rec *Recorder) SinkFactory(call CallInfo) media.SinkFactory {
	return func(info media.TrackInfo, keyframes media.KeyframeRequester) media.Sink {
		spec := trackSpec{party: info.Party, source: string(info.Source), codec: info.Codec}
		s := rec.newSink(call, spec, keyframes)
		if s == nil {
			return nil // a nil *trackSink would be a non-nil Sink
		}
		return s
	}
}
