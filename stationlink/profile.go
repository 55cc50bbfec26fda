// Package stationlink keeps what the center knows of each station's network
// link: the profile an admin set (an island or thin rural link starts its
// encoders low instead of probing down from high), the kiosk's last pre-call
// check, and the figures sampled from the media server during calls.
package stationlink

import (
	"fmt"
	"slices"
)

// Profiles an admin may give a station.
const (
	Standard     = "standard"      // the browser probes the link from high
	LowBandwidth = "low_bandwidth" // island / low bandwidth: start low
)

// Names lists the valid profiles.
var Names = []string{Standard, LowBandwidth}

// CheckProfile refuses a profile that is not one of Names.
func CheckProfile(p string) error {
	if !slices.Contains(Names, p) {
		return fmt.Errorf("link profile must be %s or %s", Standard, LowBandwidth)
	}
	return nil
}

// Encoding is one video encoder's starting limits, as RTCRtpSender
// encoding parameters take them.
type Encoding struct {
	MaxBitrate            int     `json:"max_bitrate"` // bit/s
	MaxFramerate          float64 `json:"max_framerate,omitempty"`
	ScaleResolutionDownBy float64 `json:"scale_resolution_down_by,omitempty"`
}

// Settings is what a kiosk is told at welcome: its profile and, for a weak
// link, the limits its camera and document camera encoders start with. The
// downlink adaptation raises or lowers the camera's limit from there.
type Settings struct {
	Profile  string    `json:"profile"`
	Camera   *Encoding `json:"camera,omitempty"`
	Document *Encoding `json:"document,omitempty"`
}

// Low-bandwidth starting limits. They fit island-weak's 256 kbit/s uplink with
// Opus (about 40 kbit/s with FEC): a 320×240 face at 15 fps and the document
// camera's live picture at 2 fps, since scans go as full-resolution stills.
var (
	lowCamera   = Encoding{MaxBitrate: 150_000, MaxFramerate: 15, ScaleResolutionDownBy: 2}
	lowDocument = Encoding{MaxBitrate: 60_000, MaxFramerate: 2}
)

// SettingsFor returns the settings of a profile; an unknown one is standard.
func SettingsFor(profile string) Settings {
	if profile != LowBandwidth {
		return Settings{Profile: Standard}
	}
	cam, doc := lowCamera, lowDocument
	return Settings{Profile: LowBandwidth, Camera: &cam, Document: &doc}
}
