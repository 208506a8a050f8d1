package cinch

import (
	"encoding/json"
	"time"
)

// ChangeType names one kind of tracked schema operation.
type ChangeType string

// The change types recorded in changes.json.
const (
	ChangeCreateTable   ChangeType = "CREATE_TABLE"
	ChangeDropTable     ChangeType = "DROP_TABLE"
	ChangeRenameTable   ChangeType = "RENAME_TABLE"
	ChangeCopyTable     ChangeType = "COPY_TABLE"
	ChangeAddColumn     ChangeType = "ADD_COLUMN"
	ChangeDropColumn    ChangeType = "DROP_COLUMN"
	ChangeRenameColumn  ChangeType = "RENAME_COLUMN"
	ChangeAlterNullable ChangeType = "ALTER_COLUMN_NULLABLE"
	ChangeCreateView    ChangeType = "CREATE_VIEW"
	ChangeUpdateView    ChangeType = "UPDATE_VIEW"
	ChangeDropView      ChangeType = "DROP_VIEW"
	ChangeCreateIndex   ChangeType = "CREATE_INDEX"
	ChangeDropIndex     ChangeType = "DROP_INDEX"
)

// Change is one record of changes.json: a schema operation with the exact
// SQL every tenant runs for it. The SQL is computed once, when the change is
// made, so every tenant ends on byte-identical schema.
type Change struct {
	ID        string          `json:"id"`        // UUID v7
	Timestamp time.Time       `json:"timestamp"` // RFC 3339 UTC
	Type      ChangeType      `json:"type"`
	Entity    string          `json:"entity"`  // table, view or index the change is about
	Details   json.RawMessage `json:"details"` // type-specific, see the Details* types
	SQL       []string        `json:"sql"`     // statements applied in one transaction per tenant
	// Rebuild is true when the SQL recreates a table; it runs with foreign keys off.
	Rebuild bool `json:"rebuild,omitempty"`
	// MergedFrom names the branch a change came from by merge, if any.
	MergedFrom string `json:"merged_from,omitempty"`
}

// Details of each change type, as stored in Change.Details.
type (
	// DetailsCreateTable describes CREATE_TABLE and COPY_TABLE.
	DetailsCreateTable struct {
		Table   string   `json:"table"`
		Columns []Column `json:"columns"`
		Source  string   `json:"source,omitempty"` // COPY_TABLE: the copied table
		NoData  bool     `json:"no_data,omitempty"`
	}
	// DetailsTable describes DROP_TABLE.
	DetailsTable struct {
		Table string `json:"table"`
	}
	// DetailsRename describes RENAME_TABLE and RENAME_COLUMN.
	DetailsRename struct {
		Table string `json:"table"`
		Old   string `json:"old"`
		New   string `json:"new"`
	}
	// DetailsColumn describes ADD_COLUMN and DROP_COLUMN.
	DetailsColumn struct {
		Table  string `json:"table"`
		Column Column `json:"column"`
	}
	// DetailsNullable describes ALTER_COLUMN_NULLABLE.
	DetailsNullable struct {
		Table     string  `json:"table"`
		Column    string  `json:"column"`
		Nullable  bool    `json:"nullable"`
		FillValue *string `json:"fill_value,omitempty"`
	}
	// DetailsView describes CREATE_VIEW, UPDATE_VIEW and DROP_VIEW.
	DetailsView struct {
		View string `json:"view"`
		SQL  string `json:"sql,omitempty"`
	}
	// DetailsIndex describes CREATE_INDEX and DROP_INDEX.
	DetailsIndex struct {
		Index   string   `json:"index"`
		Table   string   `json:"table,omitempty"`
		Columns []string `json:"columns,omitempty"`
		Unique  bool     `json:"unique,omitempty"`
	}
)
