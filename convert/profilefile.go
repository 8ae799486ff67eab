package convert

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"

	"go.yaml.in/yaml/v3"

	"github.com/docbridge/docbridge"
	"github.com/docbridge/docbridge/mappings"
)

// maxProfileFile is the size limit of a profile file.
const maxProfileFile = 1 << 20

// profileFile is a profile file: one profile's fields at the top level,
// without name or when (the run names it and it applies to every input).
type profileFile struct {
	FacilityType    string                   `yaml:"facility_type"`
	PracticeSetting string                   `yaml:"practice_setting"`
	Custodian       *docbridge.ProfileOrg    `yaml:"custodian"`
	Author          *docbridge.ProfileAuthor `yaml:"author"`
	Confidentiality string                   `yaml:"confidentiality"`
	Language        string                   `yaml:"language"`
	DocumentType    string                   `yaml:"document_type"`
}

// ParseProfile reads a profile file (YAML: facility_type,
// practice_setting, custodian {id, name}, author {id, name, specialty},
// confidentiality, language, document_type at the top level; unknown keys,
// name and when included, are errors) and checks it with CheckProfile
// against m. The profile has no Name: the caller names it (a bulk run's
// provenance is then "profile:<name>"). Errors name the key or the line.
func ParseProfile(data []byte, m *mappings.Set) (docbridge.Profile, error) {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	var f profileFile
	if err := dec.Decode(&f); err != nil && !errors.Is(err, io.EOF) {
		return docbridge.Profile{}, fmt.Errorf("read the profile: %w", err)
	}
	p := docbridge.Profile{
		FacilityType: f.FacilityType, PracticeSetting: f.PracticeSetting, Custodian: f.Custodian, Author: f.Author,
		Confidentiality: f.Confidentiality, Language: f.Language, DocumentType: f.DocumentType,
	}
	if err := CheckProfile(p, m); err != nil {
		return docbridge.Profile{}, err
	}
	return p, nil
}

// LoadProfileFile reads and checks the profile file at path (see
// ParseProfile). Errors name the file.
func LoadProfileFile(path string, m *mappings.Set) (docbridge.Profile, error) {
	fh, err := os.Open(path)
	if err != nil {
		return docbridge.Profile{}, fmt.Errorf("open profile %s: %w", path, err)
	}
	defer fh.Close()
	data, err := io.ReadAll(io.LimitReader(fh, maxProfileFile+1))
	if err != nil {
		return docbridge.Profile{}, fmt.Errorf("read profile %s: %w", path, err)
	}
	if len(data) > maxProfileFile {
		return docbridge.Profile{}, fmt.Errorf("profile %s: over %d bytes", path, maxProfileFile)
	}
	p, err := ParseProfile(data, m)
	if err != nil {
		return docbridge.Profile{}, fmt.Errorf("profile %s: %w", path, err)
	}
	return p, nil
}
