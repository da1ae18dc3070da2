package telemetry

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
)

// ErrLogLevel means a log level is none of debug, info, warn and error.
var ErrLogLevel = errors.New("telemetry: -log.level must be debug, info, warn or error")

// LogConfig configures a process's JSON log (NewLogger): how much of it
// and where it goes.
type LogConfig struct {
	// Level is the lowest level written: debug, info, warn or error (any
	// case; slog's offsets such as "info+2" work too).
	Level string
	// File is where the log goes: empty for stderr, else a file the log is
	// appended to (created, with its directory, readable by the owner
	// only). A relative path is taken from the directory Open is given:
	// the data dir of the standalone binary, the working directory of the
	// per-service ones.
	File string
}

// RegisterFlags registers log.level and log.file, each name prefixed with
// prefix. What c holds when it is called is the flags' default, so each
// binary picks its own default level; an empty Level defaults to info.
func (c *LogConfig) RegisterFlags(prefix string, fs *flag.FlagSet) {
	if c.Level == "" {
		c.Level = "info"
	}
	fs.StringVar(&c.Level, prefix+"log.level", c.Level, "lowest level of the JSON log: debug, info, warn or error")
	fs.StringVar(&c.File, prefix+"log.file", c.File, "append the JSON log to this file instead of writing it to stderr; a relative path is under -data.dir for guildhall, under the working directory for the service binaries")
}

// Validate checks the level.
func (c *LogConfig) Validate() error {
	if _, err := c.level(); err != nil {
		return err
	}
	return nil
}

func (c *LogConfig) level() (slog.Level, error) {
	var l slog.Level
	if err := l.UnmarshalText([]byte(c.Level)); err != nil {
		return l, fmt.Errorf("%w: got %q", ErrLogLevel, c.Level)
	}
	return l, nil
}

// Path is the file the log goes to with relative paths taken from dir, or
// "" for stderr.
func (c *LogConfig) Path(dir string) string {
	if c.File == "" || filepath.IsAbs(c.File) {
		return c.File
	}
	return filepath.Join(dir, c.File)
}

// Describe says where the log goes and from which level, for a person
// reading the process's start-up lines: "stderr, level warn" or
// "data/guildhall.log, level info".
func (c *LogConfig) Describe(dir string) string {
	where := "stderr"
	if p := c.Path(dir); p != "" {
		where = p
	}
	return where + ", level " + c.Level
}

// Open returns the logger c describes, writing to stderr or to the file
// (relative paths taken from dir), and the function that closes the file
// (nothing to close for stderr).
func (c *LogConfig) Open(dir string, stderr io.Writer) (*slog.Logger, func() error, error) {
	level, err := c.level()
	if err != nil {
		return nil, nil, err
	}
	path := c.Path(dir)
	if path == "" {
		return NewLogger(stderr, level), func() error { return nil }, nil
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o750); err != nil {
		return nil, nil, fmt.Errorf("telemetry: log file: %w", err)
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
	if err != nil {
		return nil, nil, fmt.Errorf("telemetry: log file: %w", err)
	}
	return NewLogger(f, level), f.Close, nil
}
