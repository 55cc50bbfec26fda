// Package webclient holds the ES modules and styles both web apps share,
// served at /lib/: the signaling connection with reconnect and resume, the
// WebRTC call helper, local media, sessions, i18n and the shell (sign-in,
// language switch, banner, toast) each app configures by role.
package webclient

import "embed"

// Files are served at /lib/.
//
//go:embed *.js *.css
var Files embed.FS
