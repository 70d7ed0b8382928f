package runner

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sessionlab/sessionlab/internal/config"
	"github.com/sessionlab/sessionlab/internal/samtemplate"
)

const testTemplate = `
Transform: AWS::Serverless-2016-10-31
Parameters:
  Secret: {Type: String, NoEcho: true}
Globals:
  Function:
    Environment:
      Variables:
        SESSION_SECRET: !Ref Secret
        SHARED: from-globals
Resources:
  Table:
    Type: AWS::DynamoDB::Table
    Properties:
      KeySchema: [{AttributeName: id, KeyType: HASH}]
      AttributeDefinitions: [{AttributeName: id, AttributeType: S}]
  EchoFunction:
    Type: AWS::Serverless::Function
    Properties:
      Environment:
        Variables:
          TABLE: !Ref Table
          OWN: own
      Events:
        Get: {Type: HttpApi, Properties: {Method: get, Path: /api/echo}}
        Put: {Type: HttpApi, Properties: {Method: PUT, Path: "/api/items/{sku}/notes/{note}"}}
`

func loadTemplate(t *testing.T) *samtemplate.Template {
	t.Helper()
	path := filepath.Join(t.TempDir(), "template.yaml")
	if err := os.WriteFile(path, []byte(testTemplate), 0o600); err != nil {
		t.Fatal(err)
	}
	tpl, err := samtemplate.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	return tpl
}

// echoBuild builds a function that answers its environment and request.
func echoBuild(_ context.Context, name string, getenv config.Getenv) (http.Handler, error) {
	if getenv("SESSION_SECRET") == "" {
		return nil, errors.New("SESSION_SECRET is missing")
	}
	mux := http.NewServeMux()
	h := func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Env", strings.Join([]string{getenv("SHARED"), getenv("OWN"), getenv("TABLE"), getenv("UNDECLARED")}, "|"))
		w.Header().Set("X-Params", r.PathValue("sku")+"|"+r.PathValue("note"))
		c, _ := r.Cookie("theme")
		if c != nil {
			w.Header().Set("X-Theme", c.Value)
		}
		http.SetCookie(w, &http.Cookie{Name: "a", Value: "1"})
		http.SetCookie(w, &http.Cookie{Name: "b", Value: "2"})
		w.WriteHeader(200)
		_, _ = io.WriteString(w, name)
	}
	mux.HandleFunc("GET /api/echo", h)
	mux.HandleFunc("PUT /api/items/{sku}/notes/{note}", h)
	return mux, nil
}

func newRunner(t *testing.T, env EnvFile, proc map[string]string) *httptest.Server {
	t.Helper()
	site := t.TempDir()
	if err := os.WriteFile(filepath.Join(site, "index.html"), []byte("<h1>home</h1>"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(filepath.Join(site, "css"), 0o700); err != nil {
		t.Fatal(err)
	}
	rn, err := New(context.Background(), Config{
		Template: loadTemplate(t), SiteDir: site, EnvFile: env, Build: echoBuild,
		Lookup: func(k string) (string, bool) { v, ok := proc[k]; return v, ok },
	})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(rn)
	t.Cleanup(srv.Close)
	return srv
}

func TestRunnerRoutesAndEnvironment(t *testing.T) {
	env := EnvFile{"Parameters": {"SESSION_SECRET": "k", "OWN": "from-parameters", "UNDECLARED": "x"}, "EchoFunction": {"OWN": "from-function"}}
	srv := newRunner(t, env, map[string]string{"SHARED": "from-process", "UNDECLARED": "y"})
	tests := []struct {
		method, path string
		status       int
		body, env    string
	}{
		{"GET", "/api/echo", 200, "EchoFunction", "from-process|from-function|Table|"},
		{"PUT", "/api/items/ab%20c/notes/n1", 200, "EchoFunction", ""},
		{"POST", "/api/echo", 404, `{"message":"Not Found"}`, ""},
		{"HEAD", "/api/echo", 404, ``, ""},
		{"GET", "/api/nope", 404, `{"message":"Not Found"}`, ""},
		{"GET", "/api", 404, `{"message":"Not Found"}`, ""},
		{"GET", "/api//echo", 404, `{"message":"Not Found"}`, ""},
		{"GET", "/", 200, "<h1>home</h1>", ""},
		{"GET", "/css/", 404, "404 page not found\n", ""},
		{"POST", "/", 405, "method not allowed\n", ""},
	}
	for _, tt := range tests {
		t.Run(tt.method+" "+tt.path, func(t *testing.T) {
			req, _ := http.NewRequest(tt.method, srv.URL+tt.path, nil)
			req.Header.Set("Cookie", "theme=dark; x=1")
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			body, _ := io.ReadAll(resp.Body)
			if resp.StatusCode != tt.status || string(body) != tt.body {
				t.Fatalf("= %d %q, want %d %q", resp.StatusCode, body, tt.status, tt.body)
			}
			if tt.env != "" && resp.Header.Get("X-Env") != tt.env {
				t.Errorf("env = %q, want %q", resp.Header.Get("X-Env"), tt.env)
			}
			if resp.StatusCode == 200 && strings.HasPrefix(tt.path, "/api/") {
				if got := resp.Header.Values("Set-Cookie"); len(got) != 2 {
					t.Errorf("Set-Cookie = %q, want two", got)
				}
				if resp.Header.Get("X-Theme") != "dark" {
					t.Errorf("function saw theme %q", resp.Header.Get("X-Theme"))
				}
			}
		})
	}
	req, _ := http.NewRequest("PUT", srv.URL+"/api/items/ab%20c/notes/n1", nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if got := resp.Header.Get("X-Params"); got != "ab c|n1" {
		t.Errorf("path params = %q", got)
	}
}

func TestRunnerRefusesFunctionThatFailsToStart(t *testing.T) {
	_, err := New(context.Background(), Config{Template: loadTemplate(t), SiteDir: t.TempDir(), Build: echoBuild})
	if err == nil || !strings.Contains(err.Error(), "EchoFunction") || !strings.Contains(err.Error(), "SESSION_SECRET") {
		t.Fatalf("err = %v, want it to name the function and SESSION_SECRET", err)
	}
}
