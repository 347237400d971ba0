package test

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"path/filepath"
	"strings"
	"testing"
)

// TestPresubmitDocs enforces STYLE.md's documentation rules on every
// package under internal/ and cmd/: a package doc, and a doc comment on
// every exported top-level name (a commented const/var block documents
// its members; methods of exported types count too).
func TestPresubmitDocs(t *testing.T) {
	root := RepoRoot(t)
	pkgDoc := map[string]bool{}
	var missing []string
	for _, top := range []string{"internal", "cmd"} {
		filepath.WalkDir(filepath.Join(root, top), func(path string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
				return nil
			}
			fset := token.NewFileSet()
			f, err := parser.ParseFile(fset, path, nil, parser.ParseComments)
			if err != nil {
				t.Errorf("%s: %v", path, err)
				return nil
			}
			dir := filepath.Dir(path)
			if _, ok := pkgDoc[dir]; !ok {
				pkgDoc[dir] = false
			}
			if f.Doc != nil {
				pkgDoc[dir] = true
			}
			rel, _ := filepath.Rel(root, path)
			for _, decl := range f.Decls {
				switch d := decl.(type) {
				case *ast.FuncDecl:
					if d.Name.IsExported() && d.Doc == nil && (d.Recv == nil || exportedRecv(d)) {
						missing = append(missing, rel+": func "+d.Name.Name)
					}
				case *ast.GenDecl:
					for _, s := range d.Specs {
						switch s := s.(type) {
						case *ast.TypeSpec:
							if s.Name.IsExported() && d.Doc == nil && s.Doc == nil {
								missing = append(missing, rel+": type "+s.Name.Name)
							}
						case *ast.ValueSpec:
							for _, n := range s.Names {
								if n.IsExported() && d.Doc == nil && s.Doc == nil && s.Comment == nil {
									missing = append(missing, rel+": "+n.Name)
								}
							}
						}
					}
				}
			}
			return nil
		})
	}
	for dir, ok := range pkgDoc {
		if !ok {
			rel, _ := filepath.Rel(root, dir)
			t.Errorf("package %s has no package doc", rel)
		}
	}
	for _, m := range missing {
		t.Errorf("undocumented exported name: %s", m)
	}
}

func exportedRecv(d *ast.FuncDecl) bool {
	typ := d.Recv.List[0].Type
	if s, ok := typ.(*ast.StarExpr); ok {
		typ = s.X
	}
	if ix, ok := typ.(*ast.IndexExpr); ok {
		typ = ix.X
	}
	id, ok := typ.(*ast.Ident)
	return ok && id.IsExported()
}
