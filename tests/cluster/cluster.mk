# Local Kubernetes control plane (tests/cluster). Included by the top-level
# Makefile (`include tests/cluster/cluster.mk`); paths are relative to the
# repository root.
#
#   make cluster-build   build build/bin/{k8s,kubectl,kwok,helm} when missing or stale
#   make cluster-up      build, then start etcd, kube-apiserver,
#                        kube-controller-manager, kube-scheduler and KWOK with
#                        3 fake nodes; idempotent. Writes build/cluster/kubeconfig
#                        and build/cluster/ports.env.
#   make cluster-down    stop those processes (by pid file) and remove build/cluster
#   make cluster-smoke   smoke-test the running cluster (tests/cluster/smoke.sh)

CLUSTER_SRC := tests/cluster
CLUSTER_BIN := build/bin

CLUSTER_K8S_DEPS  := $(CLUSTER_SRC)/go.mod $(CLUSTER_SRC)/go.sum $(wildcard $(CLUSTER_SRC)/cmd/k8s/*.go)
CLUSTER_KWOK_DEPS := $(wildcard $(CLUSTER_SRC)/tools/kwok/go.mod $(CLUSTER_SRC)/tools/kwok/go.sum $(CLUSTER_SRC)/tools/kwok/*.go)
CLUSTER_HELM_DEPS := $(wildcard $(CLUSTER_SRC)/tools/helm/go.mod $(CLUSTER_SRC)/tools/helm/go.sum $(CLUSTER_SRC)/tools/helm/*.go)

.PHONY: cluster-build cluster-up cluster-down cluster-smoke

cluster-build: $(CLUSTER_BIN)/k8s $(CLUSTER_BIN)/kubectl $(CLUSTER_BIN)/kwok $(CLUSTER_BIN)/helm

# One multi-call binary: etcd, kube-apiserver, kube-controller-manager,
# kube-scheduler, kubectl (the other names are symlinks to it).
$(CLUSTER_BIN)/k8s: $(CLUSTER_K8S_DEPS)
	@$(CLUSTER_SRC)/build.sh k8s

$(CLUSTER_BIN)/kubectl: $(CLUSTER_BIN)/k8s
	@ln -sfn k8s $@

$(CLUSTER_BIN)/kwok: $(CLUSTER_KWOK_DEPS)
	@$(CLUSTER_SRC)/build.sh kwok

$(CLUSTER_BIN)/helm: $(CLUSTER_HELM_DEPS)
	@$(CLUSTER_SRC)/build.sh helm

cluster-up: cluster-build
	@$(CLUSTER_SRC)/up.sh

cluster-down:
	@$(CLUSTER_SRC)/down.sh

cluster-smoke:
	@$(CLUSTER_SRC)/smoke.sh
