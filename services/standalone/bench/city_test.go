package bench

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/guildhall/guildhall/pkg/auth"
	"github.com/guildhall/guildhall/pkg/config"
	"github.com/guildhall/guildhall/pkg/idcheck"
	"github.com/guildhall/guildhall/pkg/sheet"
	"github.com/guildhall/guildhall/pkg/testutil/ports"
	"github.com/guildhall/guildhall/services/standalone/internal/citytest"
)

var (
	cityDistricts = flag.Int("bench.city.districts", 20, "districts of the city benchmark")
	cityGuards    = flag.Int("bench.city.guards", 10000, "guards per district in the city benchmark (imported 1,000 per company)")
	cityReaders   = flag.Int("bench.city.readers", 50, "concurrent HQ readers in the city benchmark")
	cityReadFor   = flag.Duration("bench.city.read-for", 10*time.Second, "how long the HQ readers read in the city benchmark")
)

const (
	cityIssuer   = "https://bench.guildhall.invalid"
	cityAudience = "guildhall"
	// guardsPerCompany is how many guards each company of the city
	// benchmark imports (one CSV each).
	guardsPerCompany = 1000
)

// BenchmarkCityOf20Districts builds a city of -bench.city.districts
// districts × -bench.city.guards guards through the real pipeline (the
// standalone binary's district nodes: HTTP CSV imports → membership →
// outbox → Kafka → the district's other services), then starts the HQ
// binary on its own, from a cold consumer group, and measures:
//
//   - HQ's replay of the whole city (events/s until every district's guards
//     are in its read model) and its resident memory once caught up (the
//     HQ process alone: its own binary, so the figure is HQ's, not the
//     city's);
//   - HQ summary and district-view latency p50/p99 under
//     -bench.city.readers concurrent readers, next to the same readers
//     against a plain net/http server returning the same bytes (the HTTP
//     floor of this machine, same run);
//   - how long a 21st district, registered in etcd while everything runs,
//     takes to show as ok at HQ, next to the heartbeat interval (HQ cannot
//     say ok before a district's first heartbeat);
//   - the standalone binary's ready time on that data, next to its ready
//     time on an empty data dir (same binary, same run).
//
// It asserts no timing. Meetings are not generated: the guards are what
// the city's size is made of.
func BenchmarkCityOf20Districts(b *testing.B) {
	for range b.N {
		runCityBenchmark(b)
	}
}

func runCityBenchmark(b *testing.B) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Hour)
	defer cancel()
	work := b.TempDir()
	bins := buildCityBinaries(b, work)

	iss, err := auth.NewLocalIssuer(filepath.Join(work, "issuer"), cityIssuer, cityAudience, 12*time.Hour)
	if err != nil {
		b.Fatal(err)
	}
	token, _, err := iss.Issue(auth.Principal{Subject: "bench", Role: auth.RoleHQAdmin})
	if err != nil {
		b.Fatal(err)
	}
	jwks := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(iss.JWKS())
	}))
	defer jwks.Close()
	oidc := []string{"-auth.oidc.issuer=" + cityIssuer, "-auth.oidc.audience=" + cityAudience, "-auth.oidc.jwks-url=" + jwks.URL + "/jwks.json"}

	// The district nodes: the standalone binary without HQ, so HQ below is
	// a process of its own.
	data := filepath.Join(work, "city")
	brokerAddr := freeAddr(b)
	cityArgs := append([]string{"-data.dir=" + data, "-hq=false", "-broker.addr=" + brokerAddr,
		"-heartbeat.interval=1s", "-log.level=error"}, oidc...)
	city, readyEmpty := startCityProc(b, ctx, bins.guildhall, cityArgs)
	api := citytest.New("http://" + city.lines["serving"])
	api.Token = token
	api.HTTP.Timeout = 5 * time.Minute

	cli, err := clientv3.New(clientv3.Config{Endpoints: strings.Split(city.lines["etcd"], ","), DialTimeout: 5 * time.Second})
	if err != nil {
		b.Fatal(err)
	}
	defer cli.Close()
	reg := config.NewRegistry(cli, nil, nil)
	// The two districts every standalone city registers, then d03, d04, …
	districts := []string{"jingkai", "caidian"}[:min(2, *cityDistricts)]
	for i := len(districts); i < *cityDistricts; i++ {
		districts = append(districts, fmt.Sprintf("d%02d", i+1))
		if err := reg.Register(ctx, config.District{ID: districts[i], Name: "District " + strconv.Itoa(i+1), NameZH: "片区" + strconv.Itoa(i+1)}); err != nil {
			b.Fatal(err)
		}
	}
	for _, d := range districts {
		waitUntil(b, ctx, "district "+d+" node", func() bool {
			st, _, err := api.Do(ctx, "GET", "/api/v1/districts/"+d+"/companies", nil, nil)
			return err == nil && st == http.StatusOK
		})
	}

	// The guards, imported 1,000 per company, four imports at a time.
	total := *cityDistricts * *cityGuards
	genStart := time.Now()
	type job struct {
		d, co, n int
		body     []byte
	}
	var all []job
	for di := range districts {
		for first, co := 0, 0; first < *cityGuards; first, co = first+guardsPerCompany, co+1 {
			n := min(guardsPerCompany, *cityGuards-first)
			all = append(all, job{d: di, co: co, n: n,
				body: importRowsFile(b, sheet.CSV, first, n, cityResidentID(di), fmt.Sprintf("鄂保%02d-", di))})
		}
	}
	jobs := make(chan job)
	errc := make(chan error, 4)
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			for j := range jobs {
				d := districts[j.d]
				co, err := api.RegisterActiveCompany(ctx, d, 1+j.d*1000+j.co)
				if err == nil {
					_, err = importGuards(ctx, api, d, co, sheet.CSV, j.body, j.n)
				}
				if err != nil {
					select {
					case errc <- err:
					default:
					}
					cancel()
				}
			}
		})
	}
	for _, j := range all {
		select {
		case jobs <- j:
		case <-ctx.Done():
		}
	}
	close(jobs)
	wg.Wait()
	select {
	case err := <-errc:
		b.Fatal(err)
	default:
	}
	genTook := time.Since(genStart)
	fmt.Printf("city: %d districts × %d guards imported through the district nodes' API in %v (%.0f guards/s)\n",
		*cityDistricts, *cityGuards, genTook.Round(time.Millisecond), float64(total)/genTook.Seconds())

	// HQ on its own, cold: a fresh database and consumer group.
	hqAddr, hqAdmin := freeAddr(b), freeAddr(b)
	hqArgs := append([]string{"-http.addr=" + hqAddr, "-admin.addr=" + hqAdmin, "-db.path=" + filepath.Join(work, "hq", "hq.db"),
		"-hq.group-id=bench-hq", "-etcd.endpoints=" + city.lines["etcd"], "-kafka.brokers=" + brokerAddr, "-log.level=error"}, oidc...)
	hqStart := time.Now()
	hq := startProc(b, ctx, bins.hq, hqArgs, nil)
	defer hq.stop()
	hqAPI := citytest.New("http://" + hqAddr)
	hqAPI.Token = token
	var sum struct {
		GuardsActive int `json:"guards_active"`
	}
	waitUntil(b, ctx, "HQ caught up with the city", func() bool {
		if log, gone := hq.exited(); gone {
			b.Fatalf("hq exited: %s", log)
		}
		st, _, err := hqAPI.Do(ctx, "GET", "/api/v1/hq/summary", nil, &sum)
		return err == nil && st == http.StatusOK && sum.GuardsActive == total
	})
	replayTook := time.Since(hqStart)
	applied := hqEventsApplied(b, ctx, hqAPI, districts)
	rssCaughtUp := procRSS(b, hq.cmd.Process.Pid)
	fmt.Printf("city: HQ (its own process, cold group) replayed %d events of %d districts in %v: %.0f events/s; RSS %d MiB once caught up\n",
		applied, len(districts), replayTook.Round(time.Millisecond), float64(applied)/replayTook.Seconds(), rssCaughtUp>>20)

	// Readers: HQ's summary and district views, against the HTTP floor.
	paths := []string{"/api/v1/hq/summary"}
	for _, d := range districts {
		paths = append(paths, "/api/v1/hq/districts/"+d)
	}
	hqLat := readLoad(b, ctx, hqAPI.Base, token, paths)
	bodies := map[string][]byte{}
	for _, p := range paths {
		_, body, err := hqAPI.Do(ctx, "GET", p, nil, nil)
		if err != nil {
			b.Fatal(err)
		}
		bodies[p] = body
	}
	floor := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(bodies[r.URL.Path])
	}))
	floorLat := readLoad(b, ctx, floor.URL, token, paths)
	floor.Close()
	rssRead := procRSS(b, hq.cmd.Process.Pid)
	for _, kind := range []string{"summary", "district"} {
		h, f := hqLat[kind], floorLat[kind]
		fmt.Printf("city: HQ %s view, %d readers: %d reads, p50 %.2f ms, p99 %.2f ms | HTTP floor (same bytes, plain net/http): p50 %.2f ms, p99 %.2f ms | ratio p99 %.1f\n",
			kind, *cityReaders, len(h), ms(h.quantile(0.5)), ms(h.quantile(0.99)), ms(f.quantile(0.5)), ms(f.quantile(0.99)),
			ms(h.quantile(0.99))/ms(f.quantile(0.99)))
		b.ReportMetric(ms(h.quantile(0.99)), "hq_"+kind+"_p99_ms")
	}
	fmt.Printf("city: HQ RSS %d MiB after the readers (target ≤ 300 MiB)\n", rssRead>>20)
	b.ReportMetric(float64(rssRead>>20), "hq_rss_MiB")

	// A 21st district joins while everything runs.
	newcomer := fmt.Sprintf("d%02d", len(districts)+1)
	joinStart := time.Now()
	if err := reg.Register(ctx, config.District{ID: newcomer, Name: "Newcomer", NameZH: "新片区"}); err != nil {
		b.Fatal(err)
	}
	waitUntil(b, ctx, "the new district ok at HQ", func() bool {
		var v citytest.DistrictView
		st, _, err := hqAPI.Do(ctx, "GET", "/api/v1/hq/districts/"+newcomer, nil, &v)
		return err == nil && st == http.StatusOK && v.Status == "ok"
	})
	joinTook := time.Since(joinStart)
	fmt.Printf("city: district %s registered in etcd → ok at HQ in %v | heartbeat interval 1s\n", newcomer, joinTook.Round(time.Millisecond))
	b.ReportMetric(joinTook.Seconds(), "new_district_s")

	// The standalone binary's ready time on that data.
	city.stop()
	_, readyFull := startCityProc(b, ctx, bins.guildhall, cityArgs)
	fmt.Printf("city: standalone ready on the %d-district data in %v | on an empty data dir %v | ratio %.1f\n",
		len(districts)+1, readyFull.Round(time.Millisecond), readyEmpty.Round(time.Millisecond), readyFull.Seconds()/readyEmpty.Seconds())
	b.ReportMetric(readyFull.Seconds(), "ready_s")
}

// cityResidentID returns the ID numbers of district d's guards: unique
// city-wide (a region code per district, a birth day per thousand).
func cityResidentID(d int) func(int) string {
	region := fmt.Sprintf("4201%02d", d+1)
	return func(i int) string {
		return idcheck.MakeResidentID(region, time.Date(1970, 1, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, i/1000), i%1000)
	}
}

type cityBinaries struct{ guildhall, hq string }

// buildCityBinaries builds the standalone and HQ binaries into dir.
func buildCityBinaries(b *testing.B, dir string) cityBinaries {
	b.Helper()
	bins := cityBinaries{guildhall: filepath.Join(dir, "bin", "guildhall"), hq: filepath.Join(dir, "bin", "hq")}
	for out, pkg := range map[string]string{
		bins.guildhall: "github.com/guildhall/guildhall/services/standalone/cmd/guildhall",
		bins.hq:        "github.com/guildhall/guildhall/services/hq/cmd/hq",
	} {
		if o, err := exec.Command("go", "build", "-o", out, pkg).CombinedOutput(); err != nil {
			b.Fatalf("go build %s: %v\n%s", pkg, err, o)
		}
	}
	return bins
}

// proc is a binary the benchmark runs.
type proc struct {
	cmd  *exec.Cmd
	done chan struct{}
	// lines holds what the standalone binary printed of its addresses:
	// "etcd", "serving".
	lines map[string]string
	// log is the file of its stderr.
	log string
}

// exited reports, once the process has exited, the end of its log.
func (p *proc) exited() (string, bool) {
	select {
	case <-p.done:
		raw, _ := os.ReadFile(p.log)
		if len(raw) > 2000 {
			raw = raw[len(raw)-2000:]
		}
		return string(raw), true
	default:
		return "", false
	}
}

// startProc starts bin with args; each stdout line goes to onLine.
func startProc(b *testing.B, ctx context.Context, bin string, args []string, onLine func(string)) *proc {
	b.Helper()
	cmd := exec.CommandContext(ctx, bin, args...)
	// Its log, for when it fails.
	logf, err := os.CreateTemp(b.TempDir(), filepath.Base(bin)+"-*.log")
	if err != nil {
		b.Fatal(err)
	}
	cmd.Stderr = logf
	out, err := cmd.StdoutPipe()
	if err != nil {
		b.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	p := &proc{cmd: cmd, done: make(chan struct{}), lines: map[string]string{}, log: logf.Name()}
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			if onLine != nil {
				onLine(sc.Text())
			}
		}
		_ = cmd.Wait()
		close(p.done)
	}()
	b.Cleanup(p.stop)
	return p
}

// stop ends the process with SIGTERM (SIGKILL after a minute) and waits.
func (p *proc) stop() {
	if p.cmd.Process == nil {
		return
	}
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(time.Minute):
		_ = p.cmd.Process.Kill()
		<-p.done
	}
}

// startCityProc starts the standalone binary and returns it once it said
// it is ready, with the time that took.
func startCityProc(b *testing.B, ctx context.Context, bin string, args []string) (*proc, time.Duration) {
	b.Helper()
	ready := make(chan struct{})
	var once sync.Once
	var mu sync.Mutex
	lines := map[string]string{}
	start := time.Now()
	p := startProc(b, ctx, bin, append(args, "-http.addr=127.0.0.1:0", "-admin.addr=127.0.0.1:0"), func(l string) {
		mu.Lock()
		defer mu.Unlock()
		switch {
		case strings.HasPrefix(l, "etcd (embedded): "):
			lines["etcd"] = strings.TrimPrefix(l, "etcd (embedded): ")
		case strings.HasPrefix(l, "guildhall: serving the city on http://"):
			lines["serving"] = strings.TrimPrefix(l, "guildhall: serving the city on http://")
		case strings.HasPrefix(l, "guildhall: ready"):
			once.Do(func() { close(ready) })
		}
	})
	select {
	case <-ready:
	case <-p.done:
		b.Fatalf("%s exited before it was ready", bin)
	case <-time.After(10 * time.Minute):
		b.Fatalf("%s not ready after 10 minutes", bin)
	}
	took := time.Since(start)
	mu.Lock()
	p.lines = lines
	mu.Unlock()
	return p, took
}

// readLoad runs -bench.city.readers readers over paths at base for
// -bench.city.read-for and returns the latencies of the summary and of the
// district views.
func readLoad(b *testing.B, ctx context.Context, base, token string, paths []string) map[string]latencies {
	b.Helper()
	var mu sync.Mutex
	out := map[string]latencies{}
	end := time.Now().Add(*cityReadFor)
	var wg sync.WaitGroup
	errc := make(chan error, *cityReaders)
	for r := range *cityReaders {
		wg.Go(func() {
			hc := &http.Client{Timeout: time.Minute, Transport: &http.Transport{MaxIdleConnsPerHost: 1}}
			var mine = map[string]latencies{}
			for i := r; time.Now().Before(end); i++ {
				p := paths[i%len(paths)]
				req, _ := http.NewRequestWithContext(ctx, "GET", base+p, nil)
				req.Header.Set("Authorization", "Bearer "+token)
				t0 := time.Now()
				resp, err := hc.Do(req)
				if err == nil {
					_, err = io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
					if err == nil && resp.StatusCode != http.StatusOK {
						err = fmt.Errorf("GET %s: %d", p, resp.StatusCode)
					}
				}
				if err != nil {
					errc <- err
					return
				}
				kind := "district"
				if i%len(paths) == 0 {
					kind = "summary"
				}
				mine[kind] = append(mine[kind], time.Since(t0))
			}
			mu.Lock()
			for k, v := range mine {
				out[k] = append(out[k], v...)
			}
			mu.Unlock()
		})
	}
	wg.Wait()
	select {
	case err := <-errc:
		b.Fatal(err)
	default:
	}
	return out
}

// hqEventsApplied sums the events HQ applied of every district.
func hqEventsApplied(b *testing.B, ctx context.Context, c *citytest.Client, districts []string) int64 {
	b.Helper()
	var n int64
	for _, d := range districts {
		var v struct {
			EventsApplied int64 `json:"events_applied"`
		}
		if err := c.Must(ctx, http.StatusOK, "GET", "/api/v1/hq/districts/"+d, nil, &v); err != nil {
			b.Fatal(err)
		}
		n += v.EventsApplied
	}
	return n
}

// procRSS returns the resident memory of process pid, in bytes.
func procRSS(b *testing.B, pid int) int64 {
	b.Helper()
	raw, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		b.Fatal(err)
	}
	for _, l := range strings.Split(string(raw), "\n") {
		if f := strings.Fields(l); len(f) >= 2 && f[0] == "VmRSS:" {
			kb, err := strconv.ParseInt(f[1], 10, 64)
			if err != nil {
				b.Fatal(err)
			}
			return kb << 10
		}
	}
	b.Fatal(errors.New("no VmRSS in /proc/<pid>/status"))
	return 0
}

// waitUntil polls cond until it holds or ctx ends.
func waitUntil(b *testing.B, ctx context.Context, what string, cond func() bool) {
	b.Helper()
	for !cond() {
		select {
		case <-ctx.Done():
			b.Fatalf("gave up waiting for %s: %v", what, ctx.Err())
		case <-time.After(100 * time.Millisecond): // polling interval
		}
	}
}

// freeAddr returns a loopback address nothing listens on now, from below
// the ephemeral range (pkg/testutil/ports says why).
func freeAddr(b *testing.B) string {
	b.Helper()
	a, err := ports.FreeAddr()
	if err != nil {
		b.Fatal(err)
	}
	return a
}
