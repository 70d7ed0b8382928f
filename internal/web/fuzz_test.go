package web

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
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

// legacyDecodeJSON is DecodeJSON as it was before keys became strict (issue
// 14): case-insensitive keys, the last of a repeated key winning, and 415
// for a missing body without Content-Type. FuzzStrictDecoder checks the
// strict decoder against it; it is frozen here, never used by the API.
func legacyDecodeJSON(r *http.Request, dst any) error {
	if !isJSON(r.Header.Get("Content-Type")) {
		return Errorf(http.StatusUnsupportedMediaType, "unsupported_media_type", "Send the body as JSON with Content-Type: application/json.")
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, MaxBodyBytes+1))
	if err != nil {
		return Errorf(http.StatusBadRequest, "invalid_json", "The request body could not be read.")
	}
	if len(body) > MaxBodyBytes {
		return Errorf(http.StatusRequestEntityTooLarge, "payload_too_large", "The request body is larger than 16 KiB.")
	}
	trimmed := bytes.Trim(body, " \t\r\n")
	if len(trimmed) == 0 || trimmed[0] != '{' {
		return Errorf(http.StatusBadRequest, "invalid_json", "The body must be one JSON object.")
	}
	dec := json.NewDecoder(bytes.NewReader(trimmed))
	dec.DisallowUnknownFields()
	if err := dec.Decode(dst); err != nil {
		return Errorf(http.StatusBadRequest, "invalid_json", "%s", describeJSONError(err))
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return Errorf(http.StatusBadRequest, "invalid_json", "The body must hold one JSON object and nothing after it.")
	}
	return nil
}

// strictBody has what the strict rules look into: nested structs, a slice
// of structs, a map, a free value, an embedded struct, an untagged field.
type strictBody struct {
	fuzzBody
	P     *strictInner           `json:"p"`
	PS    []strictInner          `json:"ps"`
	MM    map[string]strictInner `json:"mm"`
	Any   any                    `json:"any"`
	Plain string
}

type strictInner struct {
	Name *string          `json:"name"`
	Deep *strictInnermost `json:"deep"`
}

type strictInnermost struct {
	V []int `json:"v"`
}

func decodeWith(decode func(*http.Request, any) error, ctype string, body []byte) (strictBody, error) {
	r := httptest.NewRequest("PUT", "/api/x", bytes.NewReader(body))
	if ctype != "" {
		r.Header["Content-Type"] = []string{ctype}
	}
	var got strictBody
	err := decode(r, &got)
	return got, err
}

// FuzzStrictDecoder checks the strict decoder against the old one on any
// Content-Type and body: whatever the strict decoder accepts, the old one
// accepted and read the same way (it only ever refuses more); a body the
// old one accepted and the strict one refuses is refused as 400
// invalid_json; and what the old one read, written back by encoding/json
// (every key once, spelled as its field), the strict one accepts and reads
// the same way.
func FuzzStrictDecoder(f *testing.F) {
	for _, seed := range []string{
		`{"s":"x","n":1,"b":true,"m":{"k":"v"},"l":[1,2],"o":{"x":"y"}}`,
		`{"p":{"name":"a","deep":{"v":[1]}},"ps":[{"name":"b"}],"mm":{"k":{"name":"c"}},"any":{"K":[{"k":1}]},"Plain":"p"}`,
		`{"s":"a","s":"b"}`,
		`{"S":"a"}`,
		`{"plain":"p"}`,
		`{"p":{"NAME":"a"}}`,
		`{"ps":[{"name":"a","name":"b"}]}`,
		`{"mm":{"k":{"name":"a"},"k":{"name":"b"}}}`,
		`{"any":{"a":1,"a":2}}`,
		`{"o":{"X":"y"}}`,
		`{"m":{"K":"1","k":"2"}}`,
		` {} `,
		``,
		"\t",
	} {
		f.Add("application/json", []byte(seed))
	}
	f.Add("", []byte(``))
	f.Add("text/plain", []byte(" "))
	f.Add("", []byte(`{}`))
	f.Fuzz(func(t *testing.T, ctype string, body []byte) {
		got, err := decodeWith(DecodeJSON, ctype, body)
		old, oldErr := decodeWith(legacyDecodeJSON, ctype, body)
		if err == nil {
			if oldErr != nil {
				t.Fatalf("the strict decoder accepted %q (Content-Type %q), which the old one refused: %v", body, ctype, oldErr)
			}
			if !reflect.DeepEqual(got, old) {
				t.Fatalf("%q: strict read %+v, old read %+v", body, got, old)
			}
			return
		}
		var we *Error
		if !errors.As(err, &we) {
			t.Fatalf("error %v (%T) is not a *web.Error", err, err)
		}
		if oldErr != nil {
			return
		}
		if we.Status != http.StatusBadRequest || we.Code != "invalid_json" {
			t.Fatalf("%q, accepted before, is now %d %s", body, we.Status, we.Code)
		}
		canonical, merr := json.Marshal(old)
		if merr != nil {
			t.Fatal(merr)
		}
		again, err := decodeWith(DecodeJSON, "application/json", canonical)
		if err != nil || !reflect.DeepEqual(again, old) {
			t.Fatalf("%q, as encoding/json writes it, = %+v, %v; want %+v", canonical, again, err, old)
		}
	})
}
