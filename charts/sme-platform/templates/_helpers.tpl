{{/*
Chart name, truncated to the 63 characters a DNS label allows.
*/}}
{{- define "sme-platform.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
Full name: fullnameOverride, else the release name when it already contains
the chart name (release "sme-platform" gives "sme-platform"), else
"<release>-<chart>".
*/}}
{{- define "sme-platform.fullname" -}}
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

{{- define "sme-platform.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
Selector labels. Call with (dict "ctx" $ "component" "backend").
*/}}
{{- define "sme-platform.selectorLabels" -}}
app.kubernetes.io/name: {{ include "sme-platform.name" .ctx }}
app.kubernetes.io/instance: {{ .ctx.Release.Name }}
{{- with .component }}
app.kubernetes.io/component: {{ . }}
{{- end }}
{{- end }}

{{/*
Common labels. Call with (dict "ctx" $ "component" "backend"); component may be empty.
*/}}
{{- define "sme-platform.labels" -}}
helm.sh/chart: {{ include "sme-platform.chart" .ctx }}
{{ include "sme-platform.selectorLabels" . }}
app.kubernetes.io/version: {{ .ctx.Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .ctx.Release.Service }}
app.kubernetes.io/part-of: sme-platform
{{- with .ctx.Values.commonLabels }}
{{ toYaml . }}
{{- end }}
{{- end }}

{{- define "sme-platform.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "sme-platform.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{- define "sme-platform.configMapName" -}}
{{- printf "%s-config" (include "sme-platform.fullname" .) }}
{{- end }}

{{/*
Image reference for a component: <registry>/<repository>:<tag>[@<digest>].
Call with (dict "ctx" $ "image" .Values.backend.image).
*/}}
{{- define "sme-platform.image" -}}
{{- $registry := trimSuffix "/" .ctx.Values.image.registry }}
{{- $ref := printf "%s:%s" .image.repository .image.tag }}
{{- if $registry }}
{{- $ref = printf "%s/%s" $registry $ref }}
{{- end }}
{{- if .image.digest }}
{{- $ref = printf "%s@%s" $ref .image.digest }}
{{- end }}
{{- $ref }}
{{- end }}

{{- define "sme-platform.pullPolicy" -}}
{{- default .ctx.Values.image.pullPolicy .image.pullPolicy }}
{{- end }}

{{- define "sme-platform.frontendUrl" -}}
{{- default (printf "https://%s" .Values.ingress.frontend.host) .Values.config.frontendUrl }}
{{- end }}

{{- define "sme-platform.apiUrl" -}}
{{- default (printf "https://%s" .Values.ingress.api.host) .Values.config.apiUrl }}
{{- end }}

{{- define "sme-platform.corsOrigin" -}}
{{- default (include "sme-platform.frontendUrl" .) .Values.config.corsOrigin }}
{{- end }}

{{/*
Application settings as a flat map of environment variables (string values).
Used by the ConfigMap and, inline, by the migration hook Job (hooks run before
the ConfigMap exists on a first install).
*/}}
{{- define "sme-platform.configData" -}}
{{- $c := .Values.config }}
{{- $origins := $c.allowedOrigins | default (list (include "sme-platform.corsOrigin" .)) }}
NODE_ENV: {{ $c.nodeEnv | quote }}
LOG_LEVEL: {{ $c.logLevel | quote }}
DEBUG: {{ $c.debug | toString | quote }}
CORS_ORIGIN: {{ include "sme-platform.corsOrigin" . | quote }}
ALLOWED_ORIGINS: {{ join "," $origins | quote }}
RATE_LIMIT_WINDOW_MS: {{ $c.rateLimit.windowMs | int64 | toString | quote }}
RATE_LIMIT_MAX: {{ $c.rateLimit.max | int64 | toString | quote }}
JWT_EXPIRES_IN: {{ $c.jwtExpiresIn | quote }}
ENABLE_MILESTONE_WORKFLOWS: {{ $c.features.milestoneWorkflows | toString | quote }}
ENABLE_INVOICE_CONCIERGE: {{ $c.features.invoiceConcierge | toString | quote }}
ENABLE_CREDIT_DECISIONING: {{ $c.features.creditDecisioning | toString | quote }}
SMTP_HOST: {{ $c.smtp.host | quote }}
SMTP_PORT: {{ $c.smtp.port | int64 | toString | quote }}
FRONTEND_URL: {{ include "sme-platform.frontendUrl" . | quote }}
API_URL: {{ include "sme-platform.apiUrl" . | quote }}
DATABASE_HOST: {{ $c.database.host | quote }}
DATABASE_PORT: {{ $c.database.port | int64 | toString | quote }}
DATABASE_NAME: {{ $c.database.name | quote }}
REDIS_HOST: {{ $c.redis.host | quote }}
REDIS_PORT: {{ $c.redis.port | int64 | toString | quote }}
{{- range $k, $v := $c.extra }}
{{ $k }}: {{ $v | toString | quote }}
{{- end }}
{{- end }}

{{/*
envFrom shared by every application container: settings, then secrets.
*/}}
{{- define "sme-platform.secretEnvFrom" -}}
- secretRef:
    name: {{ .Values.secrets.existingSecret }}
    {{- if not .Values.secrets.required }}
    optional: true
    {{- end }}
{{- end }}

{{/*
Replicas of a Deployment. With autoscaling enabled, an upgrade keeps the count
the HPA has set on the live object so a release does not shrink a scaled-out
component; "helm template" and first installs use replicaCount.
Call with (dict "ctx" $ "component" "backend").
*/}}
{{- define "sme-platform.replicas" -}}
{{- $values := index .ctx.Values .component }}
{{- $replicas := $values.replicaCount | int }}
{{- if $values.autoscaling.enabled }}
{{- $name := printf "%s-%s" (include "sme-platform.fullname" .ctx) .component }}
{{- $live := lookup "apps/v1" "Deployment" .ctx.Release.Namespace $name }}
{{- if and $live $live.spec $live.spec.replicas }}
{{- $replicas = max $live.spec.replicas $values.autoscaling.minReplicas | int }}
{{- end }}
{{- end }}
{{- $replicas }}
{{- end }}

{{/*
Pod scheduling: nodeSelector, tolerations, affinity and zone spread.
Call with (dict "ctx" $ "component" "backend").
*/}}
{{- define "sme-platform.scheduling" -}}
{{- $values := index .ctx.Values .component }}
{{- with ($values.nodeSelector | default .ctx.Values.nodeSelector) }}
nodeSelector:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with ($values.tolerations | default .ctx.Values.tolerations) }}
tolerations:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- if $values.affinity }}
affinity:
  {{- toYaml $values.affinity | nindent 2 }}
{{- else if .ctx.Values.podAntiAffinity.enabled }}
affinity:
  podAntiAffinity:
    preferredDuringSchedulingIgnoredDuringExecution:
      - weight: {{ .ctx.Values.podAntiAffinity.weight }}
        podAffinityTerm:
          topologyKey: {{ .ctx.Values.podAntiAffinity.topologyKey }}
          labelSelector:
            matchLabels:
              {{- include "sme-platform.selectorLabels" . | nindent 14 }}
{{- end }}
{{- with .ctx.Values.topologySpread }}
{{- if .enabled }}
topologySpreadConstraints:
  - maxSkew: {{ .maxSkew }}
    topologyKey: {{ .topologyKey }}
    whenUnsatisfiable: {{ .whenUnsatisfiable }}
    labelSelector:
      matchLabels:
        {{- include "sme-platform.selectorLabels" $ | nindent 8 }}
    matchLabelKeys:
      - pod-template-hash
{{- end }}
{{- end }}
{{- end }}

{{/*
Writable emptyDir volumes for a read-only root filesystem.
*/}}
{{- define "sme-platform.writableVolumes" -}}
{{- range $i, $path := .writablePaths }}
- name: writable-{{ $i }}
  emptyDir:
    sizeLimit: 256Mi
{{- end }}
{{- end }}

{{- define "sme-platform.writableMounts" -}}
{{- range $i, $path := .writablePaths }}
- name: writable-{{ $i }}
  mountPath: {{ $path }}
{{- end }}
{{- end }}
