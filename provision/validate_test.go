package provision

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"
)

func guideReader(t *testing.T) *CSVReader {
	t.Helper()
	r, err := newCSVReader(strings.NewReader(guideHeader), "users.csv")
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func validRow() Row {
	return Row{Line: 3, Name: "wa_Bruce Wayne", Email: "bw367@wayne.enterprises.com", Password: "changeMe1234!",
		Groups: "Annuities", Roles: "Communicate - User", SiteName: "My PCV Site", PhoneBase: "WebRTC_Base"}
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
		{name: "control character", email: "bw\x00@wayne.com", errIn: "users.csv:3:2: EMAIL: contains a control character"},
		{name: "formula", email: "=HYPERLINK(\"http://x\")", errIn: "is not a valid email address"},
	}
	r := guideReader(t)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			row := validRow()
			row.Email = tt.email
			_, errs := r.Check(row)
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
		{name: "control characters", header: guideHeader, edit: func(r *Row) { r.Name, r.Groups, r.Roles = "a\tb", "x\ny", "r\x7f" },
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
			r, err := newCSVReader(strings.NewReader(tt.header), "users.csv")
			if err != nil {
				t.Fatal(err)
			}
			row := validRow()
			tt.edit(&row)
			_, errs := r.Check(row)
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
	a := &inputError{File: "f.csv", Line: 3, Column: 1, Field: "NAME", Msg: "empty"}
	b := &inputError{File: "f.csv", Line: 3, Msg: "the record has 3 cells"}
	tests := []struct {
		name   string
		errs   rowErrors
		err    string
		detail string
	}{
		{name: "one", errs: rowErrors{a}, err: "f.csv:3:1: NAME: empty", detail: "column 1 (NAME): empty"},
		{name: "two", errs: rowErrors{a, b}, err: "f.csv:3:1: NAME: empty; f.csv:3: the record has 3 cells",
			detail: "column 1 (NAME): empty; the record has 3 cells"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.errs.Error(); got != tt.err {
				t.Errorf("Error() = %q, want %q", got, tt.err)
			}
			if got := errorDetail(tt.errs.Err()); got != tt.detail {
				t.Errorf("errorDetail = %q, want %q", got, tt.detail)
			}
			var ie *inputError
			if !errors.As(tt.errs.Err(), &ie) || ie != a {
				t.Errorf("errors.As did not find the first inputError")
			}
		})
	}
	var none rowErrors
	if none.Err() != nil {
		t.Error("empty rowErrors.Err() != nil")
	}
	if got := errorDetail(errors.New("boom")); got != "boom" {
		t.Errorf("errorDetail(plain) = %q", got)
	}
	if got := (&inputError{Line: 2, Msg: "m"}).Error(); got != "<input>:2: m" {
		t.Errorf("Error() without file = %q", got)
	}
}

func TestSeenExact(t *testing.T) {
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
			s := newExactSeen()
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

// fullHeader is every column, in the order of testdata/full.csv.
const fullHeader = "name,email,password,phone_work,extension,phone_mobile,title,department,email_manager,location_work,division,roles,groups,queues,skills,languages,hire_date,employee_id,employee_type,state,sitename,phonebase\n"

func fullRow() Row {
	return Row{Line: 4, Name: "James Chen", Email: "James.Chen@example.com", Password: "Welcome2024!",
		PhoneWork: "(317) 555-0102", Extension: "1102", PhoneMobile: "+1 317 555 0202",
		Title: "Sales Agent", Department: "Sales", EmailManager: "Maria.Garcia@Example.com",
		LocationWork: "Indianapolis HQ", Division: "Sales",
		Roles: "Agent:Sales, Communicate - User;Supervisor:*,Agent : Sales", Groups: "Annuities;IRA,Annuities",
		Queues: "Billing,Sales Inbound", Skills: "Billing:4,Spanish Support:2.5,Billing:4.0", Languages: "English:5;Spanish",
		HireDate: "2023-06-12", EmployeeID: "E1002", EmployeeType: "Full-time", State: "Inactive",
		SiteName: "My PCV Site", PhoneBase: "WebRTC_Base"}
}

func TestCheckSpec(t *testing.T) {
	r, err := newCSVReader(strings.NewReader(fullHeader), "full.csv")
	if err != nil {
		t.Fatal(err)
	}
	spec, errs := r.Check(fullRow())
	if len(errs) > 0 {
		t.Fatalf("Check: %v", errs)
	}
	want := Spec{Name: "James Chen", Email: "James.Chen@example.com", Password: "Welcome2024!",
		Title: "Sales Agent", Department: "Sales",
		PhoneWork: "3175550102", Extension: "1102", PhoneMobile: "+13175550202",
		Manager: "maria.garcia@example.com", Location: "Indianapolis HQ", Division: "Sales",
		Roles:     []RoleSpec{{"Agent", "Sales"}, {"Communicate - User", ""}, {"Supervisor", "*"}},
		Groups:    []string{"Annuities", "IRA"},
		Queues:    []string{"Billing", "Sales Inbound"},
		Skills:    []Proficiency{{"Billing", 4}, {"Spanish Support", 2.5}},
		Languages: []Proficiency{{"English", 5}, {"Spanish", 0}},
		HireDate:  "2023-06-12", EmployeeID: "E1002", EmployeeType: "Full-time", State: "inactive",
		Site: "My PCV Site", PhoneBase: "WebRTC_Base"}
	if !reflect.DeepEqual(spec, want) {
		t.Errorf("Spec =\n%+v\nwant\n%+v", spec, want)
	}

	// Blank cells leave the fields zero.
	spec, errs = r.Check(Row{Line: 2, Name: "n", Email: "n@example.com"})
	if len(errs) > 0 || !reflect.DeepEqual(spec, Spec{Name: "n", Email: "n@example.com"}) {
		t.Errorf("Check(blank row) = %+v, %v", spec, errs)
	}
}

// TestCheckReportsEverything checks that one row's problems are all reported at once, each
// with its column, in column order.
func TestCheckReportsEverything(t *testing.T) {
	r, err := newCSVReader(strings.NewReader(fullHeader), "full.csv")
	if err != nil {
		t.Fatal(err)
	}
	row := fullRow()
	row.PhoneWork = "call me"
	row.Extension = "12a"
	row.PhoneMobile = "+1 317 555 0202 x7"
	row.EmailManager = "james.chen@EXAMPLE.com"
	row.Division = "*"
	row.Roles = "Agent:,Employee,:Sales"
	row.Skills = "Billing:7,Billing:high,Escalations:2"
	row.Languages = "Spanish:3,5"
	row.HireDate = "2024-13-01"
	row.State = "retired"
	row.PhoneBase = ""
	want := []struct {
		col   int
		field string
		msg   string
	}{
		{4, "phone_work", "'call me' is a phone in an impossible format"},
		{5, "extension", "'12a' is not an extension"},
		{6, "phone_mobile", "'+1 317 555 0202 x7' includes an extension"},
		{9, "email_manager", "'james.chen@EXAMPLE.com' is the user's own email; a user cannot be their own manager"},
		{11, "division", "'*' is not a division"},
		{12, "roles", "role 'Agent:' has no division after ':'"},
		{12, "roles", "role ':Sales' has no role name before ':'"},
		{15, "skills", "skill 'Billing:7': proficiency 7 is above 5"},
		{15, "skills", "skill 'Billing:high': proficiency 'high' is not a number from 0 to 5"},
		{16, "languages", "language '5' looks like the decimals of 'Spanish:3,5'; write decimals with a point, e.g. 'Spanish:3.5'"},
		{17, "hire_date", "'2024-13-01' is not a real date: there is no month 13"},
		{20, "state", "'retired' is not a state; write active or inactive"},
		{22, "phonebase", "empty while SITENAME is 'My PCV Site'"},
	}
	spec, errs := r.Check(row)
	if len(errs) != len(want) {
		t.Fatalf("Check = %d errors:\n%s\nwant %d", len(errs), strings.ReplaceAll(errs.Detail(), "; column", ";\ncolumn"), len(want))
	}
	for i, w := range want {
		e := errs[i]
		if e.Line != 4 || e.Column != w.col || e.Field != w.field || !strings.HasPrefix(e.Msg, w.msg) {
			t.Errorf("error %d = %v; want 4:%d %s: %s…", i, e, w.col, w.field, w.msg)
		}
	}
	// What could be parsed is.
	if !slices.Equal(spec.Roles, []RoleSpec{{Role: "Employee"}}) || !slices.Equal(spec.Skills, []Proficiency{{"Escalations", 2}}) {
		t.Errorf("partial Spec roles %v skills %v", spec.Roles, spec.Skills)
	}
}

func TestCheckCells(t *testing.T) {
	tests := []struct {
		name string
		edit func(*Row)
		want []string // Detail of each error
	}{
		{name: "manager bare address", edit: func(r *Row) { r.EmailManager = "Maria <maria@example.com>" },
			want: []string{"column 9 (email_manager): 'Maria <maria@example.com>' is not a bare email address; write only maria@example.com"}},
		{name: "manager not an address", edit: func(r *Row) { r.EmailManager = "maria.garcia at example.com" },
			want: []string{"column 9 (email_manager): 'maria.garcia at example.com' is not a valid email address"}},
		{name: "skill repeated with another level", edit: func(r *Row) { r.Skills = "Billing:4, Billing:2" },
			want: []string{"column 15 (skills): skill 'Billing' appears twice, with proficiencies 4 and 2; keep one"}},
		{name: "skill without level repeated", edit: func(r *Row) { r.Skills = "Billing,Billing:0" }},
		{name: "role repeated", edit: func(r *Row) { r.Roles = "Agent:Sales,Agent:Sales" }},
		{name: "control character in a list", edit: func(r *Row) { r.Queues = "Billing\nRetention" },
			want: []string{"column 14 (queues): contains a control character (a line break or a tab); remove it"}},
		{name: "control character in a password", edit: func(r *Row) { r.Password = "Welcome\t2024" },
			want: []string{"column 3 (password): contains a control character (a line break or a tab); remove it"}},
		{name: "control character in a phone", edit: func(r *Row) { r.PhoneWork = "+1317555\t0100" },
			want: []string{"column 4 (phone_work): contains a control character (a line break or a tab); remove it"}},
		{name: "empty name and bad date", edit: func(r *Row) { r.Name, r.HireDate = "", "15/03/2024" },
			want: []string{"column 1 (name): empty; every user needs a name",
				"column 17 (hire_date): '15/03/2024' is not a date written YYYY-MM-DD"}},
	}
	r, err := newCSVReader(strings.NewReader(fullHeader), "full.csv")
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			row := fullRow()
			tt.edit(&row)
			_, errs := r.Check(row)
			if len(errs) != len(tt.want) {
				t.Fatalf("Check = %v, want %d errors %q", errs, len(tt.want), tt.want)
			}
			for i, w := range tt.want {
				if got := errs[i].Detail(); !strings.HasPrefix(got, w) {
					t.Errorf("error %d = %q, want prefix %q", i, got, w)
				}
				if strings.Contains(errs[i].Error(), "Welcome") {
					t.Errorf("error %d shows the password: %q", i, errs[i])
				}
			}
		})
	}
}

func TestListSeparator(t *testing.T) {
	row := Row{Line: 2, Name: "n", Email: "n@example.com",
		Groups: "R&D; Europe,Sales, Americas", Roles: "Agent:Sales;Employee", Skills: "Billing:4;Spanish:2,5"}
	tests := []struct {
		sep    string
		groups []string
		roles  []RoleSpec
		skills []Proficiency
		errIn  string
	}{
		{sep: "", groups: []string{"R&D", "Europe", "Sales", "Americas"},
			roles:  []RoleSpec{{"Agent", "Sales"}, {"Employee", ""}},
			skills: []Proficiency{{"Billing", 4}, {"Spanish", 2}}, errIn: "skill '5' looks like the decimals of 'Spanish:2,5'"},
		{sep: ",", groups: []string{"R&D; Europe", "Sales", "Americas"},
			roles:  []RoleSpec{{"Agent", "Sales;Employee"}},
			skills: []Proficiency{{"Billing:4;Spanish", 2}}, errIn: "skill '5' looks like the decimals"},
		{sep: ";", groups: []string{"R&D", "Europe,Sales, Americas"},
			roles:  []RoleSpec{{"Agent", "Sales"}, {"Employee", ""}},
			skills: []Proficiency{{"Billing", 4}}, errIn: "skill 'Spanish:2,5': proficiency '2,5' is not a number"},
	}
	for _, tt := range tests {
		t.Run("sep "+strconv.Quote(tt.sep), func(t *testing.T) {
			r, err := newCSVReader(strings.NewReader(fullHeader), "f.csv")
			if err != nil {
				t.Fatal(err)
			}
			if err := r.SetListSeparator(tt.sep); err != nil {
				t.Fatal(err)
			}
			spec, errs := r.Check(row)
			if !slices.Equal(spec.Groups, tt.groups) || !slices.Equal(spec.Roles, tt.roles) || !slices.Equal(spec.Skills, tt.skills) {
				t.Errorf("groups %q roles %q skills %v; want %q %q %v", spec.Groups, spec.Roles, spec.Skills, tt.groups, tt.roles, tt.skills)
			}
			if len(errs) != 1 || !strings.Contains(errs[0].Msg, tt.errIn) {
				t.Errorf("errors %v, want one containing %q", errs, tt.errIn)
			}
		})
	}
	t.Run("invalid", func(t *testing.T) {
		r := guideReader(t)
		for _, sep := range []string{"|", ",;", " ", "tab"} {
			if err := r.SetListSeparator(sep); err == nil || !strings.Contains(err.Error(), `want "," or ";"`) {
				t.Errorf("SetListSeparator(%q) = %v, want an error", sep, err)
			}
		}
	})
}

// The hashed emailSet finds duplicates case-insensitively without keeping the addresses, leaves
// the first line to FirstLines, and grows past its first table.
func TestSeenHashed(t *testing.T) {
	s := newSeen()
	const n = 5000 // several doublings of the first 1,024 slots
	for i := range n {
		if _, dup := s.Add(fmt.Sprintf("user.%d@example.com", i), i+2); dup {
			t.Fatalf("row %d reported as a duplicate", i)
		}
	}
	if s.n != n {
		t.Errorf("Len %d, want %d", s.n, n)
	}
	first, dup := s.Add("USER.17@Example.com", n+2)
	if !dup || first != 0 {
		t.Errorf("Add of a seen address in other case = %d, %v; want 0, true (first line unknown)", first, dup)
	}
	if _, dup := s.Add("user.5000@example.com", n+3); dup {
		t.Errorf("a new address after the table grew reported as a duplicate")
	}
	if _, dup := s.Add("user.4999@EXAMPLE.COM", n+4); !dup {
		t.Errorf("the last address before the table grew not found")
	}
	if _, dup := s.Add("", 3); dup {
		t.Errorf("an empty email counted as a duplicate")
	}
	if len(s.slots) > 4*n/3*2 {
		t.Errorf("%d slots for %d addresses: more than twice the three-quarter load", len(s.slots), n)
	}
	s.Release()
	s.Release() // twice is harmless
}

// Two different addresses with the same hash are a duplicate only for the hashed table:
// firstLines shows the second is its own first row.
func TestSeenCollisionIsCaught(t *testing.T) {
	s := newHashedSeen(func(string) uint64 { return 42 })
	defer s.Release()
	s.Add("a@example.com", 2)
	if _, dup := s.Add("b@example.com", 3); !dup {
		t.Fatal("the forced collision was not reported")
	}
	path := filepath.Join(t.TempDir(), "f.csv")
	if err := os.WriteFile(path, []byte("name,email\nA,a@example.com\nB,b@example.com\nC,A@EXAMPLE.COM\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	want := map[string]int{"b@example.com": 0, "a@example.com": 0}
	p := &pipeline{o: Options{File: path}}
	if err := p.firstLines(want); err != nil {
		t.Fatal(err)
	}
	if want["b@example.com"] != 3 || want["a@example.com"] != 2 {
		t.Errorf("firstLines = %v, want b on 3 (its own line: a collision) and a on 2", want)
	}
}

func TestPlainEmail(t *testing.T) {
	for s, want := range map[string]bool{
		"a@b.co": true, "first.last+tag@mail.example.com": true, "A_B%C-D@Example-1.COM": true,
		"": false, "@x.com": false, "a@": false, "a@x": false, "a..b@x.com": false, ".a@x.com": false,
		"a.@x.com": false, "a@.x.com": false, "a@x.com.": false, "a@x..com": false, "a b@x.com": false,
		"a@b@x.com": false, "é@x.com": false, "a@[1.2.3.4]": false, "Bo <b@x.com>": false,
	} {
		if got := plainEmail(s); got != want {
			t.Errorf("plainEmail(%q) = %v, want %v", s, got, want)
		}
		if want && checkEmail(s) != "" {
			t.Errorf("checkEmail(%q) = %q for a plain address", s, checkEmail(s))
		}
	}
}
