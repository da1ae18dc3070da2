package standalone_test

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	cdpbrowser "github.com/chromedp/cdproto/browser"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"
	"github.com/xuri/excelize/v2"

	"github.com/guildhall/guildhall/services/standalone/internal/citytest"
)

// chromiumPath is Debian's Chromium (.ci/run installs it). Without it
// the browser tests skip, except in CI, where a missing browser fails.
func chromiumPath(t *testing.T) string {
	t.Helper()
	for _, p := range []string{os.Getenv("GUILDHALL_CHROMIUM"), "/usr/bin/chromium", "/usr/bin/chromium-browser"} {
		if p == "" {
			continue
		}
		if _, err := exec.LookPath(p); err == nil {
			return p
		}
	}
	if os.Getenv("CI") != "" {
		t.Fatal("Chromium is not installed (apt-get install chromium): the console's browser tests must run in CI")
	}
	t.Skip("Chromium is not installed (apt-get install chromium); set GUILDHALL_CHROMIUM to another binary")
	return ""
}

// screenshotDir is where the browser tests write a PNG of every page in
// both languages: test-output/console at the repository's root (not
// committed), or $GUILDHALL_TEST_OUTPUT/console.
func screenshotDir(t *testing.T) string {
	t.Helper()
	base := os.Getenv("GUILDHALL_TEST_OUTPUT")
	if base == "" {
		base = filepath.Join("..", "..", "test-output")
	}
	dir := filepath.Join(base, "console")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

// browser starts a headless Chromium of its own (fresh profile, no
// background networking: this machine's network is closed) and returns a
// tab's context.
func browser(t *testing.T, ctx context.Context) context.Context {
	t.Helper()
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(chromiumPath(t)),
		chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU, chromedp.NoFirstRun, chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-quic", true), chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true), chromedp.Flag("disable-sync", true), chromedp.Flag("force-prefers-reduced-motion", true),
		chromedp.UserDataDir(t.TempDir()), chromedp.WindowSize(1366, 900),
	}
	actx, cancelA := chromedp.NewExecAllocator(ctx, opts...)
	t.Cleanup(cancelA)
	bctx, cancelB := chromedp.NewContext(actx)
	t.Cleanup(cancelB)
	if err := chromedp.Do(bctx); err != nil {
		t.Fatalf("starting Chromium: %v", err)
	}
	return bctx
}

// rateText is the console's rendering of a rate (format.js formatRate).
func rateText(v *float64) string {
	if v == nil {
		return "未上报"
	}
	return fmt.Sprintf("%.1f%%", math.Round(*v*1000)/10)
}

type consoleDistrict struct {
	District   string `json:"district"`
	NameZh     string `json:"name_zh"`
	Status     string `json:"status"`
	Compliance struct {
		Reported    bool `json:"reported"`
		FourHundred struct {
			Reported   bool     `json:"reported"`
			Background *float64 `json:"background_check_rate"`
			Training   *float64 `json:"training_rate"`
			Certified  *float64 `json:"certified_rate"`
			Badge      *float64 `json:"badge_rate"`
		} `json:"four_hundred"`
	} `json:"compliance"`
	Patrols struct {
		Reported bool     `json:"reported"`
		FillRate *float64 `json:"fill_rate"`
	} `json:"patrols"`
	EventsBehind int `json:"events_behind"`
}

type step = chromedp.Action[chromedp.Void]

func css(sel string) chromedp.CSS { return chromedp.CSS(sel) }

func shot(dir, name string) step {
	return chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		png, err := chromedp.FullScreenshot(100)(ctx, tg)
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(dir, name+".png"), png, 0o644)
	})
}

// waitText polls until the text of sel is want (a page loads its data
// after it renders).
func waitText(sel, want string) step {
	return chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		for {
			got, err := chromedp.Evaluate[string](fmt.Sprintf(`(document.querySelector(%q)?.innerText ?? '\u0000missing').trim()`, sel))(ctx, tg)
			if err == nil && got == want {
				return nil
			}
			select {
			case <-ctx.Done():
				return fmt.Errorf("%s: text %q, want %q (%v)", sel, got, want, err)
			case <-time.After(100 * time.Millisecond): // polling interval
			}
		}
	})
}

// clickOption clicks the visible option of an open Element Plus select
// whose text is text, once the select has filtered its list down to it.
func clickOption(text string) step {
	find := fmt.Sprintf(`[...document.querySelectorAll('.el-select-dropdown__item')].find(e => e.offsetParent && e.innerText.trim() === %q)`, text)
	return chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		for {
			// The option's own click handler (a mouse click through
			// chromedp's JSPath hung on the select's popper here).
			if ok, err := chromedp.Evaluate[bool](`(() => { const e = `+find+`; if (!e) return false; e.click(); return true })()`)(ctx, tg); err == nil && ok {
				return nil
			}
			select {
			case <-ctx.Done():
				return fmt.Errorf("no option %q: %w", text, ctx.Err())
			case <-time.After(100 * time.Millisecond): // polling interval
			}
		}
	})
}

// waitCount polls until n elements match sel.
func waitCount(sel string, n int) step {
	return chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		for {
			got, err := chromedp.Evaluate[int](fmt.Sprintf(`document.querySelectorAll(%q).length`, sel))(ctx, tg)
			if err == nil && got == n {
				return nil
			}
			select {
			case <-ctx.Done():
				return fmt.Errorf("%s: %d elements, want %d (%v)", sel, got, n, err)
			case <-time.After(100 * time.Millisecond): // polling interval
			}
		}
	})
}

func login(base, user, password string) step {
	return chromedp.Steps(
		chromedp.Navigate(base+"/"),
		chromedp.WaitVisible(css(`input[data-test=username]`)),
		chromedp.SendKeys(css(`input[data-test=username]`), user),
		chromedp.SendKeys(css(`input[data-test=password]`), password),
		chromedp.Click(css(`[data-test=submit]`)),
	)
}

// run runs steps in the browser, each run within 45 s; on failure it
// saves a screenshot (failure-<test>.png) and logs the page's text, so the
// report says what the browser showed.
func run(t *testing.T, b context.Context, steps ...step) {
	t.Helper()
	ctx, cancel := context.WithTimeout(b, 45*time.Second)
	defer cancel()
	if err := chromedp.Do(ctx, steps...); err != nil {
		dctx, dcancel := context.WithTimeout(b, 10*time.Second)
		defer dcancel()
		if png, perr := chromedp.Run(dctx, chromedp.FullScreenshot(100)); perr == nil {
			name := filepath.Join(screenshotDir(t), "failure-"+strings.ReplaceAll(t.Name(), "/", "_")+".png")
			_ = os.WriteFile(name, png, 0o644)
			t.Logf("screenshot: %s", name)
		}
		if body, berr := chromedp.Run(dctx, chromedp.Evaluate[string](`location.href + "\n" + document.body.innerText`)); berr == nil {
			t.Logf("the page: %.2000s", body)
		}
		t.Fatal(err)
	}
}

// axeSource is axe-core (a devDependency of the console, installed by
// npm ci: make test runs the console's unit tests first).
func axeSource(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", "web", "console", "node_modules", "axe-core", "axe.min.js"))
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("axe-core is not installed (scripts/console.sh test runs npm ci): %v", err)
		}
		t.Skipf("axe-core is not installed: run scripts/console.sh test (npm ci) first: %v", err)
	}
	return string(b)
}

// accessible runs axe-core's WCAG 2 A and AA rules on the page and fails
// the test on every serious or critical violation (labels, contrast,
// names of buttons and links, ARIA), naming the page.
func accessible(t *testing.T, axe, page string) step {
	return chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		if _, err := chromedp.Evaluate[bool](axe+";true")(ctx, tg); err != nil {
			return fmt.Errorf("loading axe-core: %w", err)
		}
		found, err := chromedp.Evaluate[[]string](`axe.run(document, {runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa']}, resultTypes: ['violations']})
			.then(r => r.violations.filter(v => v.impact === 'serious' || v.impact === 'critical')
			.map(v => v.id + ' (' + v.nodes.length + '): ' + v.nodes.slice(0, 3).map(n => n.target.join(' ')).join(' | ')))`, chromedp.EvalAwaitPromise)(ctx, tg)
		if err != nil {
			return fmt.Errorf("axe-core on %s: %w", page, err)
		}
		for _, f := range found {
			t.Errorf("accessibility, %s: %s", page, f)
		}
		return nil
	})
}

// TestConsoleShowsWhatTheAPISays drives the console in a real Chromium
// against a real standalone city with the demo data: an HQ user logs in,
// sees the city's figures exactly as the API gives them ("not reported"
// where the API says null, never 0), drills down district → company →
// the gap guards of a criterion (the same guards, by name, as the API
// lists), and switches to English; a company admin lands on its own
// company and is refused the city view. Every page is photographed in
// both languages.
func TestConsoleShowsWhatTheAPISays(t *testing.T) {
	chromiumPath(t)
	dir := t.TempDir()
	_, c := startCity(t, dir, "-demo")
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	// look photographs the page and holds it to WCAG 2 A/AA (axe-core).
	shots, axe := screenshotDir(t), axeSource(t)
	look := func(name string) step { return chromedp.Steps(shot(shots, name), accessible(t, axe, name)) }

	// The demo's last writes are its volunteer team's police dispatch,
	// answered through every stage (demo.LoadPatrols): once it is closed,
	// the district holds everything the demo enters.
	var dispatches struct {
		Items []struct {
			Status     string     `json:"status"`
			FeedbackAt *time.Time `json:"feedback_at"`
		}
	}
	poll(t, "the demo's police dispatch to close", func() bool {
		return c.Must(ctx, http.StatusOK, "GET", "/api/v1/districts/jingkai/dispatches", nil, &dispatches) == nil &&
			len(dispatches.Items) == 1 && dispatches.Items[0].Status == "closed"
	})
	if dispatches.Items[0].FeedbackAt == nil {
		t.Errorf("the demo's dispatch closed without feedback: %+v", dispatches.Items[0])
	}
	// HQ holds both districts' four rates and jingkai's patrol plan as the
	// districts themselves report them (their compliance scoreboards and
	// plans). A consumer lag of 0 alone is not enough: a district's outbox
	// may not have published its last events yet, and the page would then
	// show a newer figure than the one the test holds.
	var districts struct{ Items []consoleDistrict }
	sameRate := func(a, b *float64) bool { return (a == nil) == (b == nil) && (a == nil || *a == *b) }
	poll(t, "HQ to hold both districts' compliance and jingkai's patrol plan as they report them", func() bool {
		var plans struct {
			Items []struct {
				FillRate *float64 `json:"fill_rate"`
			}
		}
		if err := c.Must(ctx, http.StatusOK, "GET", "/api/v1/districts/jingkai/plans", nil, &plans); err != nil || len(plans.Items) != 1 || plans.Items[0].FillRate == nil {
			return false
		}
		if err := c.Must(ctx, http.StatusOK, "GET", "/api/v1/hq/districts", nil, &districts); err != nil || len(districts.Items) != 2 {
			return false
		}
		for _, d := range districts.Items {
			if !d.Compliance.FourHundred.Reported || d.EventsBehind != 0 || d.Status != "ok" {
				return false
			}
			if d.District == "jingkai" && (!d.Patrols.Reported || d.Patrols.FillRate == nil || *d.Patrols.FillRate != *plans.Items[0].FillRate) {
				return false
			}
			var board struct {
				Rates struct {
					Background *float64 `json:"background_checked"`
					Training   *float64 `json:"trained"`
					Certified  *float64 `json:"certified"`
					Badge      *float64 `json:"badge_service"`
				} `json:"rates"`
			}
			if err := c.Must(ctx, http.StatusOK, "GET", "/api/v1/districts/"+d.District+"/compliance/scoreboard", nil, &board); err != nil {
				return false
			}
			fh, r := d.Compliance.FourHundred, board.Rates
			if !sameRate(fh.Background, r.Background) || !sameRate(fh.Training, r.Training) || !sameRate(fh.Certified, r.Certified) || !sameRate(fh.Badge, r.Badge) {
				return false
			}
		}
		return true
	})
	var summary struct {
		Companies int `json:"companies"`
	}
	if err := c.Must(ctx, http.StatusOK, "GET", "/api/v1/hq/summary", nil, &summary); err != nil {
		t.Fatal(err)
	}
	if err := c.Must(ctx, http.StatusCreated, "POST", "/api/v1/auth/accounts", map[string]any{"username": "hq-console", "password": "hq-console right password",
		"role": "hq-admin"}, nil); err != nil {
		t.Fatal(err)
	}

	b := browser(t, ctx)
	run(t, b, login(c.Base, "hq-console", "hq-console right password"),
		waitText(`[data-test=summary-companies]`, fmt.Sprint(summary.Companies)))
	// Every district's four rates and coverage, as the API says.
	for _, d := range districts.Items {
		fh := d.Compliance.FourHundred
		for key, v := range map[string]*float64{"background": fh.Background, "training": fh.Training, "certified": fh.Certified, "badge": fh.Badge} {
			run(t, b, waitText(fmt.Sprintf(`[data-test=rate-%s-%s]`, d.District, key), rateText(v)))
		}
		var cov *float64
		if d.Patrols.Reported {
			cov = d.Patrols.FillRate
		}
		run(t, b, waitText(fmt.Sprintf(`[data-test=coverage-%s]`, d.District), rateText(cov)))
		run(t, b, waitText(fmt.Sprintf(`[data-test=status-%s]`, d.District), "正常"))
	}
	run(t, b, chromedp.WaitVisible(css(`[data-test=rates-chart] canvas`)), look("city.zh-CN"))

	// Drill down: jingkai → its first company → the certificate gaps.
	var companies struct {
		Items []struct {
			CompanyID string `json:"company_id"`
			Name      string `json:"name"`
		}
	}
	if err := c.Must(ctx, http.StatusOK, "GET", "/api/v1/districts/jingkai/compliance/companies?page_size=20", nil, &companies); err != nil || len(companies.Items) == 0 {
		t.Fatalf("companies: %v %d", err, len(companies.Items))
	}
	co := companies.Items[0]
	var trend struct{ Items []json.RawMessage }
	if err := c.Must(ctx, http.StatusOK, "GET", "/api/v1/districts/jingkai/compliance/trend?days=90", nil, &trend); err != nil {
		t.Fatal(err)
	}
	trendShown := `[data-test=trend-chart] canvas`
	if len(trend.Items) == 0 {
		trendShown = `[data-test=trend-empty]` // a new city has no closing snapshot yet
	}
	run(t, b, chromedp.Click(css(`[data-test=district-jingkai]`)), chromedp.WaitVisible(css(trendShown)),
		waitText(fmt.Sprintf(`[data-test="company-%s"]`, co.CompanyID), co.Name), look("district.zh-CN"),
		chromedp.Click(css(fmt.Sprintf(`[data-test="company-%s"]`, co.CompanyID))),
		chromedp.WaitVisible(css(`[data-test=criterion-certificate]`)),
		chromedp.Click(css(`[data-test=criterion-certificate]`)))
	var gaps struct {
		Items []struct {
			GuardID string `json:"guard_id"`
		}
	}
	if err := c.Must(ctx, http.StatusOK, "GET", "/api/v1/districts/jingkai/compliance/gaps?criterion=certificate&page_size=20&company_id="+co.CompanyID, nil, &gaps); err != nil {
		t.Fatal(err)
	}
	var want []string
	for _, g := range gaps.Items {
		var guard struct{ Name string }
		if err := c.Must(ctx, http.StatusOK, "GET", "/api/v1/districts/jingkai/guards/"+g.GuardID, nil, &guard); err != nil {
			t.Fatal(err)
		}
		want = append(want, g.GuardID+"="+guard.Name)
	}
	var shown []string
	t.Logf("the API's certificate gaps of %s: %v", co.Name, want)
	run(t, b, chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		for {
			got, err := chromedp.Evaluate[[]string](`[...document.querySelectorAll('[data-test=gaps] [data-guard]')].map(e => e.dataset.guard + '=' + e.textContent.trim())`)(ctx, tg)
			if err != nil {
				return err
			}
			shown = got
			if strings.Join(got, ",") == strings.Join(want, ",") {
				return nil
			}
			select {
			case <-ctx.Done():
				return fmt.Errorf("gap guards shown %v, the API's %v: %w", shown, want, ctx.Err())
			case <-time.After(100 * time.Millisecond): // polling interval
			}
		}
	}), look("company.zh-CN"))

	// HQ's other pages: the SLA summary (every service's heartbeat as HQ
	// holds it), the conflicts, and jingkai's action items and dispatches,
	// each as the API has them.
	var ops struct {
		Items []struct {
			District string
			Services []struct {
				Service     string
				Alive       bool
				SilentSince *time.Time `json:"silent_since"`
			}
		}
	}
	if err := c.Must(ctx, http.StatusOK, "GET", "/api/v1/hq/districts", nil, &ops); err != nil {
		t.Fatal(err)
	}
	run(t, b, chromedp.Click(css(`[data-test=nav-ops]`)), waitText(`[data-test=ops-status-jingkai]`, "正常"))
	// Every service as HQ holds it: alive, or silent since the instant HQ
	// gives (in Asia/Shanghai). A demo city normally has none silent, so
	// the silent case is checked by the text it would show whenever one
	// is, not skipped; the log says how many were.
	silent := 0
	for _, d := range ops.Items {
		for _, sv := range d.Services {
			want := "是"
			if !sv.Alive {
				silent++
				if sv.SilentSince == nil {
					t.Errorf("HQ says %s/%s is silent without silent_since", d.District, sv.Service)
					continue
				}
				want = "自 " + sv.SilentSince.In(time.FixedZone("CST", 8*3600)).Format("2006/01/02 15:04") + " 失联"
			}
			run(t, b, waitText(fmt.Sprintf(`[data-test=alive-%s-%s]`, d.District, sv.Service), want))
		}
	}
	t.Logf("ops: %d services silent", silent)
	run(t, b, look("ops.zh-CN"))
	// A directive to the whole city: every district node materialises it;
	// the delivery shows each as the API does.
	directive := fmt.Sprintf("关于加强岁末年初安保工作的指令 %d", time.Now().Unix())
	run(t, b, chromedp.Click(css(`[data-test=nav-directives]`)), chromedp.Click(css(`[data-test=new-directive]`)),
		chromedp.SendKeys(css(`#gh-directive-title`), directive),
		chromedp.SendKeys(css(`#gh-directive-body`), "各片区：请**立即**部署岁末年初安保工作。"),
		chromedp.SendKeys(css(`#gh-directive-deadline`), time.Now().Add(48*time.Hour).Local().Format("2006-01-02 15:04:05")+"\t"),
		chromedp.Click(css(`[data-test=directive-submit]`)),
		waitText(`[data-test=delivery-jingkai]`, "已送达"), waitText(`[data-test=delivery-caidian]`, "已送达"), look("directives.zh-CN"))
	var directives struct {
		Items []struct {
			ID    string `json:"id"`
			Title string `json:"title"`
		}
	}
	if err := c.Must(ctx, http.StatusOK, "GET", "/api/v1/hq/directives", nil, &directives); err != nil || len(directives.Items) != 1 || directives.Items[0].Title != directive {
		t.Fatalf("the API's directives: %v %+v", err, directives.Items)
	}
	var delivery struct {
		Delivered int  `json:"delivered_districts"`
		Complete  bool `json:"complete"`
	}
	if err := c.Must(ctx, http.StatusOK, "GET", "/api/v1/hq/directives/"+directives.Items[0].ID+"/delivery", nil, &delivery); err != nil || delivery.Delivered != 2 || !delivery.Complete {
		t.Errorf("the API's delivery: %v %+v, want both districts", err, delivery)
	}

	var conflicts struct{ Items []json.RawMessage }
	if err := c.Must(ctx, http.StatusOK, "GET", "/api/v1/hq/conflicts", nil, &conflicts); err != nil {
		t.Fatal(err)
	}
	if len(conflicts.Items) == 0 {
		run(t, b, chromedp.Click(css(`[data-test=nav-conflicts]`)), waitText(`[data-test=conflicts] .el-table__empty-text`, "没有冲突"), look("conflicts.zh-CN"))
	}
	var items struct {
		Items []struct {
			ID      string `json:"id"`
			Overdue bool   `json:"overdue"`
		}
	}
	if err := c.Must(ctx, http.StatusOK, "GET", "/api/v1/districts/jingkai/action-items?page_size=20", nil, &items); err != nil {
		t.Fatal(err)
	}
	overdue := 0
	for _, it := range items.Items {
		if it.Overdue {
			overdue++
		}
	}
	run(t, b, chromedp.Navigate(c.Base+"/districts/jingkai/action-items"), chromedp.WaitVisible(css(`[data-test=action-items] .el-table__body tr`)),
		waitCount(`[data-test=action-items] [data-test^=overdue-]`, overdue), look("action-items.zh-CN"),
		chromedp.Navigate(c.Base+"/districts/jingkai/dispatches"), waitText(`[data-test=dispatches] .el-table__body tr td:nth-child(4)`, "已结束"), look("dispatches.zh-CN"),
		chromedp.Click(css(`[data-test=raise-dispatch]`)), chromedp.WaitVisible(css(`#gh-dispatch-kind`)), look("dispatch-raise.zh-CN"),
		chromedp.Click(css(`.el-dialog__headerbtn`)), chromedp.WaitNotVisible(css(`#gh-dispatch-kind`)))

	// The convention campaign in caidian (the demo's signatures are
	// jingkai's): the rate as the API has it, the active companies yet to
	// sign; HQ records one's signature and both follow.
	type convRate struct {
		Rate      *float64 `json:"rate"`
		Signed    int      `json:"signed"`
		Companies int      `json:"companies"`
	}
	unsignedOf := func() (convRate, []string) {
		var r convRate
		if err := c.Must(ctx, http.StatusOK, "GET", "/api/v1/districts/caidian/convention/rate", nil, &r); err != nil {
			t.Fatal(err)
		}
		var conv struct{ Version string }
		if err := c.Must(ctx, http.StatusOK, "GET", "/api/v1/districts/caidian/convention", nil, &conv); err != nil {
			t.Fatal(err)
		}
		var sigs struct {
			Items []struct {
				CompanyID string `json:"company_id"`
				Current   bool   `json:"current"`
			}
		}
		if err := c.Must(ctx, http.StatusOK, "GET", "/api/v1/districts/caidian/convention/signatures?page_size=500&convention_version="+conv.Version, nil, &sigs); err != nil {
			t.Fatal(err)
		}
		var cos struct{ Items []struct{ ID string } }
		if err := c.Must(ctx, http.StatusOK, "GET", "/api/v1/districts/caidian/companies?status=active&page_size=500", nil, &cos); err != nil {
			t.Fatal(err)
		}
		signed := map[string]bool{}
		for _, s := range sigs.Items {
			signed[s.CompanyID] = signed[s.CompanyID] || s.Current
		}
		var out []string
		for _, co := range cos.Items {
			if !signed[co.ID] {
				out = append(out, co.ID)
			}
		}
		return r, out
	}
	unsignedShown := func(want []string) step {
		return chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
			var got []string
			for {
				var err error
				got, err = chromedp.Evaluate[[]string](`[...document.querySelectorAll('[data-test=convention-unsigned] [data-company]')].map(e => e.dataset.company)`)(ctx, tg)
				if err == nil && strings.Join(got, ",") == strings.Join(want, ",") {
					return nil
				}
				select {
				case <-ctx.Done():
					return fmt.Errorf("companies yet to sign shown %v, the API's %v", got, want)
				case <-time.After(100 * time.Millisecond): // polling interval
				}
			}
		})
	}
	rate0, unsigned0 := unsignedOf()
	if len(unsigned0) == 0 || rate0.Companies == 0 {
		t.Fatalf("caidian's convention: rate %+v, unsigned %v: want companies yet to sign", rate0, unsigned0)
	}
	run(t, b, chromedp.Navigate(c.Base+"/districts/caidian"), chromedp.Click(css(`[data-test=district-convention]`)),
		waitText(`[data-test=convention-rate]`, rateText(rate0.Rate)), waitText(`[data-test=convention-signed]`, fmt.Sprintf("%d / %d", rate0.Signed, rate0.Companies)),
		unsignedShown(unsigned0), look("convention.zh-CN"),
		chromedp.Click(css(fmt.Sprintf(`[data-test="sign-%s"]`, unsigned0[0]))), chromedp.WaitVisible(css(`#gh-sign-by`)),
		chromedp.SendKeys(css(`#gh-sign-by`), "（法定代表人）"), chromedp.Click(css(`[data-test=sign-submit]`)), chromedp.WaitNotVisible(css(`#gh-sign-by`)),
		unsignedShown(unsigned0[1:]))
	rate1, unsigned1 := unsignedOf()
	if rate1.Signed != rate0.Signed+1 || strings.Join(unsigned1, ",") != strings.Join(unsigned0[1:], ",") {
		t.Errorf("after the signature the API's rate %+v and unsigned %v", rate1, unsigned1)
	}
	run(t, b, waitText(`[data-test=convention-rate]`, rateText(rate1.Rate)), waitText(`[data-test=convention-signed]`, fmt.Sprintf("%d / %d", rate1.Signed, rate1.Companies)))

	// Field visits in jingkai (the demo's fieldwork): the plan's periods,
	// the companies due and the visits, as the API has them.
	var vplan struct {
		Periods []struct {
			Period           string
			Visited, Planned int
		}
	}
	var due struct {
		Companies []struct {
			CompanyID string `json:"company_id"`
		}
	}
	var visits struct{ Items []struct{ ID string } }
	for path, out := range map[string]any{"/plan": &vplan, "/unvisited": &due, "?page_size=20": &visits} {
		if err := c.Must(ctx, http.StatusOK, "GET", "/api/v1/districts/jingkai/field-visits"+path, nil, out); err != nil {
			t.Fatal(err)
		}
	}
	if len(vplan.Periods) == 0 || len(visits.Items) == 0 {
		t.Fatalf("the demo's field visits: plan %+v, visits %+v", vplan, visits)
	}
	attrs := func(table, attr string) chromedp.Action[[]string] {
		return chromedp.Evaluate[[]string](fmt.Sprintf(`[...document.querySelectorAll('[data-test=%s] [data-%s]')].map(e => e.dataset.%s)`, table, attr, attr))
	}
	run(t, b, chromedp.Navigate(c.Base+"/districts/jingkai"), chromedp.Click(css(`[data-test=district-visits]`)),
		waitCount(`[data-test=visits] [data-visit]`, len(visits.Items)), waitCount(`[data-test=visit-due] [data-company]`, len(due.Companies)))
	for _, p := range vplan.Periods {
		run(t, b, waitText(fmt.Sprintf(`[data-test="visit-period-%s"]`, p.Period), fmt.Sprintf("%d / %d", p.Visited, p.Planned)))
	}
	shownVisits, err := chromedp.Run(b, attrs("visits", "visit"))
	if err != nil {
		t.Fatal(err)
	}
	shownDue, err := chromedp.Run(b, attrs("visit-due", "company"))
	if err != nil {
		t.Fatal(err)
	}
	var wantVisits, wantDue []string
	for _, v := range visits.Items {
		wantVisits = append(wantVisits, v.ID)
	}
	for _, d := range due.Companies {
		wantDue = append(wantDue, d.CompanyID)
	}
	if strings.Join(shownVisits, ",") != strings.Join(wantVisits, ",") || strings.Join(shownDue, ",") != strings.Join(wantDue, ",") {
		t.Errorf("field visits shown %v, due %v; the API's %v, %v", shownVisits, shownDue, wantVisits, wantDue)
	}
	run(t, b, look("field-visits.zh-CN"))

	// English: every string, the status, and the chart re-created.
	run(t, b, chromedp.Click(css(`[data-test=lang]`)), waitText(`[data-test=lang]`, "中文"), look("company.en"),
		chromedp.Click(css(`[data-test=nav-city]`)), waitText(`h1`, "The city at a glance"),
		waitText(`[data-test=status-jingkai]`, "OK"), chromedp.WaitVisible(css(`[data-test=rates-chart] canvas`)), look("city.en"),
		chromedp.Click(css(`[data-test=nav-ops]`)), waitText(`[data-test=ops-status-jingkai]`, "OK"), look("ops.en"),
		chromedp.Click(css(`[data-test=nav-conflicts]`)), chromedp.WaitVisible(css(`[data-test=conflicts]`)), look("conflicts.en"),
		chromedp.Navigate(c.Base+"/districts/jingkai/action-items"), chromedp.WaitVisible(css(`[data-test=action-items] .el-table__body tr`)), look("action-items.en"),
		chromedp.Navigate(c.Base+"/districts/jingkai/dispatches"), waitText(`[data-test=dispatches] .el-table__body tr td:nth-child(4)`, "Closed"), look("dispatches.en"),
		chromedp.Navigate(c.Base+"/districts/caidian/convention"), waitText(`[data-test=convention-rate]`, rateText(rate1.Rate)), look("convention.en"),
		chromedp.Navigate(c.Base+"/districts/jingkai/field-visits"), waitText(`h1`, "Field visits"), look("field-visits.en"),
		chromedp.Click(css(`[data-test=nav-city]`)), waitText(`h1`, "The city at a glance"))
	if lang, err := chromedp.Run(b, chromedp.Evaluate[string](`document.documentElement.lang`)); err != nil || lang != "en" {
		t.Errorf("html lang %q (%v), want en", lang, err)
	}
	run(t, b, chromedp.Click(css(`[data-test=district-jingkai]`)),
		chromedp.WaitVisible(css(fmt.Sprintf(`[data-test="company-%s"]`, co.CompanyID))), look("district.en"),
		chromedp.Click(css(`[data-test=logout]`)), chromedp.WaitVisible(css(`[data-test=username]`)), look("login.en"),
		chromedp.Click(css(`[data-test=lang]`)), waitText(`[data-test=lang]`, "English"), look("login.zh-CN"))

	// A company admin lands on its own company; the city view is refused
	// by the API and the console says so.
	if err := c.Must(ctx, http.StatusCreated, "POST", "/api/v1/auth/accounts", map[string]any{"username": "ca-console", "password": "ca-console right password",
		"role": "company-admin", "districts": []string{"jingkai"}, "company": co.CompanyID}, nil); err != nil {
		t.Fatal(err)
	}
	run(t, b, login(c.Base, "ca-console", "ca-console right password"),
		waitText(`[data-test=role]`, "会员单位管理员"), chromedp.WaitVisible(css(`[data-test=company-rate-certified]`)))
	path, err := chromedp.Run(b, chromedp.Evaluate[string](`location.pathname`))
	if err != nil {
		t.Fatal(err)
	}
	cityLinks, err := chromedp.Run(b, chromedp.Evaluate[int](`document.querySelectorAll('[data-test=nav-city]').length`))
	if err != nil {
		t.Fatal(err)
	}
	if path != "/districts/jingkai/companies/"+co.CompanyID || cityLinks != 0 {
		t.Errorf("company admin landed on %s with %d city links", path, cityLinks)
	}
	run(t, b, chromedp.Navigate(c.Base+"/city"), waitText(`[data-test=load-error] .el-alert__title`, "您的角色无权查看此页面"))

	// The demo team's leader scans the checkpoint on a phone: where the
	// checkpoint is, during the shift the demo put them on now.
	var teams struct {
		Items []struct {
			LeaderGuardID string `json:"leader_guard_id"`
		}
	}
	if err := c.Must(ctx, http.StatusOK, "GET", "/api/v1/districts/jingkai/teams", nil, &teams); err != nil || len(teams.Items) == 0 {
		t.Fatalf("the demo's teams: %v %+v", err, teams)
	}
	leader := teams.Items[0].LeaderGuardID
	var lg struct {
		CompanyID string `json:"company_id"`
	}
	if err := c.Must(ctx, http.StatusOK, "GET", "/api/v1/districts/jingkai/guards/"+leader, nil, &lg); err != nil {
		t.Fatal(err)
	}
	if err := c.Must(ctx, http.StatusCreated, "POST", "/api/v1/auth/accounts", map[string]any{"username": "leader-console", "password": "leader-console right password",
		"role": "guard", "districts": []string{"jingkai"}, "company": lg.CompanyID, "guard": leader}, nil); err != nil {
		t.Fatal(err)
	}
	// The district lead follows the shift live in a tab of its own: the
	// plan's fill rate and today's coverage as the API has them, then the
	// shift's report, which shows the leader's scan when it is made.
	if err := c.Must(ctx, http.StatusCreated, "POST", "/api/v1/auth/accounts", map[string]any{"username": "lead-patrols", "password": "lead-patrols right password",
		"role": "district-admin", "districts": []string{"jingkai"}}, nil); err != nil {
		t.Fatal(err)
	}
	var plan struct {
		Items []struct {
			ID       string   `json:"id"`
			FillRate *float64 `json:"fill_rate"`
		}
	}
	if err := c.Must(ctx, http.StatusOK, "GET", "/api/v1/districts/jingkai/plans", nil, &plan); err != nil || len(plan.Items) != 1 || plan.Items[0].FillRate == nil {
		t.Fatalf("the demo's plans: %v %+v", err, plan)
	}
	cst := time.FixedZone("CST", 8*3600)
	midnight, _ := time.ParseInLocation("2006-01-02", time.Now().In(cst).Format("2006-01-02"), cst)
	var coverage struct {
		Areas []struct {
			AreaID   string   `json:"area_id"`
			FillRate *float64 `json:"fill_rate"`
			GapHours int      `json:"gap_hours"`
		}
	}
	if err := c.Must(ctx, http.StatusOK, "GET", "/api/v1/districts/jingkai/coverage?from="+midnight.UTC().Format(time.RFC3339)+"&to="+midnight.Add(24*time.Hour).UTC().Format(time.RFC3339), nil, &coverage); err != nil || len(coverage.Areas) != 1 {
		t.Fatalf("today's coverage: %v %+v", err, coverage)
	}
	pl, cancelPl := chromedp.NewContext(b)
	defer cancelPl()
	if err := chromedp.Do(pl); err != nil {
		t.Fatal(err)
	}
	area := coverage.Areas[0]
	run(t, pl, login(c.Base, "lead-patrols", "lead-patrols right password"), chromedp.Click(css(`[data-test=nav-patrols-jingkai]`)),
		waitText(fmt.Sprintf(`[data-test="plan-fill-%s"]`, plan.Items[0].ID), rateText(plan.Items[0].FillRate)),
		waitText(fmt.Sprintf(`[data-test="coverage-fill-%s"]`, area.AreaID), rateText(area.FillRate)),
		waitText(fmt.Sprintf(`[data-test="coverage-gaps-%s"]`, area.AreaID), fmt.Sprint(area.GapHours)),
		chromedp.Click(css(fmt.Sprintf(`[data-test="plan-%s"]`, plan.Items[0].ID))), chromedp.Click(css(`[data-test=shift-0]`)),
		waitText(fmt.Sprintf(`[data-test="accepted-%s"]`, leader), "0 / 1"), waitText(`[data-test=scans] .el-table__empty-text`, "尚无打卡"))
	phone, cancelPhone := chromedp.NewContext(b)
	defer cancelPhone()
	lat, lng, acc := 30.5093, 114.1637, 8.0
	if err := chromedp.Do(phone, chromedp.EmulateViewport(390, 844, chromedp.EmulateMobile, chromedp.EmulateTouch, chromedp.EmulateScale(2)),
		chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
			if _, err := chromedp.CallBrowser(ctx, cdpbrowser.SetPermission, cdpbrowser.SetPermissionParams{
				Permission: &cdpbrowser.PermissionDescriptor{Name: "geolocation"}, Setting: cdpbrowser.PermissionSettingGranted, Origin: c.Base}); err != nil {
				return err
			}
			_, err := chromedp.Call(ctx, emulation.SetGeolocationOverride, emulation.SetGeolocationOverrideParams{Latitude: &lat, Longitude: &lng, Accuracy: &acc})
			return err
		})); err != nil {
		t.Fatal(err)
	}
	run(t, phone, login(c.Base, "leader-console", "leader-console right password"),
		chromedp.WaitVisible(css(`#gh-scan-tag`)), chromedp.SendKeys(css(`#gh-scan-tag`), "QR-demo-jingkai-0001"),
		chromedp.Click(css(`[data-test=scan-submit]`)), chromedp.WaitVisible(css(`[data-test=scan-accepted]`)), look("scan.zh-CN"),
		// A tag of no checkpoint: the API's reason, as such.
		chromedp.SendKeys(css(`#gh-scan-tag`), "QR-no-such-tag"), chromedp.Click(css(`[data-test=scan-submit]`)),
		chromedp.WaitVisible(css(`[data-test=scan-error]`)), look("scan-refused.zh-CN"))
	// The lead's page shows the scan without a reload.
	run(t, pl, waitText(fmt.Sprintf(`[data-test="accepted-%s"]`, leader), "1 / 1"), waitText(`[data-test=scans] .el-table__body tr td:nth-child(3)`, "商圈东门"),
		look("patrols.zh-CN"), chromedp.Click(css(`[data-test=lang]`)), waitText(`[data-test=scans] .el-table__body tr td:nth-child(3)`, "商圈东门"),
		waitText(`h1`, "Patrol plans and live scans"), look("patrols.en"))
	var plans struct{ Items []struct{ ID string } }
	if err := c.Must(ctx, http.StatusOK, "GET", "/api/v1/districts/jingkai/plans", nil, &plans); err != nil || len(plans.Items) == 0 {
		t.Fatalf("plans: %v %+v", err, plans)
	}
	var shifts struct{ Items []struct{ ID string } }
	if err := c.Must(ctx, http.StatusOK, "GET", "/api/v1/districts/jingkai/plans/"+plans.Items[0].ID+"/shifts", nil, &shifts); err != nil || len(shifts.Items) == 0 {
		t.Fatalf("shifts: %v %+v", err, shifts)
	}
	var report struct {
		Guards []struct {
			GuardID  string `json:"guard_id"`
			Accepted int    `json:"accepted"`
		}
	}
	if err := c.Must(ctx, http.StatusOK, "GET", "/api/v1/districts/jingkai/shifts/"+shifts.Items[0].ID+"/report", nil, &report); err != nil {
		t.Fatal(err)
	}
	if len(report.Guards) != 1 || report.Guards[0].GuardID != leader || report.Guards[0].Accepted != 1 {
		t.Errorf("the shift's report: %+v, want the leader's one accepted scan", report.Guards)
	}

	// A wrong password is refused with the API's message, and nothing
	// is stored.
	run(t, b, chromedp.Click(css(`[data-test=logout]`)), login(c.Base, "ca-console", "not the password"),
		chromedp.WaitVisible(css(`[data-test=login-error]`)))
	if stored, err := chromedp.Run(b, chromedp.Evaluate[string](`sessionStorage.getItem('guildhall.token') || ''`)); err != nil || stored != "" {
		t.Errorf("a refused login stored a token %q (%v)", stored, err)
	}
}

// TestConsoleMeetingCheckInByQRCode: a district lead creates a meeting in
// the console, schedules it and invites a company; the invitation's QR
// code carries the check-in URL; the company's admin opens that URL on
// another device (a tab of its own: its own session), logs in, and is
// checked in; the lead's attendance list shows the company present, as
// the API does.
func TestConsoleMeetingCheckInByQRCode(t *testing.T) {
	chromiumPath(t)
	_, c := startCity(t, t.TempDir())
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	// look photographs the page and holds it to WCAG 2 A/AA (axe-core).
	shots, axe := screenshotDir(t), axeSource(t)
	look := func(name string) step { return chromedp.Steps(shot(shots, name), accessible(t, axe, name)) }
	co, err := c.RegisterActiveCompany(ctx, "jingkai", 81)
	if err != nil {
		t.Fatal(err)
	}
	var coInfo struct{ Name string }
	if err := c.Must(ctx, http.StatusOK, "GET", "/api/v1/districts/jingkai/companies/"+co, nil, &coInfo); err != nil {
		t.Fatal(err)
	}
	// Meetings learns the company from membership's events: until then an
	// invitation of it is company.not_found.
	var scratch struct{ ID string }
	now := time.Now().UTC()
	if err := c.Must(ctx, http.StatusCreated, "POST", "/api/v1/districts/jingkai/meetings", map[string]any{"type": "district_roundtable", "title": "探测",
		"starts_at": now.Add(48 * time.Hour), "ends_at": now.Add(50 * time.Hour)}, &scratch); err != nil {
		t.Fatal(err)
	}
	poll(t, "meetings to know the company", func() bool {
		status, _, err := c.Do(ctx, "POST", "/api/v1/districts/jingkai/meetings/"+scratch.ID+"/invitations", map[string]any{"companies": []map[string]string{{"company_id": co}}}, nil)
		return err == nil && status == http.StatusCreated
	})
	for _, a := range []map[string]any{
		{"username": "vp-console", "password": "vp-console right password", "role": "district-admin", "districts": []string{"jingkai"}},
		{"username": "ca-qr", "password": "ca-qr right password", "role": "company-admin", "districts": []string{"jingkai"}, "company": co},
	} {
		a := a
		poll(t, "the account "+a["username"].(string), func() bool {
			status, _, err := c.Do(ctx, "POST", "/api/v1/auth/accounts", a, nil)
			return err == nil && status == http.StatusCreated
		})
	}

	lead := browser(t, ctx)
	// The browser's clock zone is the machine's; the picker reads what is
	// typed in it. The meeting starts in ten minutes: a check-in now is
	// on time.
	local := func(tm time.Time) string { return tm.Local().Format("2006-01-02 15:04:05") }
	title := fmt.Sprintf("经开片区二维码签到演练 %d", now.Unix())
	run(t, lead, login(c.Base, "vp-console", "vp-console right password"),
		chromedp.Click(css(`[data-test=nav-meetings-jingkai]`)), chromedp.WaitVisible(css(`[data-test=new-meeting]`)), look("meetings.zh-CN"),
		chromedp.Click(css(`[data-test=new-meeting]`)),
		chromedp.SendKeys(css(`input[data-test=meeting-title]`), title),
		chromedp.SendKeys(css(`#gh-meeting-starts`), local(now.Add(10*time.Minute))+"\t"),
		chromedp.SendKeys(css(`#gh-meeting-ends`), local(now.Add(2*time.Hour))+"\t"),
		chromedp.SendKeys(css(`input[data-test=meeting-venue]`), "经开区保安协会会议室"),
		chromedp.Click(css(`[data-test=meeting-create]`)),
		waitText(`[data-test=meeting-heading]`, title),
		waitText(`[data-test=meeting-status]`, "草稿"),
		// The page has settled (its lists loaded) before the click lands.
		waitText(`[data-test=invitations] .el-table__empty-text`, "暂无数据"),
		chromedp.Click(css(`[data-test=meeting-advance]`)), waitText(`[data-test=meeting-status]`, "已安排"),
		chromedp.Click(css(`#gh-invite-companies`)),
		// Typing filters the list; the option is chosen, and a click
		// elsewhere closes the list (it covers the invite button).
		chromedp.SendKeys(css(`#gh-invite-companies`), coInfo.Name),
		clickOption(coInfo.Name),
		chromedp.Click(css(`[data-test=meeting-heading]`)),
		chromedp.Click(css(`[data-test=invite]`)),
		chromedp.WaitVisible(css(`[data-test=qr-codes] figure img`)),
		waitText(fmt.Sprintf(`[data-test="attendance-%s"]`, co), "未签到"), look("meeting.zh-CN"))
	url, err := chromedp.Run(lead, chromedp.Evaluate[string](`document.querySelector('[data-test=qr-codes] figure').dataset.checkinUrl`))
	if err != nil {
		t.Fatal(err)
	}
	img, err := chromedp.Run(lead, chromedp.Evaluate[string](`document.querySelector('[data-test=qr-codes] figure img').src`))
	if err != nil || !strings.HasPrefix(img, "data:image/png;base64,") {
		t.Fatalf("the QR code is not an image: %.60s %v", img, err)
	}
	if !strings.HasPrefix(url, c.Base+"/check-in/jingkai/") || !strings.Contains(url, "?code=") {
		t.Fatalf("check-in URL %q", url)
	}
	var meetings struct {
		Items []struct {
			ID    string `json:"id"`
			Title string `json:"title"`
		}
	}
	if err := c.Must(ctx, http.StatusOK, "GET", "/api/v1/districts/jingkai/meetings", nil, &meetings); err != nil {
		t.Fatal(err)
	}
	var mid string
	for _, m := range meetings.Items {
		if m.Title == title {
			mid = m.ID
		}
	}
	if mid == "" || !strings.Contains(url, "/check-in/jingkai/"+mid+"?") {
		t.Fatalf("the console's meeting %q (%s) is not the QR code's %s", title, mid, url)
	}

	// The company admin's phone: a tab of its own (its own session).
	phone, cancelPhone := chromedp.NewContext(lead)
	defer cancelPhone()
	// The tab lives as long as the context of its first run: open it
	// here, not inside run's timeout.
	if err := chromedp.Do(phone, chromedp.EmulateViewport(390, 844, chromedp.EmulateMobile, chromedp.EmulateTouch, chromedp.EmulateScale(2))); err != nil {
		t.Fatal(err)
	}
	run(t, phone, chromedp.Navigate(url),
		chromedp.WaitVisible(css(`input[data-test=username]`)),
		chromedp.SendKeys(css(`input[data-test=username]`), "ca-qr"),
		chromedp.SendKeys(css(`input[data-test=password]`), "ca-qr right password"),
		chromedp.Click(css(`[data-test=submit]`)),
		chromedp.WaitVisible(css(`[data-test=checkin-done]`)), waitText(`[data-test=checkin-status]`, "已到"), look("check-in.zh-CN"))
	// Scanning again: the API's refusal, said as such.
	run(t, phone, chromedp.Navigate(url), chromedp.WaitVisible(css(`[data-test=checkin-failed]`)), waitText(`[data-test=checkin-error-id]`, "invitation.already_checked_in"))

	run(t, lead, waitText(fmt.Sprintf(`[data-test="attendance-%s"]`, co), "已到"),
		chromedp.Click(css(`[data-test=lang]`)), waitText(fmt.Sprintf(`[data-test="attendance-%s"]`, co), "Present"), look("meeting.en"),
		chromedp.Click(css(`[data-test=nav-meetings-jingkai]`)), chromedp.WaitVisible(css(fmt.Sprintf(`[data-test="meeting-%s"]`, mid))), look("meetings.en"))
	// A notice: the lead publishes it, the company reads and acknowledges
	// it on its phone, the lead sees the receipt.
	notice := fmt.Sprintf("关于冬季消防安全自查的通知 %d", now.Unix())
	run(t, lead, chromedp.Click(css(`[data-test=lang]`)), waitText(`[data-test=lang]`, "English"),
		chromedp.Click(css(`[data-test=nav-notices-jingkai]`)), chromedp.Click(css(`[data-test=new-notice]`)),
		chromedp.SendKeys(css(`#gh-notice-title`), notice),
		chromedp.SendKeys(css(`#gh-notice-body`), "各会员单位：请于**本周五**前完成自查并签收。"),
		chromedp.SendKeys(css(`#gh-notice-deadline`), local(now.Add(72*time.Hour))+"\t"),
		chromedp.Click(css(`[data-test=notice-submit]`)),
		waitText(`[data-test=notices] .el-table__body tr td`, notice), look("notices.zh-CN"))
	run(t, phone, chromedp.Click(css(`[data-test=nav-company-notices-jingkai]`)),
		waitText(`[data-test=company-notices] .el-table__body tr td`, notice), look("company-notices.zh-CN"),
		chromedp.Click(css(`[data-test^=notice-]`)), chromedp.WaitVisible(css(`[data-test=notice-body] strong`)),
		chromedp.SendKeys(css(`#gh-receipt-by`), "刘安全"), look("notice.zh-CN"),
		chromedp.Click(css(`[data-test=acknowledge]`)), chromedp.WaitVisible(css(`[data-test=acknowledged]`)))
	run(t, lead, chromedp.Reload(), waitText(`[data-test^=acks-]`, "1 / 1"))
	var notices struct {
		Items []struct {
			Title        string `json:"title"`
			Acknowledged int    `json:"acknowledged"`
			Read         int    `json:"read"`
		}
	}
	if err := c.Must(ctx, http.StatusOK, "GET", "/api/v1/districts/jingkai/notices", nil, &notices); err != nil {
		t.Fatal(err)
	}
	if len(notices.Items) != 1 || notices.Items[0].Title != notice || notices.Items[0].Acknowledged != 1 || notices.Items[0].Read != 1 {
		t.Errorf("the API's notices: %+v", notices.Items)
	}

	// A wage dispute reported through the API shows on the lead's
	// disputes page with its response timer.
	var dispute struct {
		ID string `json:"id"`
	}
	poll(t, "compliance to know the company", func() bool {
		status, _, err := c.Do(ctx, "POST", "/api/v1/districts/jingkai/compliance/disputes", map[string]any{"company_id": co, "kind": "wages",
			"parties": []map[string]string{{"role": "guard", "name": "赵师傅"}, {"role": "company", "id": co, "name": coInfo.Name}},
			"amount":  4200, "description": "十一月工资未按时足额发放"}, &dispute)
		return err == nil && status == http.StatusCreated
	})
	run(t, lead, chromedp.Navigate(c.Base+"/districts/jingkai/disputes"),
		waitText(`[data-test=disputes] .el-table__body tr td`, "工资"), waitText(`[data-test=disputes] .el-table__body tr td:nth-child(3)`, "已报告"),
		look("disputes.zh-CN"), chromedp.Navigate(c.Base+"/districts/jingkai/inspections"),
		waitText(`[data-test=inspections] .el-table__empty-text`, "暂无排查记录"), look("inspections.zh-CN"))

	// Wages: the company declares last month's wages in arrears on its
	// phone; the lead sees the month's rates as the API has them (on time:
	// not reported, the company was not active last month), and records
	// the union contact's dispute.
	run(t, phone, chromedp.Click(css(`.el-drawer__close-btn`)), chromedp.WaitNotPresent(css(`[data-test=notice-body]`)),
		chromedp.WaitVisible(css(`[data-test=nav-wages-jingkai]`)), chromedp.Navigate(c.Base+"/districts/jingkai/wages"), chromedp.Click(css(`[data-test=declare]`)),
		chromedp.Click(css(`[data-test=paid-in-full]`)),
		chromedp.SendKeys(css(`#gh-wage-guards`), "3"), chromedp.SendKeys(css(`#gh-wage-amount`), "12000"),
		chromedp.Click(css(`[data-test=declare-submit]`)), waitText(fmt.Sprintf(`[data-test="wage-%s"]`, co), "已申报"), look("wages-company.zh-CN"))
	var wstats struct {
		Month       string   `json:"month"`
		OnTimeRate  *float64 `json:"on_time_rate"`
		ArrearsRate *float64 `json:"arrears_rate"`
	}
	if err := c.Must(ctx, http.StatusOK, "GET", "/api/v1/districts/jingkai/compliance/wages/stats", nil, &wstats); err != nil {
		t.Fatal(err)
	}
	run(t, lead, chromedp.Navigate(c.Base+"/districts/jingkai/wages"),
		waitText(`[data-test=wage-on-time]`, rateText(wstats.OnTimeRate)), waitText(fmt.Sprintf(`[data-test="wage-%s"]`, co), "已申报"),
		chromedp.Click(css(fmt.Sprintf(`[data-test="review-%s"]`, co))), chromedp.Click(css(`.el-dialog .el-radio-button:nth-child(2)`)),
		chromedp.SendKeys(css(`#gh-wage-note`), "工会核实：拖欠人数为 5 人"), chromedp.Click(css(`[data-test=review-submit]`)),
		waitText(fmt.Sprintf(`[data-test="wage-%s"]`, co), "工会有异议"), look("wages.zh-CN"))
	var decls struct {
		Items []struct {
			Status    string `json:"status"`
			DisputeID string `json:"dispute_id"`
		}
	}
	if err := c.Must(ctx, http.StatusOK, "GET", "/api/v1/districts/jingkai/compliance/wages?month="+wstats.Month, nil, &decls); err != nil {
		t.Fatal(err)
	}
	if len(decls.Items) != 1 || decls.Items[0].Status != "disputed" || decls.Items[0].DisputeID == "" || wstats.ArrearsRate == nil || *wstats.ArrearsRate != 1 {
		t.Errorf("the API's declarations %+v, rates %+v", decls.Items, wstats)
	}

	var invs struct {
		Items []struct {
			CompanyID string `json:"company_id"`
			Status    string `json:"status"`
		}
	}
	if err := c.Must(ctx, http.StatusOK, "GET", "/api/v1/districts/jingkai/meetings/"+mid+"/invitations", nil, &invs); err != nil {
		t.Fatal(err)
	}
	if len(invs.Items) != 1 || invs.Items[0].CompanyID != co || invs.Items[0].Status != "present" {
		t.Errorf("the API's invitations: %+v, want the company present", invs.Items)
	}
}

// TestConsoleImportShowsTheRowReport: a company admin imports an .xlsx
// with one good row, a row whose ID number fails its check digit and a
// row repeating the first one's ID number; the console follows the job to
// its end and shows the report row by row exactly as the API's job has
// it; the good guard is on the roster tab.
func TestConsoleImportShowsTheRowReport(t *testing.T) {
	chromiumPath(t)
	_, c := startCity(t, t.TempDir())
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	// look photographs the page and holds it to WCAG 2 A/AA (axe-core).
	shots, axe := screenshotDir(t), axeSource(t)
	look := func(name string) step { return chromedp.Steps(shot(shots, name), accessible(t, axe, name)) }
	co, err := c.RegisterActiveCompany(ctx, "jingkai", 82)
	if err != nil {
		t.Fatal(err)
	}
	poll(t, "the company admin's account", func() bool {
		status, _, err := c.Do(ctx, "POST", "/api/v1/auth/accounts", map[string]any{"username": "ca-import", "password": "ca-import right password",
			"role": "company-admin", "districts": []string{"jingkai"}, "company": co}, nil)
		return err == nil && status == http.StatusCreated
	})
	good := citytest.ResidentID(8201)
	bad := good[:17] + string("0123456789X"[(strings.IndexByte("0123456789X", good[17])+1)%11])
	f := excelize.NewFile()
	for i, row := range [][]any{{"姓名", "身份证号"}, {"张卫国", good}, {"李建军", bad}, {"王志强", good}} {
		cell, _ := excelize.CoordinatesToCellName(1, i+1)
		if err := f.SetSheetRow("Sheet1", cell, &row); err != nil {
			t.Fatal(err)
		}
	}
	path := filepath.Join(t.TempDir(), "保安员名册.xlsx")
	if err := f.SaveAs(path); err != nil {
		t.Fatal(err)
	}

	b := browser(t, ctx)
	// Logged in with the keyboard alone: the field, Tab to the next,
	// Enter submits.
	run(t, b, chromedp.Navigate(c.Base+"/"), chromedp.WaitVisible(css(`input[data-test=username]`)),
		chromedp.Focus(css(`input[data-test=username]`)),
		chromedp.KeyEvent("ca-import\tca-import right password\r"),
		chromedp.WaitVisible(css(`#tab-import`)), chromedp.Click(css(`#tab-import`)),
		chromedp.SetUploadFiles(css(`#gh-import-file`), []string{path}),
		chromedp.Click(css(`[data-test=import-start]`)),
		waitText(`[data-test=import-summary]`, "已处理 3 / 3 行：成功 1 行，失败 2 行"), look("import.zh-CN"))
	jobID, err := chromedp.Run(b, chromedp.Evaluate[string](`document.querySelector('[data-test=import-summary]').dataset.job`))
	if err != nil {
		t.Fatal(err)
	}
	var job struct {
		Status string
		Errors []struct {
			Line    int    `json:"line"`
			Field   string `json:"field"`
			ErrorID string `json:"error_id"`
			Message string `json:"message"`
		}
	}
	if err := c.Must(ctx, http.StatusOK, "GET", "/api/v1/districts/jingkai/imports/"+jobID, nil, &job); err != nil {
		t.Fatal(err)
	}
	// The field is named in the console's language.
	fieldZh := map[string]string{"id_number": "身份证号", "name": "姓名"}
	var want []string
	for _, e := range job.Errors {
		want = append(want, fmt.Sprintf("%d|%s|%s|%s", e.Line, fieldZh[e.Field], e.Message, e.ErrorID))
	}
	if job.Status != "done" || len(want) != 2 || !strings.Contains(want[0], "guard.id_number_invalid") || !strings.Contains(want[1], "import.row_duplicate") {
		t.Fatalf("the API's job: %+v", job)
	}
	shown, err := chromedp.Run(b, chromedp.Evaluate[[]string](`[...document.querySelectorAll('[data-test=import-report] .el-table__body tr')].map(tr => [...tr.querySelectorAll('td')].map(td => td.innerText.trim()).join('|'))`))
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(shown, "\n") != strings.Join(want, "\n") {
		t.Errorf("the report shown:\n%s\nthe API's:\n%s", strings.Join(shown, "\n"), strings.Join(want, "\n"))
	}
	run(t, b, chromedp.Click(css(`[data-test=lang]`)), waitText(`[data-test=import-summary]`, "3 of 3 rows processed: 1 imported, 2 failed"), look("import.en"),
		chromedp.Click(css(`#tab-guards`)), waitText(`[data-test=guards] .el-table__body tr td`, "张卫国"), look("guards.en"),
		chromedp.Click(css(`[data-test=lang]`)), waitText(`[data-test=lang]`, "English"), look("guards.zh-CN"))
}

// TestConsoleMeetingAgendaMinutesAndResolutions: the district lead builds
// a meeting's agenda (adds two items, moves the second up: the API's
// order is the one shown), starts the meeting, takes minutes and
// publishes them as version 1, then edits a draft entry a colleague
// changed in between: the console sent the etag it read (If-Match), so
// the API refuses the stale edit (412 request.etag_stale), the page says
// what the entry says now, and only a second save replaces it. A
// resolution is adopted with an action item; the police read the
// published minutes with no way to change them.
func TestConsoleMeetingAgendaMinutesAndResolutions(t *testing.T) {
	chromiumPath(t)
	_, c := startCity(t, t.TempDir())
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	shots, axe := screenshotDir(t), axeSource(t)
	look := func(name string) step { return chromedp.Steps(shot(shots, name), accessible(t, axe, name)) }
	for _, a := range []map[string]any{
		{"username": "vp-minutes", "password": "vp-minutes right password", "role": "district-admin", "districts": []string{"jingkai"}},
		{"username": "police-minutes", "password": "police-minutes right password", "role": "police", "districts": []string{"jingkai"}},
	} {
		poll(t, "the account "+a["username"].(string), func() bool {
			status, _, err := c.Do(ctx, "POST", "/api/v1/auth/accounts", a, nil)
			return err == nil && status == http.StatusCreated
		})
	}
	now := time.Now().UTC()
	title := fmt.Sprintf("经开片区岁末安保工作会议 %d", now.Unix())
	var m struct{ ID string }
	if err := c.Must(ctx, http.StatusCreated, "POST", "/api/v1/districts/jingkai/meetings", map[string]any{"type": "district_working", "title": title,
		"starts_at": now.Add(10 * time.Minute), "ends_at": now.Add(2 * time.Hour)}, &m); err != nil {
		t.Fatal(err)
	}
	page := c.Base + "/districts/jingkai/meetings/" + m.ID
	base := "/api/v1/districts/jingkai/meetings/" + m.ID
	rows := func(table string) string { return fmt.Sprintf(`[data-test=%s] .el-table__body tr`, table) }

	b := browser(t, ctx)
	run(t, b, login(c.Base, "vp-minutes", "vp-minutes right password"), chromedp.WaitVisible(css(`[data-test=role]`)),
		chromedp.Navigate(page), waitText(`[data-test=meeting-heading]`, title),
		waitText(`[data-test=agenda] .el-table__empty-text`, "暂无议程"),
		chromedp.SendKeys(css(`#gh-agenda-title`), "通报本季度四个100%情况"), chromedp.SendKeys(css(`#gh-agenda-presenter`), "王会长"),
		chromedp.SendKeys(css(`#gh-agenda-duration`), "20"), chromedp.Click(css(`[data-test=agenda-add]`)), waitCount(rows("agenda"), 1),
		chromedp.SendKeys(css(`#gh-agenda-title`), "部署岁末年初安保工作"), chromedp.Click(css(`[data-test=agenda-add]`)), waitCount(rows("agenda"), 2),
		chromedp.Click(css(`[data-test=agenda-up-1]`)),
		waitText(rows("agenda")+`:nth-child(1) td:nth-child(3)`, "部署岁末年初安保工作"), look("meeting-agenda.zh-CN"))
	var agenda struct{ Items []struct{ Title string } }
	if err := c.Must(ctx, http.StatusOK, "GET", base+"/agenda", nil, &agenda); err != nil {
		t.Fatal(err)
	}
	if len(agenda.Items) != 2 || agenda.Items[0].Title != "部署岁末年初安保工作" || agenda.Items[1].Title != "通报本季度四个100%情况" {
		t.Errorf("the API's agenda: %+v, want the second item first", agenda.Items)
	}

	// Held: the minutes, version 1.
	run(t, b, chromedp.Click(css(`[data-test=meeting-advance]`)), waitText(`[data-test=meeting-status]`, "已安排"),
		chromedp.Click(css(`[data-test=meeting-advance]`)), waitText(`[data-test=meeting-status]`, "进行中"),
		chromedp.WaitVisible(css(`#gh-minute-speaker`)), chromedp.WaitNotPresent(css(`#gh-agenda-title`)),
		chromedp.SendKeys(css(`#gh-minute-speaker`), "王会长"), chromedp.SendKeys(css(`#gh-minute-text`), "各单位要落实岁末年初安保责任。"),
		chromedp.Click(css(`[data-test=minute-add]`)), waitText(`[data-test=minute-text-0]`, "各单位要落实岁末年初安保责任。"),
		chromedp.Click(css(`[data-test=minutes-publish]`)), chromedp.WaitVisible(css(`[data-test=minutes-v1]`)),
		waitText(rows("minutes")+` td:nth-child(4)`, "第 1 版"),
		chromedp.SendKeys(css(`#gh-minute-speaker`), "李队长"), chromedp.SendKeys(css(`#gh-minute-text`), "志愿巡逻队每晚两班。"),
		chromedp.Click(css(`[data-test=minute-add]`)), waitText(`[data-test=minute-text-1]`, "志愿巡逻队每晚两班。"),
		chromedp.WaitVisible(css(`[data-test=minute-edit-1]`)))
	var minutes struct {
		Entries []struct {
			ID          string `json:"id"`
			Text        string `json:"text"`
			PublishedIn int    `json:"published_in"`
		}
		Versions []struct{ Version, Entries int }
	}
	if err := c.Must(ctx, http.StatusOK, "GET", base+"/minutes?version=draft", nil, &minutes); err != nil {
		t.Fatal(err)
	}
	if len(minutes.Entries) != 2 || minutes.Entries[0].PublishedIn != 1 || minutes.Entries[1].PublishedIn != 0 || len(minutes.Versions) != 1 || minutes.Versions[0].Entries != 1 {
		t.Fatalf("the API's minutes: %+v", minutes)
	}
	// A colleague changes the draft entry while the lead has it open.
	draft := minutes.Entries[1].ID
	theirs := "志愿巡逻队每晚三班。"
	if err := c.Must(ctx, http.StatusOK, "PATCH", base+"/minutes/entries/"+draft, map[string]any{"text": theirs}, nil); err != nil {
		t.Fatal(err)
	}
	mine := "志愿巡逻队每晚两班。（补充：含周末）"
	entryText := func() string {
		var got struct{ Text string }
		if err := c.Must(ctx, http.StatusOK, "GET", base+"/minutes?version=draft", nil, &minutes); err != nil {
			t.Fatal(err)
		}
		for _, e := range minutes.Entries {
			if e.ID == draft {
				got.Text = e.Text
			}
		}
		return got.Text
	}
	run(t, b, chromedp.Click(css(`[data-test=minute-edit-1]`)), chromedp.WaitVisible(css(`#gh-edit-text`)),
		chromedp.SendKeys(css(`#gh-edit-text`), "（补充：含周末）"), chromedp.Click(css(`[data-test=minute-save]`)),
		chromedp.WaitVisible(css(`[data-test=minute-now]`)), waitText(`.el-dialog [data-test=form-error] .el-alert__description`, "request.etag_stale"),
		look("minutes-stale.zh-CN"))
	if got := entryText(); got != theirs {
		t.Errorf("after the stale edit the entry says %q, want the colleague's %q", got, theirs)
	}
	run(t, b, chromedp.Click(css(`[data-test=minute-save]`)), chromedp.WaitNotVisible(css(`#gh-edit-text`)),
		waitText(`[data-test=minute-text-1]`, mine))
	if got := entryText(); got != mine {
		t.Errorf("after the second save the entry says %q, want %q", got, mine)
	}

	// A correction of the published entry: a draft that supersedes it,
	// shown in its place, published with version 2; version 1 stays.
	published := minutes.Entries[0].ID
	corrected := "各单位要落实岁末年初安保责任，十二月底前报备方案。"
	run(t, b, waitCount(`[data-test=minute-edit-0]`, 0), chromedp.Click(css(`[data-test=minute-correct-0]`)), chromedp.WaitVisible(css(`#gh-correct-text`)),
		waitText(`[data-test=minute-correcting]`, "王会长：各单位要落实岁末年初安保责任。"),
		fill(`#gh-correct-text`, corrected), look("minutes-correct.zh-CN"),
		chromedp.Click(css(`[data-test=minute-correct-save]`)), chromedp.WaitNotVisible(css(`#gh-correct-text`)),
		waitCount(rows("minutes"), 2), waitText(`[data-test=minute-text-0]`, mine), waitText(`[data-test=minute-text-1]`, corrected),
		waitText(`[data-test=minute-state-1]`, "更正（待发布）"))
	var correction struct {
		Entries []struct {
			ID, Text, Supersedes string
			PublishedIn          int `json:"published_in"`
		}
	}
	if err := c.Must(ctx, http.StatusOK, "GET", base+"/minutes?version=draft", nil, &correction); err != nil {
		t.Fatal(err)
	}
	if n := len(correction.Entries); n != 2 || correction.Entries[1].Supersedes != published || correction.Entries[1].Text != corrected || correction.Entries[1].PublishedIn != 0 {
		t.Fatalf("the API's draft after the correction: %+v, want the entry then a draft superseding %s", correction.Entries, published)
	}
	run(t, b, chromedp.Click(css(`[data-test=minutes-publish]`)), chromedp.WaitVisible(css(`[data-test=minutes-v2]`)),
		waitText(`[data-test=minute-state-1]`, "第 2 版"))
	for v, want := range map[string][]string{"1": {"各单位要落实岁末年初安保责任。"}, "2": {mine, corrected}} {
		if err := c.Must(ctx, http.StatusOK, "GET", base+"/minutes?version="+v, nil, &correction); err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, e := range correction.Entries {
			got = append(got, e.Text)
		}
		if strings.Join(got, "|") != strings.Join(want, "|") {
			t.Errorf("version %s of the minutes: %q, want %q", v, got, want)
		}
	}

	// A resolution with an action item owned by the district.
	due := time.Now().In(time.FixedZone("CST", 8*3600)).AddDate(0, 0, 14).Format("2006-01-02")
	run(t, b, chromedp.Click(css(`[data-test=new-resolution]`)), chromedp.WaitVisible(css(`#gh-resolution-title`)),
		chromedp.SendKeys(css(`#gh-resolution-title`), "关于开展岁末年初安保专项行动的决议"),
		chromedp.SendKeys(css(`#gh-ai-title-0`), "制定专项行动方案"),
		chromedp.SendKeys(css(`#gh-ai-owner-0`), "经开片区秘书处"),
		chromedp.SendKeys(css(`#gh-ai-due-0`), due+"\t"),
		chromedp.Click(css(`[data-test=resolution-submit]`)), chromedp.WaitNotVisible(css(`#gh-resolution-title`)),
		waitText(`[data-test=resolution-title]`, "关于开展岁末年初安保专项行动的决议"), waitText(`[data-test=action-owner]`, "经开片区秘书处"),
		look("meeting-minutes.zh-CN"))
	var items struct {
		Items []struct {
			Title, DueOn, MeetingID, OwnerName string
		}
	}
	if err := c.Must(ctx, http.StatusOK, "GET", "/api/v1/districts/jingkai/action-items?meeting_id="+m.ID, nil, &items); err != nil {
		t.Fatal(err)
	}
	dueShown, err := chromedp.Run(b, chromedp.Evaluate[string](`document.querySelector('[data-test=action-due]').innerText`))
	if err != nil {
		t.Fatal(err)
	}
	if len(items.Items) != 1 || items.Items[0].Title != "制定专项行动方案" || strings.TrimSpace(dueShown) != dayZh(due) {
		t.Errorf("the API's action items %+v, the due day shown %q (want %s)", items.Items, dueShown, dayZh(due))
	}
	run(t, b, chromedp.Click(css(`[data-test=lang]`)), waitText(`[data-test=meeting-status]`, "In progress"), look("meeting-minutes.en"),
		chromedp.Click(css(`[data-test=lang]`)), waitText(`[data-test=lang]`, "English"))

	// The police: the published version only, nothing to change.
	run(t, b, chromedp.Click(css(`[data-test=logout]`)), login(c.Base, "police-minutes", "police-minutes right password"),
		chromedp.WaitVisible(css(`[data-test=role]`)), chromedp.Navigate(page), waitText(`[data-test=meeting-heading]`, title),
		// Version 2, with the correction in place of the entry.
		waitCount(rows("minutes"), 2), waitText(`[data-test=minute-text-0]`, mine), waitText(`[data-test=minute-text-1]`, corrected),
		waitCount(rows("agenda"), 2), waitText(`[data-test=resolution-title]`, "关于开展岁末年初安保专项行动的决议"),
		waitCount(`[data-test=minutes-publish], [data-test^=minute-edit-], [data-test^=minute-correct-], [data-test=new-resolution], [data-test=meeting-advance], [data-test=invite], #gh-minute-speaker`, 0),
		look("meeting-police.zh-CN"))

	// The police's nav: the read-only pages their policy allows, and the
	// dispatch they raise; nothing to issue, move or review.
	navs, err := chromedp.Run(b, chromedp.Evaluate[[]string](`[...document.querySelectorAll('header nav [data-test]')].map(e => e.dataset.test)`))
	if err != nil {
		t.Fatal(err)
	}
	wantNav := "nav-directives nav-district-jingkai nav-meetings-jingkai nav-actions-jingkai nav-notices-jingkai nav-patrols-jingkai nav-disputes-jingkai nav-inspections-jingkai nav-wages-jingkai nav-dispatches-jingkai"
	if strings.Join(navs, " ") != wantNav {
		t.Errorf("the police's nav: %v, want %s", navs, wantNav)
	}
	run(t, b, chromedp.Click(css(`[data-test=nav-actions-jingkai]`)), chromedp.WaitVisible(css(`[data-test=action-items] .el-table__body tr`)),
		waitCount(`[data-test=action-items] .el-table__body tr button`, 0),
		chromedp.Click(css(`[data-test=nav-directives]`)), waitText(`[data-test=directives] .el-table__empty-text`, "暂无指令"), waitCount(`[data-test=new-directive]`, 0),
		chromedp.Click(css(`[data-test=nav-disputes-jingkai]`)), waitText(`[data-test=disputes] .el-table__empty-text`, "暂无纠纷"), look("disputes-police.zh-CN"),
		chromedp.Click(css(`[data-test=nav-dispatches-jingkai]`)), waitText(`[data-test=dispatches] .el-table__empty-text`, "暂无调度"),
		chromedp.Click(css(`[data-test=raise-dispatch]`)), chromedp.WaitVisible(css(`#gh-dispatch-kind`)),
		chromedp.SendKeys(css(`#gh-dispatch-kind`), "纠纷"), chromedp.SendKeys(css(`#gh-dispatch-lat`), "30.5093"), chromedp.SendKeys(css(`#gh-dispatch-lng`), "114.1637"),
		chromedp.SendKeys(css(`#gh-dispatch-desc`), "商圈东门有人争执"), chromedp.Click(css(`[data-test=raise-submit]`)),
		chromedp.WaitNotVisible(css(`#gh-dispatch-kind`)), waitCount(`[data-test=dispatches] .el-table__body tr`, 1))
	var raised struct {
		Items []struct{ Kind, Status string }
	}
	if err := c.Must(ctx, http.StatusOK, "GET", "/api/v1/districts/jingkai/dispatches", nil, &raised); err != nil || len(raised.Items) != 1 || raised.Items[0].Kind != "纠纷" {
		t.Fatalf("the API's dispatches: %v %+v", err, raised.Items)
	}
	statusZh := map[string]string{"offered": "待签收", "unassigned": "无人签收"}
	run(t, b, waitText(`[data-test=dispatches] .el-table__body tr td:nth-child(4)`, statusZh[raised.Items[0].Status]), look("dispatches-police.zh-CN"))
}

// dayZh is the console's Chinese rendering of a day (format.js formatDay).
func dayZh(day string) string {
	d, err := time.Parse("2006-01-02", day)
	if err != nil {
		return day
	}
	return fmt.Sprintf("%d年%d月%d日", d.Year(), int(d.Month()), d.Day())
}

// TestConsoleCompanyCertificatesExpiring: a company admin's certificates
// tab lists the guards whose certificate lapses within the policy's
// warning window (the API's /certificates/expiring, with the days left
// counted in Asia/Shanghai) and, apart, the guards on duty without a valid
// one (lapsed or never issued), each exactly as the API lists them.
func TestConsoleCompanyCertificatesExpiring(t *testing.T) {
	chromiumPath(t)
	_, c := startCity(t, t.TempDir())
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	shots, axe := screenshotDir(t), axeSource(t)
	look := func(name string) step { return chromedp.Steps(shot(shots, name), accessible(t, axe, name)) }
	co, err := c.RegisterActiveCompany(ctx, "jingkai", 83)
	if err != nil {
		t.Fatal(err)
	}
	today := time.Now().In(time.FixedZone("CST", 8*3600))
	day := func(d int) string { return today.AddDate(0, 0, d).Format("2006-01-02") }
	ids := map[string]string{}
	for i, g := range []struct {
		name  string
		until string
	}{{"周建国", day(10)}, {"吴志刚", day(200)}, {"郑海涛", day(-1)}, {"孙立新", ""}} {
		body := map[string]any{"name": g.name, "id_number": citytest.ResidentID(8301 + i)}
		if g.until != "" {
			body["certificate_number"] = fmt.Sprintf("鄂公保字%06d", 830100+i)
			body["certificate_issued_on"] = "2020-01-01"
			body["certificate_valid_until"] = g.until
		}
		var created struct{ ID string }
		if err := c.Must(ctx, http.StatusCreated, "POST", "/api/v1/districts/jingkai/companies/"+co+"/guards", body, &created); err != nil {
			t.Fatal(err)
		}
		ids[g.name] = created.ID
	}
	poll(t, "the company admin's account", func() bool {
		status, _, err := c.Do(ctx, "POST", "/api/v1/auth/accounts", map[string]any{"username": "ca-certs", "password": "ca-certs right password",
			"role": "company-admin", "districts": []string{"jingkai"}, "company": co}, nil)
		return err == nil && status == http.StatusCreated
	})
	names := func(path string) []string {
		var res struct {
			Items []struct{ ID, Name string }
		}
		if err := c.Must(ctx, http.StatusOK, "GET", path, nil, &res); err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, g := range res.Items {
			out = append(out, g.ID+"="+g.Name)
		}
		return out
	}
	wantExpiring := names("/api/v1/districts/jingkai/certificates/expiring?page_size=20&company_id=" + co)
	wantLapsed := names("/api/v1/districts/jingkai/guards?page_size=20&employment_status=active&certificate=none&company_id=" + co)
	if len(wantExpiring) != 1 || wantExpiring[0] != ids["周建国"]+"=周建国" || len(wantLapsed) != 2 {
		t.Fatalf("the API's lists: expiring %v, without a valid certificate %v", wantExpiring, wantLapsed)
	}
	shown := func(table string, want []string) step {
		return chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
			var got []string
			for {
				var err error
				got, err = chromedp.Evaluate[[]string](fmt.Sprintf(`[...document.querySelectorAll('[data-test=%s] [data-guard]')].map(e => e.dataset.guard + '=' + e.textContent.trim())`, table))(ctx, tg)
				if err == nil && strings.Join(got, ",") == strings.Join(want, ",") {
					return nil
				}
				select {
				case <-ctx.Done():
					return fmt.Errorf("%s shows %v, the API %v", table, got, want)
				case <-time.After(100 * time.Millisecond): // polling interval
				}
			}
		})
	}
	b := browser(t, ctx)
	run(t, b, login(c.Base, "ca-certs", "ca-certs right password"), chromedp.WaitVisible(css(`#tab-certificates`)),
		chromedp.Click(css(`#tab-certificates`)), shown("certs-expiring", wantExpiring), shown("certs-lapsed", wantLapsed),
		waitText(fmt.Sprintf(`[data-test="cert-left-%s"]`, ids["周建国"]), "10 天"),
		waitText(fmt.Sprintf(`[data-test="cert-why-%s"]`, ids["郑海涛"]), "证书有效期至 "+dayZh(day(-1))+"，已失效"),
		waitText(fmt.Sprintf(`[data-test="cert-why-%s"]`, ids["孙立新"]), "未取得保安员证"), look("certificates.zh-CN"),
		chromedp.Click(css(`[data-test=lang]`)), waitText(fmt.Sprintf(`[data-test="cert-left-%s"]`, ids["周建国"]), "10 days"), look("certificates.en"))
}

// TestConsoleOpsShowsASilentService: HQ (with caidian) in one city,
// jingkai's node in a second on its etcd and broker; jingkai's node
// stops, HQ says its services are silent, and the ops page shows each as
// "silent since" the instant HQ gives (Asia/Shanghai), the district as
// silent, caidian's services alive.
func TestConsoleOpsShowsASilentService(t *testing.T) {
	chromiumPath(t)
	if testing.Short() {
		t.Skip("runs two cities")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	shots, axe := screenshotDir(t), axeSource(t)
	look := func(name string) step { return chromedp.Steps(shot(shots, name), accessible(t, axe, name)) }
	const beat = "-heartbeat.interval=200ms"
	hqCity, hq := startCity(t, t.TempDir(), "-districts=caidian", beat)
	district, dc := startCity(t, t.TempDir(), "-hq=false", "-districts=jingkai", beat,
		"-etcd.endpoints="+strings.Join(hqCity.Etcd().Endpoints(), ","), "-kafka.brokers="+strings.Join(hqCity.BrokerAddrs(), ","))
	if _, err := dc.RegisterActiveCompany(ctx, "jingkai", 1); err != nil {
		t.Fatal(err)
	}
	if _, err := hq.WaitHQ(ctx, "jingkai", func(v citytest.DistrictView) bool { return v.Status == "ok" && len(v.Services) > 0 }); err != nil {
		t.Fatal(err)
	}
	district.Close()
	v, err := hq.WaitHQ(ctx, "jingkai", func(v citytest.DistrictView) bool {
		return v.Status == "silent" && len(serviceNames(v, true)) == 0
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := hq.Must(ctx, http.StatusCreated, "POST", "/api/v1/auth/accounts", map[string]any{"username": "ops-silent", "password": "ops-silent right password",
		"role": "ops"}, nil); err != nil {
		t.Fatal(err)
	}
	b := browser(t, ctx)
	steps := []step{login(hq.Base, "ops-silent", "ops-silent right password"), chromedp.Click(css(`[data-test=nav-ops]`)),
		waitText(`[data-test=ops-status-jingkai]`, "失联")}
	cst := time.FixedZone("CST", 8*3600)
	for _, s := range v.Services {
		since, err := time.Parse(time.RFC3339Nano, *s.SilentSince)
		if err != nil {
			t.Fatal(err)
		}
		steps = append(steps, waitText(fmt.Sprintf(`[data-test=alive-jingkai-%s]`, s.Service), "自 "+since.In(cst).Format("2006/01/02 15:04")+" 失联"))
	}
	cv, err := hq.WaitHQ(ctx, "caidian", func(v citytest.DistrictView) bool { return v.Status == "ok" && len(v.Services) > 0 })
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range cv.Services {
		steps = append(steps, waitText(fmt.Sprintf(`[data-test=alive-caidian-%s]`, s.Service), "是"))
	}
	run(t, b, append(steps, look("ops-silent.zh-CN"))...)
}
