package standalone_test

import (
	"context"
	"fmt"
	"math"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
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
	shots := screenshotDir(t)

	// HQ has applied both districts' compliance figures.
	var districts struct{ Items []consoleDistrict }
	poll(t, "HQ to hold both districts' compliance", func() bool {
		if err := c.Must(ctx, http.StatusOK, "GET", "/api/v1/hq/districts", nil, &districts); err != nil || len(districts.Items) != 2 {
			return false
		}
		for _, d := range districts.Items {
			if !d.Compliance.FourHundred.Reported || d.EventsBehind != 0 || d.Status != "ok" {
				return false
			}
		}
		return true
	})
	// The demo's volunteer team answered one police dispatch through
	// every stage (demo.LoadPatrols).
	var dispatches struct {
		Items []struct {
			Status     string     `json:"status"`
			FeedbackAt *time.Time `json:"feedback_at"`
		}
	}
	if err := c.Must(ctx, http.StatusOK, "GET", "/api/v1/districts/jingkai/dispatches", nil, &dispatches); err != nil {
		t.Fatal(err)
	}
	if len(dispatches.Items) != 1 || dispatches.Items[0].Status != "closed" || dispatches.Items[0].FeedbackAt == nil {
		t.Errorf("the demo's dispatches: %+v, want one closed with feedback", dispatches.Items)
	}
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
	run(t, b, chromedp.WaitVisible(css(`[data-test=rates-chart] canvas`)), shot(shots, "city.zh-CN"))

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
	run(t, b, chromedp.Click(css(`[data-test=district-jingkai]`)),
		waitText(fmt.Sprintf(`[data-test="company-%s"]`, co.CompanyID), co.Name), shot(shots, "district.zh-CN"),
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
	}), shot(shots, "company.zh-CN"))

	// English: every string, the status, and the chart re-created.
	run(t, b, chromedp.Click(css(`[data-test=lang]`)), waitText(`[data-test=lang]`, "中文"), shot(shots, "company.en"),
		chromedp.Click(css(`[data-test=nav-city]`)), waitText(`h1`, "The city at a glance"),
		waitText(`[data-test=status-jingkai]`, "OK"), chromedp.WaitVisible(css(`[data-test=rates-chart] canvas`)), shot(shots, "city.en"))
	if lang, err := chromedp.Run(b, chromedp.Evaluate[string](`document.documentElement.lang`)); err != nil || lang != "en" {
		t.Errorf("html lang %q (%v), want en", lang, err)
	}
	run(t, b, chromedp.Click(css(`[data-test=district-jingkai]`)),
		chromedp.WaitVisible(css(fmt.Sprintf(`[data-test="company-%s"]`, co.CompanyID))), shot(shots, "district.en"),
		chromedp.Click(css(`[data-test=logout]`)), chromedp.WaitVisible(css(`[data-test=username]`)), shot(shots, "login.en"),
		chromedp.Click(css(`[data-test=lang]`)), waitText(`[data-test=lang]`, "English"), shot(shots, "login.zh-CN"))

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

	// A wrong password is refused with the API's message, and nothing
	// is stored.
	run(t, b, chromedp.Click(css(`[data-test=logout]`)), login(c.Base, "ca-console", "not the password"),
		chromedp.WaitVisible(css(`[data-test=login-error]`)))
	if stored, err := chromedp.Run(b, chromedp.Evaluate[string](`sessionStorage.getItem('guildhall.token') || ''`)); err != nil || stored != "" {
		t.Errorf("a refused login stored a token %q (%v)", stored, err)
	}
}
