package signaling

import "cloudwindow/media"

// Messages of downlink adaptation (see docs/protocol.md).
const (
	TypeVideoPaused  = "call.video_paused"
	TypeBitrateLimit = "call.bitrate_limit"
)

// weakLinkNotice is what both screens show while video is paused.
const weakLinkNotice = "网络较差，已暂停视频，通话继续"

type videoPausedData struct {
	CallID  string `json:"call_id"`
	Party   string `json:"party"` // whose downlink is weak
	Paused  bool   `json:"paused"`
	Message string `json:"message,omitempty"`
}

type bitrateLimitData struct {
	CallID          string `json:"call_id"`
	MaxBitrate      int    `json:"max_bitrate"`                 // bit/s for the camera and document video
	MaxAudioBitrate int    `json:"max_audio_bitrate,omitempty"` // bit/s for the microphone; absent: its own rate
}

func newBitrateLimit(callID string, l media.SendLimit) bitrateLimitData {
	return bitrateLimitData{CallID: callID, MaxBitrate: l.Video, MaxAudioBitrate: l.Voice}
}
