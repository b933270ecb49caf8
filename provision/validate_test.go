package provision

import (
	"errors"
	"strings"
	"testing"
)

func guideReader(t *testing.T) *CSVReader {
	t.Helper()
	r, err := NewCSVReader(strings.NewReader(guideHeader), "users.csv")
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func validRow() Row {
	return Row{Line: 3, Name: "wa_Bruce Wayne", Email: "bw367@wayne.enterprises.com", Password: "changeMe1234!",
		Group: "Annuities", Role: "Communicate - User", SiteName: "My PCV Site", PhoneBase: "WebRTC_Base"}
}

func TestCheckEmail(t *testing.T) {
	tests := []struct {
		name  string
		email string
		errIn string // "" when valid
	}{
		{name: "plain", email: "bw367@wayne.enterprises.com"},
		{name: "plus and dots", email: "bruce.wayne+ops@wayne.co.uk"},
		{name: "upper case", email: "BW367@Wayne.Enterprises.com"},
		{name: "unicode", email: "josé@exämple.com"},
		{name: "empty", email: "", errIn: "users.csv:3:2: EMAIL: empty"},
		{name: "no at", email: "foo", errIn: "users.csv:3:2: EMAIL: 'foo' is not a valid email address"},
		{name: "space", email: "bw367 at wayne.enterprises.com", errIn: "'bw367 at wayne.enterprises.com' is not a valid email address"},
		{name: "space inside", email: "bw 367@wayne.com", errIn: "is not a valid email address"},
		{name: "display name", email: "Bruce Wayne <bw367@wayne.com>", errIn: "is not a bare email address; write only bw367@wayne.com"},
		{name: "angle brackets", email: "<bw367@wayne.com>", errIn: "write only bw367@wayne.com"},
		{name: "comment", email: "bw367@wayne.com (Bruce)", errIn: "write only bw367@wayne.com"},
		{name: "two addresses", email: "a@x.com,b@x.com", errIn: "is not a valid email address"},
		{name: "two ats", email: "a@b@x.com", errIn: "is not a valid email address"},
		{name: "no domain dot", email: "bw@localhost", errIn: "the domain must be a name like example.com"},
		{name: "trailing dot", email: "bw@wayne.com.", errIn: "is not a valid email address"},
		{name: "domain literal", email: "bw@[10.0.0.1]", errIn: "is not a valid email address"},
		{name: "quoted local part", email: `"bruce wayne"@wayne.com`, errIn: "is not a valid email address"},
		{name: "control character", email: "bw\x00@wayne.com", errIn: `"bw\x00@wayne.com" is not a valid email address`},
		{name: "formula", email: "=HYPERLINK(\"http://x\")", errIn: "is not a valid email address"},
	}
	r := guideReader(t)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			row := validRow()
			row.Email = tt.email
			errs := r.Check(row)
			if tt.errIn == "" {
				if len(errs) > 0 {
					t.Errorf("Check(%q) = %v, want no error", tt.email, errs)
				}
				return
			}
			if len(errs) != 1 {
				t.Fatalf("Check(%q) = %v, want one error", tt.email, errs)
			}
			if errs[0].Column != 2 || errs[0].Field != "EMAIL" || errs[0].Line != 3 {
				t.Errorf("error at %d:%d %q, want 3:2 EMAIL", errs[0].Line, errs[0].Column, errs[0].Field)
			}
			if !strings.Contains(errs[0].Error(), tt.errIn) {
				t.Errorf("error %q does not contain %q", errs[0], tt.errIn)
			}
		})
	}
}

func TestCheck(t *testing.T) {
	tests := []struct {
		name   string
		header string
		edit   func(*Row)
		want   []string // Error() of each error, in order
	}{
		{name: "valid", header: guideHeader, edit: func(*Row) {}},
		{name: "no phone", header: guideHeader, edit: func(r *Row) { r.SiteName, r.PhoneBase = "", "" }},
		{name: "name and email only", header: "EMAIL,NAME\n", edit: func(r *Row) { *r = Row{Line: 3, Name: "n", Email: "n@x.com"} }},
		{name: "empty name", header: guideHeader, edit: func(r *Row) { r.Name = "" },
			want: []string{"users.csv:3:1: NAME: empty; every user needs a name"}},
		{name: "empty name and email", header: guideHeader, edit: func(r *Row) { r.Name, r.Email = "", "" },
			want: []string{"users.csv:3:1: NAME: empty; every user needs a name", "users.csv:3:2: EMAIL: empty; every user needs an email address"}},
		{name: "site without phone base", header: guideHeader, edit: func(r *Row) { r.PhoneBase = "" },
			want: []string{"users.csv:3:7: PHONEBASE: empty while SITENAME is 'My PCV Site'; a phone needs both a site and a phone base"}},
		{name: "phone base without site", header: guideHeader, edit: func(r *Row) { r.SiteName = "" },
			want: []string{"users.csv:3:6: SITENAME: empty while PHONEBASE is 'WebRTC_Base'; a phone needs both a site and a phone base"}},
		{name: "phone base without site column", header: "name,email,phone_base\n", edit: func(r *Row) { r.SiteName = "" },
			want: []string{"users.csv:3: SITENAME: empty while PHONEBASE is 'WebRTC_Base'; a phone needs both a site and a phone base"}},
		{name: "control characters", header: guideHeader, edit: func(r *Row) { r.Name, r.Group, r.Role = "a\tb", "x\ny", "r\x7f" },
			want: []string{
				"users.csv:3:1: NAME: contains a control character (a line break or a tab); remove it",
				"users.csv:3:4: GROUP: contains a control character (a line break or a tab); remove it",
				"users.csv:3:5: ROLE: contains a control character (a line break or a tab); remove it",
			}},
		{name: "password never shown", header: guideHeader, edit: func(r *Row) { r.Password = "s3cret\x01pw" },
			want: []string{"users.csv:3:3: PASSWORD: contains a control character (a line break or a tab); remove it"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := NewCSVReader(strings.NewReader(tt.header), "users.csv")
			if err != nil {
				t.Fatal(err)
			}
			row := validRow()
			tt.edit(&row)
			errs := r.Check(row)
			if len(errs) != len(tt.want) {
				t.Fatalf("Check = %v, want %d errors %q", errs, len(tt.want), tt.want)
			}
			for i, w := range tt.want {
				if got := errs[i].Error(); got != w {
					t.Errorf("error %d = %q, want %q", i, got, w)
				}
			}
			if errs.Err() == nil != (len(tt.want) == 0) {
				t.Errorf("Err() = %v with %d errors", errs.Err(), len(errs))
			}
		})
	}
}

func TestRowErrors(t *testing.T) {
	a := &InputError{File: "f.csv", Line: 3, Column: 1, Field: "NAME", Msg: "empty"}
	b := &InputError{File: "f.csv", Line: 3, Msg: "the record has 3 cells"}
	tests := []struct {
		name   string
		errs   RowErrors
		err    string
		detail string
	}{
		{name: "one", errs: RowErrors{a}, err: "f.csv:3:1: NAME: empty", detail: "column 1 (NAME): empty"},
		{name: "two", errs: RowErrors{a, b}, err: "f.csv:3:1: NAME: empty; f.csv:3: the record has 3 cells",
			detail: "column 1 (NAME): empty; the record has 3 cells"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.errs.Error(); got != tt.err {
				t.Errorf("Error() = %q, want %q", got, tt.err)
			}
			if got := ErrorDetail(tt.errs.Err()); got != tt.detail {
				t.Errorf("ErrorDetail = %q, want %q", got, tt.detail)
			}
			var ie *InputError
			if !errors.As(tt.errs.Err(), &ie) || ie != a {
				t.Errorf("errors.As did not find the first InputError")
			}
		})
	}
	var none RowErrors
	if none.Err() != nil {
		t.Error("empty RowErrors.Err() != nil")
	}
	if got := ErrorDetail(errors.New("boom")); got != "boom" {
		t.Errorf("ErrorDetail(plain) = %q", got)
	}
	if got := (&InputError{Line: 2, Msg: "m"}).Error(); got != "<input>:2: m" {
		t.Errorf("Error() without file = %q", got)
	}
}

func TestSeen(t *testing.T) {
	type add struct {
		email     string
		line      int
		wantFirst int
		wantDup   bool
	}
	tests := []struct {
		name string
		adds []add
	}{
		{name: "distinct", adds: []add{{"a@x.com", 2, 2, false}, {"b@x.com", 3, 3, false}}},
		{name: "exact duplicate", adds: []add{{"a@x.com", 2, 2, false}, {"a@x.com", 5, 2, true}}},
		{name: "case differs", adds: []add{{"Bruce@Wayne.com", 2, 2, false}, {"bruce@wayne.COM", 9, 2, true}}},
		{name: "third copy points at the first", adds: []add{
			{"a@x.com", 2, 2, false}, {"A@x.com", 4, 2, true}, {"a@X.com", 7, 2, true}}},
		{name: "empty never duplicate", adds: []add{{"", 2, 0, false}, {"", 3, 0, false}}},
		{name: "huge line", adds: []add{{"a@x.com", 1 << 40, 1 << 40, false}, {"a@x.com", 1<<40 + 1, 1<<31 - 1, true}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := NewSeen()
			for _, a := range tt.adds {
				first, dup := s.Add(a.email, a.line)
				if first != a.wantFirst || dup != a.wantDup {
					t.Errorf("Add(%q, %d) = %d, %v; want %d, %v", a.email, a.line, first, dup, a.wantFirst, a.wantDup)
				}
			}
		})
	}
}

func TestDuplicateError(t *testing.T) {
	r := guideReader(t)
	err := r.DuplicateError(Row{Line: 7, Email: "AP367@wayne.enterprises.com"}, 6)
	const want = "users.csv:7:2: EMAIL: email 'AP367@wayne.enterprises.com' already appears on line 6"
	if err.Error() != want {
		t.Errorf("got %q, want %q", err, want)
	}
}
