package kitx

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/guildhall/guildhall/pkg/errs"
)

func TestContentDisposition(t *testing.T) {
	for _, tc := range []struct{ name, in, want string }{
		{"An ASCII name is a plain filename.", "guards.csv", `attachment; filename=guards.csv`},
		{"A Chinese name has an ASCII fallback and an RFC 6266 filename*.", "保安员.xlsx",
			`attachment; filename="___.xlsx"; filename*=utf-8''%E4%BF%9D%E5%AE%89%E5%91%98.xlsx`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := ContentDisposition(tc.in); got != tc.want {
				t.Fatalf("got %q, want %q", got, tc.want)
			}
		})
	}
}

var errDownloadTest = errs.E(errs.Invalid, "test.download_refused", "refused")

func TestDownloadErrorBeforeTheFirstByteIsAnErrorBody(t *testing.T) {
	rec := httptest.NewRecorder()
	d := Download{Filename: "x.csv", ContentType: "text/csv", Write: func(io.Writer) error { return errDownloadTest }}
	if err := EncodeJSONResponse(context.Background(), rec, d); err != nil {
		t.Fatal(err)
	}
	if rec.Code != http.StatusBadRequest || rec.Header().Get("Content-Disposition") != "" {
		t.Fatalf("%d %v %s", rec.Code, rec.Header(), rec.Body)
	}
}

func TestDownloadErrorAfterTheFirstByteAbortsTheResponse(t *testing.T) {
	rec := httptest.NewRecorder()
	d := Download{Filename: "x.csv", ContentType: "text/csv", Write: func(w io.Writer) error {
		_, _ = w.Write([]byte("a,b\r\n"))
		return errors.New("store gone")
	}}
	defer func() {
		if p := recover(); p != http.ErrAbortHandler {
			t.Fatalf("recovered %v, want http.ErrAbortHandler", p)
		}
	}()
	_ = EncodeJSONResponse(context.Background(), rec, d)
	t.Fatal("a download cut off by an error finished normally")
}

func TestDownloadSendsItsHeadersWithTheFile(t *testing.T) {
	rec := httptest.NewRecorder()
	d := Download{Filename: "g.csv", ContentType: "text/csv; charset=utf-8", Write: func(w io.Writer) error {
		_, err := w.Write([]byte("a\r\n"))
		return err
	}}
	if err := EncodeJSONResponse(context.Background(), rec, d); err != nil {
		t.Fatal(err)
	}
	if rec.Code != 200 || rec.Header().Get("Content-Type") != "text/csv; charset=utf-8" ||
		rec.Header().Get("Content-Disposition") != "attachment; filename=g.csv" || rec.Header().Get("Cache-Control") != "no-store" || rec.Body.String() != "a\r\n" {
		t.Fatalf("%d %v %q", rec.Code, rec.Header(), rec.Body)
	}
}
