package server

// A fast path for the body of the query route, the one request every
// application sends most (issue 14). It reads the common shape only and
// gives up on anything else, which then goes through decodeStrict (the
// one place that decides what is valid and words the errors). Whatever it
// accepts, it decodes exactly as decodeStrict would; FuzzQueryRequestFast
// holds it to that.

import (
	"encoding/json"
	"strconv"
	"unicode/utf8"
)

// fastQueryRequest decodes data as a QueryRequest when it is a JSON object
// of the plain shape: the keys sql, params, limit and read_only, each at
// most once and spelled exactly so; strings without escapes or control
// characters, valid UTF-8; params an array of strings, numbers, booleans
// and nulls (numbers as json.Number, as decodeStrict with UseNumber);
// limit an integer that fits an int; read_only true or false. ok is false
// for anything else, valid or not.
func fastQueryRequest(data []byte) (q QueryRequest, ok bool) {
	p := fastParser{data: data}
	p.space()
	if !p.byte('{') {
		return QueryRequest{}, false
	}
	var seen [4]bool
	p.space()
	if !p.byte('}') {
		for {
			p.space()
			key, ok := p.str()
			if !ok {
				return QueryRequest{}, false
			}
			p.space()
			if !p.byte(':') {
				return QueryRequest{}, false
			}
			p.space()
			switch key {
			case "sql":
				if seen[0] {
					return QueryRequest{}, false
				}
				seen[0] = true
				if q.SQL, ok = p.str(); !ok {
					return QueryRequest{}, false
				}
			case "params":
				if seen[1] {
					return QueryRequest{}, false
				}
				seen[1] = true
				if q.Params, ok = p.params(); !ok {
					return QueryRequest{}, false
				}
			case "limit":
				if seen[2] {
					return QueryRequest{}, false
				}
				seen[2] = true
				num, ok := p.number()
				if !ok {
					return QueryRequest{}, false
				}
				n, err := strconv.ParseInt(num, 10, 0) // fails on fractions and exponents too
				if err != nil {
					return QueryRequest{}, false
				}
				q.Limit = int(n)
			case "read_only":
				if seen[3] {
					return QueryRequest{}, false
				}
				seen[3] = true
				switch {
				case p.lit("true"):
					q.ReadOnly = true
				case p.lit("false"):
				default:
					return QueryRequest{}, false
				}
			default:
				return QueryRequest{}, false
			}
			p.space()
			if p.byte('}') {
				break
			}
			if !p.byte(',') {
				return QueryRequest{}, false
			}
		}
	}
	p.space()
	return q, p.i == len(p.data)
}

// fastParser reads the plain JSON fastQueryRequest accepts.
type fastParser struct {
	data []byte
	i    int
}

func (p *fastParser) space() {
	for p.i < len(p.data) {
		switch p.data[p.i] {
		case ' ', '\t', '\n', '\r':
			p.i++
		default:
			return
		}
	}
}

// byte consumes c if it is next.
func (p *fastParser) byte(c byte) bool {
	if p.i < len(p.data) && p.data[p.i] == c {
		p.i++
		return true
	}
	return false
}

// lit consumes the literal s (true, false, null) if it is next.
func (p *fastParser) lit(s string) bool {
	if len(p.data)-p.i >= len(s) && string(p.data[p.i:p.i+len(s)]) == s {
		p.i += len(s)
		return true
	}
	return false
}

// str reads a string without escapes or control characters, valid UTF-8.
func (p *fastParser) str() (string, bool) {
	if !p.byte('"') {
		return "", false
	}
	start := p.i
	ascii := true
	for ; p.i < len(p.data); p.i++ {
		c := p.data[p.i]
		switch {
		case c == '"':
			s := p.data[start:p.i]
			p.i++
			if !ascii && !utf8.Valid(s) {
				return "", false
			}
			return string(s), true
		case c == '\\' || c < 0x20:
			return "", false
		case c >= utf8.RuneSelf:
			ascii = false
		}
	}
	return "", false
}

// number reads a JSON number (RFC 8259 grammar) and returns its text.
func (p *fastParser) number() (string, bool) {
	start := p.i
	p.byte('-')
	switch {
	case p.byte('0'):
	case p.i < len(p.data) && '1' <= p.data[p.i] && p.data[p.i] <= '9':
		p.digits()
	default:
		return "", false
	}
	if p.byte('.') && !p.digits() {
		return "", false
	}
	if p.byte('e') || p.byte('E') {
		if !p.byte('+') {
			p.byte('-')
		}
		if !p.digits() {
			return "", false
		}
	}
	return string(p.data[start:p.i]), true
}

// digits consumes one or more digits.
func (p *fastParser) digits() bool {
	start := p.i
	for p.i < len(p.data) && '0' <= p.data[p.i] && p.data[p.i] <= '9' {
		p.i++
	}
	return p.i > start
}

// params reads an array of scalars.
func (p *fastParser) params() ([]any, bool) {
	if !p.byte('[') {
		return nil, false
	}
	out := []any{}
	p.space()
	if p.byte(']') {
		return out, true
	}
	for {
		p.space()
		if p.i >= len(p.data) {
			return nil, false
		}
		switch c := p.data[p.i]; {
		case c == '"':
			s, ok := p.str()
			if !ok {
				return nil, false
			}
			out = append(out, s)
		case c == '-' || ('0' <= c && c <= '9'):
			n, ok := p.number()
			if !ok {
				return nil, false
			}
			out = append(out, json.Number(n))
		case p.lit("true"):
			out = append(out, true)
		case p.lit("false"):
			out = append(out, false)
		case p.lit("null"):
			out = append(out, nil)
		default:
			return nil, false
		}
		p.space()
		if p.byte(']') {
			return out, true
		}
		if !p.byte(',') {
			return nil, false
		}
	}
}
