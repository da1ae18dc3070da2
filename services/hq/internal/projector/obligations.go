package projector

// The periodic obligations' timeliness (issue 10 parts 6 and 7):
// compliance's ObligationCompleted and ObligationMissed, merged into one
// row per company, obligation and period (store.PutObligation says how
// the two kinds combine in either order).

import (
	"context"
	"database/sql"
	"slices"

	eventsv1 "github.com/guildhall/guildhall/proto/guildhall/events/v1"

	"github.com/guildhall/guildhall/services/hq/internal/service"
	"github.com/guildhall/guildhall/services/hq/internal/store"
)

// obligation applies ObligationCompleted (missed false) or ObligationMissed.
func obligation[M any, PM message[M]](get func(PM) *eventsv1.ObligationTimeliness, missed bool) applyFunc {
	return applier(get, obligationMissing, (*eventsv1.ObligationTimeliness).GetDistrict,
		func(p *Projector, ctx context.Context, tx *sql.Tx, env *eventsv1.Envelope, t *eventsv1.ObligationTimeliness) (bool, error) {
			return p.store.PutObligation(ctx, tx, store.Obligation{District: env.GetDistrict(), CompanyID: t.GetCompanyId(),
				Obligation: t.GetObligation(), Period: t.GetPeriod(), Expected: t.GetExpected(), Done: t.GetDone(),
				OnTime: t.GetOnTime(), Missed: missed, EventID: env.GetEventId()})
		})
}

// obligationMissing names what a timeliness lacks: its keys, a known
// obligation, and counts compliance can send (0 <= on_time <= done <=
// expected, expected > 0: it sends none for a period expecting nothing).
func obligationMissing(_ *eventsv1.Envelope, t *eventsv1.ObligationTimeliness) string {
	switch {
	case t.GetCompanyId() == "" || t.GetPeriod() == "":
		return "a company and a period"
	case !slices.Contains(service.Obligations(), t.GetObligation()):
		return "an obligation inspection, four_one or roundtable"
	case t.GetExpected() <= 0 || t.GetOnTime() < 0 || t.GetOnTime() > t.GetDone() || t.GetDone() > t.GetExpected():
		return "counts 0 <= on_time <= done <= expected, expected > 0"
	}
	return ""
}
