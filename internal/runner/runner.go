// Package runner is the local stand-in for `sam local start-api`: it reads
// template.yaml, routes each HttpApi method and path to its function, turns
// every API request into the API Gateway v2 event AWS would send, calls the
// very handler Lambda runs, and serves site/ for everything else.
package runner

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambdacontext"

	"github.com/sessionlab/sessionlab/internal/apigw"
	"github.com/sessionlab/sessionlab/internal/config"
	"github.com/sessionlab/sessionlab/internal/samtemplate"
	"github.com/sessionlab/sessionlab/internal/web"
)

// BuildFunc builds the HTTP handler of the function called name from its
// environment, as the function's main does in Lambda.
type BuildFunc func(ctx context.Context, name string, getenv config.Getenv) (http.Handler, error)

// Config configures a Runner.
type Config struct {
	Template *samtemplate.Template
	SiteDir  string                      // served for every path outside /api/
	EnvFile  EnvFile                     // env.json
	Lookup   func(string) (string, bool) // the process environment (os.LookupEnv)
	Build    BuildFunc                   // how each function is built
	Logger   *slog.Logger                // one line per request; nil for none
}

// Runner serves the site and the API on one origin.
type Runner struct {
	mux       *http.ServeMux
	functions map[string]apigw.LambdaHandler
	routes    map[string]string // route key → function name
	logger    *slog.Logger
}

// New builds every function of the template; it fails, naming the function,
// when one refuses to start (for example without a valid SESSION_SECRET).
func New(ctx context.Context, cfg Config) (*Runner, error) {
	rn := &Runner{mux: http.NewServeMux(), functions: map[string]apigw.LambdaHandler{}, routes: map[string]string{}, logger: cfg.Logger}
	lookup := cfg.Lookup
	if lookup == nil {
		lookup = func(string) (string, bool) { return "", false }
	}
	for _, fn := range cfg.Template.Functions {
		env := FunctionEnv(fn, cfg.EnvFile, lookup)
		h, err := cfg.Build(ctx, fn.Name, func(k string) string { return env[k] })
		if err != nil {
			return nil, fmt.Errorf("%s: %w", fn.Name, err)
		}
		rn.functions[fn.Name] = apigw.Handler(h)
		for _, route := range fn.Routes {
			if err := rn.addRoute(fn.Name, route); err != nil {
				return nil, err
			}
		}
	}
	rn.mux.Handle("/api/", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { web.NotFound(w) }))
	rn.mux.Handle("/", siteHandler(cfg.SiteDir))
	return rn, nil
}

var pathParam = regexp.MustCompile(`\{([^}/]+)\}`)

func (rn *Runner) addRoute(fnName string, route samtemplate.Route) (err error) {
	defer func() {
		if p := recover(); p != nil { // ServeMux panics on conflicting patterns
			err = fmt.Errorf("%s: route %s: %v", fnName, route.Key(), p)
		}
	}()
	params := pathParam.FindAllStringSubmatch(route.Path, -1)
	rn.routes[route.Key()] = fnName
	rn.mux.HandleFunc(route.Key(), func(w http.ResponseWriter, r *http.Request) {
		values := map[string]string{}
		for _, p := range params {
			values[p[1]] = r.PathValue(p[1])
		}
		rn.invokeHTTP(w, r, fnName, apigw.Route{Key: route.Key(), PathParams: values})
	})
	return nil
}

// Routes maps each served route key ("GET /api/cart") to its function.
func (rn *Runner) Routes() map[string]string { return rn.routes }

// ServeHTTP answers r: a route of the template through its function, API
// Gateway's 404 for anything else under /api/, the site otherwise.
func (rn *Runner) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	sw := &web.StatusWriter{ResponseWriter: w}
	h, pattern := rn.mux.Handler(r)
	if isAPIPath(r.URL.Path) && !web.ExactRoute(r, pattern) {
		h, pattern = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { web.NotFound(w) }), ""
	}
	h.ServeHTTP(sw, r)
	if rn.logger != nil {
		rn.logger.Info(fmt.Sprintf("%s %s → %d", r.Method, r.URL.Path, sw.Status),
			"function", rn.routes[pattern], "ms", time.Since(start).Milliseconds())
	}
}

func isAPIPath(p string) bool { return p == "/api" || strings.HasPrefix(p, "/api/") }

func (rn *Runner) invokeHTTP(w http.ResponseWriter, r *http.Request, fnName string, route apigw.Route) {
	ev, err := apigw.ToEvent(r, route)
	if err != nil {
		http.Error(w, `{"message":"Request Entity Too Large"}`, http.StatusRequestEntityTooLarge)
		return
	}
	resp, err := rn.Invoke(r.Context(), fnName, ev)
	if err != nil {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusInternalServerError)
		_, _ = w.Write([]byte(`{"message":"Internal Server Error"}`))
		return
	}
	if err := apigw.WriteResponse(w, resp); err != nil && rn.logger != nil {
		rn.logger.Error("write response", "function", fnName, "err", err.Error())
	}
}

// Invoke runs function fnName on ev, with a Lambda context as AWS gives one.
func (rn *Runner) Invoke(ctx context.Context, fnName string, ev events.APIGatewayV2HTTPRequest) (events.APIGatewayV2HTTPResponse, error) {
	h, ok := rn.functions[fnName]
	if !ok {
		return events.APIGatewayV2HTTPResponse{}, fmt.Errorf("no function %q in the template", fnName)
	}
	ctx = lambdacontext.NewContext(ctx, &lambdacontext.LambdaContext{
		AwsRequestID:       ev.RequestContext.RequestID,
		InvokedFunctionArn: "arn:aws:lambda:us-east-1:123456789012:function:" + fnName,
	})
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second) // API Gateway's integration timeout
	defer cancel()
	return h(ctx, ev)
}

// siteHandler serves dir with the site's security headers, and 404 for
// directories without an index.html (no listings).
func siteHandler(dir string) http.Handler {
	files := http.FileServer(http.Dir(dir))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		for k, v := range web.SiteHeaders {
			w.Header().Set(k, v)
		}
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			w.Header().Set("Allow", "GET, HEAD")
			http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
			return
		}
		if strings.HasSuffix(r.URL.Path, "/") {
			if _, err := os.Stat(filepath.Join(dir, filepath.FromSlash(r.URL.Path), "index.html")); err != nil {
				http.NotFound(w, r)
				return
			}
		}
		w.Header().Set("Cache-Control", "no-cache")
		files.ServeHTTP(w, r)
	})
}
