// Package deps pins the modules other packages are about to use; removed once they do.
package deps

import (
	_ "github.com/beevik/etree"
	_ "github.com/fsnotify/fsnotify"
	_ "github.com/google/go-cmp/cmp"
	_ "github.com/rs/zerolog"
	_ "github.com/samply/golang-fhir-models/fhir-models/fhir"
	_ "go.yaml.in/yaml/v3"
	_ "golang.org/x/sync/errgroup"
	_ "golang.org/x/text/unicode/norm"
	_ "modernc.org/sqlite"
)
