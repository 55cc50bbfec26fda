package recordings

import (
	"testing"

	"go.uber.org/goleak"
)

// Every writer goroutine must end with its file or with Recorder.Close.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}
