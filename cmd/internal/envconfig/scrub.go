package envconfig

import (
	"encoding/json"
	"fmt"
	"slices"
	"sync/atomic"

	"go.uber.org/zap/zapcore"

	"github.com/user-provisioning/user-provisioning/provision"
	"github.com/user-provisioning/user-provisioning/proxies"
)

// maxLogChars caps a log entry's message and each of its text fields, in characters: the
// server's text can be long, and one row's error should not flood the log.
const maxLogChars = 2000

// logCut ends a message or field that was cut.
const logCut = "[…cut]"

// scrubCore is a zapcore.Core that writes through another with the secrets of the moment
// replaced by "[redacted]" in the message and in every text field, each then capped at
// maxLogChars. Fields given to With are kept as they are and scrubbed at each Write, so a
// token issued later is scrubbed from them too. Numbers, booleans, times and durations pass
// unchanged; every other field (errors, stringers, objects, arrays) is written as text.
type scrubCore struct {
	zapcore.LevelEnabler
	next    zapcore.Core
	secrets *provision.Redactor
	fields  []zapcore.Field // from With
}

// ScrubCore wraps next so that the secrets current returns never reach the log; current
// may be nil (then entries are only capped) and must be safe for concurrent use.
func ScrubCore(next zapcore.Core, current func() []string) zapcore.Core {
	return &scrubCore{LevelEnabler: next, next: next, secrets: provision.NewRedactor(current)}
}

func (c *scrubCore) With(fields []zapcore.Field) zapcore.Core {
	cp := *c
	cp.fields = slices.Concat(c.fields, fields)
	return &cp
}

func (c *scrubCore) Check(ent zapcore.Entry, ce *zapcore.CheckedEntry) *zapcore.CheckedEntry {
	if c.Enabled(ent.Level) {
		return ce.AddCore(ent, c)
	}
	return ce
}

func (c *scrubCore) Write(ent zapcore.Entry, fields []zapcore.Field) error {
	ent.Message = c.clean(ent.Message)
	out := make([]zapcore.Field, 0, len(c.fields)+len(fields))
	for _, f := range slices.Concat(c.fields, fields) {
		out = c.appendField(out, f)
	}
	return c.next.Write(ent, out)
}

func (c *scrubCore) Sync() error { return c.next.Sync() }

// appendField appends f, or what it stands for, scrubbed and capped.
func (c *scrubCore) appendField(out []zapcore.Field, f zapcore.Field) []zapcore.Field {
	switch f.Type {
	case zapcore.StringType:
		f.String = c.clean(f.String)
		return append(out, f)
	case zapcore.ErrorType, zapcore.StringerType, zapcore.ReflectType, zapcore.ByteStringType,
		zapcore.ObjectMarshalerType, zapcore.ArrayMarshalerType, zapcore.InlineMarshalerType:
		// Encoded the way the encoder would (an error also gives "errorVerbose", an inline
		// object several keys), then each key written as text.
		enc := zapcore.NewMapObjectEncoder()
		f.AddTo(enc)
		keys := make([]string, 0, len(enc.Fields))
		for k := range enc.Fields {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		for _, k := range keys {
			out = append(out, zapcore.Field{Key: k, Type: zapcore.StringType, String: c.clean(text(enc.Fields[k]))})
		}
		return out
	default:
		return append(out, f)
	}
}

// text is an encoded field value as text: a string as it is, anything else as JSON.
func text(v any) string {
	if s, ok := v.(string); ok {
		return s
	}
	if b, err := json.Marshal(v); err == nil {
		return string(b)
	}
	return fmt.Sprint(v)
}

// clean scrubs the secrets from s, then cuts it to maxLogChars characters.
func (c *scrubCore) clean(s string) string {
	return provision.Cut(c.secrets.Redact(s), maxLogChars, logCut)
}

// ClientSecrets hands a client's secrets (proxies.Client.Secrets) to a logger or a report made
// before the client: Secrets returns those Add gave until Set, then the client's too. Its
// zero value is ready to use; it is safe for concurrent use.
type ClientSecrets struct {
	client atomic.Pointer[proxies.Client]
	known  atomic.Pointer[[]string]
}

// Add makes Secrets return the non-empty ones of secrets too: the configuration's, known
// before the client is made.
func (s *ClientSecrets) Add(secrets ...string) {
	var keep []string
	if old := s.known.Load(); old != nil {
		keep = slices.Clone(*old)
	}
	for _, v := range secrets {
		if v != "" {
			keep = append(keep, v)
		}
	}
	s.known.Store(&keep)
}

// Set makes c the client whose secrets Secrets returns.
func (s *ClientSecrets) Set(c *proxies.Client) { s.client.Store(c) }

// Secrets returns the secrets added, and the client's: the client secret, the password and
// the assertion, and its latest tokens.
func (s *ClientSecrets) Secrets() []string {
	var out []string
	if known := s.known.Load(); known != nil {
		out = append(out, *known...)
	}
	if c := s.client.Load(); c != nil {
		out = append(out, c.Secrets()...)
	}
	return out
}
