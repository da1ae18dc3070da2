package service

import (
	"context"
)

// HQAid is the HQ role's view of mutual aid across the city.
type HQAid interface {
	// CityAidStats returns the statistics of every district's requests.
	CityAidStats(ctx context.Context) (AidStats, error)
}

// CityAidStats implements HQAid, over the request snapshots of every
// district's topic.
func (s *Directives) CityAidStats(ctx context.Context) (AidStats, error) {
	rs, err := s.repo.AllAidRequests(ctx, "")
	if err != nil {
		return AidStats{}, err
	}
	return ComputeAidStats(rs), nil
}

// ApplyDistrictAid records, in the HQ role's consumer transaction, an aid
// event of district's messaging topic (the newest snapshot of each request,
// each offer, the first offer's time) and returns the relay: the same event
// on gh.hq.directives.v1 when it concerns another district — a request
// other districts see, an offer for another district's request, the
// acceptance of another district's company's offer. A district node never
// writes another district's topic; HQ's outbox commits with the consumer's
// record of the event, so a relay happens once.
func ApplyDistrictAid(ctx context.Context, q Queries, district, typ string, r *AidRequest, o *AidOffer) ([]Change, error) {
	switch typ {
	case EventAidRequestPosted, EventAidRequestClosed:
		if r == nil || r.District != district {
			return nil, nil
		}
		if _, err := q.PutAidRequest(ctx, *r); err != nil {
			return nil, err
		}
		if !r.SharedBeyond() {
			return nil, nil
		}
		return []Change{{Type: typ, AidRequest: r, Reason: r.CloseReason}}, nil
	case EventAidOfferMade:
		if o == nil || o.District != district {
			return nil, nil
		}
		if has, err := q.HasOffer(ctx, o.ID); err != nil || has {
			return nil, err
		}
		if err := q.PutOffer(ctx, *o); err != nil {
			return nil, err
		}
		if err := q.NoteFirstOffer(ctx, o.RequestID, o.OfferedAt); err != nil {
			return nil, err
		}
		if o.RequestDistrict == district {
			return nil, nil
		}
		return []Change{{Type: typ, AidOffer: o}}, nil
	case EventAidOfferAccepted:
		if o == nil || r == nil || r.District != district {
			return nil, nil
		}
		if _, err := q.PutAidRequest(ctx, *r); err != nil {
			return nil, err
		}
		if err := q.PutOffer(ctx, *o); err != nil {
			return nil, err
		}
		if o.District == district {
			return nil, nil
		}
		return []Change{{Type: typ, AidRequest: r, AidOffer: o}}, nil
	}
	return nil, nil
}
