package pairing

import (
	"html/template"
	"slices"
	"strings"

	"github.com/docbridge/docbridge"
)

// The pages a patient sees, in French: they are the patients of French
// labs and clinics. Each page says what happened and what to do; a page
// after which the patient may try again links to the start of the flow.

// page is one patient-facing page.
type page struct {
	Kind  string // a stable name, the id of the page's <main>, for tests
	Title string
	Msg   string // "{service}" stands for the service's name
	Again bool   // offer to start the pairing again
}

var (
	pageNotValid = page{Kind: "not-valid", Title: "Lien non valable",
		Msg: "Ce lien de liaison n'est pas valable dans ce navigateur : il a peut-être été ouvert dans un autre navigateur ou copié. Recommencez la liaison depuis le début.", Again: true}
	pageExpired = page{Kind: "expired", Title: "Lien expiré",
		Msg: "Cette demande de liaison a expiré ou a déjà été utilisée. Recommencez la liaison depuis le début.", Again: true}
	pageRefused = page{Kind: "refused", Title: "Liaison non autorisée",
		Msg: "Vous n'avez pas autorisé la liaison dans Mon espace santé. Rien n'a été modifié. Si vous changez d'avis, vous pouvez recommencer.", Again: true}
	pageMESFailed = page{Kind: "error", Title: "Liaison non terminée",
		Msg: "Mon espace santé n'a pas terminé la liaison. Merci de réessayer plus tard.", Again: true}
	pageIdentityUnusable = page{Kind: "identity", Title: "Identité inutilisable",
		Msg: "L'identité transmise par Mon espace santé ne permet pas de déposer vos documents. Merci de prendre contact avec nous."}
	pageNotRecorded = page{Kind: "error", Title: "Liaison non enregistrée",
		Msg: "La liaison n'a pas pu être enregistrée. Merci de réessayer plus tard.", Again: true}
	pagePaired = page{Kind: "paired", Title: "Liaison réussie",
		Msg: "Votre profil Mon espace santé est maintenant relié à {service}. Vos documents y seront déposés. Vous pouvez fermer cette page."}
)

// scopeData names, in French, the data each scope but documents lets the
// service send.
var scopeData = map[string]string{
	docbridge.ScopeMeasurements: "vos mesures de santé (poids, tension, glycémie…)",
	docbridge.ScopeAgenda:       "vos rendez-vous",
}

// refusedScopes are the scopes asked that pairing p does not grant.
func refusedScopes(asked []string, p docbridge.Pairing) []string {
	var out []string
	for _, s := range asked {
		if s != docbridge.ScopeDocuments && !slices.Contains(p.Scopes, s) {
			out = append(out, s)
		}
	}
	return out
}

// pagePairedPartly is the success page of a patient who did not grant
// every scope asked: what will not be sent, and how to grant it.
func pagePairedPartly(refused []string) page {
	var data []string
	for _, s := range refused {
		data = append(data, scopeData[s])
	}
	return page{Kind: "paired-partly", Title: "Liaison réussie",
		Msg: "Votre profil Mon espace santé est maintenant relié à {service}. Vos documents y seront déposés. Vous n'avez pas autorisé " +
			strings.Join(data, " ni ") + " : rien de cela ne sera transmis. Pour l'autoriser, recommencez la liaison.",
		Again: true}
}

// pageData is what pageTmpl renders.
type pageData struct {
	Service string
	Page    page
}

// Msg is the page's sentence with the service's name in it.
func (d pageData) Msg() string {
	return strings.ReplaceAll(d.Page.Msg, "{service}", d.Service)
}

// pageTmpl renders a page; the "start again" link is relative, so that it
// reaches /start beside /callback behind a reverse proxy's path prefix too.
var pageTmpl = template.Must(template.New("page").Parse(`<!doctype html>
<html lang="fr"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{.Service}} — {{.Page.Title}}</title></head>
<body><main id="{{.Page.Kind}}"><h1>{{.Page.Title}}</h1>
<p>{{.Msg}}</p>
{{if .Page.Again}}<p><a id="again" href="start">Recommencer la liaison avec Mon espace santé</a></p>{{end}}
<footer><p>{{.Service}} — liaison avec Mon espace santé</p></footer></main></body></html>
`))
