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

// DecodeListAid decodes list_aid_requests: the page, ?status and ?mine.
func DecodeListAid(_ context.Context, r *http.Request) (any, error) {
	p, err := kitx.ParsePage(r)
	if err != nil {
		return nil, err
	}
	q := r.URL.Query()
	return kitx.ListRequest[service.AidFilter]{Page: p, Filter: service.AidFilter{Status: q.Get("status"), Mine: q.Get("mine") == "true"}}, nil
}

// DecodeListPosts decodes a list of publicity posts: the page and ?status.
func DecodeListPosts(_ context.Context, r *http.Request) (any, error) {
	p, err := kitx.ParsePage(r)
	if err != nil {
		return nil, err
	}
	return kitx.ListRequest[service.PostFilter]{Page: p, Filter: service.PostFilter{Status: r.URL.Query().Get("status")}}, nil
}

// DecodeAccept decodes accept_aid_offer: the request, the offer and an
// optional body.
func DecodeAccept(_ context.Context, r *http.Request) (any, error) {
	var in service.AcceptInput
	if r.ContentLength != 0 {
		var err error
		if in, err = kitx.DecodeBody[service.AcceptInput](r); err != nil {
			return nil, err
		}
	}
	return kitx.ActionRequest[service.AcceptInput]{ID: r.PathValue("id"), SubID: r.PathValue("sub"), Input: in}, nil
}
