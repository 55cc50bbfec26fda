// Package recordings records every call inside the node and serves the
// recordings to supervisors.
//
// The recorder joins a call's SFU room as a media.Sink per published track
// (no PeerConnection, no transcoding): signaling calls
// room.AddSink(recorder.SinkFactory(call)). Tracks are grouped into one
// file per party: the party's microphone and camera together, and the
// station's document camera in a file of its own ("station-document"), so
// every file has at most one video track. Files are WebM (VP8/VP9 + Opus),
// or Matroska when the video is H.264, under
// <data>/recordings/YYYY/MM/DD/<call>-<party>.webm.
//
// On the media path a Sink only copies each packet into a pooled buffer and
// queues it for the file's writer goroutine; a full queue drops and counts
// the packet instead of slowing the call. The writer rebuilds frames with
// its frame builder (pion's sample builder's algorithm on a small ring), drops video frames that would not decode after a
// loss until the next keyframe (asking for one), and puts every frame on
// the wall clock from the RTCP sender reports, holding the first frames
// until the reports are in so that audio and video line up from the start.
// File times count from the first video keyframe; audio before it is not
// kept, and a party without video for two seconds is recorded audio-only.
// A track that becomes ready after the file started (a camera that joined
// late) starts a new part, since a file's tracks are fixed in its header.
//
// Clusters are written whole, at most a second apart, behind a header whose
// SeekHead and Duration are patched and Cues appended when the file is
// finished, so browsers can seek. A node killed mid-call leaves a file that
// plays up to the kill; Repair finishes it on the next start. A disk or
// muxer error fails that file only (failure.go): what was written is
// finished with Cues and Duration, the file is marked failed in the index
// with a failure code (the detail goes to the log), it is counted in
// metrics, Config.OnStatus tells signaling so the agent and the wallboard
// know at once, and the call goes on. Once RetryInterval has passed and
// the volume has room, the party records into a new part.
//
// The index (tables recordings, recording_files, recording_notes) backs the
// review API for supervisors and admins: a filtered, keyset-paged session
// list, a session page with files, call events and notes, media with range
// requests, and legal holds. Every view, play and download is audited.
// A <video> can't send a bearer token, so it plays from a short-lived,
// file-scoped play ticket URL instead (ticket.go).
// RunRetention deletes expired files and keeps a tombstone row; a legal
// hold stops it.
package recordings
