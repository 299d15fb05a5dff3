{{/* Names, labels and small computed values shared by every template. */}}

{{- define "claude-env.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* The release's full name: <release>-claude-env-controller, or the release name when it
already contains the chart name. */}}
{{- define "claude-env.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{- define "claude-env.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "claude-env.selectorLabels" -}}
app.kubernetes.io/name: {{ include "claude-env.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{- define "claude-env.labels" -}}
helm.sh/chart: {{ include "claude-env.chart" . }}
{{ include "claude-env.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/component: controller
app.kubernetes.io/part-of: claude-env
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end }}

{{- define "claude-env.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "claude-env.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{- define "claude-env.leaseName" -}}
{{- default (include "claude-env.fullname" .) .Values.leaderElection.leaseName }}
{{- end }}

{{/* The image: repository:tag, or repository@digest when a digest is given. */}}
{{- define "claude-env.image" -}}
{{- $tag := default .Chart.AppVersion .Values.image.tag }}
{{- if .Values.image.digest }}
{{- printf "%s@%s" .Values.image.repository .Values.image.digest }}
{{- else }}
{{- printf "%s:%s" .Values.image.repository $tag }}
{{- end }}
{{- end }}

{{/* Namespaced mode: everything the controller touches lives in watchNamespace. */}}
{{- define "claude-env.namespaced" -}}
{{- if .Values.watchNamespace }}true{{ end }}
{{- end }}

{{/* Where chart-made repository credentials go by default. */}}
{{- define "claude-env.credentialsNamespace" -}}
{{- default .Release.Namespace .Values.watchNamespace }}
{{- end }}

{{- define "claude-env.webhookSecretName" -}}
{{- if .Values.webhook.existingSecret }}
{{- .Values.webhook.existingSecret }}
{{- else }}
{{- printf "%s-webhook" (include "claude-env.fullname" .) }}
{{- end }}
{{- end }}

{{- define "claude-env.webhookSecretKey" -}}
{{- if .Values.webhook.existingSecret }}
{{- .Values.webhook.existingSecretKey }}
{{- else -}}
secret
{{- end }}
{{- end }}

{{/* The webhook secret the chart manages: the given value, else the one already in the
cluster (kept across upgrades), else a new random one — computed once per render, so the
Secret and the Deployment's checksum annotation agree. */}}
{{- define "claude-env.webhookSecretValue" -}}
{{- if not (hasKey .Values.webhook "_resolved") }}
{{- $value := .Values.webhook.secret }}
{{- if not $value }}
{{- $existing := lookup "v1" "Secret" .Release.Namespace (include "claude-env.webhookSecretName" .) }}
{{- if and $existing $existing.data (index $existing.data "secret") }}
{{- $value = index $existing.data "secret" | b64dec }}
{{- else }}
{{- $value = randAlphaNum 40 }}
{{- end }}
{{- end }}
{{- $_ := set .Values.webhook "_resolved" $value }}
{{- end }}
{{- .Values.webhook._resolved }}
{{- end }}

{{/* Rules the controller needs on the objects it watches and renders, wherever they are
(a ClusterRole, or a Role in the watched namespace). Each verb is used by the code:
  claudeenvironments:        get/list/watch (cache), patch (finalizer JSON patch)
  claudeenvironments/status: get, patch (server-side apply of status)
  deployments, services, configmaps: get/list/watch (cache, drift reads),
                             create+patch (server-side apply creates), delete (prune)
  events.k8s.io events:      create, patch (kube-runtime Recorder series) */}}
{{- define "claude-env.rules" -}}
- apiGroups: ["claude-env.io"]
  resources: ["claudeenvironments"]
  verbs: ["get", "list", "watch", "patch"]
- apiGroups: ["claude-env.io"]
  resources: ["claudeenvironments/status"]
  verbs: ["get", "patch"]
# Workstation records are counted, and deleted once not heard from for too long.
- apiGroups: ["claude-env.io"]
  resources: ["claudeworkstations"]
  verbs: ["get", "list", "watch", "delete"]
- apiGroups: ["apps"]
  resources: ["deployments"]
  verbs: ["get", "list", "watch", "create", "patch", "delete"]
- apiGroups: [""]
  resources: ["services", "configmaps"]
  verbs: ["get", "list", "watch", "create", "patch", "delete"]
# Pods of a rollout's Deployments are listed (never watched or changed) to fail fast on
# crash loops instead of waiting out the progress deadline.
- apiGroups: [""]
  resources: ["pods"]
  verbs: ["list"]
- apiGroups: ["events.k8s.io"]
  resources: ["events"]
  verbs: ["create", "patch"]
{{ include "claude-env.notificationRules" . }}
{{- end }}

{{- define "claude-env.secretRules" -}}
- apiGroups: [""]
  resources: ["secrets"]
  verbs: ["get"]
  {{- with .Values.rbac.secrets.resourceNames }}
  resourceNames:
    {{- toYaml . | nindent 4 }}
  {{- end }}
{{- end }}

{{/* Tenancy: the admission policy and its binding (cluster-scoped: named after the release). */}}
{{- define "claude-env.tenancyPolicyName" -}}
{{- printf "%s-tenancy" .Release.Name | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* Metadata a CRD gains (the keys of its `metadata:` block besides the name). */}}
{{- define "claude-env.crdMetadata" -}}
labels:
  helm.sh/chart: {{ include "claude-env.chart" . }}
  app.kubernetes.io/name: {{ include "claude-env.name" . }}
  app.kubernetes.io/instance: {{ .Release.Name }}
  app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
  app.kubernetes.io/part-of: claude-env
  app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- if .Values.crds.keep }}
annotations:
  helm.sh/resource-policy: keep
{{- end }}
{{- end }}
