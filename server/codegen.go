package server

import (
	"github.com/cinchdb/cinch/codegen"
)

// GeneratedModels is the body of GET .../branches/{branch}/codegen: typed
// models of the branch's tables and views in one language, and the file
// name they are meant for (what `cinch codegen LANG` prints or writes).
type GeneratedModels struct {
	Language string `json:"language"`
	Filename string `json:"filename"`
	Source   string `json:"source"`
}

// generateModels is codegen.Load then codegen.Generate on the branch. View
// columns are read on tenant main (PRAGMA table_info, read-only), as every
// tenant has the branch's schema.
func generateModels(c *call) (any, error) {
	q := c.r.URL.Query()
	if q.Get("lang") == "" {
		return nil, invalid("lang is required: ?lang=go, ?lang=typescript or ?lang=python")
	}
	lang, err := codegen.ParseLanguage(q.Get("lang"))
	if err != nil {
		return nil, err
	}
	d, err := c.conn()
	if err != nil {
		return nil, err
	}
	s, err := codegen.Load(c.ctx, d)
	if err != nil {
		return nil, err
	}
	src, err := codegen.Generate(lang, s, codegen.Options{Package: q.Get("package")})
	if err != nil {
		return nil, err
	}
	return GeneratedModels{Language: string(lang), Filename: lang.FileName(), Source: string(src)}, nil
}
