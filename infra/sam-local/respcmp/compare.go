package main

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
)

// Response is the part of an API Gateway v2 response event that the two
// tools must agree on.
type Response struct {
	StatusCode      int               `json:"statusCode"`
	Headers         map[string]string `json:"headers"`
	Cookies         []string          `json:"cookies"`
	Body            string            `json:"body"`
	IsBase64Encoded bool              `json:"isBase64Encoded"`
}

// ParseResponse finds the response event in a tool's output: the last JSON
// object that starts a line and has a statusCode.
func ParseResponse(out []byte) (Response, error) {
	lines := bytes.SplitAfter(out, []byte("\n"))
	for i := len(lines) - 1; i >= 0; i-- {
		if !bytes.HasPrefix(bytes.TrimSpace(lines[i]), []byte("{")) {
			continue
		}
		dec := json.NewDecoder(bytes.NewReader(bytes.Join(lines[i:], nil)))
		var probe map[string]json.RawMessage
		if err := dec.Decode(&probe); err != nil || probe["statusCode"] == nil {
			continue
		}
		var r Response
		raw, _ := json.Marshal(probe)
		if err := json.Unmarshal(raw, &r); err != nil {
			return Response{}, fmt.Errorf("read response event: %w", err)
		}
		return r, nil
	}
	return Response{}, errors.New("no response event (a JSON object with statusCode) in the output")
}

// Compare lists how got differs from want: status, headers (names in any
// case), cookies (name, value and attributes; Expires dates and opaque
// tokens such as session IDs and signatures, which differ on every run, are
// only checked to be there) and body (as JSON when both are JSON, with the
// same allowance for tokens in strings).
func Compare(want, got Response) []string {
	var diffs []string
	if want.StatusCode != got.StatusCode {
		diffs = append(diffs, fmt.Sprintf("status: want %d, got %d", want.StatusCode, got.StatusCode))
	}
	diffs = append(diffs, compareHeaders(want.Headers, got.Headers)...)
	diffs = append(diffs, compareCookies(want.Cookies, got.Cookies)...)
	wb, werr := decodeBody(want)
	gb, gerr := decodeBody(got)
	switch {
	case werr != nil || gerr != nil:
		diffs = append(diffs, fmt.Sprintf("body: cannot decode (want: %v, got: %v)", werr, gerr))
	case !sameBody(wb, gb):
		diffs = append(diffs, fmt.Sprintf("body: want %s, got %s", clip(wb), clip(gb)))
	}
	return diffs
}

func compareHeaders(want, got map[string]string) []string {
	w, g := lowerKeys(want), lowerKeys(got)
	var diffs []string
	for _, k := range slices.Sorted(maps.Keys(w)) {
		if gv, ok := g[k]; !ok {
			diffs = append(diffs, fmt.Sprintf("header %s: want %q, missing", k, w[k]))
		} else if gv != w[k] {
			diffs = append(diffs, fmt.Sprintf("header %s: want %q, got %q", k, w[k], gv))
		}
	}
	for _, k := range slices.Sorted(maps.Keys(g)) {
		if _, ok := w[k]; !ok {
			diffs = append(diffs, fmt.Sprintf("header %s: not wanted, got %q", k, g[k]))
		}
	}
	return diffs
}

func lowerKeys(m map[string]string) map[string]string {
	out := make(map[string]string, len(m))
	for k, v := range m {
		out[strings.ToLower(k)] = v
	}
	return out
}

func compareCookies(want, got []string) []string {
	if len(want) != len(got) {
		return []string{fmt.Sprintf("cookies: want %d %q, got %d %q", len(want), want, len(got), got)}
	}
	var diffs []string
	for i := range want {
		w, g := parseCookie(want[i]), parseCookie(got[i])
		if w.name != g.name || !maps.Equal(w.attrs, g.attrs) || !sameValue(w.value, g.value) {
			diffs = append(diffs, fmt.Sprintf("cookie %d: want %q, got %q", i, want[i], got[i]))
		}
	}
	return diffs
}

type cookie struct {
	name, value string
	// attrs maps lower-case attribute names to their values, Expires
	// masked.
	attrs map[string]string
}

func parseCookie(line string) cookie {
	parts := strings.Split(line, ";")
	name, value, _ := strings.Cut(strings.TrimSpace(parts[0]), "=")
	c := cookie{name: name, value: value, attrs: map[string]string{}}
	for _, p := range parts[1:] {
		k, v, _ := strings.Cut(strings.TrimSpace(p), "=")
		k = strings.ToLower(k)
		if k == "expires" {
			v = "<date>"
		}
		c.attrs[k] = v
	}
	return c
}

// sameValue reports whether two cookie values agree: equal, or both opaque
// tokens (random or signed, so never equal across two runs).
func sameValue(a, b string) bool {
	return a == b || (isToken(a) && isToken(b))
}

func isToken(v string) bool {
	if len(v) < 20 {
		return false
	}
	for _, r := range v {
		if !strings.ContainsRune("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_=+/.|", r) {
			return false
		}
	}
	return true
}

func decodeBody(r Response) (string, error) {
	if !r.IsBase64Encoded {
		return r.Body, nil
	}
	b, err := base64.StdEncoding.DecodeString(r.Body)
	if err != nil {
		return "", fmt.Errorf("base64 body: %w", err)
	}
	return string(b), nil
}

func sameBody(a, b string) bool {
	if a == b {
		return true
	}
	var ja, jb any
	if json.Unmarshal([]byte(a), &ja) != nil || json.Unmarshal([]byte(b), &jb) != nil {
		return false
	}
	return sameJSON(ja, jb)
}

// sameJSON compares two decoded JSON values; strings agree as cookie values
// do (a body may echo a signed cookie).
func sameJSON(a, b any) bool {
	switch a := a.(type) {
	case map[string]any:
		b, ok := b.(map[string]any)
		if !ok || len(a) != len(b) {
			return false
		}
		for k, av := range a {
			if bv, ok := b[k]; !ok || !sameJSON(av, bv) {
				return false
			}
		}
		return true
	case []any:
		b, ok := b.([]any)
		if !ok || len(a) != len(b) {
			return false
		}
		for i := range a {
			if !sameJSON(a[i], b[i]) {
				return false
			}
		}
		return true
	case string:
		b, ok := b.(string)
		return ok && sameValue(a, b)
	default:
		return a == b
	}
}

func clip(s string) string {
	if len(s) > 300 {
		s = s[:300] + "..."
	}
	return fmt.Sprintf("%q", s)
}
