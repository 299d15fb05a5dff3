//go:build tools

// Package tools pins Flux's source-controller and kustomize-controller, the peer of the
// scale benchmark (hack/bench-peers.sh builds them into build/bin; never part of make test).
//
//	go build -o build/bin/flux-source-controller github.com/fluxcd/source-controller
//	go build -o build/bin/flux-kustomize-controller github.com/fluxcd/kustomize-controller
package tools

import (
	_ "github.com/fluxcd/kustomize-controller"
	_ "github.com/fluxcd/source-controller"
)
