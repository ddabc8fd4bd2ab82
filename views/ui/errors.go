// Package ui holds the small components every feature's forms share.
package ui

// FieldError is a message attached to one field (Field "" = the whole form).
type FieldError struct {
	Field   string
	Message string
}

// Errors are a form's validation messages, in the order the fields appear.
type Errors []FieldError

// Add appends a message for field.
func (e *Errors) Add(field, message string) { *e = append(*e, FieldError{field, message}) }

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

// DescribedBy lists the hint and error ids for aria-describedby.
func (p InputProps) DescribedBy() string {
	ids := ""
	if p.Hint != "" {
		ids = p.HintID()
	}
	if p.Error != "" {
		if ids != "" {
			ids += " "
		}
		ids += p.ErrorID()
	}
	return ids
}
