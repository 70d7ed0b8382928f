package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sessionlab/sessionlab/internal/samtemplate"
)

func TestFunctionFor(t *testing.T) {
	tpl, err := samtemplate.Load("testdata/template.yaml")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, event, want, err string
	}{
		{"plain route", `{"routeKey": "GET /api/cart"}`, "CartFunction", ""},
		{"path parameter, method in lower case in the template", `{"routeKey": "PUT /api/pages/{id}"}`, "PagesFunction", ""},
		{"unknown route", `{"routeKey": "GET /api/nope"}`, "", "no function"},
		{"no routeKey", `{"rawPath": "/api/cart"}`, "", "no routeKey"},
		{"not JSON", `GET /api/cart`, "", "read event"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := FunctionFor(tpl, []byte(tt.event))
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("err = %v, want one containing %q", err, tt.err)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("FunctionFor = %q, %v; want %q", got, err, tt.want)
			}
		})
	}
}

func TestWarmupRoute(t *testing.T) {
	tests := []struct {
		name   string
		routes []samtemplate.Route
		want   string
		ok     bool
	}{
		{"a GET without parameters first", []samtemplate.Route{{Method: "PUT", Path: "/a"}, {Method: "GET", Path: "/a/{id}"}, {Method: "GET", Path: "/a"}}, "GET /a", true},
		{"else the first route, parameters filled", []samtemplate.Route{{Method: "DELETE", Path: "/a/{id}/b/{sku}"}, {Method: "POST", Path: "/a"}}, "DELETE /a/warmup/b/warmup", true},
		{"no routes", nil, "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, ok := WarmupRoute(samtemplate.Function{Name: "F", Routes: tt.routes})
			if ok != tt.ok || (ok && r.Key() != tt.want) {
				t.Fatalf("WarmupRoute = %q, %v; want %q, %v", r.Key(), ok, tt.want, tt.ok)
			}
		})
	}
}

func TestParseResponse(t *testing.T) {
	tests := []struct {
		name, out string
		status    int
		body      string
		wantErr   bool
	}{
		{"make invoke: indented JSON", "{\n  \"statusCode\": 201,\n  \"body\": \"{}\"\n}\n", 201, "{}", false},
		{"sam local invoke: logs, then one line", "START RequestId: 1\n{\"level\":\"INFO\",\"msg\":\"x\"}\n{\"statusCode\": 200, \"body\": \"hi\"}", 200, "hi", false},
		{"log line after the response", "{\"statusCode\": 404, \"body\": \"\"}\n{\"level\":\"INFO\"}\n", 404, "", false},
		{"no response", "{\"level\":\"INFO\"}\nError: function crashed\n", 0, "", true},
		{"empty", "", 0, "", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := ParseResponse([]byte(tt.out))
			if (err != nil) != tt.wantErr {
				t.Fatalf("err = %v, want error: %v", err, tt.wantErr)
			}
			if r.StatusCode != tt.status || r.Body != tt.body {
				t.Fatalf("got %d %q, want %d %q", r.StatusCode, r.Body, tt.status, tt.body)
			}
		})
	}
}

func TestCompare(t *testing.T) {
	base := Response{
		StatusCode: 200,
		Headers:    map[string]string{"Content-Type": "application/json", "Cache-Control": "no-store"},
		Cookies: []string{
			"theme=dark; Path=/; Max-Age=2592000; SameSite=Lax",
			"session=MTc5NTYzNTQ4OHxPTjVyMC1TUmRQQkpSc19FXzUx; Path=/; HttpOnly; SameSite=Lax",
		},
		Body: `{"theme":"dark","count":2}`,
	}
	tests := []struct {
		name   string
		change func(r *Response)
		diffs  []string
	}{
		{"identical", func(r *Response) {}, nil},
		{"another session token", func(r *Response) {
			r.Cookies = []string{r.Cookies[0], "session=MTc5NTYzNTQ5MHxzb21ldGhpbmdfZWxzZV9lbnRpcmVseQ==; Path=/; HttpOnly; SameSite=Lax"}
		}, nil},
		{"attributes in another order and case", func(r *Response) {
			r.Cookies = []string{"theme=dark; samesite=Lax; Max-Age=2592000; path=/", r.Cookies[1]}
		}, nil},
		{"header names in another case", func(r *Response) {
			r.Headers = map[string]string{"content-type": "application/json", "CACHE-CONTROL": "no-store"}
		}, nil},
		{"JSON body with another key order and spacing", func(r *Response) { r.Body = `{ "count": 2, "theme": "dark" }` }, nil},
		{"the same body in base64", func(r *Response) {
			r.Body, r.IsBase64Encoded = "eyJ0aGVtZSI6ImRhcmsiLCJjb3VudCI6Mn0=", true
		}, nil},
		{"status", func(r *Response) { r.StatusCode = 500 }, []string{"status"}},
		{"header value", func(r *Response) { r.Headers["Cache-Control"] = "private" }, []string{"header cache-control"}},
		{"missing header", func(r *Response) { delete(r.Headers, "Cache-Control") }, []string{"header cache-control: want"}},
		{"extra header", func(r *Response) { r.Headers["X-Extra"] = "1" }, []string{"header x-extra: not wanted"}},
		{"short cookie value", func(r *Response) {
			r.Cookies = []string{"theme=light; Path=/; Max-Age=2592000; SameSite=Lax", r.Cookies[1]}
		}, []string{"cookie 0"}},
		{"token against empty value", func(r *Response) {
			r.Cookies = []string{r.Cookies[0], "session=; Path=/; HttpOnly; SameSite=Lax"}
		}, []string{"cookie 1"}},
		{"cookie attribute", func(r *Response) {
			r.Cookies = []string{"theme=dark; Path=/; Max-Age=60; SameSite=Lax", r.Cookies[1]}
		}, []string{"cookie 0"}},
		{"HttpOnly lost", func(r *Response) {
			r.Cookies = []string{r.Cookies[0], "session=MTc5NTYzNTQ4OHxPTjVyMC1TUmRQQkpSc19FXzUx; Path=/; SameSite=Lax"}
		}, []string{"cookie 1"}},
		{"cookie missing", func(r *Response) { r.Cookies = r.Cookies[:1] }, []string{"cookies: want 2"}},
		{"body", func(r *Response) { r.Body = `{"theme":"light","count":2}` }, []string{"body"}},
		{"body not JSON", func(r *Response) { r.Body = "dark" }, []string{"body"}},
		{"bad base64", func(r *Response) { r.Body, r.IsBase64Encoded = "%%%", true }, []string{"body: cannot decode"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := clone(base)
			tt.change(&got)
			diffs := Compare(base, got)
			if len(diffs) != len(tt.diffs) {
				t.Fatalf("diffs = %q, want %d starting with %q", diffs, len(tt.diffs), tt.diffs)
			}
			for i, prefix := range tt.diffs {
				if !strings.HasPrefix(diffs[i], prefix) {
					t.Errorf("diff %d = %q, want it to start with %q", i, diffs[i], prefix)
				}
			}
		})
	}
}

func TestSameBody(t *testing.T) {
	tests := []struct {
		name, a, b string
		want       bool
	}{
		{"equal text", "dark", "dark", true},
		{"other text", "dark", "light", false},
		{"JSON, other spacing", `{"a": [1, 2]}`, `{"a":[1,2]}`, true},
		{"JSON, other number", `{"a": [1, 2]}`, `{"a":[1,3]}`, false},
		{"JSON, extra key", `{"a": 1}`, `{"a": 1, "b": 2}`, false},
		{"JSON, other type", `{"a": "1"}`, `{"a": 1}`, false},
		{"JSON, shorter array", `[1, 2]`, `[1]`, false},
		{"signed cookie echoed in the body", `{"cookie":"MTc5NTYzNjE5NnxleUp1WVcxbElqb2lRV1JoSWl3|x"}`, `{"cookie":"MTc5NTYzNjIwMnxleUp1WVcxbElqb2lRV1JoSWl3|y"}`, true},
		{"token against a short string", `{"id":"MTc5NTYzNjE5NnxleUp1WVcxbElqb2lRV1JoSWl3"}`, `{"id":"none"}`, false},
		{"JSON against text", `{"a": 1}`, `a`, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := sameBody(tt.a, tt.b); got != tt.want {
				t.Fatalf("sameBody(%s, %s) = %v, want %v", tt.a, tt.b, got, tt.want)
			}
		})
	}
}

func clone(r Response) Response {
	h := map[string]string{}
	for k, v := range r.Headers {
		h[k] = v
	}
	r.Headers = h
	r.Cookies = append([]string(nil), r.Cookies...)
	return r
}

func TestRun(t *testing.T) {
	dir := t.TempDir()
	write := func(name, body string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	event := write("get-cart.json", `{"routeKey": "GET /api/cart"}`)
	want := write("want.json", "{\n  \"statusCode\": 200,\n  \"body\": \"{}\"\n}\n")
	same := write("same.json", "START RequestId: 1\n{\"statusCode\": 200, \"body\": \"{ }\"}\n")
	other := write("other.json", `{"statusCode": 404, "body": "{}"}`)
	tests := []struct {
		name    string
		args    []string
		out     string
		wantErr bool
	}{
		{"route", []string{"route", "testdata/template.yaml", event}, "CartFunction " + event + "\n", false},
		{"warmup", []string{"warmup", "testdata/template.yaml"}, "CartFunction GET /api/cart\nPagesFunction GET /api/pages\n", false},
		{"compare equal", []string{"compare", want, same}, "", false},
		{"compare different", []string{"compare", want, other}, "  status: want 200, got 404\n", true},
		{"compare a missing file", []string{"compare", want, filepath.Join(dir, "nope.json")}, "", true},
		{"usage", []string{"compare", want}, "", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out bytes.Buffer
			err := run(tt.args, &out)
			if (err != nil) != tt.wantErr {
				t.Fatalf("err = %v, want error: %v", err, tt.wantErr)
			}
			if out.String() != tt.out {
				t.Fatalf("output %q, want %q", out.String(), tt.out)
			}
		})
	}
}
