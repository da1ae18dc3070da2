package service

import (
	"bytes"
	"fmt"

	"github.com/microcosm-cc/bluemonday"
	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/extension"
	"github.com/yuin/goldmark/renderer/html"
)

// Markdown renders a notice's body to HTML that is safe to put in a page
// as it is: goldmark turns the Markdown into HTML, passing raw HTML of the
// source through (html.WithUnsafe), and bluemonday's UGC policy, the one
// gate, removes whatever could run or load: script elements with their
// content, event-handler attributes, javascript: and data: URLs, styles.
// Letting goldmark drop raw HTML instead would leave a script's text
// behind as visible text (its tags gone, "alert(1)" shown).
// Links get rel="nofollow noopener" and open in a new tab. Both are
// well-kept libraries; a hand-written sanitiser is how XSS gets in.
type Markdown struct {
	md     goldmark.Markdown
	policy *bluemonday.Policy
}

// NewMarkdown returns the renderer every notice and directive uses.
func NewMarkdown() *Markdown {
	p := bluemonday.UGCPolicy()
	p.RequireNoFollowOnLinks(true)
	p.AddTargetBlankToFullyQualifiedLinks(true)
	p.AllowURLSchemes("https", "http", "mailto")
	return &Markdown{
		md:     goldmark.New(goldmark.WithExtensions(extension.GFM), goldmark.WithRendererOptions(html.WithUnsafe())),
		policy: p,
	}
}

// HTML returns the sanitised HTML of src.
func (m *Markdown) HTML(src string) (string, error) {
	var buf bytes.Buffer
	if err := m.md.Convert([]byte(src), &buf); err != nil {
		return "", fmt.Errorf("messaging: render markdown: %w", err)
	}
	return m.policy.Sanitize(buf.String()), nil
}
