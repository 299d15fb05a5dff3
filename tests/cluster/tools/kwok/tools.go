//go:build tools

// Package tools pins KWOK (fake nodes and pods for the local control plane).
// Build: go build -o build/bin/kwok sigs.k8s.io/kwok/cmd/kwok
package tools

import _ "sigs.k8s.io/kwok/cmd/kwok"
