package kitx

import (
	"bytes"
	"encoding/json"
	"strconv"
	"unicode"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/guildhall/guildhall/pkg/errs"
)

// maxCheckDepth bounds the nesting checkJSONText follows; deeper documents
// are left to encoding/json, which refuses them (its limit is 10000).
const maxCheckDepth = 10000

// frame is one open object or array of the value checkJSONText walks.
type frame struct {
	path    string // the field path of the object or array itself
	object  bool
	wantKey bool                // object: the next string is a key
	key     string              // object: the key of the value being read
	keys    map[string]struct{} // object: folded keys seen so far
	index   int                 // array: the index of the next element
}

// child is the field path of the value f is about to read.
func (f *frame) child() string {
	if f.object {
		if f.path == "" {
			return f.key
		}
		return f.path + "." + f.key
	}
	return f.path + "[" + strconv.Itoa(f.index) + "]"
}

// checkJSONText walks the first JSON value of raw and returns the first
// problem encoding/json would let through silently: a string, key or value,
// that is not valid UTF-8 (it would become U+FFFD), that holds NUL or
// another control character than tab, line feed and carriage return, and a
// key repeated in one object (the last would win). The error names the
// field as a path ("action_items[2].title"). On a syntax error it returns
// nil and leaves the report to the decoder, so malformed bodies keep their
// own error ids.
func checkJSONText(raw []byte) error {
	dec := json.NewDecoder(bytes.NewReader(raw))
	// Numbers stay text: a huge one is the decoder's to report.
	dec.UseNumber()
	var stack []*frame
	var prev int64
	// valueDone moves the innermost container past the value just read.
	valueDone := func() {
		if len(stack) == 0 {
			return
		}
		top := stack[len(stack)-1]
		if top.object {
			top.wantKey = true
		} else {
			top.index++
		}
	}
	// path is the field path of the value about to be read.
	path := func() string {
		if len(stack) == 0 {
			return ""
		}
		return stack[len(stack)-1].child()
	}
	for {
		tok, err := dec.Token()
		if err != nil {
			return nil // the end, or a syntax error for the decoder to report
		}
		end := dec.InputOffset()
		seg := raw[prev:end]
		prev = end
		switch t := tok.(type) {
		case json.Delim:
			switch t {
			case '{', '[':
				if len(stack) >= maxCheckDepth {
					return nil
				}
				f := &frame{path: path(), object: t == '{'}
				if f.object {
					f.wantKey, f.keys = true, map[string]struct{}{}
				}
				stack = append(stack, f)
			default:
				stack = stack[:len(stack)-1]
				if len(stack) == 0 {
					return nil
				}
				valueDone()
			}
		case string:
			// The token's literal is the segment from its opening quote:
			// before it there are only white space, ':' and ','.
			q := bytes.IndexByte(seg, '"')
			if q < 0 {
				return nil // cannot happen for a string token; leave it to the decoder
			}
			lit := seg[q:]
			if top := topFrame(stack); top != nil && top.object && top.wantKey {
				if err := checkJSONString(lit); err != nil {
					return err.WithField(top.path)
				}
				top.key = t
				// encoding/json matches keys to struct fields without
				// regard to case, so "name" and "Name" are one field.
				folded := foldKey(t)
				if _, dup := top.keys[folded]; dup {
					return ErrDuplicateKey.WithField(top.child())
				}
				top.keys[folded] = struct{}{}
				top.wantKey = false
				continue
			}
			if err := checkJSONString(lit); err != nil {
				return err.WithField(path())
			}
			if len(stack) == 0 {
				return nil
			}
			valueDone()
		default:
			if len(stack) == 0 {
				return nil
			}
			valueDone()
		}
	}
}

func topFrame(stack []*frame) *frame {
	if len(stack) == 0 {
		return nil
	}
	return stack[len(stack)-1]
}

// foldKey folds a key the way encoding/json matches field names: each
// letter to one case (ASCII directly, others through lower then upper).
func foldKey(k string) string {
	b := make([]byte, 0, len(k))
	for _, r := range k {
		if r < utf8.RuneSelf {
			if 'a' <= r && r <= 'z' {
				r -= 'a' - 'A'
			}
			b = append(b, byte(r))
			continue
		}
		b = utf8.AppendRune(b, unicode.ToUpper(unicode.ToLower(r)))
	}
	return string(b)
}

// checkJSONString checks a JSON string literal (quotes included, syntax
// already accepted by encoding/json's tokenizer) for invalid UTF-8 — raw
// bytes, or an escaped surrogate without its pair — and for NUL and other
// control characters, raw or escaped.
func checkJSONString(lit []byte) *errs.Error {
	if len(lit) < 2 {
		return nil
	}
	s := lit[1 : len(lit)-1]
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case c == '\\':
			if i+1 >= len(s) {
				return nil
			}
			switch s[i+1] {
			case 'u':
				r, ok := hex4(s, i+2)
				if !ok {
					return nil
				}
				i += 6
				if utf16.IsSurrogate(r) {
					// A high surrogate must be followed by an escaped low
					// one; anything else cannot be written in UTF-8.
					if r >= 0xDC00 {
						return ErrInvalidUTF8
					}
					if i+1 < len(s) && s[i] == '\\' && s[i+1] == 'u' {
						if r2, ok := hex4(s, i+2); ok && r2 >= 0xDC00 && r2 <= 0xDFFF {
							i += 6
							continue
						}
					}
					return ErrInvalidUTF8
				}
				if err := checkRune(r); err != nil {
					return err
				}
			case 'b', 'f':
				return ErrControlCharacter
			default: // \" \\ \/ \n \r \t
				i += 2
			}
		case c < utf8.RuneSelf:
			if err := checkRune(rune(c)); err != nil {
				return err
			}
			i++
		default:
			r, n := utf8.DecodeRune(s[i:])
			if r == utf8.RuneError && n == 1 {
				return ErrInvalidUTF8
			}
			if err := checkRune(r); err != nil {
				return err
			}
			i += n
		}
	}
	return nil
}

// checkRune refuses NUL and every control character (C0, DEL, C1) but
// tab, line feed and carriage return.
func checkRune(r rune) *errs.Error {
	switch {
	case r == 0:
		return ErrNULCharacter
	case r == '\t' || r == '\n' || r == '\r':
		return nil
	case unicode.IsControl(r):
		return ErrControlCharacter
	}
	return nil
}

// hex4 reads the four hex digits at s[i:].
func hex4(s []byte, i int) (rune, bool) {
	if i+4 > len(s) {
		return 0, false
	}
	v, err := strconv.ParseUint(string(s[i:i+4]), 16, 32)
	return rune(v), err == nil
}

// SingleLine returns ErrControlCharacter naming field when s holds a tab, a
// line break (CR, LF, U+2028, U+2029) or any other control character, and
// ErrNULCharacter for NUL: names and titles are shown on one line, in lists
// and on badges. Text that did not come through DecodeJSON (a CSV cell) gets
// the same ids.
func SingleLine(field, s string) error {
	for _, r := range s {
		switch {
		case r == 0:
			return ErrNULCharacter.WithField(field)
		case unicode.IsControl(r) || r == '\u2028' || r == '\u2029':
			return ErrControlCharacter.WithField(field)
		}
	}
	return nil
}
