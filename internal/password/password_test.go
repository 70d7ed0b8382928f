package password

import (
	"fmt"
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

// TestCostLimits checks the largest costs a stored hash may ask for: 1 GiB
// of memory and 16 passes are accepted, one more is malformed (a hash from
// the store must not make a login allocate without bound). It reads the
// parameters with decode, so the test does not run argon2 at 1 GiB.
func TestCostLimits(t *testing.T) {
	for _, tt := range []struct {
		params string
		ok     bool
	}{
		{"m=1048576,t=1,p=1", true},
		{"m=1048577,t=1,p=1", false},
		{"m=64,t=16,p=1", true},
		{"m=64,t=17,p=1", false},
		{"m=64,t=0,p=1", false},
		{"m=64,t=1,p=0", false},
	} {
		p, _, _, err := decode("$argon2id$v=19$" + tt.params + "$c2FsdA$a2V5")
		if tt.ok && (err != nil || fmt.Sprintf("m=%d,t=%d,p=%d", p.Memory, p.Time, p.Threads) != tt.params) {
			t.Errorf("%s: %+v, %v; want it read", tt.params, p, err)
		}
		if !tt.ok && err != ErrMalformed {
			t.Errorf("%s: err = %v, want ErrMalformed", tt.params, err)
		}
	}
}

// TestDefaultParams pins OWASP's first argon2id option: a change of the
// default cost is a decision, not an accident.
func TestDefaultParams(t *testing.T) {
	if want := (Params{Memory: 19456, Time: 2, Threads: 1, SaltLen: 16, KeyLen: 32}); Default != want {
		t.Errorf("Default = %+v, want %+v", Default, want)
	}
}
