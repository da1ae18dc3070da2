package service

import (
	"context"

	"github.com/guildhall/guildhall/pkg/versioned"
)

// The service's audit actions and resources. Recording and listing are
// audit.Log's, which the service embeds: s.Audit records a write of the
// request in ctx, s.AuditAs one on behalf of another actor, both in the
// write's transaction; ListAudit is the Service method.

// Audit actions: "<resource>.<verb>", one per kind of write.
const (
	ActionCompanyRegister       = "company.register"
	ActionCompanyUpdate         = "company.update"
	ActionCompanyStatusChange   = "company.status_change"
	ActionGuardHire             = "guard.hire"
	ActionGuardUpdate           = "guard.update"
	ActionGuardLeave            = "guard.leave"
	ActionGuardTrainingRecord   = "guard.training_record"
	ActionGuardBackgroundCheck  = "guard.background_check"
	ActionGuardCertificateIssue = "guard.certificate_issue"
	ActionCouncilAppoint        = "council_member.appoint"
	ActionCouncilUpdate         = "council_member.update"
	// ActionImportStart is the request that queued an import job.
	ActionImportStart = "import.start"
	// ActionImportChunk is one chunk (up to ImportChunkRows rows) of an
	// import job committed by the background worker: the guards it hired
	// and the job's progress. It is recorded as the job's starter, with the
	// starting request's id and address: the worker acts on their behalf.
	ActionImportChunk = "import.chunk"
	// ActionImportFail is the worker giving up on a job whose stored file
	// no longer opens or parses.
	ActionImportFail = "import.fail"
	// ActionGuardReseal is one batch of ID numbers re-sealed with the
	// current key after a rotation (resource_id empty: the batch spans
	// guards; subject audit.SystemSubject). The numbers themselves do not
	// change, so there is no new version and no event.
	ActionGuardReseal = "guard.reseal"
)

// Audit resources.
const (
	ResourceCompany       = "company"
	ResourceGuard         = "guard"
	ResourceCouncilMember = "council_member"
	ResourceImport        = "import"
)

// edit is the Edit of a change the request in ctx made to a versioned row
// (see versioned.Update): its audit entry (audit.Log's, stamped by the
// service's clock) and the events describing it.
func (s *Membership) edit(ctx context.Context, action, resource, resourceID string, fields []string, changes ...Change) Edit {
	return versioned.Changed(s.Entry(ctx, action, resource, resourceID, fields), changes...)
}
