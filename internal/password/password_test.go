package password

import (
	"strings"
	"testing"
)

// cheap keeps tests fast; the format and logic are the same as Default's.
var cheap = Params{Memory: 64, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 32}

func TestHashVerify(t *testing.T) {
	h := Hash("correct horse", cheap)
	if !strings.HasPrefix(h, "$argon2id$v=19$m=64,t=1,p=1$") {
		t.Fatalf("hash = %q", h)
	}
	if h == Hash("correct horse", cheap) {
		t.Fatal("two hashes of one password are equal: salt not random")
	}
	tests := []struct {
		password string
		want     bool
	}{{"correct horse", true}, {"correct hors", false}, {"Correct horse", false}, {"", false}}
	for _, tt := range tests {
		if ok, err := Verify(tt.password, h); err != nil || ok != tt.want {
			t.Errorf("Verify(%q) = %v, %v; want %v", tt.password, ok, err, tt.want)
		}
	}
}

func TestVerifyMalformed(t *testing.T) {
	for _, h := range []string{"", "plain", "$argon2i$v=19$m=64,t=1,p=1$c2FsdA$a2V5", "$argon2id$v=18$m=64,t=1,p=1$c2FsdA$a2V5",
		"$argon2id$v=19$m=0,t=1,p=1$c2FsdA$a2V5", "$argon2id$v=19$m=64,t=1,p=1$!!$a2V5", "$argon2id$v=19$m=64,t=1,p=1$c2FsdA$",
		"$argon2id$v=19$m=99999999,t=1,p=1$c2FsdA$a2V5"} {
		if _, err := Verify("x", h); err == nil {
			t.Errorf("Verify accepted malformed hash %q", h)
		}
	}
}

func BenchmarkHashDefault(b *testing.B) {
	for b.Loop() {
		Hash("correct horse battery staple", Default)
	}
}
