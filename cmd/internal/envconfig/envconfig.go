// Package envconfig holds the start-up the commands share: the process environment over a
// .env file, the Genesys Cloud connection it names, and the logger.
package envconfig

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"golang.org/x/term"

	"github.com/user-provisioning/user-provisioning/proxies"
)

// Env is the process environment over a .env file: a variable set in the environment wins.
type Env map[string]string

// Load reads the .env file at path in the format described in dotenv.go (and .env.example).
// When optional is true a missing file is an empty Env. A line that does not follow the
// format is a *ParseError, which names the file, the line and the key but never the value.
func Load(path string, optional bool) (Env, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		if optional && errors.Is(err, fs.ErrNotExist) {
			return Env{}, nil
		}
		return nil, fmt.Errorf("read env file %s: %w", path, err)
	}
	return parseEnv(path, data)
}

// Get returns the first of names that is set, in the environment or else in the file; a
// variable set to "" counts as not set.
func (e Env) Get(names ...string) string {
	for _, n := range names {
		if v, ok := os.LookupEnv(n); ok && v != "" {
			return v
		}
		if v := e[n]; v != "" {
			return v
		}
	}
	return ""
}

// ClientConfig is the connection e names: the API base URL from GENESYS_API_URL or
// GENESYS_ORG_REGION, the OAuth client from GENESYS_CLIENT_ID and GENESYS_CLIENT_SECRET,
// with the CX-as-Code names as fallbacks, and the grant from GENESYS_GRANT and the
// variables it reads (grant.go). The caller sets the rate and the logger.
func ClientConfig(e Env) (proxies.Config, error) {
	base, err := proxies.BaseURL(e.Get("GENESYS_ORG_REGION", "GENESYSCLOUD_REGION"), e.Get("GENESYS_API_URL"))
	if err != nil {
		return proxies.Config{}, err
	}
	cc := proxies.Config{
		BaseURL:      base,
		ClientID:     e.Get("GENESYS_CLIENT_ID", "GENESYSCLOUD_OAUTHCLIENT_ID"),
		ClientSecret: e.Get("GENESYS_CLIENT_SECRET", "GENESYSCLOUD_OAUTHCLIENT_SECRET"),
	}
	if err := grantConfig(e, &cc); err != nil {
		return proxies.Config{}, err
	}
	return cc, nil
}

// NewLogger builds a logger over w at level (debug, info, warn or error), in format json or
// console; "" picks console when tty (stderr is a terminal) and json otherwise. The secrets
// that secrets returns at each entry (it may be nil) are scrubbed from it, and its message and
// text fields are capped: see ScrubCore.
func NewLogger(format, level string, tty bool, w io.Writer, secrets func() []string) (*zap.Logger, error) {
	var lvl zapcore.Level
	if err := lvl.UnmarshalText([]byte(level)); err != nil {
		return nil, fmt.Errorf("--log-level %q: use debug, info, warn or error", level)
	}
	if format == "" {
		format = "json"
		if tty {
			format = "console"
		}
	}
	encCfg := zap.NewProductionEncoderConfig()
	encCfg.EncodeTime = zapcore.ISO8601TimeEncoder
	var enc zapcore.Encoder
	if format == "console" {
		encCfg.EncodeLevel = zapcore.CapitalLevelEncoder
		if tty {
			encCfg.EncodeLevel = zapcore.CapitalColorLevelEncoder // no escape codes in a file
		}
		enc = zapcore.NewConsoleEncoder(encCfg)
	} else {
		enc = zapcore.NewJSONEncoder(encCfg)
	}
	return zap.New(ScrubCore(zapcore.NewCore(enc, zapcore.AddSync(w), lvl), secrets)), nil
}

// IsTerminal tells whether w is a terminal: it picks the default log format.
func IsTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}
