package web

import "github.com/agriclinic/agriclinic/i18n"

// tr is a dashboard text in the language (a code of the catalog, package i18n): the
// dashboard's words are the catalog's "web.*" ids.
func tr(lang, key string) string { return i18n.Of(lang).T("web." + key) }
