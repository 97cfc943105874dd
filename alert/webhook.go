package alert

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"strconv"
	"strings"
	"time"
)

// Webhook requests carry these headers (see docs/webhooks.md).
const (
	HeaderSignature = "Truce-Signature" // v1=<hex HMAC-SHA256(secret, timestamp "." body)>
	HeaderTimestamp = "Truce-Timestamp" // Unix seconds when the request was signed
	HeaderAlert     = "Truce-Alert"     // the alert's ID, the same on every attempt
	HeaderAttempt   = "Truce-Attempt"   // 1 for the first attempt
)

// Sign is the signature header's value for body sent at ts under secret.
func Sign(secret []byte, ts int64, body []byte) string {
	m := hmac.New(sha256.New, secret)
	m.Write([]byte(strconv.FormatInt(ts, 10)))
	m.Write([]byte("."))
	m.Write(body)
	return "v1=" + hex.EncodeToString(m.Sum(nil))
}

// Verify checks a webhook request as a receiver should: the signature over
// the timestamp and the body, and a timestamp within tolerance of now (a
// replayed request is older).
func Verify(secret []byte, timestamp, signature string, body []byte, now time.Time, tolerance time.Duration) error {
	ts, err := strconv.ParseInt(timestamp, 10, 64)
	if err != nil {
		return errors.New("no valid " + HeaderTimestamp)
	}
	if d := now.Sub(time.Unix(ts, 0)); d > tolerance || d < -tolerance {
		return errors.New("the timestamp is too far from now")
	}
	want := Sign(secret, ts, body)
	for _, s := range strings.Split(signature, ",") {
		if hmac.Equal([]byte(strings.TrimSpace(s)), []byte(want)) {
			return nil
		}
	}
	return errors.New("the signature does not match")
}
