package mappings

import (
	"bufio"
	"os"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/docbridge/docbridge"
	"github.com/google/go-cmp/cmp"
)

func mustLoad(t testing.TB, dir string) *Set {
	t.Helper()
	s, err := Load(dir)
	if err != nil {
		t.Fatalf("Load(%q): %v", dir, err)
	}
	return s
}

const a03URI = "https://mos.esante.gouv.fr/NOS/TRE_A03-ClasseDocument/FHIR/TRE-A03-ClasseDocument"

func TestLookup(t *testing.T) {
	s := mustLoad(t, "")
	crBio := docbridge.Coding{System: LOINC, Code: "11502-2", Display: "CR d'examens biologiques"}
	tests := []struct {
		vs, system, code string
		want             docbridge.Coding
		ok               bool
	}{
		{TypeCodes, "2.16.840.1.113883.6.1", "11502-2", crBio, true},
		{TypeCodes, "urn:oid:2.16.840.1.113883.6.1", "11502-2", crBio, true},
		{TypeCodes, "http://loinc.org", "11502-2", crBio, true},
		{TypeCodes, "LN", " 11502-2 ", crBio, true},
		{"JDV_J07_XdsTypeCode_CISIS", LOINC, "11502-2", crBio, true},
		{"1.2.250.1.213.1.1.5.471", LOINC, "11502-2", crBio, true},
		{"urn:oid:1.2.250.1.213.1.1.5.471", LOINC, "11502-2", crBio, true},
		{TypeCodes, "1.2.250.1.213.1.1.4.12", "REMB",
			docbridge.Coding{System: "urn:oid:1.2.250.1.213.1.1.4.12", Code: "REMB", Display: "Données de remboursement"}, true},
		{TypeCodes, "ASTM", "E1762", docbridge.Coding{
			System: "https://mos.esante.gouv.fr/NOS/TRE_A12-NomenclatureASTM/FHIR/TRE-A12-NomenclatureASTM",
			Code:   "E1762", Display: "Full Document"}, true},
		{ClassCodes, a03URI, "10", docbridge.Coding{System: ClassSystem, Code: "10", Display: "Compte rendu"}, true},
		{ClassCodes, "1.2.250.1.213.1.1.4.1", "10", docbridge.Coding{System: ClassSystem, Code: "10", Display: "Compte rendu"}, true},
		{FormatCodes, "https://mos.esante.gouv.fr/NOS/TRE_A11-IheFormatCode/FHIR/TRE-A11-IheFormatCode", "urn:ihe:lab:xd-lab:2008",
			docbridge.Coding{System: IHEFormatSystem, Code: "urn:ihe:lab:xd-lab:2008", Display: "Compte rendu structuré d'examens de biologie médicale"}, true},
		{FacilityTypes, "1.2.250.1.71.4.2.4", "SA25",
			docbridge.Coding{System: "urn:oid:1.2.250.1.71.4.2.4", Code: "SA25", Display: "Laboratoire de biologie médicale"}, true},
		{FacilityTypes, "https://mos.esante.gouv.fr/NOS/TRE_R02-SecteurActivite/FHIR/TRE-R02-SecteurActivite", "SA07",
			docbridge.Coding{System: "urn:oid:1.2.250.1.71.4.2.4", Code: "SA07", Display: "Cabinet individuel"}, true},
		{FacilityTypes, "1.2.250.1.213.1.1.4.6", "SNR",
			docbridge.Coding{System: "urn:oid:1.2.250.1.213.1.1.4.6", Code: "SNR", Display: "Service numérique référencé"}, true},
		{PracticeSettings, "https://mos.esante.gouv.fr/NOS/TRE_A01-CadreExercice/FHIR/TRE-A01-CadreExercice", "AMBULATOIRE",
			docbridge.Coding{System: "urn:oid:1.2.250.1.213.1.1.4.9", Code: "AMBULATOIRE", Display: "Ambulatoire"}, true},
		{Confidentiality, "2.16.840.1.113883.5.25", "N", docbridge.Coding{System: HL7Confidentiality, Code: "N", Display: "Normal"}, true},
		{Confidentiality, HL7Confidentiality, "V", docbridge.Coding{System: HL7Confidentiality, Code: "V", Display: "Très restreint"}, true},
		{DMPConfidentiality, "2.16.840.1.113883.5.25", "R", docbridge.Coding{System: HL7Confidentiality, Code: "R", Display: "Restreint"}, true},
		{AuthorSpecialty, "1.2.250.1.213.1.1.4.5", "G15_10/SM03",
			docbridge.Coding{System: "urn:oid:1.2.250.1.213.1.1.4.5", Code: "G15_10/SM03", Display: "Médecin - Biologie médicale (SM)"}, true},
		{Genders, "2.16.840.1.113883.5.1", "F", docbridge.Coding{System: HL7AdministrativeGender, Code: "F", Display: "Féminin"}, true},

		// Not found.
		{TypeCodes, LOINC, "99999-9", docbridge.Coding{}, false},
		{TypeCodes, "1.2.250.1.213.1.1.4.12", "11502-2", docbridge.Coding{}, false}, // wrong system
		{TypeCodes, "", "11502-2", docbridge.Coding{}, false},
		{TypeCodes, LOINC, "10213-7", docbridge.Coding{}, false}, // retired, in ASS_X04 but not J07
		{ClassCodes, LOINC, "11502-2", docbridge.Coding{}, false},
		{DMPClassCodes, ClassSystem, "99", docbridge.Coding{}, false},      // J57 lacks "Document technique"
		{Genders, "2.16.840.1.113883.5.1", "U", docbridge.Coding{}, false}, // J143 says UN
		{"JDV_J99", LOINC, "11502-2", docbridge.Coding{}, false},
		{"", LOINC, "11502-2", docbridge.Coding{}, false},
	}
	for _, tt := range tests {
		got, ok := s.Lookup(tt.vs, tt.system, tt.code)
		if ok != tt.ok || got != tt.want {
			t.Errorf("Lookup(%q, %q, %q) = %+v, %v; want %+v, %v", tt.vs, tt.system, tt.code, got, ok, tt.want, tt.ok)
		}
		if got := s.Contains(tt.vs, tt.system, tt.code); got != tt.ok {
			t.Errorf("Contains(%q, %q, %q) = %v, want %v", tt.vs, tt.system, tt.code, got, tt.ok)
		}
	}
}

// The document types of ../shared/corpus/cda-fr and the class ASS_X04 gives.
func TestClassOf(t *testing.T) {
	s := mustLoad(t, "")
	a05 := "1.2.250.1.213.1.1.4.12"
	tests := []struct {
		system, code string
		want         string // class code; "" means no class
		display      string
	}{
		{"2.16.840.1.113883.6.1", "11502-2", "10", "Compte rendu"},
		{"http://loinc.org", "57833-6", "42", "Prescription"},
		{"urn:oid:2.16.840.1.113883.6.1", "11490-0", "10", "Compte rendu"},
		{LOINC, "18761-7", "11", "Synthèse"},
		{LOINC, "18748-4", "31", "Imagerie médicale"},
		{LOINC, "60593-1", "43", "Dispensation"},
		{LOINC, "11369-6", "52", "Certificat, déclaration"},
		{LOINC, "34133-9", "11", "Synthèse"},
		{LOINC, "29274-8", "10", "Compte rendu"},
		{LOINC, "96173-0", "52", "Certificat, déclaration"},
		{LOINC, "11488-4", "10", "Compte rendu"},
		{LOINC, "10213-7", "10", "Compte rendu"}, // retired type, still in ASS_X04
		{a05, "REMB", "60", "Données de remboursement"},
		{a05, "FEUILLE-DE-STYLE", "99", "Document technique"},
		{LOINC, "99999-9", "", ""},
		{a05, "11502-2", "", ""},
		{"", "11502-2", "", ""},
	}
	for _, tt := range tests {
		typ := docbridge.Coding{System: tt.system, Code: tt.code, Display: "ignored"}
		got, ok := s.ClassOf(typ)
		var want docbridge.Coding
		if tt.want != "" {
			want = docbridge.Coding{System: ClassSystem, Code: tt.want, Display: tt.display}
		}
		if ok != (tt.want != "") || got != want {
			t.Errorf("ClassOf(%s|%s) = %+v, %v; want %+v", tt.system, tt.code, got, ok, want)
		}
	}

	// The digital-signature type maps to the TRE_A10 class.
	got, ok := s.ClassOf(docbridge.Coding{System: "ASTM", Code: "E1762"})
	want := docbridge.Coding{
		System:  "https://mos.esante.gouv.fr/NOS/TRE_A10-NomenclatureURN/FHIR/TRE-A10-NomenclatureURN",
		Code:    "urn:oid:1.3.6.1.4.1.19376.1.2.1.1.1",
		Display: "Digital Signature",
	}
	if !ok || got != want {
		t.Errorf("ClassOf(ASTM|E1762) = %+v, %v; want %+v", got, ok, want)
	}
}

// Every J07 type has exactly one class, and every class is in J06.
func TestEveryTypeHasClass(t *testing.T) {
	s := mustLoad(t, "")
	for _, typ := range s.Members(TypeCodes) {
		c, ok := s.ClassOf(typ)
		if !ok {
			t.Errorf("ClassOf(%s|%s): no class", typ.System, typ.Code)
			continue
		}
		if !s.Contains(ClassCodes, c.System, c.Code) {
			t.Errorf("ClassOf(%s|%s) = %s|%s, not in %s", typ.System, typ.Code, c.System, c.Code, ClassCodes)
		}
	}
	if got := len(s.sets[ClassCodes].extended); got != 0 {
		t.Errorf("ASS_X04 added %d classes to %s, want 0", got, ClassCodes)
	}
}

// ASS_X16 (the DMP table, not embedded) must agree with ASS_X04 on all of
// its pairs, which is why ClassOf reads ASS_X04 alone.
func TestX16AgreesWithX04(t *testing.T) {
	s := mustLoad(t, "")
	f, err := os.Open("data/ASS-X16-CorrespondanceType-Classe-DMP.fsh")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var (
		groupSource = regexp.MustCompile(`^\* group\[[0-9+]\]\.source = "(.*)"$`)
		elemCode    = regexp.MustCompile(`^\* group\[=\]\.element\[[0-9+=]\]\.code = #(\S+)$`)
		targetCode  = regexp.MustCompile(`^\* group\[=\]\.element\[=\]\.target\.code = (?:#(\S+)|"(.*)")$`)
		system, src string
		n           int
	)
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if m := groupSource.FindStringSubmatch(line); m != nil {
			system = m[1]
		} else if m := elemCode.FindStringSubmatch(line); m != nil {
			src = m[1]
		} else if m := targetCode.FindStringSubmatch(line); m != nil {
			n++
			got, ok := s.ClassOf(docbridge.Coding{System: system, Code: src})
			if want := m[1] + m[2]; !ok || got.Code != want {
				t.Errorf("ClassOf(%s|%s) = %q, %v; ASS_X16 says %q", system, src, got.Code, ok, want)
			}
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	if n < 100 {
		t.Errorf("read %d ASS_X16 pairs, want over 100", n)
	}
}

func TestFormatForTemplates(t *testing.T) {
	s := mustLoad(t, "")
	xdLab := docbridge.Coding{System: IHEFormatSystem, Code: "urn:ihe:lab:xd-lab:2008", Display: "Compte rendu structuré d'examens de biologie médicale"}
	tests := []struct {
		name      string
		templates []string
		want      docbridge.Coding
		ok        bool
	}{
		{"CR-BIO", []string{"2.16.840.1.113883.2.8.2.1", "1.2.250.1.213.1.1.1.1", "1.3.6.1.4.1.19376.1.3.3", "1.2.250.1.213.1.1.1.55"}, xdLab, true},
		{"CR-BIO alone", []string{"1.2.250.1.213.1.1.1.55"}, xdLab, true},
		{"urn:oid form", []string{"urn:oid:1.2.250.1.213.1.1.1.55"}, xdLab, true},
		{"TROD (A11 XML only, added to J10 from J60)", []string{"1.3.6.1.4.1.19376.1.5.3.1.1.1", "1.2.250.1.213.1.1.1.59"},
			docbridge.Coding{System: ANSFormatSystem, Code: "urn:ans:ci-sis:trod:2024", Display: "Test rapide d'orientation diagnostique"}, true},
		{"CSE-MDE", []string{"1.2.250.1.213.1.1.1.5", "1.2.250.1.213.1.1.1.5.4"},
			docbridge.Coding{System: ANSFormatSystem, Code: "urn:ans:ci-sis:cse-mde:2023", Display: "Mesures de signes vitaux"}, true},
		{"LDL-SES", []string{"1.2.250.1.213.1.1.1.29"},
			docbridge.Coding{System: ANSFormatSystem, Code: "urn:asip:ci-sis:ldl-ses:2017", Display: "Lettre de Liaison à la sortie de l'établissement de santé"}, true},
		{"CR-IMG", []string{"1.2.840.10008.9.1", "1.2.250.1.213.1.1.1.45"},
			docbridge.Coding{System: IHEFormatSystem, Code: "urn:ihe:rad:CDA:ImagingReportStructuredHeadings:2013", Display: "Compte-rendu d'imagerie médicale"}, true},
		{"eP-MED-DM", []string{"1.3.6.1.4.1.19376.1.9.1.1.1", "1.2.250.1.213.1.1.1.39"},
			docbridge.Coding{System: IHEFormatSystem, Code: "urn:ihe:pharm:pre:2010", Display: "Prescription de médicaments"}, true},
		{"VAC", []string{"1.2.250.1.213.1.1.1.37"},
			docbridge.Coding{System: ANSFormatSystem, Code: "urn:asip:ci-sis:vac:2019", Display: "Historique des vaccinations"}, true},
		{"APSR (A11 JSON only)", []string{"1.3.6.1.4.1.19376.1.8.1.1.1"},
			docbridge.Coding{System: IHEFormatSystem, Code: "urn:ihe:pat:apsr:all:2010", Display: "Compte rendu d'anatomie et de cytologie pathologiques - Modèle générique"}, true},
		{"N1 XDS-SD is ambiguous", []string{"2.16.840.1.113883.2.8.2.1", "1.2.250.1.213.1.1.1.1", "1.3.6.1.4.1.19376.1.2.20"}, docbridge.Coding{}, false},
		{"unknown", []string{"1.2.3.4"}, docbridge.Coding{}, false},
		{"none", nil, docbridge.Coding{}, false},
	}
	for _, tt := range tests {
		got, ok := s.FormatForTemplates(tt.templates)
		if ok != tt.ok || got != tt.want {
			t.Errorf("%s: FormatForTemplates(%q) = %+v, %v; want %+v, %v", tt.name, tt.templates, got, ok, tt.want, tt.ok)
		}
		if ok && !s.Contains(FormatCodes, got.System, got.Code) {
			t.Errorf("%s: %s|%s is not in %s", tt.name, got.System, got.Code, FormatCodes)
		}
	}
}

func TestFormatForMediaType(t *testing.T) {
	s := mustLoad(t, "")
	tests := []struct {
		mediaType, want string
	}{
		{"application/pdf", "urn:ihe:iti:xds-sd:pdf:2008"},
		{" Application/PDF ; name=cr.pdf", "urn:ihe:iti:xds-sd:pdf:2008"},
		{"text/plain", "urn:ihe:iti:xds-sd:text:2008"},
		{"text/rtf", "urn:ihe:iti-fr:xds-sd:rtf:2010"},
		{"image/jpeg", "urn:ihe:iti-fr:xds-sd:jpeg:2010"},
		{"image/tiff", "urn:ihe:iti-fr:xds-sd:tiff:2010"},
		{"application/msword", ""},
		{"", ""},
	}
	for _, tt := range tests {
		got, ok := s.FormatForMediaType(tt.mediaType)
		if ok != (tt.want != "") || got.Code != tt.want {
			t.Errorf("FormatForMediaType(%q) = %+v, %v; want %q", tt.mediaType, got, ok, tt.want)
		}
		if ok && (got.System != IHEFormatSystem || got.Display == "") {
			t.Errorf("FormatForMediaType(%q) = %+v, want system %s and a display", tt.mediaType, got, IHEFormatSystem)
		}
	}
}

// Every embedded data file is parsed and contributes to a table.
func TestEmbeddedFilesParsed(t *testing.T) {
	files, err := embeddedFiles()
	if err != nil {
		t.Fatal(err)
	}
	if len(files) != 19 {
		t.Errorf("embedded %d data files, want 19", len(files))
	}
	for _, f := range files {
		tb, err := parseData(f)
		if err != nil {
			t.Errorf("parseData(%s): %v", f.name, err)
			continue
		}
		if n := len(tb.concepts) + len(tb.pairs); n == 0 {
			t.Errorf("%s: %s is empty", f.name, tb.name)
		}
		// An override replacing this file must define the same table.
		if got := shortName(tableInName.FindString(f.base)); got != tb.name {
			t.Errorf("%s: file name says %q, content defines %q", f.name, got, tb.name)
		}
	}

	s := mustLoad(t, "")
	wantSets := map[string]int{ // members after retired concepts are left out
		"JDV_J01": 396, "JDV_J02": 69, "JDV_J04": 12, "JDV_J06": 13, "JDV_J07": 114, "JDV_J08": 6,
		"JDV_J10": 90, "JDV_J143": 3, "JDV_J197": 7, "JDV_J231": 3, "JDV_J57": 12, "JDV_J58": 6,
		"JDV_J60": 62, "TRE_A03": 12, "TRE_A04": 79,
	}
	gotSets := map[string]int{}
	for _, n := range s.ValueSets() {
		gotSets[n] = len(s.Members(n))
	}
	if diff := cmp.Diff(wantSets, gotSets); diff != "" {
		t.Errorf("value set sizes (-want +got):\n%s", diff)
	}
	if got, want := len(s.classOf), 130; got != want {
		t.Errorf("ASS_X04 classes = %d, want %d", got, want)
	}
	if got, want := len(s.formatByTemplate), 82; got != want {
		t.Errorf("ASS_A11 templates = %d, want %d", got, want)
	}
	if got, want := len(s.formatByMedia), 6; got != want {
		t.Errorf("ASS_12 media types = %d, want %d", got, want)
	}
}

func TestMembers(t *testing.T) {
	s := mustLoad(t, "")
	got := s.Members(Genders)
	want := []docbridge.Coding{
		{System: HL7AdministrativeGender, Code: "F", Display: "Féminin"},
		{System: HL7AdministrativeGender, Code: "M", Display: "Masculin"},
		{System: HL7AdministrativeGender, Code: "UN", Display: "Inconnu"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Members(%s) (-want +got):\n%s", Genders, diff)
	}
	if got := s.Members("JDV_J99"); got != nil {
		t.Errorf("Members(JDV_J99) = %v, want nil", got)
	}
}

// A Set is read by many workers at once (run with -race).
func TestConcurrentUse(t *testing.T) {
	s := mustLoad(t, "")
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for range 100 {
				if _, ok := s.Lookup(TypeCodes, LOINC, "11502-2"); !ok {
					t.Error("Lookup failed")
				}
				s.ClassOf(docbridge.Coding{System: LOINC, Code: "11502-2"})
				s.FormatForTemplates([]string{"1.2.250.1.213.1.1.1.55"})
				s.FormatForMediaType("application/pdf")
				s.Members(ClassCodes)
			}
		})
	}
	wg.Wait()
}
