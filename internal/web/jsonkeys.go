package web

import (
	"bytes"
	"encoding"
	"encoding/json"
	"net/http"
	"reflect"
	"strings"
	"sync"
)

// checkKeys reads the first JSON value of body token by token, alongside
// t (the type it will be decoded into), and refuses what encoding/json
// would let through: a key given twice in one object (encoding/json lets
// the last win), and a key of a struct's object not spelled exactly as one
// of its fields' json names (encoding/json matches case-insensitively, so
// {"USERNAME":...} would fill "username"). Objects at any depth are
// checked, maps and untyped values too (for repeated keys). Malformed JSON
// is 400 as well; everything else (types, trailing data) is left to the
// decoder.
func checkKeys(body []byte, t reflect.Type) error {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber() // a number's range is the decoder's business
	return (&keyScanner{dec: dec}).value(t)
}

// keyScanner walks one JSON value's tokens.
type keyScanner struct {
	dec *json.Decoder
}

func errMalformed() error {
	return Errorf(http.StatusBadRequest, "invalid_json", "The body is not well-formed JSON.")
}

// value scans one value to be decoded into t (nil: any Go value, whose
// objects are only checked for repeated keys).
func (s *keyScanner) value(t reflect.Type) error {
	tok, err := s.dec.Token()
	if err != nil {
		return errMalformed()
	}
	switch tok {
	case json.Delim('['):
		elem := elemOf(t)
		for s.dec.More() {
			if err := s.value(elem); err != nil {
				return err
			}
		}
	case json.Delim('{'):
		if err := s.object(t); err != nil {
			return err
		}
	default:
		return nil // a scalar
	}
	if _, err := s.dec.Token(); err != nil { // the closing ']' or '}'
		return errMalformed()
	}
	return nil
}

// object scans the members of an object (its '{' read) to be decoded into t.
func (s *keyScanner) object(t reflect.Type) error {
	t = concrete(t)
	var fields map[string]reflect.Type
	var elem reflect.Type
	switch {
	case t != nil && t.Kind() == reflect.Struct:
		fields = fieldsOf(t)
	case t != nil && t.Kind() == reflect.Map:
		elem = t.Elem()
	}
	seen := map[string]bool{}
	for s.dec.More() {
		tok, err := s.dec.Token()
		key, ok := tok.(string)
		if err != nil || !ok {
			return errMalformed()
		}
		if seen[key] {
			return Errorf(http.StatusBadRequest, "invalid_json", "The key %q is given twice in one object; give each key once.", key)
		}
		seen[key] = true
		next := elem
		if fields != nil {
			ft, ok := fields[key]
			if !ok {
				return unknownKey(key, fields)
			}
			next = ft
		}
		if err := s.value(next); err != nil {
			return err
		}
	}
	return nil
}

// unknownKey is the error for a key that names no field exactly, with the
// field it meant when only the letter case is wrong.
func unknownKey(key string, fields map[string]reflect.Type) error {
	for name := range fields {
		if strings.EqualFold(name, key) {
			return Errorf(http.StatusBadRequest, "invalid_json", "The body has the key %q; keys are case-sensitive: write %q.", key, name)
		}
	}
	return Errorf(http.StatusBadRequest, "invalid_json", "The body has an unknown field %q.", key)
}

var (
	jsonUnmarshaler = reflect.TypeFor[json.Unmarshaler]()
	textUnmarshaler = reflect.TypeFor[encoding.TextUnmarshaler]()
)

// concrete is t without pointers; nil for nil and for a type that decodes
// itself (json.Unmarshaler, encoding.TextUnmarshaler), whose JSON is not
// its fields.
func concrete(t reflect.Type) reflect.Type {
	for t != nil {
		pt := reflect.PointerTo(t)
		if t.Implements(jsonUnmarshaler) || pt.Implements(jsonUnmarshaler) ||
			t.Implements(textUnmarshaler) || pt.Implements(textUnmarshaler) {
			return nil
		}
		if t.Kind() != reflect.Pointer {
			return t
		}
		t = t.Elem()
	}
	return nil
}

// elemOf is the element type of a slice or array type t; nil otherwise.
func elemOf(t reflect.Type) reflect.Type {
	t = concrete(t)
	if t != nil && (t.Kind() == reflect.Slice || t.Kind() == reflect.Array) {
		return t.Elem()
	}
	return nil
}

// fieldCache maps a struct type to its fields by JSON name.
var fieldCache sync.Map // reflect.Type → map[string]reflect.Type

// fieldsOf maps the JSON names of struct type t's fields, as encoding/json
// names them (the json tag's name, else the Go name; "-" skipped; the
// fields of an untagged embedded struct promoted, the outer ones first),
// to their types.
func fieldsOf(t reflect.Type) map[string]reflect.Type {
	if f, ok := fieldCache.Load(t); ok {
		return f.(map[string]reflect.Type)
	}
	fields := map[string]reflect.Type{}
	var embedded []reflect.Type
	for i := range t.NumField() {
		sf := t.Field(i)
		tag := sf.Tag.Get("json")
		if tag == "-" {
			continue
		}
		name, _, _ := strings.Cut(tag, ",")
		if sf.Anonymous && name == "" {
			if et := concrete(sf.Type); et != nil && et.Kind() == reflect.Struct {
				embedded = append(embedded, et)
				continue
			}
		}
		if !sf.IsExported() {
			continue
		}
		if name == "" {
			name = sf.Name
		}
		fields[name] = sf.Type
	}
	for _, et := range embedded {
		for name, ft := range fieldsOf(et) {
			if _, taken := fields[name]; !taken {
				fields[name] = ft
			}
		}
	}
	fieldCache.Store(t, fields)
	return fields
}
