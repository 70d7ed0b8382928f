package dynamostore

import (
	"strings"
	"testing"
	"time"

	"github.com/sessionlab/sessionlab/internal/session"
)

// TestSlotRoundTrip checks that an entry's slot reads back as the entry at
// the times where the encoding has its edges: keyEpoch itself (every time
// digit 'A', the digit worth 0), each digit's carry, the last minute the
// digits hold, and a time before keyEpoch, which is stored as keyEpoch.
// The entries' times are whole minutes (session.AppliedFor truncates).
func TestSlotRoundTrip(t *testing.T) {
	tests := []struct {
		name     string
		at, want time.Time
		digits   string // the time digits of the info slot
	}{
		{"the epoch", keyEpoch, keyEpoch, "AAAA"},
		{"a minute on", keyEpoch.Add(time.Minute), keyEpoch.Add(time.Minute), "AAAB"},
		{"63 minutes on", keyEpoch.Add(63 * time.Minute), keyEpoch.Add(63 * time.Minute), "AAA_"},
		{"the first carry", keyEpoch.Add(64 * time.Minute), keyEpoch.Add(64 * time.Minute), "AABA"},
		{"the last minute held", keyEpoch.Add((1<<24 - 1) * time.Minute), keyEpoch.Add((1<<24 - 1) * time.Minute), "____"},
		{"before the epoch", keyEpoch.Add(-time.Hour), keyEpoch, "AAAA"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := session.Applied{Key: session.KeyHash("k"), Fingerprint: "fp", At: tt.at}
			info := encodeInfo(a)
			if len(info) != infoLen || !strings.HasPrefix(info, "fp") || info[session.FingerprintHashLen:] != tt.digits {
				t.Fatalf("encodeInfo = %q, want %q", info, "fp"+tt.digits)
			}
			got, ok, err := decodeSlot(a.Key, info)
			if err != nil || !ok || got.Key != a.Key || got.Fingerprint != "fp" || !got.At.Equal(tt.want) {
				t.Errorf("decodeSlot = %+v, %v, %v; want %v at %v", got, ok, err, a.Key, tt.want)
			}
		})
	}
}

// TestSlotRefused checks that slots of the wrong length, or with a time
// digit outside base64url, are errors, and placeholders no entry.
func TestSlotRefused(t *testing.T) {
	key := session.KeyHash("k")
	tests := []struct {
		name, key, info string
		wantErr         bool
	}{
		{"placeholders", placeholder, placeholder, false},
		{"a short key", key[:7], "fpAAAA", true},
		{"a short info", key, "fpAAA", true},
		{"a bad digit", key, "fpAA=A", true},
		{"a bad legacy digit", "abcdefghijkl", "fingerpr=AAAAA", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, ok, err := decodeSlot(tt.key, tt.info)
			if ok || (err != nil) != tt.wantErr {
				t.Errorf("decodeSlot(%q, %q) = ok %v, err %v; want no entry, error %v", tt.key, tt.info, ok, err, tt.wantErr)
			}
		})
	}
}
