package gcsim

import (
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite testdata/org.json from DefaultOrg")

const orgFile = "../../testdata/org.json"

func TestDefaultOrgMatchesTestdata(t *testing.T) {
	if *update {
		b, err := json.MarshalIndent(DefaultOrg(), "", "  ")
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(orgFile, append(b, '\n'), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	got, err := LoadOrg(orgFile)
	if err != nil {
		t.Fatal(err)
	}
	if want := DefaultOrg(); !reflect.DeepEqual(got, want) {
		t.Fatalf("%s differs from DefaultOrg(); run go test -run TestDefaultOrgMatchesTestdata -update", orgFile)
	}
}

func TestLoadOrgRejects(t *testing.T) {
	tests := []struct {
		name   string
		mutate func(o map[string]any)
		want   string
	}{
		{"unknown field", func(o map[string]any) { o["rolez"] = []any{} }, "unknown field"},
		{"unknown home division", func(o map[string]any) { o["homeDivision"] = "Nowhere" }, "home division"},
		{"user in unknown group", func(o map[string]any) {
			o["users"].([]any)[0].(map[string]any)["groups"] = []any{"Nope"}
		}, "unknown group"},
		{"duplicate id", func(o map[string]any) {
			o["roles"].([]any)[1].(map[string]any)["id"] = homeDivID
		}, "already used"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			raw, err := json.Marshal(DefaultOrg())
			if err != nil {
				t.Fatal(err)
			}
			var o map[string]any
			if err := json.Unmarshal(raw, &o); err != nil {
				t.Fatal(err)
			}
			tt.mutate(o)
			raw, _ = json.Marshal(o)
			path := filepath.Join(t.TempDir(), "org.json")
			if err := os.WriteFile(path, raw, 0o600); err != nil {
				t.Fatal(err)
			}
			_, err = LoadOrg(path)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("LoadOrg error %v, want one containing %q", err, tt.want)
			}
		})
	}
}
