package faults

import (
	"bufio"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
)

// pidFile in a work dir names the harness process that owns it.
const pidFile = ".faults-pid"

// nsName matches the namespaces NewNetns creates: ghf-<pid>x<n>-core|dist.
var nsName = regexp.MustCompile(`^ghf-(\d+)x\d+-(core|dist)$`)

// alive reports whether process pid exists.
func alive(pid int) bool {
	err := syscall.Kill(pid, 0)
	return err == nil || errors.Is(err, syscall.EPERM)
}

// Sweep removes what a harness that died without cleaning up (SIGKILL, a
// crash) left behind: its network namespaces and its tmpfs mounts. A
// namespace or mount is the harness's by its name or place and is removed
// only when the process that made it no longer runs. It returns a line per
// thing removed.
func Sweep() []string {
	var done []string
	if out, err := exec.Command("ip", "netns", "list").Output(); err == nil {
		for _, line := range strings.Split(string(out), "\n") {
			fields := strings.Fields(line)
			if len(fields) == 0 {
				continue
			}
			name := fields[0]
			m := nsName.FindStringSubmatch(name)
			if m == nil {
				continue
			}
			if pid, _ := strconv.Atoi(m[1]); !alive(pid) {
				if ip("netns", "del", name) == nil {
					done = append(done, "removed network namespace "+name+" of a harness that is gone")
				}
			}
		}
	}
	f, err := os.Open("/proc/self/mounts")
	if err != nil {
		return done
	}
	defer f.Close()
	var stale []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) < 3 || fields[2] != "tmpfs" {
			continue
		}
		dir := fields[1]
		root := workRoot(dir)
		if root == "" {
			continue
		}
		b, err := os.ReadFile(filepath.Join(root, pidFile))
		if err != nil {
			continue
		}
		if pid, err := strconv.Atoi(strings.TrimSpace(string(b))); err == nil && !alive(pid) {
			stale = append(stale, dir)
		}
	}
	for _, dir := range stale {
		if exec.Command("umount", "-l", dir).Run() == nil {
			done = append(done, "unmounted "+dir+" of a harness that is gone")
		}
	}
	return done
}

// workRoot returns the harness work dir (a "guildhall-faults-*" directory)
// dir lies in, or "".
func workRoot(dir string) string {
	parts := strings.Split(dir, "/")
	for i, p := range parts {
		if strings.HasPrefix(p, "guildhall-faults-") {
			return strings.Join(parts[:i+1], "/")
		}
	}
	return ""
}
