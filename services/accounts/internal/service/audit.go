package service

import (
	"context"

	"github.com/guildhall/guildhall/pkg/versioned"
)

// The service's audit actions and its resource. Recording and listing are
// audit.Log's, which the service embeds: s.Audit records a write of the
// request in ctx, s.AuditAs one on behalf of another actor, both in the
// write's transaction.

// Audit actions, one per kind of write to accounts.
const (
	ActionCreate        = "account.create"
	ActionUpdate        = "account.update"
	ActionPasswordReset = "account.password_reset"
	// ActionBootstrap is the first hq-admin account created on an empty
	// store, by the node itself (subject audit.SystemSubject).
	ActionBootstrap = "account.bootstrap"
)

// ResourceAccount is the resource of every row of the accounts audit log;
// its resource_id is the account's id.
const ResourceAccount = "account"

// edit is the Edit of a change the request in ctx made to account id (see
// versioned.Update): its audit entry (audit.Log's, stamped by the
// service's clock).
func (s *Accounts) edit(ctx context.Context, action, id string, fields []string) Edit {
	return versioned.Changed[versioned.NoEvent](s.Entry(ctx, action, ResourceAccount, id, fields))
}
