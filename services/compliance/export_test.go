package compliance

import (
	"context"

	eventsv1 "github.com/guildhall/guildhall/proto/guildhall/events/v1"
)

// ApplyMembershipEachWith is ApplyMembershipEach calling before(i) before
// envs[i] is applied: the property test moves the clock mid-batch.
func (n *Node) ApplyMembershipEachWith(ctx context.Context, envs []*eventsv1.Envelope, before func(i int)) error {
	return n.applyEach(ctx, envs, before)
}
