package node

import "runtime/debug"

// version is the release version, set at link time:
//
//	go build -ldflags "-X github.com/guildhall/guildhall/pkg/node.version=v0.4.0" ./...
var version string

// Version is the build version a node announces in its heartbeats: the
// link-time version, else the VCS revision Go stamped into the binary
// (with "+dirty" for a modified tree), else the main module's version
// ("(devel)" for a workspace build).
func Version() string {
	if version != "" {
		return version
	}
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return "unknown"
	}
	var rev, dirty string
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.modified":
			if s.Value == "true" {
				dirty = "+dirty"
			}
		}
	}
	if rev != "" {
		if len(rev) > 12 {
			rev = rev[:12]
		}
		return rev + dirty
	}
	return bi.Main.Version
}
