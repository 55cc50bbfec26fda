package cases

// QRSVG draws text as a QR code in SVG, as receipts carry it, for other
// printed slips.
func QRSVG(text string) (string, error) { return qrSVG(text) }
