package cda

import (
	"bufio"
	"bytes"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/hex"
	"encoding/xml"
	"errors"
	"hash"
	"io"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/beevik/etree"

	"github.com/docbridge/docbridge"
	"github.com/docbridge/docbridge/convert/internal/dates"
	"github.com/docbridge/docbridge/mappings"
)

// ConvertStream is Convert for an input read from r (size bytes), for big
// documents: it reads the input once, never holding it in memory. The
// document is built from a token-level reader (encoding/xml RawToken with
// the policy of parse: no DTD, MaxDepth, strict XML, declared namespace
// prefixes, UTF-8) into the same tree Convert reads, except that the base64
// text of a level-1 body (ClinicalDocument/component/nonXMLBody/text) is
// not kept: it is checked as it streams by (base64, PDF signature and end
// marker, as Convert does). Size, SHA1 and SHA256 are computed on the way.
//
// The returned document has ContentIsInput set and no Content: the bytes
// to send are the input itself. Its metadata and problems equal Convert's
// on the same bytes (a test and FuzzStreamHeader check it). MaxSize does
// not apply: the caller bounds the input. The refusals are Convert's
// (syntax error messages may give other line numbers). A document in a
// single-byte character set (ISO-8859-1, windows-1252), or with an
// attribute name encoding/xml and etree split differently, is read by
// Convert instead (in memory, within MaxSize).
func ConvertStream(r io.ReaderAt, size int64, m *mappings.Set, loc *time.Location) ([]*docbridge.Document, error) {
	st, err := parseStream(io.NewSectionReader(r, 0, size))
	if errors.Is(err, errNeedTree) {
		return convertInMemory(r, size, m, loc)
	}
	if err != nil {
		return nil, err
	}
	if m == nil {
		return nil, docbridge.Errorf(docbridge.Internal, "cda.ConvertStream was called without value sets (mappings)")
	}
	loc, err = dates.Location(loc)
	if err != nil {
		return nil, err
	}
	d := &docbridge.Document{
		Action:         docbridge.Create,
		ContentType:    ContentType,
		Size:           st.size,
		SHA1:           hex.EncodeToString(st.sha1.Sum(nil)),
		SHA256:         hex.EncodeToString(st.sha256.Sum(nil)),
		Authors:        []docbridge.Author{},
		Problems:       []docbridge.Problem{},
		ContentIsInput: true,
	}
	b := &builder{m: m, loc: loc, d: d, payloads: st.payloads}
	b.build(st.doc.Root())
	return []*docbridge.Document{d}, nil
}

// convertInMemory is the fallback of ConvertStream: Convert on the whole
// input.
func convertInMemory(r io.ReaderAt, size int64, m *mappings.Set, loc *time.Location) ([]*docbridge.Document, error) {
	if size > MaxSize {
		return nil, docbridge.Errorf(docbridge.TooLarge,
			"the document is %d bytes and not UTF-8; docbridge reads such CDA documents up to %d MiB", size, MaxSize>>20)
	}
	raw := make([]byte, size)
	if _, err := r.ReadAt(raw, 0); err != nil && !(errors.Is(err, io.EOF) && size == 0) {
		return nil, docbridge.Wrap(docbridge.Internal, "read the stored input", err)
	}
	docs, err := Convert(raw, m, loc)
	for _, d := range docs {
		d.ContentIsInput = true
	}
	return docs, err
}

// errNeedTree makes ConvertStream fall back to Convert.
var errNeedTree = errors.New("cda: this input is read in memory")

// streamed is what parseStream read.
type streamed struct {
	doc          *etree.Document
	payloads     map[*etree.Element]*payloadCheck
	size         int64
	sha1, sha256 hash.Hash
}

// parseStream is parse over a reader; see ConvertStream.
func parseStream(r io.Reader) (*streamed, error) {
	st := &streamed{payloads: map[*etree.Element]*payloadCheck{}, sha1: sha1.New(), sha256: sha256.New()}
	src := &sourceReader{r: r, st: st}
	br := bufio.NewReaderSize(src, 64<<10)
	if bom, _ := br.Peek(3); bytes.Equal(bom, []byte("\xEF\xBB\xBF")) {
		br.Discard(3)
	}
	in := &byteReader{br: br}
	dec := xml.NewDecoder(in) // a ByteReader: the decoder reads no further than it needs
	dec.Strict = true
	var charset charsetPolicy
	dec.CharsetReader = func(label string, in io.Reader) (io.Reader, error) {
		switch strings.ToLower(strings.TrimSpace(label)) {
		case "utf-8", "utf8", "us-ascii", "ascii":
			return in, nil
		}
		if _, err := charset.reader(label, in); err != nil {
			return nil, err
		}
		return nil, errNeedTree
	}
	doc := etree.NewDocument()
	stack := []*etree.Element{&doc.Element}
	var pc *payloadCheck // the check of the level-1 text being read
	for {
		top := stack[len(stack)-1]
		// Skip only when the decoder holds no byte it read ahead (after
		// text it keeps the '<' that ended it).
		if pc != nil && st.payloads[top] == pc && in.n == dec.InputOffset() {
			if err := skipBase64(br, pc); err != nil {
				return nil, docbridge.Wrap(docbridge.Internal, "read the input", err)
			}
		}
		tok, err := dec.RawToken()
		if err == io.EOF {
			if src.spaceOnly {
				return nil, docbridge.Errorf(docbridge.Malformed, "the input is empty")
			}
			if len(stack) != 1 {
				return nil, docbridge.Errorf(docbridge.Malformed,
					"the XML ends before its elements are closed, or closes elements it never opened")
			}
			break
		}
		if err != nil {
			return nil, streamError(err, &charset, src)
		}
		switch t := tok.(type) {
		case xml.StartElement:
			if len(stack) > MaxDepth {
				return nil, docbridge.Errorf(docbridge.ForbiddenConstruct,
					"elements are nested deeper than %d levels; docbridge refuses such nesting", MaxDepth)
			}
			e := etree.NewElement("e")
			e.Space, e.Tag = t.Name.Space, t.Name.Local
			top.AddChild(e)
			for _, a := range t.Attr {
				if a.Name.Space == "" && strings.Contains(a.Name.Local, ":") {
					return nil, errNeedTree
				}
				key := a.Name.Local
				if a.Name.Space != "" {
					key = a.Name.Space + ":" + key
				}
				e.CreateAttr(key, a.Value)
			}
			stack = append(stack, e)
			if isLevelOneText(e) {
				pc = &payloadCheck{}
				st.payloads[e] = pc
			}
		case xml.EndElement:
			if len(stack) == 1 || top.Tag != t.Name.Local || top.Space != t.Name.Space {
				return nil, docbridge.Errorf(docbridge.Malformed,
					"the input is not well-formed XML: %s", syntaxKind("closed by"))
			}
			if p := st.payloads[top]; p != nil {
				p.close()
				if p.text && !hasText(top) {
					top.CreateText("[base64 content checked while streaming]")
				}
				pc = nil
			}
			stack = stack[:len(stack)-1]
		case xml.CharData:
			if p := st.payloads[top]; p != nil {
				p.write(t)
			}
			c := top.CreateText(string(t))
			c.SetData(c.Data) // sets the white-space flag as etree's reader does
		case xml.Comment:
			top.CreateComment(string(t))
		case xml.Directive:
			return nil, forbiddenDTD(string(t))
		case xml.ProcInst:
			top.CreateProcInst(t.Target, string(t.Inst))
		}
	}
	if !src.validUTF8() {
		return nil, docbridge.Errorf(docbridge.Malformed,
			"the document is UTF-8 (declared or by default) but holds bytes that are not UTF-8: check the sender's character set")
	}
	root, err := singleRoot(doc)
	if err != nil {
		return nil, err
	}
	if err := checkRoot(root); err != nil {
		return nil, err
	}
	if err := checkTree(root); err != nil {
		return nil, err
	}
	st.doc = doc
	return st, nil
}

// isLevelOneText reports whether e, just opened, is a
// ClinicalDocument/component/nonXMLBody/text (the only text the builder
// reads as a payload).
func isLevelOneText(e *etree.Element) bool {
	if e.Tag != "text" || !v3(e) {
		return false
	}
	nx := e.Parent()
	if nx == nil || nx.Tag != "nonXMLBody" || !v3(nx) {
		return false
	}
	comp := nx.Parent()
	if comp == nil || comp.Tag != "component" || !v3(comp) {
		return false
	}
	root := comp.Parent()
	return root != nil && root.Parent() != nil && root.Parent().Parent() == nil
}

// streamError turns a decoder error into the refusal parse would give.
func streamError(err error, charset *charsetPolicy, src *sourceReader) error {
	if charset.unsupported != "" {
		return docbridge.Errorf(docbridge.UnsupportedFormat,
			"the document declares the character encoding %q; docbridge reads UTF-8, US-ASCII, ISO-8859-1 and windows-1252",
			clip(charset.unsupported))
	}
	if errors.Is(err, errNeedTree) {
		return errNeedTree
	}
	if src.err != nil {
		return docbridge.Wrap(docbridge.Internal, "read the input", src.err)
	}
	var syn *xml.SyntaxError
	if errors.As(err, &syn) {
		if strings.Contains(syn.Msg, "unexpected EOF") {
			return docbridge.Errorf(docbridge.Malformed,
				"the XML ends before its elements are closed (line %d); the file looks truncated", syn.Line)
		}
		return docbridge.Errorf(docbridge.Malformed, "the input is not well-formed XML: line %d: %s", syn.Line, syntaxKind(syn.Msg))
	}
	return docbridge.Errorf(docbridge.Malformed, "the input is not well-formed XML: %s", syntaxKind(err.Error()))
}

// byteReader hides bufio.Reader's other methods from the decoder and
// counts the bytes the decoder took.
type byteReader struct {
	br *bufio.Reader
	n  int64
}

func (b *byteReader) Read(p []byte) (int, error) {
	n, err := b.br.Read(p)
	b.n += int64(n)
	return n, err
}

func (b *byteReader) ReadByte() (byte, error) {
	c, err := b.br.ReadByte()
	if err == nil {
		b.n++
	}
	return c, err
}

// b64Skip marks the bytes skipBase64 consumes: the base64 alphabet and the
// white space allowed in it.
var b64Skip = func() (t [256]bool) {
	for _, c := range []byte("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/= \t\r\n") {
		t[c] = true
	}
	return t
}()

// skipBase64 feeds pc the text at the front of br while it is base64 and
// white space (character references to white space included), and stops
// before anything else — '<' normally — which the decoder then reads.
func skipBase64(br *bufio.Reader, pc *payloadCheck) error {
	for {
		buf, err := br.Peek(max(br.Buffered(), 1))
		if len(buf) == 0 {
			if err == io.EOF {
				return nil // the decoder reports the truncation
			}
			return err
		}
		i := 0
		for i < len(buf) && b64Skip[buf[i]] {
			i++
		}
		pc.write(buf[:i])
		br.Discard(i)
		if i < len(buf) {
			if buf[i] != '&' {
				return nil
			}
			ref, _ := br.Peek(8)
			n := spaceCharRef(ref)
			if n == 0 {
				return nil
			}
			br.Discard(n)
		}
	}
}

// spaceCharRefs are the character references to a tab, LF, CR or space
// that skipBase64 passes over; any other reference stops it.
var spaceCharRefs = []string{"&#9;", "&#10;", "&#13;", "&#32;", "&#x9;", "&#xA;", "&#xa;", "&#xD;", "&#xd;", "&#x20;"}

// spaceCharRef returns the length of the character reference to white
// space at the start of b, or 0.
func spaceCharRef(b []byte) int {
	for _, r := range spaceCharRefs {
		if bytes.HasPrefix(b, []byte(r)) {
			return len(r)
		}
	}
	return 0
}

// sourceReader hashes, counts and checks as UTF-8 every byte of the input.
type sourceReader struct {
	r         io.Reader
	st        *streamed
	carry     []byte // an incomplete UTF-8 sequence at the end of the last read
	badUTF8   bool
	spaceOnly bool
	started   bool
	err       error
}

func (s *sourceReader) Read(p []byte) (int, error) {
	n, err := s.r.Read(p)
	if n > 0 {
		b := p[:n]
		s.st.sha1.Write(b)
		s.st.sha256.Write(b)
		s.st.size += int64(n)
		if !s.started {
			s.started, s.spaceOnly = true, true
		}
		if s.spaceOnly && len(bytes.TrimSpace(b)) != 0 {
			s.spaceOnly = false
		}
		s.checkUTF8(b)
	}
	if err != nil && err != io.EOF {
		s.err = err
	}
	if err == io.EOF && !s.started {
		s.started, s.spaceOnly = true, true
	}
	return n, err
}

func (s *sourceReader) checkUTF8(b []byte) {
	if s.badUTF8 {
		return
	}
	if len(s.carry) > 0 {
		b = append(s.carry, b...)
	}
	// An incomplete sequence at the end waits for the next read.
	cut := len(b)
	for k := 1; k <= 3 && k <= len(b); k++ {
		c := b[len(b)-k]
		if c < 0x80 {
			break
		}
		if utf8.RuneStart(c) {
			if !utf8.FullRune(b[len(b)-k:]) {
				cut = len(b) - k
			}
			break
		}
	}
	if !utf8.Valid(b[:cut]) {
		s.badUTF8 = true
		return
	}
	s.carry = append(s.carry[:0:0], b[cut:]...)
}

// validUTF8 reports whether the whole input was UTF-8.
func (s *sourceReader) validUTF8() bool { return !s.badUTF8 && len(s.carry) == 0 }
