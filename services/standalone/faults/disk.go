package faults

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
)

// diskSize is the size of the district's small filesystem: room for a few
// minutes of the load's writes, small enough to fill in an instant.
const diskSize = "128m"

// Disk is the small filesystem under a district's data: a tmpfs mounted
// there when the machine allows it (root), else nothing mounted and a
// file-size limit (RLIMIT_FSIZE, via prlimit) on the district's processes
// stands in for the full disk: every write past the limit fails (EFBIG).
type Disk struct {
	Dir string
	// Mode is "tmpfs" or "rlimit".
	Mode    string
	filler  string
	mounted bool
	limited []int
}

// NewDisk prepares dir: a tmpfs where possible, else the file-size limit
// mode (which needs prlimit). Neither possible is a skip.
func NewDisk(dir string) (*Disk, error) {
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return nil, err
	}
	d := &Disk{Dir: dir, filler: filepath.Join(dir, ".fault-filler")}
	var why string
	if os.Geteuid() == 0 {
		out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size="+diskSize+",mode=0750", "tmpfs", dir).CombinedOutput()
		if err == nil {
			d.Mode, d.mounted = "tmpfs", true
			return d, nil
		}
		why = fmt.Sprintf("mount tmpfs: %v: %s", err, strings.TrimSpace(string(out)))
	} else {
		why = "mounting a tmpfs needs root"
	}
	if _, err := exec.LookPath("prlimit"); err != nil {
		return nil, errSkip{why + "; and no prlimit for a file-size limit"}
	}
	d.Mode = "rlimit"
	return d, nil
}

// Fill makes the disk full: on the tmpfs a filler file takes every free
// block; in rlimit mode every district process gets a file-size limit of
// one byte (raised again by Free).
func (d *Disk) Fill(pids []int) error {
	if d.Mode == "rlimit" {
		for _, pid := range pids {
			if err := prlimit(pid, "1:unlimited"); err != nil {
				return err
			}
			d.limited = append(d.limited, pid)
		}
		return nil
	}
	f, err := os.OpenFile(d.filler, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return err
	}
	defer f.Close()
	// Big chunks first, then single blocks, until the filesystem says no.
	for _, size := range []int{1 << 20, 4096, 512} {
		buf := make([]byte, size)
		for {
			if _, err := f.Write(buf); err != nil {
				if errors.Is(err, syscall.ENOSPC) {
					break
				}
				return fmt.Errorf("faults: fill disk: %w", err)
			}
		}
	}
	return nil
}

// Free undoes Fill.
func (d *Disk) Free() error {
	if d.Mode == "rlimit" {
		var errs []error
		for _, pid := range d.limited {
			if err := prlimit(pid, "unlimited:unlimited"); err != nil {
				errs = append(errs, err)
			}
		}
		d.limited = nil
		return errors.Join(errs...)
	}
	if err := os.Remove(d.filler); err != nil && !errors.Is(err, os.ErrNotExist) {
		return err
	}
	return nil
}

// Close frees the disk and unmounts the tmpfs (lazily if it is still busy,
// which only happens if a process outlived the topology).
func (d *Disk) Close() {
	_ = d.Free()
	if d.mounted {
		if err := exec.Command("umount", d.Dir).Run(); err != nil {
			_ = exec.Command("umount", "-l", d.Dir).Run()
		}
		d.mounted = false
	}
}

func prlimit(pid int, limit string) error {
	out, err := exec.Command("prlimit", "--pid", strconv.Itoa(pid), "--fsize="+limit).CombinedOutput()
	if err != nil {
		return fmt.Errorf("prlimit --pid %d --fsize=%s: %v: %s", pid, limit, err, strings.TrimSpace(string(out)))
	}
	return nil
}
