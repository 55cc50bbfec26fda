// Package agentconsole holds the agent console web app, served at
// /console/: state switch, queue overview, ringing offers, the call with
// its item guide and chat, and the wrap-up after it.
package agentconsole

import "embed"

// Files are served at /console/.
//
//go:embed *.html *.js *.css
var Files embed.FS
