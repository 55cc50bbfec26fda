package signaling

import (
	"context"
	"testing"

	"cloudwindow/identity"
	"cloudwindow/queue"
)

// TestJoinFromAnotherNodeIsRefusedUnlessAnAgentAcceptedThisCall: the
// call's node joins only an agent who accepted this call's transfer or
// consultation; anything else is refused and the call is unchanged.
func TestJoinFromAnotherNodeIsRefusedUnlessAnAgentAcceptedThisCall(t *testing.T) {
	agent := identity.Identity{AccountID: "agent2", Role: identity.RoleAgent}
	sup := identity.Identity{AccountID: "sup1", Role: identity.RoleSupervisor}
	transfer := mustJSON(queue.Request{ID: "call-1", Transfer: true})
	tests := []struct {
		name    string
		account string
		joiner  *identity.Identity
		req     []byte
	}{
		{"no joiner", "agent2", nil, transfer},
		{"not an agent", "sup1", &sup, transfer},
		{"another account", "agent3", &agent, transfer},
		{"another call", "agent2", &agent, mustJSON(queue.Request{ID: "call-2", Transfer: true})},
		{"not a transfer", "agent2", &agent, mustJSON(queue.Request{ID: "call-1"})},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, _, _, _ := newTestCall(t)
			f := forward{Account: tt.account, CallID: c.id, Op: opAgentTake, Msg: Message{Data: tt.req}, Joiner: tt.joiner}
			rep := (&Server{}).takeForAway(context.Background(), c, f)
			if rep.Error == nil || rep.Error.Code != CodeForbidden {
				t.Fatalf("join refused with %+v, want forbidden", rep.Error)
			}
			if n := len(c.sessions()); n != 2 {
				t.Errorf("the call has %d participants after a refused join, want 2", n)
			}
		})
	}
}

// TestRemoteMemberIsNeverTheResident: messages forwarded for an account
// reach its participant from another node, never the resident's.
func TestRemoteMemberIsNeverTheResident(t *testing.T) {
	c, _, station, agent := newTestCall(t)
	if got := c.remoteMember(station.ident.AccountID); got != nil {
		t.Errorf("remoteMember(station) = %v, want none", got.ident)
	}
	if got := c.remoteMember(agent.ident.AccountID); got != agent.session {
		t.Errorf("remoteMember(agent) is not the agent's session")
	}
}
