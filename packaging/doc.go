// Package packaging holds no Go code: it is the .deb's configuration
// (nfpm.yaml), the configuration the package installs (docbridge.yaml,
// users.yaml) and the install and removal scripts. Its tests run the
// scripts in a test root and build the package with `go tool nfpm`.
package packaging
