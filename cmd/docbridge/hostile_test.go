package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/docbridge/docbridge"
	"github.com/docbridge/docbridge/watch"
)

// hostileInputs are refused before anything is sent. Each maps to the
// reason it must get.
func hostileInputs() map[string]struct {
	body []byte
	want docbridge.Reason
} {
	const cda = `<ClinicalDocument xmlns="urn:hl7-org:v3">`
	laughs := `<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">` +
		`<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">` +
		`<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>` +
		cda + `<title>&lol3;</title></ClinicalDocument>`
	xxe := `<?xml version="1.0"?><!DOCTYPE d [<!ENTITY x SYSTEM "file:///etc/passwd">]>` + cda + `<title>&x;</title></ClinicalDocument>`
	deep := cda + strings.Repeat("<a>", 10000) + strings.Repeat("</a>", 10000) + "</ClinicalDocument>"
	garbage := bytes.Repeat([]byte{0xde, 0xad, 0xbe, 0xef, 0x00, '<'}, 100<<20/6)
	return map[string]struct {
		body []byte
		want docbridge.Reason
	}{
		"billion-laughs.xml": {[]byte(laughs), docbridge.ForbiddenConstruct},
		"xxe.xml":            {[]byte(xxe), docbridge.ForbiddenConstruct},
		"deep.xml":           {[]byte(deep), docbridge.ForbiddenConstruct},
		"garbage.bin":        {garbage, docbridge.UnsupportedFormat},
		"truncated.xml":      {[]byte(cda + "<title>cut"), docbridge.Malformed},
	}
}

func TestEndToEndHostileInputsAreRefused(t *testing.T) {
	e := newE2E(t)
	cmd := e.start()
	drop := filepath.Join(e.dir, "drop")
	os.MkdirAll(drop, 0o750)
	inputs := hostileInputs()
	for name, in := range inputs {
		tmp := filepath.Join(drop, "."+name)
		if err := os.WriteFile(tmp, in.body, 0o600); err != nil {
			t.Fatal(err)
		}
		os.Rename(tmp, filepath.Join(drop, name))
	}
	good := e.dropCopies(1)
	e.waitFor("the hostile inputs refused and the good one delivered", 2*time.Minute, func() bool {
		entries, _ := os.ReadDir(filepath.Join(drop, "failed"))
		return len(entries) == 2*len(inputs) && e.delivered() == 1
	})
	if err := cmd.Process.Signal(syscall.Signal(0)); err != nil {
		t.Fatalf("the daemon died: %v", err)
	}
	for name, in := range inputs {
		b, err := os.ReadFile(filepath.Join(drop, "failed", name+".reason.json"))
		if err != nil {
			t.Errorf("%s: no reason file: %v", name, err)
			continue
		}
		var rf watch.ReasonFile
		if err := json.Unmarshal(b, &rf); err != nil {
			t.Fatal(err)
		}
		if rf.Code != in.want || rf.Message == "" {
			t.Errorf("%s: reason %s (%q), want %s", name, rf.Code, rf.Message, in.want)
		}
	}
	stopDaemon(t, cmd)
	if got := e.sim.Count(); got != 1 {
		t.Errorf("simulator holds %d documents, want only the good one", got)
	}
	e.check(good)
}
