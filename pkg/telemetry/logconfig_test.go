package telemetry

import (
	"bytes"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestLogConfigFlagsDefaultToWhatTheBinaryChose(t *testing.T) {
	for _, tc := range []struct {
		name string
		cfg  LogConfig
		args []string
		want string
	}{
		{"The standalone binary's default level is warn.", LogConfig{Level: "warn"}, nil, "warn"},
		{"No chosen default is info.", LogConfig{}, nil, "info"},
		{"The flag overrides the default.", LogConfig{Level: "warn"}, []string{"-log.level=debug"}, "debug"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fs := flag.NewFlagSet("t", flag.ContinueOnError)
			cfg := tc.cfg
			cfg.RegisterFlags("", fs)
			if err := fs.Parse(tc.args); err != nil {
				t.Fatal(err)
			}
			if cfg.Level != tc.want || cfg.Validate() != nil {
				t.Fatalf("level %q (valid: %v), want %q", cfg.Level, cfg.Validate(), tc.want)
			}
		})
	}
}

func TestLogConfigValidateRefusesAnUnknownLevel(t *testing.T) {
	cfg := LogConfig{Level: "loud"}
	if err := cfg.Validate(); !errors.Is(err, ErrLogLevel) || !strings.Contains(err.Error(), `"loud"`) {
		t.Fatalf("got %v", err)
	}
}

func TestLogConfigOpen(t *testing.T) {
	t.Run("Without a file the log goes to stderr at the level.", func(t *testing.T) {
		var stderr bytes.Buffer
		cfg := LogConfig{Level: "warn"}
		logger, closeLog, err := cfg.Open(t.TempDir(), &stderr)
		if err != nil {
			t.Fatal(err)
		}
		logger.Info("hidden")
		logger.Warn("shown")
		if err := closeLog(); err != nil {
			t.Fatal(err)
		}
		if s := stderr.String(); strings.Contains(s, "hidden") || !strings.Contains(s, `"msg":"shown"`) {
			t.Fatalf("stderr %q", s)
		}
		if got := cfg.Describe("data"); got != "stderr, level warn" {
			t.Fatalf("described as %q", got)
		}
	})
	t.Run("A relative file is under the directory, created owner-only and appended to.", func(t *testing.T) {
		dir := t.TempDir()
		cfg := LogConfig{Level: "info", File: "logs/guildhall.log"}
		var stderr bytes.Buffer
		for _, msg := range []string{"first run", "second run"} {
			logger, closeLog, err := cfg.Open(dir, &stderr)
			if err != nil {
				t.Fatal(err)
			}
			logger.Info(msg)
			if err := closeLog(); err != nil {
				t.Fatal(err)
			}
		}
		path := filepath.Join(dir, "logs", "guildhall.log")
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		if lines := strings.Split(strings.TrimSpace(string(b)), "\n"); len(lines) != 2 || !strings.Contains(lines[0], "first run") || !strings.Contains(lines[1], "second run") {
			t.Fatalf("file holds %q", b)
		}
		if st, _ := os.Stat(path); st.Mode().Perm() != 0o600 {
			t.Fatalf("mode %v", st.Mode())
		}
		if stderr.Len() != 0 {
			t.Fatalf("stderr got %q", stderr.String())
		}
		if got := cfg.Describe(dir); got != path+", level info" {
			t.Fatalf("described as %q", got)
		}
	})
	t.Run("An absolute file is used as it is.", func(t *testing.T) {
		abs := filepath.Join(t.TempDir(), "x.log")
		cfg := LogConfig{Level: "info", File: abs}
		if got := cfg.Path("data"); got != abs {
			t.Fatalf("path %q", got)
		}
	})
}
