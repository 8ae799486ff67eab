package main

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/docbridge/docbridge"
	"github.com/docbridge/docbridge/hl7"
	"github.com/docbridge/docbridge/mes"
	"github.com/docbridge/docbridge/watch"
)

// Config is docbridge.yaml. Field names are the YAML keys.
type Config struct {
	// Environment is "production" (the default) or "test"; test accepts the
	// test and demo INS OIDs.
	Environment string `yaml:"environment"`
	// Data is the data directory: the SQLite database and the content.
	Data string `yaml:"data"`
	// Database, when set, is the PostgreSQL URL of the store
	// (postgres://user:pass@host/db?sslmode=verify-full); Data then holds
	// only the content and must be shared by every instance using that
	// database. Empty means SQLite in Data (one instance). The environment
	// variable DOCBRIDGE_DATABASE, when set, takes precedence (to keep the
	// password out of the file).
	Database string `yaml:"database"`
	// Instance names this instance among several sharing drop folders;
	// default the host name.
	Instance string `yaml:"instance"`
	// TimeZone reads source times that carry no offset; default Europe/Paris.
	TimeZone string    `yaml:"timezone"`
	Log      LogConfig `yaml:"log"`
	MES      MESConfig `yaml:"mes"`
	Mappings struct {
		OverrideDir string `yaml:"override_dir"`
	} `yaml:"mappings"`
	Identity struct {
		AcceptVALI bool `yaml:"accept_vali"`
		// HoldMax is how long a document may wait for its patient to pair
		// before it fails with pairing-expired; 0 means forever.
		HoldMax time.Duration `yaml:"hold_max"`
	} `yaml:"identity"`
	Pairing  PairingConfig  `yaml:"pairing"`
	Security SecurityConfig `yaml:"security"`
	HL7      struct {
		// Charsets overrides MSH-18 per sending application (MSH-3.1), for
		// senders that declare one character set and send another.
		Charsets map[string]string `yaml:"charsets"`
	} `yaml:"hl7"`
	PDF struct {
		// RequirePDFA refuses a bare PDF that does not declare PDF/A
		// conformance in its XMP metadata (unsupported-format).
		RequirePDFA bool `yaml:"require_pdfa"`
	} `yaml:"pdf"`
	Limits struct {
		MaxInputBytes int64 `yaml:"max_input_bytes"`
	} `yaml:"limits"`
	Delivery struct {
		RetryBase        time.Duration `yaml:"retry_base"`
		RetryMax         time.Duration `yaml:"retry_max"`
		MaxAge           time.Duration `yaml:"max_age"`
		BreakerThreshold int           `yaml:"breaker_threshold"`
		// Lease is how long an instance owns the work it claimed when
		// several share a PostgreSQL store (database is set); an instance
		// that dies leaves its work to the others when it ends. 0 means
		// 2 min; it must exceed the longest delivery.
		Lease time.Duration `yaml:"lease"`
		// Concurrency is how many requests may be in flight to MES at
		// once; 0 means 16. MES's 429 and 5xx lower it for a while
		// (pipeline.Options.Concurrency); one patient's documents still go
		// one at a time, in order.
		Concurrency int `yaml:"concurrency"`
	} `yaml:"delivery"`
	Folders []FolderConfig `yaml:"folders"`
	Admin   AdminConfig    `yaml:"admin"`
	Audit   AuditConfig    `yaml:"audit"`

	// MLLP are the HL7 v2 listeners (mllp.go).
	MLLP []MLLPConfig `yaml:"mllp"`
	// FHIR is the FHIR intake (fhirhttp.go).
	FHIR FHIRConfig `yaml:"fhir"`
	// Profiles are the source profiles (config_profiles.go).
	Profiles docbridge.Profiles `yaml:"profiles"`
}

// defaultConcurrency is delivery.concurrency's default: sized for a
// remote MES, where each request waits a round trip.
const defaultConcurrency = 16

// LogConfig chooses the log level and format.
type LogConfig struct {
	Level  string `yaml:"level"`  // debug, info (default), warn, error
	Format string `yaml:"format"` // json (default for serve) or console
}

// MESConfig says where documents go.
type MESConfig struct {
	Profile string `yaml:"profile"`  // mes-api (the default) or pdsm-iti65
	BaseURL string `yaml:"base_url"` // the Documents API base URL
	// SourceID is this installation's OID as a document source, the
	// SubmissionSet's ihe-sourceId of pdsm-iti65, which requires it
	// (config_mes.go).
	SourceID string `yaml:"source_id"`
	// Scopes are the MES scopes the pairing flow asks patients to grant:
	// documents (always), mesures, agenda; empty means documents only
	// (config_mes.go).
	Scopes []string `yaml:"scopes"`
	// MeasureProfiles overrides the meta.profile canonical of Mesures
	// profiles by name (body-weight, bp, glucose, …); the others keep the
	// current IG's (mappings.DefaultMeasureCanonicals).
	MeasureProfiles map[string]string `yaml:"measure_profiles"`
	// DeviceOID keys the Device standing for each source system in
	// measurements; "" means source_id, else docbridge's own.
	DeviceOID string `yaml:"device_oid"`
	// SubjectSystem is the identifier system of MES's person id in a
	// measurement's subject; "" means the IG example's OID.
	SubjectSystem string `yaml:"subject_system"`
	// ResponseTimeout bounds the wait for MES's answer once the request is
	// sent; 0 means 60 s. Bodies are not bounded: documents can be big.
	ResponseTimeout time.Duration `yaml:"response_timeout"`
	// TLS: the CA that signs MES's certificate (default: the system's) and
	// docbridge's client certificate for mutual TLS.
	TLS struct {
		CA   string `yaml:"ca"`
		Cert string `yaml:"cert"`
		Key  string `yaml:"key"`
	} `yaml:"tls"`
}

// FolderConfig is one drop folder.
type FolderConfig struct {
	Name   string        `yaml:"name"`
	Path   string        `yaml:"path"`
	Done   string        `yaml:"done"`
	Failed string        `yaml:"failed"`
	Settle time.Duration `yaml:"settle"`
	Rescan time.Duration `yaml:"rescan"`
	Poll   bool          `yaml:"poll"`

	// SidecarGrace is how long a PDF waits for its sidecar before it goes
	// alone (watch.FolderOptions.SidecarGrace); default 3s.
	SidecarGrace time.Duration `yaml:"sidecar_grace"`
	// SidecarMax is how long a sidecar waits for its PDF before it is
	// refused (watch.FolderOptions.SidecarMax); default 10m.
	SidecarMax time.Duration `yaml:"sidecar_max"`
	// Concurrency is how many files of the folder are taken at once
	// (watch.FolderOptions.Concurrency); 0 means 4.
	Concurrency int `yaml:"concurrency"`
}

// maxFolderConcurrency bounds folders[].concurrency: each file taken holds
// a store writer's turn and a file descriptor.
const maxFolderConcurrency = 64

// loadConfig reads and checks a configuration file. Unknown keys are
// errors; every error names the file and the field.
func loadConfig(path string) (*Config, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, usageErrorf("read config: %v", err)
	}
	c, err := parseConfig(b)
	if err != nil {
		return nil, usageErrorf("config %s: %v", path, err)
	}
	base := filepath.Dir(path)
	rel := func(p *string) {
		if *p != "" && !filepath.IsAbs(*p) {
			*p = filepath.Join(base, *p)
		}
	}
	rel(&c.Data)
	rel(&c.Mappings.OverrideDir)
	rel(&c.MES.TLS.CA)
	rel(&c.MES.TLS.Cert)
	rel(&c.MES.TLS.Key)
	c.Admin.relative(base)
	c.Audit.relative(base)
	c.relativeMLLP(base)
	c.relativeFHIR(base)
	c.relativePairing(base)
	for i := range c.Folders {
		rel(&c.Folders[i].Path)
		rel(&c.Folders[i].Done)
		rel(&c.Folders[i].Failed)
	}
	return c, nil
}

// parseConfig decodes YAML strictly, fills defaults and checks values.
func parseConfig(b []byte) (*Config, error) {
	var c Config
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true)
	if err := dec.Decode(&c); err != nil && !errors.Is(err, io.EOF) {
		return nil, yamlError(b, reflect.TypeOf(c), err)
	}
	c.defaults()
	return &c, c.check()
}

func (c *Config) defaults() {
	if c.Environment == "" {
		c.Environment = "production"
	}
	if c.TimeZone == "" {
		c.TimeZone = "Europe/Paris"
	}
	if v := os.Getenv("DOCBRIDGE_DATABASE"); v != "" {
		c.Database = v
	}
	if c.Delivery.Lease == 0 {
		c.Delivery.Lease = 2 * time.Minute
	}
	if c.Delivery.Concurrency == 0 {
		c.Delivery.Concurrency = defaultConcurrency
	}
	if c.Log.Level == "" {
		c.Log.Level = "info"
	}
	if c.Log.Format == "" {
		c.Log.Format = "json"
	}
	if c.MES.Profile == "" {
		c.MES.Profile = "mes-api"
	}
	for i := range c.Folders {
		if c.Folders[i].Name == "" {
			c.Folders[i].Name = fmt.Sprintf("folder%d", i+1)
		}
	}
	c.mllpDefaults()
	c.fhirDefaults()
	c.pairingDefaults()
}

func (c *Config) check() error {
	var errs []error
	bad := func(field, format string, args ...any) {
		errs = append(errs, fmt.Errorf("%s: %s", field, fmt.Sprintf(format, args...)))
	}
	switch c.Environment {
	case "production", "test":
	default:
		bad("environment", "%q is not production or test", c.Environment)
	}
	if c.Data == "" {
		bad("data", "required: the data directory")
	}
	if _, err := time.LoadLocation(c.TimeZone); err != nil {
		bad("timezone", "%v", err)
	}
	switch c.Log.Format {
	case "json", "console":
	default:
		bad("log.format", "%q is not json or console", c.Log.Format)
	}
	if _, err := parseLevel(c.Log.Level); err != nil {
		bad("log.level", "%v", err)
	}
	errs = append(errs, c.MES.checkProfile()...)
	errs = append(errs, c.MES.checkMeasures()...)
	if c.MES.BaseURL == "" {
		bad("mes.base_url", "required: the MES Documents API base URL")
	} else if err := checkHTTPURL("mes.base_url", c.MES.BaseURL); err != nil {
		errs = append(errs, err)
	}
	if c.Pairing.MESURL != "" && c.Pairing.MESURL != c.MES.BaseURL { // it defaults to base_url
		if err := checkHTTPURL("pairing.mes_url", c.Pairing.MESURL); err != nil {
			errs = append(errs, err)
		}
	}
	errs = append(errs, c.checkListeners()...)
	if c.MES.ResponseTimeout < 0 {
		bad("mes.response_timeout", "must not be negative")
	}
	if (c.MES.TLS.Cert == "") != (c.MES.TLS.Key == "") {
		bad("mes.tls", "cert and key go together")
	}
	if c.Delivery.MaxAge < 0 || c.Delivery.RetryBase < 0 || c.Delivery.RetryMax < 0 || c.Delivery.BreakerThreshold < 0 || c.Delivery.Lease < 0 {
		bad("delivery", "durations and breaker_threshold must not be negative")
	}
	if c.Delivery.Concurrency < 0 || c.Delivery.Concurrency > mes.IdleConnsPerHost {
		bad("delivery.concurrency", "%d is not between 1 and %d (0 means %d)", c.Delivery.Concurrency, mes.IdleConnsPerHost, defaultConcurrency)
	}
	for sender, cs := range c.HL7.Charsets {
		if !slices.ContainsFunc(hl7.CharsetNames(), func(n string) bool { return strings.EqualFold(n, cs) }) {
			bad("hl7.charsets."+sender, "%q is not a known character set (%s)", cs, strings.Join(slices.Sorted(slices.Values(hl7.CharsetNames())), ", "))
		}
	}
	if c.Database != "" && !strings.HasPrefix(c.Database, "postgres://") && !strings.HasPrefix(c.Database, "postgresql://") {
		bad("database", "must be a postgres:// URL (empty means SQLite in data)")
	}
	if c.Limits.MaxInputBytes < 0 {
		bad("limits.max_input_bytes", "must not be negative")
	}
	names := map[string]bool{}
	for i, f := range c.Folders {
		field := fmt.Sprintf("folders[%d]", i)
		if f.Path == "" {
			bad(field+".path", "required")
		}
		if names[f.Name] {
			bad(field+".name", "%q is used twice", f.Name)
		}
		if f.Concurrency < 0 || f.Concurrency > maxFolderConcurrency {
			bad(field+".concurrency", "%d is not between 1 and %d (0 means %d)", f.Concurrency, maxFolderConcurrency, watch.DefaultConcurrency)
		}
		names[f.Name] = true
	}
	errs = append(errs, c.Admin.check()...)
	errs = append(errs, c.checkPairing()...)
	errs = append(errs, c.Audit.check()...)
	errs = append(errs, c.checkMLLP()...)
	errs = append(errs, c.checkFHIR()...)
	errs = append(errs, c.checkProfiles()...)
	return errors.Join(errs...)
}
