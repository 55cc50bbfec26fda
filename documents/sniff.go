package documents

import (
	"bytes"
	"fmt"
	"image/jpeg"
	"image/png"
	"io"
)

// The accepted content types and the extension stored files get.
var extensions = map[string]string{
	"image/jpeg":      ".jpg",
	"image/png":       ".png",
	"application/pdf": ".pdf",
}

func allowedType(contentType string) bool {
	_, ok := extensions[contentType]
	return ok
}

var (
	jpegMagic = []byte{0xFF, 0xD8, 0xFF}
	pngMagic  = []byte("\x89PNG\r\n\x1a\n")
	pdfMagic  = []byte("%PDF-")
	pdfEnd    = []byte("%%EOF")
)

// pdfTailWindow is how far from the end a PDF's %%EOF marker may sit;
// writers append a line break or a little padding after it.
const pdfTailWindow = 1024

// sniff names the type of the content in r (size bytes) from its bytes,
// never from a file name, and checks that its header holds together: a
// JPEG or PNG must state its dimensions, a PDF must start with its header
// and end with its trailer. Nothing active may ride along (see
// checkActiveContent).
func sniff(r io.ReaderAt, size int64) (string, error) {
	contentType, err := sniffType(r, size)
	if err != nil {
		return "", err
	}
	return contentType, checkActiveContent(r, size, contentType)
}

func sniffType(r io.ReaderAt, size int64) (string, error) {
	head := make([]byte, 16)
	n, err := r.ReadAt(head, 0)
	if err != nil && err != io.EOF {
		return "", fmt.Errorf("read file header: %w", err)
	}
	head = head[:n]
	section := io.NewSectionReader(r, 0, size)
	switch {
	case bytes.HasPrefix(head, jpegMagic):
		if _, err := jpeg.DecodeConfig(section); err != nil {
			return "", fmt.Errorf("damaged JPEG: %w", ErrUnsupported)
		}
		return "image/jpeg", nil
	case bytes.HasPrefix(head, pngMagic):
		if _, err := png.DecodeConfig(section); err != nil {
			return "", fmt.Errorf("damaged PNG: %w", ErrUnsupported)
		}
		return "image/png", nil
	case bytes.HasPrefix(head, pdfMagic):
		if !hasPDFTrailer(r, size) {
			return "", fmt.Errorf("PDF without its end-of-file marker: %w", ErrUnsupported)
		}
		return "application/pdf", nil
	}
	return "", fmt.Errorf("the content is none of them: %w", ErrUnsupported)
}

func hasPDFTrailer(r io.ReaderAt, size int64) bool {
	start := max(size-pdfTailWindow, 0)
	tail := make([]byte, size-start)
	if _, err := r.ReadAt(tail, start); err != nil && err != io.EOF {
		return false
	}
	return bytes.Contains(tail, pdfEnd)
}
