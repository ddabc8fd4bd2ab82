// Package ui holds the small components every feature's forms share.
package ui

// FieldError is a message attached to one field (Field "" = the whole form).
type FieldError struct {
	Field   string
	Message string
	// Target is the id the error summary links to, when it is not Field: the first input of
	// a group of boxes (a fieldset takes no focus, so a link to it leaves focus nowhere).
	Target string
}

// Href is the error summary's link to the field.
func (e FieldError) Href() string {
	if e.Target != "" {
		return "#" + e.Target
	}
	return "#" + e.Field
}

// Errors are a form's validation messages, in the order the fields appear.
type Errors []FieldError

// Add appends a message for field.
func (e *Errors) Add(field, message string) {
	*e = append(*e, FieldError{Field: field, Message: message})
}

// Get returns the first message for field, or "".
func (e Errors) Get(field string) string {
	for _, fe := range e {
		if fe.Field == field {
			return fe.Message
		}
	}
	return ""
}

// Any reports whether there is at least one message.
func (e Errors) Any() bool { return len(e) > 0 }

// Pointing returns a copy whose messages for a group field link to the group's first input:
// pairs of field and input id. The view knows the inputs, the handler only the field.
func (e Errors) Pointing(fieldAndTarget ...string) Errors {
	out := make(Errors, len(e))
	copy(out, e)
	for i := range out {
		for j := 0; j+1 < len(fieldAndTarget); j += 2 {
			if out[i].Field == fieldAndTarget[j] {
				out[i].Target = fieldAndTarget[j+1]
			}
		}
	}
	return out
}

// InputProps describes one labelled text input.
type InputProps struct {
	ID           string
	Name         string
	Label        string
	Hint         string
	Type         string // text, email, …
	Value        string
	Autocomplete string
	InputMode    string
	Pattern      string
	MaxLength    int
	Required     bool
	Error        string
}

// ErrorID is the id of the field's error message, referenced by aria-describedby.
func (p InputProps) ErrorID() string { return p.ID + "-error" }

// HintID is the id of the field's hint.
func (p InputProps) HintID() string { return p.ID + "-hint" }

// DescribedBy is the aria-describedby of the field: its error only. The hint is inside the
// label (DSFR's markup), so it is already part of the accessible name; referencing it again
// would have it read twice.
func (p InputProps) DescribedBy() string {
	if p.Error != "" {
		return p.ErrorID()
	}
	return ""
}
