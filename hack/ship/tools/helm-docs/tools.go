//go:build tools

// Package tools pins helm-docs, which writes the chart README's values reference
// (hack/ship/values-doc.sh). Build: go build -o build/bin/helm-docs github.com/norwoodj/helm-docs/cmd/helm-docs
package tools

import _ "github.com/norwoodj/helm-docs/cmd/helm-docs"
