package engine

import (
	"fmt"
	"net/url"
	"strings"

	"github.com/drctl/drctl/pkg/template"
)

// urlPart is the part of a URL a character belongs to.
type urlPart int

const (
	urlScheme urlPart = iota
	urlAuthority
	urlPath
	urlQuery
	urlFragment
)

// urlCursor follows the part of a URL as its text is written, one character at a time.
type urlCursor struct {
	part urlPart
	prev [2]byte // the two characters before, to see "://"
}

func (c *urlCursor) feed(s string) {
	for i := 0; i < len(s); i++ {
		ch := s[i]
		switch {
		case c.part == urlScheme && ch == '/' && c.prev == [2]byte{':', '/'}:
			c.part = urlAuthority
		case c.part == urlAuthority && ch == '/':
			c.part = urlPath
		case c.part <= urlPath && ch == '?':
			c.part = urlQuery
		case c.part <= urlQuery && ch == '#':
			c.part = urlFragment
		}
		c.prev = [2]byte{c.prev[1], ch}
	}
}

// renderURL expands the placeholders of an http(s) URL so that no value changes its structure:
// a value in the path is escaped segment by segment (it may hold '/', not '.' or '..' segments),
// in the query as a query value, in the fragment as a fragment. A value in the scheme or host
// part is inserted as written and may hold none of "/?#@\" or blanks. A placeholder that starts
// the URL holds a base URL (`$(params.endpoint)/api`) and is inserted as written.
func renderURL(text string, refs []template.Ref, values []string) (string, error) {
	var b strings.Builder
	var cursor urlCursor
	last := 0
	for i, r := range refs {
		literal := template.Unescape(text[last:r.Start])
		b.WriteString(literal)
		cursor.feed(literal)
		v, err := urlValue(r, values[i], cursor.part)
		if err != nil {
			return "", err
		}
		b.WriteString(v)
		cursor.feed(v)
		last = r.End
	}
	b.WriteString(template.Unescape(text[last:]))
	return b.String(), nil
}

// urlValue is value escaped for the part of the URL it lands in.
func urlValue(r template.Ref, value string, part urlPart) (string, error) {
	switch part {
	case urlScheme, urlAuthority:
		if i := strings.IndexFunc(value, func(c rune) bool { return c <= ' ' || c == 0x7f }); i >= 0 {
			return "", fmt.Errorf("the value of %s goes into the URL as written and may not hold a blank or control character (%q)", r.Text, value[i])
		}
		if r.Start == 0 {
			return value, nil // a base URL
		}
		if i := strings.IndexAny(value, `/?#@\`); i >= 0 {
			return "", fmt.Errorf("the value of %s goes into the URL's scheme or host and may not hold %q", r.Text, value[i])
		}
		return value, nil
	case urlPath:
		segments := strings.Split(value, "/")
		for i, s := range segments {
			if s == "." || s == ".." {
				return "", fmt.Errorf("the value of %s goes into the URL's path and may not hold a %q segment", r.Text, s)
			}
			segments[i] = url.PathEscape(s)
		}
		return strings.Join(segments, "/"), nil
	case urlQuery:
		return url.QueryEscape(value), nil
	default:
		return url.PathEscape(value), nil
	}
}
