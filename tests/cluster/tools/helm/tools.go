//go:build tools

// Package tools pins helm v3 (built from source for the local control plane).
// Build: go build -o build/bin/helm helm.sh/helm/v3/cmd/helm
package tools

import _ "helm.sh/helm/v3/cmd/helm"
