package httpapi

import (
	"net/http"

	"github.com/klauspost/compress/gzhttp"
)

// Compressed serves h's responses gzip-compressed to clients that take it
// (browsers do); small ones go as they are. On a 256 kbit/s island link a
// kiosk's app and the catalog it loads take a third of the time or less.
//
// Only for responses that hold no secret: the size of a compressed response
// that holds a secret beside text from the request can tell an eavesdropper
// the secret a guess at a time (BREACH). Web app files and the public service
// catalog qualify; a login's token or a case's personal data do not.
func Compressed(h http.Handler) http.Handler { return gzhttp.GzipHandler(h) }
