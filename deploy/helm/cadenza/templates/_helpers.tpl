{{/*
The five services, in start order. Each has a values block of the same name.
*/}}
{{- define "cadenza.serviceNames" -}}
enrollment scheduling dispatch classification metrics
{{- end -}}

{{- define "cadenza.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/*
Release-wide prefix of every object name. Service names get "-<service>" appended, so it is kept
to 50 characters.
*/}}
{{- define "cadenza.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 50 | trimSuffix "-" -}}
{{- else -}}
{{- $name := default .Chart.Name .Values.nameOverride -}}
{{- if contains $name .Release.Name -}}
{{- .Release.Name | trunc 50 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name $name | trunc 50 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{- define "cadenza.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "cadenza.selectorLabels" -}}
app.kubernetes.io/name: {{ include "cadenza.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{- define "cadenza.labels" -}}
helm.sh/chart: {{ include "cadenza.chart" . }}
{{ include "cadenza.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: cadenza
{{- end -}}

{{/* Labels of one component: (dict "root" $ "component" "dispatch") */}}
{{- define "cadenza.componentLabels" -}}
{{ include "cadenza.labels" .root }}
app.kubernetes.io/component: {{ .component }}
{{- end -}}

{{- define "cadenza.componentSelectorLabels" -}}
{{ include "cadenza.selectorLabels" .root }}
app.kubernetes.io/component: {{ .component }}
{{- end -}}

{{/*
Image of a component: (dict "root" $ "component" "dispatch" "image" <the block's image values>).
<global.image.registry>/cadenza-<component>:<tag>, where the block's image.repository / image.tag
override the computed repository / global tag, and the tag defaults to the chart's appVersion.
*/}}
{{- define "cadenza.image" -}}
{{- $global := .root.Values.global.image -}}
{{- $image := .image | default dict -}}
{{- $repository := $image.repository | default (printf "cadenza-%s" .component) -}}
{{- $tag := $image.tag | default $global.tag | default .root.Chart.AppVersion -}}
{{- if $global.registry -}}
{{- printf "%s/%s:%s" (trimSuffix "/" $global.registry) $repository $tag -}}
{{- else -}}
{{- printf "%s:%s" $repository $tag -}}
{{- end -}}
{{- end -}}

{{/* Name of the Secret the services read: the existing one, or the one this chart renders. */}}
{{- define "cadenza.secretName" -}}
{{- if .Values.global.existingSecret -}}
{{- .Values.global.existingSecret -}}
{{- else -}}
{{- printf "%s-secrets" (include "cadenza.fullname" .) -}}
{{- end -}}
{{- end -}}

{{/*
Secret holding database-url for the pre-install/pre-upgrade hooks. Hooks run before the release's
own objects exist, so without an existingSecret the migration Job reads a hook Secret of its own.
*/}}
{{- define "cadenza.migrationSecretName" -}}
{{- if .Values.global.existingSecret -}}
{{- .Values.global.existingSecret -}}
{{- else -}}
{{- printf "%s-migrate" (include "cadenza.fullname" .) -}}
{{- end -}}
{{- end -}}

{{/*
A generated secret value, kept across upgrades: (dict "root" $ "key" "internal-token" "value" <set value>).
The set value wins; otherwise the value already stored in the chart's Secret; otherwise a new random one.
*/}}
{{- define "cadenza.generatedSecret" -}}
{{- if .value -}}
{{- .value -}}
{{- else -}}
{{- $existing := lookup "v1" "Secret" .root.Release.Namespace (include "cadenza.secretName" .root) -}}
{{- if and $existing $existing.data (hasKey $existing.data .key) -}}
{{- index $existing.data .key | b64dec -}}
{{- else -}}
{{- randAlphaNum 48 -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{/* An env var read from the Cadenza Secret: (dict "root" $ "name" "CADENZA_API_KEYS" "key" "apiKeys") */}}
{{- define "cadenza.secretEnv" -}}
- name: {{ .name }}
  valueFrom:
    secretKeyRef:
      name: {{ include "cadenza.secretName" .root }}
      key: {{ index .root.Values.global.secretKeys .key }}
{{- end -}}

{{/* Environment of one service: (dict "root" $ "name" "dispatch") */}}
{{- define "cadenza.env" -}}
{{- $root := .root -}}
{{- $g := $root.Values.global -}}
{{- $svc := index $root.Values .name -}}
- name: CADENZA_ENVIRONMENT
  value: {{ $g.environment | quote }}
{{ include "cadenza.secretEnv" (dict "root" $root "name" "CADENZA_DATABASE_URL" "key" "databaseUrl") }}
- name: CADENZA_KAFKA_BOOTSTRAP
  value: {{ required "global.kafka.bootstrap is required" $g.kafka.bootstrap | quote }}
- name: CADENZA_KAFKA_IDEMPOTENCE
  value: {{ $g.kafka.idempotence | toString | quote }}
- name: CADENZA_KAFKA_TOPIC_PREFIX
  value: {{ $g.kafka.topicPrefix | default "" | quote }}
{{ include "cadenza.secretEnv" (dict "root" $root "name" "CADENZA_API_KEYS" "key" "apiKeys") }}
{{ include "cadenza.secretEnv" (dict "root" $root "name" "CADENZA_WEBHOOK_SECRET" "key" "webhookSecret") }}
- name: CADENZA_LOG_LEVEL
  value: {{ $g.log.level | quote }}
- name: CADENZA_LOG_JSON
  value: {{ $g.log.json | toString | quote }}
{{- if eq .name "enrollment" }}
{{ include "cadenza.secretEnv" (dict "root" $root "name" "CADENZA_ENROLLMENT_INTERNAL_TOKEN" "key" "internalToken") }}
{{- end }}
{{- if eq .name "dispatch" }}
{{ include "cadenza.secretEnv" (dict "root" $root "name" "CADENZA_DISPATCH_INTERNAL_TOKEN" "key" "internalToken") }}
- name: CADENZA_DISPATCH_ENROLLMENT_URL
  value: {{ $svc.enrollmentUrl | default (printf "http://%s-enrollment:%v" (include "cadenza.fullname" $root) $root.Values.enrollment.service.port) | quote }}
- name: CADENZA_DISPATCH_SMTP_HOST
  value: {{ required "dispatch.smtp.host is required" $svc.smtp.host | quote }}
- name: CADENZA_DISPATCH_SMTP_PORT
  value: {{ $svc.smtp.port | toString | quote }}
- name: CADENZA_DISPATCH_SMTP_STARTTLS
  value: {{ $svc.smtp.starttls | toString | quote }}
{{- if $svc.smtp.username }}
- name: CADENZA_DISPATCH_SMTP_USERNAME
  value: {{ $svc.smtp.username | quote }}
{{- end }}
{{- if $svc.smtp.passwordSecret.name }}
- name: CADENZA_DISPATCH_SMTP_PASSWORD
  valueFrom:
    secretKeyRef:
      name: {{ $svc.smtp.passwordSecret.name }}
      key: {{ $svc.smtp.passwordSecret.key }}
{{- end }}
{{- if $svc.fromAddress }}
- name: CADENZA_DISPATCH_FROM_ADDRESS
  value: {{ $svc.fromAddress | quote }}
{{- end }}
{{- if $svc.mailDomain }}
- name: CADENZA_DISPATCH_MAIL_DOMAIN
  value: {{ $svc.mailDomain | quote }}
{{- end }}
{{- end }}
{{- with $g.extraEnv }}
{{ toYaml . }}
{{- end }}
{{- with $svc.extraEnv }}
{{ toYaml . }}
{{- end }}
{{- end -}}

{{- define "cadenza.podSecurityContext" -}}
{{ toYaml .Values.global.podSecurityContext }}
{{- end -}}

{{- define "cadenza.containerSecurityContext" -}}
{{ toYaml .Values.global.containerSecurityContext }}
{{- end -}}
