// Package guestclient holds the page a remote guest (a family member, an
// interpreter) opens on their phone from an agent's one-time invitation,
// served at /guest/: it waits for the resident's consent, then talks in
// the call by camera and microphone until the guest leaves.
package guestclient

import "embed"

// Files are served at /guest/.
//
//go:embed *.html *.js *.css
var Files embed.FS
