package provision_test

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/user-provisioning/user-provisioning/provision"
)

// sdkModule is the SDK whose swagger.json the table follows: the one go.mod requires.
const sdkModule = "github.com/mypurecloud/platform-client-sdk-go/v162"

// swaggerPath finds the SDK's swagger.json in the module cache, as proxies/gcsim/spec does;
// provision's tests do not import the simulator.
func swaggerPath(t *testing.T) string {
	t.Helper()
	var stderr bytes.Buffer
	cmd := exec.Command("go", "list", "-m", "-f", "{{.Dir}}", sdkModule) // go test puts its go first in PATH
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list -m %s: %v: %s", sdkModule, err, stderr.String())
	}
	dir := strings.TrimSpace(string(out))
	if dir == "" {
		t.Fatalf("go list -m %s: the module is not downloaded (go mod download)", sdkModule)
	}
	return filepath.Join(dir, "swagger.json")
}

// swaggerRequirement is an operation's x-inin-requires-permissions in swagger.json.
type swaggerRequirement struct {
	Type        string   `json:"type"`
	Permissions []string `json:"permissions"`
}

// TestOperationsMatchSwagger checks every entry of the permission table against the SDK's
// swagger.json: the operation exists, and requires exactly what the table says.
func TestOperationsMatchSwagger(t *testing.T) {
	t.Parallel()
	b, err := os.ReadFile(swaggerPath(t))
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Paths map[string]map[string]json.RawMessage `json:"paths"`
	}
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatal(err)
	}
	ops := provision.Operations()
	if len(ops) < 40 {
		t.Fatalf("%d operations in the table: too few to be the tool's", len(ops))
	}
	for op, want := range ops {
		method, p, _ := strings.Cut(op, " ")
		raw, ok := doc.Paths[p][strings.ToLower(method)]
		if !ok {
			t.Errorf("%s: swagger.json has no such operation", op)
			continue
		}
		var o struct {
			Req *swaggerRequirement `json:"x-inin-requires-permissions"`
		}
		if err := json.Unmarshal(raw, &o); err != nil {
			t.Fatalf("%s: %v", op, err)
		}
		var got provision.Requirement
		if o.Req != nil {
			if o.Req.Type != "ANY" && o.Req.Type != "ALL" {
				t.Errorf("%s: swagger's type %q is neither ANY nor ALL", op, o.Req.Type)
			}
			got = provision.Requirement{All: o.Req.Type == "ALL", Permissions: o.Req.Permissions}
		}
		if got.All != want.All || !slices.Equal(got.Permissions, want.Permissions) {
			t.Errorf("%s: table says %+v, swagger.json %+v", op, want, got)
		}
	}
}
