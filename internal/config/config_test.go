package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestDefaultsValidate(t *testing.T) {
	c := Default()
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
}

func TestExampleConfigLoadsAndMatchesDefaults(t *testing.T) {
	c, err := Load(filepath.Join("..", "..", "config.example.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	d := Default()
	if c.Media.PortMin != d.Media.PortMin || c.Media.Timeout != d.Media.Timeout || c.Media.Allocation != d.Media.Allocation {
		t.Errorf("example config drifted from defaults: %+v vs %+v", c.Media, d.Media)
	}
}

func TestUnknownKeyIsError(t *testing.T) {
	c := Default()
	err := Decode([]byte("media:\n  port_mni: 4000\n"), &c)
	if err == nil || !strings.Contains(err.Error(), "port_mni") {
		t.Fatalf("err = %v, want an error naming the unknown key", err)
	}
}

func TestEmptyFileKeepsDefaults(t *testing.T) {
	p := filepath.Join(t.TempDir(), "empty.yaml")
	if err := os.WriteFile(p, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	c, err := Load(p)
	if err != nil {
		t.Fatal(err)
	}
	if c.Media.Timeout.Std() != 60*time.Second {
		t.Errorf("timeout %v", c.Media.Timeout.Std())
	}
}

func TestValidateRejects(t *testing.T) {
	for name, mod := range map[string]func(*Config){
		"range":      func(c *Config) { c.Media.PortMin, c.Media.PortMax = 5000, 4000 },
		"tiny range": func(c *Config) { c.Media.PortMin, c.Media.PortMax = 5000, 5001 },
		"listen":     func(c *Config) { c.Media.Listen = "localhost" },
		"control":    func(c *Config) { c.Media.Control = []string{"tcp:1.2.3.4:5"} },
		"alloc":      func(c *Config) { c.Media.Allocation = "sequential" },
		"timeout":    func(c *Config) { c.Media.Timeout = Duration(time.Millisecond) },
		"level":      func(c *Config) { c.Log.Level = "loud" },
	} {
		c := Default()
		mod(&c)
		if err := c.Validate(); err == nil {
			t.Errorf("%s: Validate accepted a bad config", name)
		}
	}
}

func TestBadDuration(t *testing.T) {
	c := Default()
	if err := Decode([]byte("media:\n  timeout: soon\n"), &c); err == nil {
		t.Fatal("accepted a bad duration")
	}
}
