package ui

// WhileSent is the hx-disabled-elt value of a form: its submit button is disabled while the
// form is in flight, so that a second click on a slow link sends nothing more. Without
// JavaScript the server's answers to a repeated submission hold instead.
const WhileSent = "find button[type=submit]"
