package cases

import (
	"context"
	"crypto/rand"
	"fmt"
	"math/big"
	"strings"

	"cloudwindow/store"
)

// A case number is "YW<date>-<serial>-<check>", e.g. "YW20261122-0007-482913".
// Date and serial alone are easy to guess (the next case of the day is one
// more), so every number ends in random check digits that only the receipt
// holds: a station must quote the whole number to learn anything. The check
// is digits, so the kiosk's numeric keypad can type it.
const (
	dateDigits  = 8
	minSerial   = 4 // printed with leading zeros
	maxSerial   = 6
	checkDigits = 6
)

// canonicalNumber returns number as stored: upper case, dashes where they
// belong, whatever spaces and dashes were typed (the kiosk cannot know
// where a serial of more than four digits ends). hasCheck reports whether
// it carries the check part: numbers handed out before check digits
// existed have none.
func canonicalNumber(number string) (canon string, hasCheck bool, ok bool) {
	s := strings.ToUpper(strings.Join(strings.Fields(number), ""))
	digits, found := strings.CutPrefix(s, "YW")
	digits = strings.ReplaceAll(digits, "-", "")
	if !found || strings.Trim(digits, "0123456789") != "" {
		return "", false, false
	}
	serial := len(digits) - dateDigits
	if serial >= minSerial+checkDigits {
		serial -= checkDigits
		hasCheck = true
	}
	if serial < minSerial || serial > maxSerial {
		return "", false, false
	}
	canon = "YW" + digits[:dateDigits] + "-" + digits[dateDigits:dateDigits+serial]
	if hasCheck {
		canon += "-" + digits[dateDigits+serial:]
	}
	return canon, hasCheck, true
}

// nextNumber hands out the next case number of day (the center's local
// date). The upsert takes the row lock on PostgreSQL and the write lock on
// SQLite, so concurrent openings never share a serial; inside the caller's
// transaction, a failed opening gives its serial back.
func nextNumber(ctx context.Context, q store.Querier, day string) (string, error) {
	var seq int
	err := q.QueryRow(ctx, `INSERT INTO case_numbers (day, last_seq) VALUES (?, 1)
		ON CONFLICT (day) DO UPDATE SET last_seq = case_numbers.last_seq + 1 RETURNING last_seq`, day).Scan(&seq)
	if err != nil {
		return "", fmt.Errorf("next case number of %s: %w", day, err)
	}
	check, err := rand.Int(rand.Reader, big.NewInt(1_000_000))
	if err != nil {
		return "", fmt.Errorf("check digits of case number: %w", err)
	}
	return fmt.Sprintf("YW%s-%04d-%0*d", day, seq, checkDigits, check), nil
}
