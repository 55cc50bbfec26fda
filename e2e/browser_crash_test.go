package e2e

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"cloudwindow/cases"
	"cloudwindow/node"
)

// TestBrowserAgentWrapsUpACaseCutOffByACrash: the node dies mid-call;
// after the restart the agent finds the call's case among 未结办件 on the
// console desk and gives its outcome with the wrap-up form. A supervisor
// sees the case too, with its agent.
func TestBrowserAgentWrapsUpACaseCutOffByACrash(t *testing.T) {
	browser := startBrowser(t)
	dir := t.TempDir()
	callID := crashMidCall(t, dir)
	n := startNode(t, func(c *node.Config) {
		c.DataDir = dir
		browserNode(c)
	})
	cs, err := n.Cases.ForCall(context.Background(), callID)
	if err != nil {
		t.Fatal(err)
	}

	row := fmt.Sprintf(`#unfinished-list li[data-number=%q]`, cs.Number)
	supervisor := openSupervisor(t, browser, n, "supervisor1")
	supervisor.waitVisible(row)
	if got := supervisor.text(row); !strings.Contains(got, "王芳") {
		t.Errorf("supervisor's unfinished case row says %q, want its agent 王芳", got)
	}

	agent := openConsole(t, browser, n, "agent1")
	agent.waitVisible(row)
	if got := agent.text(row); !strings.Contains(got, "系统中断") || !strings.Contains(got, cs.ItemName) {
		t.Errorf("unfinished case row says %q, want the item and that the call was cut off", got)
	}
	agent.click(row + " button")
	agent.screen("wrapup")
	if got := agent.text("#wrapup-summary"); !strings.Contains(got, cs.Number) {
		t.Errorf("wrap-up form about %q, want case %s", got, cs.Number)
	}
	agent.click(`#wrapup-form input[value="forwarded"]`)
	agent.fill("#wrapup-notes", "通话中断，已电话告知居民")
	agent.click("#wrapup-submit")
	agent.screen("desk")
	agent.waitJS(`document.querySelector('#unfinished').hidden`, "no unfinished case left")
	if got := agent.text("#last-case-number"); got != cs.Number {
		t.Errorf("desk shows case %q as just wrapped up, want %s", got, cs.Number)
	}
	stored, err := n.Cases.Get(context.Background(), cs.ID)
	if err != nil || stored.State != cases.StateForwarded || stored.DueDate == "" {
		t.Errorf("case after the wrap-up in the console: %+v, %v; want forwarded with a due date", stored, err)
	}
}
