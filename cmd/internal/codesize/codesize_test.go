// Package codesize holds the test that keeps every function of the project small enough
// to read: a cyclomatic complexity of at most 25 (counted as gocyclo counts it) and at most
// 100 lines, tests included. The simulator (proxies/gcsim) is left out: it models a whole
// API, not the tool.
package codesize

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"path/filepath"
	"strings"
	"testing"
)

const (
	maxComplexity = 25
	maxLines      = 100
)

// roots are the directories checked, from this package's directory.
var roots = []string{"../../../cmd", "../../../provision", "../../../proxies"}

func TestFunctionSize(t *testing.T) {
	fset := token.NewFileSet()
	funcs := 0
	for _, root := range roots {
		err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if d.IsDir() && filepath.Base(path) == "gcsim" && filepath.Base(filepath.Dir(path)) == "proxies" {
				return filepath.SkipDir
			}
			if d.IsDir() || !strings.HasSuffix(path, ".go") {
				return nil
			}
			f, err := parser.ParseFile(fset, path, nil, 0)
			if err != nil {
				return err
			}
			for _, decl := range f.Decls {
				fn, ok := decl.(*ast.FuncDecl)
				if !ok || fn.Body == nil {
					continue
				}
				funcs++
				lines := fset.Position(fn.End()).Line - fset.Position(fn.Pos()).Line + 1
				if c := complexity(fn); c > maxComplexity {
					t.Errorf("%s: %s has a cyclomatic complexity of %d, over %d: cut it into named parts", fset.Position(fn.Pos()), fn.Name.Name, c, maxComplexity)
				}
				if lines > maxLines {
					t.Errorf("%s: %s is %d lines long, over %d: cut it into named parts", fset.Position(fn.Pos()), fn.Name.Name, lines, maxLines)
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	if funcs < 500 {
		t.Fatalf("only %d functions found: the roots %v are wrong", funcs, roots)
	}
}

// complexity counts as gocyclo does: 1, plus 1 for each if, for and range, each case and
// select clause but default, and each && and ||, function literals inside included.
func complexity(fn *ast.FuncDecl) int {
	c := 1
	ast.Inspect(fn, func(n ast.Node) bool {
		switch n := n.(type) {
		case *ast.IfStmt, *ast.ForStmt, *ast.RangeStmt:
			c++
		case *ast.CaseClause:
			if n.List != nil {
				c++
			}
		case *ast.CommClause:
			if n.Comm != nil {
				c++
			}
		case *ast.BinaryExpr:
			if n.Op == token.LAND || n.Op == token.LOR {
				c++
			}
		}
		return true
	})
	return c
}

// The counter agrees with gocyclo on a function of each construct.
func TestComplexity(t *testing.T) {
	src := `package p
func f(a, b bool, ch chan int, x int) {
	if a && b || a {
	}
	for i := 0; i < 1; i++ {
	}
	for range ch {
	}
	switch x {
	case 1, 2:
	case 3:
	default:
	}
	select {
	case <-ch:
	default:
	}
	_ = func() { if a {} }
}`
	f, err := parser.ParseFile(token.NewFileSet(), "p.go", src, 0)
	if err != nil {
		t.Fatal(err)
	}
	// 1 + if + && + || + for + range + 2 cases + 1 comm + the literal's if = 10
	if c := complexity(f.Decls[0].(*ast.FuncDecl)); c != 10 {
		t.Errorf("complexity = %d, want 10", c)
	}
}
