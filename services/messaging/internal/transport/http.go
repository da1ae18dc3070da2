package transport

import (
	"context"
	"net/http"

	"github.com/guildhall/guildhall/pkg/kitx"
	"github.com/guildhall/guildhall/services/messaging/internal/service"
)

// DecodeListNotices decodes list_notices: the page and ?origin.
func DecodeListNotices(_ context.Context, r *http.Request) (any, error) {
	p, err := kitx.ParsePage(r)
	if err != nil {
		return nil, err
	}
	return kitx.ListRequest[service.NoticeFilter]{Page: p, Filter: service.NoticeFilter{Origin: r.URL.Query().Get("origin")}}, nil
}

// DecodeListUnder decodes a list under the path's {id} (a notice's
// receipts, a company's notices) or of a collection: the page.
func DecodeListUnder(_ context.Context, r *http.Request) (any, error) {
	p, err := kitx.ParsePage(r)
	if err != nil {
		return nil, err
	}
	return kitx.ListRequest[struct{}]{ID: r.PathValue("id"), Page: p}, nil
}

// DecodeMarkRead decodes mark_read: the thread and an optional body.
func DecodeMarkRead(_ context.Context, r *http.Request) (any, error) {
	var in service.MarkReadInput
	if r.ContentLength != 0 {
		var err error
		if in, err = kitx.DecodeBody[service.MarkReadInput](r); err != nil {
			return nil, err
		}
	}
	return kitx.ActionRequest[service.MarkReadInput]{ID: r.PathValue("id"), Input: in}, nil
}
