package testutil

import "fmt"

// StaleIfMatch lists the If-Match values a PATCH on a resource at version
// cur must refuse with 412: the previous version in every form a client
// may send it (strong, weak, bare), version 0 (never issued) in the same
// forms and zero-padded, and a version from the future. Every service's
// PATCH test sends all of them, so the services refuse the same set.
func StaleIfMatch(cur int64) []string {
	return []string{
		fmt.Sprintf(`"%d"`, cur-1), fmt.Sprintf(`W/"%d"`, cur-1), fmt.Sprint(cur - 1),
		`"0"`, `W/"0"`, `0`, `"00"`,
		fmt.Sprintf(`"%d"`, cur+1),
	}
}
