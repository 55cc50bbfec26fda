// Package stationclient holds the station kiosk web app, served at
// /station/: a resident picks a service item, reads what to bring, and
// talks to a center agent by video.
package stationclient

import "embed"

// Files are served at /station/.
//
//go:embed *.html *.js *.css
var Files embed.FS
