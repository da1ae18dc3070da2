// Package kitx is the go-kit glue every Guildhall service shares: JSON
// request decoding with the API's limits, response and error encoding, list
// pagination tokens, and ETag handling.
package kitx

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strconv"
	"strings"

	kithttp "github.com/go-kit/kit/transport/http"

	"github.com/guildhall/guildhall/pkg/errs"
)

// MaxBodyBytes is the largest JSON request body accepted (1 MiB).
const MaxBodyBytes = 1 << 20

// Stable error ids of request decoding.
var (
	ErrBodyTooLarge   = errs.E(errs.TooLarge, "request.body_too_large", "the request body is larger than 1 MiB")
	ErrBodyMalformed  = errs.E(errs.Invalid, "request.body_malformed", "the request body is not valid JSON")
	ErrUnknownField   = errs.E(errs.Invalid, "request.unknown_field", "the request body has a field this endpoint does not know")
	ErrWrongType      = errs.E(errs.Invalid, "request.field_type", "a field has the wrong type")
	ErrBodyEmpty      = errs.E(errs.Invalid, "request.body_empty", "the request body is empty")
	ErrTrailingData   = errs.E(errs.Invalid, "request.body_trailing_data", "the request body has data after the JSON value")
	ErrPageSize       = errs.E(errs.Invalid, "request.page_size_invalid", "page_size must be an integer from 1 to 500")
	ErrPageToken      = errs.E(errs.Invalid, "request.page_token_invalid", "page_token is not a token this list issued")
	ErrEtagStale      = errs.E(errs.PreconditionFailed, "request.etag_stale", "the resource changed since you read it; read it again")
	ErrIfMatchInvalid = errs.E(errs.Invalid, "request.if_match_invalid", "If-Match must be an etag this API issued")
	ErrNotFound       = errs.E(errs.NotFound, "route.not_found", "no such endpoint")
	ErrMethod         = errs.E(errs.MethodNotAllowed, "route.method_not_allowed", "method not allowed on this endpoint (see the Allow header)")

	ErrUnsupportedMediaType = errs.EField(errs.UnsupportedMediaType, "request.unsupported_media_type", "Content-Type",
		"a request body must be sent as Content-Type: application/json (charset utf-8 or none)")
	ErrInvalidUTF8      = errs.E(errs.Invalid, "request.invalid_utf8", "a string in the request body is not valid UTF-8")
	ErrNULCharacter     = errs.E(errs.Invalid, "request.nul_character", "a string in the request body holds the NUL character (\\u0000)")
	ErrControlCharacter = errs.E(errs.Invalid, "request.control_character", "a string holds a control character; single-line fields take no tab or line break either")
	ErrDuplicateKey     = errs.E(errs.Invalid, "request.duplicate_key", "a key appears twice in one JSON object")
)

// DecodeJSON reads one JSON object from r's body into dst. It rejects, each
// with a stable error id and the field at fault where there is one:
//
//   - a body that is not sent as application/json (415; charset utf-8 or
//     none): a form post or a text/plain body is never parsed as JSON;
//   - a body over MaxBodyBytes (413), an empty body;
//   - a string (key or value) that is not valid UTF-8, or that holds NUL
//     or another control character than tab, line feed and carriage return
//     (encoding/json would store U+FFFD or the character silently);
//   - a key that appears twice in one object (encoding/json keeps the last);
//   - unknown fields, wrong types, malformed JSON and trailing data.
//
// An empty body is ErrBodyEmpty whatever its Content-Type, so endpoints
// that take an optional body accept a bare POST.
func DecodeJSON(r *http.Request, dst any) error {
	if r.Body == nil {
		return ErrBodyEmpty
	}
	// A body that announces its size is refused before it is read; a
	// chunked one is read first, so that an empty one stays empty.
	if r.ContentLength > 0 {
		if err := checkJSONMediaType(r.Header.Get("Content-Type")); err != nil {
			return err
		}
	}
	raw, err := io.ReadAll(http.MaxBytesReader(nil, r.Body, MaxBodyBytes))
	if err != nil {
		return decodeError(err)
	}
	if len(bytes.Trim(raw, jsonSpace)) == 0 {
		return ErrBodyEmpty
	}
	if r.ContentLength <= 0 {
		if err := checkJSONMediaType(r.Header.Get("Content-Type")); err != nil {
			return err
		}
	}
	if err := checkJSONText(raw); err != nil {
		return err
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(dst); err != nil {
		return decodeError(err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return ErrTrailingData
	}
	return nil
}

// jsonSpace is the white space JSON allows between tokens.
const jsonSpace = " \t\r\n"

// checkJSONMediaType accepts application/json with no charset or charset
// utf-8 (JSON is UTF-8, RFC 8259 §8.1), in any case.
func checkJSONMediaType(contentType string) error {
	mt, params, err := mime.ParseMediaType(contentType)
	if err != nil || mt != "application/json" {
		return ErrUnsupportedMediaType
	}
	if cs, ok := params["charset"]; ok && !strings.EqualFold(cs, "utf-8") {
		return ErrUnsupportedMediaType
	}
	return nil
}

func decodeError(err error) error {
	var (
		mbe *http.MaxBytesError
		ute *json.UnmarshalTypeError
		se  *json.SyntaxError
	)
	switch {
	case errors.As(err, &mbe):
		return ErrBodyTooLarge
	case errors.Is(err, io.EOF):
		return ErrBodyEmpty
	case errors.As(err, &ute):
		field := ute.Field
		return ErrWrongType.WithField(field).Wrap(err)
	case errors.As(err, &se), errors.Is(err, io.ErrUnexpectedEOF):
		return ErrBodyMalformed.Wrap(err)
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		field := strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`)
		return ErrUnknownField.WithField(field)
	default:
		return ErrBodyMalformed.Wrap(err)
	}
}

// Failer is implemented by responses that carry a business error
// (go-kit's addsvc pattern), so errors do not trip circuit breakers.
type Failer interface {
	Failed() error
}

// StatusCoder lets a response choose its success status (201 for creates).
type StatusCoder interface {
	StatusCode() int
}

// Headerer lets a response set headers (Location, ETag).
type Headerer interface {
	Headers() http.Header
}

// EncodeJSONResponse is the go-kit EncodeResponseFunc of every service: it
// writes a Failer's error through errs, otherwise the response as JSON with
// the status and headers the response asks for. A nil body with 204 writes
// nothing.
func EncodeJSONResponse(ctx context.Context, w http.ResponseWriter, response any) error {
	if f, ok := response.(Failer); ok && f.Failed() != nil {
		ErrorEncoder(ctx, f.Failed(), w)
		return nil
	}
	if d, ok := response.(Download); ok {
		return d.serve(ctx, w)
	}
	if h, ok := response.(Headerer); ok {
		for k, vs := range h.Headers() {
			for _, v := range vs {
				w.Header().Add(k, v)
			}
		}
	}
	status := http.StatusOK
	if sc, ok := response.(StatusCoder); ok {
		status = sc.StatusCode()
	}
	if status == http.StatusNoContent {
		w.WriteHeader(status)
		return nil
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	if b, ok := response.(bodied); ok {
		response = b.body()
	}
	return json.NewEncoder(w).Encode(response)
}

// ErrorEncoder is the go-kit ErrorEncoder of every service: the one mapping
// of errs kinds to HTTP statuses and the API's error body. The message is
// in the language NegotiateLanguage put in ctx (Chinese for the web
// console's Accept-Language: zh-CN), with Content-Language and Vary:
// Accept-Language; a ctx without one (a server built without
// ServerOptions) is answered as before, in English.
func ErrorEncoder(ctx context.Context, err error, w http.ResponseWriter) {
	if lang, ok := errs.LanguageFrom(ctx); ok {
		errs.WriteHTTPIn(w, lang, err)
		return
	}
	errs.WriteHTTP(w, err)
}

// NegotiateLanguage is a go-kit ServerBefore that puts the language of the
// request's error messages (errs.Negotiate of its Accept-Language) into the
// context, for ErrorEncoder.
func NegotiateLanguage(ctx context.Context, r *http.Request) context.Context {
	return errs.WithLanguage(ctx, errs.Negotiate(r.Header.Values("Accept-Language")...))
}

// ServerOptions are the go-kit server options every service uses: the API's
// error encoder, RecordRoute, which names the route in the access log, and
// NegotiateLanguage, which picks the language of error messages.
func ServerOptions(extra ...kithttp.ServerOption) []kithttp.ServerOption {
	return append([]kithttp.ServerOption{
		kithttp.ServerErrorEncoder(ErrorEncoder),
		kithttp.ServerBefore(RecordRoute),
		kithttp.ServerBefore(NegotiateLanguage),
	}, extra...)
}

// Page is a decoded list request: how many items and from where.
type Page struct {
	Size   int
	Cursor string // opaque to clients; the last key of the previous page
}

// DefaultPageSize and MaxPageSize are the API's list limits.
const (
	DefaultPageSize = 50
	MaxPageSize     = 500
)

// ParsePage reads page_size and page_token from the query.
func ParsePage(r *http.Request) (Page, error) {
	p := Page{Size: DefaultPageSize}
	q := r.URL.Query()
	if s := q.Get("page_size"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > MaxPageSize {
			return p, ErrPageSize.WithField("page_size")
		}
		p.Size = n
	}
	if t := q.Get("page_token"); t != "" {
		b, err := base64.RawURLEncoding.DecodeString(t)
		if err != nil || !strings.HasPrefix(string(b), "v1:") {
			return p, ErrPageToken.WithField("page_token")
		}
		p.Cursor = strings.TrimPrefix(string(b), "v1:")
	}
	return p, nil
}

// PageToken encodes the cursor of the next page.
func PageToken(cursor string) string {
	if cursor == "" {
		return ""
	}
	return base64.RawURLEncoding.EncodeToString([]byte("v1:" + cursor))
}

// ETag renders a resource version as a strong entity tag.
func ETag(version int64) string { return fmt.Sprintf(`"%d"`, version) }

// Precondition is the If-Match of an update: the version of the resource
// the client last read. Every PATCH checks it with Check, inside the
// transaction that loads the resource.
type Precondition struct {
	// Version is the version the If-Match names.
	Version int64
	// Set is true when the request named a version. No If-Match (or
	// If-Match: *) leaves it false: the update is unconditional.
	Set bool
}

// IfMatchVersion is the Precondition of an If-Match naming version v.
func IfMatchVersion(v int64) Precondition { return Precondition{Version: v, Set: true} }

// Check returns ErrEtagStale unless p is unset or names current. A version
// this API never issued (0: versions start at 1) is stale like any other
// that is not current, so "0" can never stand for "no precondition".
func (p Precondition) Check(current int64) error {
	if !p.Set {
		return nil
	}
	if p.Version < 1 || p.Version != current {
		return ErrEtagStale
	}
	return nil
}

// maxVersionDigits bounds the digits of an If-Match version (int64 holds 18
// for certain).
const maxVersionDigits = 18

// IfMatch parses an If-Match header: absent or "*" is no precondition; an
// entity tag this API issues ("3", also weak W/"3" or bare 3, as proxies and
// hand-written scripts send it) names that version. Anything else — a sign,
// a list of tags, letters — is ErrIfMatchInvalid (400): it is not a version,
// so it cannot be compared with one.
func IfMatch(r *http.Request) (Precondition, error) {
	h := strings.TrimSpace(r.Header.Get("If-Match"))
	if h == "" || h == "*" {
		return Precondition{}, nil
	}
	h = strings.TrimPrefix(h, "W/")
	if len(h) >= 2 && h[0] == '"' && h[len(h)-1] == '"' {
		h = h[1 : len(h)-1]
	}
	if h == "" || len(h) > maxVersionDigits || strings.Trim(h, "0123456789") != "" {
		return Precondition{}, ErrIfMatchInvalid.WithField("If-Match")
	}
	v, err := strconv.ParseInt(h, 10, 64)
	if err != nil {
		return Precondition{}, ErrIfMatchInvalid.WithField("If-Match")
	}
	return IfMatchVersion(v), nil
}

// NotFoundHandler answers unknown routes with the API's error body, its
// message in the language of the request's Accept-Language; their route in
// the access log is RouteUnmatched.
func NotFoundHandler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		SetRoute(r.Context(), RouteUnmatched)
		errs.WriteHTTPRequest(w, r, ErrNotFound)
	})
}
