package provision

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
)

// ClearMarker, alone in a cell of a clearable column, clears the user's field: a blank cell
// leaves the field as it is, and the marker is how a file says "no title", "no manager". It
// is bracketed so that it cannot be mistaken for a value, matched without regard to case,
// and never written by an export.
const ClearMarker = "[clear]"

// clearable are the columns ClearMarker may clear, by canonical name.
var clearable = []string{
	"title", "department", "phone_work", "extension", "phone_mobile",
	"email_manager", "location_work", "employee_id", "employee_type", "hire_date",
}

// clearSet is the clearable columns a row clears, one bit each, in the order of clearable.
type clearSet uint16

// clearBit is the bit of column canonical; 0 when the column cannot be cleared.
func clearBit(canonical string) clearSet {
	if i := slices.Index(clearable, canonical); i >= 0 {
		return 1 << i
	}
	return 0
}

// has reports whether the row clears column canonical.
func (s clearSet) has(canonical string) bool { return s&clearBit(canonical) != 0 }

// isClearMarker reports whether a cell, already trimmed, is ClearMarker.
func isClearMarker(cell string) bool { return strings.EqualFold(cell, ClearMarker) }

// clearMarkers finds ClearMarker in the row's cells: in a clearable column it notes the
// column and blanks the cell, so that nothing parses it as a value; anywhere else it is an
// error.
func (c *rowCheck) clearMarkers() clearSet {
	cells := c.row.cells()
	var set clearSet
	found := false
	for i, canonical := range rowFields {
		if !isClearMarker(cells[i]) {
			continue
		}
		found = true
		if b := clearBit(canonical); b != 0 {
			set |= b
			cells[i] = ""
			continue
		}
		c.add(canonical, fmt.Sprintf("%s clears a field, and only in these columns: %s", ClearMarker, orList(clearable)))
	}
	if found {
		c.row = newRow(c.row.Line, &cells)
	}
	return set
}

// clearedNote words a cleared field for the report: "title: 'Agent' → cleared".
func clearedNote(name, had string) string {
	return fmt.Sprintf("%s: '%s' → cleared", name, had)
}

// contactColumns are the phone columns, by the address entry ("MEDIATYPE/TYPE") each holds.
var contactColumns = map[string]string{"PHONE/WORK": "phone_work", "PHONE/WORK2": "extension", "PHONE/MOBILE": "phone_mobile"}

// dropContacts returns have without the entries of the phone columns s clears, and the
// notes of what it dropped.
func dropContacts(have []Contact, s clearSet) ([]Contact, []string) {
	var out []Contact
	var notes []string
	for _, c := range have {
		if col, ok := contactColumns[c.MediaType+"/"+c.Type]; ok && s.has(col) {
			notes = append(notes, clearedNote(col, cmp.Or(c.Address, c.Extension)))
			continue
		}
		out = append(out, c)
	}
	return out, notes
}
