package service

import (
	"time"
)

// Audit actions, one per kind of write to accounts.
const (
	ActionCreate        = "account.create"
	ActionUpdate        = "account.update"
	ActionPasswordReset = "account.password_reset"
	// ActionBootstrap is the first hq-admin account created on an empty
	// store, by the node itself (subject audit.SystemSubject).
	ActionBootstrap = "account.bootstrap"
)

// AuditEntry is one row of the accounts audit log: who wrote which account,
// when, from where, and the names (never the values) of the fields written.
type AuditEntry struct {
	ID            int64     `json:"id"`
	At            time.Time `json:"at"`
	Subject       string    `json:"subject"`
	Role          string    `json:"role"`
	Scope         string    `json:"scope"`
	Action        string    `json:"action"`
	AccountID     string    `json:"account_id"`
	FieldsChanged []string  `json:"fields_changed"`
	RequestID     string    `json:"request_id"`
	RemoteIP      string    `json:"remote_ip"`
}
