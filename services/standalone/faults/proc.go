package faults

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"time"
)

// Proc is one process of a topology: a Guildhall binary or a devstack. It
// can be started again after it was killed, with the same arguments, so a
// restarted service finds its data and its address where it left them.
type Proc struct {
	// Name identifies the process in logs and fault names ("membership").
	Name string
	// Path and Args are the binary and its arguments.
	Path string
	Args []string
	// NetNS, if set, is the network namespace the process runs in (through
	// `ip netns exec`, which execs the binary: the pid is the binary's).
	NetNS string
	// Log receives the process's stdout and stderr, appended across
	// restarts.
	Log string
	// Ready is a line the process prints on stdout once it serves; empty
	// means readiness is checked some other way (Topology.waitReady).
	Ready string

	mu     sync.Mutex
	cmd    *exec.Cmd
	done   chan struct{}
	paused bool
}

// Start starts the process and, when Ready is set, waits until it prints
// that line.
func (p *Proc) Start(ctx context.Context) error {
	p.mu.Lock()
	if p.cmd != nil {
		p.mu.Unlock()
		return fmt.Errorf("%s: already running", p.Name)
	}
	name, args := p.Path, p.Args
	if p.NetNS != "" {
		name, args = "ip", append([]string{"netns", "exec", p.NetNS, p.Path}, p.Args...)
	}
	logf, err := os.OpenFile(p.Log, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		p.mu.Unlock()
		return err
	}
	fmt.Fprintf(logf, "=== %s start %s %s\n", time.Now().Format(time.RFC3339Nano), name, strings.Join(args, " "))
	cmd := exec.Command(name, args...)
	cmd.Stderr = logf
	// Its own process group keeps a Ctrl-C at the terminal from reaching
	// it before the harness stops it in order; Pdeathsig ends it if the
	// harness itself dies without cleaning up.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		_ = logf.Close()
		p.mu.Unlock()
		return err
	}
	if err := startOnSpawner(cmd); err != nil {
		_ = logf.Close()
		p.mu.Unlock()
		return fmt.Errorf("%s: start: %w", p.Name, err)
	}
	ready := make(chan struct{})
	done := make(chan struct{})
	p.cmd, p.done, p.paused = cmd, done, false
	p.mu.Unlock()
	go func() {
		sc := bufio.NewScanner(stdout)
		sc.Buffer(make([]byte, 64*1024), 1024*1024)
		seen := false
		for sc.Scan() {
			fmt.Fprintln(logf, sc.Text())
			if !seen && p.Ready != "" && strings.Contains(sc.Text(), p.Ready) {
				seen = true
				close(ready)
			}
		}
		_, _ = io.Copy(logf, stdout)
		err := cmd.Wait()
		fmt.Fprintf(logf, "=== %s exit: %v\n", time.Now().Format(time.RFC3339Nano), err)
		_ = logf.Close()
		p.mu.Lock()
		if p.cmd == cmd {
			p.cmd = nil
		}
		p.mu.Unlock()
		close(done)
	}()
	if p.Ready == "" {
		return nil
	}
	select {
	case <-ready:
		return nil
	case <-done:
		return fmt.Errorf("%s exited before it was ready (see %s)", p.Name, p.Log)
	case <-ctx.Done():
		p.Kill()
		return fmt.Errorf("%s not ready: %w (see %s)", p.Name, ctx.Err(), p.Log)
	}
}

// Running reports whether the process is alive (paused counts as alive).
func (p *Proc) Running() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.cmd != nil
}

// Pid is the process id, 0 when it is not running.
func (p *Proc) Pid() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.cmd == nil {
		return 0
	}
	return p.cmd.Process.Pid
}

func (p *Proc) signal(sig syscall.Signal) (chan struct{}, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.cmd == nil {
		return nil, fmt.Errorf("%s: not running", p.Name)
	}
	if err := p.cmd.Process.Signal(sig); err != nil {
		return nil, fmt.Errorf("%s: %v: %w", p.Name, sig, err)
	}
	switch sig {
	case syscall.SIGSTOP:
		p.paused = true
	case syscall.SIGCONT:
		p.paused = false
	}
	return p.done, nil
}

// Kill sends SIGKILL and waits until the process is gone. Killing a process
// that is not running does nothing.
func (p *Proc) Kill() {
	done, err := p.signal(syscall.SIGKILL)
	if err != nil {
		return
	}
	<-done
}

// Stop asks the process to stop (SIGTERM, after a SIGCONT in case it is
// paused) and waits up to timeout before killing it (after a SIGQUIT, so
// that the log shows where it hung). It reports whether the process
// stopped by itself.
func (p *Proc) Stop(timeout time.Duration) bool {
	p.mu.Lock()
	paused := p.paused
	p.mu.Unlock()
	if paused {
		_, _ = p.signal(syscall.SIGCONT)
	}
	done, err := p.signal(syscall.SIGTERM)
	if err != nil {
		return true
	}
	select {
	case <-done:
		return true
	case <-time.After(timeout):
	}
	// A Go binary answers SIGQUIT with every goroutine's stack on
	// stderr (its log): what it was stuck on.
	if _, err := p.signal(syscall.SIGQUIT); err == nil {
		select {
		case <-done:
			return false
		case <-time.After(3 * time.Second):
		}
	}
	p.Kill()
	return false
}

// Pause freezes the process (SIGSTOP): it holds its sockets and answers
// nothing, like a machine that hangs.
func (p *Proc) Pause() error {
	_, err := p.signal(syscall.SIGSTOP)
	return err
}

// Resume thaws a paused process (SIGCONT).
func (p *Proc) Resume() error {
	_, err := p.signal(syscall.SIGCONT)
	return err
}

// Tail returns the last n lines of the process's log.
func (p *Proc) Tail(n int) string {
	b, err := os.ReadFile(p.Log)
	if err != nil {
		return err.Error()
	}
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// spawner is an OS thread that lives as long as the harness and starts
// every process. Pdeathsig is tied to the thread that forked a child, not
// to the process: a child forked from a thread that later ends (the
// harness ends threads that joined a network namespace) would be killed
// with it.
var spawner = func() chan spawnReq {
	ch := make(chan spawnReq)
	go func() {
		runtime.LockOSThread() // for good: this thread never runs anything else
		for r := range ch {
			r.done <- r.cmd.Start()
		}
	}()
	return ch
}()

type spawnReq struct {
	cmd  *exec.Cmd
	done chan error
}

func startOnSpawner(cmd *exec.Cmd) error {
	done := make(chan error, 1)
	spawner <- spawnReq{cmd: cmd, done: done}
	return <-done
}

// errSkip marks a fault that cannot run on this machine; its message is
// the reason printed in the table.
type errSkip struct{ reason string }

func (e errSkip) Error() string { return "skipped: " + e.reason }

// skipped returns the reason when err says the fault was skipped.
func skipped(err error) (string, bool) {
	var s errSkip
	if errors.As(err, &s) {
		return s.reason, true
	}
	return "", false
}
