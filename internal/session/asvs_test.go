package session_test

// Tests named in docs/security.md for OWASP ASVS 5.0 V7 and V3.3 and the
// Session Management Cheat Sheet: each fails when the property it names
// breaks.

import (
	"bytes"
	"encoding/base64"
	"go/parser"
	"go/token"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/sessionlab/sessionlab/internal/session"
)

// TestSessionIDsAreUniqueAndRandom (ASVS 7.2.2, 7.2.3): every session gets
// its own 256-bit ID, none repeats (not even in its first 64 bits), two
// managers (two Lambda instances started at the same instant) do not share
// a sequence, and every bit position is set in about half of the IDs, which
// a constant, counter-like or truncated ID fails.
func TestSessionIDsAreUniqueAndRandom(t *testing.T) {
	const contractIDBytes = 256 / 8
	const n = 2000
	f := newFixture()
	managers := []*session.Manager{f.manager(t, session.DefaultTimeouts, keyA), f.manager(t, session.DefaultTimeouts, keyA)}
	seen := map[string]bool{}
	prefixes := map[string]bool{}
	var ones [session.IDBytes * 8]int
	for i := range n {
		s, c := start(t, managers[i%2], session.StartOptions{Username: "ada"})
		id := idOf(t, c)
		// The contract's "≥ 256 bits from crypto/rand", measured on the ID
		// a real cookie carries, not on the constant that made it.
		if len(id) < contractIDBytes {
			t.Fatalf("session ID of %d bytes (%d bits); the contract wants at least %d bits", len(id), len(id)*8, contractIDBytes*8)
		}
		if seen[string(id)] || prefixes[string(id[:8])] || s.Key != session.StoreKey(id) {
			t.Fatalf("session %d repeats an earlier ID (or its first 64 bits), or is stored under another key", i)
		}
		seen[string(id)], prefixes[string(id[:8])] = true, true
		for b := range ones {
			ones[b] += int(id[b/8]>>(b%8)) & 1
		}
	}
	// Binomial(n, ½): σ ≈ 22.4; ±6σ leaves a false alarm below 1e-6 over
	// all 256 positions.
	for b, k := range ones {
		if k < n/2-134 || k > n/2+134 {
			t.Errorf("bit %d is set in %d of %d IDs; a random bit is set in about %d", b, k, n, n/2)
		}
	}
}

// TestIDsComeFromCryptoRand (ASVS 7.2.3): the package that makes session
// IDs imports crypto/rand and never math/rand, whose generators are
// predictable. A statistical test cannot tell a seeded PRNG from a CSPRNG;
// this reads the source.
func TestIDsComeFromCryptoRand(t *testing.T) {
	var cryptoRand bool
	for name, paths := range packageImports(t) {
		for _, path := range paths {
			switch {
			case path == "crypto/rand" && name == "id.go":
				cryptoRand = true
			case path == "math/rand" || path == "math/rand/v2":
				t.Errorf("%s imports %s: session IDs must come from crypto/rand", name, path)
			}
		}
	}
	if !cryptoRand {
		t.Error("id.go does not import crypto/rand")
	}
}

// packageImports returns the import paths of each non-test file of the
// package, by file name.
func packageImports(t *testing.T) map[string][]string {
	t.Helper()
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	fset := token.NewFileSet()
	out := map[string][]string{}
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		file, err := parser.ParseFile(fset, name, nil, parser.ImportsOnly)
		if err != nil {
			t.Fatal(err)
		}
		for _, imp := range file.Imports {
			path, _ := strconv.Unquote(imp.Path.Value)
			out[name] = append(out[name], path)
		}
	}
	return out
}

// TestSessionCookieAttributes (ASVS 3.3.1, 3.3.2, 3.3.3, 3.3.4; Cheat
// Sheet: name, Domain and Path, persistent vs non-persistent): with
// COOKIE_SECURE the cookie is __Host-session with Secure; it is always
// HttpOnly, SameSite=Lax, Path=/, without Domain or Expires, and without
// Max-Age unless the login asked to be remembered. The cookie that ends a
// session carries the same name, Path and Secure, or a browser would keep
// the original.
func TestSessionCookieAttributes(t *testing.T) {
	remember := int(session.DefaultTimeouts.Remember / time.Second)
	tests := []struct {
		secure, remember bool
		name             string
		maxAge           int
	}{
		{false, false, "session", 0},
		{false, true, "session", remember},
		{true, false, "__Host-session", 0},
		{true, true, "__Host-session", remember},
	}
	for _, tt := range tests {
		t.Run(tt.name+" remember="+strconv.FormatBool(tt.remember), func(t *testing.T) {
			f := newFixture()
			m, err := session.NewManager(session.Options{Store: f.store, Keys: [][]byte{keyA}, Timeouts: session.DefaultTimeouts, Secure: tt.secure, Now: f.clock.Now})
			if err != nil {
				t.Fatal(err)
			}
			w := httptest.NewRecorder()
			s, err := m.Start(w, request(nil), session.StartOptions{Username: "ada", Remember: tt.remember})
			if err != nil {
				t.Fatal(err)
			}
			c := onlyCookie(t, w)
			checkSessionCookie(t, c, tt.name, tt.secure)
			if c.MaxAge != tt.maxAge || !c.Expires.IsZero() {
				t.Errorf("Max-Age %d, Expires %v; want Max-Age %d and no Expires", c.MaxAge, c.Expires, tt.maxAge)
			}
			if m.CookieName() != tt.name {
				t.Errorf("CookieName() = %q, want %q", m.CookieName(), tt.name)
			}
			w = httptest.NewRecorder()
			if err := m.Destroy(w, request(c), s); err != nil {
				t.Fatal(err)
			}
			gone := onlyCookie(t, w)
			checkSessionCookie(t, gone, tt.name, tt.secure)
			if gone.MaxAge >= 0 || gone.Value != "" {
				t.Errorf("the ending cookie has Max-Age %d and value %q; want Max-Age=0 and no value", gone.MaxAge, gone.Value)
			}
		})
	}
}

func onlyCookie(t *testing.T, w *httptest.ResponseRecorder) *http.Cookie {
	t.Helper()
	lines := w.Header().Values("Set-Cookie")
	if len(lines) != 1 {
		t.Fatalf("%d Set-Cookie lines, want 1: %q", len(lines), lines)
	}
	c, err := http.ParseSetCookie(lines[0])
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Unparsed) > 0 {
		t.Fatalf("unknown attributes %q", c.Unparsed)
	}
	return c
}

func checkSessionCookie(t *testing.T, c *http.Cookie, name string, secure bool) {
	t.Helper()
	if c.Name != name || c.Secure != secure || !c.HttpOnly || c.SameSite != http.SameSiteLaxMode ||
		c.Path != "/" || c.Domain != "" || c.Partitioned {
		t.Errorf("Set-Cookie %q; want %s with HttpOnly, SameSite=Lax, Path=/, no Domain, Secure=%v", c.Raw, name, secure)
	}
}

// TestCookieCarriesOnlyTheID (Cheat Sheet: session ID content): the
// cookie's payload, read without any key, is exactly the 32 random bytes
// of the ID; nothing about the user, the data, its keys or the browser is
// in it.
func TestCookieCarriesOnlyTheID(t *testing.T) {
	f := newFixture()
	m := f.manager(t, session.DefaultTimeouts, keyA)
	r := request(nil)
	r.Header.Set("User-Agent", "canary-agent")
	w := httptest.NewRecorder()
	if _, err := m.Change(w, r, session.Change{Ops: []session.Op{addOp("canary-map", "canary-sku", 3)}, Key: "canary-key", Start: true}); err != nil {
		t.Fatal(err)
	}
	anon, _ := load(t, m, onlyCookie(t, w))
	w = httptest.NewRecorder()
	if _, err := m.Renew(w, r, anon, session.StartOptions{Username: "canary-user", Remember: true, Authenticated: true}); err != nil {
		t.Fatal(err)
	}
	c := onlyCookie(t, w)
	outer, err := base64.URLEncoding.DecodeString(c.Value)
	if err != nil {
		t.Fatalf("cookie value is not base64url: %v", err)
	}
	parts := bytes.SplitN(outer, []byte("|"), 3) // timestamp|payload|mac
	if len(parts) != 3 {
		t.Fatalf("cookie value is not securecookie's timestamp|payload|mac")
	}
	payload, err := base64.URLEncoding.DecodeString(string(parts[1]))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(payload, idOf(t, c)) || len(payload) != session.IDBytes {
		t.Fatalf("the cookie's payload is %d bytes, not the %d-byte ID alone", len(payload), session.IDBytes)
	}
	for _, text := range [][]byte{[]byte(c.Value), outer, payload} {
		if bytes.Contains(text, []byte("canary")) {
			t.Errorf("the cookie carries user, session data or browser data: %q", text)
		}
	}
}

// TestPlantedIDIsNeverAdopted (Cheat Sheet: strict session management;
// ASVS 7.2.4): a cookie that is well signed but names an ID the server
// never issued is no session: it is expired, nothing is created under its
// ID, and a session started on that request gets a fresh ID of its own.
func TestPlantedIDIsNeverAdopted(t *testing.T) {
	f := newFixture()
	m := f.manager(t, session.DefaultTimeouts, keyA)
	codec, err := session.NewCodec([][]byte{keyA}, session.DefaultTimeouts.Remember)
	if err != nil {
		t.Fatal(err)
	}
	planted := bytes.Repeat([]byte{0x42}, session.IDBytes)
	value, err := codec.Encode(planted)
	if err != nil {
		t.Fatal(err)
	}
	c := &http.Cookie{Name: "session", Value: value}
	if s, w := load(t, m, c); s != nil || !expired(w) {
		t.Fatal("a never-issued ID loaded a session, or its cookie was not expired")
	}
	w := httptest.NewRecorder()
	s, err := m.Start(w, request(c), session.StartOptions{Username: "ada"})
	if err != nil {
		t.Fatal(err)
	}
	if s.Key == session.StoreKey(planted) || bytes.Equal(idOf(t, cookieOf(w)), planted) {
		t.Fatal("a session started on a request with a planted ID took that ID")
	}
	if _, found, _ := f.store.Get(t.Context(), session.StoreKey(planted), f.clock.Now()); found {
		t.Fatal("a record exists under the planted ID")
	}
}

// TestCoreImportsNoEdge (issue 13 item 6): the session package imports no
// edge (web, config, Lambda) and no feature or store; a logger and the
// request's log tag come in through Options. Only the shared signing
// set-up may join it.
func TestCoreImportsNoEdge(t *testing.T) {
	allowed := map[string]bool{
		"github.com/gorilla/securecookie":                   true,
		"github.com/sessionlab/sessionlab/internal/signing": true,
	}
	for name, paths := range packageImports(t) {
		for _, path := range paths {
			if strings.Contains(strings.Split(path, "/")[0], ".") && !allowed[path] {
				t.Errorf("%s imports %s: the session core imports only the standard library and its codec", name, path)
			}
		}
	}
}
