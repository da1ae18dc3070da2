package telemetry

import (
	"context"
	"log/slog"
	"reflect"
	"slices"
)

// TidyHandler wraps next so that every record next sees has each key once
// per JSON object and no attribute without a value:
//
//   - A key given twice — by two logger.With calls (a caller and the
//     constructor it hands the logger to both adding "component"), or by
//     With and the record itself — is written once, at the place it first
//     appeared, with the value given last: like assigning a map key again.
//     The innermost value wins because it is the most specific: a
//     constructor names its own component ("relay", "consumer") and a log
//     call names what happened there. Keys inside a group are compared with
//     the group's other keys only.
//   - An attribute whose value would be written as JSON null (a nil error
//     or pointer, a nil map or slice) is dropped: "err":null says nothing.
//     A later nil does not remove an earlier value of the same key.
//   - A top-level attribute named like one of the handler's own keys
//     (time, level, msg) is written as "attr.<key>", so the record's own
//     stay unique too.
//
// To do that it keeps the logger's attributes and groups itself and gives
// next only complete records, so next must not have been given
// attributes or groups of its own. NewLogger installs it.
func TidyHandler(next slog.Handler) slog.Handler {
	return &tidyHandler{next: next, frames: []tidyFrame{{}}}
}

type tidyHandler struct {
	next slog.Handler
	// frames[0] is the top level; each WithGroup opens one more frame.
	// Each frame holds the attributes With added while it was the
	// innermost, already tidied. Frames are never written once shared:
	// WithAttrs and WithGroup copy what they change.
	frames []tidyFrame
}

type tidyFrame struct {
	group string
	attrs []slog.Attr
}

// Enabled implements slog.Handler.
func (h *tidyHandler) Enabled(ctx context.Context, l slog.Level) bool {
	return h.next.Enabled(ctx, l)
}

// WithAttrs implements slog.Handler.
func (h *tidyHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	if len(attrs) == 0 {
		return h
	}
	frames := slices.Clone(h.frames)
	last := len(frames) - 1
	frames[last].attrs = tidyMerge(frames[last].attrs, attrs, last == 0)
	return &tidyHandler{next: h.next, frames: frames}
}

// WithGroup implements slog.Handler.
func (h *tidyHandler) WithGroup(name string) slog.Handler {
	if name == "" {
		return h
	}
	frames := append(slices.Clip(h.frames), tidyFrame{group: name})
	return &tidyHandler{next: h.next, frames: frames}
}

// Handle implements slog.Handler: the record's attributes join the
// innermost frame's, and each frame becomes a group in the one around it.
func (h *tidyHandler) Handle(ctx context.Context, r slog.Record) error {
	last := len(h.frames) - 1
	base := h.frames[last].attrs
	attrs := make([]slog.Attr, len(base), len(base)+r.NumAttrs())
	copy(attrs, base)
	r.Attrs(func(a slog.Attr) bool {
		attrs = tidyAdd(attrs, a, last == 0)
		return true
	})
	for i := last; i > 0; i-- {
		var group []slog.Attr
		// A group without attributes is not written at all (slog's rule).
		if len(attrs) > 0 {
			group = []slog.Attr{{Key: h.frames[i].group, Value: slog.GroupValue(attrs...)}}
		}
		attrs = tidyMerge(h.frames[i-1].attrs, group, i-1 == 0)
	}
	out := slog.NewRecord(r.Time, r.Level, r.Message, r.PC)
	out.AddAttrs(attrs...)
	return h.next.Handle(ctx, out)
}

// builtinKeys are the keys slog's JSON handler writes for every record
// (source only with AddSource, which NewLogger never sets).
var builtinKeys = map[string]bool{slog.TimeKey: true, slog.LevelKey: true, slog.MessageKey: true}

// tidyMerge returns base (already tidy; never written) followed by add,
// where a key already present keeps its place and takes the new value,
// attributes without a value are dropped, inline groups (empty key) are
// flattened into this level and groups are tidied inside. top renames
// attributes that would clash with the record's own keys.
func tidyMerge(base, add []slog.Attr, top bool) []slog.Attr {
	out := slices.Clone(base)
	for _, a := range add {
		out = tidyAdd(out, a, top)
	}
	return out
}

func tidyAdd(out []slog.Attr, a slog.Attr, top bool) []slog.Attr {
	v := a.Value.Resolve()
	if v.Kind() == slog.KindGroup {
		if a.Key == "" {
			// An inline group: its attributes belong to this level.
			for _, g := range v.Group() {
				out = tidyAdd(out, g, top)
			}
			return out
		}
		inner := tidyMerge(nil, v.Group(), false)
		if len(inner) == 0 {
			return out
		}
		v = slog.GroupValue(inner...)
	}
	if isNullValue(v) {
		return out
	}
	key := a.Key
	if top && builtinKeys[key] {
		key = "attr." + key
	}
	for i := range out {
		if out[i].Key == key {
			out[i].Value = v
			return out
		}
	}
	return append(out, slog.Attr{Key: key, Value: v})
}

// isNullValue reports whether the JSON handler would write v as null: a nil
// interface (a nil error), or a nil pointer, map, slice, func, channel or
// interface value.
func isNullValue(v slog.Value) bool {
	if v.Kind() != slog.KindAny {
		return false
	}
	x := v.Any()
	if x == nil {
		return true
	}
	switch rv := reflect.ValueOf(x); rv.Kind() {
	case reflect.Pointer, reflect.Map, reflect.Slice, reflect.Func, reflect.Chan, reflect.Interface:
		return rv.IsNil()
	}
	return false
}
