package mes

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/docbridge/docbridge"
)

// PairingOptions configures a PairingClient.
type PairingOptions struct {
	// BaseURL is the base of MES's pairing (OAuth2) endpoints; the paths
	// are in wire_pairing.go.
	BaseURL      string
	ClientID     string
	ClientSecret string // "" for a public client (PKCE only)
	// RedirectURL is docbridge's callback, as registered at MES.
	RedirectURL string
	// Scopes are the MES scopes the authorize request asks the patient to
	// grant (docbridge.ScopeDocuments, ScopeMeasurements, ScopeAgenda);
	// empty means documents only.
	Scopes     []string
	HTTPClient *http.Client // nil means NewHTTPClient(nil)
	UserAgent  string       // "" means "docbridge"
	Now        func() time.Time
}

// PairingClient speaks the pairing flow with MES: the authorize URL, the
// code exchange with PKCE, refresh, the paired patient's identity and
// revocation. It is safe for concurrent use.
type PairingClient struct {
	o PairingOptions
}

// NewPairingClient returns a PairingClient for o. It does no I/O.
func NewPairingClient(o PairingOptions) *PairingClient {
	if o.HTTPClient == nil {
		o.HTTPClient = NewHTTPClient(nil)
	}
	if o.UserAgent == "" {
		o.UserAgent = "docbridge"
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	return &PairingClient{o: o}
}

// Token is what MES grants for one paired patient. It is secret.
type Token struct {
	AccessToken  string
	RefreshToken string    // may be empty: then the pairing ends when AccessToken expires
	ExpiresAt    time.Time // zero when MES gives no expires_in
	MESPatient   string    // the patient's id at MES
	Scope        string    // the scopes granted, space-separated (RFC 6749 §3.3)
}

// Scopes returns the scopes the token grants, as a list; nil when MES
// named none.
func (t Token) Scopes() []string {
	if f := strings.Fields(t.Scope); len(f) > 0 {
		return f
	}
	return nil
}

// NewPKCE returns a fresh PKCE code verifier (43 characters of base64url)
// and its S256 challenge (RFC 7636).
func NewPKCE() (verifier, challenge string) {
	var b [32]byte
	rand.Read(b[:]) // never fails (crypto/rand)
	verifier = base64.RawURLEncoding.EncodeToString(b[:])
	return verifier, PKCEChallenge(verifier)
}

// PKCEChallenge returns the S256 challenge of a verifier.
func PKCEChallenge(verifier string) string {
	sum := sha256.Sum256([]byte(verifier))
	return base64.RawURLEncoding.EncodeToString(sum[:])
}

// AuthorizeURL returns where to send the patient's browser to pair, asking
// for the configured scopes (PairingOptions.Scopes; documents when none),
// with this state and PKCE challenge.
func (c *PairingClient) AuthorizeURL(state, challenge string) string {
	scopes := c.o.Scopes
	if len(scopes) == 0 {
		scopes = []string{docbridge.ScopeDocuments}
	}
	return authorizeURL(c.o.BaseURL, c.o.ClientID, c.o.RedirectURL, strings.Join(scopes, " "), state, challenge)
}

// Exchange trades an authorization code and its PKCE verifier for tokens.
// It blocks until MES answers or ctx is done. Errors are *docbridge.Error:
// PairingRevoked (invalid_grant: the code is used, expired or not ours),
// MESUnavailable (network, 5xx), MESRejected (other refusals: a
// configuration problem such as an unknown client).
func (c *PairingClient) Exchange(ctx context.Context, code, verifier string) (Token, error) {
	return c.token(ctx, url.Values{
		"grant_type":    {"authorization_code"},
		"code":          {code},
		"redirect_uri":  {c.o.RedirectURL},
		"code_verifier": {verifier},
	})
}

// Refresh obtains new tokens with a refresh token. Errors are as
// Exchange's; PairingRevoked means the pairing is gone (the patient ended
// it, or the refresh token expired).
func (c *PairingClient) Refresh(ctx context.Context, refreshToken string) (Token, error) {
	if refreshToken == "" {
		return Token{}, docbridge.Errorf(docbridge.PairingRevoked, "the pairing has no refresh token: the patient must pair again")
	}
	return c.token(ctx, url.Values{"grant_type": {"refresh_token"}, "refresh_token": {refreshToken}})
}

func (c *PairingClient) token(ctx context.Context, form url.Values) (Token, error) {
	form.Set("client_id", c.o.ClientID)
	if c.o.ClientSecret != "" {
		form.Set("client_secret", c.o.ClientSecret)
	}
	body, err := c.post(ctx, pathToken, form)
	if err != nil {
		return Token{}, err
	}
	var tr struct {
		AccessToken  string `json:"access_token"`
		TokenType    string `json:"token_type"`
		ExpiresIn    int64  `json:"expires_in"`
		RefreshToken string `json:"refresh_token"`
		Scope        string `json:"scope"`
		Patient      string `json:"patient"`
	}
	if err := json.Unmarshal(body, &tr); err != nil || tr.AccessToken == "" || !strings.EqualFold(tr.TokenType, "bearer") {
		return Token{}, docbridge.Errorf(docbridge.MESRejected, "MES's token answer is not an OAuth2 bearer token")
	}
	t := Token{AccessToken: tr.AccessToken, RefreshToken: tr.RefreshToken, MESPatient: tr.Patient, Scope: tr.Scope}
	if tr.ExpiresIn > 0 {
		t.ExpiresAt = c.o.Now().Add(time.Duration(tr.ExpiresIn) * time.Second).UTC()
	}
	return t, nil
}

// Identity returns the paired patient's identity as MES holds it: the INS
// with its system and the five strict traits. Errors are *docbridge.Error:
// PairingRevoked (401), MESUnavailable, MESRejected (an answer without an
// INS identifier). It never logs nor returns patient data in errors.
func (c *PairingClient) Identity(ctx context.Context, accessToken string) (docbridge.Patient, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, endpoint(c.o.BaseURL, pathIdentity), nil)
	if err != nil {
		return docbridge.Patient{}, docbridge.Wrap(docbridge.Internal, "build the MES identity request; check mes.pairing_url", err)
	}
	setHeaders(req.Header, accessToken, newRequestID(), c.o.UserAgent)
	body, err := c.do(req)
	if err != nil {
		return docbridge.Patient{}, err
	}
	var fp fhirPatient
	if err := json.Unmarshal(body, &fp); err != nil || fp.ResourceType != "Patient" {
		return docbridge.Patient{}, docbridge.Errorf(docbridge.MESRejected, "MES's identity answer is not a FHIR Patient")
	}
	var p docbridge.Patient
	for _, id := range fp.Identifier {
		if insOIDs[id.System] {
			p.INS, p.INSSystem = id.Value, id.System
			break
		}
	}
	if p.INS == "" {
		return docbridge.Patient{}, docbridge.Errorf(docbridge.MissingINS, "MES's identity of the paired patient has no INS")
	}
	for _, n := range fp.Name {
		if n.Use == "official" || len(fp.Name) == 1 {
			p.BirthName, p.FirstNames = n.Family, n.Given
			break
		}
	}
	p.BirthDate, p.Sex = fp.BirthDate, genders[fp.Gender]
	for _, e := range fp.Extension {
		if e.URL != extBirthPlace || e.ValueAddress == nil {
			continue
		}
		for _, ae := range e.ValueAddress.Extension {
			if ae.URL == extInseeCode {
				p.BirthPlace = ae.ValueCoding.Code
			}
		}
	}
	p.IdentityStatus = "QUAL" // MES identities come from the INS teleservice
	return p, nil
}

// Revoke asks MES to end the pairing of this token (RFC 7009): both a
// refresh token and an access token may be given. An unknown token is
// success. Errors are MESUnavailable or MESRejected.
func (c *PairingClient) Revoke(ctx context.Context, token string) error {
	form := url.Values{"token": {token}, "client_id": {c.o.ClientID}}
	if c.o.ClientSecret != "" {
		form.Set("client_secret", c.o.ClientSecret)
	}
	_, err := c.post(ctx, pathRevoke, form)
	return err
}

func (c *PairingClient) post(ctx context.Context, path string, form url.Values) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, endpoint(c.o.BaseURL, path), strings.NewReader(form.Encode()))
	if err != nil {
		return nil, docbridge.Wrap(docbridge.Internal, "build the MES pairing request; check mes.pairing_url", err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", c.o.UserAgent)
	req.Header.Set(headerRequestID, newRequestID())
	return c.do(req)
}

// do sends req and classifies the answer once: the body of a 2xx, or a
// *docbridge.Error. OAuth2 error answers (RFC 6749 §5.2) name the error
// code only; descriptions are not kept (they could echo anything).
func (c *PairingClient) do(req *http.Request) ([]byte, error) {
	resp, err := c.o.HTTPClient.Do(req)
	if err != nil {
		return nil, docbridge.Wrap(docbridge.MESUnavailable, "MES pairing endpoint "+req.URL.Path+" could not be reached", err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, maxAnswerBytes))
	st := resp.StatusCode
	var oe struct {
		Error string `json:"error"`
	}
	json.Unmarshal(body, &oe)
	code := oauthErrorCode(oe.Error)
	switch {
	case st >= 200 && st < 300:
		return body, nil
	case st == http.StatusTooManyRequests || st >= 500:
		return nil, &docbridge.Error{Reason: docbridge.MESUnavailable,
			Msg:        fmt.Sprintf("MES pairing endpoint %s is unavailable (HTTP %d)", req.URL.Path, st),
			RetryAfter: parseRetryAfter(resp.Header.Get("Retry-After"), c.o.Now())}
	case st == http.StatusUnauthorized || code == "invalid_grant":
		return nil, docbridge.Errorf(docbridge.PairingRevoked, "MES says the pairing is gone (HTTP %d %s)", st, code)
	}
	return nil, docbridge.Errorf(docbridge.MESRejected, "MES refused the pairing request %s (HTTP %d %s); check the pairing configuration", req.URL.Path, st, code)
}

// oauthErrorCode keeps an OAuth2 error code only if it is one of RFC 6749's
// or RFC 7009's, so that nothing else from the answer reaches a message.
func oauthErrorCode(code string) string {
	switch code {
	case "invalid_request", "invalid_client", "invalid_grant", "unauthorized_client",
		"unsupported_grant_type", "invalid_scope", "unsupported_token_type", "access_denied":
		return code
	}
	return ""
}
