package scenario

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/sessionlab/sessionlab/internal/allfunctions"
	"github.com/sessionlab/sessionlab/internal/app"
	"github.com/sessionlab/sessionlab/internal/config"
	"github.com/sessionlab/sessionlab/internal/memstore"
	"github.com/sessionlab/sessionlab/internal/runner"
	"github.com/sessionlab/sessionlab/internal/samtemplate"
	"github.com/sessionlab/sessionlab/internal/session"
)

// cookieRecorder remembers every cookie value that crosses the wire.
type cookieRecorder struct {
	mu     sync.Mutex
	values map[string]bool
	next   http.Handler
}

func (c *cookieRecorder) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	c.add(r.Cookies())
	c.next.ServeHTTP(w, r)
	c.add(parseSetCookies(w.Header().Values("Set-Cookie")))
}

func parseSetCookies(lines []string) []*http.Cookie {
	var out []*http.Cookie
	for _, l := range lines {
		if ck, err := http.ParseSetCookie(l); err == nil {
			out = append(out, ck)
		}
	}
	return out
}

func (c *cookieRecorder) add(cookies []*http.Cookie) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, ck := range cookies {
		if len(ck.Value) >= 8 {
			c.values[ck.Value] = true
		}
	}
}

// TestLogsHoldNoSecrets runs every scenario with the functions' logs
// captured, then fails if any cookie value that crossed the wire, any raw
// session ID, the password or the signing key appears in them.
func TestLogsHoldNoSecrets(t *testing.T) {
	var logs bytes.Buffer
	var mu sync.Mutex
	prev := slog.Default()
	slog.SetDefault(slog.New(slog.NewJSONHandler(lockedWriter{&mu, &logs}, &slog.HandlerOptions{Level: slog.LevelDebug})))
	t.Cleanup(func() { slog.SetDefault(prev) })

	key := make([]byte, 32)
	_, _ = rand.Read(key)
	secret := hex.EncodeToString(key)
	tpl, err := samtemplate.Load("../../template.yaml")
	if err != nil {
		t.Fatal(err)
	}
	mem := memstore.New()
	opts := app.Options{Stores: app.Stores{Sessions: mem, Users: mem, Throttle: mem}}
	rn, err := runner.New(context.Background(), runner.Config{
		Template: tpl, SiteDir: "../../site",
		EnvFile: runner.EnvFile{"Parameters": {"SESSION_SECRET": secret, "COOKIE_SECURE": "false", "SESSION_REAUTH_WINDOW": ReauthWindow}},
		Build: func(ctx context.Context, name string, getenv config.Getenv) (http.Handler, error) {
			return allfunctions.Build(ctx, name, getenv, opts)
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	rec := &cookieRecorder{values: map[string]bool{}, next: rn}
	srv := httptest.NewServer(rec)
	defer srv.Close()
	Run(t, srv.URL)

	mu.Lock()
	captured := logs.String()
	mu.Unlock()
	if strings.Count(captured, `"msg":"request"`) < 50 {
		t.Fatalf("too few request lines captured (%d): is logging wired?", strings.Count(captured, `"msg":"request"`))
	}
	for _, want := range []string{`"msg":"session created"`, `"msg":"session renewed"`, `"msg":"session revoked"`, `"msg":"tampered or foreign session cookie seen"`, `"msg":"session expired or unknown"`} {
		if !strings.Contains(captured, want) {
			t.Errorf("no %s event in the logs", want)
		}
	}
	type secretValue struct{ what, value string }
	forbidden := []secretValue{{"password", testPassword}, {"signing key", secret}, {"signing key", strings.ToUpper(secret)}}
	codec, _ := session.NewCodec([][]byte{key}, session.DefaultTimeouts.Remember)
	ids := 0
	for v := range rec.values {
		forbidden = append(forbidden, secretValue{"cookie value", v})
		if id, _, err := codec.Decode(v); err == nil {
			ids++
			forbidden = append(forbidden, secretValue{"raw session ID (hex)", hex.EncodeToString(id)},
				secretValue{"raw session ID (base64)", base64.RawURLEncoding.EncodeToString(id)},
				secretValue{"session store key", session.StoreKey(id)})
		}
	}
	if len(rec.values) < 10 || ids < 10 {
		t.Fatalf("only %d cookie values and %d session IDs recorded", len(rec.values), ids)
	}
	for _, f := range forbidden {
		if strings.Contains(captured, f.value) {
			t.Errorf("the logs contain a %s: %.12s…", f.what, f.value)
		}
	}
}

type lockedWriter struct {
	mu *sync.Mutex
	w  *bytes.Buffer
}

func (l lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}
