{{/* Governance (docs/governance.md): what the controller needs for notifications, and the
steering annotations the admission policy guards. */}}

{{/* The controller's rules for notifications (part of "claude-env.rules"):
  notificationproviders, notificationrules: get/list/watch (caches)
  notificationproviders/status:             patch (server-side apply of the Ready condition)
The Secrets providers reference are read with the controller's Secret `get`. */}}
{{- define "claude-env.notificationRules" -}}
- apiGroups: ["claude-env.io"]
  resources: ["notificationproviders", "notificationrules"]
  verbs: ["get", "list", "watch"]
- apiGroups: ["claude-env.io"]
  resources: ["notificationproviders/status"]
  verbs: ["patch"]
{{- end }}

{{/* Steering annotations that name a person: variable stem, annotation, actor annotation,
the custom verb that may set it, and whether only protected environments need that verb. */}}
{{- define "claude-env.steering" -}}
- {var: approve, key: claude-env.io/approve, actor: claude-env.io/approved-by, verb: approve, protectedOnly: true}
- {var: rollback, key: claude-env.io/rollback-to, actor: claude-env.io/rollback-requested-by, verb: approve, protectedOnly: true}
- {var: retry, key: claude-env.io/retry, actor: claude-env.io/retry-requested-by, verb: approve, protectedOnly: true}
- {var: abort, key: claude-env.io/abort, actor: claude-env.io/abort-requested-by, verb: approve, protectedOnly: true}
- {var: securityApprove, key: claude-env.io/security-approve, actor: claude-env.io/security-approved-by, verb: security-approve, protectedOnly: false}
{{- end }}
