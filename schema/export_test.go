package schema

import "github.com/cinchdb/cinch"

// KindGaps returns every change type of the kinds table with the functions
// its entry lacks (none when complete).
func KindGaps() map[cinch.ChangeType][]string {
	out := map[cinch.ChangeType][]string{}
	for typ, k := range kinds {
		gaps := []string{}
		for name, missing := range map[string]bool{
			"apply": k.apply == nil, "replan": k.replan == nil, "inverse": k.inverse == nil, "footprint": k.footprint == nil,
		} {
			if missing {
				gaps = append(gaps, name)
			}
		}
		out[typ] = gaps
	}
	return out
}
