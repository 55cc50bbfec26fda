package main

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"

	lksdk "github.com/livekit/server-sdk-go/v2"
	"github.com/pion/rtcp"
	"github.com/pion/rtp"
	"github.com/pion/webrtc/v4"
)

// room is one one-way room: a publisher with a camera and a microphone
// track, and a subscriber that reads both.
type room struct {
	pub, sub *lksdk.Room
	send     *sender
	received atomic.Uint64 // media packets the subscriber read (padding excluded)
}

// trackWriter adapts a LiveKit local track to the sender.
type trackWriter struct{ t *lksdk.LocalTrack }

func (w trackWriter) WriteRTP(p *rtp.Packet) error { return w.t.WriteRTP(p, nil) }

func joinRoom(ctx context.Context, wg *sync.WaitGroup, url, name string, pat *pattern) (*room, error) {
	r := &room{send: &sender{pat: pat}}
	var err error
	r.sub, err = lksdk.ConnectToRoom(url, connectInfo(name, "sub"), &lksdk.RoomCallback{
		ParticipantCallback: lksdk.ParticipantCallback{
			OnTrackSubscribed: func(t *webrtc.TrackRemote, _ *lksdk.RemoteTrackPublication, _ *lksdk.RemoteParticipant) {
				wg.Add(1)
				go func() { defer wg.Done(); r.read(t) }()
			},
		},
	})
	if err != nil {
		return nil, fmt.Errorf("subscriber joins %s: %w", name, err)
	}
	r.pub, err = lksdk.ConnectToRoom(url, connectInfo(name, "pub"), &lksdk.RoomCallback{}, lksdk.WithAutoSubscribe(false))
	if err != nil {
		r.sub.Disconnect()
		return nil, fmt.Errorf("publisher joins %s: %w", name, err)
	}
	if err := r.publish(); err != nil {
		r.close()
		return nil, err
	}
	wg.Add(1)
	go func() { defer wg.Done(); r.send.run(ctx) }()
	return r, nil
}

func connectInfo(roomName, role string) lksdk.ConnectInfo {
	return lksdk.ConnectInfo{APIKey: apiKey, APISecret: apiSecret, RoomName: roomName, ParticipantIdentity: roomName + "-" + role}
}

// publish adds the camera (VP8, one layer) and the microphone (Opus).
func (r *room) publish() error {
	onRTCP := func(p rtcp.Packet) {
		switch p.(type) {
		case *rtcp.PictureLossIndication, *rtcp.FullIntraRequest:
			r.send.keyframe.Store(true)
		}
	}
	video, err := lksdk.NewLocalTrack(webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeVP8, ClockRate: 90000}, lksdk.WithRTCPHandler(onRTCP))
	if err != nil {
		return err
	}
	audio, err := lksdk.NewLocalTrack(webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeOpus, ClockRate: 48000, Channels: 2})
	if err != nil {
		return err
	}
	lp := r.pub.LocalParticipant
	if _, err := lp.PublishTrack(video, &lksdk.TrackPublicationOptions{Name: "camera", VideoWidth: 320, VideoHeight: 240}); err != nil {
		return fmt.Errorf("publish video: %w", err)
	}
	if _, err := lp.PublishTrack(audio, &lksdk.TrackPublicationOptions{Name: "microphone"}); err != nil {
		return fmt.Errorf("publish audio: %w", err)
	}
	r.send.video, r.send.audio = trackWriter{video}, trackWriter{audio}
	return nil
}

// read drains a subscribed track until it closes, counting media packets.
func (r *room) read(t *webrtc.TrackRemote) {
	for {
		p, _, err := t.ReadRTP()
		if err != nil {
			return
		}
		if len(p.Payload) > 0 {
			r.received.Add(1)
		}
	}
}

func (r *room) close() {
	for _, x := range []*lksdk.Room{r.pub, r.sub} {
		if x != nil {
			x.Disconnect()
		}
	}
}
