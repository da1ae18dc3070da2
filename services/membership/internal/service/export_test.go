package service

import "context"

// ProcessImportChunks runs at most n chunks of an import job, as if the
// process stopped afterwards.
func (s *Membership) ProcessImportChunks(ctx context.Context, id string, n int) error {
	return s.processImport(ctx, id, n)
}
