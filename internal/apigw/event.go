package apigw

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"io"
	"mime"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/aws/aws-lambda-go/events"
)

// Route is a matched HttpApi route: its key ("GET /api/cookies/{name}") and
// the values of its path parameters.
type Route struct {
	Key        string
	PathParams map[string]string
}

// MaxBody is the largest request body the runner forwards (API Gateway's
// payload limit is 10 MB; Lambda's synchronous limit 6 MB).
const MaxBody = 6 << 20

// ToEvent builds the event API Gateway would send for r on route: cookies in
// Cookies (not in Headers), lower-case header names with repeated values
// joined by commas, the raw path and query, the request context, and a
// base64 body unless it is UTF-8 text.
func ToEvent(r *http.Request, route Route) (events.APIGatewayV2HTTPRequest, error) {
	body, err := io.ReadAll(io.LimitReader(r.Body, MaxBody+1))
	if err != nil {
		return events.APIGatewayV2HTTPRequest{}, fmt.Errorf("read request body: %w", err)
	}
	if len(body) > MaxBody {
		return events.APIGatewayV2HTTPRequest{}, fmt.Errorf("request body larger than %d bytes", MaxBody)
	}
	now := time.Now().UTC()
	ev := events.APIGatewayV2HTTPRequest{
		Version:               "2.0",
		RouteKey:              route.Key,
		RawPath:               r.URL.EscapedPath(),
		RawQueryString:        r.URL.RawQuery,
		Cookies:               requestCookies(r.Header),
		Headers:               joinHeaders(r.Header, r.Host),
		QueryStringParameters: joinQuery(r.URL.Query()),
		PathParameters:        route.PathParams,
		RequestContext: events.APIGatewayV2HTTPRequestContext{
			RouteKey:     route.Key,
			AccountID:    "123456789012",
			Stage:        "$default",
			RequestID:    newRequestID(),
			APIID:        "local",
			DomainName:   r.Host,
			DomainPrefix: strings.Split(r.Host, ".")[0],
			Time:         now.Format("02/Jan/2006:15:04:05 -0700"),
			TimeEpoch:    now.UnixMilli(),
			HTTP: events.APIGatewayV2HTTPRequestContextHTTPDescription{
				Method:    r.Method,
				Path:      r.URL.Path,
				Protocol:  r.Proto,
				SourceIP:  sourceIP(r.RemoteAddr),
				UserAgent: r.UserAgent(),
			},
		},
	}
	if len(ev.PathParameters) == 0 {
		ev.PathParameters = nil
	}
	if len(body) > 0 {
		if isText(r.Header.Get("Content-Type")) && utf8.Valid(body) {
			ev.Body = string(body)
		} else {
			ev.Body, ev.IsBase64Encoded = base64.StdEncoding.EncodeToString(body), true
		}
	}
	return ev, nil
}

// WriteResponse writes resp to w as API Gateway would: every entry of
// Cookies as its own Set-Cookie, a base64 body decoded, and
// application/json when the function set no Content-Type.
func WriteResponse(w http.ResponseWriter, resp events.APIGatewayV2HTTPResponse) error {
	h := w.Header()
	for k, v := range resp.Headers {
		h.Set(k, v)
	}
	for k, vs := range resp.MultiValueHeaders {
		for _, v := range vs {
			h.Add(k, v)
		}
	}
	for _, c := range resp.Cookies {
		h.Add("Set-Cookie", c)
	}
	if h.Get("Content-Type") == "" {
		h.Set("Content-Type", "application/json")
	}
	body := []byte(resp.Body)
	if resp.IsBase64Encoded {
		var err error
		if body, err = base64.StdEncoding.DecodeString(resp.Body); err != nil {
			return fmt.Errorf("decode response body: %w", err)
		}
	}
	status := resp.StatusCode
	if status == 0 {
		status = http.StatusOK
	}
	w.WriteHeader(status)
	_, err := w.Write(body)
	return err
}

// requestCookies splits every Cookie header into "name=value" entries,
// trimming only the space and tab net/http trims: a pair ending in a Unicode
// space stays invalid, as it is for net/http and browsers.
func requestCookies(h http.Header) []string {
	var out []string
	for _, line := range h.Values("Cookie") {
		for _, part := range strings.Split(line, ";") {
			if part = strings.Trim(part, " \t"); part != "" {
				out = append(out, part)
			}
		}
	}
	return out
}

func joinHeaders(h http.Header, host string) map[string]string {
	out := make(map[string]string, len(h)+1)
	for k, vs := range h {
		if strings.EqualFold(k, "Cookie") {
			continue
		}
		out[strings.ToLower(k)] = strings.Join(vs, ",")
	}
	out["host"] = host
	return out
}

func joinQuery(q url.Values) map[string]string {
	if len(q) == 0 {
		return nil
	}
	out := make(map[string]string, len(q))
	for k, vs := range q {
		out[k] = strings.Join(vs, ",")
	}
	return out
}

func isText(contentType string) bool {
	if contentType == "" {
		return true
	}
	mt, _, err := mime.ParseMediaType(contentType)
	if err != nil {
		return false
	}
	return strings.HasPrefix(mt, "text/") || mt == "application/json" || strings.HasSuffix(mt, "+json") ||
		mt == "application/x-www-form-urlencoded" || mt == "application/xml"
}

func sourceIP(remoteAddr string) string {
	host, _, err := net.SplitHostPort(remoteAddr)
	if err != nil {
		return remoteAddr
	}
	return host
}

func newRequestID() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	s := hex.EncodeToString(b)
	return s[:8] + "-" + s[8:12] + "-" + s[12:16] + "-" + s[16:20] + "-" + s[20:]
}
