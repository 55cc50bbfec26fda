package signaling

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"cloudwindow/queue"
)

// An agent who transfers a call to a named colleague picks them from the
// agents ready now (agent.colleagues), by name and skill groups.

// colleagueInfo is one ready agent, as another agent sees them.
type colleagueInfo struct {
	ID         string   `json:"id"`
	Name       string   `json:"name"`
	Skills     []string `json:"skills"`
	Generalist bool     `json:"generalist,omitempty"` // takes any item
}

func colleagueOf(a queue.Agent) colleagueInfo {
	skills := a.Skills
	if skills == nil {
		skills = []string{}
	}
	return colleagueInfo{ID: a.ID, Name: a.Name, Skills: skills, Generalist: a.Generalist}
}

type colleaguesData struct {
	Colleagues []colleagueInfo `json:"colleagues"`
}

func (s *Server) handleColleagues(ctx context.Context, sess *session, m Message) error {
	ready, err := s.queue.ReadyAgents(ctx)
	if err != nil {
		return fmt.Errorf("list ready agents: %w", err)
	}
	out := colleaguesData{Colleagues: []colleagueInfo{}}
	for _, a := range ready {
		if a.ID != sess.ident.AccountID {
			out.Colleagues = append(out.Colleagues, colleagueOf(a))
		}
	}
	slices.SortStableFunc(out.Colleagues, func(a, b colleagueInfo) int { return strings.Compare(a.Name, b.Name) })
	sess.reply(m.ID, TypeAgentColleagues, out)
	return nil
}

// readyColleague returns the agent accountID if they are ready to take a
// call now.
func (s *Server) readyColleague(ctx context.Context, accountID string) (colleagueInfo, error) {
	ready, err := s.queue.ReadyAgents(ctx)
	if err != nil {
		return colleagueInfo{}, fmt.Errorf("list ready agents: %w", err)
	}
	for _, a := range ready {
		if a.ID == accountID {
			return colleagueOf(a), nil
		}
	}
	return colleagueInfo{}, protoErr(CodeNoAgents, "that colleague is not ready to take a call now")
}
