// Package recordings records every call inside the node and serves the
// recordings to supervisors.
//
// The recorder joins a call's SFU room as a media.Sink per published track
// (no PeerConnection, no transcoding). Tracks are grouped into one file per
// party: the party's microphone and camera together, and the station's
// document camera in a file of its own ("station-document"), so every file
// has at most one video track. Files are WebM (VP8/VP9 + Opus), or
// Matroska when the video is H.264, under
// <data>/recordings/YYYY/MM/DD/<call>-<party>.webm.
//
// A file starts on a video keyframe (the recorder asks for one), or after
// two seconds with audio only. Frame times come from RTCP sender reports, so
// audio and video line up. Clusters are written whole, at most a second
// apart, behind a header whose SeekHead and Duration are patched and Cues
// appended when the file is finished; a node killed mid-call leaves a file
// that plays up to the kill, and Repair finishes it on the next start.
// When a party's tracks change mid-call (a camera joins late), the file is
// finished and a new part begins.
//
// A disk or muxer error fails that file only: it is marked failed in the
// index, counted in metrics, and the call goes on.
//
// The index (tables recordings, recording_files, recording_notes) backs the
// review API: a filtered, paged session list, a session page with files,
// call events and notes, media with range requests, legal holds. Every
// access is audited. RunRetention deletes old files and keeps a tombstone.
package recordings
