package messim

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
)

// The DocumentReference as the simulator reads it: every R4 element is
// declared (unknown ones are refused), the ones it checks are typed, the
// others are kept raw.

type element struct {
	ID        json.RawMessage `json:"id"`
	Extension json.RawMessage `json:"extension"`
}

type backbone struct {
	element
	ModifierExtension json.RawMessage `json:"modifierExtension"`
}

type coding struct {
	element
	System       string `json:"system"`
	Version      string `json:"version"`
	Code         string `json:"code"`
	Display      string `json:"display"`
	UserSelected *bool  `json:"userSelected"`
}

type concept struct {
	element
	Coding []coding `json:"coding"`
	Text   string   `json:"text"`
}

type identifier struct {
	element
	Use      string          `json:"use"`
	Type     json.RawMessage `json:"type"`
	System   string          `json:"system"`
	Value    string          `json:"value"`
	Period   json.RawMessage `json:"period"`
	Assigner json.RawMessage `json:"assigner"`
}

type reference struct {
	element
	Reference  string      `json:"reference"`
	Type       string      `json:"type"`
	Identifier *identifier `json:"identifier"`
	Display    string      `json:"display"`
}

type attachment struct {
	element
	ContentType string  `json:"contentType"`
	Language    string  `json:"language"`
	Data        *string `json:"data"`
	URL         string  `json:"url"`
	Size        *int64  `json:"size"`
	Hash        string  `json:"hash"`
	Title       string  `json:"title"`
	Creation    string  `json:"creation"`
}

type content struct {
	backbone
	Attachment *attachment `json:"attachment"`
	Format     *coding     `json:"format"`
}

type period struct {
	element
	Start string `json:"start"`
	End   string `json:"end"`
}

type docContext struct {
	backbone
	Encounter         json.RawMessage `json:"encounter"`
	Event             json.RawMessage `json:"event"`
	Period            *period         `json:"period"`
	FacilityType      *concept        `json:"facilityType"`
	PracticeSetting   *concept        `json:"practiceSetting"`
	SourcePatientInfo *reference      `json:"sourcePatientInfo"`
	Related           json.RawMessage `json:"related"`
}

type relatesTo struct {
	backbone
	Code   string     `json:"code"`
	Target *reference `json:"target"`
}

type docRef struct {
	ResourceType      string            `json:"resourceType"`
	ID                string            `json:"id"`
	Meta              json.RawMessage   `json:"meta"`
	ImplicitRules     json.RawMessage   `json:"implicitRules"`
	Language          json.RawMessage   `json:"language"`
	Text              json.RawMessage   `json:"text"`
	Contained         []json.RawMessage `json:"contained"`
	Extension         json.RawMessage   `json:"extension"`
	ModifierExtension json.RawMessage   `json:"modifierExtension"`
	MasterIdentifier  *identifier       `json:"masterIdentifier"`
	Identifier        json.RawMessage   `json:"identifier"`
	Status            string            `json:"status"`
	DocStatus         json.RawMessage   `json:"docStatus"`
	Type              *concept          `json:"type"`
	Category          []concept         `json:"category"`
	Subject           *reference        `json:"subject"`
	Date              string            `json:"date"`
	Author            []reference       `json:"author"`
	Authenticator     *reference        `json:"authenticator"`
	Custodian         *reference        `json:"custodian"`
	RelatesTo         []relatesTo       `json:"relatesTo"`
	Description       json.RawMessage   `json:"description"`
	SecurityLabel     []concept         `json:"securityLabel"`
	Content           []content         `json:"content"`
	Context           *docContext       `json:"context"`
}

// The wire profiles, as Stored.Profile names them.
const (
	profileMESAPI = "mes-api"
	profilePDSm   = "pdsm-iti65"
)

// submission is a parsed and decoded request: the metadata and what the
// inline data (mes-api) or the Binary's data (pdsm-iti65) decoded to.
type submission struct {
	profile  string
	doc      docRef
	size     int64  // decoded bytes
	sum      []byte // SHA-1 of the decoded bytes
	hasData  bool   // attachment.data was present and not empty
	dataErr  error  // the data is not valid base64, or could not be stored
	dataSeen int    // data strings seen (more than one is refused)
}

// parse reads a DocumentReference from body, streaming attachment.data into
// a decoder that writes the content to w. Errors are 400 (structure) or 413
// problems.
func parse(body io.Reader, w io.Writer) (*submission, *problem) {
	sink := newB64Sink(w)
	f := newDataFilter(body, sink, inlineDataPath)
	sub := submission{profile: profileMESAPI}
	if p := decodeOne(f, &sub.doc, "DocumentReference"); p != nil {
		return nil, p
	}
	sub.dataSeen = f.diverts
	if len(sub.doc.Content) == 1 && sub.doc.Content[0].Attachment != nil && sub.doc.Content[0].Attachment.Data != nil {
		if d := *sub.doc.Content[0].Attachment.Data; d != "" {
			// Not seen by the filter (an escaped member name): decode it here.
			sink.write([]byte(d))
			sub.dataSeen++
		}
	}
	sub.hasData = sub.dataSeen > 0
	sub.dataErr = sink.close()
	sub.size = sink.n
	sub.sum = sink.h.Sum(nil)
	return &sub, nil
}

// jsonError describes a decoding error without quoting the input.
func jsonError(err error) string {
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	switch {
	case errors.As(err, &se):
		return fmt.Sprintf("malformed JSON at byte %d", se.Offset)
	case errors.As(err, &te):
		return fmt.Sprintf("element %s has the wrong JSON type (%s)", te.Field, te.Value)
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return "the body ends too early"
	case strings.HasPrefix(err.Error(), "json: unknown field"):
		return "unknown element " + strings.TrimPrefix(err.Error(), "json: unknown field ")
	}
	return "malformed JSON"
}

// decodeOne decodes the one resource of a request body into v, strictly
// (no unknown element, nothing after it): 413 past the body limit, 400
// naming what for any other fault.
func decodeOne(r io.Reader, v any, what string) *problem {
	dec := json.NewDecoder(r)
	dec.DisallowUnknownFields()
	err := dec.Decode(v)
	if err == nil {
		if _, terr := dec.Token(); terr != io.EOF {
			err = errors.New("unexpected data after the resource")
		}
	}
	if err == nil {
		return nil
	}
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		return &problem{status: http.StatusRequestEntityTooLarge, code: "too-costly",
			diag: fmt.Sprintf("the request body is over the limit of %d bytes", mbe.Limit)}
	}
	return &problem{status: http.StatusBadRequest, code: "structure", diag: "the body is not a valid " + what + ": " + jsonError(err)}
}
