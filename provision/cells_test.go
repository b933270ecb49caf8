package provision

import (
	"slices"
	"strconv"
	"strings"
	"testing"
)

// The tables are package variables: the fuzz targets start from them too.

var splitListCases = []struct {
	name string
	cell string
	sep  string
	want []string
}{
	{name: "blank", cell: "", want: nil},
	{name: "spaces only", cell: "   ", want: nil},
	{name: "one", cell: "Billing", want: []string{"Billing"}},
	{name: "commas", cell: "Billing,Sales Inbound", want: []string{"Billing", "Sales Inbound"}},
	{name: "semicolons", cell: "Billing;Sales Inbound", want: []string{"Billing", "Sales Inbound"}},
	{name: "mixed", cell: "Billing, Sales Inbound; Retention", want: []string{"Billing", "Sales Inbound", "Retention"}},
	{name: "trimmed", cell: "  Billing  ,\tRetention ", want: []string{"Billing", "Retention"}},
	{name: "empty items dropped", cell: ",Billing,,;, ;Retention,", want: []string{"Billing", "Retention"}},
	{name: "repeats kept once", cell: "Billing,Retention, Billing ;Billing", want: []string{"Billing", "Retention"}},
	{name: "case differs is not a repeat", cell: "billing,Billing", want: []string{"billing", "Billing"}},
	{name: "inner spaces kept", cell: "Support  Tier 1", want: []string{"Support  Tier 1"}},
	{name: "comma only keeps semicolons", cell: "R&D; Europe,Billing", sep: ",", want: []string{"R&D; Europe", "Billing"}},
	{name: "semicolon only keeps commas", cell: "Sales, Europe;Billing", sep: ";", want: []string{"Sales, Europe", "Billing"}},
	{name: "semicolon only, one item", cell: "Billing,Sales Inbound", sep: ";", want: []string{"Billing,Sales Inbound"}},
	{name: "role divisions", cell: "Agent:Sales,Supervisor:*", want: []string{"Agent:Sales", "Supervisor:*"}},
}

func TestSplitList(t *testing.T) {
	for _, tt := range splitListCases {
		t.Run(tt.name, func(t *testing.T) {
			if got := splitList(tt.cell, tt.sep); !slices.Equal(got, tt.want) {
				t.Errorf("splitList(%q, %q) = %q, want %q", tt.cell, tt.sep, got, tt.want)
			}
		})
	}
}

var roleSpecCases = []struct {
	name  string
	item  string
	want  RoleSpec
	errIn string // "" when valid
}{
	{name: "plain", item: "Agent", want: RoleSpec{Role: "Agent"}},
	{name: "spaces in name", item: "Communicate - User", want: RoleSpec{Role: "Communicate - User"}},
	{name: "division", item: "Agent:Sales", want: RoleSpec{Role: "Agent", Division: "Sales"}},
	{name: "all divisions", item: "Supervisor:*", want: RoleSpec{Role: "Supervisor", Division: "*"}},
	{name: "spaces around colon", item: " Agent : Sales ", want: RoleSpec{Role: "Agent", Division: "Sales"}},
	{name: "division with spaces", item: "Telephony Admin:Home Office", want: RoleSpec{Role: "Telephony Admin", Division: "Home Office"}},
	{name: "colon in role name", item: "Admin: Billing:Home", want: RoleSpec{Role: "Admin: Billing", Division: "Home"}},
	{name: "empty", item: "", errIn: "empty role"},
	{name: "no division", item: "Agent:", errIn: "role 'Agent:' has no division after ':'; write 'Agent:Sales', 'Agent:*' for all divisions, or 'Agent' alone for the user's own division"},
	{name: "no division, space", item: "Agent: ", errIn: "has no division after ':'"},
	{name: "no role", item: ":Sales", errIn: "role ':Sales' has no role name before ':'"},
	{name: "colon alone", item: ":", errIn: "has no role name"},
}

func TestParseRoleSpec(t *testing.T) {
	for _, tt := range roleSpecCases {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseRoleSpec(tt.item)
			if tt.errIn != "" {
				if err == nil || !strings.Contains(err.Error(), tt.errIn) {
					t.Errorf("ParseRoleSpec(%q) = %+v, %v; want an error containing %q", tt.item, got, err, tt.errIn)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("ParseRoleSpec(%q) = %+v, %v; want %+v", tt.item, got, err, tt.want)
			}
			if again, err := ParseRoleSpec(got.String()); err != nil || again != got {
				t.Errorf("ParseRoleSpec(%q) = %+v, %v; want %+v", got.String(), again, err, got)
			}
		})
	}
}

var proficiencyCases = []struct {
	name  string
	item  string
	want  Proficiency
	errIn string
}{
	{name: "no level", item: "Billing", want: Proficiency{Name: "Billing"}},
	{name: "integer", item: "Billing:4", want: Proficiency{Name: "Billing", Level: 4}},
	{name: "decimal", item: "Spanish:3.5", want: Proficiency{Name: "Spanish", Level: 3.5}},
	{name: "zero", item: "Billing:0", want: Proficiency{Name: "Billing"}},
	{name: "five", item: "Billing:5", want: Proficiency{Name: "Billing", Level: 5}},
	{name: "five point zero", item: "Billing:5.0", want: Proficiency{Name: "Billing", Level: 5}},
	{name: "leading zero", item: "Billing:04", want: Proficiency{Name: "Billing", Level: 4}},
	{name: "many decimals", item: "Billing:2.125", want: Proficiency{Name: "Billing", Level: 2.125}},
	{name: "spaces", item: " Spanish Support : 2.5 ", want: Proficiency{Name: "Spanish Support", Level: 2.5}},
	{name: "colon in name", item: "Tier:Gold:3", want: Proficiency{Name: "Tier:Gold", Level: 3}},
	{name: "word", item: "Billing:high", errIn: "'Billing:high': proficiency 'high' is not a number from 0 to 5; write e.g. 'Billing:4' or 'Billing:3.5'"},
	{name: "above five", item: "Billing:6", errIn: "'Billing:6': proficiency 6 is above 5"},
	{name: "seven", item: "Billing:7", errIn: "proficiency 7 is above 5"},
	{name: "just above five", item: "Billing:5.01", errIn: "proficiency 5.01 is above 5"},
	{name: "negative", item: "Billing:-1", errIn: "'Billing:-1': proficiency '-1' is below 0"},
	{name: "negative word", item: "Billing:-x", errIn: "proficiency '-x' is not a number"},
	{name: "nothing after colon", item: "Billing:", errIn: "'Billing:' has no proficiency after ':'; write a number from 0 to 5, e.g. 'Billing:4' or 'Billing:3.5', or 'Billing' alone for proficiency 0"},
	{name: "nothing before colon", item: ":4", errIn: "':4' has no name before ':'"},
	{name: "plus sign", item: "Billing:+4", errIn: "is not a number"},
	{name: "exponent", item: "Billing:4e0", errIn: "is not a number"},
	{name: "hex", item: "Billing:0x4", errIn: "is not a number"},
	{name: "infinity", item: "Billing:Inf", errIn: "is not a number"},
	{name: "not a number", item: "Billing:NaN", errIn: "is not a number"},
	{name: "decimal comma", item: "Billing:3,5", errIn: "is not a number"},
	{name: "trailing dot", item: "Billing:4.", errIn: "is not a number"},
	{name: "leading dot", item: "Billing:.5", errIn: "is not a number"},
	{name: "two dots", item: "Billing:1.2.3", errIn: "is not a number"},
	{name: "space inside", item: "Billing:4 5", errIn: "is not a number"},
	{name: "empty", item: "", errIn: "empty name"},
}

func TestParseProficiency(t *testing.T) {
	for _, tt := range proficiencyCases {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseProficiency(tt.item)
			if tt.errIn != "" {
				if err == nil || !strings.Contains(err.Error(), tt.errIn) {
					t.Errorf("ParseProficiency(%q) = %+v, %v; want an error containing %q", tt.item, got, err, tt.errIn)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("ParseProficiency(%q) = %+v, %v; want %+v", tt.item, got, err, tt.want)
			}
			if again, err := ParseProficiency(got.String()); err != nil || again != got {
				t.Errorf("ParseProficiency(%q) = %+v, %v; want %+v", got.String(), again, err, got)
			}
		})
	}
}

var dateCases = []struct {
	name  string
	cell  string
	errIn string
}{
	{name: "plain", cell: "2024-03-15"},
	{name: "leap day", cell: "2024-02-29"},
	{name: "first day of 1900", cell: "1900-01-01"},
	{name: "end of year", cell: "2025-12-31"},
	{name: "spaces", cell: " 2024-03-15 "},
	{name: "month 13", cell: "2024-13-01", errIn: "'2024-13-01' is not a real date: there is no month 13; write YYYY-MM-DD, e.g. 2024-03-15"},
	{name: "month 00", cell: "2024-00-10", errIn: "there is no month 00"},
	{name: "February 30", cell: "2024-02-30", errIn: "'2024-02-30' is not a real date: February 2024 has 29 days"},
	{name: "not a leap year", cell: "2023-02-29", errIn: "February 2023 has 28 days"},
	{name: "April 31", cell: "2024-04-31", errIn: "April 2024 has 30 days"},
	{name: "day 00", cell: "2024-04-00", errIn: "there is no day 00 in any month"},
	{name: "day 32", cell: "2024-01-32", errIn: "January 2024 has 31 days"},
	{name: "US format", cell: "03/15/2024", errIn: "'03/15/2024' is not a date written YYYY-MM-DD, e.g. 2024-03-15"},
	{name: "European format", cell: "15.03.2024", errIn: "is not a date written YYYY-MM-DD"},
	{name: "one-digit month", cell: "2024-3-15", errIn: "is not a date written YYYY-MM-DD"},
	{name: "with time", cell: "2024-03-15T09:00:00Z", errIn: "is not a date written YYYY-MM-DD"},
	{name: "slashes", cell: "2024/03/15", errIn: "is not a date written YYYY-MM-DD"},
	{name: "words", cell: "last Tuesday", errIn: "is not a date written YYYY-MM-DD"},
	{name: "signed", cell: "+024-03-15", errIn: "is not a date written YYYY-MM-DD"},
	{name: "two-digit year", cell: "0024-03-15", errIn: "'0024-03-15' is before 1900"},
	{name: "empty", cell: "", errIn: "is not a date written YYYY-MM-DD"},
}

func TestParseDate(t *testing.T) {
	for _, tt := range dateCases {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseDate(tt.cell)
			if tt.errIn != "" {
				if err == nil || !strings.Contains(err.Error(), tt.errIn) {
					t.Errorf("parseDate(%q) = %q, %v; want an error containing %q", tt.cell, got, err, tt.errIn)
				}
				return
			}
			if err != nil || got != strings.TrimSpace(tt.cell) {
				t.Errorf("parseDate(%q) = %q, %v; want %q", tt.cell, got, err, strings.TrimSpace(tt.cell))
			}
		})
	}
}

var phoneCases = []struct {
	name  string
	cell  string
	want  string
	errIn string
}{
	{name: "E.164", cell: "+13175550100", want: "+13175550100"},
	{name: "spaces", cell: "+1 317 555 0100", want: "+13175550100"},
	{name: "dashes and brackets", cell: "+1 (317) 555-0100", want: "+13175550100"},
	{name: "dots", cell: "317.555.0100", want: "3175550100"},
	{name: "national", cell: "(317) 555-0100", want: "3175550100"},
	{name: "Irish", cell: "+353 1 555 0103", want: "+35315550103"},
	{name: "French pairs", cell: "+33 1 55 55 01 09", want: "+33155550109"},
	{name: "no-break spaces", cell: "+49\u00a030\u202f5550\u00a00111", want: "+493055500111"},
	{name: "seven digits", cell: "555-0100", want: "5550100"},
	{name: "fifteen digits", cell: "+123 456 789 012 345", want: "+123456789012345"},
	{name: "surrounding spaces", cell: "  +13175550100 ", want: "+13175550100"},
	{name: "plus then space", cell: "+ 1 317 555 0100", want: "+13175550100"},
	{name: "letters", cell: "call me", errIn: "'call me' is a phone in an impossible format; write it like +1 317 555 0100"},
	{name: "vanity", cell: "1-800-FLOWERS", errIn: "is a phone in an impossible format"},
	{name: "two plus", cell: "++13175550100", errIn: "'++13175550100' is a phone in an impossible format"},
	{name: "plus inside", cell: "1+3175550100", errIn: "is a phone in an impossible format"},
	{name: "too few digits", cell: "555-010", errIn: "'555-010' is a phone in an impossible format: it has 6 digits, a phone number has 7 to 15; write it like +1 317 555 0100"},
	{name: "too many digits", cell: "+1234 5678 9012 3456", errIn: "it has 16 digits"},
	{name: "plus alone", cell: "+", errIn: "it has 0 digits"},
	{name: "separators only", cell: "()-.", errIn: "it has 0 digits"},
	{name: "slash", cell: "317/555-0100", errIn: "is a phone in an impossible format"},
	{name: "Arabic-Indic digits", cell: "٣١٧٥٥٥٠١٠٠", errIn: "is a phone in an impossible format"},
	{name: "scientific notation", cell: "1.31755E+10", errIn: "a spreadsheet turned it into a number in scientific notation; format the column as text"},
	{name: "extension x", cell: "+13175550100 x123", errIn: "'+13175550100 x123' includes an extension; put '+13175550100' in this column and '123' in the extension column"},
	{name: "extension X no space", cell: "+1 317 555 0100X123", errIn: "put '+13175550100' in this column and '123' in the extension column"},
	{name: "extension ext.", cell: "317-555-0100 ext. 123", errIn: "put '3175550100' in this column and '123'"},
	{name: "extension word", cell: "317-555-0100 Extension: 9", errIn: "and '9' in the extension column"},
	{name: "extension RFC 3966", cell: "+13175550100;ext=123", errIn: "put '+13175550100' in this column and '123'"},
	{name: "extension hash", cell: "+13175550100 #123", errIn: "includes an extension"},
	{name: "extension on a bad number", cell: "555 x123", errIn: "'555 x123' is a phone in an impossible format"},
	{name: "empty", cell: "", errIn: "it has 0 digits"},
}

func TestParsePhone(t *testing.T) {
	for _, tt := range phoneCases {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parsePhone(tt.cell)
			if tt.errIn != "" {
				if err == nil || !strings.Contains(err.Error(), tt.errIn) {
					t.Errorf("parsePhone(%q) = %q, %v; want an error containing %q", tt.cell, got, err, tt.errIn)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("parsePhone(%q) = %q, %v; want %q", tt.cell, got, err, tt.want)
			}
			if again, err := parsePhone(got); err != nil || again != got {
				t.Errorf("parsePhone(%q) = %q, %v; want it unchanged", got, again, err)
			}
		})
	}
}

func TestParseExtension(t *testing.T) {
	tests := []struct {
		name  string
		cell  string
		want  string
		errIn string
	}{
		{name: "one digit", cell: "7", want: "7"},
		{name: "four digits", cell: "1234", want: "1234"},
		{name: "leading zero kept", cell: "0042", want: "0042"},
		{name: "ten digits", cell: "1234567890", want: "1234567890"},
		{name: "spaces", cell: " 1234 ", want: "1234"},
		{name: "eleven digits", cell: "12345678901", errIn: "'12345678901' is not an extension; write 1 to 10 digits only, e.g. 1234"},
		{name: "letter", cell: "12a", errIn: "'12a' is not an extension"},
		{name: "x prefix", cell: "x123", errIn: "is not an extension"},
		{name: "dash", cell: "12-34", errIn: "is not an extension"},
		{name: "empty", cell: "", errIn: "is not an extension"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseExtension(tt.cell)
			if tt.errIn != "" {
				if err == nil || !strings.Contains(err.Error(), tt.errIn) {
					t.Errorf("parseExtension(%q) = %q, %v; want an error containing %q", tt.cell, got, err, tt.errIn)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Errorf("parseExtension(%q) = %q, %v; want %q", tt.cell, got, err, tt.want)
			}
		})
	}
}

func TestParseState(t *testing.T) {
	tests := []struct {
		name  string
		cell  string
		want  string
		errIn string
	}{
		{name: "active", cell: "active", want: "active"},
		{name: "inactive", cell: "inactive", want: "inactive"},
		{name: "capitalised", cell: "Active", want: "active"},
		{name: "upper case", cell: " INACTIVE ", want: "inactive"},
		{name: "retired", cell: "retired", errIn: "'retired' is not a state; write active or inactive"},
		{name: "deleted", cell: "deleted", errIn: "is not a state"},
		{name: "yes", cell: "yes", errIn: "is not a state"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseState(tt.cell)
			if tt.errIn != "" {
				if err == nil || !strings.Contains(err.Error(), tt.errIn) {
					t.Errorf("parseState(%q) = %q, %v; want an error containing %q", tt.cell, got, err, tt.errIn)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Errorf("parseState(%q) = %q, %v; want %q", tt.cell, got, err, tt.want)
			}
		})
	}
}

// TestLongLists checks that a cell of many items keeps its first occurrences in order, in
// linear time: a record may be up to 1 MiB.
func TestLongLists(t *testing.T) {
	const n = 50000
	list := func(item func(i int) string) string {
		var b strings.Builder
		for i := range 2 * n {
			if i > 0 {
				b.WriteString([]string{",", ";", " , "}[i%3])
			}
			b.WriteString(item(i))
		}
		return b.String()
	}
	items := splitList(list(func(i int) string { return "Q" + strconv.Itoa(i%n) }), "")
	if len(items) != n || items[0] != "Q0" || items[n-1] != "Q49999" {
		t.Fatalf("splitList: %d items, first %q", len(items), items[:3])
	}
	r, err := newCSVReader(strings.NewReader(fullHeader), "f.csv")
	if err != nil {
		t.Fatal(err)
	}
	row := Row{Line: 2, Name: "n", Email: "n@example.com",
		Roles:  list(func(i int) string { return "R" + strconv.Itoa(i%n) + [2]string{":D", " : D "}[i/n] }),
		Skills: list(func(i int) string { return "S" + strconv.Itoa(i%n) + ":" + strconv.Itoa(i/n) })}
	spec, errs := r.Check(row)
	if len(spec.Roles) != n || spec.Roles[n-1] != (RoleSpec{"R49999", "D"}) {
		t.Errorf("Check: %d roles, want %d", len(spec.Roles), n)
	}
	// The second half of the skills repeats the first with another level.
	if len(spec.Skills) != n || len(errs) != n || errs[0].Msg != "skill 'S0' appears twice, with proficiencies 0 and 1; keep one" {
		t.Errorf("Check: %d skills, %d errors, first %v", len(spec.Skills), len(errs), errs[0])
	}
}
