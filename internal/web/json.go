package web

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net/http"
	"reflect"
	"strings"
)

// MaxBodyBytes is the largest request body accepted: 16 KiB.
const MaxBodyBytes = 16 << 10

// WriteJSON answers v as JSON with status.
func WriteJSON(w http.ResponseWriter, status int, v any) {
	body, err := json.Marshal(v)
	if err != nil {
		logError("encode response", err)
		status, body = http.StatusInternalServerError, []byte(`{"error":{"code":"internal_error","message":"Something went wrong on our side."}}`)
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	if _, err := w.Write(body); err != nil {
		logError("write response", err)
	}
}

// DecodeJSON reads the request body into dst, which must be a pointer to a
// struct. A body that is empty or only JSON whitespace is 400 invalid_json
// whatever its Content-Type (the route needs one). Otherwise the body must
// be Content-Type application/json (415 unsupported_media_type), at most
// MaxBodyBytes (413 payload_too_large), and exactly one JSON object with
// fields of the right types, no unknown fields, every key spelled exactly
// as dst's json tags (case included) and given at most once in its object,
// nested objects too (400 invalid_json for each of these).
func DecodeJSON(r *http.Request, dst any) error {
	var body []byte
	if r.Body != nil {
		var err error
		if body, err = io.ReadAll(io.LimitReader(r.Body, MaxBodyBytes+1)); err != nil {
			return Errorf(http.StatusBadRequest, "invalid_json", "The request body could not be read.")
		}
	}
	if len(body) <= MaxBodyBytes && len(trimJSONSpace(body)) == 0 {
		return errNoBody()
	}
	if !isJSON(r.Header.Get("Content-Type")) {
		return Errorf(http.StatusUnsupportedMediaType, "unsupported_media_type", "Send the body as JSON with Content-Type: application/json.")
	}
	if len(body) > MaxBodyBytes {
		return Errorf(http.StatusRequestEntityTooLarge, "payload_too_large", "The request body is larger than 16 KiB.")
	}
	return decodeObject(body, dst)
}

func errNoBody() error {
	return Errorf(http.StatusBadRequest, "invalid_json", "This request needs a JSON object as its body.")
}

// trimJSONSpace cuts JSON whitespace (space, tab, CR, LF; nothing else) from
// both ends of b.
func trimJSONSpace(b []byte) []byte { return bytes.Trim(b, " \t\r\n") }

func decodeObject(body []byte, dst any) error {
	trimmed := trimJSONSpace(body)
	if len(trimmed) == 0 {
		return errNoBody()
	}
	if trimmed[0] != '{' {
		return Errorf(http.StatusBadRequest, "invalid_json", "The body must be one JSON object.")
	}
	if err := checkKeys(trimmed, reflect.TypeOf(dst)); err != nil {
		return err
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

func describeJSONError(err error) string {
	var typeErr *json.UnmarshalTypeError
	var syntaxErr *json.SyntaxError
	switch {
	case errors.As(err, &typeErr) && typeErr.Field != "":
		return "The field \"" + typeErr.Field + "\" has the wrong type: it must be " + jsonKind(typeErr.Type.Kind().String()) + "."
	case errors.As(err, &typeErr):
		return "The body must be one JSON object."
	case errors.As(err, &syntaxErr), errors.Is(err, io.ErrUnexpectedEOF):
		return "The body is not well-formed JSON."
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		return "The body has an unknown field " + strings.TrimPrefix(err.Error(), "json: unknown field ") + "."
	default:
		return "The body is not valid JSON for this request."
	}
}

func jsonKind(goKind string) string {
	switch goKind {
	case "string":
		return "a string"
	case "bool":
		return "true or false"
	case "map", "struct":
		return "an object"
	case "slice", "array":
		return "an array"
	case "ptr":
		return "a value of another type"
	default:
		return "a number"
	}
}

func isJSON(contentType string) bool {
	mediaType, params, err := mime.ParseMediaType(contentType)
	if err != nil || mediaType != "application/json" {
		return false
	}
	cs, ok := params["charset"]
	return !ok || strings.EqualFold(cs, "utf-8")
}
