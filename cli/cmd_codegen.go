package cli

import (
	"os"
	"path/filepath"
	"strconv"

	"github.com/spf13/cobra"

	"github.com/cinchdb/cinch/codegen"
)

// generatedModels is what `codegen --format json` prints without --out:
// the body of GET .../branches/{branch}/codegen (server.GeneratedModels).
type generatedModels struct {
	Language string `json:"language"`
	Filename string `json:"filename"`
	Source   string `json:"source"`
}

func (a *app) codegenCommand() *cobra.Command {
	var out, pkg string
	c := &cobra.Command{
		Use:   "codegen go|typescript|python",
		Short: "Generate typed models of the active branch's tables and views",
		Long: `codegen writes typed models of the tables and views of the active branch:
Go structs with db and json tags (for database/sql, sqlx, encoding/json),
TypeScript interfaces or Python dataclasses, the last two with a function
that builds a model from a record as cinch returns it.

Nullable columns are optional (Go pointers, TypeScript ?: T | null, Python
T | None = None), BOOLEAN is a boolean, created_at and updated_at are the
language's time type (Go: a generated Time type that scans cinch's RFC 3339
text), BLOB is bytes. Names follow each language's conventions; the column
names stay in tags and comments. Views' columns are read with PRAGMA
table_info on tenant main and are all nullable.

The source goes to stdout, or with --out DIR to DIR/models.go, models.ts or
models.py (written atomically; DIR is created). Run it again after a schema
change: the models follow the branch.`,
		Example: `  cinch codegen go --out internal/models
  cinch codegen typescript > src/models.ts
  cinch codegen python --out app
  cinch codegen go --package db --branch feature.payments`,
		Args:      exactArgs(1),
		ValidArgs: []string{string(codegen.Go), string(codegen.TypeScript), string(codegen.Python)},
		RunE: func(cmd *cobra.Command, args []string) error {
			lang, err := codegen.ParseLanguage(args[0])
			if err != nil {
				return err
			}
			ctx := cmd.Context()
			db, err := a.connect(ctx, "", "")
			if err != nil {
				return err
			}
			s, err := codegen.Load(ctx, db)
			if err != nil {
				return err
			}
			src, err := codegen.Generate(lang, s, codegen.Options{Package: pkg})
			if err != nil {
				return err
			}
			if out == "" {
				if a.format == FormatJSON {
					return writeJSON(a.stdout, generatedModels{Language: string(lang), Filename: lang.FileName(), Source: string(src)})
				}
				_, err := a.stdout.Write(src)
				return err
			}
			path, err := filepath.Abs(filepath.Join(out, lang.FileName()))
			if err != nil {
				return err
			}
			if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
				return err
			}
			if err := writeCodegenFile(path, src); err != nil {
				return err
			}
			return a.done(map[string]any{"language": lang, "file": path, "tables": len(s.Tables), "views": len(s.Views)},
				"Wrote %s (%s, %s)", path, codegenCount(len(s.Tables), "table"), codegenCount(len(s.Views), "view"))
		},
	}
	c.Flags().StringVarP(&out, "out", "o", "", "write DIR/models.go, models.ts or models.py instead of printing the source")
	c.Flags().StringVar(&pkg, "package", codegen.DefaultPackage, "Go package name of the generated file")
	return c
}

// codegenCount says "1 table", "2 tables".
func codegenCount(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return strconv.Itoa(n) + " " + noun + "s"
}

// writeCodegenFile writes data to path through a temporary file in the same
// folder, fsync and rename: a reader (an editor, a compiler in watch mode)
// sees the old file or the new one, never half of one.
func writeCodegenFile(path string, data []byte) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*.tmp")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Chmod(0o644); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return err
	}
	if d, err := os.Open(filepath.Dir(path)); err == nil { // make the rename durable; not every OS can
		d.Sync()
		d.Close()
	}
	return nil
}
