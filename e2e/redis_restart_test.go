package e2e

import (
	"context"
	"fmt"
	"os/exec"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"cloudwindow/client"
)

// privateRedis is a redis-server of the test's own, without persistence as
// in the compose file, that the test can kill and start again.
type privateRedis struct {
	t    *testing.T
	bin  string
	port int
	cmd  *exec.Cmd
}

func startPrivateRedis(t *testing.T) *privateRedis {
	t.Helper()
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		t.Skip("redis-server is not installed")
	}
	r := &privateRedis{t: t, bin: bin, port: freePort(t)}
	r.start()
	t.Cleanup(r.kill)
	return r
}

func (r *privateRedis) url() string { return fmt.Sprintf("redis://127.0.0.1:%d/0", r.port) }

func (r *privateRedis) start() {
	r.t.Helper()
	r.cmd = exec.Command(r.bin, "--port", strconv.Itoa(r.port), "--bind", "127.0.0.1",
		"--save", "", "--appendonly", "no")
	if err := r.cmd.Start(); err != nil {
		r.t.Fatalf("start redis-server: %v", err)
	}
	opts, _ := redis.ParseURL(r.url())
	c := redis.NewClient(opts)
	defer c.Close()
	for deadline := time.Now().Add(10 * time.Second); c.Ping(context.Background()).Err() != nil; {
		if time.Now().After(deadline) {
			r.t.Fatalf("redis-server on port %d does not answer", r.port)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// freeze stops Redis answering without losing what it holds, as a network
// outage would; thaw brings it back.
func (r *privateRedis) freeze() { r.cmd.Process.Signal(syscall.SIGSTOP) }
func (r *privateRedis) thaw()   { r.cmd.Process.Signal(syscall.SIGCONT) }

// kill stops Redis at once, as a crash would; what it held is gone.
func (r *privateRedis) kill() {
	if r.cmd == nil {
		return
	}
	r.cmd.Process.Kill()
	r.cmd.Wait()
	r.cmd = nil
}

// TestRedisRestartKeepsAgentsAndWaitingStations restarts the cluster's
// Redis (no persistence) for longer than the queue leader's lock lasts, so
// the queue starts again empty. Meanwhile a new request is refused with
// queue_unavailable; afterwards the signed-in agents are still there in
// their states, without signing in again, and the station that was waiting
// is still first in line, ahead of one that queued after the restart.
func TestRedisRestartKeepsAgentsAndWaitingStations(t *testing.T) {
	rd := startPrivateRedis(t)
	a, b := startClusterOn(t, rd.url())
	agent1 := dial(t, a, "agent1") // medical insurance and more, not a generalist
	agent2 := dial(t, b, "agent2") // generalist, not ready yet
	ready(t, agent1)
	station := dial(t, b, "station1")
	island := dial(t, a, "island1")
	civil := itemOf(t, a, "civil_affairs") // only agent2 serves it
	first := requestQueued(t, station, civil)
	if pos := field[int](t, first, "position"); pos != 1 {
		t.Fatalf("station1 waits at %d, want 1", pos)
	}
	firstID := field[string](t, first, "request_id")

	rd.kill()
	_, err := island.Request(ctxT(t), "call.request", map[string]any{"item_id": civil})
	if code := client.ErrCode(err); code != "queue_unavailable" {
		t.Fatalf("call.request with Redis down: %v, want queue_unavailable", err)
	}
	time.Sleep(6 * time.Second) // longer than the leader's lock (3 s): the queue is lost
	rd.start()

	second := requestQueued(t, island, civil)
	ready(t, agent2)
	if got := field[string](t, next(t, agent2, "call.offer"), "request_id"); got != firstID {
		t.Errorf("agent2 was offered %s first, want station1's request %s", got, firstID)
	}
	// agent1 never signed in or said 就绪 again, and still gets calls.
	request(t, island, "call.cancel", map[string]string{"request_id": field[string](t, second, "request_id")})
	requestQueued(t, island, itemOf(t, a, "medical_insurance"))
	next(t, agent1, "call.offer")
}

// requestQueued asks for a call about item, retrying while the queue is
// unavailable or has not yet heard again from the nodes of the agents
// (Redis coming back), and returns the call.queued reply.
func requestQueued(t *testing.T, station *client.Client, item string) client.Message {
	t.Helper()
	for deadline := time.Now().Add(20 * time.Second); ; {
		m, err := station.Request(ctxT(t), "call.request", map[string]any{"item_id": item})
		if err == nil {
			return m
		}
		code := client.ErrCode(err)
		if code != "queue_unavailable" && code != "no_agents" || time.Now().After(deadline) {
			t.Fatalf("call.request: %v", err)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// TestRedisOutageKeepsRunningCall loses Redis, for longer than the queue
// leader's lock, in the middle of a call between a station on node B and an
// agent on node A: media goes on, and once Redis is back the call's
// messages cross the nodes again and the hang-up moves the agent to
// wrap-up as usual.
func TestRedisOutageKeepsRunningCall(t *testing.T) {
	rd := startPrivateRedis(t)
	a, b := startClusterOn(t, rd.url())
	agent, station := dial(t, a, "agent1"), dial(t, b, "station1")
	ready(t, agent)
	callID := startCall(t, station, agent, itemOf(t, a, "medical_insurance"))
	atStation, atAgent := &receivedLog{counts: map[string]int{}}, &receivedLog{counts: map[string]int{}}
	sm, err := station.StartMedia(ctxT(t), callID, client.MediaOptions{OnPacket: atStation.onPacket})
	if err != nil {
		t.Fatalf("station media: %v", err)
	}
	am, err := agent.StartMedia(ctxT(t), callID, client.MediaOptions{OnPacket: atAgent.onPacket})
	if err != nil {
		t.Fatalf("agent media: %v", err)
	}
	media := []*client.Media{sm, am}
	flowing := func(atLeast int) func() bool {
		return func() bool {
			s, _ := atStation.snapshot()
			g, _ := atAgent.snapshot()
			return s["agent-main/audio"] >= atLeast && g["station-main/audio"] >= atLeast
		}
	}
	sendUntil(t, media, flowing(20))

	rd.kill()
	outage := time.Now().Add(6 * time.Second) // longer than the leader's lock (3 s)
	s, _ := atStation.snapshot()
	sendUntil(t, media, flowing(s["agent-main/audio"]+100))
	sendUntil(t, media, func() bool { return time.Now().After(outage) })
	rd.start()

	for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(200 * time.Millisecond) {
		_, err := station.Request(ctxT(t), "chat.send", map[string]string{"call_id": callID, "text": "还在吗"})
		if err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("chat from node B after Redis came back: %v", err)
		}
	}
	if txt := field[string](t, next(t, agent, "chat.message"), "text"); txt != "还在吗" {
		t.Errorf("agent got chat %q", txt)
	}
	request(t, agent, "call.hangup", map[string]string{"call_id": callID})
	next(t, station, "call.ended")
	waitAgentState(t, agent, "wrap_up")
}

// TestRedisOutageForgetsWhoLeftMeanwhile has a resident leave while Redis
// is unreachable (not restarted: the queue comes back as it was saved).
// Their station's request must not come back with it: the resident who
// queues next is first in line and gets the agent.
func TestRedisOutageForgetsWhoLeftMeanwhile(t *testing.T) {
	rd := startPrivateRedis(t)
	a, b := startClusterOn(t, rd.url())
	agent := dial(t, a, "agent2") // generalist, not ready yet
	station, island := dial(t, b, "station1"), dial(t, a, "island1")
	civil := itemOf(t, a, "civil_affairs")
	requestQueued(t, station, civil)

	rd.freeze()
	station.Close() // the resident leaves; the session ends during the outage (grace 3 s)
	// Long enough for node B to give up taking the request out (10 s).
	time.Sleep(15 * time.Second)
	rd.thaw()

	queued := requestQueued(t, island, civil)
	for pos := field[int](t, queued, "position"); pos != 1; {
		pos = field[int](t, next(t, island, "queue.position"), "position")
	}
	ready(t, agent)
	if got := field[string](t, next(t, agent, "call.offer"), "request_id"); got != field[string](t, queued, "request_id") {
		t.Errorf("agent offered %s, want island1's request %s", got, field[string](t, queued, "request_id"))
	}
}
