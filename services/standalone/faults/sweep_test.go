package faults

import (
	"os"
	"testing"
)

func TestSweepKnowsWhatIsTheHarnesss(t *testing.T) {
	for _, tt := range []struct{ dir, root string }{
		{"/tmp/guildhall-faults-123/16-services-hq-disk-full/hq", "/tmp/guildhall-faults-123"},
		{"/tmp/guildhall-faults-123", "/tmp/guildhall-faults-123"},
		{"/var/lib/docker/tmpfs", ""},
		{"/tmp/my-guildhall-faults-123/x", ""},
	} {
		if got := workRoot(tt.dir); got != tt.root {
			t.Errorf("workRoot(%q) = %q, want %q", tt.dir, got, tt.root)
		}
	}
	for _, tt := range []struct {
		name string
		pid  string
	}{
		{"ghf-8433x16-core", "8433"}, {"ghf-8433x16-dist", "8433"}, {"ghf-8433-core", ""}, {"cni-1234", ""}, {"ghf-1x2-other", ""},
	} {
		m := nsName.FindStringSubmatch(tt.name)
		if got := ""; m != nil {
			got = m[1]
			if got != tt.pid {
				t.Errorf("namespace %q is of pid %q, want %q", tt.name, got, tt.pid)
			}
		} else if tt.pid != "" {
			t.Errorf("namespace %q not recognised", tt.name)
		}
	}
	if !alive(os.Getpid()) {
		t.Error("this process is not alive")
	}
}
