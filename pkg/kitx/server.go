package kitx

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"strings"

	"github.com/guildhall/guildhall/pkg/errs"
)

// ErrorLogger is the go-kit server error handler of a service: it logs
// decode failures and business errors at debug (they are the client's, and
// already answered), anything unexpected at error, as "<Service> request
// failed" / "<Service> request rejected".
type ErrorLogger struct {
	Logger  *slog.Logger
	Service string
}

// Handle implements go-kit's transport.ErrorHandler.
func (l ErrorLogger) Handle(ctx context.Context, err error) {
	if errs.KindOf(err) == errs.Internal && !errors.Is(err, context.Canceled) {
		l.Logger.ErrorContext(ctx, l.Service+" request failed", "err", err)
		return
	}
	l.Logger.DebugContext(ctx, l.Service+" request rejected", "err", err)
}

// DecodeBody decodes r's JSON body into a new T with DecodeJSON's rules.
// On error the T decoded so far is returned too, so a caller may still
// read headers into it.
func DecodeBody[T any](r *http.Request) (T, error) {
	var in T
	err := DecodeJSON(r, &in)
	return in, err
}

// DecodeUpdate reads a PATCH: the If-Match precondition (unset when the
// header is absent: the update is unconditional) and the JSON body.
func DecodeUpdate[T any](r *http.Request) (pre Precondition, in T, err error) {
	pre, err = IfMatch(r)
	if err != nil {
		return Precondition{}, in, err
	}
	in, err = DecodeBody[T](r)
	if err != nil {
		return Precondition{}, in, err
	}
	return pre, in, nil
}

// DistrictPrefix is the path prefix of every route of a district service
// (membership, meetings, …); {district} is the district's id.
const DistrictPrefix = "/api/v1/districts/{district}"

// DistrictPath returns the path prefix of district's resources:
// DistrictPrefix filled in, e.g. "/api/v1/districts/jingkai".
func DistrictPath(district string) string { return districtsPath + district }

// districtsPath is the part of DistrictPrefix before the district.
const districtsPath = "/api/v1/districts/"

// DistrictOnly serves next only for paths under /api/v1/districts/<district>/;
// a request naming another district gets notFound before any routing, so
// one node never answers for another's data (in the language of the
// request's Accept-Language). Other paths go to next.
func DistrictOnly(district string, notFound error, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if rest, ok := strings.CutPrefix(r.URL.Path, districtsPath); ok {
			d, _, _ := strings.Cut(rest, "/")
			if d != district {
				errs.WriteHTTPRequest(w, r, notFound)
				return
			}
		}
		next.ServeHTTP(w, r)
	})
}
