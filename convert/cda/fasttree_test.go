package cda

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/beevik/etree"

	"github.com/docbridge/docbridge/convert/internal/golden"
)

// slowTree is parse's tree the usual way: etree over encoding/xml, with
// parse's settings, after checkProlog.
func slowTree(raw []byte) (*etree.Document, error) {
	if err := checkProlog(raw); err != nil {
		return nil, err
	}
	var charset charsetPolicy
	doc := etree.NewDocument()
	doc.ReadSettings = etree.ReadSettings{CharsetReader: charset.reader, MaxDepth: MaxDepth}
	return doc, doc.ReadFromBytes(raw)
}

// sameTree returns how a and b differ, token for token ("" when they do
// not), parents and indexes included.
func sameTree(a, b etree.Token, at string) string {
	switch a := a.(type) {
	case *etree.Element:
		b, ok := b.(*etree.Element)
		switch {
		case !ok:
			return at + ": element against another token"
		case a.Space != b.Space || a.Tag != b.Tag:
			return fmt.Sprintf("%s: element %q:%q against %q:%q", at, a.Space, a.Tag, b.Space, b.Tag)
		case len(a.Attr) != len(b.Attr):
			return fmt.Sprintf("%s/%s: %d attributes against %d", at, a.Tag, len(a.Attr), len(b.Attr))
		case len(a.Child) != len(b.Child):
			return fmt.Sprintf("%s/%s: %d children against %d", at, a.Tag, len(a.Child), len(b.Child))
		}
		for i := range a.Attr {
			x, y := a.Attr[i], b.Attr[i]
			if x.Space != y.Space || x.Key != y.Key || x.Value != y.Value || x.Element() != a || y.Element() != b {
				return fmt.Sprintf("%s/%s: attribute %d is %+v against %+v", at, a.Tag, i, x, y)
			}
		}
		for i := range a.Child {
			if a.Child[i].Parent() != a || a.Child[i].Index() != i || b.Child[i].Parent() != b || b.Child[i].Index() != i {
				return fmt.Sprintf("%s/%s: child %d is not linked to its parent", at, a.Tag, i)
			}
			if d := sameTree(a.Child[i], b.Child[i], fmt.Sprintf("%s/%s[%d]", at, a.Tag, i)); d != "" {
				return d
			}
		}
	case *etree.CharData:
		b, ok := b.(*etree.CharData)
		if !ok || a.Data != b.Data || a.IsWhitespace() != b.IsWhitespace() || a.IsCData() != b.IsCData() {
			return fmt.Sprintf("%s: text %#v against %#v", at, a, b)
		}
	case *etree.Comment:
		if b, ok := b.(*etree.Comment); !ok || a.Data != b.Data {
			return fmt.Sprintf("%s: comment %#v against %#v", at, a, b)
		}
	case *etree.ProcInst:
		if b, ok := b.(*etree.ProcInst); !ok || a.Target != b.Target || a.Inst != b.Inst {
			return fmt.Sprintf("%s: processing instruction %#v against %#v", at, a, b)
		}
	default:
		return fmt.Sprintf("%s: unexpected token %T", at, a)
	}
	return ""
}

// checkFastTree fails t when fastTree reads raw and the usual way does not
// build the same tree (fastTree's contract).
func checkFastTree(t *testing.T, raw []byte) (read bool) {
	t.Helper()
	fast, ok := fastTree(raw)
	if !ok {
		return false
	}
	slow, err := slowTree(raw)
	if err != nil {
		t.Fatalf("fastTree reads %q, encoding/xml refuses it: %v", raw, err)
	}
	if d := sameTree(&fast.Element, &slow.Element, ""); d != "" {
		t.Fatalf("fastTree and encoding/xml read %q differently: %s", raw, d)
	}
	return true
}

// FuzzFastTree checks fastTree's contract: whatever it reads, encoding/xml
// and etree read too, into the same tree.
func FuzzFastTree(f *testing.F) {
	for _, dir := range []string{samplesDir, golden.Corpus("cda-fr"), golden.Corpus("cda-hl7")} {
		paths, _ := filepath.Glob(filepath.Join(dir, "*.xml"))
		for _, p := range paths {
			raw, err := os.ReadFile(p)
			if err != nil {
				f.Fatal(err)
			}
			f.Add(raw)
		}
	}
	for _, c := range fastTreeCases {
		f.Add([]byte(c.xml))
	}
	f.Fuzz(func(t *testing.T, raw []byte) { checkFastTree(t, raw) })
}

// fastTreeCases are inputs fastTree reads (read) or leaves to
// encoding/xml.
var fastTreeCases = []struct {
	name, xml string
	read      bool
}{
	{"declaration and stylesheet", `<?xml version="1.0" encoding="UTF-8"?>` + "\n" + `<?xml-stylesheet type="text/xsl" href="cda.xsl"?><a xmlns="urn:hl7-org:v3"><b c="1"/></a>` + "\n", true},
	{"single quotes, standalone", `<?xml version='1.0' encoding='utf-8' standalone='yes' ?><a/>`, true},
	{"no declaration", `<a><b>x</b></a>`, true},
	{"prefixes", `<h:a xmlns:h="urn:hl7-org:v3" xmlns:xsi="x"><h:b xsi:type="CD"/></h:a>`, true},
	{"entities and references", `<a t="&lt;&amp;&gt;&quot;&apos;">&#233;&#xE9;&#x1F600;&amp;</a>`, true},
	{"carriage returns", "<a t=\"1\r\n2\r3\">x\r\ny\rz\r\n</a>\r\n", true},
	{"comments", `<!-- head --><a><!----><b/><!-- a - b --></a><!--tail-->`, true},
	{"spaces in tags", "<a  x = \"1\"\ty='2'\n></a >", true},
	{"attributes without space", `<a x="1"y="2"/>`, true},
	{"utf-8 text", "<a>é – 中文 😀</a>", true},
	{"surrogate reference", `<a>&#xD800;</a>`, true},
	{"empty", "", false},
	{"latin-1 declared", `<?xml version="1.0" encoding="ISO-8859-1"?><a/>`, false},
	{"version 1.1", `<?xml version="1.1"?><a/>`, false},
	{"doctype", `<!DOCTYPE a><a/>`, false},
	{"cdata", `<a><![CDATA[x]]></a>`, false},
	{"unknown entity", `<a>&nbsp;</a>`, false},
	{"entity without semicolon", `<a>&amp</a>`, false},
	{"reference to NUL", `<a>&#0;</a>`, false},
	{"non-ascii name", `<é/>`, false},
	{"two colons", `<a:b:c/>`, false},
	{"leading colon", `<:a/>`, false},
	{"duplicate attribute", `<a x="1" x="2"/>`, false},
	{"mismatched end", `<a></b>`, false},
	{"mismatched prefix", `<h:a xmlns:h="x" xmlns:g="x"></g:a>`, false},
	{"end without the prefix", `<h:a xmlns:h="x"></a>`, false},
	{"unclosed", `<a><b></b>`, false},
	{"two roots", `<a/><b/>`, false},
	{"text outside", `x<a/>`, false},
	{"]]> in text", `<a>]]></a>`, false},
	{"< in attribute", `<a x="<"/>`, false},
	{"unquoted attribute", `<a x=1/>`, false},
	{"attribute without value", `<a x/>`, false},
	{"control character", "<a>\x01</a>", false},
	{"invalid utf-8", "<a>\xff</a>", false},
	{"U+FFFE", "<a>\uFFFE</a>", false},
	{"double hyphen in comment", `<a><!-- a -- b --></a>`, false},
	{"name starting with a digit", `<1a/>`, false},
}

// TestFastTree reads each case both ways: what fastTree reads must be
// read the same by encoding/xml, and it reads what it should.
func TestFastTree(t *testing.T) {
	for _, c := range fastTreeCases {
		t.Run(c.name, func(t *testing.T) {
			if read := checkFastTree(t, []byte(c.xml)); read != c.read {
				t.Errorf("fastTree read it: %v, want %v", read, c.read)
			}
		})
	}
}

// TestFastTreeReadsSamples checks that the documents senders write take
// the fast way: every sample encoding/xml reads, and (logged) how many of
// the corpus files, byte order mark removed as parse does.
func TestFastTreeReadsSamples(t *testing.T) {
	dirs := []string{samplesDir, golden.Corpus("cda-fr"), golden.Corpus("cda-hl7")}
	read, all := 0, 0
	for i, dir := range dirs {
		paths, _ := filepath.Glob(filepath.Join(dir, "*.xml"))
		for _, p := range paths {
			raw, err := os.ReadFile(p)
			if err != nil {
				t.Fatal(err)
			}
			raw = bytes.TrimPrefix(raw, []byte("\xEF\xBB\xBF"))
			all++
			if checkFastTree(t, raw) {
				read++
			} else if _, err := slowTree(raw); i == 0 && err == nil {
				t.Errorf("%s: fastTree leaves a sample to encoding/xml", filepath.Base(p))
			}
		}
	}
	t.Logf("fastTree read %d of %d files", read, all)
}

// BenchmarkParseTree reads the cr-bio-n1-pdf sample (the CDA of a lab's
// ORU) into a tree, by fastTree and the usual way.
func BenchmarkParseTree(b *testing.B) {
	raw := sample(b, "cr-bio-n1-pdf.xml")
	for _, c := range []struct {
		name string
		read func([]byte) error
	}{
		{"fastTree", func(raw []byte) error {
			if _, ok := fastTree(raw); !ok {
				return errors.New("not read")
			}
			return nil
		}},
		{"encoding-xml", func(raw []byte) error { _, err := slowTree(raw); return err }},
	} {
		b.Run(c.name, func(b *testing.B) {
			b.SetBytes(int64(len(raw)))
			b.ReportAllocs()
			for b.Loop() {
				if err := c.read(raw); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
