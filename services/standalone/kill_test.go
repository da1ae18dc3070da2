package standalone_test

import (
	"bufio"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/guildhall/guildhall/services/standalone/internal/citytest"
)

var (
	buildOnce sync.Once
	binPath   string
	buildErr  error
)

// guildhallBinary builds cmd/guildhall once per test run.
func guildhallBinary(t *testing.T) string {
	t.Helper()
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "guildhall-bin-")
		if err != nil {
			buildErr = err
			return
		}
		binPath = filepath.Join(dir, "guildhall")
		cmd := exec.Command("go", "build", "-o", binPath, "./cmd/guildhall")
		out, err := cmd.CombinedOutput()
		if err != nil {
			buildErr = err
			binPath = string(out)
		}
	})
	if buildErr != nil {
		t.Fatalf("build guildhall: %v\n%s", buildErr, binPath)
	}
	return binPath
}

// proc is a guildhall process started by a test.
type proc struct {
	cmd  *exec.Cmd
	base string
	dir  string
}

// client logs in as the data dir's bootstrap admin.
func (p *proc) client(t *testing.T, ctx context.Context) *citytest.Client {
	t.Helper()
	c := citytest.New(p.base)
	if err := c.ValidateAgainstOpenAPI(ctx, t); err != nil {
		t.Fatal(err)
	}
	if err := c.LoginBootstrap(ctx, p.dir, ""); err != nil {
		t.Fatal(err)
	}
	return c
}

func startProc(t *testing.T, dir string, extra ...string) *proc {
	t.Helper()
	args := append([]string{"-http.addr=127.0.0.1:0", "-admin.addr=127.0.0.1:0", "-broker.addr=127.0.0.1:0", "-data.dir=" + dir, "-relay.election-ttl=2", "-log.level=warn"}, extra...)
	cmd := exec.Command(guildhallBinary(t), args...)
	cmd.Stderr = os.Stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	urlc := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			citytest.RememberBootstrap(dir, sc.Text())
			if _, u, ok := strings.Cut(sc.Text(), "serving the city on "); ok {
				urlc <- strings.TrimSpace(u)
			}
		}
	}()
	select {
	case u := <-urlc:
		return &proc{cmd: cmd, base: u, dir: dir}
	case <-time.After(60 * time.Second):
		t.Fatal("guildhall did not start within 60s")
		return nil
	}
}

func (p *proc) kill(t *testing.T) {
	t.Helper()
	if err := p.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = p.cmd.Wait()
}

// TestSIGKILLDuringABurstLosesNothing writes a burst, kills the whole process
// before HQ can have caught up, restarts it, and expects HQ's counts to be
// exact — once with the broker keeping its log, once with it losing it.
func TestSIGKILLDuringABurstLosesNothing(t *testing.T) {
	for _, persist := range []string{"true", "false"} {
		t.Run("broker.persist="+persist, func(t *testing.T) {
			dir := t.TempDir()
			p := startProc(t, dir, "-broker.persist="+persist)
			ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
			defer cancel()
			c := p.client(t, ctx)
			const companies, guardsEach = 3, 40
			var ids []string
			for i := 0; i < companies; i++ {
				id, err := c.RegisterActiveCompany(ctx, "jingkai", 10+i)
				if err != nil {
					t.Fatal(err)
				}
				ids = append(ids, id)
			}
			var wg sync.WaitGroup
			errc := make(chan error, companies*guardsEach)
			for ci, id := range ids {
				wg.Add(1)
				go func(ci int, id string) {
					defer wg.Done()
					for g := 0; g < guardsEach; g++ {
						_, err := c.HireGuard(ctx, "jingkai", id, ci*guardsEach+g)
						errc <- err
					}
				}(ci, id)
			}
			wg.Wait()
			close(errc)
			for err := range errc {
				if err != nil {
					t.Fatal(err)
				}
			}
			// Every write above was acknowledged; kill at once.
			p.kill(t)

			p2 := startProc(t, dir, "-broker.persist="+persist)
			c2 := p2.client(t, ctx)
			v, err := c2.WaitHQ(ctx, "jingkai", func(v citytest.DistrictView) bool {
				return v.Companies == companies && v.CompaniesActive == companies && v.GuardsActive == companies*guardsEach
			})
			if err != nil {
				t.Fatal(err)
			}
			// Stay a moment longer under the same deadline-free check: counts must
			// not overshoot once late duplicates arrive.
			end := time.Now().Add(500 * time.Millisecond)
			for time.Now().Before(end) {
				v2, err := c2.WaitHQ(ctx, "jingkai", func(citytest.DistrictView) bool { return true })
				if err != nil {
					t.Fatal(err)
				}
				if v2.GuardsActive != v.GuardsActive || v2.Companies != v.Companies {
					t.Fatalf("counts moved after catching up: %+v then %+v", v, v2)
				}
			}
		})
	}
}
