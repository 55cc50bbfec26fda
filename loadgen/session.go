package loadgen

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"

	"cloudwindow/client"
)

// stationPushes and agentPushes are server pushes a load party never
// reads; dropping them keeps a long run's memory flat.
func stationPushes() []string {
	return []string{"queue.position", "call.peer_state", "chat.message", "standby.closed"}
}

func agentPushes() []string {
	return []string{"queue.stats", "agent.status", "call.offer_withdrawn", "call.peer_state", "chat.message", "standby.closed"}
}

// signIn logs username in and opens its signaling session.
func signIn(ctx context.Context, baseURL, username, password string, ignore []string) (*client.Client, string, error) {
	ctx, cancel := context.WithTimeout(ctx, 2*replyTimeout)
	defer cancel()
	token, err := client.Login(ctx, baseURL, username, password)
	if err != nil {
		return nil, "", err
	}
	c, err := client.Dial(ctx, baseURL, token)
	if err != nil {
		return nil, "", fmt.Errorf("open session of %s: %w", username, err)
	}
	c.Ignore(ignore...)
	return c, token, nil
}

// setReady sets an agent ready (就绪) or not ready.
func setReady(ctx context.Context, c *client.Client, ready bool) error {
	state := "not_ready"
	if ready {
		state = "ready"
	}
	ctx, cancel := context.WithTimeout(ctx, replyTimeout)
	defer cancel()
	if _, err := c.Request(ctx, "agent.state", map[string]string{"state": state, "reason": ""}); err != nil {
		return fmt.Errorf("set agent %s: %w", state, err)
	}
	return nil
}

// catalogItems returns the first item of every category, so the calls
// spread over the skill groups as a real day's do.
func catalogItems(ctx context.Context, baseURL, token string) ([]string, error) {
	ctx, cancel := context.WithTimeout(ctx, replyTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, baseURL+"/api/v1/catalog", nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, fmt.Errorf("read catalog: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("read catalog: %s", resp.Status)
	}
	var body struct {
		Items []struct {
			ID       string `json:"id"`
			Category string `json:"category"`
		} `json:"items"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
		return nil, fmt.Errorf("decode catalog: %w", err)
	}
	seen := map[string]bool{}
	var items []string
	for _, it := range body.Items {
		if !seen[it.Category] {
			seen[it.Category] = true
			items = append(items, it.ID)
		}
	}
	if len(items) == 0 {
		return nil, fmt.Errorf("the catalog has no items to call about")
	}
	return items, nil
}

// greenReason is the n-th green-channel reason: the three in turn.
func greenReason(n int) string {
	return [...]string{"elderly", "disabled", "pregnant"}[n%3]
}

// nextRequest picks the item and green-channel reason of the n-th request:
// items in turn, and green on an even spread of GreenShare of the requests.
func (r *runner) nextRequest() (item, green string) {
	n := r.requests.Add(1) - 1
	item = r.items[int(n)%len(r.items)]
	share := r.cfg.GreenShare
	if int(float64(n+1)*share) > int(float64(n)*share) {
		green = greenReason(int(n))
	}
	return item, green
}
