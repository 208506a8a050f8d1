package schema

import (
	"encoding/json"
	"fmt"

	"github.com/cinchdb/cinch"
)

// Replan plans a recorded change again against another schema (a merge
// target), from its details: the SQL may differ (a rebuild depends on the
// table's current definition) but the meaning is the same. The result
// keeps the change's id, timestamp and type.
func Replan(s *Schema, ch cinch.Change) (Plan, error) {
	p, err := replan(s, ch)
	if err != nil {
		return Plan{}, err
	}
	p.Change.ID, p.Change.Timestamp, p.Change.MergedFrom = ch.ID, ch.Timestamp, ch.MergedFrom
	return p, nil
}

func replan(s *Schema, ch cinch.Change) (Plan, error) {
	decode := func(v any) error {
		if err := json.Unmarshal(ch.Details, v); err != nil {
			return fmt.Errorf("%w: change %s has bad details: %v", cinch.ErrInternal, ch.ID, err)
		}
		return nil
	}
	switch ch.Type {
	case cinch.ChangeCreateTable:
		var d cinch.DetailsCreateTable
		if err := decode(&d); err != nil {
			return Plan{}, err
		}
		return PlanCreateTable(s, d.Table, d.Columns)
	case cinch.ChangeCopyTable:
		var d cinch.DetailsCreateTable
		if err := decode(&d); err != nil {
			return Plan{}, err
		}
		return PlanCopyTable(s, d.Source, d.Table, d.NoData)
	case cinch.ChangeDropTable:
		var d cinch.DetailsTable
		if err := decode(&d); err != nil {
			return Plan{}, err
		}
		return PlanDropTable(s, d.Table)
	case cinch.ChangeRenameTable:
		var d cinch.DetailsRename
		if err := decode(&d); err != nil {
			return Plan{}, err
		}
		return PlanRenameTable(s, d.Old, d.New)
	case cinch.ChangeAddColumn:
		var d cinch.DetailsColumn
		if err := decode(&d); err != nil {
			return Plan{}, err
		}
		return PlanAddColumn(s, d.Table, d.Column)
	case cinch.ChangeDropColumn:
		var d cinch.DetailsColumn
		if err := decode(&d); err != nil {
			return Plan{}, err
		}
		return PlanDropColumn(s, d.Table, d.Column.Name)
	case cinch.ChangeRenameColumn:
		var d cinch.DetailsRename
		if err := decode(&d); err != nil {
			return Plan{}, err
		}
		return PlanRenameColumn(s, d.Table, d.Old, d.New)
	case cinch.ChangeAlterNullable:
		var d cinch.DetailsNullable
		if err := decode(&d); err != nil {
			return Plan{}, err
		}
		return PlanAlterNullable(s, d.Table, d.Column, d.Nullable, d.FillValue)
	case cinch.ChangeCreateView, cinch.ChangeUpdateView:
		var d cinch.DetailsView
		if err := decode(&d); err != nil {
			return Plan{}, err
		}
		_, exists := s.Views[d.View]
		return PlanCreateView(s, d.View, d.SQL, ch.Type == cinch.ChangeUpdateView && exists)
	case cinch.ChangeDropView:
		var d cinch.DetailsView
		if err := decode(&d); err != nil {
			return Plan{}, err
		}
		return PlanDropView(s, d.View)
	case cinch.ChangeCreateIndex:
		var d cinch.DetailsIndex
		if err := decode(&d); err != nil {
			return Plan{}, err
		}
		return PlanCreateIndex(s, cinch.IndexInfo{Name: d.Index, Table: d.Table, Columns: d.Columns, Unique: d.Unique})
	case cinch.ChangeDropIndex:
		var d cinch.DetailsIndex
		if err := decode(&d); err != nil {
			return Plan{}, err
		}
		return PlanDropIndex(s, d.Index)
	}
	return Plan{}, fmt.Errorf("%w: change %s has unknown type %q", cinch.ErrInternal, ch.ID, ch.Type)
}

// Footprint is what a change touches, for merge conflict detection: the
// keys it writes and the keys it reads. Keys are "table:T" (the whole
// table), "column:T.C", "view:V" and "index:I".
type Footprint struct {
	Writes []string
	Reads  []string
}

// FootprintOf returns the footprint of a recorded change.
func FootprintOf(ch cinch.Change) Footprint {
	var f Footprint
	switch ch.Type {
	case cinch.ChangeCreateTable, cinch.ChangeDropTable:
		var d cinch.DetailsCreateTable
		json.Unmarshal(ch.Details, &d)
		f.Writes = []string{"table:" + d.Table}
	case cinch.ChangeCopyTable:
		var d cinch.DetailsCreateTable
		json.Unmarshal(ch.Details, &d)
		f.Writes = []string{"table:" + d.Table}
		f.Reads = []string{"table:" + d.Source}
	case cinch.ChangeRenameTable:
		var d cinch.DetailsRename
		json.Unmarshal(ch.Details, &d)
		f.Writes = []string{"table:" + d.Old, "table:" + d.New}
	case cinch.ChangeAddColumn, cinch.ChangeDropColumn:
		var d cinch.DetailsColumn
		json.Unmarshal(ch.Details, &d)
		f.Writes = []string{"column:" + d.Table + "." + d.Column.Name}
		f.Reads = []string{"table:" + d.Table}
		if fk := d.Column.ForeignKey; fk != nil {
			f.Reads = append(f.Reads, "table:"+fk.Table, "column:"+fk.Table+"."+fk.Column)
		}
	case cinch.ChangeRenameColumn:
		var d cinch.DetailsRename
		json.Unmarshal(ch.Details, &d)
		f.Writes = []string{"column:" + d.Table + "." + d.Old, "column:" + d.Table + "." + d.New}
		f.Reads = []string{"table:" + d.Table}
	case cinch.ChangeAlterNullable:
		var d cinch.DetailsNullable
		json.Unmarshal(ch.Details, &d)
		f.Writes = []string{"column:" + d.Table + "." + d.Column}
		f.Reads = []string{"table:" + d.Table}
	case cinch.ChangeCreateView, cinch.ChangeUpdateView, cinch.ChangeDropView:
		var d cinch.DetailsView
		json.Unmarshal(ch.Details, &d)
		f.Writes = []string{"view:" + d.View}
	case cinch.ChangeCreateIndex, cinch.ChangeDropIndex:
		var d cinch.DetailsIndex
		json.Unmarshal(ch.Details, &d)
		f.Writes = []string{"index:" + d.Index}
		if d.Table != "" {
			f.Reads = []string{"table:" + d.Table}
			for _, c := range d.Columns {
				f.Reads = append(f.Reads, "column:"+d.Table+"."+c)
			}
		}
	}
	return f
}
