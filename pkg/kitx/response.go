package kitx

import (
	"encoding/json"
	"net/http"
)

// Response is the result of an endpoint that returns a single resource, or
// the business error that replaced it. EncodeJSONResponse writes it: the
// error through errs, else Value as the body with Status, Location and
// ETag.
type Response[T any] struct {
	Value    T
	Err      error
	Status   int    // 0 means 200
	Location string // set for creates
	ETag     string
}

// Failed implements Failer.
func (r Response[T]) Failed() error { return r.Err }

// StatusCode implements StatusCoder.
func (r Response[T]) StatusCode() int {
	if r.Status == 0 {
		return http.StatusOK
	}
	return r.Status
}

// Headers implements Headerer.
func (r Response[T]) Headers() http.Header {
	h := http.Header{}
	if r.Location != "" {
		h.Set("Location", r.Location)
	}
	if r.ETag != "" {
		h.Set("ETag", r.ETag)
	}
	return h
}

// MarshalJSON renders the resource itself, not the envelope.
func (r Response[T]) MarshalJSON() ([]byte, error) { return json.Marshal(r.Value) }

// body is what EncodeJSONResponse writes of r: the resource itself, encoded
// straight to the response. Through MarshalJSON the encoder would take the
// marshaled bytes and scan them again to compact them — for a large view
// (HQ's district view) close to half of its encoding's CPU.
func (r Response[T]) body() any { return r.Value }

// bodied is a response whose body is another value than itself.
type bodied interface{ body() any }

// ListResponse is one page of a list: {"items": [...], "next_page_token": "…"},
// or the business error that replaced it.
type ListResponse[T any] struct {
	Items         []T    `json:"items"`
	NextPageToken string `json:"next_page_token"`
	Err           error  `json:"-"`
	// Status is the success status; 0 means 200. A batch create that
	// answers with the list it made sets 201.
	Status int `json:"-"`
}

// Failed implements Failer.
func (r ListResponse[T]) Failed() error { return r.Err }

// StatusCode implements StatusCoder.
func (r ListResponse[T]) StatusCode() int {
	if r.Status == 0 {
		return http.StatusOK
	}
	return r.Status
}

// One is the Response of a get or an update: v with its ETag, or err.
func One[T any](v T, etag string, err error) Response[T] {
	if err != nil {
		return Response[T]{Err: err}
	}
	return Response[T]{Value: v, ETag: etag}
}

// Created is the Response of a create: v with status (201, or 200 for an
// idempotent replay), its Location and ETag, or err.
func Created[T any](v T, location, etag string, status int, err error) Response[T] {
	if err != nil {
		return Response[T]{Err: err}
	}
	return Response[T]{Value: v, Status: status, Location: location, ETag: etag}
}

// List is the ListResponse of a page of items and the store's cursor of the
// next page, or err. No items encode as [], never null.
func List[T any](items []T, next string, err error) ListResponse[T] {
	if err != nil {
		return ListResponse[T]{Err: err}
	}
	if items == nil {
		items = []T{}
	}
	return ListResponse[T]{Items: items, NextPageToken: PageToken(next)}
}

// ItemsResponse is a whole list that is never paged (a handful of rows by
// nature, e.g. HQ's districts): {"items": [...]}, or the business error
// that replaced it.
type ItemsResponse[T any] struct {
	Items []T   `json:"items"`
	Err   error `json:"-"`
}

// Failed implements Failer.
func (r ItemsResponse[T]) Failed() error { return r.Err }

// Items is the ItemsResponse of items, or err. No items encode as [],
// never null.
func Items[T any](items []T, err error) ItemsResponse[T] {
	if err != nil {
		return ItemsResponse[T]{Err: err}
	}
	if items == nil {
		items = []T{}
	}
	return ItemsResponse[T]{Items: items}
}
