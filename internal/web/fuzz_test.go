package web

import (
	"bytes"
	"encoding/json"
	"errors"
	"mime"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"
)

// fuzzBody has a field of every kind the handlers decode.
type fuzzBody struct {
	S *string           `json:"s"`
	N *int              `json:"n"`
	B bool              `json:"b"`
	M map[string]string `json:"m"`
	L []int             `json:"l"`
	O *struct {
		X string `json:"x"`
	} `json:"o"`
}

// codeOfStatus is the only code DecodeJSON may give each status.
var codeOfStatus = map[int]string{
	http.StatusBadRequest:            "invalid_json",
	http.StatusRequestEntityTooLarge: "payload_too_large",
	http.StatusUnsupportedMediaType:  "unsupported_media_type",
}

// FuzzDecodeJSON checks DecodeJSON on any Content-Type and body, padded
// with pad spaces so that bodies cross the 16 KiB limit: it never panics;
// every error is a *Error with 400 invalid_json, 413 payload_too_large or
// 415 unsupported_media_type; nothing over 16 KiB is ever accepted; and
// what it accepts is one well-formed JSON object, sent as
// application/json, that encoding/json reads the same way.
func FuzzDecodeJSON(f *testing.F) {
	f.Add("application/json", []byte(`{"s":"x","n":1,"b":true,"m":{"k":"v"},"l":[1,2],"o":{"x":"y"}}`), uint16(0))
	f.Add("application/json; charset=utf-8", []byte(`{}`), uint16(MaxBodyBytes-2))
	f.Add("application/json; charset=UTF-8", []byte(`{}`), uint16(MaxBodyBytes-1))
	f.Add("application/json", []byte(`{} {}`), uint16(3))
	f.Add("application/json", []byte(`{"n":1e40}`), uint16(0))
	f.Add("application/json", []byte(`{"n":1.5,"zz":1}`), uint16(0))
	f.Add("application/json", []byte(`{"s":"\xff\xfe"}`), uint16(0))
	f.Add("application/json", []byte(`[]`), uint16(0))
	f.Add("application/json", []byte(`null`), uint16(0))
	f.Add("application/json", []byte(``), uint16(0))
	f.Add("text/plain", []byte(`{}`), uint16(0))
	f.Add("application/json; charset=latin1", []byte(`{}`), uint16(0))
	f.Add("", []byte(`{}`), uint16(0))
	f.Add("application/json;;", []byte(`{"o":null,"m":null}`), uint16(0))
	f.Add("application/json", []byte(`{"l":[`+strings.Repeat("[", 100)), uint16(0))
	f.Fuzz(func(t *testing.T, ctype string, body []byte, pad uint16) {
		full := append(bytes.Clone(body), bytes.Repeat([]byte(" "), int(pad))...)
		r := httptest.NewRequest("PUT", "/api/x", bytes.NewReader(full))
		if ctype != "" {
			r.Header["Content-Type"] = []string{ctype}
		}
		var got fuzzBody
		err := DecodeJSON(r, &got)
		if err != nil {
			checkDecodeError(t, err, ctype, len(full))
			return
		}
		if len(full) > MaxBodyBytes {
			t.Fatalf("accepted a %d-byte body", len(full))
		}
		if mt, _, perr := mime.ParseMediaType(ctype); perr != nil || mt != "application/json" {
			t.Fatalf("accepted Content-Type %q", ctype)
		}
		doc := full
		if trimmed := bytes.TrimSpace(doc); !json.Valid(doc) || len(trimmed) == 0 || trimmed[0] != '{' {
			t.Fatalf("accepted %q, which is not one JSON object", full)
		}
		var want fuzzBody
		if err := json.Unmarshal(doc, &want); err != nil || !reflect.DeepEqual(got, want) {
			t.Fatalf("DecodeJSON read %+v, encoding/json %+v (%v)", got, want, err)
		}
	})
}

func checkDecodeError(t *testing.T, err error, ctype string, size int) {
	t.Helper()
	var we *Error
	if !errors.As(err, &we) {
		t.Fatalf("error %v (%T) is not a *web.Error", err, err)
	}
	if code, ok := codeOfStatus[we.Status]; !ok || we.Code != code || we.Message == "" {
		t.Fatalf("error %d %q %q is not one of the contract's", we.Status, we.Code, we.Message)
	}
	mt, _, perr := mime.ParseMediaType(ctype)
	if perr == nil && mt == "application/json" && we.Status == http.StatusUnsupportedMediaType && !strings.Contains(strings.ToLower(ctype), "charset") {
		t.Fatalf("Content-Type %q refused as 415", ctype)
	}
	if we.Status == http.StatusRequestEntityTooLarge && size <= MaxBodyBytes {
		t.Fatalf("413 for a %d-byte body", size)
	}
	if size > MaxBodyBytes && we.Status == http.StatusBadRequest {
		t.Fatalf("a %d-byte body got 400, want 413 (or 415)", size)
	}
}
